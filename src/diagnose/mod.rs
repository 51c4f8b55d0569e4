//! What went wrong, in one line a person can act on.
//!
//! # Why
//!
//! The AWS SDK's errors are built for programs: their `Display` says `dispatch failure`
//! or `service error`, the useful part (`connection refused`, the host that did not
//! resolve, STS's error code, a `credential_process`'s stderr) sits a few levels down the
//! source chain, and `DisplayErrorContext` appends a `Debug` dump of the whole tree
//! (`DispatchFailure(DispatchFailure { source: ConnectorError { kind: Io, …`). A person
//! running `kubectl` needs one line: what is wrong, and what to do about it.
//!
//! [`diagnose`] walks an error's source chain — downcasting the SDK's `SdkError`, the
//! transport's [`RequestTarget`] (endpoint and proxy, added by
//! [`crate::aws_http::RoutedConnector`]), `std::io::Error`, rustls's certificate errors,
//! STS's service errors and IMDS's — and maps it to a [`Diagnosis`]: a [`Class`], a
//! summary naming the problem, and the fix. `token`'s error line and `doctor`'s failed
//! checks print the same [`Diagnosis`], so the fix text is the same wherever a problem
//! shows up. The full chain (its `Display` texts, never a `Debug` dump) is logged at
//! debug level. Secrets never appear: no key, session token or presigned URL is part of
//! any message here, and a proxy is named by `host:port` only.

use std::error::Error;
use std::fmt;

use aws_config::imds::client::error::ImdsError;
use aws_sdk_sts::operation::assume_role::AssumeRoleError;
use aws_sdk_sts::operation::assume_role_with_web_identity::AssumeRoleWithWebIdentityError;
use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::{ConnectorError, SdkError};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::aws_http::{RequestTarget, error_chain};

/// The fix for a clock that is off: the same text for STS's refusals and `doctor`'s
/// clock check.
pub const CLOCK_FIX: &str = "sync this machine's clock with NTP (Linux: `sudo timedatectl set-ntp true`; macOS: `sudo sntp -sS time.apple.com`; Windows: `w32tm /resync`)";

/// The kinds of problem, for `doctor -o json` and for tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// A host name did not resolve.
    Dns,
    /// The endpoint (or the proxy) refused the connection.
    ConnectionRefused,
    /// Connecting or waiting for an answer timed out.
    Timeout,
    /// The server's certificate is not issued by a trusted authority.
    TlsUntrusted,
    /// Another TLS failure (name mismatch, expired certificate, handshake).
    Tls,
    /// This machine's clock is too far from STS's.
    ClockSkew,
    /// The session credentials have expired (`ExpiredToken`).
    ExpiredToken,
    /// STS does not know the access key (`InvalidClientTokenId`).
    InvalidKey,
    /// The secret key does not match the access key (`SignatureDoesNotMatch`).
    SignatureMismatch,
    /// AssumeRole was refused (`AccessDenied`).
    AccessDenied,
    /// Another STS error answer.
    StsError,
    /// A profile's `credential_process` failed.
    CredentialProcess,
    /// EC2 instance metadata refused the request.
    ImdsRefused,
    /// EC2 instance metadata could not be reached.
    ImdsUnreachable,
    /// Nothing more specific is known.
    Other,
}

impl Class {
    /// The stable camelCase name used in `doctor -o json`.
    pub fn name(self) -> &'static str {
        match self {
            Class::Dns => "dns",
            Class::ConnectionRefused => "connectionRefused",
            Class::Timeout => "timeout",
            Class::TlsUntrusted => "tlsUntrusted",
            Class::Tls => "tls",
            Class::ClockSkew => "clockSkew",
            Class::ExpiredToken => "expiredToken",
            Class::InvalidKey => "invalidKey",
            Class::SignatureMismatch => "signatureMismatch",
            Class::AccessDenied => "accessDenied",
            Class::StsError => "stsError",
            Class::CredentialProcess => "credentialProcess",
            Class::ImdsRefused => "imdsRefused",
            Class::ImdsUnreachable => "imdsUnreachable",
            Class::Other => "other",
        }
    }
}

