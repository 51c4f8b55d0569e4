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
//! 15. the access key ID from `X-Amz-Credential`.
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
//! `strconv.Atoi` and `time.Parse` reject, follows upstream.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use crate::gofmt::time_quote;
use crate::token::CLUSTER_ID_HEADER;
use crate::token::error::{TokenError, UrlError};
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
// Step 4: the URL, as Go's `url.Parse`, plus this port's byte-level strictness.
// ---------------------------------------------------------------------------------------

/// Where the pieces of the URL are (byte ranges into the decoded URL).
#[derive(Debug, Default, PartialEq, Eq)]
struct UrlParts {
    /// The scheme as written (empty when there is none).
    scheme: Range<usize>,
    /// `//authority`, when present (userinfo and port included).
    authority: Option<Range<usize>>,
    /// The raw path (empty for an opaque URL).
    path: Range<usize>,
    /// The raw query, without `?`.
    query: Range<usize>,
    /// The raw fragment, without `#`, when there is a `#`.
    fragment: Option<Range<usize>>,
}

/// Go's `url.Parse`, reporting what it would reject with its words; the structure is
/// returned as ranges for the later checks.
fn parse_url(raw: &[u8]) -> Result<UrlParts, TokenError> {
    let hash = raw.iter().position(|&b| b == b'#');
    let u_end = hash.unwrap_or(raw.len());
    let u = raw.get(..u_end).unwrap_or_default();
    let err = |error| TokenError::Url {
        url: u.to_vec(),
        error,
    };

    if u.iter().any(|&b| b < 0x20 || b == 0x7f) {
        return Err(err(UrlError::ControlCharacter));
    }

    let (scheme, rest_start) = go_scheme(u).map_err(err)?;
    let rest_all = u.get(rest_start..).unwrap_or_default();
    let (rest_end, query) =
        if rest_all.last() == Some(&b'?') && rest_all.iter().filter(|&&b| b == b'?').count() == 1 {
            (u_end - 1, u_end..u_end)
        } else {
            match rest_all.iter().position(|&b| b == b'?') {
                Some(q) => (rest_start + q, rest_start + q + 1..u_end),
                None => (u_end, u_end..u_end),
            }
        };
    let rest = u.get(rest_start..rest_end).unwrap_or_default();

    let mut parts = UrlParts {
        scheme,
        query,
        ..UrlParts::default()
    };
    let opaque = !rest.starts_with(b"/") && !parts.scheme.is_empty();
    if opaque {
        // Go keeps a rootless path as `Opaque`: no host, no path.
        parts.path = rest_end..rest_end;
    } else {
        if !rest.starts_with(b"/") {
            let segment = rest.split(|&b| b == b'/').next().unwrap_or_default();
            if segment.contains(&b':') {
                return Err(err(UrlError::FirstPathSegmentColon));
            }
        }
        let has_authority =
            (!parts.scheme.is_empty() || !rest.starts_with(b"///")) && rest.starts_with(b"//");
        let path_start = if has_authority {
            let auth_start = rest_start + 2;
            let auth_end = u
                .get(auth_start..rest_end)
                .and_then(|a| a.iter().position(|&b| b == b'/'))
                .map_or(rest_end, |i| auth_start + i);
            check_go_host(u.get(auth_start..auth_end).unwrap_or_default()).map_err(err)?;
            parts.authority = Some(auth_start..auth_end);
            auth_end
        } else {
            rest_start
        };
        parts.path = path_start..rest_end;
        check_escapes(u.get(parts.path.clone()).unwrap_or_default(), false).map_err(err)?;
    }

    if let Some(hash) = hash {
        let fragment = hash + 1..raw.len();
        check_escapes(raw.get(fragment.clone()).unwrap_or_default(), false).map_err(|error| {
            TokenError::Url {
                url: raw.to_vec(),
                error,
            }
        })?;
        parts.fragment = Some(fragment);
    }
    Ok(parts)
}

/// Go's `getScheme`: the scheme's range and where the rest starts.
fn go_scheme(u: &[u8]) -> Result<(Range<usize>, usize), UrlError> {
    for (i, &c) in u.iter().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' if i == 0 => return Err(UrlError::MissingScheme),
            b':' => return Ok((0..i, i + 1)),
            _ => return Ok((0..0, 0)),
        }
    }
    Ok((0..0, 0))
}

