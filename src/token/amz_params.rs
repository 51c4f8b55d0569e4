//! The two query parameters read as numbers: `X-Amz-Expires` as Go's `strconv.Atoi`
//! and `X-Amz-Date` as Go's `time.Parse("20060102T150405Z", …)`.
//!
//! Upstream reports the value `Atoi` yields and the text `time.Parse` gives, so both are
//! reproduced exactly, including the value Go returns beside an error and every
//! "cannot parse … as …" and "… out of range" message.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use crate::gofmt::time_quote;

/// Go's `strconv.Atoi` on 64-bit: `Ok(n)`, or `Err(v)` with the value Go returns
/// alongside its error (0 for a syntax error, the clamped bound on overflow).
pub(super) fn go_atoi(s: &str) -> Result<i64, i64> {
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
pub(super) fn parse_amz_date(value: &str) -> Result<OffsetDateTime, String> {
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
    use time::macros::datetime;

    #[test]
    fn atoi_like_go() {
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
}
