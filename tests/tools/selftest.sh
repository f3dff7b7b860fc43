#!/usr/bin/env bash
# tests/tools/selftest.sh: proves that tests/validate-output.sh works, with the real tools.
#
#   1. tests/tools/sample-output (hand-written, correct) passes every check;
#   2. tests/tools/seed-output (the seed document's artifacts, known defects) fails the checks
#      it must fail;
#   3. a copy of the sample with one defect planted per checker fails exactly in that checker,
#      with the expected finding.
# Last line: `selftest: N passed, M failed`. Takes about a minute (three validate-output runs).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VALIDATE="$REPO/tests/validate-output.sh"
PY="$REPO/.venv/bin/python"
[[ -x $PY ]] || PY=python3
WORK="$(mktemp -d "${TMPDIR:-/tmp}/validate-selftest.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

PASSED=0 FAILED=0
ok() { PASSED=$((PASSED + 1)); printf 'ok    %s\n' "$1"; }
bad() { FAILED=$((FAILED + 1)); printf 'FAIL  %s\n' "$1"; }

# expect_fail LOG CHECK [FINDING]: LOG has a FAIL line whose name contains CHECK and, if
# given, FINDING in that check's output.
expect_fail() {
  local log=$1 check=$2 finding=${3:-} what
  what="$(basename "$log" .log): FAIL \"$check\""
  if [[ -n $finding ]]; then what+=" with \"$finding\""; fi
  if "$PY" - "$log" "$check" "$finding" <<'EOF'
import sys
log, check, finding = sys.argv[1:4]
blocks, cur = [], None
for line in open(log, encoding="utf-8", errors="replace"):
    if line.startswith(("PASS  ", "FAIL  ", "SKIP  ", "== ")) or not line.startswith("      |"):
        cur = None
    if line.startswith("FAIL  "):
        cur = [line[6:], ""]
        blocks.append(cur)
    elif cur is not None and line.startswith("      |"):
        cur[1] += line
sys.exit(0 if any(check in name and finding in body for name, body in blocks) else 1)
EOF
  then ok "$what"
  else bad "expected $what"
  fi
}

# 1. the correct sample passes -----------------------------------------------------------------
rc=0
bash "$VALIDATE" "$HERE/sample-output" >"$WORK/sample.log" 2>&1 || rc=$?
if ((rc == 0)) && tail -1 "$WORK/sample.log" | grep -qE '^validate-output: [0-9]+ passed, 0 failed$' \
  && ! grep -q '^SKIP' "$WORK/sample.log"; then
  ok "sample-output passes every check ($(tail -1 "$WORK/sample.log"))"
else
  bad "sample-output must pass every check, got exit $rc:"
  sed 's/^/    /' "$WORK/sample.log"
fi

# 2. the seed's artifacts fail ---------------------------------------------------------------
rc=0
bash "$VALIDATE" "$HERE/seed-output" >"$WORK/seed.log" 2>&1 || rc=$?
if ((rc == 1)); then ok "seed-output fails (exit 1)"; else bad "seed-output must fail with exit 1, got $rc"; fi

expect_fail "$WORK/seed.log" "promtool check config" "alert_rules.yml\" does not point to an existing file"
expect_fail "$WORK/seed.log" "alertmanager.yml exists"
expect_fail "$WORK/seed.log" "nginx/nginx.conf exists"
expect_fail "$WORK/seed.log" "hadolint" "DL3025"
expect_fail "$WORK/seed.log" "hadolint" "DL3008"
expect_fail "$WORK/seed.log" "actionlint" "actions/checkout@v3"
expect_fail "$WORK/seed.log" "actionlint" "SC2086"
expect_fail "$WORK/seed.log" "shellcheck scripts/backup_database.sh" "SC2086"
expect_fail "$WORK/seed.log" "yamllint" "trailing-spaces"
expect_fail "$WORK/seed.log" "checkov" "CKV_K8S_43"
expect_fail "$WORK/seed.log" "checkov" "CKV_K8S_40"
expect_fail "$WORK/seed.log" "checkov" "CKV2_GHA_1"
expect_fail "$WORK/seed.log" "cfgen policy Dockerfile" "calls \`curl\`"
expect_fail "$WORK/seed.log" "cfgen policy docker-compose.yml" "DATABASE_URL: a URL with an inline password"
expect_fail "$WORK/seed.log" "cfgen policy docker-compose.yml" "services.mysql: publishes ports"

