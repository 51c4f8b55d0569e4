//! Logging setup: logrus-compatible level names, text or JSON, always on stderr.
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
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        LogFormat::Text => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    // Colour only for a person: log files, journald and container
                    // runtimes get plain text.
                    .with_ansi(
                        std::io::IsTerminal::is_terminal(&std::io::stderr())
                            && std::env::var_os("NO_COLOR").is_none(),
                    )
                    .with_target(false),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_writer(std::io::stderr),
            )
            .try_init(),
    };
    let _ = result;
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

    #[test]
    fn formats() {
        assert_eq!(LogFormat::parse("json"), (LogFormat::Json, None));
        assert_eq!(LogFormat::parse("text"), (LogFormat::Text, None));
        let (f, warn) = LogFormat::parse("xml");
        assert_eq!(f, LogFormat::Text);
        assert!(warn.unwrap().contains("xml"));
    }
}
