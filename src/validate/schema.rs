//! Stage 3.1: the JSON Schema pass. Every schema error is mapped back to the
//! source through the document's path→span index, and phrased as what was
//! expected there.

use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use crate::diagnostics::Diagnostic;
use crate::load::{Document, Node, NodeKind, PathSegment, Span, display_path, parse_pointer};
use crate::messages;
use crate::model::{FileKind, values};

struct Compiled {
    schema: Value,
    validator: jsonschema::Validator,
}

fn compiled(kind: FileKind) -> &'static Compiled {
    static CACHE: [OnceLock<Compiled>; FileKind::ALL.len()] =
        [const { OnceLock::new() }; FileKind::ALL.len()];
    let index = FileKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
    CACHE[index].get_or_init(|| compile(kind, kind.schema()))
}

/// The schema of version-1 manifests (read, with a warning to migrate).
fn compiled_manifest_v1() -> &'static Compiled {
    static CACHE: OnceLock<Compiled> = OnceLock::new();
    CACHE.get_or_init(|| compile(FileKind::Manifest, FileKind::Manifest.schema_of_version(1)))
}

fn compile(kind: FileKind, schema: Value) -> Compiled {
    // Our patterns need no look-around or back-references: the `regex`
    // engine compiles them faster than the default `fancy-regex`.
    let validator = jsonschema::draft202012::options()
        .with_pattern_options(jsonschema::PatternOptions::regex())
        .build(&schema)
        .unwrap_or_else(|e| panic!("schema of {} does not compile: {e}", kind.name()));
    Compiled { schema, validator }
}

/// What the schema pass says of an empty document (a warning for a policy
/// file, an error for the manifest) before it needs the schema: the typed-first
/// pass, which skips the schemas, reports it too.
#[must_use]
pub fn empty(kind: FileKind, doc: &Document) -> Option<Diagnostic> {
    matches!(doc.root.kind, NodeKind::Null).then(|| empty_file(kind, doc))
}

/// Checks one document against its schema; every error, in source order.
/// The schema compiles on first use: only to explain a document the typed
/// pass refuses or cannot decide ([`super::typed::first`]).
#[must_use]
pub fn check(kind: FileKind, doc: &Document) -> Vec<Diagnostic> {
    if let Some(d) = empty(kind, doc) {
        return vec![d];
    }
    let compiled = match kind {
        FileKind::Manifest => match crate::model::manifest::version_of(&doc.root) {
            Ok(1) => compiled_manifest_v1(),
            Ok(_) => compiled(kind),
            Err((span, shown)) => {
                return vec![
                    Diagnostic::error(
                        "schema::manifest-version",
                        messages::unknown_manifest_version(&shown),
                        &doc.source,
                        span,
                    )
                    .with_label("unknown version")
                    .with_help(messages::unknown_manifest_version_help()),
                ];
            }
        },
        _ => compiled(kind),
    };
    let instance = doc.root.to_json();
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
    // A top-level key of another file (`kubernetes_config` in docker.yaml) is
    // one mistake too: the unknown key says where it belongs; the missing
    // top-level key of this file would only repeat it.
    let foreign_top_key = errors.iter().any(|error| match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            error.instance_path().as_str().is_empty()
                && unexpected
                    .iter()
                    .any(|key| FileKind::from_top_key(key).is_some_and(|k| k != kind))
        }
        _ => false,
    });
    errors
        .iter()
        .filter(|error| match error.kind() {
            ValidationErrorKind::Required { property } => {
                let at = error.instance_path().as_str();
                let repeats_foreign_key = foreign_top_key && at.is_empty();
                let repeats_typo = typo_fixes
                    .iter()
                    .any(|(path, fix)| path == at && property.as_str() == Some(fix.as_str()));
                !repeats_foreign_key && !repeats_typo
            }
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
            )
        })
        .collect()
}

