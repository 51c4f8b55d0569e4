//! The adversarial token corpus: every token below is posted to the real
//! server binary over TLS, and each must be denied. For the cases marked `Local`, the
//! denial must come from the verifier's local checks — the STS stand-in must receive
//! **no request at all** — and the server's log must name the reason. Cases marked
//! `Sts` pass the local checks (upstream accepts them too) and are denied by STS's
//! signature check; they document where the line is drawn.
//!
//! A control case (the untouched token) must authenticate, so a harness that denied
//! everything would fail here.
#![cfg(feature = "server")]

mod common;

use common::webhook::{ALICE_CONFIG, Webhook};
use common::*;
use time::OffsetDateTime;
use time::macros::format_description;

/// What must happen to a token.
#[derive(Debug)]
enum Verdict {
    /// Denied by the local checks, with this text in the log; STS never contacted.
    Local(&'static str),
    /// Passes the local checks, reaches STS, is denied there.
    Sts,
}
use Verdict::*;

struct Case {
    name: String,
    token: String,
    verdict: Verdict,
}

fn encode(url: &str) -> String {
    use base64::Engine;
    format!(
        "k8s-aws-v1.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(url)
    )
}

fn amz_date(t: OffsetDateTime) -> String {
    t.format(format_description!(
        "[year][month][day]T[hour][minute][second]Z"
    ))
    .unwrap()
}

/// The parts of a real presigned URL, to mutate.
struct Url {
    host: String,
    /// `(key, value)` as written (already percent-encoded).
    params: Vec<(String, String)>,
}

impl Url {
    fn parse(url: &str) -> Url {
        let rest = url.strip_prefix("https://").unwrap();
        let (host, query) = rest.split_once("/?").unwrap();
        Url {
            host: host.to_string(),
            params: query
                .split('&')
                .map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap();
                    (k.to_string(), v.to_string())
                })
                .collect(),
        }
    }

    fn get(&self, key: &str) -> &str {
        &self.params.iter().find(|(k, _)| k == key).unwrap().1
    }

    fn query(&self) -> String {
        self.params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }

    fn render(&self) -> String {
        format!("https://{}/?{}", self.host, self.query())
    }

    fn set(&self, key: &str, value: &str) -> String {
        let mut u = self.clone_params();
        u.params.iter_mut().find(|(k, _)| k == key).unwrap().1 = value.to_string();
        u.render()
    }

    fn without(&self, key: &str) -> String {
        let mut u = self.clone_params();
        u.params.retain(|(k, _)| k != key);
        u.render()
    }

    fn with_host(&self, host: &str) -> String {
        format!("https://{host}/?{}", self.query())
    }

    fn with_path(&self, path: &str) -> String {
        format!("https://{}{path}?{}", self.host, self.query())
    }

    fn plus(&self, extra: &str) -> String {
        format!("{}&{extra}", self.render())
    }

    fn clone_params(&self) -> Url {
        Url {
            host: self.host.clone(),
            params: self.params.clone(),
        }
    }
}

