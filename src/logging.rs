//! Logging setup: logrus-compatible level names and lines (text or JSON), always on stderr.
//!
//! stdout belongs to the credential-plugin protocol (kubectl reads one JSON object from
//! it), so every log line goes to stderr. Dependencies' chatter (the AWS SDK, hyper) is
//! held at `warn` unless the user asks for `debug` or `trace`.

use std::fmt;

use tracing::Level;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::prelude::*;

/// The log levels upstream (logrus) accepts, in order.
pub const VALID_LEVELS: &[&str] = &[
    "panic", "fatal", "error", "warn", "warning", "info", "debug", "trace",
];

/// Output format for log lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl LogFormat {
    /// Upstream's rule: `json` selects JSON; anything else is text (with a warning for
    /// values other than `text`, returned as the second element).
    pub fn parse(value: &str) -> (LogFormat, Option<String>) {
        match value {
            "json" => (LogFormat::Json, None),
            "text" | "" => (LogFormat::Text, None),
            other => (
                LogFormat::Text,
                Some(format!(
                    "unknown log format {other:?}, using text (valid: text, json)"
                )),
            ),
        }
    }
}

/// An invalid `--log-verbosity`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidLevel(pub String);

impl fmt::Display for InvalidLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Invalid log level {:?}. Valid values are: panic, fatal, error, warn, info, debug, trace",
            self.0
        )
    }
}

impl std::error::Error for InvalidLevel {}

/// Maps a logrus level name (case-insensitive) to a tracing level.
pub fn parse_level(value: &str) -> Result<Level, InvalidLevel> {
    match value.to_ascii_lowercase().as_str() {
        "panic" | "fatal" | "error" => Ok(Level::ERROR),
        "warn" | "warning" => Ok(Level::WARN),
        "info" => Ok(Level::INFO),
        "debug" => Ok(Level::DEBUG),
        "trace" => Ok(Level::TRACE),
        _ => Err(InvalidLevel(value.to_string())),
    }
}

/// Installs the global subscriber. Safe to call once; later calls are ignored.
///
/// Dependencies never log below `info`, whatever the level: at `debug` the HTTP stack
/// prints request URIs, and a presigned STS URL *is* a token.
pub fn init(level: Level, format: LogFormat) {
    let ours = LevelFilter::from_level(level);
    let others = LevelFilter::WARN.min(ours);
    let filter = Targets::new()
        .with_target(env!("CARGO_CRATE_NAME"), ours)
        // The credential chain warns about every provider it tried (and, off EC2, every
        // IMDS probe) before we report the one line that matters.
        .with_target("aws_config", LevelFilter::ERROR)
        .with_default(others);
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(LogrusLayer { format })
        .try_init();
}

/// Writes each event as one logrus line (text or JSON), so that log pipelines written
/// for upstream keep parsing ours.
///
/// Every value is escaped: in text, a value with anything but `[A-Za-z0-9-._/@^+]` is
/// quoted as Go's `%q` does (so a CR or LF taken from a request can never start a forged
/// line); in JSON, strings are escaped as Go's `encoding/json` does.
struct LogrusLayer {
    format: LogFormat,
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for LogrusLayer {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let line = format_line(
            self.format,
            &timestamp(),
            *event.metadata().level(),
            &fields,
        );
        // One write of a whole line: lines from concurrent requests never interleave.
        let mut out = std::io::stderr().lock();
        let _ = std::io::Write::write_all(&mut out, line.as_bytes());
    }
}

/// logrus's default timestamp: RFC 3339 to the second, in UTC.
fn timestamp() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.replace_nanosecond(0)
        .unwrap_or(now)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// logrus's name for a level (`warning`, not `warn`).
fn level_name(level: Level) -> &'static str {
    match level {
        Level::ERROR => "error",
        Level::WARN => "warning",
        Level::INFO => "info",
        Level::DEBUG => "debug",
        Level::TRACE => "trace",
    }
}

/// One field's value as recorded by `tracing`.
#[derive(Clone, Debug, PartialEq)]
enum FieldValue {
    Str(String),
    /// A `?value` field; a list (`groups = ?vec`) is kept as a list.
    List(Vec<String>),
    Int(i128),
    Float(f64),
    Bool(bool),
}

