//! Text formatted exactly as Go formats it, for messages that must match upstream's.
//!
//! Upstream is written in Go and its error texts reach users, logs and tests through
//! `%q`, `time.Time.String()` and the quoting inside `time.Parse` and `encoding/json`
//! errors. Each of those has small rules of its own (which characters are escaped, and
//! how); they live here, in one place, so every message that quotes like Go quotes the
//! same way.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::fmt::Write as _;

use time::OffsetDateTime;

/// Go's `strconv.Quote` (what `%q` prints) for a string.
pub(crate) fn go_quote(s: &str) -> String {
    go_quote_bytes(s.as_bytes())
}

/// Go's `strconv.Quote` for arbitrary bytes: invalid UTF-8 becomes `\xNN`.
///
/// Go's `unicode.IsPrint` is table-driven; for non-ASCII characters this approximates it
/// (controls, non-ASCII spaces, format characters, private-use and non-characters are
/// escaped). ASCII is exact.
pub(crate) fn go_quote_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_escaped_char(&mut out, c);
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out.push('"');
    out
}

fn push_escaped_char(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{b}' => out.push_str("\\v"),
        ' '..='~' => out.push(c),
        c if c < ' ' || c == '\u{7f}' => {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        }
        c if go_is_print(c) => out.push(c),
        c if u32::from(c) < 0x10000 => {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        }
        c => {
            let _ = write!(out, "\\U{:08x}", u32::from(c));
        }
    }
}

/// Approximation of Go's `unicode.IsPrint` for non-ASCII characters.
fn go_is_print(c: char) -> bool {
    let u = u32::from(c);
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let format_or_private = matches!(
        u,
        0xAD | 0x600..=0x605
            | 0x61C
            | 0x6DD
            | 0x70F
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x206F
            | 0xD800..=0xF8FF
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0xE0000..=0xE007F
            | 0xF0000..
    );
    let noncharacter = (0xFDD0..=0xFDEF).contains(&u) || (u & 0xFFFE) == 0xFFFE;
    !format_or_private && !noncharacter
}

/// Go's `time.Time.String()` for a UTC time:
/// `2006-01-02 15:04:05.999999999 +0000 UTC` (fraction trimmed, omitted when zero).
pub(crate) fn go_time_string(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let mut out = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    let nanos = t.nanosecond();
    if nanos != 0 {
        let frac = format!("{nanos:09}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    out.push_str(" +0000 UTC");
    out
}

/// Go's `quoteChar` from `encoding/json`'s scanner.
pub(crate) fn go_json_quote_char(c: u8) -> String {
    match c {
        b'\'' => "'\\''".to_owned(),
        b'"' => "'\"'".to_owned(),
        c => {
            let quoted = go_quote(char::from(c).encode_utf8(&mut [0; 4]));
            let inner = quoted
                .strip_prefix('"')
                .and_then(|q| q.strip_suffix('"'))
                .unwrap_or_default();
            format!("'{inner}'")
        }
    }
}

/// The `quote` of Go's `time` package: non-ASCII and control bytes as `\xNN`.
pub(crate) fn time_quote(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &b in s {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x20..=0x7f => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

/// Go's `fmt.Sprintf("%q", list)` for a `[]string`: `["a" "b"]`.
#[cfg(feature = "server")]
pub(crate) fn go_quote_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| go_quote(s)).collect();
    format!("[{}]", quoted.join(" "))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    #[test]
    #[cfg(feature = "server")]
    fn quotes_lists_and_escapes() {
        assert_eq!(go_quote("a\"b\\c\nd\u{1}é"), "\"a\\\"b\\\\c\\nd\\x01é\"");
        assert_eq!(
            go_quote_list(&["a".into(), "b c".into()]),
            "[\"a\" \"b c\"]"
        );
    }

    use super::*;
    use time::macros::datetime;

    #[test]
    fn go_quote_matches_strconv_quote() {
        assert_eq!(go_quote("abc"), "\"abc\"");
        assert_eq!(go_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(go_quote("\n\t\u{0}\u{7f}"), "\"\\n\\t\\x00\\x7f\"");
        assert_eq!(go_quote("é"), "\"é\"");
        assert_eq!(go_quote("\u{200b}"), "\"\\u200b\"");
        assert_eq!(go_quote("\u{a0}"), "\"\\u00a0\"");
        assert_eq!(go_quote_bytes(b"a\xffb"), "\"a\\xffb\"");
    }

    #[test]
    fn go_time_string_trims_fraction() {
        assert_eq!(
            go_time_string(datetime!(2023-04-28 00:00:00.5 UTC)),
            "2023-04-28 00:00:00.5 +0000 UTC"
        );
        assert_eq!(
            go_time_string(datetime!(0990-01-02 03:04:05 UTC)),
            "0990-01-02 03:04:05 +0000 UTC"
        );
    }

    #[test]
    fn time_and_json_quotes() {
        assert_eq!(time_quote(b"a\"\\\xc3\x01~"), "\"a\\\"\\\\\\xc3\\x01~\"");
        assert_eq!(go_json_quote_char(b'x'), "'x'");
        assert_eq!(go_json_quote_char(b'\''), "'\\''");
        assert_eq!(go_json_quote_char(b'"'), "'\"'");
        assert_eq!(go_json_quote_char(0), "'\\x00'");
    }
}
