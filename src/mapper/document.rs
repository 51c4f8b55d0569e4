//! The untyped, order-preserving document tree that mapping entries are decoded from.
//!
//! Upstream decodes `aws-auth` and the DynamicFile with Go's `encoding/json` (after a
//! YAML-to-JSON step), which matches keys case-insensitively, lets the last duplicate key
//! win and ignores unknown keys. A derived `Deserialize` cannot do that, so every source
//! is first read into a [`Node`] and the entries are then built from it by the small
//! typed setters here, which also phrase type errors the way `encoding/json` does.
//!
//! The setters read values of another type the way upstream's *config-file* decoder does
//! (viper's mapstructure with `WeaklyTypedInput` and the `","` string-to-slice hook):
//! a number or boolean where a string belongs, a single value where a list belongs, a
//! comma-separated string as a list. For the config file that is upstream's behaviour;
//! for `aws-auth`, the DynamicFile and the CRD (where `encoding/json` refuses) it is a
//! deliberate leniency, so that one set of rules holds everywhere. Each conversion is
//! recorded as a [`Coercion`] for the caller to log with the source, entry and line;
//! what mapstructure refuses (a list where a string belongs, a non-empty mapping where
//! a list of strings belongs) stays an error.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// An untyped YAML/JSON value that keeps mapping entries in document order.
///
/// Mapping entries are decoded from this tree rather than with a derived `Deserialize`
/// for two reasons: keys must match case-insensitively with "last one wins" in document
/// order (which `serde_json::Value`'s sorted maps would lose), and one bad entry in an
/// `aws-auth` list must not prevent the others from loading.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Node {
    /// `null`, `~` or an empty value.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number, kept as its decimal rendering (only used in error messages).
    Number(String),
    /// A string.
    Str(String),
    /// A list.
    Seq(Vec<Node>),
    /// A mapping, entries in document order; keys rendered as strings.
    Map(Vec<(String, Node)>),
}

impl Node {
    /// The JSON-ish name of this node's type, as Go's `encoding/json` errors spell it.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "bool",
            Node::Number(_) => "number",
            Node::Str(_) => "string",
            Node::Seq(_) => "array",
            Node::Map(_) => "object",
        }
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML or JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Number(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Number(v.to_string()))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Node, E> {
        Ok(Node::Number(v.to_string()))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Node, E> {
        Ok(Node::Number(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Number(v.to_string()))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<NodeKey>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key.0, value));
        }
        Ok(Node::Map(entries))
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

/// A mapping key rendered as a string (YAML allows scalar keys of any type; upstream's
/// YAML-to-JSON step stringifies them the same way).
struct NodeKey(String);