fn corpus(token: &str) -> Vec<Case> {
    let url = decode(token);
    let u = Url::parse(&url);
    let now = OffsetDateTime::now_utc();
    let cred = u.get("X-Amz-Credential").to_string();
    let date = u.get("X-Amz-Date").to_string();
    let mut cases: Vec<(String, String, Verdict)> = Vec::new();
    let mut url_case = |name: &str, url: String, verdict: Verdict| {
        cases.push((name.to_string(), encode(&url), verdict));
    };

    // Duplicate keys, in any case (CVE-2022-2385), and repeated keys.
    let dup = "duplicate query parameter found";
    let multi = "query parameter with multiple values not supported";
    url_case(
        "dup: X-Amz-Credential + x-amz-credential",
        u.plus("x-amz-credential=eve"),
        Local(dup),
    );
    url_case(
        "dup: lowercase credential first",
        format!("https://{}/?x-amz-credential=eve&{}", u.host, u.query()),
        Local(dup),
    );
    url_case(
        "dup: ACTION",
        u.plus("ACTION=GetCallerIdentity"),
        Local(dup),
    );
    url_case("dup: action", u.plus("action=AssumeRole"), Local(dup));
    url_case(
        "dup: X-AMZ-SIGNEDHEADERS",
        u.plus("X-AMZ-SIGNEDHEADERS=host"),
        Local(dup),
    );
    url_case(
        "dup: x-amz-date",
        u.plus(&format!("x-amz-date={date}")),
        Local(dup),
    );
    url_case(
        "dup: x-amz-signature",
        u.plus("x-amz-signature=00"),
        Local(dup),
    );
    url_case(
        "dup: X-Amz-Security-Token in two cases",
        u.plus("X-Amz-Security-Token=a&x-amz-security-token=b"),
        Local(dup),
    );
    url_case(
        "dup: percent-encoded key letter (X-Amz-%43redential)",
        u.plus("X-Amz-%63redential=eve"),
        Local(dup),
    );
    url_case(
        "repeat: Action twice, same case",
        u.plus("Action=GetCallerIdentity"),
        Local(multi),
    );
    url_case(
        "repeat: X-Amz-Credential twice, same case",
        u.plus(&format!("X-Amz-Credential={cred}")),
        Local(multi),
    );
    url_case(
        "repeat: X-Amz-Credential percent-encoded key, same case",
        u.plus("X-Amz-Cr%65dential=eve"),
        Local(multi),
    );

    // Signed headers.
    let unsigned = "client did not sign the x-k8s-aws-id header";
    url_case(
        "signedheaders: host only",
        u.set("X-Amz-SignedHeaders", "host"),
        Local(unsigned),
    );
    url_case(
        "signedheaders: empty",
        u.set("X-Amz-SignedHeaders", ""),
        Local(unsigned),
    );
    url_case(
        "signedheaders: missing",
        u.without("X-Amz-SignedHeaders"),
        Local(unsigned),
    );
    url_case(
        "signedheaders: lookalike x-k8s-aws-id-evil",
        u.set("X-Amz-SignedHeaders", "host%3Bx-k8s-aws-id-evil"),
        Local(unsigned),
    );
    url_case(
        "signedheaders: x-k8s-aws-id with a space",
        u.set("X-Amz-SignedHeaders", "host%3B+x-k8s-aws-id"),
        Local(unsigned),
    );
    url_case(
        "signedheaders: x-k8s-aws-id twice",
        u.set("X-Amz-SignedHeaders", "host%3Bx-k8s-aws-id%3Bx-k8s-aws-id"),
        Local("x-k8s-aws-id"),
    );
    url_case(
        "signedheaders: x-k8s-aws-id twice, different case",
        u.set("X-Amz-SignedHeaders", "host%3Bx-k8s-aws-id%3BX-K8S-AWS-ID"),
        Local("x-k8s-aws-id"),
    );
    url_case(
        "signedheaders: uppercase X-K8S-AWS-ID (upstream accepts; STS refuses the signature)",
        u.set("X-Amz-SignedHeaders", "host%3BX-K8S-AWS-ID"),
        Sts,
    );

    // Hosts.
    let hostname = "unexpected hostname";
    let not_a_region = "is not a region of partition aws";
    for (name, host, verdict) in [
        (
            "host: suffix sts.amazonaws.com.evil.com",
            "sts.amazonaws.com.evil.com",
            Local(hostname),
        ),
        (
            "host: regional suffix sts.us-west-2.amazonaws.com.evil.com",
            "sts.us-west-2.amazonaws.com.evil.com",
            Local(hostname),
        ),
        (
            "host: evil.com",
            "evil.com",
            Local("could not parse region"),
        ),
        (
            "host: userinfo alice@",
            "alice@sts.us-west-2.amazonaws.com",
            Local("userinfo"),
        ),
        (
            "host: userinfo evil.com@",
            "sts.us-west-2.amazonaws.com@evil.com",
            Local("userinfo"),
        ),
        (
            "host: userinfo user:pass@",
            "user:pass@sts.us-west-2.amazonaws.com",
            Local("userinfo"),
        ),
        (
            "host: port 443",
            "sts.us-west-2.amazonaws.com:443",
            Local("port"),
        ),
        (
            "host: port 8443",
            "sts.us-west-2.amazonaws.com:8443",
            Local("port"),
        ),
        (
            "host: empty port",
            "sts.us-west-2.amazonaws.com:",
            Local("port"),
        ),
        ("host: IPv4", "52.94.0.1", Local(hostname)),
        ("host: IPv4 loopback", "127.0.0.1", Local(hostname)),
        ("host: IPv6", "[::1]", Local("invalid host format")),
        (
            "host: uppercase",
            "STS.US-WEST-2.AMAZONAWS.COM",
            Local("must be lowercase"),
        ),
        (
            "host: one uppercase letter",
            "sts.us-west-2.amazonaws.Com",
            Local("must be lowercase"),
        ),
        (
            "host: IDNA punycode label",
            "sts.us-west-2.xn--amazonaws-0ub.com",
            Local(hostname),
        ),
        (
            "host: IDNA punycode host",
            "xn--sts-9ja.us-west-2.amazonaws.com",
            Local(hostname),
        ),
        (
            "host: punycode-looking region (upstream accepts any well-formed region under amazonaws.com)",
            "sts.xn--us-west-2-abc.amazonaws.com",
            Local(not_a_region),
        ),
        (
            "host: S3 label s3 (upstream accepts; an S3 bucket host)",
            "sts.s3.amazonaws.com",
            Local(not_a_region),
        ),
        (
            "host: S3 label s3-accelerate",
            "sts.s3-accelerate.amazonaws.com",
            Local(not_a_region),
        ),
        (
            "host: S3 label s3-us-west-2",
            "sts.s3-us-west-2.amazonaws.com",
            Local(not_a_region),
        ),
        (
            "host: GovCloud region in aws",
            "sts.us-gov-west-1.amazonaws.com",
            Local(not_a_region),
        ),
        (
            "host: future region of the partition (passes; STS refuses the signature)",
            "sts.ap-southeast-99.amazonaws.com",
            Sts,
        ),
        (
            "host: percent-encoded dot",
            "sts.us-west-2.amazonaws%2Ecom",
            Local("invalid URL escape"),
        ),
        (
            "host: percent-encoded letter",
            "%73ts.us-west-2.amazonaws.com",
            Local("invalid URL escape"),
        ),
        (
            "host: percent-encoded UTF-8",
            "sts.us-west-2.amazonaws.c%C3%B6m",
            Local("unexpected percent-encoding"),
        ),
        (
            "host: trailing dot",
            "sts.us-west-2.amazonaws.com.",
            Local("must not end with a dot"),
        ),
        (
            "host: global with trailing dot",
            "sts.amazonaws.com.",
            Local("must not end with a dot"),
        ),
        ("host: empty", "", Local("could not parse region")),
        (
            "host: other partition (aws-cn)",
            "sts.cn-north-1.amazonaws.com.cn",
            Local("does not support hostname"),
        ),
        (
            "host: backslash",
            "sts.us-west-2.amazonaws.com\\@evil.com",
            Local("userinfo"),
        ),
        (
            "host: region with underscore",
            "sts.us_west_2.amazonaws.com",
            Local("invalid region identifier"),
        ),
        (
            "host: global endpoint (allowed; the signature covers the host)",
            "sts.amazonaws.com",
            Sts,
        ),
    ] {
        url_case(name, u.with_host(host), verdict);
    }
    url_case(
        "host: non-ASCII (Cyrillic a)",
        format!("https://sts.us-west-2.\u{430}mazonaws.com/?{}", u.query()),
        Local("forbidden byte"),
    );
    url_case(
        "scheme: http",
        url.replacen("https://", "http://", 1),
        Local("unexpected scheme"),
    );
    url_case(
        "scheme: HTTPS (Go lowercases; refused here)",
        url.replacen("https://", "HTTPS://", 1),
        Local("unexpected scheme"),
    );
    url_case(
        "scheme: none",
        url.replacen("https://", "//", 1),
        Local("unexpected scheme"),
    );
    url_case(
        "opaque: https:host",
        url.replacen("https://", "https:", 1),
        Local("host is empty"),
    );

    // Paths.
    let path = "unexpected path";
    for (name, p) in [
        ("path: //", "//"),
        ("path: /%2F", "/%2F"),
        ("path: /%3F (an encoded ?)", "/%3F"),
        ("path: empty", ""),
        ("path: /.", "/."),
        ("path: /..", "/.."),
        ("path: /./", "/./"),
        ("path: /index.html", "/index.html"),
        ("path: /%2e", "/%2e"),
        ("path: /;", "/;"),
    ] {
        url_case(name, u.with_path(p), Local(path));
    }
    url_case(
        "path: /? then ?",
        format!("https://{}/??{}", u.host, u.query()),
        Local("non-whitelisted query parameter \"?Action\""),
    );

    // Actions.
    let action = "unexpected action parameter";
    for (name, value) in [
        ("action: AssumeRole", "AssumeRole"),
        ("action: lowercase value", "getcalleridentity"),
        ("action: uppercase value", "GETCALLERIDENTITY"),
        ("action: trailing space (+)", "GetCallerIdentity+"),
        ("action: trailing %20", "GetCallerIdentity%20"),
        ("action: trailing NUL", "GetCallerIdentity%00"),
        ("action: empty", ""),
    ] {
        url_case(name, u.set("Action", value), Local(action));
    }
    url_case("action: missing", u.without("Action"), Local(action));
    url_case(
        "action: key lowercase (upstream folds key case; STS refuses the signature)",
        url.replacen("Action=", "action=", 1),
        Sts,
    );

    // The SigV4 presigning parameters: required before anything is forwarded.
    for key in ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"] {
        let reason: &'static str = match key {
            "X-Amz-Algorithm" => "X-Amz-Algorithm parameter must be present",
            "X-Amz-Credential" => "X-Amz-Credential parameter must be present",
            _ => "X-Amz-Signature parameter must be present",
        };
        url_case(
            &format!("signing: {key} missing"),
            u.without(key),
            Local(reason),
        );
        url_case(
            &format!("signing: {key} empty"),
            u.set(key, ""),
            Local(reason),
        );
    }

    // Other parameters.
    url_case(
        "param: not allow-listed",
        u.plus("X-Amz-Mallory=1"),
        Local("non-whitelisted query parameter"),
    );
    url_case(
        "param: Kelvin sign K in a key",
        u.plus("X-Amz-%E2%84%AAey=1"),
        Local("non-whitelisted query parameter"),
    );
    url_case(
        "param: semicolon separator",
        url.replacen("&Version", ";Version", 1),
        Local("malformed query parameter"),
    );
    url_case(
        "param: bad escape %zz",
        u.plus("Version=%zz"),
        Local("malformed query parameter"),
    );
    url_case(
        "param: value not UTF-8",
        u.set("Version", "%FF"),
        Local("not UTF-8"),
    );

    // Dates.
    let fmt = |d: time::Duration| amz_date(now + d);
    url_case(
        "date: one hour ahead (upstream accepts)",
        u.set("X-Amz-Date", &fmt(time::Duration::hours(1))),
        Local("future"),
    );
    url_case(
        "date: ten minutes ahead",
        u.set("X-Amz-Date", &fmt(time::Duration::minutes(10))),
        Local("future"),
    );
    url_case(
        "date: year 9999",
        u.set("X-Amz-Date", "99991231T235959Z"),
        Local("future"),
    );
    url_case(
        "date: 16 minutes ago",
        u.set("X-Amz-Date", &fmt(-time::Duration::minutes(16))),
        Local("expired"),
    );
    url_case(
        "date: year 0",
        u.set("X-Amz-Date", "00000101T000000Z"),
        Local("expired"),
    );
    url_case(
        "date: unix epoch",
        u.set("X-Amz-Date", "19700101T000000Z"),
        Local("expired"),
    );
    for (name, value) in [
        ("date: month 13", "20261301T000000Z"),
        ("date: 30 February", "20260230T000000Z"),
        ("date: hour 24", "20260101T240000Z"),
        ("date: lowercase t and z", "20260101t000000z"),
        ("date: ISO 8601 with dashes", "2026-01-01T00:00:00Z"),
        ("date: no Z", "20260101T000000"),
        ("date: offset", "20260101T000000+0100"),
        ("date: epoch seconds", "1767225600"),
    ] {
        url_case(name, u.set("X-Amz-Date", value), Local("X-Amz-Date"));
    }
    url_case(
        "date: missing",
        u.without("X-Amz-Date"),
        Local("X-Amz-Date parameter must be present"),
    );
    url_case(
        "date: empty",
        u.set("X-Amz-Date", ""),
        Local("X-Amz-Date parameter must be present"),
    );
    let expires = "invalid X-Amz-Expires parameter";
    for (name, value) in [
        ("expires: 901", "901"),
        ("expires: -1", "-1"),
        ("expires: 1e3", "1e3"),
        ("expires: hex", "0x10"),
        ("expires: overflow", "99999999999999999999999"),
        ("expires: negative overflow", "-99999999999999999999999"),
        ("expires: empty", ""),
        ("expires: space", "+60+"),
    ] {
        url_case(name, u.set("X-Amz-Expires", value), Local(expires));
    }
    url_case(
        "expires: missing",
        u.without("X-Amz-Expires"),
        Local(expires),
    );

    // Control characters, spaces, non-ASCII, fragments.
    for (name, bad) in [
        ("control: NUL", "\0"),
        ("control: SOH", "\u{1}"),
        ("control: tab", "\t"),
        ("control: LF", "\n"),
        ("control: CR", "\r"),
        ("control: ESC", "\u{1b}"),
    ] {
        url_case(
            name,
            url.replacen("&Version", &format!("&{bad}Version"), 1),
            Local("invalid control character in URL"),
        );
    }
    url_case(
        "control: DEL",
        url.replacen("&Version", "&\u{7f}Version", 1),
        Local("invalid control character in URL"),
    );
    url_case(
        "control: space",
        url.replacen("&Version", "& Version", 1),
        Local("forbidden byte"),
    );
    url_case(
        "control: non-ASCII in the query",
        url.replacen("&Version", "&\u{e9}Version", 1),
        Local("forbidden byte"),
    );
    url_case(
        "control: C1 (U+0085) in the query",
        url.replacen("&Version", "&\u{85}Version", 1),
        Local("forbidden byte"),
    );
    url_case("fragment: #frag", format!("{url}#frag"), Local("fragment"));
    url_case("fragment: empty #", format!("{url}#"), Local("fragment"));
    url_case(
        "fragment: # hiding a second query",
        format!("{url}#&x-amz-credential=eve"),
        Local("fragment"),
    );

    // Token-level cases (not a re-encoded URL).
    let mut raw = |name: &str, token: String, verdict: Verdict| {
        cases.push((name.to_string(), token, verdict));
    };
    let b64 = token.strip_prefix("k8s-aws-v1.").unwrap();
    raw("prefix: none", b64.to_string(), Local("prefix"));
    raw("prefix: empty token", String::new(), Local("prefix"));
    raw(
        "prefix: uppercase",
        format!("K8S-AWS-V1.{b64}"),
        Local("prefix"),
    );
    raw("prefix: v2", format!("k8s-aws-v2.{b64}"), Local("prefix"));
    raw(
        "prefix: twice",
        format!("k8s-aws-v1.{token}"),
        Local("illegal base64"),
    );
    raw(
        "prefix: leading space",
        format!(" {token}"),
        Local("prefix"),
    );
    raw(
        "prefix only",
        "k8s-aws-v1.".to_string(),
        Local("unexpected scheme \"\""),
    );
    raw(
        "base64: one = of padding",
        format!("{token}="),
        Local("illegal base64"),
    );
    raw(
        "base64: == padding",
        format!("{token}=="),
        Local("illegal base64"),
    );
    // The standard alphabet: `???` encodes to `Pz8_` in the URL-safe alphabet, so the
    // URL plus a harmless `&???` always has a character to translate.
    let t = encode(&format!("{url}&???"));
    let b64_padded = t.strip_prefix("k8s-aws-v1.").unwrap();
    assert!(b64_padded.contains(['-', '_']));
    let std_token = format!(
        "k8s-aws-v1.{}",
        b64_padded.replace('-', "+").replace('_', "/")
    );
    raw(
        "base64: standard alphabet (+ /)",
        std_token,
        Local("illegal base64"),
    );
    raw(
        "base64: trailing space",
        format!("{token} "),
        Local("illegal base64"),
    );
    raw(
        "base64: space inside",
        format!("k8s-aws-v1.{} {}", &b64[..20], &b64[20..]),
        Local("illegal base64"),
    );
    raw(
        "base64: tab inside",
        format!("k8s-aws-v1.{}\t{}", &b64[..20], &b64[20..]),
        Local("illegal base64"),
    );
    raw(
        "base64: LF inside (Go skips it; refused here)",
        format!("k8s-aws-v1.{}\n{}", &b64[..20], &b64[20..]),
        Local("illegal base64"),
    );
    raw(
        "base64: CRLF at the end (Go skips it; refused here)",
        format!("{token}\r\n"),
        Local("illegal base64"),
    );
    raw(
        "base64: NUL inside",
        format!("k8s-aws-v1.{}\0{}", &b64[..20], &b64[20..]),
        Local("illegal base64"),
    );
    raw(
        "base64: one character too many",
        format!("{token}A"),
        Local("input token was not properly formatted"),
    );

    // Oversize.
    raw(
        "size: 4097 bytes of base64",
        format!("k8s-aws-v1.{}", "A".repeat(4097 - 11)),
        Local("token is too large"),
    );
    raw(
        "size: 60 KB",
        format!("k8s-aws-v1.{}", "A".repeat(60_000)),
        Local("token is too large"),
    );
    let big = u.plus(&format!("X-Amz-Security-Token={}", "A".repeat(3100)));
    raw(
        "size: well-formed URL over 4096 bytes",
        encode(&big),
        Local("token is too large"),
    );

    cases
        .into_iter()
        .map(|(name, token, verdict)| Case {
            name,
            token,
            verdict,
        })
        .collect()
}

