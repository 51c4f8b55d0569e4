//! Upstream's configuration file (`-c/--config FILE`).
//!
//! Upstream reads it with viper, so keys are case-insensitive (`clusterID` ==
//! `clusterid`) and the file extension picks the format. We accept YAML (`.yaml`,
//! `.yml`, or no extension) and JSON (`.json`). Unknown keys are ignored, as viper
//! ignores them. Values given on the command line or in the environment win over the
//! file; the file wins over built-in defaults.
//!
//! YAML is parsed with `serde-saphyr`, a pure-Rust, maintained parser (`serde_yaml` is
//! archived and unmaintained), which reports the line and column of syntax errors.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// A loaded configuration file with case-folded keys.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Config {
    path: Option<PathBuf>,
    text: Option<String>,
    root: Map<String, Value>,
}

/// The configuration file could not be used.
#[derive(Debug)]
pub enum ConfigError {
    /// The file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid YAML/JSON; the message carries the line and column.
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// The document is not a mapping at the top level.
    NotAMapping {
        /// The file.
        path: PathBuf,
    },
    /// A key holds a value of the wrong type.
    InvalidValue {
        /// The file.
        path: PathBuf,
        /// The key, as upstream spells it.
        key: String,
        /// What was expected.
        expected: &'static str,
    },
    /// The extension names a format we do not read.
    UnsupportedFormat {
        /// The file.
        path: PathBuf,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Read { path, source } => {
                write!(
                    f,
                    "Can't read configuration file {:?}: {source}",
                    path.display().to_string()
                )
            }
            ConfigError::Parse { path, message } => write!(
                f,
                "invalid configuration file {}: {message}; fix the YAML/JSON syntax at that line",
                path.display()
            ),
            ConfigError::NotAMapping { path } => write!(
                f,
                "invalid configuration file {}: the top level must be a mapping of keys (for example `clusterID: my-cluster`)",
                path.display()
            ),
            ConfigError::InvalidValue {
                path,
                key,
                expected,
            } => write!(
                f,
                "invalid configuration file {}: key {key:?} must be {expected}",
                path.display()
            ),
            ConfigError::UnsupportedFormat { path } => write!(
                f,
                "unsupported configuration file type {}: use a .yaml, .yml or .json file",
                path.display()
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

fn fold_keys(map: Map<String, Value>) -> Map<String, Value> {
    map.into_iter()
        .map(|(k, v)| {
            let v = match v {
                Value::Object(inner) => Value::Object(fold_keys(inner)),
                other => other,
            };
            (k.to_ascii_lowercase(), v)
        })
        .collect()
}

impl Config {
    /// Loads a configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(path, &text)
    }

    /// Parses configuration text; `path` picks the format and names the file in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let value: Value = match ext.as_deref() {
            Some("json") => serde_json::from_str(text).map_err(|e| ConfigError::Parse {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?,
            None | Some("yaml") | Some("yml") => {
                if text.trim().is_empty() {
                    Value::Object(Map::new())
                } else {
                    // YAML 1.2 booleans only (`true`/`false`), as viper's yaml.v3 reads
                    // them: `username: n` is the text "n", and `kubeconfigPregenerated: yes`
                    // is refused by `bool` rather than read as either value.
                    let options = serde_saphyr::options! { strict_booleans: true };
                    serde_saphyr::from_str_with_options(text, options).map_err(|e| {
                        ConfigError::Parse {
                            path: path.to_path_buf(),
                            message: e.to_string().lines().next().unwrap_or_default().to_string(),
                        }
                    })?
                }
            }
            Some(_) => {
                return Err(ConfigError::UnsupportedFormat {
                    path: path.to_path_buf(),
                });
            }
        };
        let root = match value {
            Value::Object(map) => fold_keys(map),
            Value::Null => Map::new(),
            _ => {
                return Err(ConfigError::NotAMapping {
                    path: path.to_path_buf(),
                });
            }
        };
        Ok(Config {
            path: Some(path.to_path_buf()),
            text: Some(text.to_string()),
            root,
        })
    }

    /// The file this configuration came from.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The file's text, for pointing at lines in errors.
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }

    /// A raw value by (case-insensitive) key; `server.port` style paths descend.
    pub fn get(&self, key: &str) -> Option<&Value> {
        let mut parts = key.split('.');
        let first = parts.next()?;
        let mut value = self.root.get(&first.to_ascii_lowercase())?;
        for part in parts {
            value = value.as_object()?.get(&part.to_ascii_lowercase())?;
        }
        Some(value)
    }

    fn invalid(&self, key: &str, expected: &'static str) -> ConfigError {
        ConfigError::InvalidValue {
            path: self.path.clone().unwrap_or_default(),
            key: key.to_string(),
            expected,
        }
    }

    /// The 1-based line where `key` (`server.port` style) is set, if it can be found:
    /// each segment is looked for after the line of the one before. For messages only.
    pub fn line_of(&self, key: &str) -> Option<usize> {
        let text = self.text.as_deref()?;
        let lines: Vec<&str> = text.lines().collect();
        let mut from = 0;
        let mut found = None;
        for segment in key.split('.') {
            let at = lines.iter().skip(from).position(|l| {
                let t = l.trim_start().trim_start_matches(['"', '\'', '{', ' ']);
                t.get(..segment.len())
                    .is_some_and(|k| k.eq_ignore_ascii_case(segment))
                    && t.get(segment.len()..)
                        .is_some_and(|r| r.trim_start_matches(['"', '\'']).starts_with(':'))
            })?;
            found = Some(from + at);
            from += at + 1;
        }
        found.map(|n| n + 1)
    }

    /// Logs one value read with a conversion upstream's decoder makes (`what`), naming
    /// the file, the key and the line, so that the operator can fix the file.
    pub fn note_coercion(&self, key: &str, what: &str) {
        let file = self
            .path
            .as_ref()
            .map(|p| format!(" in {}", p.display()))
            .unwrap_or_default();
        let line = self
            .line_of(key)
            .map(|n| format!(" (line {n})"))
            .unwrap_or_default();
        tracing::warn!(
            "configuration key {key}{file}{line}: {what}, as upstream does; write the value with its own type to silence this"
        );
    }

    /// A string value. Numbers and booleans are accepted and rendered as viper's
    /// `GetString` renders them (`true`, `8080`, `1.5`), with a warning.
    pub fn string(&self, key: &str) -> Result<Option<String>, ConfigError> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => {
                let s = go_number(n);
                self.note_coercion(key, &format!("read the number {n} as the string {s:?}"));
                Ok(Some(s))
            }
            Some(Value::Bool(b)) => {
                self.note_coercion(key, &format!("read the boolean {b} as the string \"{b}\""));
                Ok(Some(b.to_string()))
            }
            Some(_) => Err(self.invalid(key, "a string")),
        }
    }

    /// A boolean value, read as viper's `GetBool` reads it: the strings Go's
    /// `strconv.ParseBool` accepts (`1`, `t`, `true`, `0`, `f`, `false`, in any case here),
    /// and numbers (non-zero is true), each with a warning. An empty string is not set.
    /// Anything else is refused: upstream silently reads `yes` or `maybe` as `false`,
    /// which cannot be what was meant.
    pub fn bool(&self, key: &str) -> Result<Option<bool>, ConfigError> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) => {
                let value = match s.trim().to_ascii_lowercase().as_str() {
                    "true" | "1" | "t" => Some(true),
                    "false" | "0" | "f" => Some(false),
                    "" => None,
                    _ => return Err(self.invalid(key, "true or false")),
                };
                let shown = value.map_or("not set".to_string(), |v| v.to_string());
                self.note_coercion(key, &format!("read the string {s:?} as {shown}"));
                Ok(value)
            }
            Some(Value::Number(n)) => {
                let value = n.as_f64().is_some_and(|f| f != 0.0);
                self.note_coercion(key, &format!("read the number {n} as {value}"));
                Ok(Some(value))
            }
            Some(_) => Err(self.invalid(key, "true or false")),
        }
    }

    /// A non-negative integer value, read as viper's `GetInt` reads it: a whole number
    /// written as a float (`9000.0`), or a string holding one (`"9000"`, `"9000.0"`, Go's
    /// `0x`/`0o`/`0b`/leading-`0` prefixes), each with a warning. An empty string is not
    /// set. Refused: fractions, negative numbers, booleans and other text (upstream reads
    /// `port: "abc"` as 0, a random port, which cannot be what was meant).
    pub fn u64(&self, key: &str) -> Result<Option<u64>, ConfigError> {
        let bad = || self.invalid(key, "a non-negative integer");
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => {
                if let Some(v) = n.as_u64() {
                    return Ok(Some(v));
                }
                match n.as_f64() {
                    Some(f) if f >= 0.0 && f.fract() == 0.0 && f < u64::MAX as f64 => {
                        let v = f as u64;
                        self.note_coercion(key, &format!("read the number {n} as {v}"));
                        Ok(Some(v))
                    }
                    _ => Err(bad()),
                }
            }
            Some(Value::String(s)) => {
                if s.trim().is_empty() {
                    self.note_coercion(key, "read the empty string as not set (the default)");
                    return Ok(None);
                }
                let v = parse_go_uint(s).ok_or_else(bad)?;
                self.note_coercion(key, &format!("read the string {s:?} as the number {v}"));
                Ok(Some(v))
            }
            Some(_) => Err(bad()),
        }
    }
}

