//! Writing `aws-auth` data the way Go's yaml.v2 lays it out (upstream's `EncodeMap`):
//! block lists, and yaml.v2's choice of plain, single- or double-quoted scalar for each
//! string.
//!
//! `add` appends entries in this layout to hand-written ConfigMaps, so the output has to
//! read back as exactly the values that were written and look like what upstream writes.

use std::collections::BTreeMap;

use super::{MAP_ACCOUNTS, MAP_ROLES, MAP_USERS};
use crate::mapper::{RoleMapping, UserMapping};

/// Encodes mappings as `aws-auth` data (upstream's `EncodeMap`, used by `add`), in the
/// layout Go's yaml.v2 produces: block lists, `groups` items at the key's indentation,
/// `sso` nested by two spaces, and strings quoted only when plain YAML would misread them.
/// Empty lists leave their key out. `parse_map(&encode_map(..))` gives back the input.
///
/// Two presentation differences from yaml.v2, neither affecting the parsed values:
/// multi-line strings are written double-quoted rather than as `|-` blocks, and long
/// plain strings are not wrapped at 80 columns.
pub fn encode_map(
    roles: &[RoleMapping],
    users: &[UserMapping],
    accounts: &[String],
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if !users.is_empty() {
        let mut s = String::new();
        for user in users {
            s.push_str("- userarn: ");
            s.push_str(&yaml_scalar(&user.userarn));
            s.push('\n');
            push_common(&mut s, &user.username, &user.groups, user.userid.as_deref());
        }
        out.insert(MAP_USERS.to_string(), s);
    }
    if !roles.is_empty() {
        let mut s = String::new();
        for role in roles {
            let mut lead = "- ";
            if let Some(arn) = role.rolearn.as_deref().filter(|a| !a.is_empty()) {
                s.push_str(lead);
                s.push_str("rolearn: ");
                s.push_str(&yaml_scalar(arn));
                s.push('\n');
                lead = "  ";
            }
            if let Some(sso) = &role.sso {
                s.push_str(lead);
                s.push_str("sso:\n    permissionSetName: ");
                s.push_str(&yaml_scalar(&sso.permission_set_name));
                s.push_str("\n    accountID: ");
                s.push_str(&yaml_scalar(&sso.account_id));
                s.push('\n');
                if let Some(p) = sso.partition.as_deref().filter(|p| !p.is_empty()) {
                    s.push_str("    partition: ");
                    s.push_str(&yaml_scalar(p));
                    s.push('\n');
                }
                lead = "  ";
            }
            s.push_str(lead);
            s.push_str("username: ");
            s.push_str(&yaml_scalar(&role.username));
            s.push('\n');
            push_groups_and_userid(&mut s, &role.groups, role.userid.as_deref());
        }
        out.insert(MAP_ROLES.to_string(), s);
    }
    if !accounts.is_empty() {
        let mut s = String::new();
        for account in accounts {
            s.push_str("- ");
            s.push_str(&yaml_scalar(account));
            s.push('\n');
        }
        out.insert(MAP_ACCOUNTS.to_string(), s);
    }
    out
}

fn push_common(s: &mut String, username: &str, groups: &[String], userid: Option<&str>) {
    s.push_str("  username: ");
    s.push_str(&yaml_scalar(username));
    s.push('\n');
    push_groups_and_userid(s, groups, userid);
}

fn push_groups_and_userid(s: &mut String, groups: &[String], userid: Option<&str>) {
    if groups.is_empty() {
        s.push_str("  groups: []\n");
    } else {
        s.push_str("  groups:\n");
        for g in groups {
            s.push_str("  - ");
            s.push_str(&yaml_scalar(g));
            s.push('\n');
        }
    }
    if let Some(id) = userid.filter(|id| !id.is_empty()) {
        s.push_str("  userid: ");
        s.push_str(&yaml_scalar(id));
        s.push('\n');
    }
}

// ---------------------------------------------------------------------------------------
// yaml.v2's choice of scalar style, for block context (not a key, not in a flow)
// ---------------------------------------------------------------------------------------

/// Renders a string value the way yaml.v2 would: plain when that reads back as the same
/// string, else single-quoted, else double-quoted.
fn yaml_scalar(s: &str) -> String {
    if s.contains('\n') || resolves_to_non_string(s) || is_base60_float(s) {
        return double_quoted(s);
    }
    let (plain_ok, single_ok) = analyze(s);
    if plain_ok {
        s.to_string()
    } else if single_ok {
        format!("'{}'", s.replace('\'', "''"))
    } else {
        double_quoted(s)
    }
}

