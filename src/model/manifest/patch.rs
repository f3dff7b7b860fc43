//! `patches:` in cfgen.yaml (the project's, and each environment's): typed
//! changes to generated objects, the escape hatch below templates. What they
//! do is in [`crate::patch`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::provenance::Tracked;

/// A change to one generated object, applied after cfgen renders it and validated against the object's type afterwards: a Kubernetes object by `kind` and `name`, or a compose service by `service`. Give exactly one of `merge` and `strategic`. A patch cannot change what cfgen owns: an object's `apiVersion`, `kind`, `metadata.name`, `metadata.namespace` and the labels cfgen sets.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    /// The object to change.
    pub target: PatchTarget,
    /// An RFC 7386 JSON merge patch: maps merge key by key, `null` removes a key, any other value (lists included) replaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge: Option<Tracked<serde_json::Map<String, serde_json::Value>>>,
    /// A strategic-merge-like patch: a JSON merge patch in which the lists of named items (`containers`, `initContainers`, `env`, `ports`, `volumes`, `volumeMounts`) merge item by item on `name` (new names are appended); other lists replace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategic: Option<Tracked<serde_json::Map<String, serde_json::Value>>>,
}

/// Which generated object a patch changes.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchTarget {
    /// A Kubernetes object's `kind`, e.g. `Deployment`; with `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Tracked<String>>,
    /// A Kubernetes object's `metadata.name` as generated, e.g. `node-api-web`; with `kind`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Tracked<String>>,
    /// A compose service by its key in `docker-compose.yml`, e.g. `web` (project patches only: compose is not per environment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<Tracked<String>>,
}
