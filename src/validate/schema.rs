//! Stage 3.1: the JSON Schema pass. Every schema error is mapped back to the
//! source through the document's path→span index, and phrased as what was
//! expected there.

use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use crate::diagnostics::Diagnostic;
use crate::load::{Document, Node, NodeKind, PathSegment, display_path, parse_pointer};
use crate::messages;
use crate::model::{FileKind, values};

struct Compiled {
    schema: Value,
    validator: jsonschema::Validator,
}

fn compiled(kind: FileKind) -> &'static Compiled {
    static CACHE: OnceLock<Vec<Compiled>> = OnceLock::new();
    let all = CACHE.get_or_init(|| {
        FileKind::ALL
            .iter()
            .map(|k| {
                let schema = k.schema();
                let validator = jsonschema::draft202012::new(&schema)
                    .unwrap_or_else(|e| panic!("schema of {} does not compile: {e}", k.name()));
                Compiled { schema, validator }
            })
            .collect()
    });
    let index = FileKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
    &all[index]
}

/// Checks one document against its schema; every error, in source order.
#[must_use]
pub fn check(kind: FileKind, doc: &Document) -> Vec<Diagnostic> {
    let compiled = compiled(kind);
    let instance = doc.root.to_json();
    if matches!(doc.root.kind, NodeKind::Null) {
        return vec![empty_file(kind, doc)];
    }
    let errors: Vec<_> = compiled.validator.iter_errors(&instance).collect();
    // A typo is one mistake: when an unknown key is close to a missing one,
    // report the unknown key (with "did you mean") and not the missing one.
    let typo_fixes: Vec<(String, String)> = errors
        .iter()
        .filter_map(|error| match error.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                let schema_path = parse_pointer(error.schema_path().as_str());
                let parent = schema_at(
                    &compiled.schema,
                    &schema_path[..schema_path.len().saturating_sub(1)],
                )?;
                let allowed = parent.get("properties")?.as_object()?;
                Some(
                    unexpected
                        .iter()
                        .filter_map(|key| {
                            let fix = crate::diagnostics::closest(
                                key,
                                allowed.keys().map(String::as_str),
                            )?;
                            Some((error.instance_path().as_str().to_owned(), fix))
                        })
                        .collect::<Vec<_>>(),
                )
            }
            _ => None,
        })
        .flatten()
        .collect();
    errors
        .iter()
        .filter(|error| match error.kind() {
            ValidationErrorKind::Required { property } => !typo_fixes.iter().any(|(at, fix)| {
                at == error.instance_path().as_str() && property.as_str() == Some(fix.as_str())
            }),
            _ => true,
        })
        .flat_map(|error| {
            let path = parse_pointer(error.instance_path().as_str());
            let schema_path = parse_pointer(error.schema_path().as_str());
            describe(
                kind,
                doc,
                &compiled.schema,
                &path,
                &schema_path,
                error.kind(),
                &error.to_string(),
            )
        })
        .collect()
}

fn empty_file(kind: FileKind, doc: &Document) -> Diagnostic {
    let expected = match kind.top_key() {
        Some(key) => format!("expected a mapping with the top-level key `{key}`"),
        None => "expected the project manifest: `name`, `app`, `image`, `environments`".into(),
    };
    Diagnostic::error(
        "schema::empty",
        "the file is empty",
        &doc.source,
        doc.root.span,
    )
    .with_label(expected)
}

/// The schema node at a schema path (JSON pointer segments).
fn schema_at<'a>(schema: &'a Value, path: &[PathSegment]) -> Option<&'a Value> {
    path.iter().try_fold(schema, |node, segment| match segment {
        PathSegment::Key(k) => node.get(k),
        PathSegment::Index(i) => node.get(i).or_else(|| node.get(i.to_string())),
    })
}

/// The `$defs` entry a schema path runs through last, if any (a typed value).
fn def_name(schema_path: &[PathSegment]) -> Option<&str> {
    schema_path.windows(2).rev().find_map(|w| match w {
        [PathSegment::Key(defs), PathSegment::Key(name)] if defs == "$defs" => Some(name.as_str()),
        _ => None,
    })
}

fn where_(path: &[PathSegment]) -> String {
    if path.is_empty() {
        "the top level".into()
    } else {
        format!("`{}`", display_path(path))
    }
}