#[test]
fn adversarial_tokens_are_denied_and_never_reach_sts_when_locally_invalid() {
    let sts = StandIn::start();
    let server = Webhook::start(&sts, ALICE_CONFIG, &[]);
    let home = tempfile::tempdir().unwrap();
    let token =
        mint(with_alice(&mut sts.command(home.path())).args(["token", "-i", "test-cluster"]));

    // Control: the untouched token authenticates.
    let (status, body) = server.review(&token);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"]["user"]["username"], "alice");

    let cases = corpus(&token);
    assert!(cases.len() > 100, "{} cases", cases.len());
    let mut failures = Vec::new();
    let (mut local, mut remote) = (0, 0);
    for case in &cases {
        sts.reset();
        server.new_logs();
        let (status, body) = server.review(&case.token);
        let calls = sts.requests().len();
        let logs = server.new_logs();
        let denied = status == 403 && body["status"]["authenticated"].is_null();
        if std::env::var_os("ADVERSARIAL_VERBOSE").is_some() {
            eprintln!(
                "{}: {status}, {calls} STS call(s): {}",
                case.name,
                logs.trim()
            );
        }
        match &case.verdict {
            Local(reason) => {
                local += 1;
                // Log values are quoted as Go's %q: the reason's quotes come escaped.
                let escaped = reason.replace('\\', "\\\\").replace('"', "\\\"");
                let logged = logs.contains("access denied") && logs.contains(&escaped);
                if !denied || calls != 0 || !logged {
                    failures.push(format!(
                        "{}: status {status}, {calls} STS request(s), expected {reason:?} in log: {}",
                        case.name,
                        logs.trim()
                    ));
                }
            }
            Sts => {
                remote += 1;
                if !denied || calls == 0 {
                    failures.push(format!(
                        "{}: status {status}, {calls} STS request(s); expected an STS denial: {}",
                        case.name,
                        logs.trim()
                    ));
                }
            }
        }
        // The token itself never appears in the log.
        if case.token.len() > 40 && logs.contains(&case.token) {
            failures.push(format!("{}: the token was logged", case.name));
        }
    }
    eprintln!("{local} locally refused cases, {remote} refused by STS");
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );

    // Still serving, and every denial was counted.
    assert_eq!(server.review(&token).0, 200);
    assert_eq!(
        server.metric(
            "aws_iam_authenticator_authenticate_latency_seconds_count{result=\"invalid_token\"}"
        ),
        Some(local as f64)
    );
}

