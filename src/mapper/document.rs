//! The untyped, order-preserving document tree that mapping entries are decoded from.
//!
//! Upstream decodes `aws-auth` and the DynamicFile with Go's `encoding/json` (after a
//! YAML-to-JSON step), which matches keys case-insensitively, lets the last duplicate key
//! win and ignores unknown keys. A derived `Deserialize` cannot do that, so every source
//! is first read into a [`Node`] and the entries are then built from it by the small
//! typed setters here, which also phrase type errors the way `encoding/json` does.

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

/// Sets `target` from a string node; `null` leaves it unchanged, as `encoding/json` does.
pub(crate) fn set_string(
    node: &Node,
    ty: &str,
    field: &str,
    target: &mut String,
) -> Result<(), String> {
    match node {
        Node::Null => Ok(()),
        Node::Str(s) => {
            target.clone_from(s);
            Ok(())
        }
        other => Err(type_error(other, ty, field, "string")),
    }
}

/// Like [`set_string`] for optional strings; an empty string means "not set" (upstream
/// tests these fields with `== ""`).
pub(crate) fn set_opt_string(
    node: &Node,
    ty: &str,
    field: &str,
    target: &mut Option<String>,
) -> Result<(), String> {
    match node {
        Node::Null => Ok(()),
        Node::Str(s) if s.is_empty() => {
            *target = None;
            Ok(())
        }
        Node::Str(s) => {
            *target = Some(s.clone());
            Ok(())
        }
        other => Err(type_error(other, ty, field, "string")),
    }
}

/// Sets `target` from a list of strings; `null` leaves it unchanged.
pub(crate) fn set_string_list(
    node: &Node,
    ty: &str,
    field: &str,
    target: &mut Vec<String>,
) -> Result<(), String> {
    match node {
        Node::Null => Ok(()),
        Node::Seq(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Node::Str(s) => out.push(s.clone()),
                    other => return Err(type_error(other, ty, field, "[]string")),
                }
            }
            *target = out;
            Ok(())
        }
        other => Err(type_error(other, ty, field, "[]string")),
    }
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