fn empty_file(kind: FileKind, doc: &Document) -> Diagnostic {
    let expected = match kind.top_key() {
        Some(key) => format!("expected a mapping with the top-level key `{key}`"),
        None => {
            "expected the project manifest: `version`, `name`, `image`, `processes`, `environments`"
                .into()
        }
    };
    let (message, help) = match kind.top_key() {
        // A policy file is optional: empty, it means the defaults (said, in case
        // its settings were lost).
        Some(key) => {
            let message = if doc.source.text().trim().is_empty() {
                "the file is empty: cfgen's defaults apply"
            } else {
                "the file holds no settings, only comments: cfgen's defaults apply"
            };
            return Diagnostic::warning("schema::empty", message, &doc.source, doc.root.span)
                .with_label(expected)
                .with_help(format!(
                    "write this file's settings under the top-level key `{key}:`, as in `schema/{}`, or delete the file to use the defaults without this warning",
                    kind.schema_file()
                ));
        }
        None => (
            if doc.source.text().trim().is_empty() {
                "the manifest is empty"
            } else {
                "the manifest holds no settings, only comments"
            },
            "give at least `version: 2`, `name`, `image`, `processes` and `environments` (see the README's manifest reference)".to_owned(),
        ),
    };
    Diagnostic::error("schema::empty", message, &doc.source, doc.root.span)
        .with_label(expected)
        .with_help(help)
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

/// `in `a.b`` or `at the top level`.
fn in_(path: &[PathSegment]) -> String {
    if path.is_empty() {
        "at the top level".into()
    } else {
        format!("in `{}`", display_path(path))
    }
}

/// A key refused by `patternProperties` (an environment named `Staging`):
/// explain the name rule instead of calling the key unknown.
fn bad_key_name(
    doc: &Document,
    key_path: &[PathSegment],
    parent: Option<&Value>,
) -> Option<Diagnostic> {
    let patterns = parent?.get("patternProperties")?.as_object()?;
    let Some(PathSegment::Key(key)) = key_path.last() else {
        return None;
    };
    let (span, _) = doc.root.locate(key_path, true);
    let parent_path = &key_path[..key_path.len() - 1];
    let dns = patterns
        .keys()
        .any(|p| p == <values::DnsLabel as values::StringValue>::PATTERN);
    let (reason, label, help) = if dns {
        let (reason, _, examples) = values::explain("DnsLabel", key)?;
        (
            reason,
            "expected a DNS label".to_owned(),
            format!(
                "names here are DNS labels: lowercase letters, digits and `-`; for example {}",
                messages::one_of(&examples.iter().map(|e| (*e).to_owned()).collect::<Vec<_>>())
            ),
        )
    } else {
        let names: Vec<String> = patterns.keys().cloned().collect();
        (
            String::new(),
            format!("expected a name matching {}", messages::one_of(&names)),
            String::new(),
        )
    };
    let message = if reason.is_empty() {
        format!("`{key}` is not a valid name {}", in_(parent_path))
    } else {
        format!("`{key}` is not a valid name {}: {reason}", in_(parent_path))
    };
    Some(
        Diagnostic::error("schema::key-name", message, &doc.source, span)
            .with_label(label)
            .with_help_opt((!help.is_empty()).then_some(help)),
    )
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
            // Thousands of unknown keys in one mapping: find their spans
            // through one index, not one scan of the mapping per key.
            let key_spans: std::collections::HashMap<&str, Span> = match node.map(|n| &n.kind) {
                Some(NodeKind::Map(entries)) if unexpected.len() > 16 => {
                    let mut index = std::collections::HashMap::new();
                    for e in entries {
                        index.entry(e.key.as_str()).or_insert(e.key_span);
                    }
                    index
                }
                _ => std::collections::HashMap::new(),
            };
            unexpected
                .iter()
                .map(|key| {
                    let mut key_path = path.to_vec();
                    key_path.push(PathSegment::Key(key.clone()));
                    let span = key_spans
                        .get(key.as_str())
                        .copied()
                        .unwrap_or_else(|| doc.root.locate(&key_path, true).0);
                    let elsewhere = path
                        .is_empty()
                        .then(|| FileKind::from_top_key(key))
                        .flatten()
                        .filter(|k| *k != kind);
                    if let Some(d) = bad_key_name(doc, &key_path, keyword_parent) {
                        return d;
                    }
                    let help = if let Some(other) = elsewhere {
                        Some(format!(
                            "`{key}` is the top-level key of `{}`; this file holds `{}`: move these settings there, or rename the key to `{}`",
                            other.relative_path(),
                            kind.top_key().unwrap_or_default(),
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
                    let message = match elsewhere {
                        Some(other) => format!(
                            "`{key}` belongs in `{}`, not in this file",
                            other.relative_path()
                        ),
                        None => format!("unknown key `{key}` {}", in_(path)),
                    };
                    Diagnostic::error("schema::unknown-key", message, source, span)
                        .with_label(if elsewhere.is_some() {
                            format!("expected `{}`", kind.top_key().unwrap_or_default())
                        } else {
                            "not a known key".into()
                        })
                    .with_help_opt(help)
                })
                .collect()
        }
        ValidationErrorKind::Required { property } => {
            let property = property.as_str().unwrap_or_default();
            let span = required_span(doc, path);
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
                    format!("missing key `{property}` {}", in_(path)),
                    source,
                    span,
                )
                .with_label(if path.is_empty() {
                    format!("expected the top-level key `{property}`")
                } else {
                    format!("`{property}` is required here")
                })
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
                    Some(if s.trim().parse::<f64>().is_ok() {
                        format!("remove the quotes around `{s}`")
                    } else if s.starts_with(|c: char| c.is_ascii_digit()) {
                        format!("write the number alone, without quotes or units: `{s}` is text")
                    } else {
                        format!("write the number in digits, without quotes: `{s}` is text")
                    })
                }
                (Some(NodeKind::Int(i)), "a string") => Some(format!("quote the value: `\"{i}\"`")),
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
                .map(|a| a.iter().map(option_text).collect())
                .unwrap_or_default();
            vec![enum_diagnostic(source, value_span, node, path, &options)]
        }
        ValidationErrorKind::Pattern { .. } => {
            let typed = def_name(schema_path).and_then(|name| typed_diagnostic(name, doc, path));
            vec![typed.unwrap_or_else(|| {
                let expected = keyword_parent
                    .and_then(|s| s.get("description"))
                    .and_then(Value::as_str)
                    .map_or_else(
                        || "a value of another form".to_owned(),
                        |d| lowercase_first(d.trim_end_matches('.')),
                    );
                Diagnostic::error(
                    "schema::format",
                    format!("{} is not valid for {}", show(node), where_(path)),
                    source,
                    value_span,
                )
                .with_label(format!("expected {expected}"))
            })]
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
            let branches: Vec<&Value> = schema_at(schema, schema_path)
                .and_then(Value::as_array)
                .map(|a| a.iter().collect())
                .unwrap_or_default();
            // An enum whose variants carry docs: a `oneOf` of `const`s.
            let consts: Vec<String> = branches
                .iter()
                .filter_map(|b| b.get("const").map(option_text))
                .collect();
            if !consts.is_empty() && consts.len() == branches.len() {
                return vec![enum_diagnostic(source, value_span, node, path, &consts)];
            }
            // An optional typed value: `anyOf: [{$ref: Typed}, {type: null}]`.
            let typed = branches
                .iter()
                .filter_map(|b| b.get("$ref")?.as_str()?.strip_prefix("#/$defs/"))
                .find_map(|name| typed_diagnostic(name, doc, path));
            if let Some(d) = typed {
                return vec![d];
            }
            let expected = keyword_parent
                .and_then(|s| s.get("description"))
                .and_then(Value::as_str)
                .map_or_else(
                    || "a value of another form".to_owned(),
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
        _ => {
            let expected = keyword_parent
                .and_then(|s| s.get("description"))
                .and_then(Value::as_str)
                .map(|d| format!("expected {}", lowercase_first(d.trim_end_matches('.'))));
            vec![
                Diagnostic::error(
                    "schema::value",
                    format!("{} is not valid for {}", show(node), where_(path)),
                    source,
                    value_span,
                )
                .with_label(expected.unwrap_or_else(|| "not allowed here".into())),
            ]
        }
    }
}

/// Where a missing key should go: the parent's key, or for the top level and
/// list items the first key of the mapping (not the whole mapping).
fn required_span(doc: &Document, path: &[PathSegment]) -> Span {
    let (span, _) = doc.root.locate(path, true);
    if matches!(path.last(), Some(PathSegment::Key(_))) {
        return span;
    }
    match doc.root.lookup(path).map(|n| &n.kind) {
        Some(NodeKind::Map(entries)) if !entries.is_empty() => entries[0].key_span,
        _ => Span::new(span.start, span.start),
    }
}

fn option_text(option: &Value) -> String {
    option
        .as_str()
        .map_or_else(|| option.to_string(), str::to_owned)
}

/// A value outside a closed set: list the set, and suggest the closest member.
fn enum_diagnostic(
    source: &crate::load::Source,
    span: Span,
    node: Option<&Node>,
    path: &[PathSegment],
    options: &[String],
) -> Diagnostic {
    let wrong = match node.map(|n| &n.kind) {
        Some(NodeKind::Str(s)) => s.clone(),
        _ => String::new(),
    };
    let help = crate::diagnostics::closest(&wrong, options.iter().map(String::as_str))
        .map(|s| messages::did_you_mean(&s));
    Diagnostic::error(
        "schema::enum",
        format!("{} is not a valid value for {}", show(node), where_(path)),
        source,
        span,
    )
    .with_label(format!("expected {}", messages::one_of(options)))
    .with_help_opt(help)
}

/// A typed value (`$defs/<name>`) that does not parse: the parser says why.
fn typed_diagnostic(name: &str, doc: &Document, path: &[PathSegment]) -> Option<Diagnostic> {
    let node = doc.root.lookup(path);
    let text = match node.map(|n| &n.kind) {
        Some(NodeKind::Str(s)) => s.clone(),
        _ => return None,
    };
    let (reason, expected, examples) = values::explain(name, &text)?;
    let (span, _) = doc.root.locate(path, false);
    let message = if reason.is_empty() {
        format!("{} is not valid for {}", show(node), where_(path))
    } else {
        format!("invalid value for {}: {reason}", where_(path))
    };
    let examples = messages::one_of(&examples.iter().map(|e| (*e).to_owned()).collect::<Vec<_>>());
    // `a DNS label: lowercase letters…` → label `expected a DNS label`, the rest as help.
    let (label, help) = match expected.split_once(": ") {
        Some((what, how)) if how.contains("such as") => {
            (format!("expected {what}"), format!("{what} is {how}"))
        }
        Some((what, how)) => (
            format!("expected {what}"),
            format!("{what} is {how}; for example {examples}"),
        ),
        None => (
            format!("expected {expected}"),
            format!("for example {examples}"),
        ),
    };
    Some(
        Diagnostic::error("schema::format", message, &doc.source, span)
            .with_label(label)
            .with_help(help),
    )
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