/// A request value with CR or LF must not start a line of its own in the log: for every
/// query parameter of a real token (and a key), `%0A`/`%0D` followed by a forged line
/// is injected, in the text and the JSON log formats. Every line the server writes must
/// still be one of its own, and nothing may claim access was granted.
#[test]
fn crlf_in_any_query_parameter_cannot_forge_a_log_line() {
    let sts = StandIn::start();
    let home = tempfile::tempdir().unwrap();
    let token =
        mint(with_alice(&mut sts.command(home.path())).args(["token", "-i", "test-cluster"]));
    let url = decode(&token);
    let u = Url::parse(&url);
    let keys: Vec<String> = u.params.iter().map(|(k, _)| k.clone()).collect();
    for key in [
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Signature",
    ] {
        assert!(keys.iter().any(|k| k == key), "{key} not in {url}");
    }

    // The forged lines, one per format, percent-encoded.
    let forged_text =
        "time=%222026-01-01T00:00:00Z%22 level=info msg=%22access granted%22 username=FORGED";
    let forged_json =
        "%7B%22level%22:%22info%22,%22msg%22:%22access granted%22,%22username%22:%22FORGED%22%7D";
    for (format, forged) in [("text", forged_text), ("json", forged_json)] {
        let forged = forged.replace(' ', "%20");
        let server = Webhook::start(&sts, ALICE_CONFIG, &["--log-format", format]);
        let mut tokens = Vec::new();
        for key in &keys {
            let value = u.get(key).to_string();
            for eol in ["%0A", "%0D", "%0D%0A"] {
                tokens.push((
                    format!("{key} value + {eol}"),
                    encode(&u.set(key, &format!("{value}{eol}{forged}"))),
                ));
                tokens.push((
                    format!("{key} value = {eol} only"),
                    encode(&u.set(key, &format!("{eol}{forged}"))),
                ));
            }
        }
        tokens.push((
            "a key with LF".into(),
            encode(&u.plus(&format!("X-Amz-Bogus%0A{forged}=1"))),
        ));
        server.new_logs();
        for (name, bad) in &tokens {
            let (status, _) = server.review(bad);
            assert_eq!(status, 403, "{format}: {name}");
        }
        let logs = server.new_logs();
        assert!(logs.lines().count() >= tokens.len(), "{format}: {logs}");
        for line in logs.lines() {
            let own = match format {
                "json" => serde_json::from_str::<serde_json::Value>(line)
                    .is_ok_and(|v| v.is_object() && v.get("level").is_some()),
                _ => line.starts_with("time=\"") && line.contains(" level="),
            };
            assert!(own, "{format}: a line the server did not write: {line:?}");
            assert!(!line.contains("msg=\"access granted\""), "{format}: {line}");
            if format == "json" {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                assert_ne!(v["msg"], "access granted", "{line}");
                assert_ne!(v["username"], "FORGED", "{line}");
            }
        }
        // The injected text is there, escaped, inside the server's own lines.
        assert!(logs.contains("FORGED"), "{format}: {logs}");
    }
}
