//! `doctor`: walks what `token` would do and says, one line per check, what is fine,
//! what is doubtful and what is broken — with the fix.
//!
//! # Why
//!
//! When `kubectl` says `Unauthorized` or the plugin fails, the cause is one of a dozen
//! things spread over the environment, `~/.aws`, the network and the cluster: which
//! credentials answered, which region and STS host the token names, the proxy and CA in
//! effect, whether STS accepts the signature, the clock, the cache, the kubeconfig. Each
//! check here answers one of those. Failures are worded by [`crate::diagnose`], the same
//! classifier `token` uses, so the fix `doctor` prints is the one `token` prints.
//!
//! The live check sends the token's own presigned `GetCallerIdentity` URL to STS, as
//! the server will, so the identity shown is the one the server will see (and the
//! canonical ARN it maps). `--offline` makes no network call at all: credentials that
//! need one (SSO, assume-role, web identity, container, IMDS) are named but not fetched.
//!
//! The JSON report (`-o json`) is a stable interface, documented in
//! `docs/troubleshooting.md`: `{"checks":[{"id","status","summary","fix","details"}],"ok"}`.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use serde::Serialize;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::aws_http::{ConnectorOptions, connector, tls_context};
use crate::cache::{self, Cache, Kind, Storage};
use crate::credentials::{AwsContext, CredentialsError, LoadOptions, RegionSource, RoleRequest};
use crate::diagnose::{CLOCK_FIX, Call, Class, Diagnosis, diagnose, sts_error};
use crate::partition::sts_host;
use crate::proxy::ProxyConfig;
use crate::token::{CLUSTER_ID_HEADER, TokenRequest, generate};

/// Every check, in the order they run and are printed. The ids are part of the JSON
/// interface.
pub const CHECK_IDS: &[&str] = &[
    "credentials",
    "role",
    "region",
    "endpoint",
    "proxy",
    "caBundle",
    "sts",
    "clock",
    "cache",
    "kubeconfig",
];

/// Clock skew past which a warning is given.
pub const SKEW_WARN: Duration = Duration::from_secs(60);
/// Clock skew past which the check fails: STS refuses header-signed requests (AssumeRole,
/// SSO) more than 5 minutes off.
pub const SKEW_FAIL: Duration = Duration::from_secs(5 * 60);

/// What to check.
#[derive(Clone, Debug, Default)]
pub struct DoctorOptions {
    /// `-i`: the cluster ID (signed into the live check's token; selects cache entries).
    pub cluster_id: Option<String>,
    /// `-r`: a role to assume, as `token -r` would.
    pub role: Option<String>,
    /// `--region`, `--profile`.
    pub load: LoadOptions,
    /// `--offline`: no network call at all.
    pub offline: bool,
    /// The cache directory (default: [`cache::default_dir`]).
    pub cache_dir: Option<PathBuf>,
}

/// A check's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Status {
    /// Fine.
    Ok,
    /// Works, but something is doubtful.
    Warn,
    /// Broken: `token` would fail, or the server would refuse the token.
    Fail,
    /// Not run (offline, or an earlier check failed).
    Skipped,
}

impl Status {
    /// The mark printed in front of the line.
    pub fn mark(self) -> &'static str {
        match self {
            Status::Ok => "✓",
            Status::Warn => "⚠",
            Status::Fail => "✗",
            Status::Skipped => "-",
        }
    }
}

/// One check's result.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    /// One of [`CHECK_IDS`].
    pub id: &'static str,
    /// The outcome.
    pub status: Status,
    /// What was found.
    pub summary: String,
    /// What to do (empty when nothing is to be done).
    pub fix: String,
    /// Machine-readable facts (camelCase keys).
    pub details: Map<String, Value>,
}

impl Check {
    fn new(id: &'static str, status: Status, summary: impl Into<String>) -> Self {
        Check {
            id,
            status,
            summary: summary.into(),
            fix: String::new(),
            details: Map::new(),
        }
    }

    fn ok(id: &'static str, summary: impl Into<String>) -> Self {
        Self::new(id, Status::Ok, summary)
    }

    fn skipped(id: &'static str, why: impl Into<String>) -> Self {
        Self::new(id, Status::Skipped, why)
    }

    fn warn(id: &'static str, summary: impl Into<String>, fix: impl Into<String>) -> Self {
        Self::new(id, Status::Warn, summary).with_fix(fix)
    }