fn show(node: Option<&Node>) -> String {
    match node.map(|n| &n.kind) {
        Some(NodeKind::Str(s)) => format!("`{s}`"),
        Some(NodeKind::Int(i)) => format!("`{i}`"),
        Some(NodeKind::Float(f)) => format!("`{f}`"),
        Some(NodeKind::Bool(b)) => format!("`{b}`"),
        Some(other) => match other {
            NodeKind::Null => "null".into(),
            NodeKind::Seq(_) => "a list".into(),
            _ => "a mapping".into(),
        },
        None => "the value".into(),
    }
}

fn type_word(kind: &str) -> &str {
    match kind {
        "object" => "a mapping",
        "array" => "a list",
        "string" => "a string",
        "integer" => "a whole number",
        "number" => "a number",
        "boolean" => "`true` or `false`",
        "null" => "nothing",
        other => other,
    }
}

#[allow(clippy::too_many_lines)]
fn describe(
    kind: FileKind,
    doc: &Document,
    schema: &Value,
    path: &[PathSegment],
    schema_path: &[PathSegment],
    error: &ValidationErrorKind,
    fallback: &str,
) -> Vec<Diagnostic> {
    let node = doc.root.lookup(path);
    let (value_span, _) = doc.root.locate(path, false);
    let source = &doc.source;
    let keyword_parent = schema_at(schema, &schema_path[..schema_path.len().saturating_sub(1)]);
    match error {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let allowed: Vec<&str> = keyword_parent
                .and_then(|s| s.get("properties"))
                .and_then(Value::as_object)
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            unexpected
                .iter()
                .map(|key| {
                    let mut key_path = path.to_vec();
                    key_path.push(PathSegment::Key(key.clone()));
                    let (span, _) = doc.root.locate(&key_path, true);
                    let elsewhere = path
                        .is_empty()
                        .then(|| FileKind::from_top_key(key))
                        .flatten()
                        .filter(|k| *k != kind);
                    let help = if let Some(other) = elsewhere {
                        Some(format!(
                            "`{key}` is the top-level key of `{}`; this file holds `{}`",
                            other.relative_path(),
                            kind.top_key().unwrap_or_default()
                        ))
                    } else if let Some(s) =
                        crate::diagnostics::closest(key, allowed.iter().copied())
                    {
                        Some(messages::did_you_mean(&s))
                    } else if allowed.is_empty() {
                        None
                    } else {
                        let names: Vec<String> = allowed.iter().map(|s| (*s).to_owned()).collect();
                        Some(format!(
                            "the keys allowed here are {}",
                            messages::one_of(&names)
                        ))
                    };
                    Diagnostic::error(
                        "schema::unknown-key",
                        format!("unknown key `{key}` in {}", where_(path)),
                        source,
                        span,
                    )
                    .with_label("not a known key")
                    .with_help_opt(help)
                })
                .collect()
        }
        ValidationErrorKind::Required { property } => {
            let property = property.as_str().unwrap_or_default();
            let (span, _) = doc.root.locate(path, true);
            let description = keyword_parent
                .and_then(|s| s.pointer(&format!("/properties/{property}/description")))
                .and_then(Value::as_str)
                .or_else(|| {
                    // Through a $ref: resolve it once.
                    let r = keyword_parent?
                        .pointer(&format!("/properties/{property}/$ref"))?
                        .as_str()?;
                    schema
                        .pointer(r.strip_prefix('#')?)?
                        .get("description")?
                        .as_str()
                });
            vec![
                Diagnostic::error(
                    "schema::missing-key",
                    format!("missing key `{property}` in {}", where_(path)),
                    source,
                    span,
                )
                .with_label(format!("`{property}` is required here"))
                .with_help_opt(description.map(|d| format!("`{property}`: {d}"))),
            ]
        }
        ValidationErrorKind::Type { kind: expected } => {
            let expected = match expected {
                jsonschema::error::TypeKind::Single(t) => type_word(&t.to_string()).to_owned(),
                jsonschema::error::TypeKind::Multiple(set) => set
                    .iter()
                    .map(|t| type_word(&t.to_string()).to_owned())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            let found = node.map_or("nothing", Node::type_name);
            let help = match (node.map(|n| &n.kind), expected.as_str()) {
                (Some(NodeKind::Str(s)), "`true` or `false`") => Some(format!(
                    "YAML 1.2 reads `{s}` as a string; write `true` or `false`"
                )),
                (Some(NodeKind::Str(s)), "a whole number" | "a number") => {
                    Some(format!("remove the quotes or units from `{s}`"))
                }
                (Some(NodeKind::Seq(_)), "a mapping") => {
                    Some("write `key: value` pairs instead of `- ` items".into())
                }
                _ => None,
            };
            vec![
                Diagnostic::error(
                    "schema::type",
                    format!("{} must be {expected}, not {found}", where_(path)),
                    source,
                    value_span,
                )
                .with_label(format!("expected {expected}"))
                .with_help_opt(help),
            ]
        }
        ValidationErrorKind::Enum { options } => {
            let options: Vec<String> = options
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|o| o.as_str().map_or_else(|| o.to_string(), str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let wrong = match node.map(|n| &n.kind) {
                Some(NodeKind::Str(s)) => s.clone(),
                _ => String::new(),
            };
            let help = crate::diagnostics::closest(&wrong, options.iter().map(String::as_str))
                .map(|s| messages::did_you_mean(&s));
            vec![
                Diagnostic::error(
                    "schema::enum",
                    format!("{} is not a valid value for {}", show(node), where_(path)),
                    source,
                    value_span,
                )
                .with_label(format!("expected {}", messages::one_of(&options)))
                .with_help_opt(help),
            ]
        }
        ValidationErrorKind::Pattern { .. } => {
            let text = match node.map(|n| &n.kind) {
                Some(NodeKind::Str(s)) => s.clone(),
                _ => String::new(),
            };
            let typed = def_name(schema_path).and_then(|name| values::explain(name, &text));
            let (message, label, help) = match typed {
                Some((reason, expected, examples)) => (
                    if reason.is_empty() {
                        format!("{} is not valid for {}", show(node), where_(path))
                    } else {
                        format!("invalid value for {}: {reason}", where_(path))
                    },
                    format!("expected {expected}"),
                    Some(format!(
                        "for example {}",
                        messages::one_of(
                            &examples.iter().map(|e| (*e).to_owned()).collect::<Vec<_>>()
                        )
                    )),
                ),
                None => {
                    let expected = keyword_parent
                        .and_then(|s| s.get("description"))
                        .and_then(Value::as_str)
                        .map_or_else(
                            || fallback.to_owned(),
                            |d| d.trim_end_matches('.').to_owned(),
                        );
                    (
                        format!("{} is not valid for {}", show(node), where_(path)),
                        format!("expected {}", lowercase_first(&expected)),
                        None,
                    )
                }
            };
            vec![
                Diagnostic::error("schema::format", message, source, value_span)
                    .with_label(label)
                    .with_help_opt(help),
            ]
        }
        ValidationErrorKind::Minimum { limit }
        | ValidationErrorKind::ExclusiveMinimum { limit } => vec![
            Diagnostic::error(
                "schema::range",
                format!("{} is too small for {}", show(node), where_(path)),
                source,
                value_span,
            )
            .with_label(format!("expected at least {limit}")),
        ],
        ValidationErrorKind::Maximum { limit }
        | ValidationErrorKind::ExclusiveMaximum { limit } => vec![
            Diagnostic::error(
                "schema::range",
                format!("{} is too large for {}", show(node), where_(path)),
                source,
                value_span,
            )
            .with_label(format!("expected at most {limit}")),
        ],
        ValidationErrorKind::MinLength { .. } | ValidationErrorKind::MinItems { .. } => vec![
            Diagnostic::error(
                "schema::empty",
                format!("{} must not be empty", where_(path)),
                source,
                value_span,
            )
            .with_label("expected a value here"),
        ],
        ValidationErrorKind::AnyOf { .. } | ValidationErrorKind::OneOfNotValid { .. } => {
            let expected = schema_at(schema, schema_path)
                .or(keyword_parent)
                .and_then(|s| s.get("description"))
                .and_then(Value::as_str)
                .or_else(|| {
                    keyword_parent
                        .and_then(|s| s.get("description"))
                        .and_then(Value::as_str)
                })
                .map_or_else(
                    || "a different value".to_owned(),
                    |d| lowercase_first(d.trim_end_matches('.')),
                );
            vec![
                Diagnostic::error(
                    "schema::value",
                    format!("{} is not valid for {}", show(node), where_(path)),
                    source,
                    value_span,
                )
                .with_label(format!("expected {expected}")),
            ]
        }
        _ => vec![
            Diagnostic::error(
                "schema::value",
                format!("{} is not valid for {}", show(node), where_(path)),
                source,
                value_span,
            )
            .with_label(fallback.to_owned()),
        ],
    }
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first)
            if !s.starts_with("JSON") && !s.chars().nth(1).is_some_and(char::is_uppercase) =>
        {
            first.to_lowercase().collect::<String>() + chars.as_str()
        }
        _ => s.to_owned(),
    }
}