/// A number as Go's `strconv.FormatFloat(f, 'f', -1, 64)` / `FormatInt` write it (what
/// viper's `GetString` gives): `1000.0` is `1000`.
fn go_number(n: &serde_json::Number) -> String {
    if n.is_f64()
        && let Some(f) = n.as_f64()
        && f.fract() == 0.0
        && f.abs() < 1e21
    {
        return format!("{f:.0}");
    }
    n.to_string()
}

/// An unsigned integer as `cast.ToInt` parses a string: surrounding space and a zero
/// fraction (`9000.0`) are dropped, then Go's `strconv.ParseInt(s, 0, 0)` rules apply
/// (`0x`, `0o`, `0b` prefixes, a leading `0` for octal, `_` between digits).
fn parse_go_uint(text: &str) -> Option<u64> {
    let mut s = text.trim();
    if let Some((whole, frac)) = s.split_once('.')
        && !frac.is_empty()
        && frac.bytes().all(|b| b == b'0')
    {
        s = whole;
    }
    let s = s.strip_prefix('+').unwrap_or(s);
    let lower = s.to_ascii_lowercase();
    let (digits, radix) = if let Some(rest) = lower.strip_prefix("0x") {
        (rest.to_string(), 16)
    } else if let Some(rest) = lower.strip_prefix("0o") {
        (rest.to_string(), 8)
    } else if let Some(rest) = lower.strip_prefix("0b") {
        (rest.to_string(), 2)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (lower.get(1..)?.to_string(), 8)
    } else {
        (lower, 10)
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    u64::from_str_radix(&digits.replace('_', ""), radix).ok()
}

/// Parses a duration flag or key: seconds, or a number with `s`, `m` or `h` (`90s`, `5m`).
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let bad = || {
        format!("invalid duration {text:?}: use seconds, or a number with s, m or h (e.g. 90s, 5m)")
    };
    let n: u64 = number.parse().map_err(|_| bad())?;
    let secs = match unit {
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        _ => return Err(bad()),
    };
    Ok(std::time::Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive() {
        let c = Config::parse(
            Path::new("c.yaml"),
            "clusterID: prod\nTokenOnly: true\nserver:\n  Port: 21362\n  stateDir: /tmp/x\n",
        )
        .unwrap();
        assert_eq!(c.string("clusterid").unwrap().as_deref(), Some("prod"));
        assert_eq!(c.string("clusterID").unwrap().as_deref(), Some("prod"));
        assert_eq!(c.bool("tokenOnly").unwrap(), Some(true));
        assert_eq!(c.u64("server.port").unwrap(), Some(21362));
        assert_eq!(
            c.string("server.statedir").unwrap().as_deref(),
            Some("/tmp/x")
        );
        assert_eq!(c.string("missing").unwrap(), None);
    }

    #[test]
    fn scalars_are_read_as_vipers_getters_read_them() {
        let c = Config::parse(
            Path::new("c.yaml"),
            "a: \"9000\"\nb: 9000.0\nc: \"0x1F\"\nd: \"010\"\ne: \" 12.00 \"\nf: \"\"\ng: 1\nh: 0\ni: \"T\"\nj: 1.0\nk: true\nl: 2.5\n",
        )
        .unwrap();
        assert_eq!(c.u64("a").unwrap(), Some(9000));
        assert_eq!(c.u64("b").unwrap(), Some(9000));
        assert_eq!(c.u64("c").unwrap(), Some(31));
        // Go's base-0 rule: a leading zero is octal.
        assert_eq!(c.u64("d").unwrap(), Some(8));
        assert_eq!(c.u64("e").unwrap(), Some(12));
        assert_eq!(c.u64("f").unwrap(), None);
        assert_eq!(c.bool("g").unwrap(), Some(true));
        assert_eq!(c.bool("h").unwrap(), Some(false));
        assert_eq!(c.bool("i").unwrap(), Some(true));
        assert_eq!(c.bool("f").unwrap(), None);
        assert_eq!(c.string("j").unwrap().as_deref(), Some("1"));
        assert_eq!(c.string("k").unwrap().as_deref(), Some("true"));
        assert_eq!(c.string("l").unwrap().as_deref(), Some("2.5"));
        // Cannot be meant: fractions, booleans and text as numbers.
        assert!(c.u64("l").is_err());
        assert!(c.u64("k").is_err());
        assert!(c.u64("i").is_err());
    }

    #[test]
    fn lines_of_nested_keys() {
        let c = Config::parse(
            Path::new("c.yaml"),
            "port: 1\nserver:\n  # comment\n  Port: \"2\"\n",
        )
        .unwrap();
        assert_eq!(c.line_of("port"), Some(1));
        assert_eq!(c.line_of("server.port"), Some(4));
        assert_eq!(c.line_of("server.missing"), None);
    }

    #[test]
    fn json_by_extension() {
        let c = Config::parse(Path::new("c.json"), r#"{"clusterID":"a","cache":"true"}"#).unwrap();
        assert_eq!(c.string("clusterID").unwrap().as_deref(), Some("a"));
        assert_eq!(c.bool("cache").unwrap(), Some(true));
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        let err = Config::parse(Path::new("/etc/x.yaml"), "clusterID: a\nrole: [unclosed\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("/etc/x.yaml"), "{err}");
        assert!(err.contains("line"), "{err}");
    }

    #[test]
    fn wrong_types_are_named() {
        let c = Config::parse(Path::new("c.yaml"), "tokenOnly: [1]\n").unwrap();
        let err = c.bool("tokenOnly").unwrap_err().to_string();
        assert!(
            err.contains("tokenOnly") && err.contains("true or false"),
            "{err}"
        );
    }

    #[test]
    fn non_mapping_and_unknown_format_are_refused() {
        assert!(matches!(
            Config::parse(Path::new("c.yaml"), "- a\n- b\n"),
            Err(ConfigError::NotAMapping { .. })
        ));
        assert!(matches!(
            Config::parse(Path::new("c.toml"), "a = 1"),
            Err(ConfigError::UnsupportedFormat { .. })
        ));
        assert_eq!(
            Config::parse(Path::new("c.yaml"), "").unwrap().get("x"),
            None
        );
    }

    #[test]
    fn read_errors_use_upstreams_wording() {
        let err = Config::load(Path::new("/nonexistent/cfg.yaml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("Can't read configuration file \"/nonexistent/cfg.yaml\""),
            "{err}"
        );
    }
}