    fn fail(id: &'static str, summary: impl Into<String>, fix: impl Into<String>) -> Self {
        Self::new(id, Status::Fail, summary).with_fix(fix)
    }

    /// A failure worded by the classifier; its class goes into `details.class`.
    fn diagnosed(id: &'static str, prefix: &str, d: &Diagnosis) -> Self {
        Self::fail(id, format!("{prefix}{}", d.summary), d.fix.clone())
            .detail("class", d.class.name())
    }

    /// A failure from an error whose text is `problem; fix` (the credential errors that
    /// come before any call): the two halves go to `summary` and `fix`, so the text line
    /// reads exactly as `token`'s error.
    fn fail_text(id: &'static str, text: &str) -> Self {
        match text.split_once("; ") {
            Some((summary, fix)) => Self::fail(id, summary, fix),
            None => Self::fail(id, text, ""),
        }
    }

    fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = fix.into();
        self
    }

    fn detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.to_string(), value.into());
        self
    }

    /// The text line: mark, id, summary and (on warnings and failures) the fix.
    pub fn line(&self) -> String {
        if self.fix.is_empty() {
            format!("{} {}: {}", self.status.mark(), self.id, self.summary)
        } else {
            format!(
                "{} {}: {}; {}",
                self.status.mark(),
                self.id,
                self.summary,
                self.fix
            )
        }
    }
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The checks, in [`CHECK_IDS`] order.
    pub checks: Vec<Check>,
    /// No check failed.
    pub ok: bool,
}

impl Report {
    fn new(checks: Vec<Check>) -> Self {
        let ok = checks.iter().all(|c| c.status != Status::Fail);
        Report { checks, ok }
    }

