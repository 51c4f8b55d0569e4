//! What STS answered: the decoder for a `GetCallerIdentity` response.
//!
//! Mirrors the response half of upstream's `pkg/token` (`tokenVerifier.Verify` after the
//! GET). Kept apart from the HTTP call so that every way STS can answer (success as JSON
//! or XML, throttling, errors, garbage) is a pure function that tests can drive with
//! bytes. The identity derived from a decoded answer is [`super::identity`]'s.
//!
//! Only the format that was asked for is accepted ([`ResponseFormat`]): the server asks
//! for JSON, as upstream does, and like upstream fails on an XML body with
//! `invalid character '<'…`. An answer must also be a whole `GetCallerIdentity` answer:
//! `Arn`, `UserId` and `Account` present and non-empty (upstream lets empty fields
//! through to a later, vaguer ARN error). STS's native XML is decoded when XML was
//! asked for.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::fmt;

use aws_smithy_xml::decode::{Document, try_data};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::gofmt::go_json_quote_char;
use crate::token::error::VerifyError;

/// How much of an error body is kept in [`VerifyError`] (and so in logs).
const MAX_ERROR_BODY: usize = 1024;

/// The answer format asked of STS (the `Accept` header), and the only one accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseFormat {
    /// `application/json` (what upstream and the server ask for).
    Json,
    /// `text/xml`, STS's native format.
    Xml,
}

impl ResponseFormat {
    /// The `Accept` header value that asks for this format.
    pub fn accept(self) -> &'static str {
        match self {
            ResponseFormat::Json => "application/json",
            ResponseFormat::Xml => "text/xml",
        }
    }
}

/// What STS said (GetCallerIdentityResult).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallerIdentity {
    /// The 12-digit account ID (`Account`).
    pub account: String,
    /// The caller's ARN (`Arn`), e.g. an `assumed-role` ARN.
    pub arn: String,
    /// The unique ID (`UserId`): `AROA…:session` for roles, `AIDA…` for users.
    pub user_id: String,
}

/// Classifies an STS HTTP answer: 200 → parse it in the `format` that was asked for,
/// JSON (`{"GetCallerIdentityResponse":{"GetCallerIdentityResult":{"Account","Arn","UserId"},...}}`, key matching case-insensitive like Go) or XML (STS's `<GetCallerIdentityResponse><GetCallerIdentityResult><Arn/><UserId/><Account/>…`, parse with aws-smithy-xml); non-200 whose body contains "Throttling" → StsThrottled; other non-200 → StsStatus. Bodies in errors are truncated to 1 KiB.
///
/// JSON follows Go's `encoding/json` into upstream's wrapper struct: keys match
/// case-insensitively (the last match wins), unknown keys are ignored, `null` leaves a
/// field empty, and a value of the wrong type is an error. A 200 answer whose `Arn`,
/// `UserId` or `Account` is missing or empty is refused: it is no `GetCallerIdentity`
/// answer.
pub fn parse_sts_response(
    status: u16,
    body: &[u8],
    sts_region: &str,
    format: ResponseFormat,
) -> Result<CallerIdentity, VerifyError> {
    if status != 200 {
        let text = String::from_utf8_lossy(body);
        if text.contains("Throttling") {
            return Err(VerifyError::StsThrottled {
                body: truncate_body(&text),
            });
        }
        return Err(VerifyError::StsStatus {
            status,
            region: sts_region.to_owned(),
            body: truncate_body(&text),
        });
    }
    let parsed = match format {
        ResponseFormat::Json => parse_json(body),
        ResponseFormat::Xml => parse_xml(body),
    };
    parsed
        .and_then(require_complete)
        .map_err(VerifyError::StsResponse)
}

/// A `GetCallerIdentity` answer names the caller fully; one that does not is refused
/// here, with the field that is missing.
fn require_complete(caller: CallerIdentity) -> Result<CallerIdentity, String> {
    for (field, value) in [
        ("Arn", &caller.arn),
        ("UserId", &caller.user_id),
        ("Account", &caller.account),
    ] {
        if value.is_empty() {
            return Err(format!(
                "malformed GetCallerIdentity response: no {field} in GetCallerIdentityResult"
            ));
        }
    }
    Ok(caller)
}

/// At most [`MAX_ERROR_BODY`] bytes of `text`, cut on a character boundary.
fn truncate_body(text: &str) -> String {
    if text.len() <= MAX_ERROR_BODY {
        return text.to_owned();
    }
    let mut end = MAX_ERROR_BODY;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... [truncated]", text.get(..end).unwrap_or_default())
}

