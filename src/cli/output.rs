//! The values of `-o/--output`, `--cache-storage` and `-l/--log-format`, as clap value
//! enums so that clap validates them, lists them in `--help` and completes them, and the
//! printers every `-o` shares.

use std::ffi::OsStr;

use clap::ValueEnum;
use clap::builder::{PossibleValue, TypedValueParser};
use serde::Serialize;

use super::CliError;
use crate::cache::Storage;

/// `-o/--output` of `verify` and `cache list`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// For people: a table, or the line upstream prints for verify
    #[default]
    Text,
    /// JSON
    Json,
    /// YAML
    Yaml,
}

impl Format {
    /// `verify`'s config-file key `output`, read as upstream reads it: `json` is JSON,
    /// anything else text (a config file written for upstream prints the same).
    pub(crate) fn from_config(value: &str) -> Format {
        match value {
            "json" => Format::Json,
            _ => Format::Text,
        }
    }
}

/// `version -o`: structured only, as upstream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum DataFormat {
    /// JSON (upstream's keys: `Version`, `Commit`)
    #[default]
    Json,
    /// YAML (upstream's keys: `version`, `commit`, `date`)
    Yaml,
}

/// `--cache-storage`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum StorageArg {
    /// Private files under the cache directory
    File,
    /// The OS keyring (Keychain, Credential Manager, Secret Service or keyutils)
    Keyring,
}

impl From<StorageArg> for Storage {
    fn from(arg: StorageArg) -> Storage {
        match arg {
            StorageArg::File => Storage::File,
            StorageArg::Keyring => Storage::Keyring,
        }
    }
}

/// `-l/--log-format`: offers `text` and `json` (help, completion) but accepts any value,
/// because upstream does — it warns and logs text — and a kubeconfig written for upstream
/// must keep working. [`crate::logging::LogFormat::parse`] gives the warning.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LogFormatParser;

impl TypedValueParser for LogFormatParser {
    type Value = String;

    fn parse_ref(
        &self,
        _cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<String, clap::Error> {
        Ok(value.to_string_lossy().into_owned())
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            [
                PossibleValue::new("text").help("logrus' text lines"),
                PossibleValue::new("json").help("one JSON object per line"),
            ]
            .into_iter(),
        ))
    }
}

/// Pretty JSON with a two-space indent (an empty list is `[]`).
pub(crate) fn json(value: &impl Serialize) -> Result<String, CliError> {
    serde_json::to_string_pretty(value)
        .map_err(|e| CliError::with_cause("could not encode the output as JSON", e))
}

/// YAML (an empty list is `[]`), ending in a newline.
pub(crate) fn yaml(value: &impl Serialize) -> Result<String, CliError> {
    let mut text = serde_saphyr::to_string(value)
        .map_err(|e| CliError::new(format!("could not encode the output as YAML: {e}")))?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_lists_are_empty_lists() {
        let empty: Vec<u8> = Vec::new();
        assert_eq!(json(&empty).unwrap(), "[]");
        assert_eq!(yaml(&empty).unwrap().trim(), "[]");
    }

    #[test]
    fn log_format_tolerates_unknown_values_but_offers_two() {
        let cmd = clap::Command::new("t");
        let parsed = LogFormatParser
            .parse_ref(&cmd, None, OsStr::new("logfmt"))
            .unwrap();
        assert_eq!(parsed, "logfmt");
        let offered: Vec<_> = LogFormatParser
            .possible_values()
            .unwrap()
            .map(|v| v.get_name().to_owned())
            .collect();
        assert_eq!(offered, ["text", "json"]);
    }
}