/// yaml.v2's `is_printable` (with unicode output enabled).
fn is_printable(c: char) -> bool {
    matches!(c as u32, 0x0A | 0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFFFD) && c != '\u{FEFF}'
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Port of yaml.v2's `yaml_emitter_analyze_scalar`: (block plain allowed, single allowed).
fn analyze(s: &str) -> (bool, bool) {
    if s.is_empty() {
        return (true, true);
    }
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let (mut leading_space, mut leading_break) = (false, false);
    let (mut trailing_space, mut trailing_break) = (false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut special, mut line_breaks) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_whitespace = true;
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_whitespace = chars.get(i + 1).is_none_or(|&next| is_blank(next));
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => block_indicators = true,
                '#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            leading_space |= i == 0;
            trailing_space |= i + 1 == n;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            leading_break |= i == 0;
            trailing_break |= i + 1 == n;
            space_break |= previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blank(c) || is_break(c);
    }
    let plain = !(leading_space
        || leading_break
        || trailing_space
        || trailing_break
        || break_space
        || space_break
        || special
        || line_breaks
        || block_indicators);
    let single = !(break_space || space_break || special);
    (plain, single)
}

/// Would yaml.v2 read this plain scalar as something other than a string (null, bool,
/// int, float, timestamp)? Errs on the side of "yes": quoting too much is harmless.
fn resolves_to_non_string(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "", "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
        "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
        ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
        "-.Inf", "-.INF",
    ];
    if WORDS.contains(&s) {
        return true;
    }
    match s.chars().next() {
        Some('.') => is_yaml_float(s),
        Some('0'..='9' | '+' | '-') => {
            let plain = s.replace('_', "");
            looks_like_timestamp(s) || is_go_int(&plain) || is_yaml_float(&plain)
        }
        _ => false,
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)` / `ParseUint` syntax (range not checked: a decimal
/// too big for them is still a float to yaml.v2, and other radixes are rare here).
fn is_go_int(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (digits, radix) = if let Some(d) = body.strip_prefix("0x").or(body.strip_prefix("0X")) {
        (d, 16)
    } else if let Some(d) = body.strip_prefix("0o").or(body.strip_prefix("0O")) {
        (d, 8)
    } else if let Some(d) = body.strip_prefix("0b").or(body.strip_prefix("0B")) {
        (d, 2)
    } else if let Some(d) = body.strip_prefix('0').filter(|d| !d.is_empty()) {
        (d, 8)
    } else {
        (body, 10)
    };
    !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix))
}

/// yaml.v2's float syntax `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit()),
        Some((int, frac)) => {
            !int.is_empty()
                && int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|b| b.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

/// yaml.v2's quick timestamp check (four digits and a dash) plus a loose look at the rest.
fn looks_like_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 5
        && b.iter().take(4).all(u8::is_ascii_digit)
        && b.get(4) == Some(&b'-')
        && s.bytes().all(|c| {
            c.is_ascii_digit()
                || matches!(
                    c,
                    b'-' | b':' | b'.' | b'T' | b't' | b'Z' | b'z' | b' ' | b'+'
                )
        })
}

/// yaml.v2's `isBase60Float`: `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`.
fn is_base60_float(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (main, frac) = match s.split_once('.') {
        Some((m, f)) => (m, Some(f)),
        None => (s, None),
    };
    if frac.is_some_and(|f| !f.bytes().all(|b| b.is_ascii_digit() || b == b'_')) {
        return false;
    }
    let mut parts = main.split(':');
    let head_ok = parts.next().is_some_and(|h| {
        h.bytes().next().is_some_and(|b| b.is_ascii_digit())
            && h.bytes().all(|b| b.is_ascii_digit() || b == b'_')
    });
    let rest: Vec<&str> = parts.collect();
    head_ok
        && !rest.is_empty()
        && rest.iter().all(|p| {
            let b = p.as_bytes();
            match b {
                [d] => d.is_ascii_digit(),
                [t, d] => (b'0'..=b'5').contains(t) && d.is_ascii_digit(),
                _ => false,
            }
        })
}