    /// One line per check.
    pub fn text(&self) -> String {
        self.checks
            .iter()
            .map(Check::line)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The JSON report.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into())
    }

    /// How many checks failed.
    pub fn failures(&self) -> usize {
        self.checks
            .iter()
            .filter(|c| c.status == Status::Fail)
            .count()
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// How a timestamp relates to now, for humans: `in 42m`, `3m ago`.
fn relative(at: OffsetDateTime, now: OffsetDateTime) -> String {
    let secs = (at - now).whole_seconds();
    let words = |s: i64| {
        let s = s.unsigned_abs();
        if s >= 2 * 86_400 {
            format!("{}d", s / 86_400)
        } else if s >= 2 * 3600 {
            format!("{}h", s / 3600)
        } else if s >= 120 {
            format!("{}m", s / 60)
        } else {
            format!("{s}s")
        }
    };
    if secs >= 0 {
        format!("in {}", words(secs))
    } else {
        format!("{} ago", words(secs))
    }
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Where the credentials will come from, named without fetching them: the default
/// chain's order (environment, profile, web identity, container, IMDS), reading the
/// profile through aws-config's own parser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// Stable id: `environment`, `profileStatic`, `sso`, `credentialProcess`,
    /// `assumeRole`, `webIdentity`, `container`, `eksPodIdentity`, `imds`, `none`.
    pub kind: &'static str,
    /// In words.
    pub description: String,
    /// Whether fetching them needs a network call.
    pub needs_network: bool,
}

/// Names the credential source for the selected profile.
pub fn credential_source(aws: &AwsContext) -> Source {
    let source = |kind, description: String, needs_network| Source {
        kind,
        description,
        needs_network,
    };
    if env("AWS_ACCESS_KEY_ID").is_some() && env("AWS_SECRET_ACCESS_KEY").is_some() {
        let session = if env("AWS_SESSION_TOKEN").is_some() {
            " with AWS_SESSION_TOKEN"
        } else {
            ""
        };
        return source(
            "environment",
            format!("environment variables (AWS_ACCESS_KEY_ID{session})"),
            false,
        );
    }
    let name = aws.profile_name();
    if let Some(p) = aws.profiles().get_profile(name) {
        let of = format!("profile {name:?}");
        if let Some(role) = p.get("role_arn") {
            if p.get("web_identity_token_file").is_some() {
                return source(
                    "webIdentity",
                    format!("web identity for role {role} ({of})"),
                    true,
                );
            }
            let from = match (p.get("source_profile"), p.get("credential_source")) {
                (Some(src), _) => format!("source_profile {src:?}"),
                (None, Some(cs)) => format!("credential_source {cs}"),
                (None, None) => "no source_profile or credential_source".to_string(),
            };
            let mfa = if p.get("mfa_serial").is_some() {
                ", with MFA"
            } else {
                ""
            };
            return source(
                "assumeRole",
                format!("assume-role chain: role {role} from {from}{mfa} ({of})"),
                true,
            );
        }
        if let Some(session) = p.get("sso_session") {
            return source("sso", format!("SSO session {session:?} ({of})"), true);
        }
        if let Some(url) = p.get("sso_start_url") {
            return source("sso", format!("SSO at {url} ({of})"), true);
        }
        if let Some(cmd) = p.get("credential_process") {
            // The program only: arguments may carry secrets.
            let program = cmd.split_whitespace().next().unwrap_or_default();
            return source(
                "credentialProcess",
                format!("credential_process {program} ({of})"),
                false,
            );
        }
        if p.get("aws_access_key_id").is_some() {
            return source("profileStatic", format!("static keys in {of}"), false);
        }
    }
    if env("AWS_WEB_IDENTITY_TOKEN_FILE").is_some() && env("AWS_ROLE_ARN").is_some() {
        return source(
            "webIdentity",
            format!(
                "web identity (AWS_WEB_IDENTITY_TOKEN_FILE) for role {}",
                env("AWS_ROLE_ARN").unwrap_or_default()
            ),
            true,
        );
    }
    if let Some(full) = env("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
        // EKS Pod Identity's agent listens on these link-local addresses.
        if full.contains("169.254.170.23") || full.contains("fd00:ec2::23") {
            return source(
                "eksPodIdentity",
                "EKS Pod Identity agent (AWS_CONTAINER_CREDENTIALS_FULL_URI)".into(),
                true,
            );
        }
        return source(
            "container",
            "container credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI)".into(),
            true,
        );
    }
    if env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some() {
        return source(
            "container",
            "ECS task role (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)".into(),
            true,
        );
    }
    if !crate::credentials::imds_disabled() {
        return source("imds", "EC2 instance metadata (IMDS)".into(), true);
    }
    source(
        "none",
        "nothing: no keys in the environment, no usable profile, no web identity, container or IMDS".into(),
        false,
    )
}

/// Runs every check.
pub async fn run(options: &DoctorOptions) -> Report {
    let cluster = options.cluster_id.clone().filter(|c| !c.is_empty());
    let loaded = if options.offline {
        AwsContext::load_without_imds(&options.load).await
    } else {
        AwsContext::load(&options.load).await
    };
    let aws = match loaded {
        Ok(aws) => aws,
        Err(e) => return unloaded(&e, options),
    };

    let mut checks = Vec::new();
    let now = OffsetDateTime::now_utc();

    // Credentials.
    let source = credential_source(&aws);
    let mut creds: Option<Credentials> = None;
    let cred_check = if source.kind == "none" {
        let e = CredentialsError::NotFound {
            profile: aws.profile_name().to_string(),
            detail: String::new(),
        };
        Check::fail_text("credentials", &e.to_string())
    } else if options.offline && source.needs_network {
        Check::skipped(
            "credentials",
            format!("{} (not fetched: --offline)", source.description),
        )
    } else {
        match aws.base_credentials().await {
            Ok(c) => {
                let check = credentials_ok(&source, &c, now);
                creds = Some(c);
                check
            }
            Err(e) => credentials_failed(&e),
        }
    }
    .detail("source", source.kind)
    .detail("profile", aws.profile_name());
    checks.push(cred_check);

    // Role.
    checks.push(match (&options.role, &creds) {
        (None, _) => Check::skipped("role", "no role to assume (-r)"),
        (Some(role), _) if options.offline => Check::skipped(
            "role",
            format!("would assume {role} (not called: --offline)"),
        ),
        (Some(role), None) => {
            Check::skipped("role", format!("cannot assume {role} without credentials"))
        }
        (Some(role), Some(base)) => {
            let request = RoleRequest {
                role_arn: role.clone(),
                external_id: None,
                session_name: crate::credentials::SessionName::Default,
                duration: None,
            };
            match aws.assume_role(base, &request).await {
                Ok(assumed) => {
                    let expires = assumed.expiry().map(OffsetDateTime::from);
                    creds = Some(assumed);
                    let mut c = Check::ok(
                        "role",
                        format!(
                            "assumed {role}{}",
                            expires
                                .map(|e| format!(", session expires {}", relative(e, now)))
                                .unwrap_or_default()
                        ),
                    )
                    .detail("roleArn", role.as_str());
                    if let Some(e) = expires {
                        c = c.detail("expires", rfc3339(e));
                    }
                    c
                }
                Err(e) => {
                    creds = None;
                    match e.diagnosis() {
                        Some(d) if d.class == Class::AccessDenied => {
                            Check::diagnosed("role", "", d)
                        }
                        Some(d) => Check::diagnosed("role", &format!("cannot assume {role}: "), d),
                        None => Check::fail_text("role", &e.to_string()),
                    }
                    .detail("roleArn", role.as_str())
                }
            }
        }
    });

    checks.push(region_check(&aws));

    // Endpoint.
    let flavour = aws.flavour();
    let host = sts_host(aws.region(), flavour);
    checks.push(endpoint_check(&host, flavour));
    let host = host.ok();

    checks.push(proxy_check(host.as_deref()));
    checks.push(ca_check(&aws));

    // Live STS, and the clock from its Date header.
    let (sts, clock) = match (&host, &creds) {
        _ if options.offline => (
            Check::skipped("sts", "not called: --offline"),
            Check::skipped("clock", "not measured: --offline"),
        ),
        (None, _) => (
            Check::skipped("sts", "no STS endpoint (see endpoint)"),
            Check::skipped("clock", "STS was not reached"),
        ),
        (_, None) => (
            Check::skipped("sts", "no credentials to sign with"),
            Check::skipped("clock", "STS was not reached"),
        ),
        (Some(host), Some(creds)) => {
            live_sts(
                cluster.as_deref().unwrap_or("aws-iam-authenticator-doctor"),
                host,
                aws.region(),
                creds,
            )
            .await
        }
    };
    checks.push(sts);
    checks.push(clock);

    checks.push(cache_check(
        cluster.as_deref(),
        options.cache_dir.clone(),
        now,
    ));
    checks.push(kubeconfig_check());
    Report::new(checks)
}

/// The report when the AWS configuration itself does not load (unknown profile,
/// unreadable config or CA bundle): that check fails, the ones that need it are skipped.
fn unloaded(e: &CredentialsError, options: &DoctorOptions) -> Report {
    let failed_id = match e {
        CredentialsError::Http(_) => "caBundle",
        _ => "credentials",
    };
    let mut checks = Vec::new();
    for id in CHECK_IDS {
        let check = match *id {
            id if id == failed_id => Check::fail_text(id, &e.to_string()),
            "proxy" => proxy_check(None),
            "cache" => cache_check(
                options.cluster_id.as_deref(),
                options.cache_dir.clone(),
                OffsetDateTime::now_utc(),
            ),
            "kubeconfig" => kubeconfig_check(),
            id => Check::skipped(id, format!("needs the AWS configuration (see {failed_id})")),
        };
        checks.push(check);
    }
    Report::new(checks)
}

fn credentials_ok(source: &Source, c: &Credentials, now: OffsetDateTime) -> Check {
    let Some(expiry) = c.expiry().map(OffsetDateTime::from) else {
        let expiry = if c.session_token().is_some() {
            "their expiry is not known"
        } else {
            "long-term keys, they do not expire"
        };
        return Check::ok("credentials", format!("{}; {expiry}", source.description));
    };
    let left = expiry - now;
    let summary = format!(
        "{}; they expire {} ({})",
        source.description,
        relative(expiry, now),
        rfc3339(expiry)
    );
    let check = if left <= time::Duration::ZERO {
        Check::fail(
            "credentials",
            summary,
            "get fresh ones (`aws sso login`, or re-run what exported them)",
        )
    } else if left < time::Duration::minutes(15) {
        Check::warn(
            "credentials",
            summary,
            "tokens minted now live less than their usual 14 minutes; refresh the credentials soon",
        )
    } else {
        Check::ok("credentials", summary)
    };
    check.detail("expires", rfc3339(expiry))
}

fn credentials_failed(e: &CredentialsError) -> Check {
    match e.diagnosis() {
        Some(d) => Check::diagnosed("credentials", "failed to load AWS credentials: ", d),
        None => Check::fail_text("credentials", &e.to_string()),
    }
}

fn region_check(aws: &AwsContext) -> Check {
    let from = match aws.region_source() {
        RegionSource::Flag => "--region (or the config file)".to_string(),
        RegionSource::Environment if env("AWS_REGION").is_some() => "AWS_REGION".to_string(),
        RegionSource::Environment => "AWS_DEFAULT_REGION".to_string(),
        RegionSource::Profile => format!("profile {:?}", aws.profile_name()),
        RegionSource::Imds => "EC2 instance metadata".to_string(),
        RegionSource::Default => "nothing set it: the default".to_string(),
    };
    let source_id = match aws.region_source() {
        RegionSource::Flag => "flag",
        RegionSource::Environment if env("AWS_REGION").is_some() => "AWS_REGION",
        RegionSource::Environment => "AWS_DEFAULT_REGION",
        RegionSource::Profile => "profile",
        RegionSource::Imds => "imds",
        RegionSource::Default => "default",
    };
    Check::ok("region", format!("{} (from {from})", aws.region()))
        .detail("region", aws.region())
        .detail("source", source_id)
}

fn endpoint_check(
    host: &Result<String, crate::partition::EndpointError>,
    flavour: crate::partition::EndpointFlavour,
) -> Check {
    let host = match host {
        Ok(host) => host,
        Err(e) => {
            return Check::fail(
                "endpoint",
                e.to_string(),
                "set --region or AWS_REGION to a valid region",
            );
        }
    };
    let mut extras = Vec::new();
    if flavour.fips {
        extras.push("FIPS");
    }
    if flavour.dual_stack {
        extras.push("dual-stack");
    }
    let flavour_text = if extras.is_empty() {
        String::new()
    } else {
        format!(" ({})", extras.join(", "))
    };
    let check = match env("AWS_ENDPOINT_URL_STS").or_else(|| env("AWS_ENDPOINT_URL")) {
        Some(url) => Check::warn(
            "endpoint",
            format!(
                "tokens name {host}{flavour_text}, but AssumeRole and SSO calls go to {url} (AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL)"
            ),
            "that is fine for a test endpoint; the server verifies tokens at the host they name",
        ),
        None => Check::ok("endpoint", format!("tokens name {host}{flavour_text}")),
    };
    check
        .detail("host", host.as_str())
        .detail("fips", flavour.fips)
        .detail("dualStack", flavour.dual_stack)
}

fn proxy_check(host: Option<&str>) -> Check {
    let config = match ProxyConfig::from_env() {
        Ok(c) => c,
        Err(e) => {
            return Check::fail(
                "proxy",
                e.to_string(),
                "fix the variable, or unset it to connect directly",
            );
        }
    };
    let host = host.unwrap_or("sts.amazonaws.com");
    let url: http::Uri = match format!("https://{host}/").parse() {
        Ok(u) => u,
        Err(_) => return Check::skipped("proxy", format!("{host} is not a host name")),
    };
    match config.proxy_for(&url) {
        Ok(Some(proxy)) => {
            let shown = crate::aws_http::target_of(&proxy);
            Check::ok(
                "proxy",
                format!("{host} is reached through the proxy {shown} (HTTPS_PROXY)"),
            )
            .detail("proxy", shown)
        }
        Ok(None) => {
            let why = if env("HTTPS_PROXY").or_else(|| env("https_proxy")).is_some() {
                "NO_PROXY matches it"
            } else {
                "no HTTPS_PROXY"
            };
            Check::ok("proxy", format!("{host} is reached directly ({why})"))
                .detail("proxy", Value::Null)
        }
        Err(e) => Check::fail("proxy", e.to_string(), ""),
    }
}

fn ca_check(aws: &AwsContext) -> Check {
    if let Err(e) = tls_context() {
        return Check::fail("caBundle", e.to_string(), "");
    }
    let bundle = env(crate::aws_http::AWS_CA_BUNDLE);
    let cert_file = env("SSL_CERT_FILE");
    let cert_dir = env("SSL_CERT_DIR");
    let profile_bundle = aws
        .profiles()
        .get_profile(aws.profile_name())
        .and_then(|p| p.get("ca_bundle"))
        .map(str::to_string);
    let roots = match (&cert_file, &cert_dir) {
        (Some(f), _) => format!("SSL_CERT_FILE {f}"),
        (None, Some(d)) => format!("SSL_CERT_DIR {d}"),
        (None, None) => "the system trust store".to_string(),
    };
    let summary = match &bundle {
        Some(b) => format!("trusting {roots} plus AWS_CA_BUNDLE {b}"),
        None => format!("trusting {roots}"),
    };
    let check = match (&profile_bundle, &bundle) {
        (Some(p), None) => Check::warn(
            "caBundle",
            format!("{summary}; the profile's ca_bundle {p} is not read"),
            format!("export AWS_CA_BUNDLE={p}"),
        ),
        _ => Check::ok("caBundle", summary),
    };
    check
        .detail("awsCaBundle", bundle)
        .detail("sslCertFile", cert_file)
        .detail("profileCaBundle", profile_bundle)
}

/// Sends the token's presigned `GetCallerIdentity` to STS as the server will (with the
/// cluster ID header), and measures the clock against the answer's `Date`.
async fn live_sts(cluster: &str, host: &str, region: &str, creds: &Credentials) -> (Check, Check) {
    let not_reached = || Check::skipped("clock", "STS was not reached");
    let token = match generate(&TokenRequest {
        cluster_id: cluster,
        host,
        region,
        credentials: creds,
        signing_time: SystemTime::now(),
    }) {
        Ok(t) => t,
        Err(e) => return (Check::fail("sts", e.to_string(), ""), not_reached()),
    };
    let Some(url) = decode_token(&token.token) else {
        return (
            Check::fail("sts", "cannot decode the minted token", ""),
            not_reached(),
        );
    };
    let tls = match tls_context() {
        Ok(t) => t,
        Err(e) => return (Check::fail("sts", e.to_string(), ""), not_reached()),
    };
    let conn = connector(&tls, &ConnectorOptions::default());
    let request = http::Request::builder()
        .method("GET")
        .uri(&url)
        .header(CLUSTER_ID_HEADER, cluster)
        .header("accept", "application/json")
        .body(aws_smithy_types::body::SdkBody::empty());
    let request = match request.map_err(|e| e.to_string()).and_then(|r| {
        aws_smithy_runtime_api::client::orchestrator::HttpRequest::try_from(r)
            .map_err(|e| e.to_string())
    }) {
        Ok(r) => r,
        Err(e) => return (Check::fail("sts", e, ""), not_reached()),
    };
    use aws_smithy_runtime_api::client::http::HttpConnector;
    let sent = SystemTime::now();
    let response = match tokio::time::timeout(Duration::from_secs(20), conn.call(request)).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            let d = diagnose(&e, Call::GetCallerIdentity);
            return (Check::diagnosed("sts", "", &d), not_reached());
        }
        Err(_) => {
            return (
                Check::fail(
                    "sts",
                    format!("timed out after 20s waiting for {host}"),
                    "check the network and HTTPS_PROXY",
                )
                .detail("class", Class::Timeout.name()),
                not_reached(),
            );
        }
    };
    let received = SystemTime::now();
    let status = response.status().as_u16();
    let date = response.headers().get("date").and_then(httpdate);
    let body = match aws_smithy_types::byte_stream::ByteStream::new(response.into_body())
        .collect()
        .await
    {
        Ok(b) => b.into_bytes(),
        Err(e) => {
            let d = diagnose(&e, Call::GetCallerIdentity);
            return (Check::diagnosed("sts", "", &d), not_reached());
        }
    };
    let clock = clock_check(date, sent, received);
    let sts = if status == 200 {
        match crate::token::sts_response::parse_sts_response(
            200,
            &body,
            region,
            crate::token::sts_response::ResponseFormat::Json,
        ) {
            Ok(caller) => {
                let canonical =
                    crate::arn::canonicalize(&caller.arn).unwrap_or_else(|e| format!("({e})"));
                Check::ok(
                    "sts",
                    format!(
                        "{host} accepts the token: the server will see {} and map {canonical}",
                        caller.arn
                    ),
                )
                .detail("arn", caller.arn.as_str())
                .detail("canonicalArn", canonical)
                .detail("account", caller.account.as_str())
                .detail("host", host)
            }
            Err(e) => Check::fail("sts", e.to_string(), ""),
        }
    } else {
        let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let code = parsed["Error"]["Code"].as_str().unwrap_or_default();
        let message = parsed["Error"]["Message"].as_str().unwrap_or_default();
        let d = if code.is_empty() {
            Diagnosis {
                class: Class::StsError,
                summary: format!("{host} answered HTTP {status} to the token"),
                fix: String::new(),
            }
        } else {
            sts_error(code, message, Call::GetCallerIdentity)
        };
        Check::diagnosed("sts", "", &d)
            .detail("httpStatus", status)
            .detail("errorCode", code)
    };
    (sts, clock)
}

