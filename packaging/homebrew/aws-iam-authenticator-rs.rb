# Homebrew formula for the tap (rendered by packaging/render.py; do not edit the rendered copy).
# Installs the prebuilt release archive, the man pages, the kubectl plugin alias and shell
# completions generated through clap's COMPLETE protocol, as homebrew-core's Rust formulae do.
class AwsIamAuthenticatorRs < Formula
  desc "Authenticate to Kubernetes with AWS IAM credentials (Rust aws-iam-authenticator)"
  homepage "@@REPO_URL@@"
  version "@@VERSION@@"
  license "Apache-2.0"

  on_macos do
    on_arm do
      url "@@URL:aarch64-apple-darwin@@"
      sha256 "@@SHA256:aarch64-apple-darwin@@"
    end
    on_intel do
      url "@@URL:x86_64-apple-darwin@@"
      sha256 "@@SHA256:x86_64-apple-darwin@@"
    end
  end

  on_linux do
    # The static musl builds: no glibc version requirement on any Linux Homebrew runs on.
    on_arm do
      url "@@URL:aarch64-unknown-linux-musl@@"
      sha256 "@@SHA256:aarch64-unknown-linux-musl@@"
    end
    on_intel do
      url "@@URL:x86_64-unknown-linux-musl@@"
      sha256 "@@SHA256:x86_64-unknown-linux-musl@@"
    end
  end

  # homebrew-core's aws-iam-authenticator (the Go original) installs the same binary name.
  conflicts_with "aws-iam-authenticator", because: "both install an `aws-iam-authenticator` binary"

  def install
    bin.install "aws-iam-authenticator"
    # `kubectl iam-authenticator …` (kubectl maps the dash to an underscore in file names).
    bin.install_symlink "aws-iam-authenticator" => "kubectl-iam_authenticator"
    man1.install Dir["man/*.1"]
    # Runs `COMPLETE=<shell> aws-iam-authenticator`, which prints clap's registration script.
    generate_completions_from_executable(bin/"aws-iam-authenticator", shell_parameter_format: :clap)
  end

  def caveats
    <<~EOS
      Upgrade with `brew upgrade aws-iam-authenticator-rs`; `aws-iam-authenticator self-update`
      refuses to replace a Homebrew install.
    EOS
  end

  test do
    assert_match version.to_s, shell_output("#{bin}/aws-iam-authenticator version --short")
    assert_match "token", shell_output("#{bin}/kubectl-iam_authenticator --help")
    # A token is a presigned URL: no network and no real credentials needed.
    ENV["AWS_ACCESS_KEY_ID"] = "AKIAIOSFODNN7EXAMPLE"
    ENV["AWS_SECRET_ACCESS_KEY"] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    ENV["AWS_REGION"] = "us-east-1"
    assert_match "k8s-aws-v1.", shell_output("#{bin}/aws-iam-authenticator token -i test --token-only")
  end
end
