//! Why a token was refused: one typed variant per rejection reason.
//!
//! Mirrors the error types of upstream's `pkg/token` (`FormatError`, `STSError`,
//! `STSThrottling`). Upstream only has strings; here every reason is its own variant so
//! that callers (the webhook, metrics, tests) can match on it, while `Display` still
//! gives upstream's exact text, including the `input token was not properly formatted: `
//! prefix that upstream's `FormatError` adds. Variants that exist only because this
//! port is stricter than upstream say so in their docs and in
//! [`TokenError::is_stricter_than_upstream`].
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::error::Error;
use std::fmt;

use time::OffsetDateTime;

use crate::gofmt::{go_quote, go_quote_bytes, go_time_string};
use crate::partition::Partition;

/// Upstream's `FormatError` prefix.
const FORMAT_PREFIX: &str = "input token was not properly formatted: ";

/// Why a token was rejected before any network call.
///
/// The variants are listed in the order upstream's `tokenVerifier.Verify` performs the
/// checks; [`crate::token::verify::Verifier::check`] reports the first that applies.
/// `Display` is upstream's exact text (all but [`TokenError::HostTooFewLabels`] carry the
/// `input token was not properly formatted: ` prefix, as upstream's `FormatError` does).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// The token is longer than the configured maximum (upstream: 4096 bytes, prefix included).
    TooLarge,
    /// The token does not start with `k8s-aws-v1.`.
    MissingPrefix,
    /// The token body is not unpadded URL-safe base64. `offset` is the index, within the
    /// part after the prefix, that Go's decoder reports.
    Base64 {
        /// Byte offset Go's `CorruptInputError` would report.
        offset: usize,
    },
    /// Go's `url.Parse` rejects the decoded URL.
    Url {
        /// The text Go quotes in its error: the URL without its fragment, or the whole
        /// URL for an error in the fragment.
        url: Vec<u8>,
        /// What `url.Parse` objected to.
        error: UrlError,
    },
    /// Stricter than upstream: the decoded URL contains a control character (in the
    /// fragment, where Go does not look), a space, or a non-ASCII byte. A presigned URL
    /// from any AWS SDK is plain printable ASCII.
    ForbiddenUrlByte {
        /// Offset of the first offending byte in the decoded URL.
        offset: usize,
        /// The offending byte.
        byte: u8,
    },
    /// The scheme (lowercased, as Go does) is not `https`.
    UnexpectedScheme {
        /// The scheme found, lowercased; empty when there is none.
        scheme: String,
    },
    /// Stricter than upstream: the authority carries userinfo (`user@host`). Go would
    /// accept it and forward the credentials to STS as Basic auth.
    Userinfo,
    /// Stricter than upstream: the host carries a port. Upstream rejects this too, but
    /// only as an "unexpected hostname".
    HostPort {
        /// The host, port included.
        host: String,
    },
    /// Stricter than upstream: the host contains a `%` escape.
    HostPercentEncoded {
        /// The host as written.
        host: String,
    },
    /// Stricter than upstream: the host contains an uppercase letter. Go does not fold
    /// the host's case, and the SDK endpoint resolver echoes the region's case back, so
    /// upstream accepts `sts.US-WEST-2.amazonaws.com`.
    HostUppercase {
        /// The host as written.
        host: String,
    },
    /// Stricter than upstream: the host ends with a dot.
    HostTrailingDot {
        /// The host as written.
        host: String,
    },
    /// The URL has no host (upstream's `getStsRegion` "host is empty").
    HostEmpty,
    /// The host has fewer than three labels (upstream's `getStsRegion`).
    HostFormat {
        /// The host as written.
        host: String,
    },
    /// `sts.amazonaws.com` was used outside the `aws` partition.
    GlobalEndpointUnsupported {
        /// The server's partition.
        partition: Partition,
    },
    /// The region label of the host fails upstream's
    /// `^[[:alnum:]]([[:alnum:]\-]*[[:alnum:]])?$`.
    InvalidRegion {
        /// The second label of the host.
        region: String,
    },
    /// The host is neither one of the SDK's STS endpoints for its region nor the
    /// fallback built from the server's own region.
    UnexpectedHostname {
        /// The host as written.
        host: String,
    },
    /// Upstream's plain (non-`FormatError`) "too few labels" error, reachable only if the
    /// SDK resolver ever returned a three-label regional host. Its `Display` has no
    /// `input token was not properly formatted: ` prefix, exactly as upstream.
    HostTooFewLabels {
        /// The host as written.
        host: String,
    },
    /// The host is an STS endpoint, but of another partition.
    PartitionMismatch {
        /// The server's partition.
        partition: Partition,
        /// The host as written.
        host: String,
    },
    /// Stricter than upstream: the host passed upstream's checks, but its region label
    /// does not match the partition's region pattern from the SDK's partition metadata
    /// ([`Partition::region_regex`]). Upstream accepts any well-formed label, so
    /// `sts.s3.amazonaws.com` (an S3 bucket endpoint) would be called. The server's
    /// own region (the fallback host) is exempt.
    RegionNotInPartition {
        /// The region label of the host.
        region: String,
        /// The server's partition.
        partition: Partition,
    },
    /// The path is not exactly `/`.
    UnexpectedPath,
    /// Stricter than upstream: the URL has a `#` fragment (Go drops it silently).
    Fragment,
    /// Go's `url.ParseQuery` fails: a bad `%` escape, or a `;` in the query.
    MalformedQuery,
    /// Stricter than upstream: a query key or value is not UTF-8 once percent-decoded.
    /// Go keeps such bytes; STS could never accept them.
    QueryNotUtf8,
    /// Two query keys differ only in case (the CVE-2022-2385 check).
    DuplicateParameter {
        /// The key seen second.
        key: String,
    },
    /// A query key (ASCII-lowercased) is not in upstream's allow-list.
    NonWhitelistedParameter {
        /// The key as written (percent-decoded).
        key: String,
    },
    /// A query key appears more than once with the same case.
    MultipleValues,
    /// `Action` is not exactly `GetCallerIdentity`.
    UnexpectedAction,
    /// `X-Amz-SignedHeaders` does not list `x-k8s-aws-id`.
    ClusterIdHeaderNotSigned,
    /// Stricter than upstream: `X-Amz-SignedHeaders` lists `x-k8s-aws-id` more than once.
    ClusterIdHeaderSignedTwice,
    /// `X-Amz-Expires` is missing, not an integer, or outside `0..=900`.
    InvalidExpires {
        /// The value Go's `strconv.Atoi` yields: 0 on a syntax error, the clamped value on
        /// overflow, the number otherwise.
        value: i64,
    },
    /// `X-Amz-Date` is missing or empty.
    MissingDate,
    /// `X-Amz-Date` does not parse as `20060102T150405Z`.
    DateParse {
        /// The parameter's value.
        date: String,
        /// Go's `time.Parse` error text.
        reason: String,
    },
    /// `X-Amz-Date` is more than 15 minutes in the past.
    Expired {
        /// When the URL was signed.
        signed_at: OffsetDateTime,
    },
    /// Stricter than upstream: `X-Amz-Date` is more than 5 minutes in the future.
    DateInFuture {
        /// When the URL claims to have been signed.
        signed_at: OffsetDateTime,
    },
    /// Stricter than upstream: `X-Amz-Algorithm`, `X-Amz-Credential` or
    /// `X-Amz-Signature` is missing or empty. Every SigV4 presigned URL carries all
    /// three; without them STS can only refuse, so the call is not made.
    MissingSigningParameter {
        /// The parameter's canonical name.
        name: &'static str,
    },
}