/// One problem: what is wrong and what to do. `Display` is `summary; fix`, one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnosis {
    /// The kind of problem.
    pub class: Class,
    /// What is wrong.
    pub summary: String,
    /// What to do about it (empty when nothing better than the summary is known).
    pub fix: String,
}

impl Diagnosis {
    fn new(class: Class, summary: impl Into<String>, fix: impl Into<String>) -> Self {
        Diagnosis {
            class,
            summary: one_line(&summary.into()),
            fix: one_line(&fix.into()),
        }
    }
}

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.fix.is_empty() {
            f.write_str(&self.summary)
        } else {
            write!(f, "{}; {}", self.summary, self.fix)
        }
    }
}

impl Error for Diagnosis {}

/// What was being done when the error happened; it decides what a message can name.
#[derive(Clone, Copy, Debug)]
pub enum Call<'a> {
    /// Loading credentials from the chain for `profile`.
    Credentials {
        /// The selected profile.
        profile: &'a str,
    },
    /// `sts:AssumeRole` of `role_arn`.
    AssumeRole {
        /// The role.
        role_arn: &'a str,
        /// Whether an external ID was sent.
        external_id: bool,
    },
    /// `sts:GetCallerIdentity` (the token's own request, or `--forward-session-name`).
    GetCallerIdentity,
}

/// The errors of an error's source chain, outermost first. An `io::Error` wrapping
/// another error is stepped into (its `source()` skips the wrapped error itself).
fn chain<'a>(error: &'a (dyn Error + 'static)) -> Vec<&'a (dyn Error + 'static)> {
    let mut out = Vec::new();
    let mut current = Some(error);
    while let Some(e) = current {
        if out.len() > 32 {
            break;
        }
        out.push(e);
        current = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn Error + 'static)),
            None => e.source(),
        };
    }
    out
}

fn find<'a, T: Error + 'static>(chain: &[&'a (dyn Error + 'static)]) -> Option<&'a T> {
    chain.iter().find_map(|e| e.downcast_ref::<T>())
}

