#!/usr/bin/env python3
"""Structural check of generated log-collector configurations against the keys of the pinned
collector versions' documentation (vendored beside this file; see README.md). The collectors
themselves do not install from this project's registries, so they are not run.

Usage: check.py FILE...   (a fluent-bit classic config `*fluent-bit.conf`, a fluentd config
`*fluent.conf`, or a Kubernetes ConfigMap YAML whose data holds either). Prints one line per
finding (FILE:LINE: message) and exits 1 when there is any.
"""
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIT = json.loads((HERE / "fluent-bit-3.2-keys.json").read_text())["keys"]
FD = json.loads((HERE / "fluentd-1.x-params.json").read_text())

# plugin name -> its key tables (fluent-bit: `Name`; case-insensitive keys)
BIT_PLUGINS = {
    ("INPUT", "tail"): ["common", "tail"],
    ("FILTER", "kubernetes"): ["common", "kubernetes", "tls"],
    ("FILTER", "parser"): ["common", "parser"],
    ("OUTPUT", "es"): ["common", "es", "tls", "retries"],
}

# fluentd @type -> parameter tables
FD_PLUGINS = {
    ("source", "tail"): ["common", "tail"],
    ("source", "monitor_agent"): ["common", "monitor_agent"],
    ("filter", "kubernetes_metadata"): ["common", "kubernetes_metadata"],
    ("filter", "parser"): ["common", "parser"],
    ("match", "elasticsearch"): ["common", "elasticsearch"],
    ("match", "elasticsearch_data_stream"): ["common", "elasticsearch"],
    ("parse", None): ["parse"],
    ("buffer", "file"): ["buffer", "buffer_file"],
    ("buffer", None): ["buffer"],
}


def check_fluent_bit(name, lines, first=1):
    bad = []
    section, plugin, keys, start = None, None, {}, 0

    def close():
        if section is None:
            return
        if section == "SERVICE":
            allowed = {k.lower() for k in BIT["SERVICE"]}
        else:
            p = (section, (plugin or "").lower())
            if p not in BIT_PLUGINS:
                bad.append(f"{name}:{start}: [{section}] plugin `{plugin}` is not one the vendored docs cover")
                return
            allowed = {k.lower() for t in BIT_PLUGINS[p] for k in BIT[t]}
        for k, n in keys.items():
            if k.lower() not in allowed:
                bad.append(f"{name}:{n}: [{section}] unknown key `{k}` (Fluent Bit 3.2 docs)")

    for i, raw in enumerate(lines, first):
        line = raw.strip()
        if not line or line.startswith("#") or line.startswith("@"):
            continue
        m = re.fullmatch(r"\[([A-Z_]+)\]", line)
        if m:
            close()
            section, plugin, keys, start = m.group(1), None, {}, i
            if section not in {"SERVICE", "INPUT", "FILTER", "OUTPUT", "PARSER", "MULTILINE_PARSER"}:
                bad.append(f"{name}:{i}: unknown section [{section}]")
            continue
        if section is None:
            bad.append(f"{name}:{i}: a key outside any section")
            continue
        key = line.split(None, 1)[0]
        if len(line.split(None, 1)) < 2:
            bad.append(f"{name}:{i}: key `{key}` has no value")
        keys[key] = i
        if key.lower() == "name":
            plugin = line.split(None, 1)[1].strip()
    close()
    return bad


def check_fluentd(name, lines, first=1):
    bad = []
    stack = []  # (directive, @type, {param: line}, line)
    directives = set(FD["directives"]) | {"parse", "buffer", "format", "inject", "extract", "storage", "secondary"}

    def close(d, typ, params, n):
        key = (d, typ) if d in ("source", "filter", "match") or (d, typ) in FD_PLUGINS else (d, None)
        if key not in FD_PLUGINS:
            bad.append(f"{name}:{n}: <{d}> with @type `{typ}` is not one the vendored docs cover")
            return
        allowed = {p for t in FD_PLUGINS[key] for p in FD["params"][t]} | {"@type", "@id", "@log_level", "@label"}
        for p, ln in params.items():
            if p not in allowed:
                bad.append(f"{name}:{ln}: <{d}> @type {typ}: unknown parameter `{p}` (fluentd docs)")

    for i, raw in enumerate(lines, first):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"<(/?)([a-z_]+)(\s+[^>]*)?>", line)
        if m:
            closing, d = m.group(1), m.group(2)
            if not closing:
                if d not in directives:
                    bad.append(f"{name}:{i}: unknown directive <{d}>")
                stack.append([d, None, {}, i])
            else:
                if not stack or stack[-1][0] != d:
                    bad.append(f"{name}:{i}: </{d}> closes nothing open")
                    continue
                close(*stack.pop())
            continue
        if line.startswith("@include"):
            continue
        if not stack:
            bad.append(f"{name}:{i}: a parameter outside any directive")
            continue
        parts = line.split(None, 1)
        if len(parts) < 2:
            bad.append(f"{name}:{i}: parameter `{parts[0]}` has no value")
        if parts[0] == "@type":
            stack[-1][1] = parts[1].strip() if len(parts) > 1 else None
        stack[-1][2][parts[0]] = i
    for d, _, _, n in stack:
        bad.append(f"{name}:{n}: <{d}> is never closed")
    return bad


def check_text(name, text, first=1, kind=None):
    lines = text.splitlines()
    if kind is None:
        kind = "fluentd" if re.search(r"^\s*<(source|match)\b", text, re.M) else "fluent-bit"
    return (check_fluentd if kind == "fluentd" else check_fluent_bit)(name, lines, first)


def check_file(path):
    text = Path(path).read_text(encoding="utf-8")
    if path.endswith((".yaml", ".yml")):
        import yaml

        doc = yaml.safe_load(text) or {}
        bad = []
        found = False
        for key, value in (doc.get("data") or {}).items():
            if key in ("fluent.conf", "fluent-bit.conf"):
                found = True
                bad += check_text(f"{path} (data.{key})", value, kind="fluentd" if key == "fluent.conf" else "fluent-bit")
        if not found:
            bad.append(f"{path}: no data.fluent.conf or data.fluent-bit.conf")
        return bad
    kind = "fluentd" if path.endswith("fluent.conf") else "fluent-bit"
    return check_text(path, text, kind=kind)


def main(paths):
    if not paths:
        sys.exit(__doc__)
    bad = [b for p in paths for b in check_file(p)]
    for b in bad:
        print(b)
    print(f"logship-check: {len(paths)} file(s), {len(bad)} finding(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