/// The host half of Go's `parseAuthority`/`parseHost`: bracket, port and host-character
/// rules. Userinfo is not validated here; any userinfo is refused later.
fn check_go_host(authority: &[u8]) -> Result<(), UrlError> {
    let host = match authority.iter().rposition(|&b| b == b'@') {
        Some(at) => authority.get(at + 1..).unwrap_or_default(),
        None => authority,
    };
    let port_from = if host.first() == Some(&b'[') {
        match host.iter().rposition(|&b| b == b']') {
            Some(close) => Some(close + 1),
            None => return Err(UrlError::MissingBracket),
        }
    } else {
        host.iter().rposition(|&b| b == b':')
    };
    if let Some(from) = port_from {
        let port = host.get(from..).unwrap_or_default();
        let valid = match port.split_first() {
            None => true,
            Some((b':', digits)) => digits.iter().all(u8::is_ascii_digit),
            Some(_) => false,
        };
        if !valid {
            return Err(UrlError::InvalidPort {
                port: port.to_vec(),
            });
        }
    }
    check_escapes(host, true)
}

/// Go's `unescape` validation: `%` must introduce two hex digits; in a host, only
/// non-ASCII bytes (and `%25`) may be escaped and some ASCII bytes may not appear.
fn check_escapes(s: &[u8], host: bool) -> Result<(), UrlError> {
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        if c == b'%' {
            let hex = |j: usize| s.get(j).filter(|b| b.is_ascii_hexdigit()).copied();
            let (Some(hi), Some(_)) = (hex(i + 1), hex(i + 2)) else {
                let escape = s.get(i..(i + 3).min(s.len())).unwrap_or_default();
                return Err(UrlError::InvalidEscape {
                    escape: escape.to_vec(),
                });
            };
            let escape = s.get(i..i + 3).unwrap_or_default();
            if host && hex_value(hi) < 8 && escape != b"%25" {
                return Err(UrlError::InvalidEscape {
                    escape: escape.to_vec(),
                });
            }
            i += 3;
        } else {
            if host && c < 0x80 && !go_host_byte_allowed(c) {
                return Err(UrlError::InvalidHostCharacter { byte: c });
            }
            i += 1;
        }
    }
    Ok(())
}

fn hex_value(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

/// The ASCII bytes Go's `shouldEscape(c, encodeHost)` lets through unescaped.
fn go_host_byte_allowed(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'['
                | b']'
                | b'<'
                | b'>'
                | b'"'
                | b'-'
                | b'_'
                | b'.'
                | b'~'
        )
}

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
// Steps 8–9: the query, as Go's `url.ParseQuery`.
// ---------------------------------------------------------------------------------------

/// Decoded keys (first-appearance order) with all their values.
type Params = Vec<(String, Vec<String>)>;

/// Go's `url.ParseQuery`: `&`-separated, empty segments skipped, a `;` anywhere is an
/// error, `+` is a space and `%XX` must be well-formed. Any error is upstream's
/// `malformed query parameter`; only then are non-UTF-8 results refused.
fn parse_query(raw: &str) -> Result<Params, TokenError> {
    let mut decoded: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut malformed = false;
    for segment in raw.split('&') {
        if segment.contains(';') {
            malformed = true;
            continue;
        }
        if segment.is_empty() {
            continue;
        }
        let (key, value) = segment.split_once('=').unwrap_or((segment, ""));
        match (query_unescape(key), query_unescape(value)) {
            (Some(key), Some(value)) => decoded.push((key, value)),
            _ => malformed = true,
        }
    }
    if malformed {
        return Err(TokenError::MalformedQuery);
    }
    let mut params: Params = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (key, value) in decoded {
        let key = String::from_utf8(key).map_err(|_| TokenError::QueryNotUtf8)?;
        let value = String::from_utf8(value).map_err(|_| TokenError::QueryNotUtf8)?;
        match index.get(&key).and_then(|&i| params.get_mut(i)) {
            Some((_, values)) => values.push(value),
            None => {
                index.insert(key.clone(), params.len());
                params.push((key, vec![value]));
            }
        }
    }
    Ok(params)
}