# 3. one planted defect per checker ------------------------------------------------------------
M="$WORK/mutated"
cp -r "$HERE/sample-output" "$M"
sub() { # FILE PYTHON-REGEX REPLACEMENT: replace (must match)
  "$PY" - "$M/$1" "$2" "$3" <<'EOF'
import re, sys
path, pat, rep = sys.argv[1:4]
text = open(path, encoding="utf-8").read()
new, n = re.subn(pat, rep, text, count=1, flags=re.M)
if n != 1:
    sys.exit(f"selftest: pattern {pat!r} not found in {path}")
open(path, "w", encoding="utf-8").write(new)
EOF
}
sub nginx/nginx.conf '^(\s*)listen 8080;' '\1listen 8080;\n\1http2 on;'
sub k8s/production/deployment.yaml '^  revisionHistoryLimit: 5$' '  revisionHistoryLimit: 5\n  replicaz: 2'
sub k8s/production/deployment.yaml '^      automountServiceAccountToken: false\n' ''
sub k8s/production/kustomization.yaml '^  - networkpolicy.yaml$' '  - networkpolicy.yaml\n  - peerauthentication.yaml'
# a CRD kind with a schema in crd-schemas/ (invalid mode) and one without any schema
printf 'apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: default\n  namespace: ecommerce-prod\nspec:\n  mtls:\n    mode: STRICTEST\n---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: api\n  namespace: ecommerce-prod\nspec:\n  secretName: api-tls\n  dnsNames: [api.ecommerce.com]\n  issuerRef: {name: letsencrypt-prod, kind: ClusterIssuer}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: api\n  namespace: ecommerce-prod\nspec:\n  parentRefs: [{name: ecommerce}]\n  rules:\n    - backendRefs: [{name: api, prot: 80}]\n' \
  >"$M/k8s/production/peerauthentication.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: orphan\n  namespace: ecommerce-prod\n' >"$M/k8s/production/orphan.yaml"
sub Dockerfile '^CMD \[.*\]$' 'CMD uvicorn app.main:app --host 0.0.0.0 --port 8000'
sub docker-compose.yml '^    restart: unless-stopped$' '    restart: unless-stopped\n    healthchek: {}'
sub .github/workflows/deploy.yml 'actions/checkout@[0-9a-f]{40} # v7\.0\.1' 'actions/checkout@v3'
# shellcheck disable=SC2016 # literal $url
sub scripts/health_check.sh '^  curl (.*) "\$url"$' '  curl \1 $url'
sub monitoring/prometheus.yml '^  evaluation_interval: 15s$' '  evaluation_interval: 15s\n  scrape_intervall: 15s'
# a second rules file (checked by `promtool check rules`, loaded by nothing else)
printf 'groups:\n  - name: broken\n    rules:\n      - alert: Broken\n        expr: up{job="x" == 0\n' >"$M/monitoring/extra_rules.yml"
sub monitoring/alertmanager.yml '^      receiver: pagerduty$' '      receiver: pager-duty'
sub k8s/production/service.yaml '^  type: ClusterIP$' '  type: ClusterIP   '
sub monitoring/tests/alert_rules_test.yml 'description: "10% of requests' 'description: "11% of requests'
sub scripts/backup_database.sh '^readonly MIN_BYTES=1000$' 'readonly MIN_BYTES=1000\nreadonly STRIPE_KEY="sk_live_4eC39HqLyjWDarjtT1zdp7dc"'
rc=0
bash "$VALIDATE" "$M" >"$WORK/mutated.log" 2>&1 || rc=$?
if ((rc == 1)); then ok "mutated sample fails (exit 1)"; else bad "mutated sample must fail with exit 1, got $rc"; fi
L="$WORK/mutated.log"
expect_fail "$L" "nginx -t" 'unknown directive "http2"'
expect_fail "$L" "kubernetes-validate --strict k8s/production/*.yaml" "'replicaz' was unexpected"
expect_fail "$L" "kubernetes-validate --strict k8s/production/*.yaml" "Couldn't find schema for kind Certificate"
expect_fail "$L" "kubernetes-validate --strict k8s/production/*.yaml" "spec.mtls.mode: 'STRICTEST' is not one of"
# a Gateway API kind: checked strictly against the vendored v1.4.1 CRD schema
expect_fail "$L" "kubernetes-validate --strict k8s/production/*.yaml" "'prot' was unexpected"
expect_fail "$L" "kubernetes-validate --strict (kubectl kustomize k8s/production)" "spec.mtls.mode: 'STRICTEST' is not one of"
expect_fail "$L" "kubernetes-validate --strict k8s/production/*.yaml" "orphan.yaml: not referenced by kustomization.yaml"
expect_fail "$L" "kubernetes-validate --strict (kubectl kustomize k8s/production)" "'replicaz' was unexpected"
expect_fail "$L" "hadolint" "DL3025"
expect_fail "$L" "check-jsonschema compose-spec" "'healthchek' was unexpected"
expect_fail "$L" "actionlint" "actions/checkout@v3"
expect_fail "$L" "shellcheck scripts/health_check.sh" "SC2086"
expect_fail "$L" "promtool check config" "field scrape_intervall not found"
expect_fail "$L" "promtool check rules" "parse error"
expect_fail "$L" "promtool test rules" "11% of requests"
expect_fail "$L" "amtool check-config" "pager-duty"
expect_fail "$L" "yamllint" "service.yaml"
expect_fail "$L" "checkov" "CKV_K8S_38"
expect_fail "$L" "checkov" "CKV_SECRET_17"
if grep -q '^PASS .*bash -n scripts/health_check.sh' "$L"; then
  ok "mutated: untouched checks still PASS (bash -n)"
else
  bad "mutated: bash -n scripts/health_check.sh should still pass"
fi

if ((FAILED)); then
  echo
  echo "validate-output logs: re-run with KEEP=1 to keep $WORK"
  if [[ ${KEEP:-0} == 1 ]]; then trap - EXIT; fi
fi
echo "selftest: $PASSED passed, $FAILED failed"
((FAILED == 0))