impl<'de> Deserialize<'de> for NodeKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = NodeKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scalar mapping key")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<NodeKey, E> {
                Ok(NodeKey(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NodeKey, E> {
                Ok(NodeKey(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NodeKey, E> {
                Ok(NodeKey(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<NodeKey, E> {
                Ok(NodeKey(v.to_string()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<NodeKey, E> {
                Ok(NodeKey(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<NodeKey, E> {
                Ok(NodeKey("null".to_string()))
            }
        }
        d.deserialize_any(KeyVisitor)
    }
}

/// Error text for a value of the wrong type, shaped like Go's `json.UnmarshalTypeError`.
fn type_error(node: &Node, ty: &str, field: &str, want: &str) -> String {
    format!(
        "cannot unmarshal {} into field {ty}.{field} of type {want}",
        node.kind()
    )
}

/// A value read with one of the weak conversions upstream's config-file decoder
/// (viper's mapstructure, `WeaklyTypedInput` plus its `","` string-to-slice hook) makes.
///
/// Collected rather than logged where it happens, because only the caller knows where
/// the value came from (the file and line, the ConfigMap key, the entry's position); the
/// caller logs one warning per coercion so that the operator can fix the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Coercion {
    /// The field in upstream's spelling, with the position inside a list:
    /// `groups`, `groups[1]`, `sso.accountID`.
    pub(crate) field: String,
    /// What was read, and as what.
    pub(crate) what: String,
}

impl fmt::Display for Coercion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.what)
    }
}

/// Where a decoder records the [`Coercion`]s it made.
pub(crate) type Coercions = Vec<Coercion>;

fn note(notes: &mut Coercions, field: &str, what: String) {
    notes.push(Coercion {
        field: field.to_string(),
        what,
    });
}

/// mapstructure's weak conversion of a scalar to a string: numbers in base 10 (as
/// written), booleans as `"1"`/`"0"`. `None` for lists and mappings, which it refuses.
/// The flag says whether a conversion happened.
pub(crate) fn weak_string(node: &Node) -> Option<(String, bool)> {
    match node {
        Node::Str(s) => Some((s.clone(), false)),
        Node::Number(n) => Some((n.clone(), true)),
        Node::Bool(b) => Some((if *b { "1" } else { "0" }.to_string(), true)),
        Node::Null => Some((String::new(), true)),
        Node::Seq(_) | Node::Map(_) => None,
    }
}

fn describe(node: &Node) -> String {
    match node {
        Node::Str(s) => format!("the string {s:?}"),
        Node::Number(n) => format!("the number {n}"),
        Node::Bool(b) => format!("the boolean {b}"),
        Node::Null => "null".to_string(),
        Node::Seq(_) => "a list".to_string(),
        Node::Map(_) => "a mapping".to_string(),
    }
}

/// Reads a string with upstream's config-file rules; `null` is `None` (leave unchanged).
fn read_string(
    node: &Node,
    ty: &str,
    field: &str,
    notes: &mut Coercions,
) -> Result<Option<String>, String> {
    if let Node::Null = node {
        return Ok(None);
    }
    match weak_string(node) {
        Some((s, converted)) => {
            if converted {
                note(
                    notes,
                    field,
                    format!("read {} as the string {s:?}", describe(node)),
                );
            }
            Ok(Some(s))
        }
        None => Err(type_error(node, ty, field, "string")),
    }
}

/// Sets `target` from a string node; `null` leaves it unchanged, as `encoding/json` does.
/// Numbers and booleans are read as upstream's config-file decoder reads them
/// ([`weak_string`]) and recorded in `notes`.
pub(crate) fn set_string(
    node: &Node,
    ty: &str,
    field: &str,
    target: &mut String,
    notes: &mut Coercions,
) -> Result<(), String> {
    if let Some(s) = read_string(node, ty, field, notes)? {
        *target = s;
    }
    Ok(())
}

/// Like [`set_string`] for optional strings; an empty string means "not set" (upstream
/// tests these fields with `== ""`).
pub(crate) fn set_opt_string(
    node: &Node,
    ty: &str,
    field: &str,
    target: &mut Option<String>,
    notes: &mut Coercions,
) -> Result<(), String> {
    if let Some(s) = read_string(node, ty, field, notes)? {
        *target = Some(s).filter(|s| !s.is_empty());
    }
    Ok(())
}

/// Reads a list of strings with upstream's config-file rules (viper's decoder):
///
/// * a list: each item as by [`weak_string`] (a `null` item is `""`, Go's zero value);
/// * a string: split on `,` (viper's string-to-slice hook); `""` is the empty list;
/// * a number or boolean: a one-item list;
/// * an empty mapping: the empty list;
/// * `null`: `None` (leave unchanged).
///
/// Anything else (a list holding a list, a non-empty mapping) is `Err` with the node
/// that could not be read.
pub(crate) fn read_string_list<'a>(
    node: &'a Node,
    field: &str,
    notes: &mut Coercions,
) -> Result<Option<Vec<String>>, &'a Node> {
    match node {
        Node::Null => Ok(None),
        Node::Seq(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let (s, converted) = weak_string(item).ok_or(item)?;
                if converted {
                    note(
                        notes,
                        &format!("{field}[{i}]"),
                        format!("read {} as the string {s:?}", describe(item)),
                    );
                }
                out.push(s);
            }
            Ok(Some(out))
        }
        Node::Str(s) => {
            let out: Vec<String> = if s.is_empty() {
                Vec::new()
            } else {
                s.split(',').map(str::to_string).collect()
            };
            note(
                notes,
                field,
                format!("read {} as the list {out:?}", describe(node)),
            );
            Ok(Some(out))
        }
        Node::Number(_) | Node::Bool(_) => {
            let (s, _) = weak_string(node).ok_or(node)?;
            let out = vec![s];
            note(
                notes,
                field,
                format!("read {} as the list {out:?}", describe(node)),
            );
            Ok(Some(out))
        }
        Node::Map(entries) if entries.is_empty() => {
            note(
                notes,
                field,
                "read an empty mapping as the empty list".to_string(),
            );
            Ok(Some(Vec::new()))
        }
        Node::Map(_) => Err(node),
    }
}

/// Sets `target` from a list of strings read by [`read_string_list`]; `null` leaves it
/// unchanged.
pub(crate) fn set_string_list(
    node: &Node,
    ty: &str,
    field: &str,
    target: &mut Vec<String>,
    notes: &mut Coercions,
) -> Result<(), String> {
    match read_string_list(node, field, notes) {
        Ok(Some(list)) => {
            *target = list;
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(bad) => Err(type_error(bad, ty, field, "[]string")),
    }
}

/// The items of a node where a list of mappings belongs, with upstream's config-file
/// rules: a list as it is, `null` or an empty mapping as no items, and any other single
/// value as a one-item list (so a lone mapping written without `- ` is one entry, and a
/// scalar fails as an entry).
pub(crate) fn list_items(node: &Node, field: &str, notes: &mut Coercions) -> Vec<Node> {
    match node {
        Node::Seq(items) => items.clone(),
        Node::Null => Vec::new(),
        Node::Map(entries) if entries.is_empty() => {
            note(
                notes,
                field,
                "read an empty mapping as the empty list".to_string(),
            );
            Vec::new()
        }
        other => {
            note(
                notes,
                field,
                format!("read {} as a one-item list", describe(other)),
            );
            vec![other.clone()]
        }
    }
}

/// The 1-based line of the `index`-th `- ` item of a YAML list, and with `field` of that
/// key inside the item (its last key: `groups` for `groups[1]`, `accountID` for
/// `sso.accountID`). The list is the one under `parent:`, or the document's top-level
/// list when `parent` is `None`. A heuristic for messages only: `None` when not found.
pub(crate) fn item_line(
    text: &str,
    parent: Option<&str>,
    index: usize,
    field: Option<&str>,
) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let starts_with_key = |l: &str, key: &str| {
        let t = l.trim_start().trim_start_matches("- ").trim_start();
        let t = t.trim_start_matches(['"', '\'']);
        t.len() > key.len()
            && t.get(..key.len())
                .is_some_and(|k| k.eq_ignore_ascii_case(key))
            && t.get(key.len()..)
                .is_some_and(|rest| rest.trim_start_matches(['"', '\'']).starts_with(':'))
    };
    let (first, parent_indent) = match parent {
        Some(key) => {
            let at = lines.iter().position(|l| starts_with_key(l, key))?;
            (at + 1, Some(indent(lines.get(at)?)))
        }
        None => (0, None),
    };
    let mut item_indent = None;
    let mut seen = 0;
    let mut item_at = None;
    for (n, line) in lines.iter().enumerate().skip(first) {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let ind = indent(line);
        if parent_indent.is_some_and(|p| ind <= p && !trimmed.starts_with('-')) {
            break;
        }
        if trimmed.starts_with('-') && item_indent.is_none_or(|i| i == ind) {
            item_indent = Some(ind);
            if seen == index {
                item_at = Some(n);
                break;
            }
            seen += 1;
        }
    }
    let item_at = item_at?;
    let Some(field) = field else {
        return Some(item_at + 1);
    };
    let last = field.rsplit('.').next().unwrap_or(field);
    let key = last.split('[').next().unwrap_or(last);
    let item_indent = item_indent?;
    for (n, line) in lines.iter().enumerate().skip(item_at) {
        let trimmed = line.trim_start();
        if n > item_at && !trimmed.is_empty() && !trimmed.starts_with('#') {
            let ind = indent(line);
            if ind < item_indent || (ind == item_indent && trimmed.starts_with('-')) {
                break;
            }
        }
        if starts_with_key(line, key) {
            return Some(n + 1);
        }
    }
    Some(item_at + 1)
}

/// The entries of a mapping node, or a type error naming `ty`.
pub(crate) fn entries<'a>(node: &'a Node, ty: &str) -> Result<&'a [(String, Node)], String> {
    match node {
        Node::Map(entries) => Ok(entries),
        other => Err(format!("cannot unmarshal {} into {ty}", other.kind())),
    }
}

/// Keeps only non-empty optional strings (upstream treats `""` as "not set").
pub(crate) fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|s| !s.is_empty())
}

pub(crate) fn is_blank(value: &Option<String>) -> bool {
    non_empty(value).is_none()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn node_from_yaml_keeps_order_and_stringifies_keys() {
        let n: Node = serde_saphyr::from_str("b: 1\na: [x, ~]\n12: true\n").expect("yaml");
        assert_eq!(
            n,
            Node::Map(vec![
                ("b".to_string(), Node::Number("1".to_string())),
                (
                    "a".to_string(),
                    Node::Seq(vec![Node::Str("x".to_string()), Node::Null])
                ),
                ("12".to_string(), Node::Bool(true)),
            ])
        );
    }
}