/// What Go's `url.Parse` objected to, with Go's wording.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UrlError {
    /// A byte below 0x20, or 0x7f.
    ControlCharacter,
    /// The URL starts with `:`.
    MissingScheme,
    /// A scheme-less URL whose first path segment has a `:`.
    FirstPathSegmentColon,
    /// An IP-literal host without its closing `]`.
    MissingBracket,
    /// What follows the host's last `:` is not a port.
    InvalidPort {
        /// The offending `:port` text.
        port: Vec<u8>,
    },
    /// A malformed `%` escape (or, in the host, an escape of an ASCII byte).
    InvalidEscape {
        /// Up to three bytes starting at the `%`.
        escape: Vec<u8>,
    },
    /// A byte not allowed in a host name.
    InvalidHostCharacter {
        /// The offending byte.
        byte: u8,
    },
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::ControlCharacter => f.write_str("net/url: invalid control character in URL"),
            UrlError::MissingScheme => f.write_str("missing protocol scheme"),
            UrlError::FirstPathSegmentColon => {
                f.write_str("first path segment in URL cannot contain colon")
            }
            UrlError::MissingBracket => f.write_str("missing ']' in host"),
            UrlError::InvalidPort { port } => {
                write!(f, "invalid port {} after host", go_quote_bytes(port))
            }
            UrlError::InvalidEscape { escape } => {
                write!(f, "invalid URL escape {}", go_quote_bytes(escape))
            }
            UrlError::InvalidHostCharacter { byte } => write!(
                f,
                "invalid character {} in host name",
                go_quote_bytes(std::slice::from_ref(byte))
            ),
        }
    }
}