// ---------------------------------------------------------------------------------------
// JSON, with Go `encoding/json` semantics for upstream's wrapper struct.
// ---------------------------------------------------------------------------------------

fn parse_json(body: &[u8]) -> Result<CallerIdentity, String> {
    // Go's messages for the two commonest non-JSON bodies (e.g. `xxxx` in upstream's
    // TestVerifyUnmarshalJSONError); serde_json's wording otherwise.
    match body
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        None => return Err("unexpected end of JSON input".to_owned()),
        Some(&c)
            if !matches!(
                c,
                b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'
            ) =>
        {
            return Err(format!(
                "invalid character {} looking for beginning of value",
                go_json_quote_char(c)
            ));
        }
        Some(_) => {}
    }
    let mut out = CallerIdentity::default();
    let mut de = serde_json::Deserializer::from_slice(body);
    Level::Wrapper
        .seed(&mut out)
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| e.to_string())?;
    Ok(out)
}

/// Go's `encoding/json` field-name match: case-insensitive, with Go's extra folds
/// (`ſ` U+017F for `s`, `K` U+212A for `k`).
fn go_json_key_matches(key: &str, field: &str) -> bool {
    let mut key_chars = key.chars().map(|c| match c {
        '\u{17f}' => 'S',
        '\u{212a}' => 'K',
        c => c.to_ascii_uppercase(),
    });
    let mut field_chars = field.chars().map(|c| c.to_ascii_uppercase());
    loop {
        match (key_chars.next(), field_chars.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

/// The nested structs of upstream's `getCallerIdentityWrapper`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Level {
    Wrapper,
    Response,
    Result,
    Metadata,
}

impl Level {
    fn seed(self, out: &mut CallerIdentity) -> StructSeed<'_> {
        StructSeed { level: self, out }
    }

    /// The Go path used in type errors.
    fn path(self) -> &'static str {
        match self {
            Level::Wrapper => "getCallerIdentityWrapper",
            Level::Response => "getCallerIdentityWrapper.GetCallerIdentityResponse",
            Level::Result => {
                "getCallerIdentityWrapper.GetCallerIdentityResponse.GetCallerIdentityResult"
            }
            Level::Metadata => {
                "getCallerIdentityWrapper.GetCallerIdentityResponse.ResponseMetadata"
            }
        }
    }
}

/// Decodes one of the wrapper's structs into `out`, as Go would.
struct StructSeed<'a> {
    level: Level,
    out: &'a mut CallerIdentity,
}

impl StructSeed<'_> {
    fn type_error<E: de::Error>(&self, kind: &str) -> E {
        if self.level == Level::Wrapper {
            E::custom(format!(
                "json: cannot unmarshal {kind} into Go value of type token.getCallerIdentityWrapper"
            ))
        } else {
            E::custom(format!(
                "json: cannot unmarshal {kind} into Go struct field {} of type struct",
                self.level.path()
            ))
        }
    }
}