/// The message and the other fields of one event, in recording order.
#[derive(Default)]
struct Fields {
    message: String,
    values: Vec<(&'static str, FieldValue)>,
}

impl Fields {
    fn push(&mut self, field: &tracing::field::Field, value: FieldValue) {
        if field.name() == "message" {
            self.message = match value {
                FieldValue::Str(s) => s,
                other => text_value(&other),
            };
        } else {
            self.values.push((field.name(), value));
        }
    }
}

impl tracing::field::Visit for Fields {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.push(field, FieldValue::Str(value.to_string()));
    }
    fn record_i64(&mut self, field: &tracing::field::Field, value: i64) {
        self.push(field, FieldValue::Int(value.into()));
    }
    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        self.push(field, FieldValue::Int(value.into()));
    }
    fn record_i128(&mut self, field: &tracing::field::Field, value: i128) {
        self.push(field, FieldValue::Int(value));
    }
    fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
        self.push(field, FieldValue::Float(value));
    }
    fn record_bool(&mut self, field: &tracing::field::Field, value: bool) {
        self.push(field, FieldValue::Bool(value));
    }
    fn record_error(
        &mut self,
        field: &tracing::field::Field,
        value: &(dyn std::error::Error + 'static),
    ) {
        self.push(field, FieldValue::Str(value.to_string()));
    }
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
        self.push(field, debug_value(format!("{value:?}")));
    }
}

/// A `?value` field: a list of strings (`groups = ?vec`) prints as a JSON-compatible
/// array, and is kept a list so that JSON logs carry an array, as upstream's do.
fn debug_value(text: String) -> FieldValue {
    match serde_json::from_str::<Vec<String>>(&text) {
        Ok(items) => FieldValue::List(items),
        Err(_) => FieldValue::Str(text),
    }
}

/// Formats one line (with its newline) as logrus's `TextFormatter` (no colours) or
/// `JSONFormatter` would: `time`, `level`, `msg`, then the fields sorted by key.
fn format_line(format: LogFormat, time: &str, level: Level, fields: &Fields) -> String {
    let mut sorted: Vec<&(&str, FieldValue)> = fields.values.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    // Later duplicates win, as in a logrus Fields map.
    sorted.dedup_by(|later, earlier| {
        if later.0 == earlier.0 {
            std::mem::swap(later, earlier);
            true
        } else {
            false
        }
    });
    let mut out = String::with_capacity(128);
    match format {
        LogFormat::Text => {
            out.push_str("time=");
            out.push_str(&text_quote(time));
            out.push_str(" level=");
            out.push_str(level_name(level));
            if !fields.message.is_empty() {
                out.push_str(" msg=");
                out.push_str(&text_quote(&fields.message));
            }
            for (key, value) in sorted {
                out.push(' ');
                out.push_str(key);
                out.push('=');
                out.push_str(&text_quote(&text_value(value)));
            }
        }
        LogFormat::Json => {
            // Go marshals a map with its keys sorted: the reserved keys take their place
            // among the fields (a field named like one is overridden, as in logrus).
            let mut all: Vec<(&str, serde_json::Value)> = sorted
                .into_iter()
                .filter(|(k, _)| !matches!(*k, "time" | "level" | "msg"))
                .map(|(k, v)| (*k, json_value(v)))
                .collect();
            all.push(("time", serde_json::Value::from(time)));
            all.push(("level", serde_json::Value::from(level_name(level))));
            all.push(("msg", serde_json::Value::from(fields.message.as_str())));
            all.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, value)) in all.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&go_json(&serde_json::Value::from(*key)));
                out.push(':');
                out.push_str(&go_json(value));
            }
            out.push('}');
        }
    }
    out.push('\n');
    out
}

/// A value as Go's `fmt.Sprint` prints it (a list as `[a b]`).
fn text_value(value: &FieldValue) -> String {
    match value {
        FieldValue::Str(s) => s.clone(),
        FieldValue::List(items) => format!("[{}]", items.join(" ")),
        FieldValue::Int(n) => n.to_string(),
        FieldValue::Float(f) => f.to_string(),
        FieldValue::Bool(b) => b.to_string(),
    }
}

fn json_value(value: &FieldValue) -> serde_json::Value {
    match value {
        FieldValue::Str(s) => serde_json::Value::from(s.as_str()),
        FieldValue::List(items) => serde_json::Value::from(items.clone()),
        FieldValue::Int(n) => i64::try_from(*n)
            .map(serde_json::Value::from)
            .unwrap_or_else(|_| serde_json::Value::from(n.to_string())),
        FieldValue::Float(f) => serde_json::Value::from(*f),
        FieldValue::Bool(b) => serde_json::Value::from(*b),
    }
}

