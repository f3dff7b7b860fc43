//! The JSON Schemas of environment overlays (`config/environments/<env>/<file>.yaml`):
//! the file's own schema with every property optional and `~` (null) allowed
//! for each, since an overlay is a partial copy in which `key: ~` removes a key.

use serde_json::{Map, Value, json};

use super::FileKind;

impl FileKind {
    /// The overlay schema's file name under `schema/`, e.g. `docker.overlay.schema.json`.
    #[must_use]
    pub fn overlay_schema_file(self) -> String {
        format!("{}.overlay.schema.json", self.name())
    }

    /// The schema of an overlay of this file (none for the manifest, which has no overlays).
    #[must_use]
    pub fn overlay_schema(self) -> Option<Value> {
        if self == Self::Manifest {
            return None;
        }
        let mut schema = self.schema();
        relax(&mut schema);
        if let Some(object) = schema.as_object_mut() {
            let url =
                super::schema_url(self).replace(&self.schema_file(), &self.overlay_schema_file());
            object.insert("$id".into(), url.into());
            let title = format!(
                "An environment's overlay of {}: any part of it, deep-merged over the base file; `key: ~` removes a key",
                self.relative_path()
            );
            object.insert("title".into(), title.into());
        }
        Some(schema)
    }
}

/// No property required; each may also be `null`.
fn relax(value: &mut Value) {
    match value {
        Value::Object(object) => {
            object.remove("required");
            for (key, child) in object.iter_mut() {
                if key == "properties"
                    && let Value::Object(properties) = child
                {
                    for property in properties.values_mut() {
                        relax(property);
                        *property = nullable(std::mem::take(property));
                    }
                } else {
                    relax(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(relax),
        _ => {}
    }
}

/// `schema` or `null`, keeping its description on the outside for hover text.
fn nullable(schema: Value) -> Value {
    let mut outer = Map::new();
    for key in ["description", "markdownDescription"] {
        if let Some(text) = schema.get(key) {
            outer.insert(key.into(), text.clone());
        }
    }
    outer.insert(
        "anyOf".into(),
        json!([schema, { "type": "null", "description": "`~`: removes the key from the base (its default applies)" }]),
    );
    Value::Object(outer)
}