impl Error for UrlError {}

impl TokenError {
    /// True for the rejections upstream v0.7.18 does not make (or makes only under a
    /// vaguer message): the deliberate strictness of this port.
    pub fn is_stricter_than_upstream(&self) -> bool {
        matches!(
            self,
            TokenError::ForbiddenUrlByte { .. }
                | TokenError::Userinfo
                | TokenError::HostPort { .. }
                | TokenError::HostPercentEncoded { .. }
                | TokenError::HostUppercase { .. }
                | TokenError::HostTrailingDot { .. }
                | TokenError::Fragment
                | TokenError::QueryNotUtf8
                | TokenError::ClusterIdHeaderSignedTwice
                | TokenError::DateInFuture { .. }
                | TokenError::RegionNotInPartition { .. }
                | TokenError::MissingSigningParameter { .. }
        )
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let TokenError::HostTooFewLabels { host } = self {
            return write!(f, "invalid host format, too few labels: {host}");
        }
        f.write_str(FORMAT_PREFIX)?;
        match self {
            TokenError::TooLarge => f.write_str("token is too large"),
            TokenError::MissingPrefix => {
                f.write_str("token is missing expected \"k8s-aws-v1.\" prefix")
            }
            TokenError::Base64 { offset } => {
                write!(f, "illegal base64 data at input byte {offset}")
            }
            TokenError::Url { url, error } => {
                write!(f, "parse {}: {error}", go_quote_bytes(url))
            }
            TokenError::ForbiddenUrlByte { offset, byte } => write!(
                f,
                "pre-signed URL contains forbidden byte 0x{byte:02x} at offset {offset} \
                 (control characters, spaces and non-ASCII bytes are not allowed)"
            ),
            TokenError::UnexpectedScheme { scheme } => write!(
                f,
                "unexpected scheme {} in pre-signed URL",
                go_quote(scheme)
            ),
            TokenError::Userinfo => f.write_str("unexpected userinfo in pre-signed URL host"),
            TokenError::HostPort { host } => {
                write!(
                    f,
                    "unexpected port in pre-signed URL host {}",
                    go_quote(host)
                )
            }
            TokenError::HostPercentEncoded { host } => write!(
                f,
                "unexpected percent-encoding in pre-signed URL host {}",
                go_quote(host)
            ),
            TokenError::HostUppercase { host } => write!(
                f,
                "pre-signed URL host {} must be lowercase",
                go_quote(host)
            ),
            TokenError::HostTrailingDot { host } => write!(
                f,
                "pre-signed URL host {} must not end with a dot",
                go_quote(host)
            ),
            TokenError::HostEmpty => {
                f.write_str("could not parse region for pre-signed URL , host is empty")
            }
            TokenError::HostFormat { host } => write!(
                f,
                "could not parse region for pre-signed URL {host}, invalid host format: {host}"
            ),
            TokenError::GlobalEndpointUnsupported { partition } => {
                write!(f, "global endpoint unsupported in partition {partition}")
            }
            TokenError::InvalidRegion { region } => {
                write!(f, "invalid region identifier format provided: {region}")
            }
            TokenError::UnexpectedHostname { host } => {
                write!(
                    f,
                    "unexpected hostname {} in pre-signed URL",
                    go_quote(host)
                )
            }
            TokenError::HostTooFewLabels { .. } => Ok(()),
            TokenError::PartitionMismatch { partition, host } => {
                write!(
                    f,
                    "partition {{{partition}}} does not support hostname {host}"
                )
            }
            TokenError::RegionNotInPartition { region, partition } => write!(
                f,
                "region {} of the pre-signed URL host is not a region of partition \
                 {partition} (must match {})",
                go_quote(region),
                partition.region_regex()
            ),
            TokenError::UnexpectedPath => f.write_str("unexpected path in pre-signed URL"),
            TokenError::Fragment => f.write_str("unexpected fragment in pre-signed URL"),
            TokenError::MalformedQuery => f.write_str("malformed query parameter"),
            TokenError::QueryNotUtf8 => {
                f.write_str("malformed query parameter: not UTF-8 once percent-decoded")
            }
            TokenError::DuplicateParameter { key } => {
                write!(f, "duplicate query parameter found: {}", go_quote(key))
            }
            TokenError::NonWhitelistedParameter { key } => {
                write!(f, "non-whitelisted query parameter {}", go_quote(key))
            }
            TokenError::MultipleValues => {
                f.write_str("query parameter with multiple values not supported")
            }
            TokenError::UnexpectedAction => {
                f.write_str("unexpected action parameter in pre-signed URL")
            }
            TokenError::ClusterIdHeaderNotSigned => {
                f.write_str("client did not sign the x-k8s-aws-id header in the pre-signed URL")
            }
            TokenError::ClusterIdHeaderSignedTwice => f.write_str(
                "client listed the x-k8s-aws-id header more than once in X-Amz-SignedHeaders",
            ),
            TokenError::InvalidExpires { value } => {
                write!(
                    f,
                    "invalid X-Amz-Expires parameter in pre-signed URL: {value}"
                )
            }
            TokenError::MissingDate => {
                f.write_str("X-Amz-Date parameter must be present in pre-signed URL")
            }
            TokenError::DateParse { date, reason } => write!(
                f,
                "error parsing X-Amz-Date parameter {date} into format 20060102T150405Z: {reason}"
            ),
            TokenError::Expired { signed_at } => write!(
                f,
                "X-Amz-Date parameter is expired (15 minute expiration) {}",
                go_time_string(*signed_at)
            ),
            TokenError::DateInFuture { signed_at } => write!(
                f,
                "X-Amz-Date parameter is in the future (more than 5 minutes ahead of this \
                 server's clock) {}",
                go_time_string(*signed_at)
            ),
            TokenError::MissingSigningParameter { name } => {
                write!(f, "{name} parameter must be present in pre-signed URL")
            }
        }
    }
}