impl<'de> DeserializeSeed<'de> for StructSeed<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StructSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a JSON object for {}", self.level.path())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(()) // Go: null leaves the struct as it is.
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(self.type_error("bool"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(self.type_error("number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(self.type_error("number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(self.type_error("number"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(self.type_error("string"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(self.type_error("array"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let StructSeed { level, out } = self;
        while let Some(key) = map.next_key::<String>()? {
            let field = |name: &str| go_json_key_matches(&key, name);
            match level {
                Level::Wrapper if field("GetCallerIdentityResponse") => {
                    map.next_value_seed(Level::Response.seed(out))?;
                }
                Level::Response if field("GetCallerIdentityResult") => {
                    map.next_value_seed(Level::Result.seed(out))?;
                }
                Level::Response if field("ResponseMetadata") => {
                    map.next_value_seed(Level::Metadata.seed(out))?;
                }
                Level::Result if field("Account") => {
                    map.next_value_seed(StringSeed {
                        slot: Some(&mut out.account),
                        path: "GetCallerIdentityResult.Account",
                    })?;
                }
                Level::Result if field("Arn") => {
                    map.next_value_seed(StringSeed {
                        slot: Some(&mut out.arn),
                        path: "GetCallerIdentityResult.Arn",
                    })?;
                }
                Level::Result if field("UserId") => {
                    map.next_value_seed(StringSeed {
                        slot: Some(&mut out.user_id),
                        path: "GetCallerIdentityResult.UserId",
                    })?;
                }
                Level::Metadata if field("RequestId") => {
                    // Type-checked as Go does, then dropped.
                    map.next_value_seed(StringSeed {
                        slot: None,
                        path: "ResponseMetadata.RequestId",
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// Decodes a Go `string` field: a JSON string sets it, `null` leaves it, anything else
/// is a type error.
struct StringSeed<'a> {
    slot: Option<&'a mut String>,
    path: &'static str,
}

impl StringSeed<'_> {
    fn type_error<E: de::Error>(&self, kind: &str) -> E {
        E::custom(format!(
            "json: cannot unmarshal {kind} into Go struct field \
             getCallerIdentityWrapper.GetCallerIdentityResponse.{} of type string",
            self.path
        ))
    }
}

impl<'de> DeserializeSeed<'de> for StringSeed<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StringSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a string for {}", self.path)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        if let Some(slot) = self.slot {
            v.clone_into(slot);
        }
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(self.type_error("bool"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(self.type_error("number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(self.type_error("number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(self.type_error("number"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(self.type_error("array"))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(self.type_error("object"))
    }
}

// ---------------------------------------------------------------------------------------
// XML, STS's native answer.
// ---------------------------------------------------------------------------------------

fn parse_xml(body: &[u8]) -> Result<CallerIdentity, String> {
    let text =
        std::str::from_utf8(body).map_err(|e| format!("invalid XML in STS response: {e}"))?;

    // First pass: surface tokenizer errors (the scoped decoder below skips over them)
    // and note whether the root element is closed before the end of the input.
    let mut entered_root = false;
    let mut closed_root = false;
    for token in Document::new(text) {
        let (_, depth) = token.map_err(|e| format!("invalid XML in STS response: {e}"))?;
        if depth >= 1 {
            entered_root = true;
        } else if entered_root {
            closed_root = true;
        }
    }

    let mut doc = Document::new(text);
    let mut root = doc
        .root_element()
        .map_err(|e| format!("invalid XML in STS response: {e}"))?;
    if !root.start_el().matches("GetCallerIdentityResponse") {
        return Err(format!(
            "invalid XML in STS response: unexpected root element <{}>",
            root.start_el().local()
        ));
    }
    let mut out = CallerIdentity::default();
    let mut found_result = false;
    while let Some(mut child) = root.next_tag() {
        if !child.start_el().matches("GetCallerIdentityResult") {
            continue;
        }
        found_result = true;
        while let Some(mut field) = child.next_tag() {
            let slot = if field.start_el().matches("Arn") {
                &mut out.arn
            } else if field.start_el().matches("UserId") {
                &mut out.user_id
            } else if field.start_el().matches("Account") {
                &mut out.account
            } else {
                continue;
            };
            *slot = try_data(&mut field)
                .map_err(|e| format!("invalid XML in STS response: {e}"))?
                .into_owned();
        }
    }
    if !found_result {
        return Err("invalid XML in STS response: no GetCallerIdentityResult element".to_owned());
    }
    if !closed_root {
        return Err("invalid XML in STS response: unexpected end of document".to_owned());
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::token::identity::identity_from_caller;

    fn json(arn: &str, account: &str, user_id: &str) -> String {
        serde_json::json!({
            "GetCallerIdentityResponse": {
                "GetCallerIdentityResult": {"Account": account, "Arn": arn, "UserId": user_id},
                "ResponseMetadata": {"RequestId": "id1234"}
            }
        })
        .to_string()
    }

    fn xml(arn: &str, account: &str, user_id: &str) -> String {
        format!(
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  \
             <GetCallerIdentityResult>\n    <Arn>{arn}</Arn>\n    <UserId>{user_id}</UserId>\n    \
             <Account>{account}</Account>\n  </GetCallerIdentityResult>\n  <ResponseMetadata>\n    \
             <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>\n  </ResponseMetadata>\n\
             </GetCallerIdentityResponse>\n"
        )
    }

    fn caller(arn: &str, account: &str, user_id: &str) -> CallerIdentity {
        CallerIdentity {
            account: account.into(),
            arn: arn.into(),
            user_id: user_id.into(),
        }
    }

    fn sts_message(err: VerifyError) -> String {
        match err {
            VerifyError::StsResponse(m) => m,
            other => panic!("expected StsResponse, got {other:?}"),
        }
    }

    #[test]
    fn json_body_parses() {
        let body = json(
            "arn:aws:iam::123456789012:user/Alice",
            "123456789012",
            "Alice",
        );
        assert_eq!(
            parse_sts_response(200, body.as_bytes(), "global", ResponseFormat::Json).unwrap(),
            caller(
                "arn:aws:iam::123456789012:user/Alice",
                "123456789012",
                "Alice"
            )
        );
    }

    #[test]
    fn xml_body_parses() {
        let body = xml(
            "arn:aws:sts::123456789012:assumed-role/Admin/s",
            "123456789012",
            "AROAXXX:s",
        );
        let with_decl = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{body}");
        for body in [body.clone(), format!("  \n{body}"), with_decl] {
            assert_eq!(
                parse_sts_response(200, body.as_bytes(), "us-west-2", ResponseFormat::Xml).unwrap(),
                caller(
                    "arn:aws:sts::123456789012:assumed-role/Admin/s",
                    "123456789012",
                    "AROAXXX:s"
                )
            );
        }
        // Entities are decoded.
        let body = xml("arn:aws:iam::1:user/a&amp;b", "1", "X");
        assert_eq!(
            parse_sts_response(200, body.as_bytes(), "r", ResponseFormat::Xml)
                .unwrap()
                .arn,
            "arn:aws:iam::1:user/a&b"
        );
    }

    #[test]
    fn json_keys_match_like_go() {
        // Case-insensitive, including Go's Kelvin-sign and long-s folds; last match wins;
        // unknown keys and null are ignored.
        let body = r#"{"getcalleridentityresponse":{"GETCALLERIDENTITYRESULT":{
            "aRN":"first","arn":"arn:aws:iam::1:user/u","account":"1","UserID":null,
            "userid":"U","Extra":[1,2,{"x":null}]},"ResponseMetadata":null},"Other":true}"#;
        let got = parse_sts_response(200, body.as_bytes(), "r", ResponseFormat::Json).unwrap();
        assert_eq!(got, caller("arn:aws:iam::1:user/u", "1", "U"));
        // (Below, the decoder alone: the answers are incomplete, which the full parse
        // refuses, see `only_whole_answers_in_the_asked_format`.)
        let body = "{\"GetCallerIdentityResponse\":{\"GetCallerIdentityResult\":{\"Account\":\"9\"}},\
                    \"GetCallerIdentityRespon\u{17f}e\":{\"GetCallerIdentityResult\":{\"Arn\":\"A\"}}}";
        let got = parse_json(body.as_bytes()).unwrap();
        // A second match merges into the same struct, as Go does.
        assert_eq!(got, caller("A", "9", ""));
        assert!(go_json_key_matches("USERI\u{212a}D", "UserIkD"));
        assert!(!go_json_key_matches("UserIds", "UserId"));
        // An empty object: every field stays empty.
        assert_eq!(parse_json(b" {} ").unwrap(), CallerIdentity::default());
    }

    /// Only the format asked for, and only a whole answer: upstream would pass an answer
    /// with empty fields on to a vaguer ARN error.
    #[test]
    fn only_whole_answers_in_the_asked_format() {
        let arn = "arn:aws:iam::123456789012:user/Alice";
        let as_json = json(arn, "123456789012", "AIDAALICE");
        let as_xml = xml(arn, "123456789012", "AIDAALICE");
        // XML when JSON was asked: upstream's JSON error.
        let m = sts_message(
            parse_sts_response(200, as_xml.as_bytes(), "r", ResponseFormat::Json).unwrap_err(),
        );
        assert_eq!(m, "invalid character '<' looking for beginning of value");
        // JSON when XML was asked.
        let m = sts_message(
            parse_sts_response(200, as_json.as_bytes(), "r", ResponseFormat::Xml).unwrap_err(),
        );
        assert!(m.starts_with("invalid XML in STS response"), "{m}");
        // Missing or empty fields, in either format.
        for (body, missing) in [
            (json("", "123456789012", "AIDAALICE"), "Arn"),
            (json(arn, "123456789012", ""), "UserId"),
            (json(arn, "", "AIDAALICE"), "Account"),
            ("{}".to_string(), "Arn"),
            ("{\"GetCallerIdentityResponse\":null}".to_string(), "Arn"),
            (
                "{\"GetCallerIdentityResponse\":{\"GetCallerIdentityResult\":{\"Arn\":null,\"UserId\":\"U\",\"Account\":\"1\"}}}".to_string(),
                "Arn",
            ),
        ] {
            let m = sts_message(
                parse_sts_response(200, body.as_bytes(), "r", ResponseFormat::Json).unwrap_err(),
            );
            assert_eq!(
                m,
                format!(
                    "malformed GetCallerIdentity response: no {missing} in GetCallerIdentityResult"
                ),
                "{body}"
            );
        }
        let m = sts_message(
            parse_sts_response(
                200,
                xml(arn, "123456789012", "").as_bytes(),
                "r",
                ResponseFormat::Xml,
            )
            .unwrap_err(),
        );
        assert!(m.contains("no UserId"), "{m}");
        assert_eq!(ResponseFormat::Json.accept(), "application/json");
        assert_eq!(ResponseFormat::Xml.accept(), "text/xml");
    }

    #[test]
    fn malformed_json_is_an_sts_response_error() {
        // TestVerifyUnmarshalJSONError.
        let m =
            sts_message(parse_sts_response(200, b"xxxx", "r", ResponseFormat::Json).unwrap_err());
        assert_eq!(m, "invalid character 'x' looking for beginning of value");
        let m = sts_message(parse_sts_response(200, b"", "r", ResponseFormat::Json).unwrap_err());
        assert_eq!(m, "unexpected end of JSON input");
        let m = sts_message(parse_sts_response(200, b"'", "r", ResponseFormat::Json).unwrap_err());
        assert_eq!(m, "invalid character '\\'' looking for beginning of value");
        for body in [
            &b"{\"GetCallerIdentityResponse\":"[..],
            b"{} trailing",
            b"{\"a\":}",
            b"[1]",
            b"\"str\"",
            b"42",
            b"{\"GetCallerIdentityResponse\":{\"GetCallerIdentityResult\":{\"Arn\":5}}}",
            b"{\"GetCallerIdentityResponse\":{\"GetCallerIdentityResult\":[]}}",
            b"{\"GetCallerIdentityResponse\":{\"ResponseMetadata\":{\"RequestId\":{}}}}",
        ] {
            let err = parse_sts_response(200, body, "r", ResponseFormat::Json).unwrap_err();
            assert!(
                matches!(err, VerifyError::StsResponse(_)),
                "{:?}",
                String::from_utf8_lossy(body)
            );
            assert!(
                err.to_string()
                    .starts_with("sts getCallerIdentity failed: ")
            );
        }
        let m = sts_message(
            parse_sts_response(
                200,
                b"{\"GetCallerIdentityResponse\":{\"GetCallerIdentityResult\":{\"Arn\":5}}}",
                "r",
                ResponseFormat::Json,
            )
            .unwrap_err(),
        );
        assert!(
            m.starts_with(
                "json: cannot unmarshal number into Go struct field getCallerIdentityWrapper.\
                 GetCallerIdentityResponse.GetCallerIdentityResult.Arn of type string"
            ),
            "{m}"
        );
        let m =
            sts_message(parse_sts_response(200, b"[1]", "r", ResponseFormat::Json).unwrap_err());
        assert!(
            m.starts_with(
                "json: cannot unmarshal array into Go value of type token.getCallerIdentityWrapper"
            ),
            "{m}"
        );
    }

    #[test]
    fn malformed_xml_is_an_sts_response_error() {
        let cases: &[&[u8]] = &[
            b"<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>x</Arn>",
            b"<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>x</Arn></GetCallerIdentityResult>",
            b"<GetCallerIdentityResponse><GetCallerIdentityResult><Arn",
            b"<GetCallerIdentityResponse></GetCallerIdentityResponse></x>",
            b"<GetCallerIdentityResponse/>",
            b"<GetCallerIdentityResponse><ResponseMetadata/></GetCallerIdentityResponse>",
            b"<ErrorResponse><Error><Code>X</Code></Error></ErrorResponse>",
            b"<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>&bogus;</Arn></GetCallerIdentityResult></GetCallerIdentityResponse>",
            b"<GetCallerIdentityResponse><GetCallerIdentityResult><Arn><b/></Arn></GetCallerIdentityResult></GetCallerIdentityResponse>",
            b"<html><body>502 Bad Gateway</body></html>",
            b"<\xff>",
            b"<",
        ];
        for body in cases {
            let err = parse_sts_response(200, body, "r", ResponseFormat::Xml).unwrap_err();
            let VerifyError::StsResponse(m) = &err else {
                panic!("{err:?}");
            };
            assert!(
                m.starts_with("invalid XML in STS response: "),
                "{:?}: {m}",
                String::from_utf8_lossy(body)
            );
        }
        let m =
            sts_message(parse_sts_response(200, cases[4], "r", ResponseFormat::Xml).unwrap_err());
        assert_eq!(
            m,
            "invalid XML in STS response: no GetCallerIdentityResult element"
        );
        let m =
            sts_message(parse_sts_response(200, cases[6], "r", ResponseFormat::Xml).unwrap_err());
        assert_eq!(
            m,
            "invalid XML in STS response: unexpected root element <ErrorResponse>"
        );
    }

    #[test]
    fn throttling_bodies() {
        // TestVerifyHTTPThrottling's JSON, and STS's XML error document.
        let json_body = br#"{"Error":{"Code":"Throttling","Message":"Rate exceeded","Type":"Sender"},"RequestId":"8c2d3520-24e1-4d5c-ac55-7e226335f447"}"#;
        let xml_body = b"<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
            <Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message>\
            </Error><RequestId>8c2d3520</RequestId></ErrorResponse>";
        for (status, body) in [
            (400, &json_body[..]),
            (400, &xml_body[..]),
            (503, &xml_body[..]),
        ] {
            let err =
                parse_sts_response(status, body, "us-west-2", ResponseFormat::Json).unwrap_err();
            assert!(err.is_throttling(), "{err:?}");
            assert_eq!(err.metric_result(), "sts_throttling");
            assert_eq!(
                err.to_string(),
                format!(
                    "sts getCallerIdentity was throttled: {}",
                    String::from_utf8_lossy(body)
                )
            );
        }
    }

    #[test]
    fn other_statuses() {
        // TestVerifyHTTP403.
        let err = parse_sts_response(403, b" ", "global", ResponseFormat::Json).unwrap_err();
        assert_eq!(
            err.to_string(),
            "sts getCallerIdentity failed: error from AWS (expected 200, got 403) on global \
             endpoint. Body:  "
        );
        assert_eq!(err.metric_result(), "sts_error");
        let err = parse_sts_response(500, b"Internal Failure", "us-west-2", ResponseFormat::Json)
            .unwrap_err();
        assert!(matches!(
            &err,
            VerifyError::StsStatus { status: 500, region, body }
                if region == "us-west-2" && body == "Internal Failure"
        ));
        // A 302 is not followed: it is just another non-200.
        let err = parse_sts_response(302, b"", "r", ResponseFormat::Json).unwrap_err();
        assert!(matches!(err, VerifyError::StsStatus { status: 302, .. }));
        // Even a well-formed identity is refused on a non-200 status.
        let body = json("arn:aws:iam::1:user/u", "1", "U");
        assert!(parse_sts_response(201, body.as_bytes(), "r", ResponseFormat::Json).is_err());
    }

    #[test]
    fn error_bodies_are_truncated() {
        let long = "é".repeat(1000); // 2000 bytes
        let err = parse_sts_response(500, long.as_bytes(), "r", ResponseFormat::Json).unwrap_err();
        let VerifyError::StsStatus { body, .. } = &err else {
            panic!("{err:?}")
        };
        assert!(body.ends_with("... [truncated]"));
        assert_eq!(body.len(), 1024 + "... [truncated]".len());
        // Throttling is detected anywhere in the body, even past the cut.
        let late = format!("{}Throttling", "x".repeat(5000));
        let err = parse_sts_response(400, late.as_bytes(), "r", ResponseFormat::Json).unwrap_err();
        let VerifyError::StsThrottled { body } = &err else {
            panic!("{err:?}")
        };
        assert!(body.len() < 1100);
        let short = "y".repeat(1024);
        assert_eq!(truncate_body(&short), short);
    }

    #[test]
    fn end_to_end_json_and_xml_agree() {
        let arn = "arn:aws:sts::111122223333:assumed-role/Admin/admin-session";
        let uid = "AROAIIRR6I5NDJBWMIRQQ:admin-session";
        let from_json = parse_sts_response(
            200,
            json(arn, "111122223333", uid).as_bytes(),
            "r",
            ResponseFormat::Json,
        )
        .unwrap();
        let from_xml = parse_sts_response(
            200,
            xml(arn, "111122223333", uid).as_bytes(),
            "r",
            ResponseFormat::Xml,
        )
        .unwrap();
        assert_eq!(from_json, from_xml);
        let id = identity_from_caller(from_json, "ASIA", "sts.amazonaws.com").unwrap();
        assert_eq!(id.canonical_arn, "arn:aws:iam::111122223333:role/Admin");
        assert_eq!(id.user_id, "AROAIIRR6I5NDJBWMIRQQ");
        assert_eq!(id.session_name, "admin-session");
    }
}
