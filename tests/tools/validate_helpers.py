#!/usr/bin/env python3
"""Helpers for tests/validate-output.sh (run with the repo venv's python: it needs PyYAML).

  nginx-plan CONF_DIR        what `nginx -t` will look up, from CONF_DIR/nginx.conf and the
                             files it includes from CONF_DIR (installed as /etc/nginx):
                             lines `user NAME`, `group NAME`, `host NAME`, `file KIND PATH`
                             (files it reads), `path DIRECTIVE PATH` (files/folders it writes).
  k8s-plan ENV_DIR           the files of a kustomize folder: `resource FILE` for every file in
                             kustomization.yaml's resources, `unreferenced FILE` for a YAML
                             file in the folder that kustomization.yaml does not mention.
  crd-validate [--label P=T] FILE...  validate documents of the CRD kinds that have a strict
                             schema in crd-schemas/ (kubernetes-validate has none).
  compose-policy FILE        cfgen's own rules for docker-compose.yml (SPEC.md): no inline
                             secrets, databases/caches not published, a healthcheck everywhere.
  dockerfile-policy FILE     cfgen's own rule: a HEALTHCHECK does not call curl/wget that the
                             final image lacks.
  kv-findings [--label P=T]  filter kubernetes-validate output on stdin: print each finding
                             (ERROR; WARN such as a missing schema) once with its versions;
                             exit 1 if any.
"""
from __future__ import annotations

import glob
import ipaddress
import os
import re
import sys

NGINX_PREFIX = "/etc/nginx"

# directives whose argument is a file that nginx -t opens
NGINX_FILE_DIRECTIVES = {
    "ssl_certificate": "pem",
    "ssl_certificate_key": "pem",
    "ssl_trusted_certificate": "pem",
    "ssl_client_certificate": "pem",
    "proxy_ssl_certificate": "pem",
    "proxy_ssl_certificate_key": "pem",
    "proxy_ssl_trusted_certificate": "pem",
    "grpc_ssl_certificate": "pem",
    "grpc_ssl_certificate_key": "pem",
    "grpc_ssl_trusted_certificate": "pem",
    "ssl_dhparam": "dhparam",
    "ssl_session_ticket_key": "ticketkey",
    "ssl_password_file": "password",
}
# directives whose first argument is a file or folder that nginx -t creates or opens for writing
NGINX_WRITE_DIRECTIVES = {
    "client_body_temp_path", "proxy_temp_path", "fastcgi_temp_path", "uwsgi_temp_path",
    "scgi_temp_path", "proxy_cache_path", "fastcgi_cache_path", "uwsgi_cache_path",
    "scgi_cache_path", "access_log", "error_log", "pid", "lock_file",
}
PASS_DIRECTIVES = {"proxy_pass", "grpc_pass", "uwsgi_pass", "scgi_pass", "fastcgi_pass", "memcached_pass"}


