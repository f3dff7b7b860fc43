#!/usr/bin/env python3
"""Regenerates the vendored key lists of tests/logship/ from the collectors' own docs.

Run with clones of the documentation repositories (paths as arguments); it reads the pinned
refs below with `git show` and writes fluent-bit-3.2-keys.json and fluentd-1.x-params.json.
The lists are facts taken from the docs' parameter tables/headings (names only, no prose).
Usage: gather.py FLUENT_BIT_DOCS FLUENTD_DOCS FLUENT_PLUGIN_ELASTICSEARCH KUBERNETES_METADATA_FILTER
"""
import json
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def show(repo, ref, path):
    return subprocess.check_output(["git", "-C", repo, "show", f"{ref}:{path}"], text=True)


def sha(repo, ref):
    return subprocess.check_output(["git", "-C", repo, "rev-parse", ref], text=True).strip()


def table_keys(text):
    """First column of the rows of every parameter table (a table whose header's first column
    is `Key` or `Property`; gitbook escapes `_` as `\\_`)."""
    out = set()
    in_params = False
    for line in text.splitlines():
        m = re.match(r"^\|\s*`?([A-Za-z0-9_\\.]+)`?\s*\|", line)
        if not line.startswith("|"):
            in_params = False
            continue
        if m and m.group(1) in ("Key", "Property"):
            in_params = True
            continue
        if in_params and m:
            out.add(m.group(1).replace("\\", ""))
    return out


def heading_keys(text, levels="#{3,4}"):
    """Parameter names of `### name` headings (`### user, password`, `### \\`@type\\` (required)`)."""
    out = set()
    for line in text.splitlines():
        m = re.match(rf"^{levels} (.*)$", line)
        if not m:
            continue
        for part in m.group(1).replace("\\", "").split(","):
            part = re.sub(r"\(.*?\)", "", part).strip().strip("`").strip()
            if re.fullmatch(r"@?[a-z][a-z0-9_]*", part):
                out.add(part)
    return out


def bullet_keys(text):
    """Names of top-level parameter bullets: `* \\`name\\` [type]`, `* **\\`name\\`** (type)`,
    `* \\`name\\` - text` (nested bullets list values, not parameters)."""
    pattern = r"^\* (?:\*\*)?`(@?[a-z][a-z0-9_]*)`(?:\*\*)?(?: \\\[| \\\(| - )"
    return {m.group(1) for m in re.finditer(pattern, text, re.M)}


def main(bit, fluentd, es, k8s):
    ref = "3.2"
    bit_src = {
        "SERVICE": "administration/configuring-fluent-bit/classic-mode/configuration-file.md",
        "common": "administration/configuring-fluent-bit/classic-mode/configuration-file.md",
        "tail": "pipeline/inputs/tail.md",
        "kubernetes": "pipeline/filters/kubernetes.md",
        "es": "pipeline/outputs/elasticsearch.md",
        "tls": "administration/transport-security.md",
        "parser": "pipeline/filters/parser.md",
        "retries": "administration/scheduling-and-retries.md",
    }
    keys = {k: sorted(table_keys(show(bit, ref, p)), key=str.lower) for k, p in bit_src.items()}
    # the SERVICE table and the plugins' common table share one page: split them
    common = {"Name", "Tag", "Match", "Match_Regex", "Log_Level", "Alias"}
    keys["SERVICE"] = [k for k in keys["SERVICE"] if k not in common or k == "log_level"]
    keys["common"] = [k for k in keys["common"] if k in common]
    # the outputs' Retry_Limit is documented in a table of its values, not a parameter table
    retries = show(bit, ref, bit_src["retries"])
    keys["retries"] = ["Retry_Limit"] if re.search(r"^\| `Retry_Limit` \|", retries, re.M) else []
    doc = {
        "about": "Fluent Bit 3.2 configuration keys (classic mode), from the docs' parameter tables. "
        "Keys are case-insensitive. Sections: SERVICE; per plugin: common keys + the plugin's "
        "own (+ tls for outputs and the kubernetes filter).",
        "source": {
            "repository": "https://github.com/fluent/fluent-bit-docs",
            "ref": ref,
            "commit": sha(bit, ref),
            "files": bit_src,
        },
        "keys": keys,
    }
    (HERE / "fluent-bit-3.2-keys.json").write_text(json.dumps(doc, indent=2) + "\n")

    fref, eref, kref = "1.0", "v5.4.3", "v3.7.1"
    f_src = {
        "common": "configuration/plugin-common-parameters.md",
        "tail": "input/tail.md",
        "monitor_agent": "input/monitor_agent.md",
        "parser": "filter/parser.md",
        "parse": "configuration/parse-section.md",
        "buffer": "configuration/buffer-section.md",
        "buffer_file": "buffer/file.md",
        "directives": "configuration/config-file.md",
    }
    params = {
        "common": heading_keys(show(fluentd, fref, f_src["common"])),
        "tail": heading_keys(show(fluentd, fref, f_src["tail"])),
        "monitor_agent": heading_keys(show(fluentd, fref, f_src["monitor_agent"])),
        "parser": heading_keys(show(fluentd, fref, f_src["parser"])),
        "parse": bullet_keys(show(fluentd, fref, f_src["parse"])) | {"@type"},
        "buffer": bullet_keys(show(fluentd, fref, f_src["buffer"])) | {"@type"},
        "buffer_file": heading_keys(show(fluentd, fref, f_src["buffer_file"])),
    }
    text = show(es, eref, "README.md")
    params["elasticsearch"] = heading_keys(text) | bullet_keys(text) | set(
        re.findall(r"^(ssl_[a-z_]+|client_[a-z_]+|ca_file) ", text, re.M)
    )
    params["kubernetes_metadata"] = bullet_keys(show(k8s, kref, "README.md"))
    directives = sorted(set(re.findall(r"<(source|match|filter|system|label|parse|buffer|format|inject|extract|storage|secondary)[ >]", show(fluentd, fref, f_src["directives"]))))
    doc = {
        "about": "fluentd 1.x directives and plugin parameters, from the docs' parameter headings "
        "and lists: core (fluentd-docs-gitbook), fluent-plugin-elasticsearch and "
        "fluent-plugin-kubernetes_metadata_filter (the plugins of the "
        "fluentd-kubernetes-daemonset elasticsearch8 image).",
        "source": {
            "fluentd-docs": {"repository": "https://github.com/fluent/fluentd-docs-gitbook", "ref": fref,
                             "commit": sha(fluentd, fref), "files": f_src},
            "fluent-plugin-elasticsearch": {"repository": "https://github.com/uken/fluent-plugin-elasticsearch",
                                            "ref": eref, "commit": sha(es, eref), "files": {"elasticsearch": "README.md"}},
            "fluent-plugin-kubernetes_metadata_filter": {
                "repository": "https://github.com/fabric8io/fluent-plugin-kubernetes_metadata_filter",
                "ref": kref, "commit": sha(k8s, kref), "files": {"kubernetes_metadata": "README.md"}},
        },
        "directives": directives,
        "params": {k: sorted(v) for k, v in params.items()},
    }
    (HERE / "fluentd-1.x-params.json").write_text(json.dumps(doc, indent=2) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
