//! Every local check on a `k8s-aws-v1.` token, before anything is sent to STS.
//!
//! Mirrors the pre-STS half of upstream's `tokenVerifier.Verify` (`pkg/token`), check for
//! check and in the same order, with upstream's messages:
//!
//! 1. length (at most 4096 bytes by default, prefix included);
//! 2. the `k8s-aws-v1.` prefix;
//! 3. unpadded URL-safe base64 (Go's `RawURLEncoding`, error offsets included);
//! 4. Go's `url.Parse`;
//! 5. scheme `https`;
//! 6. the host ([`HostPolicy`]);
//! 7. path `/`;
//! 8. Go's `url.ParseQuery`;
//! 9. keys differing only in case (CVE-2022-2385);
//! 10. the key allow-list and single values;
//! 11. `Action=GetCallerIdentity`;
//! 12. `x-k8s-aws-id` among `X-Amz-SignedHeaders`;
//! 13. `X-Amz-Expires` in `0..=900`;
//! 14. `X-Amz-Date` present, well-formed and at most 15 minutes old;
//! 15. the access key ID from `X-Amz-Credential`;
//! 16. (not upstream's) `X-Amz-Algorithm`, `X-Amz-Credential` and `X-Amz-Signature`
//!     present and non-empty.
//!
//! The check is a pure function of the token and the time: no clock, no network, so
//! it can be tested exhaustively and fuzzed. Only a token that passes reaches STS, which
//! then enforces what cannot be checked locally: the signature, and through it the
//! cluster ID (the server sends its own `x-k8s-aws-id`, so a token signed for another
//! cluster fails there).
//!
//! # Deliberately stricter than upstream
//!
//! Go's `net/url` is lenient, and this parser is hand-written, so it refuses outright
//! what the Go code lets through to a later check or to STS:
//! * any control character, space or non-ASCII byte in the decoded URL;
//! * userinfo (`user@host`; Go would send it to STS as Basic auth), a port, uppercase
//!   letters, `%` escapes or a trailing dot in the host;
//! * a `#` fragment;
//! * query keys or values that are not UTF-8 once percent-decoded;
//! * `x-k8s-aws-id` listed more than once in `X-Amz-SignedHeaders`;
//! * an `X-Amz-Date` more than 5 minutes in the future (see [`MAX_FUTURE_SKEW`]);
//! * a missing or empty `X-Amz-Algorithm`, `X-Amz-Credential` or `X-Amz-Signature`
//!   (STS could only refuse such a URL; checked last, so upstream's messages stand);
//! * a host region that does not follow the partition's region pattern (see
//!   [`HostPolicy`]);
//! * a scheme other than exactly `https` (Go lowercases `HTTPS`);
//! * `\r` or `\n` in the base64 text (Go skips them) and non-zero trailing bits in its
//!   last character (Go ignores them).
//!
//! The last two make the token a canonical encoding: each URL has exactly one token
//! string, so nothing keyed on the token (logs, caches, rate limits) can be dodged by
//! re-spelling the same signed URL.
//!
//! Query keys are also compared with ASCII case folding, where Go lowercases with
//! Unicode tables (under which, e.g., `K` U+212A KELVIN SIGN stands for `k`).
//! Everything else, including Go's error texts for what `url.Parse`, `ParseQuery`,
//! `strconv.Atoi` and `time.Parse` reject, follows upstream. The replicas of those Go
//! functions live beside this module: `url.rs` (`url.Parse`, `url.ParseQuery`) and
//! `amz_params.rs` (`strconv.Atoi`, `time.Parse`).
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use time::OffsetDateTime;

use super::amz_params::{go_atoi, parse_amz_date};
use super::url::{Params, parse_query, parse_url};
use crate::token::CLUSTER_ID_HEADER;
use crate::token::error::TokenError;
use crate::token::host::HostPolicy;

/// The prefix of every version-1 token.
pub const TOKEN_PREFIX: &str = "k8s-aws-v1.";

/// Upstream's cap on the token's length in bytes, prefix included.
///
/// Upstream issue #1106 notes that STS session tokens of up to 4 KiB can push a valid
/// token past it; [`Verifier::with_max_token_len`] raises it.
pub const DEFAULT_MAX_TOKEN_LEN: usize = 4096;

/// How long STS honours a presigned `GetCallerIdentity` URL after its `X-Amz-Date`,
/// whatever `X-Amz-Expires` says.
pub const PRESIGNED_URL_VALIDITY: time::Duration = time::Duration::minutes(15);

/// How far in the future an `X-Amz-Date` may be.
///
/// Upstream only rejects dates more than 15 minutes in the past, so a token dated an
/// hour ahead would be accepted here for an hour and a quarter: every day of future
/// dating stretches the window in which a leaked token can be replayed. STS itself
/// refuses requests signed too far ahead of its clock, so no working client is turned
/// away; the margin only absorbs ordinary clock skew.
pub const MAX_FUTURE_SKEW: time::Duration = time::Duration::minutes(5);

/// Upstream's `parameterWhitelist` (lowercase).
const ALLOWED_PARAMETERS: [&str; 9] = [
    "action",
    "version",
    "x-amz-algorithm",
    "x-amz-credential",
    "x-amz-date",
    "x-amz-expires",
    "x-amz-security-token",
    "x-amz-signature",
    "x-amz-signedheaders",
];

/// The SigV4 presigning parameters (lowercase key, canonical name) a URL must carry to
/// be forwarded. Upstream forwards without them and lets STS refuse; checking first
/// spares an STS round trip (and a slot) per unsigned token.
const SIGNING_PARAMETERS: [(&str, &str); 3] = [
    ("x-amz-algorithm", "X-Amz-Algorithm"),
    ("x-amz-credential", "X-Amz-Credential"),
    ("x-amz-signature", "X-Amz-Signature"),
];

/// A token that passed every local check: what to send to STS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresignedRequest {
    /// The decoded presigned URL, exactly as the client signed it.
    pub url: String,
    /// The STS host it names.
    pub host: String,
    /// `global` for `sts.amazonaws.com`, else the host's region label (metrics, errors).
    pub sts_region: String,
    /// `X-Amz-Credential` up to the first `/`.
    pub access_key_id: String,
    /// `X-Amz-Date`.
    pub signed_at: OffsetDateTime,
}

/// Checks tokens against a [`HostPolicy`]. Shareable between threads.
#[derive(Debug)]
pub struct Verifier {
    policy: HostPolicy,
    max_token_len: usize,
}

impl Verifier {
    /// A verifier with upstream's length cap ([`DEFAULT_MAX_TOKEN_LEN`]).
    pub fn new(policy: HostPolicy) -> Self {
        Verifier {
            policy,
            max_token_len: DEFAULT_MAX_TOKEN_LEN,
        }
    }