def nginx_tokens(text: str):
    """Tokenise nginx config: words (quotes removed), and the punctuation ; { }."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif c in ";{}":
            yield c
            i += 1
        elif c in "\"'":
            j = i + 1
            buf = []
            while j < n and text[j] != c:
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                buf.append(text[j])
                j += 1
            yield "".join(buf)
            i = j + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in ";{}\"'":
                j += 1
            yield text[i:j]
            i = j


def nginx_statements(text: str):
    """Yield (context_stack, directive, args) for every simple directive and block opener."""
    stack: list[str] = []
    words: list[str] = []
    for tok in nginx_tokens(text):
        if tok == ";":
            if words:
                yield list(stack), words[0], words[1:]
            words = []
        elif tok == "{":
            if words:
                yield list(stack), words[0], words[1:]
                stack.append(words[0])
            else:
                stack.append("")
            words = []
        elif tok == "}":
            if stack:
                stack.pop()
            words = []
        else:
            words.append(tok)


def is_name(host: str) -> bool:
    if not host or "$" in host or host.startswith("unix:") or host in ("*", "localhost"):
        return False
    h = host.strip("[]")
    try:
        ipaddress.ip_address(h)
        return False
    except ValueError:
        return bool(re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?", h))


def split_host(hostport: str) -> str:
    if hostport.startswith("["):
        return hostport[1 : hostport.index("]")] if "]" in hostport else hostport
    return hostport.rsplit(":", 1)[0] if hostport.count(":") == 1 else hostport


def nginx_plan(conf_dir: str) -> int:
    conf_dir = os.path.abspath(conf_dir)
    todo = [os.path.join(conf_dir, "nginx.conf")]
    seen: set[str] = set()
    out: list[str] = []
    upstreams: set[str] = set()
    hosts: list[str] = []  # resolved by nginx at startup
    pass_hosts: list[str] = []  # *_pass targets: resolved unless they name an upstream block

    def local(path: str) -> str:
        """Map a path as nginx sees it (under /etc/nginx) to the generated file, if any."""
        full = path if os.path.isabs(path) else os.path.join(NGINX_PREFIX, path)
        if full == NGINX_PREFIX or full.startswith(NGINX_PREFIX + "/"):
            return conf_dir + full[len(NGINX_PREFIX):]
        return full

    while todo:
        f = todo.pop()
        if f in seen or not os.path.isfile(f):
            continue
        seen.add(f)
        with open(f, encoding="utf-8") as fh:
            text = fh.read()
        for stack, d, args in nginx_statements(text):
            if d == "include" and args:
                todo.extend(sorted(glob.glob(local(args[0]))))
            elif d == "user" and not stack and args:
                out.append(f"user\t{args[0]}")
                out.append(f"group\t{args[1] if len(args) > 1 else args[0]}")
            elif d == "upstream" and args:
                upstreams.add(args[0])
            elif d == "server" and stack and stack[-1] == "upstream" and args:
                hosts.append(split_host(args[0]))
            elif d in PASS_DIRECTIVES and args:
                m = re.match(r"^(?:[a-z]+://)?([^/]+)", args[0])
                if m:
                    pass_hosts.append(split_host(m.group(1)))
            elif d == "listen" and args and not args[0].isdigit():
                hosts.append(split_host(args[0]))
            elif d in NGINX_WRITE_DIRECTIVES and args and "$" not in args[0]:
                a = args[0]
                if a in ("off", "stderr") or a.startswith(("syslog:", "memory:")):
                    continue
                p = a if os.path.isabs(a) else os.path.join(NGINX_PREFIX, a)
                out.append(f"path\t{d}\t{os.path.normpath(p)}")
            elif d in NGINX_FILE_DIRECTIVES and args and "$" not in args[0] and not args[0].startswith("data:"):
                if args[0] == "off":
                    continue
                p = args[0] if os.path.isabs(args[0]) else os.path.join(NGINX_PREFIX, args[0])
                out.append(f"file\t{NGINX_FILE_DIRECTIVES[d]}\t{os.path.normpath(p)}")
    for h in hosts + [h for h in pass_hosts if h not in upstreams]:
        if is_name(h):
            out.append(f"host\t{h}")
    print("\n".join(dict.fromkeys(out)))
    return 0


def k8s_plan(env_dir: str) -> int:
    import yaml

    env_dir = os.path.abspath(env_dir)
    kfile = next((os.path.join(env_dir, n) for n in ("kustomization.yaml", "kustomization.yml", "Kustomization")
                  if os.path.isfile(os.path.join(env_dir, n))), None)
    if kfile is None:
        print(f"no kustomization.yaml in {env_dir}", file=sys.stderr)
        return 1
    with open(kfile, encoding="utf-8") as fh:
        k = yaml.safe_load(fh) or {}
    referenced: set[str] = set()

    def walk(node):
        if isinstance(node, str):
            for part in (node, node.split("=", 1)[-1]):
                p = os.path.normpath(os.path.join(env_dir, part))
                if os.path.isfile(p):
                    referenced.add(p)
        elif isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(k)
    for r in k.get("resources") or []:
        p = os.path.normpath(os.path.join(env_dir, r))
        if os.path.isfile(p):
            print(f"resource\t{p}")
    # YAML files in the folder (and its subfolders, except those that are kustomizations of
    # their own, e.g. a referenced base or component) that kustomization.yaml never mentions
    for root, dirs, files in os.walk(env_dir):
        dirs[:] = sorted(d for d in dirs if not any(
            os.path.isfile(os.path.join(root, d, n)) for n in ("kustomization.yaml", "kustomization.yml", "Kustomization")))
        for n in sorted(files):
            p = os.path.join(root, n)
            if p != kfile and n.endswith((".yaml", ".yml")) and p not in referenced:
                print(f"unreferenced\t{p}")
    return 0


CRD_SCHEMAS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "crd-schemas")


def crd_schema_kinds() -> dict[str, str]:
    """`apiVersion/Kind` -> schema file, for every schema in tests/tools/crd-schemas/."""
    kinds = {}
    for f in sorted(glob.glob(os.path.join(CRD_SCHEMAS, "*_*_*.json"))):
        group, version, kind = os.path.basename(f)[: -len(".json")].split("_", 2)
        kinds[f"{group}/{version}/{kind}"] = f
    # The CRD schemas cfgen vendors for its own in-process check (src/verify/schemas, one
    # copy): the Prometheus Operator's, from its CRDs, made strict.
    verify = os.path.join(os.path.dirname(CRD_SCHEMAS), "..", "..", "src", "verify", "schemas")
    for kind, name in [("ServiceMonitor", "servicemonitor"), ("PrometheusRule", "prometheusrule")]:
        kinds[f"monitoring.coreos.com/v1/{kind}"] = os.path.normpath(os.path.join(verify, f"{name}-v1.json"))
    # Gateway API's standard-channel CRDs (v1.4.1), converted by crd-to-jsonschema.py
    for kind, name in [("Gateway", "gateway"), ("HTTPRoute", "httproute")]:
        kinds[f"gateway.networking.k8s.io/v1/{kind}"] = os.path.normpath(os.path.join(verify, f"{name}-v1.json"))
    # Argo Rollouts' and Argo CD's, from their CRDs, made strict (src/verify/schemas/README-argo.md)
    for kind, name in [("Rollout", "argo-rollout"), ("AnalysisTemplate", "argo-analysistemplate"),
                       ("Application", "argocd-application")]:
        kinds[f"argoproj.io/v1alpha1/{kind}"] = os.path.normpath(os.path.join(verify, f"{name}-v1alpha1.json"))
    return kinds


def crd_validate(argv: list[str]) -> int:
    """Validate the documents of kinds that have a schema in crd-schemas/ (strict)."""
    import jsonschema
    import yaml

    labels = {}
    while argv[:1] == ["--label"]:
        k, _, v = argv[1].partition("=")
        labels[k] = v
        argv = argv[2:]
    kinds = crd_schema_kinds()
    validators = {}
    rc = 0
    for path in argv:
        name = labels.get(path, path)
        with open(path, encoding="utf-8") as fh:
            docs = list(yaml.safe_load_all(fh))
        for i, doc in enumerate(docs):
            if not isinstance(doc, dict):
                continue
            key = f"{doc.get('apiVersion')}/{doc.get('kind')}"
            if key not in kinds:
                continue
            if key not in validators:
                with open(kinds[key], encoding="utf-8") as fh:
                    schema = __import__("json").load(fh)
                validators[key] = jsonschema.validators.validator_for(
                    schema, default=jsonschema.Draft202012Validator)(schema)
            res = f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"
            for err in sorted(validators[key].iter_errors(doc), key=lambda e: list(e.path)):
                where = ".".join(str(p) for p in err.path) or "(document)"
                print(f"ERROR {name} {res} (document {i + 1}) against {os.path.basename(kinds[key])}: {where}: {err.message}")
                rc = 1
    return rc


def kv_findings(argv: list[str]) -> int:
    """kubernetes-validate output of several `-k` runs on stdin -> unique findings.

    Every line that is not INFO is a finding (ERROR: schema violation; WARN: no schema for
    the kind, on which kubernetes-validate still exits 0), except a missing schema for a kind
    listed in K8S_NO_SCHEMA_OK ("apiVersion/Kind ..."). The same message for several versions
    is printed once, with the versions. Options: --label PATH=TEXT renames a file in messages.
    """
    labels = {}
    while argv[:1] == ["--label"]:
        k, _, v = argv[1].partition("=")
        labels[k] = v
        argv = argv[2:]
    # kinds whose missing schema is fine: listed by the caller, or validated by crd-validate
    ok = set(os.environ.get("K8S_NO_SCHEMA_OK", "").split()) | set(crd_schema_kinds())
    found: dict[str, list[str]] = {}
    notes: dict[str, list[str]] = {}
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("INFO "):
            continue
        m = re.search(r"(?: against version| for kubernetes version) (\d+\.\d+)", line)
        ver = m.group(1) if m else "?"
        msg = line[: m.start()] + line[m.end():] if m else line
        for k, v in labels.items():
            msg = msg.replace(k, v)
        ns = re.search(r"Couldn't find schema for kind (\S+) with api version (\S+)", msg)
        target = notes if ns and f"{ns.group(2)}/{ns.group(1)}" in ok else found
        target.setdefault(msg, []).append(ver)
    for msg, vers in notes.items():
        print(f"note (validated by tests/tools/crd-schemas or K8S_NO_SCHEMA_OK): {msg} [k8s {', '.join(dict.fromkeys(vers))}]")
    for msg, vers in found.items():
        print(f"{msg} [k8s {', '.join(dict.fromkeys(vers))}]")
    return 1 if found else 0


# --- cfgen's own output rules that no consumer checker enforces (SPEC.md) -------------------

STATEFUL_IMAGES = re.compile(r"^(?:[\w.-]+/)*(mysql|mariadb|redis|valkey|postgres|mongo|memcached)(?:[:@]|$)")
SECRET_KEY = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY)$", re.I)
URL_WITH_PASSWORD = re.compile(r"://[^\s:/@]+:([^\s@/]+)@")


def compose_policy(path: str) -> int:
    """docker-compose.yml: no inline secrets, stateful services not published, healthchecks."""
    import yaml

    with open(path, encoding="utf-8") as fh:
        doc = yaml.safe_load(fh) or {}
    bad = []
    if "version" in doc:
        bad.append("top-level `version:` is obsolete in the Compose Specification: omit it")
    for name, svc in (doc.get("services") or {}).items():
        svc = svc or {}
        image = str(svc.get("image", ""))
        if svc.get("ports") and STATEFUL_IMAGES.match(image):
            bad.append(f"services.{name}: publishes ports {svc['ports']} of a database/cache ({image}); "
                       "keep it on the compose network (use `expose` or nothing)")
        env = svc.get("environment") or {}
        items = env.items() if isinstance(env, dict) else (
            (e.split("=", 1) + [None])[:2] for e in env if isinstance(e, str))
        for k, v in items:
            v = "" if v is None else str(v)
            if URL_WITH_PASSWORD.search(v) and "${" not in URL_WITH_PASSWORD.search(v).group(1):
                bad.append(f"services.{name}.environment.{k}: a URL with an inline password")
            elif SECRET_KEY.search(k) and v and not v.startswith("${") and not k.upper().endswith("_FILE"):
                bad.append(f"services.{name}.environment.{k}: an inline secret value; "
                           "use `${VAR}` from the environment or a `secrets:` file (`{k}_FILE`)")
        hc = svc.get("healthcheck")
        # a one-shot job (a migration) is waited for until it completes, not until healthy
        one_shot = str(svc.get("restart", "")) == "no" and any(
            ((other or {}).get("depends_on") or {}).get(name, {}).get("condition")
            == "service_completed_successfully"
            for other in (doc.get("services") or {}).values()
            if isinstance(((other or {}).get("depends_on") or {}), dict)
        )
        # optional tooling of a profile (monitoring, scheduled jobs): not the workload's health
        optional = bool(svc.get("profiles"))
        if (not hc or hc.get("disable")) and not one_shot and not optional:
            bad.append(f"services.{name}: no healthcheck")
        elif svc.get("build"):
            # the healthcheck runs in the image built from our Dockerfile: its tool must be there
            b = svc["build"] if isinstance(svc["build"], dict) else {"context": svc["build"]}
            df = os.path.join(os.path.dirname(os.path.abspath(path)), str(b.get("context", ".")),
                              str(b.get("dockerfile", "Dockerfile")))
            tool = re.search(r"\b(curl|wget)\b", " ".join(map(str, hc.get("test") or [])) if isinstance(
                hc.get("test"), list) else str(hc.get("test", "")))
            if tool and os.path.isfile(df) and lacks_tool(*final_stage(df), tool.group(1)):
                bad.append(f"services.{name}.healthcheck calls `{tool.group(1)}`, which the image built from "
                           f"{os.path.relpath(df, os.path.dirname(os.path.abspath(path)))} ({final_stage(df)[0]}) does not contain")
    for b in bad:
        print(f"{path}: {b}")
    return 1 if bad else 0


# final-stage base images known to have neither curl nor wget
NO_HTTP_CLIENT = re.compile(r"(^|/)(python|node|ruby|openjdk|eclipse-temurin|debian|ubuntu)[:@].*slim|"
                            r"^gcr\.io/distroless/|^cgr\.dev/chainguard/|^scratch$", re.I)


def final_stage(path: str) -> tuple[str, list[str]]:
    """The final build stage of a Dockerfile: its FROM image and its (joined) lines."""
    text = open(path, encoding="utf-8").read()
    stage_from, stage = "", []
    for line in re.sub(r"\\\n", " ", text).splitlines():
        m = re.match(r"\s*FROM\s+(?:--platform=\S+\s+)?(\S+)", line, re.I)
        if m:
            stage_from, stage = m.group(1), []
        stage.append(line)
    return stage_from, stage


def lacks_tool(stage_from: str, stage: list[str], tool: str) -> bool:
    """True when the final image surely has no `tool` (curl/wget): a slim/distroless base
    and no package install of it in the stage."""
    installs = any(re.search(r"\b(apt-get|apt|apk|microdnf|dnf|yum)\b.*\binstall\b.*\b%s\b" % tool, l)
                   for l in stage)
    return not installs and bool(NO_HTTP_CLIENT.search(stage_from))


def workflow_policy(path: str) -> int:
    """A workflow: every action pinned by a full commit SHA (a tag can be moved)."""
    import yaml

    with open(path, encoding="utf-8") as fh:
        doc = yaml.safe_load(fh) or {}
    bad = []
    for job_id, job in (doc.get("jobs") or {}).items():
        for i, step in enumerate((job or {}).get("steps") or []):
            uses = (step or {}).get("uses")
            if uses and not uses.startswith("./") and not re.fullmatch(r"[^@\s]+@[0-9a-f]{40}", uses):
                bad.append(f"jobs.{job_id}.steps[{i}]: `uses: {uses}` is not pinned by a full commit SHA")
    for b in bad:
        print(f"{path}: {b}")
    return 1 if bad else 0


def dockerfile_policy(path: str) -> int:
    """Dockerfile: the HEALTHCHECK must not call curl/wget that the final image lacks."""
    stage_from, stage = final_stage(path)
    bad = []
    for line in stage:
        m = re.match(r"\s*HEALTHCHECK\b(.*)", line, re.I)
        if not m:
            continue
        tool = re.search(r"\b(curl|wget)\b", m.group(1))
        if tool and lacks_tool(stage_from, stage, tool.group(1)):
            bad.append(f"HEALTHCHECK calls `{tool.group(1)}`, which the final image {stage_from} does not "
                       "contain: use the runtime (e.g. python -c 'urllib.request…') or the app's own healthcheck")
    for b in bad:
        print(f"{path}: {b}")
    return 1 if bad else 0


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "nginx-plan":
        return nginx_plan(argv[1])
    if len(argv) >= 2 and argv[0] == "k8s-plan":
        return k8s_plan(argv[1])
    if argv[:1] == ["crd-validate"]:
        return crd_validate(argv[1:])
    if len(argv) >= 2 and argv[0] == "compose-policy":
        return compose_policy(argv[1])
    if len(argv) >= 2 and argv[0] == "workflow-policy":
        return workflow_policy(argv[1])
    if len(argv) >= 2 and argv[0] == "dockerfile-policy":
        return dockerfile_policy(argv[1])
    if argv[:1] == ["kv-findings"]:
        return kv_findings(argv[1:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
