#!/usr/bin/env python3
"""crd_to_jsonschema.py CRD.yaml VERSION SOURCE > schema.json

Turns the openAPIV3Schema of one version of a CustomResourceDefinition into a strict JSON
Schema (draft-07) for the objects cfgen renders, the way the API server reads them:
- every object with `properties` and no `additionalProperties` refuses other fields (the API
  server prunes them: a misspelt field would be silently lost), except where the CRD says
  `x-kubernetes-preserve-unknown-fields`;
- `x-kubernetes-int-or-string` accepts an integer or a string; `nullable` accepts null;
- `metadata` is the part of ObjectMeta cfgen writes (name, namespace, labels, annotations);
- `status` is dropped (cfgen never writes it: a status in the output fails) and so are the
  descriptions (the schema checks, it does not document).
SOURCE (e.g. "argoproj/argo-rollouts v1.9.1 manifests/crds/rollout-crd.yaml") goes into
`$comment`. Used for the Argo Rollouts and Argo CD schemas in src/verify/schemas/.
"""
import json
import sys

import yaml

METADATA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "namespace": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        "finalizers": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["name"],
    "additionalProperties": False,
}


def strict(node):
    if isinstance(node, list):
        return [strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
    for key, value in node.items():
        if key in ("description", "x-kubernetes-preserve-unknown-fields", "nullable"):
            continue
        if key == "properties":
            out[key] = {k: strict(v) for k, v in value.items()}
        elif key == "x-kubernetes-int-or-string":
            continue
        else:
            out[key] = strict(value)
    if node.get("x-kubernetes-int-or-string") and "anyOf" not in out:
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if "properties" in out and "additionalProperties" not in out and not preserve:
        out["additionalProperties"] = False
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else out["type"] + ["null"]
    return out


def main() -> int:
    path, version, source = sys.argv[1:4]
    with open(path, encoding="utf-8") as fh:
        crd = yaml.safe_load(fh)
    spec = crd["spec"]
    ver = next(v for v in spec["versions"] if v["name"] == version)
    schema = ver["schema"]["openAPIV3Schema"]
    schema = dict(schema)
    props = dict(schema["properties"])
    props.pop("status", None)
    props["metadata"] = METADATA
    props["apiVersion"] = {"const": f"{spec['group']}/{version}"}
    props["kind"] = {"const": spec["names"]["kind"]}
    schema["properties"] = props
    out = strict(schema)
    out["required"] = sorted(set(out.get("required", [])) | {"apiVersion", "kind", "metadata"})
    out["additionalProperties"] = False
    doc = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$comment": f"openAPIV3Schema of the {spec['group']}/{version} {spec['names']['kind']} CRD, {source} "
        "(Apache-2.0, see the LICENSE file beside this one), made strict by tests/tools/crd_to_jsonschema.py: "
        "unknown fields fail (the API server prunes them), status and descriptions dropped.",
        **out,
    }
    json.dump(doc, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