impl Error for TokenError {}

/// The `result` label values of upstream's `authenticate_latency_seconds` that a
/// [`VerifyError`] maps to (see [`VerifyError::metric_result`]). Defined here, once; the
/// server's metrics re-export them beside the labels that are its own.
pub mod metric_label {
    /// A pre-STS check failed.
    pub const INVALID_TOKEN: &str = "invalid_token";
    /// STS failed or refused.
    pub const STS_ERROR: &str = "sts_error";
    /// STS throttled us.
    pub const STS_THROTTLING: &str = "sts_throttling";
}

/// Why verification failed as a whole: before STS ([`VerifyError::Format`]) or at STS.
///
/// The split matters to the webhook: throttling is answered with HTTP 429, everything
/// else with 403, and the metric label differs (see [`VerifyError::metric_result`]).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum VerifyError {
    /// The token failed a local check; STS was not called.
    Format(TokenError),
    /// STS could not be reached (transport error or timeout). Upstream's
    /// `sts getCallerIdentity failed: error during GET: <message> on <region> endpoint`.
    StsConnection {
        /// `global` or the region label of the STS host.
        region: String,
        /// The transport error.
        message: String,
    },
    /// STS answered non-200 with a body mentioning `Throttling`.
    StsThrottled {
        /// The response body (truncated to 1 KiB).
        body: String,
    },
    /// STS answered with another non-200 status.
    StsStatus {
        /// The HTTP status code.
        status: u16,
        /// `global` or the region label of the STS host.
        region: String,
        /// The response body (truncated to 1 KiB).
        body: String,
    },
    /// STS answered 200 but the body or the identity in it is unusable (unparsable
    /// JSON/XML, an invalid ARN, a malformed `UserId`).
    StsResponse(String),
    /// STS's answer was longer than the cap; reading stopped there.
    StsResponseTooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
    /// Not sent: every STS slot is in use and the queue of requests waiting for one is
    /// full. The webhook answers 429 with `Retry-After`, as for STS throttling, rather
    /// than holding ever more requests.
    StsBusy {
        /// STS calls allowed at once.
        in_flight: usize,
        /// Requests allowed to wait for a slot.
        waiting: usize,
    },
}