    /// Replaces the cap on the token's length (bytes, prefix included).
    pub fn with_max_token_len(self, max: usize) -> Self {
        Verifier {
            max_token_len: max,
            ..self
        }
    }

    /// The host policy in use.
    pub fn policy(&self) -> &HostPolicy {
        &self.policy
    }

    /// Every pre-STS check of upstream's tokenVerifier.Verify, in upstream's order. Pure: no clock, no network.
    ///
    /// The first failing check is reported; see the module docs for the order and for
    /// the checks that are stricter than upstream.
    pub fn check(&self, token: &str, now: OffsetDateTime) -> Result<PresignedRequest, TokenError> {
        // 1–3. Size, prefix, base64.
        if token.len() > self.max_token_len {
            return Err(TokenError::TooLarge);
        }
        let encoded = token
            .strip_prefix(TOKEN_PREFIX)
            .ok_or(TokenError::MissingPrefix)?;
        let raw = decode_base64(encoded.as_bytes())?;

        // 4. url.Parse, then this port's byte-level strictness.
        let parts = parse_url(&raw)?;
        let url = into_ascii(raw)?;

        // 5. Scheme (Go lowercases it; this port then also wants it written lowercase).
        let written = slice(&url, &parts.scheme);
        let scheme = written.to_ascii_lowercase();
        if scheme != "https" {
            return Err(TokenError::UnexpectedScheme { scheme });
        }
        if written != "https" {
            return Err(TokenError::UnexpectedScheme {
                scheme: written.to_owned(),
            });
        }

        // 6. Host.
        let host = parts
            .authority
            .as_ref()
            .map_or("", |authority| slice(&url, authority));
        check_host_syntax(host)?;
        let sts_region = self.policy.check(host)?;
        let host = host.to_owned();

        // 7. Path, and no fragment.
        if slice(&url, &parts.path) != "/" {
            return Err(TokenError::UnexpectedPath);
        }
        if parts.fragment.is_some() {
            return Err(TokenError::Fragment);
        }

        // 8–10. Query.
        let params = parse_query(slice(&url, &parts.query))?;
        reject_case_duplicates(&params)?;
        let mut lower: HashMap<String, &str> = HashMap::with_capacity(params.len());
        for (key, values) in &params {
            let key_lower = key.to_ascii_lowercase();
            if !ALLOWED_PARAMETERS.contains(&key_lower.as_str()) {
                return Err(TokenError::NonWhitelistedParameter { key: key.clone() });
            }
            let [value] = values.as_slice() else {
                return Err(TokenError::MultipleValues);
            };
            lower.insert(key_lower, value.as_str());
        }
        let get = |key: &str| lower.get(key).copied().unwrap_or_default();

        // 11. Action.
        if get("action") != "GetCallerIdentity" {
            return Err(TokenError::UnexpectedAction);
        }

        // 12. The cluster ID header must be signed (once).
        let signed = get("x-amz-signedheaders")
            .split(';')
            .filter(|h| h.eq_ignore_ascii_case(CLUSTER_ID_HEADER))
            .count();
        match signed {
            0 => return Err(TokenError::ClusterIdHeaderNotSigned),
            1 => {}
            _ => return Err(TokenError::ClusterIdHeaderSignedTwice),
        }

        // 13. Expires, ignored by STS but range-checked by upstream.
        match go_atoi(get("x-amz-expires")) {
            Ok(value) if (0..=900).contains(&value) => {}
            Ok(value) | Err(value) => return Err(TokenError::InvalidExpires { value }),
        }

        // 14–15. Date and access key.
        let date = get("x-amz-date");
        if date.is_empty() {
            return Err(TokenError::MissingDate);
        }
        let access_key_id = get("x-amz-credential")
            .split('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let signed_at = parse_amz_date(date).map_err(|reason| TokenError::DateParse {
            date: date.to_owned(),
            reason,
        })?;
        let expired = signed_at
            .checked_add(PRESIGNED_URL_VALIDITY)
            .is_some_and(|expiry| now > expiry);
        if expired {
            return Err(TokenError::Expired { signed_at });
        }
        let future = now
            .checked_add(MAX_FUTURE_SKEW)
            .is_some_and(|limit| signed_at > limit);
        if future {
            return Err(TokenError::DateInFuture { signed_at });
        }

        // 16. The SigV4 presigning parameters, after every upstream check.
        for (key, name) in SIGNING_PARAMETERS {
            if get(key).is_empty() {
                return Err(TokenError::MissingSigningParameter { name });
            }
        }

        Ok(PresignedRequest {
            url,
            host,
            sts_region,
            access_key_id,
            signed_at,
        })
    }
}

// ---------------------------------------------------------------------------------------
// Step 3: base64, as Go's `base64.RawURLEncoding.DecodeString`.
// ---------------------------------------------------------------------------------------

/// Go's decoder (URL-safe alphabet, no padding, errors at the offset Go reports), made
/// strict: `\r` and `\n` are errors (Go skips them) and so are non-zero trailing bits
/// (Go ignores them), so that one URL has exactly one encoding.
fn decode_base64(input: &[u8]) -> Result<Vec<u8>, TokenError> {
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 2);
    let mut acc: u32 = 0;
    let mut count = 0usize;
    for (offset, &byte) in input.iter().enumerate() {
        let sextet = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return Err(TokenError::Base64 { offset }),
        };
        acc = (acc << 6) | u32::from(sextet);
        count += 1;
        if count == 4 {
            let [_, a, b, c] = acc.to_be_bytes();
            out.extend_from_slice(&[a, b, c]);
            acc = 0;
            count = 0;
        }
    }
    match count {
        0 => {}
        // A lone trailing character: Go reports the last byte of the input.
        1 => {
            return Err(TokenError::Base64 {
                offset: input.len().saturating_sub(1),
            });
        }
        2 if acc & 0xf == 0 => {
            let [_, _, _, a] = (acc >> 4).to_be_bytes();
            out.push(a);
        }
        3 if acc & 0x3 == 0 => {
            let [_, _, a, b] = (acc >> 2).to_be_bytes();
            out.extend_from_slice(&[a, b]);
        }
        // Non-zero trailing bits: another spelling of a shorter input.
        _ => {
            return Err(TokenError::Base64 {
                offset: input.len().saturating_sub(1),
            });
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Step 4: this port's byte-level strictness, after Go's `url.Parse` (in `url.rs`).
// ---------------------------------------------------------------------------------------

/// Strictness: the decoded URL must be printable ASCII without spaces. (Control
/// characters before any `#` were already reported with Go's wording.)
fn into_ascii(raw: Vec<u8>) -> Result<String, TokenError> {
    if let Some((offset, &byte)) = raw
        .iter()
        .enumerate()
        .find(|&(_, &b)| !(0x21..0x7f).contains(&b))
    {
        return Err(TokenError::ForbiddenUrlByte { offset, byte });
    }
    String::from_utf8(raw).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        TokenError::ForbiddenUrlByte {
            offset,
            byte: e.as_bytes().get(offset).copied().unwrap_or_default(),
        }
    })
}