/// yaml.v2's double-quoted style escapes.
fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\0' => out.push_str("\\0"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{85}' => out.push_str("\\N"),
            '\u{a0}' => out.push_str("\\_"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if !is_printable(c) => {
                let v = c as u32;
                if v <= 0xFF {
                    out.push_str(&format!("\\x{v:02X}"));
                } else if v <= 0xFFFF {
                    out.push_str(&format!("\\u{v:04X}"));
                } else {
                    out.push_str(&format!("\\U{v:08X}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::mapper::SsoArnMatcher;
    use crate::mapper::configmap::fixtures::data;
    use crate::mapper::configmap::parse_map;

    /// Upstream's TestParseMap: exact EncodeMap text, including an `sso:` entry.
    #[test]
    fn parse_map_encode_map_round_trip_upstream_text() {
        let m1 = data(&[
            (
                "mapRoles",
                "- rolearn: arn:aws:iam::123456789101:role/test-NodeInstanceRole-1VWRHZ3GKZ1T4
  username: system:node:{{EC2PrivateDNSName}}
  groups:
  - system:bootstrappers
  - system:nodes
- sso:
    permissionSetName: ViewOnlyAccess
    accountID: \"012345678912\"
    partition: aws-cn
  username: user1
  groups:
  - system:basic-users
",
            ),
            (
                "mapUsers",
                "- userarn: arn:aws:iam::123456789101:user/Hello
  username: Hello
  groups:
  - system:masters
- userarn: arn:aws:iam::123456789101:user/World
  username: World
  groups:
  - system:masters
",
            ),
        ]);
        let parsed = parse_map(&m1);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        assert_eq!(
            parsed.roles.get(1).and_then(|r| r.sso.clone()),
            Some(SsoArnMatcher {
                permission_set_name: "ViewOnlyAccess".to_string(),
                account_id: "012345678912".to_string(),
                partition: Some("aws-cn".to_string()),
            })
        );
        assert!(parsed.accounts.is_empty());
        let m2 = encode_map(&parsed.roles, &parsed.users, &parsed.accounts);
        assert_eq!(m1, m2);
    }

    #[test]
    fn encode_then_parse_round_trips_awkward_strings() {
        let awkward = [
            "{{SessionName}}",
            "",
            "yes",
            "No",
            "~",
            "123",
            "0x1F",
            "1.5e3",
            "2001-12-14",
            "1:20",
            "a: b",
            "a:b",
            "#x",
            "x #y",
            "x# y",
            "- dash",
            "-dash",
            " leading",
            "trailing ",
            "it's",
            "tab\there",
            "multi\nline",
            "back\\slash \"quoted\"",
            "ünïcödé",
            "emoji 😀",
            "nbsp\u{a0}x",
            "bell\u{7}",
            "---",
            "@at",
            "%pct",
            "!bang",
            "&amp",
            "*star",
            "|pipe",
            ">gt",
            "[x]",
            "?q",
            "? q",
        ];
        let roles: Vec<RoleMapping> = awkward
            .iter()
            .enumerate()
            .map(|(i, s)| RoleMapping {
                rolearn: Some(format!("arn:aws:iam::1:role/r{i}")),
                sso: None,
                username: (*s).to_string(),
                groups: vec![(*s).to_string(), "plain".to_string()],
                userid: Some(format!("AROA{i}")),
            })
            .chain([RoleMapping {
                rolearn: None,
                sso: Some(SsoArnMatcher {
                    permission_set_name: "Admin".to_string(),
                    account_id: "000000000001".to_string(),
                    partition: None,
                }),
                username: "sso".to_string(),
                groups: vec![],
                userid: None,
            }])
            .collect();
        let users = vec![UserMapping {
            userarn: "arn:aws:iam::1:user/u".to_string(),
            username: "yes".to_string(),
            groups: vec![],
            userid: Some("AIDA1".to_string()),
        }];
        let accounts: Vec<String> = ["012345678912", "1e3", "true", "plain"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let encoded = encode_map(&roles, &users, &accounts);
        let parsed = parse_map(&encoded);
        assert!(
            parsed.warnings.is_empty(),
            "{:?}\n{encoded:#?}",
            parsed.warnings
        );
        assert_eq!(parsed.roles, roles, "{encoded:#?}");
        assert_eq!(parsed.users, users);
        assert_eq!(parsed.accounts, accounts);
    }

    #[test]
    fn encode_uses_yaml_v2_quoting() {
        let cases = [
            ("plain", "plain"),
            (
                "system:node:{{EC2PrivateDNSName}}",
                "system:node:{{EC2PrivateDNSName}}",
            ),
            ("{{SessionName}}", "'{{SessionName}}'"),
            ("012345678912", "\"012345678912\""),
            ("", "\"\""),
            ("true", "\"true\""),
            ("a: b", "'a: b'"),
            ("it's: x", "'it''s: x'"),
            ("tab\tx", "\"tab\\tx\""),
            ("1:20", "\"1:20\""),
            ("emoji 😀", "\"emoji \\U0001F600\""),
        ];
        for (input, want) in cases {
            assert_eq!(yaml_scalar(input), want, "{input:?}");
        }
        let out = encode_map(&[], &[], &["123456789012".to_string()]);
        assert_eq!(
            out.get(MAP_ACCOUNTS).map(String::as_str),
            Some("- \"123456789012\"\n")
        );
        assert!(encode_map(&[], &[], &[]).is_empty());
    }
}
