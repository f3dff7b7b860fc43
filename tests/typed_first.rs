//! The typed-first pass against the JSON Schemas (issue 15): on every config
//! document of the fixtures, the examples and `app/`, and on seeded mutations
//! of each (numbers out of range, empty and pattern-breaking strings, unknown
//! keys, wrong types, removed keys, `null`s, enum values as mappings, and
//! every mapping turned into a list of its values and every list into a
//! mapping), and on documents generated from them with every untagged enum in
//! its mapping form, the typed pass never accepts a document its schema
//! refuses. That is what lets
//! `check_project` skip the schemas when the typed pass accepts.
//!
//! The other way round is allowed and counted: the typed values' parsers are
//! stricter than a regex can say (`replicas: 3.0`, a size too large for 64
//! bits), and such a document goes to the schemas, which accept it, and then
//! to the typed pass's own error, exactly as before.

use std::path::{Path, PathBuf};

use cfgen::load::{self, Document, Entry, Node, NodeKind, PathSegment};
use cfgen::model::FileKind;
use cfgen::validate::{schema, typed};

use crate::common::repo;

/// Mutations of each document.
const MUTATIONS: usize = 40;

/// The kind of a config file by its path, if it is one.
fn kind_of(path: &Path) -> Option<FileKind> {
    let name = path.file_name()?.to_str()?;
    if name == "cfgen.yaml" {
        return Some(FileKind::Manifest);
    }
    let stem = name.strip_suffix(".yaml")?;
    // A project's `config/…`, a policy folder's `deployment/…` and `environments/…`.
    let in_config = path.components().any(|c| {
        ["config", "deployment", "environments"]
            .iter()
            .any(|d| c.as_os_str() == *d)
    });
    FileKind::ALL
        .into_iter()
        .find(|k| *k != FileKind::Manifest && k.name() == stem)
        .filter(|_| in_config)
}

/// Every config document of the fixtures, the examples and `app/` that loads cleanly.
fn documents() -> Vec<(PathBuf, FileKind, Document)> {
    let mut out = Vec::new();
    for top in ["tests/fixtures", "examples", "app"] {
        let walker = walkdir::WalkDir::new(repo().join(top))
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                let name = e.file_name().to_string_lossy();
                !matches!(
                    name.as_ref(),
                    "deploy" | "target" | "node_modules" | ".github"
                )
            });
        for entry in walker.filter_map(Result::ok) {
            let path = entry.path();
            let Some(kind) = kind_of(path).filter(|_| entry.file_type().is_file()) else {
                continue;
            };
            let Ok(bytes) = std::fs::read(path) else {
                continue;
            };
            if let Ok((doc, errors)) = load::load_bytes(path, bytes)
                && errors.is_empty()
            {
                out.push((path.to_path_buf(), kind, doc));
            }
        }
    }
    out
}