/// Go's `url.QueryUnescape`.
fn query_unescape(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&c) = bytes.get(i) {
        match c {
            b'%' => {
                let hi = bytes.get(i + 1).filter(|b| b.is_ascii_hexdigit())?;
                let lo = bytes.get(i + 2).filter(|b| b.is_ascii_hexdigit())?;
                out.push(hex_value(*hi) << 4 | hex_value(*lo));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Some(out)
}

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

// ---------------------------------------------------------------------------------------
// Steps 13–14: Go's `strconv.Atoi` and `time.Parse("20060102T150405Z", …)`.
// ---------------------------------------------------------------------------------------

/// Go's `strconv.Atoi` on 64-bit: `Ok(n)`, or `Err(v)` with the value Go returns
/// alongside its error (0 for a syntax error, the clamped bound on overflow).
fn go_atoi(s: &str) -> Result<i64, i64> {
    let (negative, digits) = match s.as_bytes().split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, s.as_bytes()),
    };
    if digits.is_empty() {
        return Err(0);
    }
    let clamped = if negative { i64::MIN } else { i64::MAX };
    let mut n: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return Err(0);
        }
        // ParseUint reports overflow as soon as it happens, before later bad bytes.
        n = match n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(c - b'0')))
        {
            Some(n) => n,
            None => return Err(clamped),
        };
    }
    if negative {
        match n.checked_sub(1).map(i64::try_from) {
            None => Ok(0),
            Some(Ok(m)) => Ok(-m - 1),
            Some(Err(_)) => Err(i64::MIN),
        }
    } else {
        i64::try_from(n).map_err(|_| i64::MAX)
    }
}

/// The layout upstream parses `X-Amz-Date` with.
const DATE_LAYOUT: &str = "20060102T150405Z";