impl VerifyError {
    /// True when STS throttled the request, or the server's own STS queue is full (the
    /// webhook answers 429).
    pub fn is_throttling(&self) -> bool {
        matches!(
            self,
            VerifyError::StsThrottled { .. } | VerifyError::StsBusy { .. }
        )
    }

    /// Label for upstream's `authenticate_latency_seconds{result}`:
    /// [`metric_label::INVALID_TOKEN`] for [`VerifyError::Format`],
    /// [`metric_label::STS_THROTTLING`] for throttling, else [`metric_label::STS_ERROR`].
    pub fn metric_result(&self) -> &'static str {
        match self {
            VerifyError::Format(_) => metric_label::INVALID_TOKEN,
            VerifyError::StsThrottled { .. } | VerifyError::StsBusy { .. } => {
                metric_label::STS_THROTTLING
            }
            _ => metric_label::STS_ERROR,
        }
    }
}

impl From<TokenError> for VerifyError {
    fn from(e: TokenError) -> Self {
        VerifyError::Format(e)
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::Format(e) => e.fmt(f),
            VerifyError::StsConnection { region, message } => write!(
                f,
                "sts getCallerIdentity failed: error during GET: {message} on {region} endpoint"
            ),
            VerifyError::StsThrottled { body } => {
                write!(f, "sts getCallerIdentity was throttled: {body}")
            }
            VerifyError::StsStatus {
                status,
                region,
                body,
            } => write!(
                f,
                "sts getCallerIdentity failed: error from AWS (expected 200, got {status}) on \
                 {region} endpoint. Body: {body}"
            ),
            VerifyError::StsResponse(message) => {
                write!(f, "sts getCallerIdentity failed: {message}")
            }
            VerifyError::StsResponseTooLarge { limit } => write!(
                f,
                "sts getCallerIdentity failed: response larger than {limit} bytes"
            ),
            VerifyError::StsBusy { in_flight, waiting } => write!(
                f,
                "sts getCallerIdentity not attempted: all {in_flight} STS slots are busy and \
                 {waiting} requests are already waiting"
            ),
        }
    }
}

