#!/usr/bin/env python3
"""crd-to-jsonschema.py CRD.yaml VERSION SOURCE > schema.json

The openAPIV3Schema of one version of a CustomResourceDefinition as a strict JSON Schema
(draft-07), the way src/verify/schemas/ holds the CRD kinds cfgen renders: every object with
`properties` refuses other keys (additionalProperties: false, as the API server prunes them),
apiVersion and kind are the CRD's own, metadata is name/namespace/labels/annotations, and the
Kubernetes extensions (x-kubernetes-*, CEL validations) are dropped (no JSON Schema checker
evaluates them). SOURCE is recorded in $comment.
"""
import json
import sys

import yaml


def strict(node):
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k.startswith("x-kubernetes-"):
                continue
            out[k] = strict(v)
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [strict(v) for v in node]
    return node


def main() -> int:
    path, version, source = sys.argv[1:4]
    with open(path, encoding="utf-8") as fh:
        crd = yaml.safe_load(fh)
    spec = crd["spec"]
    found = [v for v in spec["versions"] if v["name"] == version]
    if not found:
        print(f"{path}: no version {version}", file=sys.stderr)
        return 1
    schema = strict(found[0]["schema"]["openAPIV3Schema"])
    group, kind = spec["group"], spec["names"]["kind"]
    props = schema["properties"]
    props["apiVersion"] = {"const": f"{group}/{version}"}
    props["kind"] = {"const": kind}
    props["metadata"] = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "namespace": {"type": "string"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        "required": ["name"],
        "additionalProperties": False,
    }
    props.pop("status", None)
    schema["required"] = sorted(set(schema.get("required", [])) | {"apiVersion", "kind", "metadata", "spec"})
    out = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$comment": f"openAPIV3Schema of the {group}/{version} {kind} CRD, {source}, made strict by "
        "tests/tools/crd-to-jsonschema.py: every object with properties refuses others "
        "(additionalProperties: false), as the API server prunes them; x-kubernetes-* "
        "extensions (CEL rules) dropped; no status.",
    }
    out.update(schema)
    json.dump(out, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