/// `url[range]`, or `""` if the range were ever out of bounds.
fn slice<'a>(url: &'a str, range: &Range<usize>) -> &'a str {
    url.get(range.clone()).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// Step 6: strict host syntax, before the upstream host policy.
// ---------------------------------------------------------------------------------------

/// The host rules this port adds in front of [`HostPolicy::check`]. An empty host is
/// left to the policy, which rejects it with upstream's message.
fn check_host_syntax(authority: &str) -> Result<(), TokenError> {
    if authority.contains('@') {
        return Err(TokenError::Userinfo);
    }
    let host = authority;
    if !host.starts_with('[') && host.contains(':') {
        return Err(TokenError::HostPort {
            host: host.to_owned(),
        });
    }
    if host.contains('%') {
        return Err(TokenError::HostPercentEncoded {
            host: host.to_owned(),
        });
    }
    if host.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(TokenError::HostUppercase {
            host: host.to_owned(),
        });
    }
    if host.ends_with('.') {
        return Err(TokenError::HostTrailingDot {
            host: host.to_owned(),
        });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Step 9: keys differing only in case (Go's `url.ParseQuery` is in `url.rs`).
// ---------------------------------------------------------------------------------------

/// Upstream's `validateDuplicateParameters`: keys that differ only in case are the
/// CVE-2022-2385 attack (the authenticator reads one, STS another). The key reported
/// is the one appearing later.
fn reject_case_duplicates(params: &Params) -> Result<(), TokenError> {
    let mut seen = HashSet::with_capacity(params.len());
    for (key, _) in params {
        if !seen.insert(key.to_ascii_lowercase()) {
            return Err(TokenError::DuplicateParameter { key: key.clone() });
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::partition::Partition;
    use crate::token::error::UrlError;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use time::macros::{datetime, format_description};

    const NOW: OffsetDateTime = datetime!(2023-04-28 00:05:00 UTC);

    /// The token upstream's TestGetWithSTS signs (us-west-2, 2023-04-28T00:00:00Z).
    const SIGNED_TOKEN: &str = "k8s-aws-v1.aHR0cHM6Ly9zdHMudXMtd2VzdC0yLmFtYXpvbmF3cy5jb20vP0FjdGlvbj1HZXRDYWxsZXJJZGVudGl0eSZWZXJzaW9uPTIwMTEtMDYtMTUmWC1BbXotQWxnb3JpdGhtPUFXUzQtSE1BQy1TSEEyNTYmWC1BbXotQ3JlZGVudGlhbD1BU0lBUjJURzQ0VjZBUzNaWkU3QyUyRjIwMjMwNDI4JTJGdXMtd2VzdC0yJTJGc3RzJTJGYXdzNF9yZXF1ZXN0JlgtQW16LURhdGU9MjAyMzA0MjhUMDAwMDAwWiZYLUFtei1FeHBpcmVzPTYwJlgtQW16LVNpZ25lZEhlYWRlcnM9aG9zdCUzQngtazhzLWF3cy1pZCZYLUFtei1TaWduYXR1cmU9ZTIxMWRiYTc3YWJhOWRjNDRiMGI2YmUzOGI4ZWFhZDA5MjU5OWM1MTU3ZjYzMTQ0NDRjNWI5ZDg1NzQ3ZjVjZQ";

    /// Upstream's `toToken(u)`.
    fn to_token(url: &str) -> String {
        to_token_bytes(url.as_bytes())
    }

    fn to_token_bytes(url: &[u8]) -> String {
        format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(url))
    }

    fn amz_date(t: OffsetDateTime) -> String {
        t.format(format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap()
    }

    fn verifier(partition: Partition) -> Verifier {
        Verifier::new(HostPolicy::new(partition, None))
    }

    fn check(token: &str) -> Result<PresignedRequest, TokenError> {
        verifier(Partition::Aws).check(token, NOW)
    }

    fn check_url(url: &str) -> Result<PresignedRequest, TokenError> {
        check(&to_token(url))
    }

    /// The SigV4 parameters every forwarded URL needs (the signature is not checked
    /// locally).
    const SIGNING: &str = "&x-amz-algorithm=AWS4-HMAC-SHA256&x-amz-credential=AKID%2F20230428%2Fus-west-2%2Fsts%2Faws4_request&x-amz-signature=0123abcd";

    /// A URL that passes, with `extra` appended to the query.
    fn good_url(host: &str, extra: &str) -> String {
        format!(
            "https://{host}/?action=GetCallerIdentity&x-amz-signedheaders=x-k8s-aws-id&x-amz-date={}&x-amz-expires=60{SIGNING}{extra}",
            amz_date(NOW)
        )
    }

    #[track_caller]
    fn assert_rejects(result: Result<PresignedRequest, TokenError>, want: &str) {
        match result {
            Ok(ok) => panic!("expected an error containing {want:?}, got {ok:?}"),
            Err(e) => assert!(
                e.to_string().contains(want),
                "{e} does not contain {want:?}"
            ),
        }
    }

    #[test]
    fn upstream_signed_token_passes() {
        let req = check(SIGNED_TOKEN).unwrap();
        assert_eq!(
            req.url,
            "https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&\
             X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAR2TG44V6AS3ZZE7C%2F20230428%2F\
             us-west-2%2Fsts%2Faws4_request&X-Amz-Date=20230428T000000Z&X-Amz-Expires=60&\
             X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=e211dba77aba9dc44b0b6be38b8e\
             aad092599c5157f6314444c5b9d85747f5ce"
        );
        assert_eq!(req.host, "sts.us-west-2.amazonaws.com");
        assert_eq!(req.sts_region, "us-west-2");
        assert_eq!(req.access_key_id, "ASIAR2TG44V6AS3ZZE7C");
        assert_eq!(req.signed_at, datetime!(2023-04-28 00:00:00 UTC));
        // Valid until exactly 15 minutes after signing.
        let v = verifier(Partition::Aws);
        assert!(
            v.check(SIGNED_TOKEN, datetime!(2023-04-28 00:15:00 UTC))
                .is_ok()
        );
        assert!(matches!(
            v.check(SIGNED_TOKEN, datetime!(2023-04-28 00:15:00.000000001 UTC)),
            Err(TokenError::Expired { .. })
        ));
    }

    /// Every row of upstream's TestVerifyTokenPreSTSValidations.
    #[test]
    fn upstream_rejection_table() {
        let ts = amz_date(NOW);
        let too_large = "\0".repeat(DEFAULT_MAX_TOKEN_LEN + 1);
        let cases: Vec<(Partition, String, &str)> = vec![
            (Partition::Aws, too_large, "token is too large"),
            (
                Partition::Aws,
                "k8s-aws-v2.asdfasdfa".into(),
                "token is missing expected \"k8s-aws-v1.\" prefix",
            ),
            (
                Partition::Aws,
                "k8s-aws-v1.decodingerror".into(),
                "illegal base64 data",
            ),
            (
                Partition::Aws,
                to_token(":ab:cd.af:/asda"),
                "missing protocol scheme",
            ),
            (Partition::Aws, to_token("http://"), "unexpected scheme"),
            (
                Partition::Aws,
                to_token("https://google.com"),
                "input token was not properly formatted: could not parse region for pre-signed \
                 URL google.com, invalid host format: google.com",
            ),
            (
                Partition::AwsCn,
                to_token("https://sts.cn-north-1.amazonaws.com.cn/abc"),
                "unexpected path in pre-signed URL",
            ),
            (
                Partition::Aws,
                to_token("https://sts.amazonaws.com/abc"),
                "unexpected path in pre-signed URL",
            ),
            (
                Partition::Aws,
                to_token("https://sts.amazonaws.com/?NoInWhiteList=abc"),
                "non-whitelisted query parameter",
            ),
            (
                Partition::Aws,
                to_token("https://sts.amazonaws.com/?action=get&action=post"),
                "query parameter with multiple values not supported",
            ),
            (
                Partition::Aws,
                to_token("https://sts.amazonaws.com/?action=NotGetCallerIdenity"),
                "unexpected action parameter in pre-signed URL",
            ),
            (
                Partition::Aws,
                to_token(
                    "https://sts.amazonaws.com/?action=GetCallerIdentity&x-amz-signedheaders=abc%3bx-k8s-aws-i%3bdef",
                ),
                "client did not sign the x-k8s-aws-id header in the pre-signed URL",
            ),
            (
                Partition::Aws,
                to_token(&format!(
                    "https://sts.amazonaws.com/?action=GetCallerIdentity&x-amz-signedheaders=x-k8s-aws-id&x-amz-date={ts}&x-amz-expires=9999999"
                )),
                "invalid X-Amz-Expires parameter in pre-signed URL",
            ),
            (
                Partition::Aws,
                to_token(
                    "https://sts.amazonaws.com/?action=GetCallerIdentity&x-amz-signedheaders=x-k8s-aws-id&x-amz-date=xxxxxxx&x-amz-expires=60",
                ),
                "error parsing X-Amz-Date parameter",
            ),
            (
                Partition::Aws,
                to_token(
                    "https://sts.amazonaws.com/?action=GetCallerIdentity&x-amz-signedheaders=x-k8s-aws-id&x-amz-date=19900422T010203Z&x-amz-expires=60",
                ),
                "X-Amz-Date parameter is expired",
            ),
            (
                Partition::Aws,
                to_token(&format!(
                    "https://sts.sa-east-1.amazonaws.com/?action=GetCallerIdentity&x-amz-signedheaders=x-k8s-aws-id&x-amz-date={ts}&x-amz-expires=60%gh"
                )),
                "input token was not properly formatted: malformed query parameter",
            ),
            (
                Partition::Aws,
                to_token(&format!(
                    "https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAAAAAAAAAAAAAAAAA%2F20220601%2Fus-west-2%2Fsts%2Faws4_request&X-Amz-Date={ts}&X-Amz-Expires=900&X-Amz-Security-Token=XXXXXXXXXXXXX&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&x-amz-credential=eve&X-Amz-Signature=999999999999999999"
                )),
                "input token was not properly formatted: duplicate query parameter found:",
            ),
        ];
        for (partition, token, want) in cases {
            assert_rejects(verifier(partition).check(&token, NOW), want);
        }
    }

    /// The exact texts for the same rows, where they are fully determined.
    #[test]
    fn upstream_rejection_texts() {
        let p = "input token was not properly formatted: ";
        let cases = [
            (
                "k8s-aws-v1.decodingerror".to_owned(),
                format!("{p}illegal base64 data at input byte 12"),
            ),
            (
                to_token(":ab:cd.af:/asda"),
                format!("{p}parse \":ab:cd.af:/asda\": missing protocol scheme"),
            ),
            (
                to_token("http://"),
                format!("{p}unexpected scheme \"http\" in pre-signed URL"),
            ),
            (
                to_token("https://sts.amazonaws.com/?NoInWhiteList=abc"),
                format!("{p}non-whitelisted query parameter \"NoInWhiteList\""),
            ),
            (
                to_token(
                    "https://sts.amazonaws.com/?action=GetCallerIdentity&x-amz-signedheaders=x-k8s-aws-id&x-amz-date=xxxxxxx&x-amz-expires=60",
                ),
                format!(
                    "{p}error parsing X-Amz-Date parameter xxxxxxx into format 20060102T150405Z: \
                     parsing time \"xxxxxxx\" as \"20060102T150405Z\": cannot parse \"xxxxxxx\" \
                     as \"2006\""
                ),
            ),
            (
                to_token(
                    "https://sts.amazonaws.com/?action=GetCallerIdentity&x-amz-signedheaders=x-k8s-aws-id&x-amz-date=19900422T010203Z&x-amz-expires=60",
                ),
                format!(
                    "{p}X-Amz-Date parameter is expired (15 minute expiration) 1990-04-22 \
                     01:02:03 +0000 UTC"
                ),
            ),
            (
                to_token(&good_url("sts.amazonaws.com", "").replace("=60", "=9999999")),
                format!("{p}invalid X-Amz-Expires parameter in pre-signed URL: 9999999"),
            ),
        ];
        for (token, want) in cases {
            assert_eq!(check(&token).unwrap_err().to_string(), want);
        }
    }

    /// The passing forms of upstream's table.
    #[test]
    fn upstream_passing_forms() {
        for region in [
            "us-east-2",
            "ap-northeast-2",
            "ca-central-1",
            "eu-west-1",
            "sa-east-1",
        ] {
            let host = format!("sts.{region}.amazonaws.com");
            let req = check_url(&good_url(&host, "")).unwrap();
            assert_eq!(req.host, host);
            assert_eq!(req.sts_region, region);
            assert_eq!(req.access_key_id, "AKID");
        }
        // Upstream's validURL: global endpoint, mixed-case keys, a credential.
        let url = format!(
            "https://sts.amazonaws.com/?action=GetCallerIdentity&X-Amz-Credential=ASIABCDEFGHIJKLMNOPQ%2F20191216%2Fus-west-2%2Fs3%2Faws4_request&x-amz-signedheaders=x-k8s-aws-id&x-amz-expires=60&x-amz-date={}&x-amz-algorithm=AWS4-HMAC-SHA256&x-amz-signature=00",
            amz_date(NOW)
        );
        let req = check_url(&url).unwrap();
        assert_eq!(req.sts_region, "global");
        assert_eq!(req.access_key_id, "ASIABCDEFGHIJKLMNOPQ");
        assert_eq!(req.url, url);
        // Other partitions, FIPS, dual-stack; uppercase scheme; a lone trailing '?'.
        let cn = verifier(Partition::AwsCn);
        assert!(
            cn.check(
                &to_token(&good_url("sts.cn-north-1.amazonaws.com.cn", "")),
                NOW
            )
            .is_ok()
        );
        assert!(check_url(&good_url("sts-fips.us-west-2.amazonaws.com", "")).is_ok());
        assert!(check_url(&good_url("sts.us-west-2.api.aws", "")).is_ok());
        // Every allowed key, in any case; empty segments; `+` in values.
        let all = format!(
            "https://sts.amazonaws.com/?action=GetCallerIdentity&x-amz-signedheaders=x-k8s-aws-id&x-amz-date={}&x-amz-expires=60&&VERSION=2011-06-15&X-AMZ-ALGORITHM=AWS4-HMAC-SHA256&x-Amz-Security-Token=a+b%2Bc&X-Amz-Signature=00&X-AMZ-CREDENTIAL=AKID%2Fx&",
            amz_date(NOW)
        );
        assert!(check_url(&all).is_ok());
        // Expires bounds and sign (a literal `+` would decode to a space).
        for expires in ["0", "900", "%2B60", "-0"] {
            let url = good_url("sts.amazonaws.com", "").replace("=60", &format!("={expires}"));
            assert!(check_url(&url).is_ok(), "{expires}");
        }
    }

    /// CVE-2022-2385: two spellings of one key must never both reach different readers.
    #[test]
    fn case_variant_duplicates_are_rejected() {
        let ts = amz_date(NOW);
        let url = format!(
            "https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&X-Amz-Credential=ASIAAAAAAAAAAAAAAAAA%2F20220601%2Fus-west-2%2Fsts%2Faws4_request&X-Amz-Date={ts}&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&x-amz-credential=eve&X-Amz-Signature=99"
        );
        assert_eq!(
            check_url(&url).unwrap_err(),
            TokenError::DuplicateParameter {
                key: "x-amz-credential".into()
            }
        );
        // The replay variants: a second SignedHeaders or Action under another case.
        for extra in [
            "&X-AMZ-SIGNEDHEADERS=host",
            "&ACTION=GetCallerIdentity",
            "&X-Amz-Date=20230428T000000Z",
        ] {
            let err = check_url(&good_url("sts.amazonaws.com", extra)).unwrap_err();
            assert!(
                matches!(err, TokenError::DuplicateParameter { .. }),
                "{extra}: {err}"
            );
        }
        // A same-case repeat is the multi-value error instead.
        let err = check_url(&good_url(
            "sts.amazonaws.com",
            "&x-amz-date=20230428T000000Z",
        ))
        .unwrap_err();
        assert_eq!(err, TokenError::MultipleValues);
        // Percent-encoding cannot hide a duplicate: keys compare decoded.
        let err = check_url(&good_url(
            "sts.amazonaws.com",
            "&%41ction=GetCallerIdentity",
        ))
        .unwrap_err();
        assert!(
            matches!(err, TokenError::DuplicateParameter { .. }),
            "{err}"
        );
    }

    #[test]
    fn strictness_forbidden_bytes() {
        let url = good_url("sts.amazonaws.com", "&x-amz-security-token=a b");
        let offset = url.find(' ').unwrap();
        assert_eq!(
            check_url(&url).unwrap_err(),
            TokenError::ForbiddenUrlByte { offset, byte: b' ' }
        );
        let mut bytes = good_url("sts.amazonaws.com", "&x-amz-security-token=").into_bytes();
        bytes.push(0xc3);
        bytes.push(0xa9);
        assert!(matches!(
            check(&to_token_bytes(&bytes)).unwrap_err(),
            TokenError::ForbiddenUrlByte { byte: 0xc3, .. }
        ));
        // A control character in the fragment: Go never looks there.
        let url = format!("{}#\u{1}", good_url("sts.amazonaws.com", ""));
        assert!(matches!(
            check_url(&url).unwrap_err(),
            TokenError::ForbiddenUrlByte { byte: 1, .. }
        ));
        // Before the fragment it is Go's own error.
        let url = format!("{}\u{1}", good_url("sts.amazonaws.com", ""));
        let err = check_url(&url).unwrap_err();
        assert!(matches!(
            &err,
            TokenError::Url {
                error: UrlError::ControlCharacter,
                ..
            }
        ));
        assert!(
            err.to_string()
                .ends_with("\\x01\": net/url: invalid control character in URL")
        );
    }

    #[test]
    fn strictness_host_rules() {
        let cases: Vec<(String, TokenError)> = vec![
            (
                good_url("user:pass@sts.amazonaws.com", ""),
                TokenError::Userinfo,
            ),
            (
                good_url("sts.amazonaws.com:443", ""),
                TokenError::HostPort {
                    host: "sts.amazonaws.com:443".into(),
                },
            ),
            (
                good_url("sts.amazonaws.com:", ""),
                TokenError::HostPort {
                    host: "sts.amazonaws.com:".into(),
                },
            ),
            (
                good_url("sts.us-west-2.amazonaws.com%C3%A9", ""),
                TokenError::HostPercentEncoded {
                    host: "sts.us-west-2.amazonaws.com%C3%A9".into(),
                },
            ),
            (
                good_url("STS.US-WEST-2.amazonaws.com", ""),
                TokenError::HostUppercase {
                    host: "STS.US-WEST-2.amazonaws.com".into(),
                },
            ),
            (
                good_url("sts.us-west-2.amazonaws.com.", ""),
                TokenError::HostTrailingDot {
                    host: "sts.us-west-2.amazonaws.com.".into(),
                },
            ),
            (good_url("", ""), TokenError::HostEmpty),
        ];
        for (url, want) in cases {
            let err = check_url(&url).unwrap_err();
            assert_eq!(err, want, "{url}");
        }
        // Upstream accepts an uppercase region (the SDK echoes its case); the policy
        // alone refuses it too, as the SDK's region pattern is case-sensitive.
        assert!(matches!(
            HostPolicy::new(Partition::Aws, None).check("sts.US-WEST-2.amazonaws.com"),
            Err(TokenError::RegionNotInPartition { .. })
        ));
        // Scheme without authority, opaque URL: no host.
        for url in ["https:/?action=x", "https:sts.amazonaws.com/?action=x"] {
            assert_eq!(check_url(url).unwrap_err(), TokenError::HostEmpty, "{url}");
        }
        // IP literals reach the policy and fail there.
        assert!(matches!(
            check_url(&good_url("[::1]:443", "")).unwrap_err(),
            TokenError::HostFormat { .. }
        ));
    }

    /// Go lowercases the scheme and skips CR/LF in the base64, so upstream accepts
    /// several spellings of one signed URL; here exactly one token string is valid for
    /// each URL.
    #[test]
    fn strictness_one_spelling_per_url() {
        let url = good_url("sts.amazonaws.com", "");
        assert!(check_url(&url).is_ok());
        for scheme in ["HTTPS", "Https", "httpS"] {
            let upper = url.replacen("https", scheme, 1);
            assert_eq!(
                check_url(&upper).unwrap_err(),
                TokenError::UnexpectedScheme {
                    scheme: scheme.to_owned()
                }
            );
        }
        // A non-https scheme keeps Go's lowercased text.
        assert_eq!(
            check_url(&url.replacen("https", "HTTP", 1))
                .unwrap_err()
                .to_string(),
            "input token was not properly formatted: unexpected scheme \"http\" in pre-signed URL"
        );
        let token = to_token(&url);
        let (head, tail) = token.split_at(30);
        for inserted in ["\n", "\r", "\r\n"] {
            let spelled = format!("{head}{inserted}{tail}");
            assert!(
                matches!(check(&spelled), Err(TokenError::Base64 { .. })),
                "{inserted:?}"
            );
            assert!(matches!(
                check(&format!("{token}{inserted}")),
                Err(TokenError::Base64 { .. })
            ));
        }
        // The last character carries trailing bits unless the length is a multiple of 3.
        let mut url = url;
        while url.len().is_multiple_of(3) {
            url.push('&');
        }
        let token = to_token(&url);
        assert!(check(&token).is_ok());
        let last = token.chars().last().unwrap();
        // Flip the lowest bit of the last sextet: always a trailing bit here.
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let i = ALPHABET.iter().position(|&b| b == last as u8).unwrap();
        let flipped = ALPHABET[i ^ 1] as char;
        let mut bad = token.clone();
        bad.pop();
        bad.push(flipped);
        assert!(
            matches!(check(&bad), Err(TokenError::Base64 { .. })),
            "{last} -> {flipped}"
        );
    }

    #[test]
    fn strictness_fragment() {
        for suffix in ["#", "#frag", "#%41"] {
            let url = format!("{}{suffix}", good_url("sts.amazonaws.com", ""));
            assert_eq!(
                check_url(&url).unwrap_err(),
                TokenError::Fragment,
                "{suffix}"
            );
        }
        // A bad escape in the fragment is Go's parse error, quoting the whole URL.
        let url = format!("{}#%zz", good_url("sts.amazonaws.com", ""));
        let err = check_url(&url).unwrap_err();
        assert_eq!(
            err,
            TokenError::Url {
                url: url.clone().into_bytes(),
                error: UrlError::InvalidEscape {
                    escape: b"%zz".to_vec()
                }
            }
        );
    }

    #[test]
    fn strictness_semicolon_and_bad_escapes_in_query() {
        for extra in [
            "&x-amz-signature=a;b",
            ";x-amz-signature=1",
            "&x-amz-signature=%g0",
            "&x-amz-signature=%2",
            "&x-amz-signature=%",
            "&%zz=1",
        ] {
            assert_eq!(
                check_url(&good_url("sts.amazonaws.com", extra)).unwrap_err(),
                TokenError::MalformedQuery,
                "{extra}"
            );
        }
        // Go reports a ParseQuery error even if a later check would also fail.
        let url = good_url("sts.amazonaws.com", "&bogus=1&x=%zz");
        assert_eq!(check_url(&url).unwrap_err(), TokenError::MalformedQuery);
        // Non-UTF-8 after decoding.
        for extra in ["&x-amz-security-token=%ff", "&%c3=1"] {
            assert_eq!(
                check_url(&good_url("sts.amazonaws.com", extra)).unwrap_err(),
                TokenError::QueryNotUtf8,
                "{extra}"
            );
        }
        // Decoded UTF-8 is fine (upstream allows any value for the token parameter).
        assert!(
            check_url(&good_url(
                "sts.amazonaws.com",
                "&x-amz-security-token=%C3%A9"
            ))
            .is_ok()
        );
    }

    #[test]
    fn strictness_cluster_header_listed_twice() {
        let url = good_url("sts.amazonaws.com", "").replace(
            "x-amz-signedheaders=x-k8s-aws-id",
            "x-amz-signedheaders=host%3Bx-k8s-aws-id%3BX-K8S-AWS-ID",
        );
        assert_eq!(
            check_url(&url).unwrap_err(),
            TokenError::ClusterIdHeaderSignedTwice
        );
        // Case-insensitive once is fine.
        let url = good_url("sts.amazonaws.com", "").replace(
            "x-amz-signedheaders=x-k8s-aws-id",
            "x-amz-signedheaders=host%3BX-K8S-AWS-ID",
        );
        assert!(check_url(&url).is_ok());
        // Missing entirely.
        let url =
            good_url("sts.amazonaws.com", "").replace("&x-amz-signedheaders=x-k8s-aws-id", "");
        assert_eq!(
            check_url(&url).unwrap_err(),
            TokenError::ClusterIdHeaderNotSigned
        );
    }

    #[test]
    fn strictness_future_date() {
        let url_at = |t: OffsetDateTime| {
            format!(
                "https://sts.amazonaws.com/?action=GetCallerIdentity&x-amz-signedheaders=x-k8s-aws-id&x-amz-date={}&x-amz-expires=60{SIGNING}",
                amz_date(t)
            )
        };
        assert!(check_url(&url_at(NOW + MAX_FUTURE_SKEW)).is_ok());
        let ahead = NOW + MAX_FUTURE_SKEW + time::Duration::seconds(1);
        let err = check_url(&url_at(ahead)).unwrap_err();
        assert_eq!(err, TokenError::DateInFuture { signed_at: ahead });
        assert!(err.is_stricter_than_upstream());
        // Far future, at the edge of what Go can parse.
        let url = good_url("sts.amazonaws.com", "").replace(&amz_date(NOW), "99991231T235959Z");
        assert!(matches!(
            check_url(&url).unwrap_err(),
            TokenError::DateInFuture { .. }
        ));
    }

    /// Without the SigV4 presigning parameters STS can only refuse, so the URL is not
    /// forwarded; the check comes after upstream's, so its messages stand.
    #[test]
    fn signing_parameters_are_required_before_forwarding() {
        let url = good_url("sts.us-west-2.amazonaws.com", "");
        assert!(check_url(&url).is_ok());
        for (key, name) in [
            ("x-amz-algorithm", "X-Amz-Algorithm"),
            ("x-amz-credential", "X-Amz-Credential"),
            ("x-amz-signature", "X-Amz-Signature"),
        ] {
            let value = url
                .split('&')
                .find(|kv| kv.starts_with(&format!("{key}=")))
                .unwrap();
            let missing = url.replace(&format!("&{value}"), "");
            let empty = url.replace(value, &format!("{key}="));
            for bad in [missing, empty] {
                let err = check_url(&bad).unwrap_err();
                assert_eq!(err, TokenError::MissingSigningParameter { name }, "{bad}");
                assert!(err.is_stricter_than_upstream());
                assert_eq!(
                    err.to_string(),
                    format!(
                        "input token was not properly formatted: {name} parameter must be \
                         present in pre-signed URL"
                    )
                );
            }
        }
        // Any key case is accepted, as for every other parameter.
        let upper = url
            .replace("x-amz-algorithm=", "X-AMZ-ALGORITHM=")
            .replace("x-amz-signature=", "X-Amz-Signature=");
        assert!(check_url(&upper).is_ok());
        // Upstream's own failures still win: an expired token without a signature is
        // reported as expired.
        let expired = good_url("sts.us-west-2.amazonaws.com", "")
            .replace(&amz_date(NOW), "19900422T010203Z")
            .replace("&x-amz-signature=0123abcd", "");
        assert!(matches!(
            check_url(&expired).unwrap_err(),
            TokenError::Expired { .. }
        ));
    }

    /// When a token fails several checks, the first in upstream's order is reported.
    #[test]
    fn check_order_follows_upstream() {
        // Too large beats a wrong prefix.
        let big = format!("k8s-aws-v2.{}", "a".repeat(DEFAULT_MAX_TOKEN_LEN));
        assert_eq!(check(&big).unwrap_err(), TokenError::TooLarge);
        // Prefix beats base64.
        assert_eq!(
            check("k8s-aws-v2.!!!").unwrap_err(),
            TokenError::MissingPrefix
        );
        // Base64 beats everything inside.
        assert_eq!(
            check("k8s-aws-v1.a=").unwrap_err(),
            TokenError::Base64 { offset: 1 }
        );
        // url.Parse beats the scheme.
        assert!(matches!(
            check_url("http://sts{.amazonaws.com/").unwrap_err(),
            TokenError::Url { .. }
        ));
        // The scheme beats the host, path and query.
        assert_eq!(
            check_url("http://google.com/abc?bogus=1").unwrap_err(),
            TokenError::UnexpectedScheme {
                scheme: "http".into()
            }
        );
        // The host beats the path.
        assert!(matches!(
            check_url("https://google.com/abc").unwrap_err(),
            TokenError::HostFormat { .. }
        ));
        // The path beats the query.
        assert_eq!(
            check_url("https://sts.amazonaws.com/abc?bogus=%zz").unwrap_err(),
            TokenError::UnexpectedPath
        );
        // ParseQuery beats duplicates.
        assert_eq!(
            check_url("https://sts.amazonaws.com/?a=1&A=2&b=%zz").unwrap_err(),
            TokenError::MalformedQuery
        );
        // Duplicates beat the allow-list.
        assert!(matches!(
            check_url("https://sts.amazonaws.com/?bogus=1&Action=x&action=y").unwrap_err(),
            TokenError::DuplicateParameter { .. }
        ));
        // The allow-list beats the action.
        assert!(matches!(
            check_url("https://sts.amazonaws.com/?action=nope&bogus=1").unwrap_err(),
            TokenError::NonWhitelistedParameter { .. }
        ));
        // The action beats the signed headers.
        assert_eq!(
            check_url("https://sts.amazonaws.com/?action=nope").unwrap_err(),
            TokenError::UnexpectedAction
        );
        // Signed headers beat expires.
        assert_eq!(
            check_url("https://sts.amazonaws.com/?action=GetCallerIdentity&x-amz-expires=x")
                .unwrap_err(),
            TokenError::ClusterIdHeaderNotSigned
        );
        // Expires beats the date.
        assert_eq!(
            check_url(
                "https://sts.amazonaws.com/?action=GetCallerIdentity&x-amz-signedheaders=x-k8s-aws-id"
            )
            .unwrap_err(),
            TokenError::InvalidExpires { value: 0 }
        );
        assert_eq!(
            check_url(
                "https://sts.amazonaws.com/?action=GetCallerIdentity&x-amz-signedheaders=x-k8s-aws-id&x-amz-expires=60"
            )
            .unwrap_err(),
            TokenError::MissingDate
        );
    }

    #[test]
    fn max_token_len_is_configurable() {
        let token = to_token(&good_url(
            "sts.amazonaws.com",
            &format!("&x-amz-security-token={}", "A".repeat(5000)),
        ));
        assert!(token.len() > DEFAULT_MAX_TOKEN_LEN);
        assert_eq!(check(&token).unwrap_err(), TokenError::TooLarge);
        let v = verifier(Partition::Aws).with_max_token_len(16 * 1024);
        assert!(v.check(&token, NOW).is_ok());
        assert_eq!(v.policy().partition(), Partition::Aws);
        // Exactly at the cap passes the length check.
        let v = verifier(Partition::Aws).with_max_token_len(token.len());
        assert!(v.check(&token, NOW).is_ok());
    }

    #[test]
    fn base64_like_go() {
        assert_eq!(decode_base64(b"").unwrap(), b"");
        assert_eq!(decode_base64(b"aGk").unwrap(), b"hi");
        assert_eq!(decode_base64(b"aGVsbG8").unwrap(), b"hello");
        assert_eq!(decode_base64(b"-_-_").unwrap(), [0xfb, 0xff, 0xbf]);
        // Stricter than Go, which skips CR and LF and ignores non-zero trailing bits:
        // both would give one URL several token spellings.
        assert_eq!(
            decode_base64(b"aG\r\nk"),
            Err(TokenError::Base64 { offset: 2 })
        );
        assert_eq!(
            decode_base64(b"aGk\n"),
            Err(TokenError::Base64 { offset: 3 })
        );
        assert_eq!(decode_base64(b"aGl"), Err(TokenError::Base64 { offset: 2 }));
        assert_eq!(
            decode_base64(b"aGVsbG9"),
            Err(TokenError::Base64 { offset: 6 })
        );
        // Errors: first bad byte, padding, standard alphabet, a lone last character.
        assert_eq!(
            decode_base64(b"aGk="),
            Err(TokenError::Base64 { offset: 3 })
        );
        assert_eq!(
            decode_base64(b"ab+c"),
            Err(TokenError::Base64 { offset: 2 })
        );
        assert_eq!(
            decode_base64(b"ab/c"),
            Err(TokenError::Base64 { offset: 2 })
        );
        assert_eq!(
            decode_base64(b"abcde"),
            Err(TokenError::Base64 { offset: 4 })
        );
        assert_eq!(
            decode_base64(b"abcde\n\n"),
            Err(TokenError::Base64 { offset: 5 })
        );
        assert_eq!(decode_base64(b"a"), Err(TokenError::Base64 { offset: 0 }));
        assert_eq!(
            decode_base64(b"ab c"),
            Err(TokenError::Base64 { offset: 2 })
        );
        // Round trip with the encoder clients use.
        let data: Vec<u8> = (0..=255).collect();
        for len in 0..data.len() {
            let encoded = URL_SAFE_NO_PAD.encode(&data[..len]);
            assert_eq!(decode_base64(encoded.as_bytes()).unwrap(), &data[..len]);
        }
    }

    #[test]
    fn url_parse_errors_like_go() {
        let cases: &[(&str, UrlError)] = &[
            (":ab:cd.af:/asda", UrlError::MissingScheme),
            ("1ab:cd/ef", UrlError::FirstPathSegmentColon),
            ("a b:c", UrlError::FirstPathSegmentColon),
            (
                "https://sts.amazonaws.com:44x/",
                UrlError::InvalidPort {
                    port: b":44x".to_vec(),
                },
            ),
            ("https://[::1/", UrlError::MissingBracket),
            (
                "https://[::1]x/",
                UrlError::InvalidPort {
                    port: b"x".to_vec(),
                },
            ),
            (
                "https://sts{.amazonaws.com/",
                UrlError::InvalidHostCharacter { byte: b'{' },
            ),
            (
                "https://st s.amazonaws.com/",
                UrlError::InvalidHostCharacter { byte: b' ' },
            ),
            (
                "https://sts.us%2Dwest-2.amazonaws.com/",
                UrlError::InvalidEscape {
                    escape: b"%2D".to_vec(),
                },
            ),
            (
                "https://sts.amazonaws.com%/",
                UrlError::InvalidEscape {
                    escape: b"%".to_vec(),
                },
            ),
            (
                "https://sts.amazonaws.com/%zz",
                UrlError::InvalidEscape {
                    escape: b"%zz".to_vec(),
                },
            ),
            (
                "https://sts.amazonaws.com/%4",
                UrlError::InvalidEscape {
                    escape: b"%4".to_vec(),
                },
            ),
        ];
        for (url, want) in cases {
            match check_url(url).unwrap_err() {
                TokenError::Url { url: quoted, error } => {
                    assert_eq!(&error, want, "{url}");
                    assert_eq!(quoted, url.as_bytes());
                }
                other => panic!("{url}: {other:?}"),
            }
        }
        // What Go accepts at parse time goes on to the later checks.
        assert_eq!(
            check_url("").unwrap_err(),
            TokenError::UnexpectedScheme { scheme: "".into() }
        );
        assert_eq!(
            check_url("*").unwrap_err(),
            TokenError::UnexpectedScheme { scheme: "".into() }
        );
        assert_eq!(
            check_url("//sts.amazonaws.com/").unwrap_err(),
            TokenError::UnexpectedScheme { scheme: "".into() }
        );
        assert_eq!(
            check_url("ftp://sts.amazonaws.com/").unwrap_err(),
            TokenError::UnexpectedScheme {
                scheme: "ftp".into()
            }
        );
        // A valid non-ASCII host escape passes Go, then meets the strict host rules.
        assert!(matches!(
            check_url("https://sts.amazonaws.com%C3%A9/").unwrap_err(),
            TokenError::HostPercentEncoded { .. }
        ));
        // Query text is not validated by url.Parse.
        assert_eq!(
            check_url("https://sts.amazonaws.com?x=%zz").unwrap_err(),
            TokenError::UnexpectedPath
        );
    }

    #[test]
    fn expires_out_of_range_are_rejected() {
        for (value, shown) in [
            ("-1", -1),
            ("901", 901),
            ("abc", 0),
            ("99999999999999999999", i64::MAX),
        ] {
            let url = good_url("sts.amazonaws.com", "").replace("=60", &format!("={value}"));
            assert_eq!(
                check_url(&url).unwrap_err(),
                TokenError::InvalidExpires { value: shown },
                "{value}"
            );
        }
    }

    #[test]
    fn verifier_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Verifier>();
        assert_send_sync::<PresignedRequest>();
    }

    /// A small deterministic fuzz: mutated and random tokens never panic, and whatever
    /// passes really is a GetCallerIdentity URL for an accepted host.
    #[test]
    fn never_panics_on_mutated_tokens() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let v = verifier(Partition::Aws);
        let seed_url = good_url("sts.us-west-2.amazonaws.com", "");
        let alphabet = b"%#?&=;:/@[]+.-_AZaz09 \x00\x7f\xc3\xa9{}";
        for round in 0..3000 {
            let mut bytes = seed_url.clone().into_bytes();
            let edits = 1 + next() % 4;
            for _ in 0..edits {
                let pos = (next() as usize) % (bytes.len() + 1);
                let c = alphabet[(next() as usize) % alphabet.len()];
                match next() % 3 {
                    0 if pos < bytes.len() => bytes[pos] = c,
                    1 if pos < bytes.len() => {
                        bytes.remove(pos);
                    }
                    _ => bytes.insert(pos, c),
                }
            }
            let token = if round % 10 == 0 {
                // Raw garbage after the prefix too.
                let garbage: String = bytes.iter().map(|&b| char::from(b)).collect();
                format!("{TOKEN_PREFIX}{garbage}")
            } else {
                to_token_bytes(&bytes)
            };
            if let Ok(req) = v.check(&token, NOW) {
                assert!(req.url.to_ascii_lowercase().starts_with("https://"));
                assert!(req.url.bytes().all(|b| (0x21..0x7f).contains(&b)));
                assert!(v.policy().check(&req.host).is_ok());
            }
        }
    }
}