fn decode_token(token: &str) -> Option<String> {
    use base64::Engine;
    let b64 = token.strip_prefix(crate::token::TOKEN_PREFIX)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(b64)
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// An HTTP `Date` (IMF-fixdate, `Wed, 02 Dec 2026 03:00:00 GMT`).
fn httpdate(text: &str) -> Option<SystemTime> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let at = time::PrimitiveDateTime::parse(text, format).ok()?;
    Some(SystemTime::from(at.assume_utc()))
}

/// Compares STS's `Date` with the middle of the request (the header has one-second
/// resolution, so up to a second or two of difference is noise).
pub fn clock_check(date: Option<SystemTime>, sent: SystemTime, received: SystemTime) -> Check {
    let Some(date) = date else {
        return Check::skipped("clock", "STS's answer had no Date header");
    };
    let half = received.duration_since(sent).unwrap_or_default() / 2;
    let local = sent + half;
    let (skew, ahead) = match date.duration_since(local) {
        Ok(d) => (d, false),
        Err(e) => (e.duration(), true),
    };
    let secs = skew.as_secs();
    let direction = if ahead { "ahead of" } else { "behind" };
    let summary = if secs < 2 {
        "this machine's clock matches STS's (within 2s)".to_string()
    } else {
        format!("this machine's clock is {secs}s {direction} STS's")
    };
    let check = if skew > SKEW_FAIL {
        Check::fail("clock", summary, CLOCK_FIX).detail("class", Class::ClockSkew.name())
    } else if skew > SKEW_WARN {
        Check::warn("clock", summary, CLOCK_FIX).detail("class", Class::ClockSkew.name())
    } else {
        Check::ok("clock", summary)
    };
    let signed = i64::try_from(secs).unwrap_or(i64::MAX);
    check.detail("skewSeconds", if ahead { signed } else { -signed })
}