/// A small seeded generator (xorshift64*), so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The path of every node below `node`, the node's own first.
fn paths(node: &Node, at: &mut Vec<PathSegment>, out: &mut Vec<Vec<PathSegment>>) {
    out.push(at.clone());
    match &node.kind {
        NodeKind::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                at.push(PathSegment::Index(i));
                paths(item, at, out);
                at.pop();
            }
        }
        NodeKind::Map(entries) => {
            for e in entries {
                at.push(PathSegment::Key(e.key.clone()));
                paths(&e.value, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn at_mut<'a>(node: &'a mut Node, path: &[PathSegment]) -> Option<&'a mut Node> {
    let Some((first, rest)) = path.split_first() else {
        return Some(node);
    };
    let child = match (&mut node.kind, first) {
        (NodeKind::Seq(items), PathSegment::Index(i)) => items.get_mut(*i)?,
        (NodeKind::Map(entries), PathSegment::Key(k)) => {
            &mut entries.iter_mut().find(|e| &e.key == k)?.value
        }
        _ => return None,
    };
    at_mut(child, rest)
}

const INTS: &[i64] = &[
    -1,
    0,
    1,
    2,
    9,
    10,
    11,
    99,
    100,
    101,
    255,
    256,
    257,
    1023,
    1024,
    65535,
    65536,
    4_294_967_295,
    4_294_967_296,
    i64::MAX,
];

const FLOATS: &[f64] = &[0.5, 1.0, 3.0, -0.0, 100.5, f64::INFINITY, f64::NAN];

const STRINGS: &[&str] = &[
    "",
    " ",
    "x",
    "X",
    "Bad Name",
    "-x",
    "x-",
    "/",
    "/x",
    "/x/",
    "x/y",
    "/srv/data",
    "025%",
    "+5%",
    "25%",
    "101%",
    "100%",
    "1.5",
    "10M",
    "10Q",
    "250m",
    "1Gi",
    "5s",
    "0 3 * * *",
    "Etc/UTC",
    "https://a b",
    "https://a\u{feff}b",
    "https://ok.example",
    "ab",
    "my-bucket",
    "a..b",
    "true",
    "16",
    "forbid",
    "Forbid",
    "/health",
    "health",
    "é",
];

/// A value of another shape, size or content than `node`'s.
fn mutant(rng: &mut Rng, node: &Node) -> NodeKind {
    let text = match &node.kind {
        NodeKind::Str(s) => s.clone(),
        NodeKind::Int(i) => i.to_string(),
        _ => "x".to_owned(),
    };
    let leaf = |kind| Node {
        kind,
        span: node.span,
    };
    match rng.below(12) {
        0 | 1 => NodeKind::Int(*rng.pick(INTS)),
        2 => NodeKind::Float(*rng.pick(FLOATS)),
        3 | 4 => NodeKind::Str((*rng.pick(STRINGS)).to_owned()),
        5 => NodeKind::Str(match rng.below(6) {
            0 => format!("{text}x"),
            1 => text.to_uppercase(),
            2 => text.chars().skip(1).collect(),
            3 => format!("{text}/"),
            4 => format!("{text} "),
            _ => text.repeat(40),
        }),
        6 => NodeKind::Bool(rng.below(2) == 0),
        7 => NodeKind::Null,
        8 => NodeKind::Seq(match rng.below(3) {
            0 => vec![],
            1 => vec![node.clone()],
            _ => vec![leaf(NodeKind::Str(String::new()))],
        }),
        9 => NodeKind::Map(vec![]),
        // An enum value in serde's `{Variant: value}` form.
        10 => NodeKind::Map(vec![Entry {
            key: text,
            key_span: node.span,
            value: leaf(if rng.below(2) == 0 {
                NodeKind::Null
            } else {
                NodeKind::Map(vec![])
            }),
        }]),
        _ => NodeKind::Int(i64::try_from(rng.below(5)).unwrap_or(0)),
    }
}

/// Changes one node of `root`: its value, or, for a collection, its entries.
fn mutate(rng: &mut Rng, root: &mut Node) {
    let mut all = Vec::new();
    paths(root, &mut Vec::new(), &mut all);
    let path = rng.pick(&all).clone();
    let Some(node) = at_mut(root, &path) else {
        return;
    };
    match &mut node.kind {
        NodeKind::Map(entries) if !entries.is_empty() && rng.below(2) == 0 => {
            let i = rng.below(entries.len());
            match rng.below(4) {
                // A removed key (required or not).
                0 => {
                    entries.remove(i);
                }
                // An unknown key, a typo of a known one, another file's top key.
                1 => {
                    let typo: String = entries[i].key.chars().skip(1).collect();
                    let key = rng
                        .pick(&["bogus", "docker_config", typo.as_str()])
                        .to_string();
                    let mut extra = entries[i].clone();
                    extra.key = key;
                    entries.push(extra);
                }
                // A renamed key (map keys are DNS labels, env names…).
                2 => {
                    let key = &entries[i].key;
                    let renamed = rng
                        .pick(&[
                            format!("{key}-"),
                            key.to_uppercase(),
                            "a".repeat(64),
                            "Bad_Key".to_owned(),
                            String::new(),
                        ])
                        .clone();
                    if entries.iter().all(|e| e.key != renamed) {
                        entries[i].key = renamed;
                    }
                }
                _ => entries.truncate(0),
            }
        }
        NodeKind::Seq(items) if !items.is_empty() && rng.below(2) == 0 => {
            let i = rng.below(items.len());
            if rng.below(2) == 0 {
                items.remove(i);
            } else {
                let copy = items[i].clone();
                items.push(copy);
            }
        }
        _ => {
            let kind = mutant(rng, node);
            node.kind = kind;
        }
    }
}

fn schema_accepts(kind: FileKind, doc: &Document) -> bool {
    schema::check(kind, doc).iter().all(|d| !d.is_error())
}

#[test]
fn the_typed_pass_accepts_nothing_the_schema_refuses() {
    let (documents, written) = with_generated(documents());
    assert!(written > 120, "{written} documents");
    let mut rng = Rng(0x5eed_cf9e_0015_0002);
    // [typed accepts][schema accepts]
    let mut counts = [[0usize; 2]; 2];
    let mut unsound = Vec::new();
    let mut stricter = Vec::new();
    let mut checked = |path: &Path, kind: FileKind, doc: &Document, what: &str| {
        let t = typed::accepts(kind, doc);
        let s = schema_accepts(kind, doc);
        counts[usize::from(t)][usize::from(s)] += 1;
        let shown = || {
            format!(
                "{} ({what}): {}",
                path.strip_prefix(repo()).unwrap_or(path).display(),
                doc.root.to_json()
            )
        };
        if t && !s {
            unsound.push(shown());
        } else if s && !t && stricter.len() < 5 {
            stricter.push(shown());
        }
    };
    for (path, kind, doc) in &documents {
        checked(path, *kind, doc, "as written");
        for m in 0..MUTATIONS {
            let mut mutated = doc.clone();
            for _ in 0..=rng.below(3) {
                mutate(&mut rng, &mut mutated.root);
            }
            checked(path, *kind, &mutated, &format!("mutation {m}"));
        }
    }
    let [[neither, schema_only], [typed_only, both]] = counts;
    eprintln!(
        "{written} documents and {} generated ones, {} mutations: both accept {both}, \
         both refuse {neither}, only the schema accepts {schema_only}, \
         only the typed pass accepts {typed_only}",
        documents.len() - written,
        documents.len() * MUTATIONS
    );
    for s in &stricter {
        eprintln!("only the schema accepts: {s}");
    }
    assert!(
        unsound.is_empty(),
        "the typed pass accepts {} documents the schema refuses:\n{}",
        unsound.len(),
        unsound[..unsound.len().min(20)].join("\n")
    );
    // Not vacuous: many documents of each verdict.
    assert!(both > 300 && neither > 1000, "{counts:?}");
}

/// The point of it all: the valid projects (the examples, `app/`) take the
/// typed-first path, so no config schema compiles for them.
#[test]
fn the_examples_and_app_are_decided_by_the_typed_pass() {
    let valid: Vec<_> = documents()
        .into_iter()
        .filter(|(path, ..)| {
            // Overlays are partial: they are decided merged into their base.
            !path.starts_with(repo().join("tests"))
                && !path.components().any(|c| c.as_os_str() == "environments")
        })
        .collect();
    assert!(valid.len() > 25, "{} documents", valid.len());
    for (path, kind, doc) in valid {
        assert!(typed::accepts(kind, &doc), "{}", path.display());
    }
}

/// A constraint written as a schemars attribute would be in the schema only,
/// and the typed pass would accept what it refuses: constraints live in the
/// field's type (`cfgen::model::constraint`).
#[test]
fn no_constraint_is_written_as_a_schemars_attribute() {
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(repo().join("src/model")) {
        let entry = entry.expect("readable");
        if entry.path().extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(entry.path()).expect("utf-8");
            for (n, line) in text.lines().enumerate() {
                let line = line.trim_start();
                // schemars reads validator's and garde's attributes too.
                let attr = ["#[schemars(", "#[validate(", "#[garde("]
                    .iter()
                    .any(|a| line.starts_with(a))
                    && [
                        "range(",
                        "length(",
                        "regex(",
                        "pattern(",
                        "contains(",
                        "inner(",
                    ]
                    .iter()
                    .any(|k| line.contains(k));
                if attr {
                    found.push(format!("{}:{}: {line}", entry.path().display(), n + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// The shape an untagged enum buffers away: every mapping of every document
/// turned into the sequence of its values (`autoscale: {max: 3}` into
/// `autoscale: [3]`), and every sequence into a mapping of its items (keyed by
/// the item when it is a string, `item-N` otherwise). serde's derived structs
/// take a sequence of their fields, and through an untagged enum's buffer the
/// node deserializer never sees it.
#[test]
fn the_typed_pass_refuses_what_the_schema_refuses_when_shapes_swap() {
    let (documents, written) = with_generated(documents());
    // [typed accepts][schema accepts]
    let mut counts = [[0usize; 2]; 2];
    let mut unsound = Vec::new();
    for (path, kind, doc) in &documents {
        let mut all = Vec::new();
        paths(&doc.root, &mut Vec::new(), &mut all);
        for at in &all {
            let mut mutated = doc.clone();
            let Some(node) = at_mut(&mut mutated.root, at) else {
                continue;
            };
            node.kind = match &node.kind {
                NodeKind::Map(entries) => {
                    NodeKind::Seq(entries.iter().map(|e| e.value.clone()).collect())
                }
                NodeKind::Seq(items) => NodeKind::Map(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| Entry {
                            key: match &item.kind {
                                NodeKind::Str(s) => s.clone(),
                                _ => format!("item-{i}"),
                            },
                            key_span: item.span,
                            value: item.clone(),
                        })
                        .collect(),
                ),
                _ => continue,
            };
            let t = typed::accepts(*kind, &mutated);
            let s = schema_accepts(*kind, &mutated);
            counts[usize::from(t)][usize::from(s)] += 1;
            if t && !s {
                unsound.push(format!(
                    "{} at /{}: {}",
                    path.strip_prefix(repo()).unwrap_or(path).display(),
                    at.iter()
                        .map(|s| match s {
                            PathSegment::Key(k) => k.clone(),
                            PathSegment::Index(i) => i.to_string(),
                        })
                        .collect::<Vec<_>>()
                        .join("/"),
                    mutated.root.to_json()
                ));
            }
        }
    }
    let [[neither, schema_only], [typed_only, both]] = counts;
    eprintln!(
        "shape swaps of {written} documents and {} generated ones: both accept {both}, \
         both refuse {neither}, only the schema accepts {schema_only}, \
         only the typed pass accepts {typed_only}",
        documents.len() - written
    );
    assert!(
        unsound.is_empty(),
        "the typed pass accepts {} documents the schema refuses:\n{}",
        unsound.len(),
        unsound[..unsound.len().min(20)].join("\n")
    );
    assert!(neither > 500, "{counts:?}");
}

/// `documents` and, generated from them, each document with every untagged
/// enum in its mapping form (the corpus has few); how many were written.
fn with_generated(
    mut documents: Vec<(PathBuf, FileKind, Document)>,
) -> (Vec<(PathBuf, FileKind, Document)>, usize) {
    let written = documents.len();
    let generated: Vec<_> = documents
        .iter()
        .filter_map(|(path, kind, doc)| {
            let mut doc = doc.clone();
            (in_mapping_form(&mut doc.root) > 0).then(|| (path.clone(), *kind, doc))
        })
        .collect();
    for (key, _) in MAPPING_FORMS {
        assert!(
            generated.iter().any(|(.., doc)| doc
                .root
                .to_json()
                .to_string()
                .contains(&format!("\"{key}\":{{"))),
            "no document has `{key}`"
        );
    }
    documents.extend(generated);
    (documents, written)
}

/// Every untagged enum of the model that has a mapping variant, by the key it
/// is written under, with a mapping the schema accepts for it.
const MAPPING_FORMS: &[(&str, &[(&str, i64)])] = &[
    ("autoscale", &[("max", 3)]),
    (
        "rate_limiting",
        &[("requests_per_second", 10), ("burst", 20)],
    ),
];

/// Puts every value under a key of [`MAPPING_FORMS`] in its mapping form;
/// how many it changed.
fn in_mapping_form(node: &mut Node) -> usize {
    match &mut node.kind {
        NodeKind::Seq(items) => items.iter_mut().map(in_mapping_form).sum(),
        NodeKind::Map(entries) => entries
            .iter_mut()
            .map(|e| match MAPPING_FORMS.iter().find(|(k, _)| *k == e.key) {
                Some((_, fields)) => {
                    let span = e.value.span;
                    e.value.kind = NodeKind::Map(
                        fields
                            .iter()
                            .map(|(key, n)| Entry {
                                key: (*key).to_owned(),
                                key_span: span,
                                value: Node {
                                    kind: NodeKind::Int(*n),
                                    span,
                                },
                            })
                            .collect(),
                    );
                    1
                }
                None => in_mapping_form(&mut e.value),
            })
            .sum(),
        _ => 0,
    }
}

/// [`MAPPING_FORMS`] lists every untagged enum with a mapping variant: the
/// model's untagged enums are those two and two of scalars only.
#[test]
fn every_untagged_enum_with_a_mapping_variant_is_generated() {
    let mut untagged = Vec::new();
    for entry in walkdir::WalkDir::new(repo().join("src/model")).sort_by_file_name() {
        let entry = entry.expect("readable");
        if entry.path().extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(entry.path()).expect("utf-8");
            let lines: Vec<&str> = text.lines().collect();
            for (n, line) in lines.iter().enumerate() {
                if line.trim() == "#[serde(untagged)]" {
                    let name = lines[n + 1..]
                        .iter()
                        .find_map(|l| l.trim().split_once("enum ").map(|(_, r)| r))
                        .and_then(|r| r.split([' ', '{']).next())
                        .unwrap_or_default();
                    untagged.push(name.to_owned());
                }
            }
        }
    }
    untagged.sort();
    // EnvValue: a string, a number or a boolean; Raw: IntOrPercent's number or text.
    assert_eq!(untagged, ["Autoscale", "EnvValue", "RateLimiting", "Raw"]);
}