/// Maps `error` to one actionable line. Never fails: what is not recognised becomes
/// [`Class::Other`] with the chain's texts (no `Debug` dump). The chain is logged at
/// debug level.
pub fn diagnose(error: &(dyn Error + 'static), call: Call<'_>) -> Diagnosis {
    tracing::debug!(error = %error_chain(error), ?call, "error source chain");
    let chain = chain(error);
    if let Some(d) = imds(&chain) {
        return d;
    }
    if let Some((code, message)) = sts_service_error(&chain) {
        return sts_error(&code, &message, call);
    }
    if let Some(d) = transport(&chain) {
        return d;
    }
    if let Some(d) = credential_process(&chain, call) {
        return d;
    }
    Diagnosis::new(Class::Other, error_chain(error), "")
}

/// An STS error answer's code and message, from any of the STS operations the program
/// (or aws-config's providers) call.
fn sts_service_error(chain: &[&(dyn Error + 'static)]) -> Option<(String, String)> {
    let meta = |m: &dyn ProvideErrorMetadata| {
        (
            m.code().unwrap_or_default().to_string(),
            m.message().unwrap_or_default().to_string(),
        )
    };
    chain.iter().find_map(|e| {
        if let Some(x) = e.downcast_ref::<AssumeRoleError>() {
            Some(meta(x))
        } else if let Some(x) = e.downcast_ref::<GetCallerIdentityError>() {
            Some(meta(x))
        } else {
            e.downcast_ref::<AssumeRoleWithWebIdentityError>()
                .map(|x| meta(x))
        }
    })
}

/// STS's error `code` (with its `message`) as a diagnosis. Shared by SDK calls and by
/// `doctor`'s own GET of the token's URL.
pub fn sts_error(code: &str, message: &str, call: Call<'_>) -> Diagnosis {
    let lower = message.to_ascii_lowercase();
    let clock = lower.contains("signature expired")
        || lower.contains("not yet current")
        || code == "RequestExpired";
    match code {
        _ if clock => Diagnosis::new(
            Class::ClockSkew,
            format!(
                "STS refused the request as signed at the wrong time ({code}): this machine's clock is off"
            ),
            CLOCK_FIX,
        ),
        "ExpiredToken" => Diagnosis::new(
            Class::ExpiredToken,
            "the AWS session credentials have expired (STS ExpiredToken)",
            "get fresh ones: `aws sso login` for an SSO profile, or re-run whatever exported AWS_SESSION_TOKEN; the clock is not the problem",
        ),
        "InvalidClientTokenId" => Diagnosis::new(
            Class::InvalidKey,
            "STS does not recognise the access key (InvalidClientTokenId): it was deleted or rotated, belongs to another AWS partition, or its session token is missing",
            "update the keys (`aws configure`, or export the current AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN together); the clock is not the problem",
        ),
        "SignatureDoesNotMatch" => Diagnosis::new(
            Class::SignatureMismatch,
            "STS says the signature does not match (SignatureDoesNotMatch): the secret access key is wrong for this access key ID",
            "set the secret that belongs to the key (aws_secret_access_key in ~/.aws/credentials or AWS_SECRET_ACCESS_KEY); if the key was rotated, update both halves",
        ),
        "AccessDenied" => match call {
            Call::AssumeRole {
                role_arn,
                external_id,
            } => access_denied(role_arn, message, external_id),
            _ => Diagnosis::new(
                Class::AccessDenied,
                format!("STS denied the request (AccessDenied: {message})"),
                "check the IAM policies of the identity in use",
            ),
        },
        _ => Diagnosis::new(
            Class::StsError,
            format!(
                "STS refused the request ({}: {})",
                if code.is_empty() { "no code" } else { code },
                message
            ),
            "",
        ),
    }
}

/// AccessDenied on AssumeRole: the caller comes from STS's message
/// (`User: <arn> is not authorized to perform: sts:AssumeRole on resource: <role>`);
/// trust policies name an assumed-role caller by its role ARN.
fn access_denied(role_arn: &str, message: &str, external_id: bool) -> Diagnosis {
    let caller = message
        .strip_prefix("User: ")
        .and_then(|rest| rest.split_whitespace().next())
        .map(str::to_string);
    let principal = caller
        .as_deref()
        .map(|c| crate::arn::canonicalize(c).unwrap_or_else(|_| c.to_string()));
    let summary = match &caller {
        Some(caller) => {
            format!("{caller} is not authorized to assume role {role_arn} (AccessDenied)")
        }
        None => format!("not authorized to assume role {role_arn} (AccessDenied)"),
    };
    let mut fix = format!(
        "the role's trust policy must allow sts:AssumeRole for {}",
        principal.as_deref().unwrap_or("your identity")
    );
    if external_id {
        fix.push_str(", and --external-id must match its sts:ExternalId condition");
    }
    fix.push_str(", and that identity's own policies must allow sts:AssumeRole on the role");
    Diagnosis::new(Class::AccessDenied, summary, fix)
}

/// How the request was routed, in words.
fn route_text(target: Option<&RequestTarget>) -> String {
    match target.and_then(|t| t.proxy.as_deref()) {
        Some(proxy) => format!("through the proxy {proxy} from HTTPS_PROXY"),
        None => "no proxy".to_string(),
    }
}

/// The environment variable that set this endpoint, when one did.
fn endpoint_variable(host: &str) -> Option<&'static str> {
    [
        "AWS_ENDPOINT_URL_STS",
        "AWS_ENDPOINT_URL",
        "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    ]
    .into_iter()
    .find(|var| {
        std::env::var(var)
            .ok()
            .and_then(|v| v.parse::<http::Uri>().ok())
            .is_some_and(|u| u.host() == Some(host))
    })
}

fn transport(chain: &[&(dyn Error + 'static)]) -> Option<Diagnosis> {
    let target = find::<RequestTarget>(chain);
    let connector = find::<ConnectorError>(chain);
    let sdk_timeout = chain.iter().any(|e| {
        e.downcast_ref::<SdkError<AssumeRoleError, HttpResponse>>()
            .is_some_and(|s| matches!(s, SdkError::TimeoutError(_)))
            || e.downcast_ref::<SdkError<GetCallerIdentityError, HttpResponse>>()
                .is_some_and(|s| matches!(s, SdkError::TimeoutError(_)))
    });
    if target.is_none() && connector.is_none() && !sdk_timeout {
        return None;
    }
    let endpoint = target.map_or("the endpoint".to_string(), |t| t.target.clone());
    let host = target.map_or("", |t| t.host.as_str());
    let via = route_text(target);
    let proxy = target.and_then(|t| t.proxy.clone());

    // TLS: a certificate the trust store refused.
    if let Some(tls) = find::<rustls::Error>(chain) {
        let untrusted = matches!(
            tls,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)
        );
        let reason = tls_reason(chain, tls);
        let middle = match &proxy {
            Some(p) => format!(" (through the proxy {p}, which may be inspecting TLS)"),
            None => String::new(),
        };
        return Some(if untrusted {
            Diagnosis::new(
                Class::TlsUntrusted,
                format!("TLS with {endpoint} failed{middle}: {reason}"),
                "add the issuing CA (your proxy's or network's) as a PEM file in AWS_CA_BUNDLE, or point SSL_CERT_FILE at a bundle that holds it",
            )
        } else {
            Diagnosis::new(
                Class::Tls,
                format!("TLS with {endpoint} failed{middle}: {reason}"),
                "check that the endpoint (AWS_ENDPOINT_URL_STS, HTTPS_PROXY) is the one meant, the system clock, and the CA files in AWS_CA_BUNDLE / SSL_CERT_FILE",
            )
        });
    }

    let io_kind = chain
        .iter()
        .filter_map(|e| e.downcast_ref::<std::io::Error>())
        .map(std::io::Error::kind)
        .find(|k| {
            matches!(
                k,
                std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::TimedOut
            )
        });
    let dns = chain.iter().any(|e| {
        let text = e.to_string();
        text == "dns error" || text.contains("failed to lookup address information")
    });

    let proxy_fix = |problem: &str| match &proxy {
        Some(p) => format!(
            "check that the proxy {p} is up and HTTPS_PROXY is right, or list {host} in NO_PROXY to connect directly ({problem})"
        ),
        None => match endpoint_variable(host) {
            Some(var) => format!("check {var}, or unset it to use the AWS endpoint"),
            None => format!(
                "check the network and firewall, or set HTTPS_PROXY if this network reaches AWS through a proxy ({problem})"
            ),
        },
    };

    if dns {
        return Some(match &proxy {
            Some(p) => {
                let proxy_host = p.rsplit_once(':').map_or(p.as_str(), |(h, _)| h);
                Diagnosis::new(
                    Class::Dns,
                    format!("cannot resolve the proxy host {proxy_host} (from HTTPS_PROXY) to reach {endpoint}"),
                    format!("fix HTTPS_PROXY, or list {host} in NO_PROXY to connect directly"),
                )
            }
            None => Diagnosis::new(
                Class::Dns,
                format!("cannot resolve {host} (DNS lookup failed, no proxy)"),
                match endpoint_variable(host) {
                    Some(var) => format!("fix the host name in {var}"),
                    None => "check the region and this machine's DNS, or set HTTPS_PROXY if this network reaches AWS through a proxy".to_string(),
                },
            ),
        });
    }
    let timed_out = io_kind == Some(std::io::ErrorKind::TimedOut)
        || connector.is_some_and(ConnectorError::is_timeout)
        || sdk_timeout;
    if io_kind == Some(std::io::ErrorKind::ConnectionRefused) {
        let what = match &proxy {
            Some(p) => format!("the proxy {p} refused the connection for {endpoint}"),
            None => format!("{endpoint} refused the connection ({via})"),
        };
        return Some(Diagnosis::new(
            Class::ConnectionRefused,
            format!("cannot connect: {what}"),
            proxy_fix("connection refused"),
        ));
    }
    if timed_out {
        return Some(Diagnosis::new(
            Class::Timeout,
            format!("timed out reaching {endpoint} ({via})"),
            proxy_fix("timeout"),
        ));
    }
    // Another transport failure: say where, and what the lowest layer said.
    let lowest = chain.last().map(|e| e.to_string()).unwrap_or_default();
    Some(Diagnosis::new(
        Class::Other,
        format!("cannot reach {endpoint} ({via}): {lowest}"),
        "",
    ))
}

/// The TLS failure in words: the server build's own wording when the connector added it,
/// else rustls's.
/// An unknown issuer is always worded the same (both builds, every endpoint), so the
/// line is one a person can search for.
fn tls_reason(chain: &[&(dyn Error + 'static)], tls: &rustls::Error) -> String {
    if let rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer) = tls {
        return "certificate signed by unknown authority".to_string();
    }
    match find::<crate::aws_http::TlsFailure>(chain) {
        Some(failure) => failure.reason.clone(),
        None => tls.to_string(),
    }
}

fn imds(chain: &[&(dyn Error + 'static)]) -> Option<Diagnosis> {
    let err = find::<ImdsError>(chain)?;
    let endpoint = std::env::var("AWS_EC2_METADATA_SERVICE_ENDPOINT")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "http://169.254.169.254".to_string());
    let status = match err {
        ImdsError::ErrorResponse(r) => Some(r.response().status().as_u16()),
        ImdsError::FailedToLoadToken(t) if !t.is_dispatch_failure() => chain
            .iter()
            .find_map(|e| {
                e.downcast_ref::<SdkError<
                    aws_config::imds::client::error::TokenError,
                    HttpResponse,
                >>()
            })
            .and_then(|s| s.raw_response().map(|r| r.status().as_u16())),
        _ => None,
    };
    let instead = "give credentials another way (AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or set AWS_EC2_METADATA_DISABLED=true off EC2";
    Some(match status {
        Some(status @ (401 | 403)) => Diagnosis::new(
            Class::ImdsRefused,
            format!(
                "EC2 instance metadata at {endpoint} refused the credentials request (HTTP {status}: IMDS is disabled, or IMDSv2 tokens are blocked for this caller)"
            ),
            instead,
        ),
        Some(status) => Diagnosis::new(
            Class::ImdsRefused,
            format!(
                "EC2 instance metadata at {endpoint} answered HTTP {status} to the credentials request"
            ),
            instead,
        ),
        None => Diagnosis::new(
            Class::ImdsUnreachable,
            format!(
                "EC2 instance metadata at {endpoint} is unreachable (in a container, the instance's metadata hop limit may be 1)"
            ),
            instead,
        ),
    })
}

/// aws-config reports a failed `credential_process` as text only:
/// `... external process exited with code <status>. Stderr: <stderr>`.
fn credential_process(chain: &[&(dyn Error + 'static)], call: Call<'_>) -> Option<Diagnosis> {
    const EXITED: &str = "external process exited with code ";
    const PARSE: &str = "Error retrieving credentials from external process";
    let profile = match call {
        Call::Credentials { profile } => format!(" of profile {profile:?}"),
        _ => String::new(),
    };
    let fix = "fix the command, or run it by hand to see its whole output";
    for e in chain {
        let text = e.to_string();
        if let Some((_, rest)) = text.split_once(EXITED) {
            let (status, stderr) = rest.split_once(". Stderr: ").unwrap_or((rest, ""));
            let last = stderr
                .lines()
                .map(str::trim)
                .rfind(|l| !l.is_empty())
                .unwrap_or("(nothing on stderr)");
            return Some(Diagnosis::new(
                Class::CredentialProcess,
                format!("the credential_process{profile} failed with {status}: {last}"),
                fix,
            ));
        }
        if let Some((_, rest)) = text.split_once(PARSE) {
            let rest = rest.trim_start_matches([':', ',', ' ']);
            return Some(Diagnosis::new(
                Class::CredentialProcess,
                format!("the credential_process{profile} failed: {rest}"),
                "it must print the JSON described in the AWS CLI's \"Sourcing credentials with an external process\" (Version 1, AccessKeyId, SecretAccessKey)",
            ));
        }
    }
    None
}

/// Collapses a multi-line text (a process's stderr, an STS message) into one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrap(&'static str, Box<dyn Error + Send + Sync>);
    impl fmt::Display for Wrap {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }
    impl Error for Wrap {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(self.1.as_ref())
        }
    }

    fn target(proxy: Option<&str>, source: Box<dyn Error + Send + Sync>) -> ConnectorError {
        let wrapped = RequestTarget {
            target: "sts.us-west-2.amazonaws.com:443".into(),
            host: "sts.us-west-2.amazonaws.com".into(),
            proxy: proxy.map(str::to_string),
            source,
        };
        ConnectorError::io(Box::new(wrapped))
    }

    const ROLE: &str = "arn:aws:iam::111122223333:role/dev";

    #[test]
    fn refused_names_the_endpoint_and_the_proxy() {
        let io = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let e = target(None, Box::new(Wrap("tcp connect error", Box::new(io))));
        let d = diagnose(&e, Call::GetCallerIdentity);
        assert_eq!(d.class, Class::ConnectionRefused);
        assert_eq!(
            d.summary,
            "cannot connect: sts.us-west-2.amazonaws.com:443 refused the connection (no proxy)"
        );
        assert!(d.fix.contains("set HTTPS_PROXY"), "{d}");

        let io = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let e = target(Some("127.0.0.1:3128"), Box::new(io));
        let d = diagnose(&e, Call::GetCallerIdentity);
        assert_eq!(
            d.to_string(),
            "cannot connect: the proxy 127.0.0.1:3128 refused the connection for sts.us-west-2.amazonaws.com:443; check that the proxy 127.0.0.1:3128 is up and HTTPS_PROXY is right, or list sts.us-west-2.amazonaws.com in NO_PROXY to connect directly (connection refused)"
        );
    }

    #[test]
    fn dns_names_the_host_that_did_not_resolve() {
        let io = std::io::Error::other(
            "failed to lookup address information: Name or service not known",
        );
        let e = target(None, Box::new(Wrap("dns error", Box::new(io))));
        let d = diagnose(&e, Call::GetCallerIdentity);
        assert_eq!(d.class, Class::Dns);
        assert_eq!(
            d.summary,
            "cannot resolve sts.us-west-2.amazonaws.com (DNS lookup failed, no proxy)"
        );
        let e = target(
            Some("proxy.corp.invalid:3128"),
            Box::new(Wrap("dns error", Box::new(std::io::Error::other("x")))),
        );
        let d = diagnose(&e, Call::GetCallerIdentity);
        assert_eq!(
            d.summary,
            "cannot resolve the proxy host proxy.corp.invalid (from HTTPS_PROXY) to reach sts.us-west-2.amazonaws.com:443"
        );
    }

    #[test]
    fn timeouts_and_untrusted_certificates() {
        let e = ConnectorError::timeout(Box::new(RequestTarget {
            target: "sts.amazonaws.com:443".into(),
            host: "sts.amazonaws.com".into(),
            proxy: None,
            source: "HTTP connect timeout occurred after 3.1s".into(),
        }));
        let d = diagnose(&e, Call::GetCallerIdentity);
        assert_eq!(d.class, Class::Timeout);
        assert_eq!(
            d.summary,
            "timed out reaching sts.amazonaws.com:443 (no proxy)"
        );

        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, tls);
        let e = target(Some("10.0.0.1:8080"), Box::new(io));
        let d = diagnose(&e, Call::GetCallerIdentity);
        assert_eq!(d.class, Class::TlsUntrusted);
        assert!(
            d.summary.starts_with(
                "TLS with sts.us-west-2.amazonaws.com:443 failed (through the proxy 10.0.0.1:8080"
            ),
            "{d}"
        );
        assert!(
            d.fix.contains("AWS_CA_BUNDLE") && d.fix.contains("SSL_CERT_FILE"),
            "{d}"
        );
    }

    #[test]
    fn sts_codes_say_which_fix() {
        let call = Call::GetCallerIdentity;
        let d = sts_error(
            "SignatureDoesNotMatch",
            "Signature expired: 20261202T010000Z is now earlier than ...",
            call,
        );
        assert_eq!(d.class, Class::ClockSkew);
        assert!(d.fix.starts_with("sync this machine's clock"), "{d}");
        let d = sts_error(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match",
            call,
        );
        assert_eq!(d.class, Class::SignatureMismatch);
        assert!(d.fix.contains("AWS_SECRET_ACCESS_KEY"), "{d}");
        assert_eq!(
            sts_error("RequestExpired", "Request has expired", call).class,
            Class::ClockSkew
        );
        let d = sts_error(
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
            call,
        );
        assert_eq!(d.class, Class::InvalidKey);
        assert!(d.fix.contains("the clock is not the problem"));
        assert_eq!(
            sts_error("ExpiredToken", "expired", call).class,
            Class::ExpiredToken
        );
        let d = sts_error("Throttling", "Rate exceeded", call);
        assert_eq!(
            d.to_string(),
            "STS refused the request (Throttling: Rate exceeded)"
        );
    }

    #[test]
    fn access_denied_names_role_caller_and_trust_policy() {
        let message = format!(
            "User: arn:aws:sts::111122223333:assumed-role/sso/alice is not authorized to perform: sts:AssumeRole on resource: {ROLE}"
        );
        let d = sts_error(
            "AccessDenied",
            &message,
            Call::AssumeRole {
                role_arn: ROLE,
                external_id: true,
            },
        );
        assert_eq!(d.class, Class::AccessDenied);
        assert_eq!(
            d.to_string(),
            format!(
                "arn:aws:sts::111122223333:assumed-role/sso/alice is not authorized to assume role {ROLE} (AccessDenied); the role's trust policy must allow sts:AssumeRole for arn:aws:iam::111122223333:role/sso, and --external-id must match its sts:ExternalId condition, and that identity's own policies must allow sts:AssumeRole on the role"
            )
        );
    }

    #[test]
    fn credential_process_gives_status_and_last_stderr_line() {
        let e = aws_credential_types::provider::error::CredentialsError::provider_error(
            "Error retrieving credentials: external process exited with code exit status: 1. Stderr: starting\nfatal: token expired, run login\n\n",
        );
        let d = diagnose(&e, Call::Credentials { profile: "cp" });
        assert_eq!(d.class, Class::CredentialProcess);
        assert_eq!(
            d.summary,
            "the credential_process of profile \"cp\" failed with exit status: 1: fatal: token expired, run login"
        );
    }

    #[test]
    fn anything_else_is_its_display_chain_without_debug() {
        let e = Wrap("outer", Box::new(std::io::Error::other("inner {x}")));
        let d = diagnose(&e, Call::GetCallerIdentity);
        assert_eq!(d.class, Class::Other);
        assert_eq!(d.to_string(), "outer: inner {x}");
    }
}
