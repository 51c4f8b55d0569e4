"""Local AWS STS stand-in for aws-iam-authenticator tests. See tests/support/README.md."""