/// JSON as Go's encoder writes it by default: `<`, `>`, `&`, U+2028 and U+2029 escaped.
fn go_json(value: &serde_json::Value) -> String {
    let text = value.to_string();
    if !text.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return text;
    }
    text.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// logrus's `needsQuoting` + `%q`: bare when every character is in
/// `[A-Za-z0-9-._/@^+]` (or the value is empty), else Go-quoted.
fn text_quote(value: &str) -> String {
    let bare = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-._/@^+".contains(c));
    if bare {
        value.to_string()
    } else {
        crate::gofmt::go_quote(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logrus_levels_map() {
        for name in VALID_LEVELS {
            assert!(parse_level(name).is_ok(), "{name}");
        }
        assert_eq!(parse_level("WARN").unwrap(), Level::WARN);
        let err = parse_level("loud").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid log level \"loud\". Valid values are: panic, fatal, error, warn, info, debug, trace"
        );
    }

    fn fields(message: &str, values: Vec<(&'static str, FieldValue)>) -> Fields {
        Fields {
            message: message.to_string(),
            values,
        }
    }

    #[test]
    fn text_lines_are_logrus_lines() {
        let line = format_line(
            LogFormat::Text,
            "2026-12-01T10:00:00Z",
            Level::INFO,
            &fields(
                "access granted",
                vec![
                    ("username", FieldValue::Str("alice".into())),
                    (
                        "groups",
                        FieldValue::List(vec!["devs".into(), "ops".into()]),
                    ),
                    ("arn", FieldValue::Str("arn:aws:iam::1:user/alice".into())),
                    ("method", FieldValue::Str("POST".into())),
                    ("path", FieldValue::Str("/authenticate".into())),
                    ("empty", FieldValue::Str(String::new())),
                ],
            ),
        );
        assert_eq!(
            line,
            "time=\"2026-12-01T10:00:00Z\" level=info msg=\"access granted\" \
             arn=\"arn:aws:iam::1:user/alice\" empty= groups=\"[devs ops]\" method=POST \
             path=/authenticate username=alice\n"
        );
        let warn = format_line(LogFormat::Text, "t", Level::WARN, &fields("x", vec![]));
        assert_eq!(warn, "time=t level=warning msg=x\n");
    }

    #[test]
    fn request_values_cannot_forge_a_line() {
        let forged = "20261201T000000Z\r\ntime=\"x\" level=info msg=\"access granted\"";
        for format in [LogFormat::Text, LogFormat::Json] {
            let line = format_line(
                format,
                "t",
                Level::WARN,
                &fields(
                    "access denied\nfake",
                    vec![("error", FieldValue::Str(forged.into()))],
                ),
            );
            assert_eq!(line.matches('\n').count(), 1, "{line}");
            assert!(line.ends_with('\n') && !line.contains('\r'), "{line}");
        }
    }

    #[test]
    fn json_lines_are_flat_and_sorted() {
        let line = format_line(
            LogFormat::Json,
            "2026-12-01T10:00:00Z",
            Level::WARN,
            &fields(
                "access denied",
                vec![
                    ("groups", FieldValue::List(vec!["devs".into()])),
                    ("error", FieldValue::Str("a <b> & c".into())),
                    ("count", FieldValue::Int(3)),
                    ("cached", FieldValue::Bool(true)),
                ],
            ),
        );
        assert_eq!(
            line,
            "{\"cached\":true,\"count\":3,\"error\":\"a \\u003cb\\u003e \\u0026 c\",\
             \"groups\":[\"devs\"],\"level\":\"warning\",\"msg\":\"access denied\",\
             \"time\":\"2026-12-01T10:00:00Z\"}\n"
        );
    }

    #[test]
    fn debug_lists_stay_lists() {
        let groups = vec!["a b".to_string(), "c\"d".to_string()];
        assert_eq!(debug_value(format!("{groups:?}")), FieldValue::List(groups));
        assert_eq!(
            debug_value("Some(1)".into()),
            FieldValue::Str("Some(1)".into())
        );
    }

    #[test]
    fn formats() {
        assert_eq!(LogFormat::parse("json"), (LogFormat::Json, None));
        assert_eq!(LogFormat::parse("text"), (LogFormat::Text, None));
        let (f, warn) = LogFormat::parse("xml");
        assert_eq!(f, LogFormat::Text);
        assert!(warn.unwrap().contains("xml"));
    }
}