fn cache_check(cluster: Option<&str>, dir: Option<PathBuf>, now: OffsetDateTime) -> Check {
    let dir = match dir.map(Ok).unwrap_or_else(cache::default_dir) {
        Ok(d) => d,
        Err(e) => return Check::warn("cache", e.to_string(), ""),
    };
    let shown = dir.display().to_string();
    if !dir.exists() {
        return Check::ok(
            "cache",
            format!("no cache at {shown} (`token --cache` creates it)"),
        )
        .detail("dir", shown)
        .detail("entries", 0);
    }
    // Opening checks that the directory is private, as `token --cache` does.
    let cache = match Cache::open(dir, Storage::File) {
        Ok(c) => c,
        Err(e) => {
            return Check::warn(
                "cache",
                format!("`token --cache` cannot use it: {e}"),
                "tokens are minted uncached until this is fixed",
            )
            .detail("dir", shown);
        }
    };
    let entries = match cache.list() {
        Ok(e) => e,
        Err(e) => return Check::warn("cache", e.to_string(), "").detail("dir", shown),
    };
    let Some(cluster) = cluster else {
        return Check::ok(
            "cache",
            format!(
                "{} entries in {shown} (give -i to see this cluster's)",
                entries.len()
            ),
        )
        .detail("dir", shown)
        .detail("entries", entries.len());
    };
    let tokens: Vec<_> = entries
        .iter()
        .filter(|e| e.kind == Kind::Token && e.label.cluster_id.as_deref() == Some(cluster))
        .collect();
    let sessions = entries
        .iter()
        .filter(|e| e.kind == Kind::Credentials)
        .count();
    let listed: Vec<Value> = tokens
        .iter()
        .map(|e| {
            json!({
                "key": e.key, "expires": rfc3339(e.expires),
                "profile": e.label.profile, "role": e.label.role, "region": e.label.region,
            })
        })
        .collect();
    let summary = match tokens.iter().map(|e| e.expires).max() {
        None => format!(
            "no cached token for cluster {cluster:?} in {shown}; {sessions} cached session(s)"
        ),
        Some(latest) => format!(
            "{} cached token(s) for cluster {cluster:?} in {shown}, the latest expiring {}; {sessions} cached session(s)",
            tokens.len(),
            relative(latest, now)
        ),
    };
    Check::ok("cache", summary)
        .detail("dir", shown)
        .detail("tokens", Value::Array(listed))
        .detail("sessions", sessions)
}