impl Error for VerifyError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            VerifyError::Format(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use time::macros::datetime;

    /// One row per variant: the exact text, and whether it is one of this port's
    /// deliberate strictnesses.
    #[test]
    fn every_token_error_message() {
        let p = "input token was not properly formatted: ";
        let date = datetime!(1990-04-22 01:02:03 UTC);
        let cases: Vec<(TokenError, String, bool)> = vec![
            (
                TokenError::TooLarge,
                format!("{p}token is too large"),
                false,
            ),
            (
                TokenError::MissingPrefix,
                format!("{p}token is missing expected \"k8s-aws-v1.\" prefix"),
                false,
            ),
            (
                TokenError::Base64 { offset: 12 },
                format!("{p}illegal base64 data at input byte 12"),
                false,
            ),
            (
                TokenError::Url {
                    url: b":ab:cd.af:/asda".to_vec(),
                    error: UrlError::MissingScheme,
                },
                format!("{p}parse \":ab:cd.af:/asda\": missing protocol scheme"),
                false,
            ),
            (
                TokenError::ForbiddenUrlByte {
                    offset: 5,
                    byte: b' ',
                },
                format!(
                    "{p}pre-signed URL contains forbidden byte 0x20 at offset 5 (control \
                     characters, spaces and non-ASCII bytes are not allowed)"
                ),
                true,
            ),
            (
                TokenError::UnexpectedScheme {
                    scheme: "http".into(),
                },
                format!("{p}unexpected scheme \"http\" in pre-signed URL"),
                false,
            ),
            (
                TokenError::Userinfo,
                format!("{p}unexpected userinfo in pre-signed URL host"),
                true,
            ),
            (
                TokenError::HostPort {
                    host: "sts.amazonaws.com:443".into(),
                },
                format!("{p}unexpected port in pre-signed URL host \"sts.amazonaws.com:443\""),
                true,
            ),
            (
                TokenError::HostPercentEncoded {
                    host: "a%41".into(),
                },
                format!("{p}unexpected percent-encoding in pre-signed URL host \"a%41\""),
                true,
            ),
            (
                TokenError::HostUppercase { host: "STS".into() },
                format!("{p}pre-signed URL host \"STS\" must be lowercase"),
                true,
            ),
            (
                TokenError::HostTrailingDot { host: "a.".into() },
                format!("{p}pre-signed URL host \"a.\" must not end with a dot"),
                true,
            ),
            (
                TokenError::HostEmpty,
                format!("{p}could not parse region for pre-signed URL , host is empty"),
                false,
            ),
            (
                TokenError::HostFormat {
                    host: "google.com".into(),
                },
                format!(
                    "{p}could not parse region for pre-signed URL google.com, invalid host \
                     format: google.com"
                ),
                false,
            ),
            (
                TokenError::GlobalEndpointUnsupported {
                    partition: Partition::AwsCn,
                },
                format!("{p}global endpoint unsupported in partition aws-cn"),
                false,
            ),
            (
                TokenError::InvalidRegion {
                    region: "a_b".into(),
                },
                format!("{p}invalid region identifier format provided: a_b"),
                false,
            ),
            (
                TokenError::UnexpectedHostname {
                    host: "website.amazonaws.com".into(),
                },
                format!("{p}unexpected hostname \"website.amazonaws.com\" in pre-signed URL"),
                false,
            ),
            (
                TokenError::HostTooFewLabels {
                    host: "sts.x.y".into(),
                },
                "invalid host format, too few labels: sts.x.y".into(),
                false,
            ),
            (
                TokenError::PartitionMismatch {
                    partition: Partition::AwsCn,
                    host: "sts-fips.us-east-1.amazonaws.com".into(),
                },
                format!(
                    "{p}partition {{aws-cn}} does not support hostname \
                     sts-fips.us-east-1.amazonaws.com"
                ),
                false,
            ),
            (
                TokenError::RegionNotInPartition {
                    region: "s3".into(),
                    partition: Partition::Aws,
                },
                format!(
                    "{p}region \"s3\" of the pre-signed URL host is not a region of partition \
                     aws (must match ^(us|eu|ap|sa|ca|me|af|il|mx)\\-\\w+\\-\\d+$)"
                ),
                true,
            ),
            (
                TokenError::UnexpectedPath,
                format!("{p}unexpected path in pre-signed URL"),
                false,
            ),
            (
                TokenError::Fragment,
                format!("{p}unexpected fragment in pre-signed URL"),
                true,
            ),
            (
                TokenError::MalformedQuery,
                format!("{p}malformed query parameter"),
                false,
            ),
            (
                TokenError::QueryNotUtf8,
                format!("{p}malformed query parameter: not UTF-8 once percent-decoded"),
                true,
            ),
            (
                TokenError::DuplicateParameter {
                    key: "x-amz-credential".into(),
                },
                format!("{p}duplicate query parameter found: \"x-amz-credential\""),
                false,
            ),
            (
                TokenError::NonWhitelistedParameter {
                    key: "NoInWhiteList".into(),
                },
                format!("{p}non-whitelisted query parameter \"NoInWhiteList\""),
                false,
            ),
            (
                TokenError::MultipleValues,
                format!("{p}query parameter with multiple values not supported"),
                false,
            ),
            (
                TokenError::UnexpectedAction,
                format!("{p}unexpected action parameter in pre-signed URL"),
                false,
            ),
            (
                TokenError::ClusterIdHeaderNotSigned,
                format!("{p}client did not sign the x-k8s-aws-id header in the pre-signed URL"),
                false,
            ),
            (
                TokenError::ClusterIdHeaderSignedTwice,
                format!(
                    "{p}client listed the x-k8s-aws-id header more than once in \
                     X-Amz-SignedHeaders"
                ),
                true,
            ),
            (
                TokenError::InvalidExpires { value: 9999999 },
                format!("{p}invalid X-Amz-Expires parameter in pre-signed URL: 9999999"),
                false,
            ),
            (
                TokenError::MissingDate,
                format!("{p}X-Amz-Date parameter must be present in pre-signed URL"),
                false,
            ),
            (
                TokenError::DateParse {
                    date: "xxxxxxx".into(),
                    reason: "parsing time \"xxxxxxx\" as \"20060102T150405Z\": cannot parse \
                             \"xxxxxxx\" as \"2006\""
                        .into(),
                },
                format!(
                    "{p}error parsing X-Amz-Date parameter xxxxxxx into format \
                     20060102T150405Z: parsing time \"xxxxxxx\" as \"20060102T150405Z\": \
                     cannot parse \"xxxxxxx\" as \"2006\""
                ),
                false,
            ),
            (
                TokenError::Expired { signed_at: date },
                format!(
                    "{p}X-Amz-Date parameter is expired (15 minute expiration) 1990-04-22 \
                     01:02:03 +0000 UTC"
                ),
                false,
            ),
            (
                TokenError::DateInFuture { signed_at: date },
                format!(
                    "{p}X-Amz-Date parameter is in the future (more than 5 minutes ahead of \
                     this server's clock) 1990-04-22 01:02:03 +0000 UTC"
                ),
                true,
            ),
            (
                TokenError::MissingSigningParameter {
                    name: "X-Amz-Signature",
                },
                format!("{p}X-Amz-Signature parameter must be present in pre-signed URL"),
                true,
            ),
        ];
        for (err, text, strict) in cases {
            assert_eq!(err.to_string(), text, "{err:?}");
            assert_eq!(err.is_stricter_than_upstream(), strict, "{err:?}");
        }
    }

    #[test]
    fn every_url_error_message() {
        let cases = [
            (
                UrlError::ControlCharacter,
                "net/url: invalid control character in URL",
            ),
            (UrlError::MissingScheme, "missing protocol scheme"),
            (
                UrlError::FirstPathSegmentColon,
                "first path segment in URL cannot contain colon",
            ),
            (UrlError::MissingBracket, "missing ']' in host"),
            (
                UrlError::InvalidPort {
                    port: b":abc".to_vec(),
                },
                "invalid port \":abc\" after host",
            ),
            (
                UrlError::InvalidEscape {
                    escape: b"%zz".to_vec(),
                },
                "invalid URL escape \"%zz\"",
            ),
            (
                UrlError::InvalidHostCharacter { byte: b'{' },
                "invalid character \"{\" in host name",
            ),
        ];
        for (err, text) in cases {
            assert_eq!(err.to_string(), text);
        }
    }

    #[test]
    fn every_verify_error_message_and_label() {
        let cases: Vec<(VerifyError, &str, &str, bool)> = vec![
            (
                VerifyError::Format(TokenError::TooLarge),
                "input token was not properly formatted: token is too large",
                "invalid_token",
                false,
            ),
            (
                VerifyError::StsConnection {
                    region: "us-west-2".into(),
                    message: "an error".into(),
                },
                "sts getCallerIdentity failed: error during GET: an error on us-west-2 endpoint",
                "sts_error",
                false,
            ),
            (
                VerifyError::StsThrottled {
                    body: "Throttling".into(),
                },
                "sts getCallerIdentity was throttled: Throttling",
                "sts_throttling",
                true,
            ),
            (
                VerifyError::StsStatus {
                    status: 403,
                    region: "global".into(),
                    body: " ".into(),
                },
                "sts getCallerIdentity failed: error from AWS (expected 200, got 403) on global \
                 endpoint. Body:  ",
                "sts_error",
                false,
            ),
            (
                VerifyError::StsResponseTooLarge { limit: 65536 },
                "sts getCallerIdentity failed: response larger than 65536 bytes",
                "sts_error",
                false,
            ),
            (
                VerifyError::StsBusy {
                    in_flight: 32,
                    waiting: 128,
                },
                "sts getCallerIdentity not attempted: all 32 STS slots are busy and 128 \
                 requests are already waiting",
                "sts_throttling",
                true,
            ),
            (
                VerifyError::StsResponse("malformed UserID \"x\"".into()),
                "sts getCallerIdentity failed: malformed UserID \"x\"",
                "sts_error",
                false,
            ),
        ];
        for (err, text, label, throttled) in cases {
            assert_eq!(err.to_string(), text);
            assert_eq!(err.metric_result(), label);
            assert_eq!(err.is_throttling(), throttled);
        }
        let from: VerifyError = TokenError::MissingDate.into();
        assert!(matches!(from, VerifyError::Format(TokenError::MissingDate)));
        assert!(from.source().is_some());
    }
}