/// Go's `time.Parse(DATE_LAYOUT, value)`, including its error texts. `T` and `Z` are
/// literals; a fractional second after the seconds is accepted, as Go does; the
/// result is UTC.
fn parse_amz_date(value: &str) -> Result<OffsetDateTime, String> {
    let v = value.as_bytes();
    let cannot = |rest: &[u8], elem: &str| {
        format!(
            "parsing time {} as \"{DATE_LAYOUT}\": cannot parse {} as \"{elem}\"",
            time_quote(v),
            time_quote(rest)
        )
    };
    let message = |msg: &str| format!("parsing time {}{msg}", time_quote(v));

    let rest = v;
    let year = match rest.get(..4) {
        Some(p) if p.iter().all(u8::is_ascii_digit) => {
            p.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
        }
        _ => return Err(cannot(rest, "2006")),
    };
    let rest = rest.get(4..).unwrap_or_default();
    let (month, rest) = getnum(rest, true).ok_or_else(|| cannot(rest, "01"))?;
    if !(1..=12).contains(&month) {
        return Err(message(": month out of range"));
    }
    let (day, rest) = getnum(rest, true).ok_or_else(|| cannot(rest, "02"))?;
    let rest = rest.strip_prefix(b"T").ok_or_else(|| cannot(rest, "T"))?;
    let (hour, rest) = getnum(rest, false).ok_or_else(|| cannot(rest, "15"))?;
    if hour >= 24 {
        return Err(message(": hour out of range"));
    }
    let (minute, rest) = getnum(rest, true).ok_or_else(|| cannot(rest, "04"))?;
    if minute >= 60 {
        return Err(message(": minute out of range"));
    }
    let (second, mut rest) = getnum(rest, true).ok_or_else(|| cannot(rest, "05"))?;
    if second >= 60 {
        return Err(message(": second out of range"));
    }
    let mut nanos: u32 = 0;
    if let (Some(b'.' | b','), Some(d)) = (rest.first(), rest.get(1))
        && d.is_ascii_digit()
    {
        let digits = rest
            .get(1..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        // Go keeps at most nine digits and scales to nanoseconds.
        nanos = rest
            .get(1..1 + digits.min(9))
            .unwrap_or_default()
            .iter()
            .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
        for _ in digits.min(9)..9 {
            nanos *= 10;
        }
        rest = rest.get(1 + digits..).unwrap_or_default();
    }
    let rest = rest.strip_prefix(b"Z").ok_or_else(|| cannot(rest, "Z"))?;
    if !rest.is_empty() {
        return Err(message(&format!(": extra text: {}", time_quote(rest))));
    }
    if day < 1 || day > days_in(month, year) {
        return Err(message(": day out of range"));
    }
    let date = Month::try_from(month)
        .ok()
        .and_then(|m| Date::from_calendar_date(i32::try_from(year).ok()?, m, day).ok())
        .ok_or_else(|| message(": day out of range"))?;
    let time = Time::from_hms_nano(hour, minute, second, nanos)
        .map_err(|_| message(": second out of range"))?;
    Ok(PrimitiveDateTime::new(date, time).assume_utc())
}

/// Go's `getnum`: one or two digits (`fixed`: exactly two).
fn getnum(s: &[u8], fixed: bool) -> Option<(u8, &[u8])> {
    let first = s.first().filter(|b| b.is_ascii_digit())?;
    match s.get(1).filter(|b| b.is_ascii_digit()) {
        Some(second) => Some(((first - b'0') * 10 + (second - b'0'), s.get(2..)?)),
        None if fixed => None,
        None => Some((first - b'0', s.get(1..)?)),
    }
}

/// Days in `month` (1–12) of `year`, proleptic Gregorian.
fn days_in(month: u8, year: u32) -> u8 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::partition::Partition;
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

    /// A URL that passes, with `extra` appended to the query.
    fn good_url(host: &str, extra: &str) -> String {
        format!(
            "https://{host}/?action=GetCallerIdentity&x-amz-signedheaders=x-k8s-aws-id&x-amz-date={}&x-amz-expires=60{extra}",
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
            assert_eq!(req.access_key_id, "");
        }
        // Upstream's validURL: global endpoint, mixed-case keys, a credential.
        let url = format!(
            "https://sts.amazonaws.com/?action=GetCallerIdentity&X-Amz-Credential=ASIABCDEFGHIJKLMNOPQ%2F20191216%2Fus-west-2%2Fs3%2Faws4_request&x-amz-signedheaders=x-k8s-aws-id&x-amz-expires=60&x-amz-date={}",
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
        let all = good_url(
            "sts.amazonaws.com",
            "&&VERSION=2011-06-15&X-AMZ-ALGORITHM=AWS4-HMAC-SHA256&x-Amz-Security-Token=a+b%2Bc&X-Amz-Signature=00&",
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
        // alone still does.
        assert!(
            HostPolicy::new(Partition::Aws, None)
                .check("sts.US-WEST-2.amazonaws.com")
                .is_ok()
        );
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

    /// Regression (issue 9 corpus): Go lowercases the scheme and skips CR/LF in the
    /// base64, so upstream accepts several spellings of one signed URL; here exactly one
    /// token string is valid for each URL.
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
                "https://sts.amazonaws.com/?action=GetCallerIdentity&x-amz-signedheaders=x-k8s-aws-id&x-amz-date={}&x-amz-expires=60",
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
    fn url_parts_are_split_like_go() {
        let raw = b"HTTPS://sts.amazonaws.com/?a=b?c";
        let parts = parse_url(raw).unwrap();
        assert_eq!(&raw[parts.scheme.clone()], b"HTTPS");
        assert_eq!(&raw[parts.authority.clone().unwrap()], b"sts.amazonaws.com");
        assert_eq!(&raw[parts.path.clone()], b"/");
        assert_eq!(&raw[parts.query.clone()], b"a=b?c");
        assert_eq!(parts.fragment, None);
        // A lone trailing '?' is Go's ForceQuery: empty query.
        let raw = b"https://h/?";
        let parts = parse_url(raw).unwrap();
        assert_eq!(&raw[parts.path.clone()], b"/");
        assert!(parts.query.is_empty());
        // '?' ends the authority.
        let raw = b"https://h?q";
        let parts = parse_url(raw).unwrap();
        assert_eq!(&raw[parts.authority.clone().unwrap()], b"h");
        assert!(parts.path.is_empty());
        assert_eq!(&raw[parts.query.clone()], b"q");
    }

    #[test]
    fn expires_like_go_atoi() {
        assert_eq!(go_atoi("60"), Ok(60));
        assert_eq!(go_atoi("+60"), Ok(60));
        assert_eq!(go_atoi("-5"), Ok(-5));
        assert_eq!(go_atoi("-0"), Ok(0));
        assert_eq!(go_atoi(""), Err(0));
        assert_eq!(go_atoi("+"), Err(0));
        assert_eq!(go_atoi("1_0"), Err(0));
        assert_eq!(go_atoi("0x10"), Err(0));
        assert_eq!(go_atoi(" 1"), Err(0));
        assert_eq!(go_atoi("9223372036854775807"), Ok(i64::MAX));
        assert_eq!(go_atoi("9223372036854775808"), Err(i64::MAX));
        assert_eq!(go_atoi("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(go_atoi("-9223372036854775809"), Err(i64::MIN));
        assert_eq!(go_atoi("99999999999999999999x"), Err(i64::MAX));
        assert_eq!(go_atoi("9999999999999999999x"), Err(0));
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
    fn dates_like_go_time_parse() {
        assert_eq!(
            parse_amz_date("20230428T000000Z").unwrap(),
            datetime!(2023-04-28 00:00:00 UTC)
        );
        assert_eq!(
            parse_amz_date("20240229T235959Z").unwrap(),
            datetime!(2024-02-29 23:59:59 UTC)
        );
        // Go's fractional-second special case, and its one-digit hour.
        assert_eq!(
            parse_amz_date("20230428T000000.5Z").unwrap(),
            datetime!(2023-04-28 00:00:00.5 UTC)
        );
        assert_eq!(
            parse_amz_date("20230428T000000,1234567891Z").unwrap(),
            datetime!(2023-04-28 00:00:00.123456789 UTC)
        );
        let q = |s: &str| format!("parsing time \"{s}\"");
        let cases = [
            (
                "xxxxxxx",
                format!(
                    "{} as \"20060102T150405Z\": cannot parse \"xxxxxxx\" as \"2006\"",
                    q("xxxxxxx")
                ),
            ),
            (
                "202",
                format!(
                    "{} as \"20060102T150405Z\": cannot parse \"202\" as \"2006\"",
                    q("202")
                ),
            ),
            (
                "2023",
                format!(
                    "{} as \"20060102T150405Z\": cannot parse \"\" as \"01\"",
                    q("2023")
                ),
            ),
            (
                "20231",
                format!(
                    "{} as \"20060102T150405Z\": cannot parse \"1\" as \"01\"",
                    q("20231")
                ),
            ),
            (
                "20231328T000000Z",
                format!("{}: month out of range", q("20231328T000000Z")),
            ),
            (
                "20230400T000000Z",
                format!("{}: day out of range", q("20230400T000000Z")),
            ),
            (
                "20230229T000000Z",
                format!("{}: day out of range", q("20230229T000000Z")),
            ),
            (
                "20230431T000000Z",
                format!("{}: day out of range", q("20230431T000000Z")),
            ),
            (
                "20230428 000000Z",
                format!(
                    "{} as \"20060102T150405Z\": cannot parse \" 000000Z\" as \"T\"",
                    q("20230428 000000Z")
                ),
            ),
            (
                "20230428T240000Z",
                format!("{}: hour out of range", q("20230428T240000Z")),
            ),
            (
                "20230428T006000Z",
                format!("{}: minute out of range", q("20230428T006000Z")),
            ),
            (
                "20230428T000060Z",
                format!("{}: second out of range", q("20230428T000060Z")),
            ),
            (
                "20230428T000000",
                format!(
                    "{} as \"20060102T150405Z\": cannot parse \"\" as \"Z\"",
                    q("20230428T000000")
                ),
            ),
            (
                "20230428T000000+0000",
                format!(
                    "{} as \"20060102T150405Z\": cannot parse \"+0000\" as \"Z\"",
                    q("20230428T000000+0000")
                ),
            ),
            (
                "20230428T000000ZZ",
                format!("{}: extra text: \"Z\"", q("20230428T000000ZZ")),
            ),
            (
                "20230428T5Z",
                format!(
                    "{} as \"20060102T150405Z\": cannot parse \"Z\" as \"04\"",
                    q("20230428T5Z")
                ),
            ),
            (
                "2023-04-28T00:00:00Z",
                format!(
                    "{} as \"20060102T150405Z\": cannot parse \"-04-28T00:00:00Z\" as \"01\"",
                    q("2023-04-28T00:00:00Z")
                ),
            ),
            (
                "é",
                "parsing time \"\\xc3\\xa9\" as \"20060102T150405Z\": cannot parse \"\\xc3\\xa9\" as \"2006\""
                    .to_owned(),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(parse_amz_date(input).unwrap_err(), want, "{input}");
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
        let seed_url = good_url(
            "sts.us-west-2.amazonaws.com",
            "&X-Amz-Credential=AKID%2F20230428%2Fus-west-2%2Fsts%2Faws4_request",
        );
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