/// The kubeconfig's exec users (`KUBECONFIG`'s first file, else `~/.kube/config`), as
/// `kubeconfig::detect` classifies them: this binary, upstream's, or `aws eks get-token`.
fn kubeconfig_check() -> Check {
    use crate::kubeconfig::{ExecKind, resolve_path, scan};
    let path = match resolve_path(None) {
        Ok(p) => p,
        Err(e) => return Check::skipped("kubeconfig", e.to_string()),
    };
    let shown = path.display().to_string();
    if !path.exists() {
        return Check::skipped("kubeconfig", format!("no kubeconfig at {shown}"))
            .detail("path", shown);
    }
    let users = match scan(&path) {
        Ok(u) => u,
        Err(e) => {
            return Check::warn(
                "kubeconfig",
                e.to_string(),
                "kubectl cannot load it either: fix the file",
            )
            .detail("path", shown);
        }
    };
    let kind_name = |k: ExecKind| match k {
        ExecKind::ThisBinary => "thisBinary",
        ExecKind::Upstream => "upstream",
        ExecKind::AwsCli => "awsCli",
        ExecKind::Other => "other",
    };
    let listed: Vec<Value> = users
        .iter()
        .map(|u| json!({"name": u.name, "kind": kind_name(u.kind), "command": u.command}))
        .collect();
    let named = |kind: ExecKind| -> Vec<&str> {
        users
            .iter()
            .filter(|u| u.kind == kind)
            .map(|u| u.name.as_str())
            .collect()
    };
    let (ours, upstream, awscli) = (
        named(ExecKind::ThisBinary),
        named(ExecKind::Upstream),
        named(ExecKind::AwsCli),
    );
    let check = if !upstream.is_empty() || !awscli.is_empty() {
        let mut parts = Vec::new();
        if !upstream.is_empty() {
            parts.push(format!(
                "{} run another aws-iam-authenticator",
                upstream.join(", ")
            ));
        }
        if !awscli.is_empty() {
            parts.push(format!("{} run `aws eks get-token`", awscli.join(", ")));
        }
        Check::warn(
            "kubeconfig",
            format!("in {shown}: {}", parts.join("; ")),
            "`aws-iam-authenticator kubeconfig migrate` rewrites them to run this binary",
        )
    } else if ours.is_empty() {
        Check::ok(
            "kubeconfig",
            format!("no user in {shown} runs an AWS credential plugin"),
        )
    } else {
        Check::ok(
            "kubeconfig",
            format!("in {shown}: {} run this binary", ours.join(", ")),
        )
    };
    check
        .detail("path", shown)
        .detail("users", Value::Array(listed))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn clock_skew_thresholds() {
        let now = SystemTime::now();
        let at = |secs: i64| {
            if secs >= 0 {
                now + Duration::from_secs(secs.unsigned_abs())
            } else {
                now - Duration::from_secs(secs.unsigned_abs())
            }
        };
        assert_eq!(clock_check(Some(at(3)), now, now).status, Status::Ok);
        let warn = clock_check(Some(at(-120)), now, now);
        assert_eq!(warn.status, Status::Warn);
        assert_eq!(warn.summary, "this machine's clock is 120s ahead of STS's");
        let fail = clock_check(Some(at(600)), now, now);
        assert_eq!(fail.status, Status::Fail);
        assert_eq!(fail.details["skewSeconds"], json!(-600));
        assert_eq!(fail.fix, CLOCK_FIX);
        assert_eq!(clock_check(None, now, now).status, Status::Skipped);
    }

    #[test]
    fn http_dates_parse() {
        let t = OffsetDateTime::from(httpdate("Wed, 02 Dec 2026 03:00:00 GMT").unwrap());
        assert_eq!(rfc3339(t), "2026-12-02T03:00:00Z");
    }

    #[test]
    fn lines_and_json_shape() {
        let report = Report::new(vec![
            Check::ok("region", "us-west-2 (from AWS_REGION)").detail("source", "AWS_REGION"),
            Check::fail("sts", "bad", "fix it"),
        ]);
        assert!(!report.ok);
        assert_eq!(report.failures(), 1);
        assert_eq!(
            report.text(),
            "✓ region: us-west-2 (from AWS_REGION)\n✗ sts: bad; fix it"
        );
        let v: Value = serde_json::from_str(&report.json()).unwrap();
        assert_eq!(v["ok"], json!(false));
        assert_eq!(v["checks"][0]["status"], json!("ok"));
        assert_eq!(v["checks"][1]["status"], json!("fail"));
        assert_eq!(v["checks"][0]["details"]["source"], json!("AWS_REGION"));
    }

    #[test]
    fn relative_times() {
        let now = OffsetDateTime::now_utc();
        assert_eq!(relative(now + time::Duration::minutes(42), now), "in 42m");
        assert_eq!(relative(now - time::Duration::seconds(30), now), "30s ago");
        assert_eq!(relative(now + time::Duration::hours(5), now), "in 5h");
    }
}
