//! Go's `net/url` as far as the verifier needs it: `url.Parse` (which bytes it rejects,
//! and where it splits scheme, authority, path, query and fragment) and
//! `url.ParseQuery`.
//!
//! Upstream hands the decoded token to these two functions; reproducing them, error
//! texts included, is what lets [`super::verify`] refuse exactly what upstream refuses
//! with upstream's words. The stricter rules this port adds on top live in
//! [`super::verify`], not here.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::HashMap;
use std::ops::Range;

use crate::token::error::{TokenError, UrlError};

/// Where the pieces of the URL are (byte ranges into the decoded URL).
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct UrlParts {
    /// The scheme as written (empty when there is none).
    pub(super) scheme: Range<usize>,
    /// `//authority`, when present (userinfo and port included).
    pub(super) authority: Option<Range<usize>>,
    /// The raw path (empty for an opaque URL).
    pub(super) path: Range<usize>,
    /// The raw query, without `?`.
    pub(super) query: Range<usize>,
    /// The raw fragment, without `#`, when there is a `#`.
    pub(super) fragment: Option<Range<usize>>,
}

/// Go's `url.Parse`, reporting what it would reject with its words; the structure is
/// returned as ranges for the later checks.
pub(super) fn parse_url(raw: &[u8]) -> Result<UrlParts, TokenError> {
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

/// Decoded keys (first-appearance order) with all their values.
pub(super) type Params = Vec<(String, Vec<String>)>;

/// Go's `url.ParseQuery`: `&`-separated, empty segments skipped, a `;` anywhere is an
/// error, `+` is a space and `%XX` must be well-formed. Any error is upstream's
/// `malformed query parameter`; only then are non-UTF-8 results refused.
pub(super) fn parse_query(raw: &str) -> Result<Params, TokenError> {
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

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
}
