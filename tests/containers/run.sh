#!/usr/bin/env bash
# tests/containers/run.sh [PROJECT_DIR...]: run what cfgen generates, in a real container
# engine (issue 13). Needs root and the engine of tests/containers/engine.sh (started, with
# its stand-in images); see README.md.
#
# For every project (default: every folder with a cfgen.yaml among examples/*/ and app/; or
# the folders given), using the committed output folder its cfgen.yaml `output:` names, and
# following what that output contains (no service name is assumed):
#   1. builds every generated Dockerfile for real, every stage (BuildKit, --network host),
#      from the build context docker-compose.yml gives it (or its header's, without compose);
#   2. runs each image alone with the hardening the project's config asks for (read-only
#      root, its non-root numeric USER, no-new-privileges, cap-drop ALL) and waits for its
#      HEALTHCHECK to report healthy; SIGTERM stops it promptly with exit 0;
#   3. `docker compose up -d --wait` of the generated docker-compose.yml, unmodified, in a
#      copy of the output folder where the generated compose-secrets.sh made the secret files
#      (and a throwaway certificate where nginx mounts it). Then, read from the compose file
#      and nginx.conf: the processes (services built from the image) run and are healthy, a
#      port-less worker included; the deploy jobs (one-shot services the processes wait for)
#      exited 0 before the processes started and the database has its tables; the scheduled
#      jobs (services under a profile) were not started and `--profile P run --rm JOB` exits
#      0; through the real nginx to the public process (nginx's upstream): requests reach it,
#      security headers, HTTP -> HTTPS, 429 beyond the rate limit, 413 beyond the body size,
#      /metrics closed from outside; the backup scripts' dumps restore (per database engine);
#      readiness 503 with the database stopped; the cache outage (CACHE_DOWN_READY below);
#      every process stops on SIGTERM.
# A project with neither a Dockerfile nor a docker-compose.yml (a prebuilt image deployed by
# other targets) is reported as "nothing to run", not as a failure.
# Every container, network, volume and image the run makes is removed at the end (trap, and
# a sweep after the deadline). Published ports bind 127.0.0.1 only (an override file).
# Output: PASS/FAIL/SKIP lines, FIGURE lines (timings), and last `containers: N passed, M failed`;
# exit 1 on any failure. A missing tool or stand-in image is a failure, never a skip; a SKIP
# names what it waits for (`>>> LEAD:` when that is a generator change).
#
# Environment:
#   CONTAINERS_TIMEOUT=seconds for the whole run (default 1500)
#   CONTAINERS_KEEP=1 keeps the work folder (not the containers).
set -Eeuo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CI_DIR="${CFGEN_CI_DIR:-/var/cache/cfgen-ci}"
export DOCKER_CONFIG="${DOCKER_CONFIG:-$CI_DIR/docker-config}"
export DOCKER_HOST="${DOCKER_HOST:-unix:///var/run/docker.sock}"
export DOCKER_BUILDKIT=1
DOCKER=/usr/bin/docker   # Debian's client: BuildKit (the newer client on PATH has no buildx)
LABEL=org.cfgen.containers-test

# The cache outage: what /ready answers while only the cache is down, per project (the
# compose `name:`; default 200). SPEC.md: "a cache outage is degraded service, reported in
# /metrics, not unreadiness" (200); the bundled shop does so since issue 12 (`degraded`).
# (tasks: its /ready checks the database only; Redis is the worker's broker.)
declare -A CACHE_DOWN_READY=([shop]=200 [ecommerce]=200 [tasks]=200)

# What the test knows of each app's own API (not in the generated output): a GET that answers
# 200 from the database, used for the rate limit and the cache outage (without one, the
# rate-limit burst goes to a path the app answers 404), and the traffic function that writes
# through nginx (app_traffic_<kind>, below). A project not listed gets the generic assertions.
declare -A APP_GET=([shop]=/products [ecommerce]=/products [tasks]=/tasks)
declare -A APP_TRAFFIC=([shop]=orders [ecommerce]=orders [tasks]=tasks)

# --- cleanup: everything labelled with this run, every compose project, every image built -----
sweep() {
  local p ids
  ids=$("$DOCKER" ps -aq --filter "label=$LABEL=$RUN_ID")
  [[ -z $ids ]] || "$DOCKER" rm -f $ids >/dev/null 2>&1 || true
  while read -r p; do
    [[ -n $p ]] || continue
    ids=$("$DOCKER" ps -aq --filter "label=com.docker.compose.project=$p")
    [[ -z $ids ]] || "$DOCKER" rm -f -v $ids >/dev/null 2>&1 || true
    ids=$("$DOCKER" network ls -q --filter "label=com.docker.compose.project=$p")
    [[ -z $ids ]] || "$DOCKER" network rm $ids >/dev/null 2>&1 || true
    ids=$("$DOCKER" volume ls -q --filter "label=com.docker.compose.project=$p")
    [[ -z $ids ]] || "$DOCKER" volume rm -f $ids >/dev/null 2>&1 || true
  done <"$STATE/projects"
  ids=$("$DOCKER" volume ls -q --filter "label=$LABEL=$RUN_ID")
  [[ -z $ids ]] || "$DOCKER" volume rm -f $ids >/dev/null 2>&1 || true
  while read -r p; do
    [[ -n $p ]] || continue
    "$DOCKER" rmi -f "$p" >/dev/null 2>&1 || true
  done <"$STATE/images"
}

if [[ ${1:-} == --sweep ]]; then
  work=$2 RUN_ID=$3 STATE=$2/state
  mkdir -p "$STATE"
  touch "$STATE/projects" "$STATE/images"
  sweep
  exit 0
fi

# ================================ outside: deadline, lock, sweep =================================
if [[ ${1:-} != --inside ]]; then
  die() { echo "containers: $*" >&2; echo "containers: 0 passed, 1 failed"; exit 1; }
  [[ $(id -u) == 0 ]] || die "needs root (the Docker daemon's socket)"
  missing=()
  for t in timeout flock jq curl openssl awk sha256sum; do command -v "$t" >/dev/null || missing+=("$t"); done
  [[ -x $DOCKER ]] || missing+=("$DOCKER (Debian docker.io: bash tests/containers/engine.sh install)")
  [[ -x $DOCKER_CONFIG/cli-plugins/docker-compose ]] || missing+=("Compose v2 at $DOCKER_CONFIG/cli-plugins/docker-compose (bash tests/containers/engine.sh install)")
  ((${#missing[@]} == 0)) || die "missing tools: ${missing[*]}"
  "$DOCKER" info >/dev/null 2>&1 || die "no Docker daemon answers on $DOCKER_HOST: bash tests/containers/engine.sh start images"
  # a bind mount with rslave propagation (compose's node-exporter) needs a shared root mount
  [[ $(findmnt -no PROPAGATION / 2>/dev/null) != private ]] || die "the root mount is private, so the daemon refuses rslave bind mounts (the node-exporter's /:/host): bash tests/containers/engine.sh start makes it shared"
  projects=()
  if (($#)); then
    for p in "$@"; do
      [[ -f $p/cfgen.yaml ]] || die "not a project folder (no cfgen.yaml): $p"
      projects+=("$(cd "$p" && pwd)")
    done
  else
    while IFS= read -r f; do projects+=("$(dirname "$f")"); done \
      < <(find "$REPO/examples" "$REPO/app" -maxdepth 2 -name cfgen.yaml 2>/dev/null | sort)
    ((${#projects[@]})) || die "no cfgen.yaml under examples/*/ or app/"
  fi
  RUN_ID="ct$(date +%s)$$"
  work="$(mktemp -d "${TMPDIR:-/tmp}/cfgen-containers.XXXXXX")"
  chmod 0755 "$work"
  # one run at a time on this daemon: the stacks publish the same ports and image names
  exec 9>/run/cfgen-containers.lock
  flock -w 600 9 || die "another tests/containers run holds /run/cfgen-containers.lock (waited 600 s)"
  rc=0
  timeout -k 30 "${CONTAINERS_TIMEOUT:-1500}" bash "$HERE/run.sh" --inside "$work" "$RUN_ID" "${projects[@]}" || rc=$?
  if ((rc == 124 || rc == 137)); then
    echo "containers: TIMEOUT after ${CONTAINERS_TIMEOUT:-1500} s"
  fi
  # the sweep: whatever the run left behind (a deadline can cut its own cleanup short)
  left=$("$DOCKER" ps -aq --filter "label=$LABEL=$RUN_ID" | wc -l)
  if [[ -f $work/state/projects ]]; then
    while read -r p; do
      left=$((left + $("$DOCKER" ps -aq --filter "label=com.docker.compose.project=$p" | wc -l)))
    done <"$work/state/projects"
  fi
  if ((left > 0)) || ((rc == 124 || rc == 137)); then
    echo "containers: sweeping $left container(s) left by run $RUN_ID"
    bash "$HERE/run.sh" --sweep "$work" "$RUN_ID" || true
  fi
  if ((rc == 124 || rc == 137)); then echo "containers: 0 passed, 1 failed"; rc=1; fi
  if [[ ${CONTAINERS_KEEP:-0} == 1 ]]; then echo "containers: kept $work"; else rm -rf "$work"; fi
  exit "$rc"
fi


# ================================ inside ========================================================
shift
work=$1 RUN_ID=$2
shift 2
STATE=$work/state
mkdir -p "$STATE"
touch "$STATE/projects" "$STATE/images"

T0=$(date +%s.%N)
pass=0 fail=0 skipped=0
figures=() failures=() skips=() nothing=()
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
ok() { pass=$((pass + 1)); printf '  PASS %s\n' "$*"; }
ko() { fail=$((fail + 1)); failures+=("$PROJ: $*"); printf '  FAIL %s\n' "$*"; }
skip() { skipped=$((skipped + 1)); skips+=("$PROJ: $*"); printf '  SKIP %s\n' "$*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else ko "$d"; fi; }
figure() { figures+=("$PROJ: $*"); printf '  FIGURE %s\n' "$*"; }
section() { printf '\n== %s: %s (+%s s)\n' "$PROJ" "$*" "$(since "$T0")"; }
indent() { sed 's/^/      | /'; }
wait_until() { # SECONDS CMD...: poll every 0.5 s
  local end=$(($(date +%s) + $1)); shift
  until "$@" >/dev/null 2>&1; do
    (($(date +%s) < end)) || return 1
    sleep 0.5
  done
}
PROJ=setup

finish() {
  local rc=$?
  trap - EXIT INT TERM
  printf '\n== cleanup (+%s s)\n' "$(since "$T0")"
  local t; t=$(now)
  sweep
  figures+=("cleanup: $(since "$t") s")
  figures+=("total: $(since "$T0") s")
  echo
  echo "== figures"
  printf '  %s\n' "${figures[@]}"
  if ((${#nothing[@]})); then
    echo
    echo "== nothing to run (not failures)"
    printf '  - %s\n' "${nothing[@]}"
  fi
  if ((${#skips[@]})); then
    echo
    echo "== skipped assertions (each says what it waits for)"
    printf '  - %s\n' "${skips[@]}"
  fi
  if ((${#failures[@]})); then
    echo
    echo "== failures"
    printf '  - %s\n' "${failures[@]}"
  fi
  ((rc == 0 || fail > 0)) || fail=$((fail + 1))
  echo "containers: $pass passed, $fail failed"
  ((fail == 0)) && exit 0 || exit 1
}
trap finish EXIT
trap 'echo "containers: interrupted (deadline or signal)"; exit 130' INT TERM
trap 'echo "containers: unexpected error (exit $?) at line $LINENO: $BASH_COMMAND" >&2' ERR

# ================================ reading the output =============================================
# yaml_key FILE KEY: a top-level scalar of a simple YAML file (cfgen.yaml's output, name)
yaml_key() { sed -nE "s/^$2:[[:space:]]*\"?([^\"#]*[^\"# ])\"?[[:space:]]*(#.*)?$/\1/p" "$1" | head -1; }

# docker.yaml runtime.security (the policy the images must run under); defaults as cfgen's
security_policy() { # PROJECT_DIR -> "non_root read_only no_new_privileges" as 0/1
  local f=$1/config/deployment/docker.yaml
  python3 - "$f" <<'PY'
import sys, yaml
try:
    doc = yaml.safe_load(open(sys.argv[1])) or {}
except FileNotFoundError:
    doc = {}
sec = ((doc.get("docker_config") or {}).get("runtime") or {}).get("security") or {}
print(*(1 if sec.get(k, True) else 0 for k in ("non_root_user", "read_only_filesystem", "no_new_privileges")))
PY
}

# stages FILE: "name" per FROM line (the stage name, or the index when unnamed)
stages() { awk 'toupper($1) == "FROM" { n++; name = n - 1; for (i = 2; i <= NF; i++) if (toupper($i) == "AS") name = $(i + 1); print name }' "$1"; }
# base_images FILE: the images FROM names (not earlier stages)
base_images() {
  awk 'toupper($1) == "FROM" {
         img = ""; for (i = 2; i <= NF; i++) if ($i !~ /^--/) { img = $i; break }
         if (!(img in st)) print img
         for (i = 2; i <= NF; i++) if (toupper($i) == "AS") st[$(i + 1)] = 1
       }' "$1"
}

# compose's reading of the stack copy (paths absolute inside the copy); the stack's compose:
# the generated file plus the loopback override (see loopback_override)
cj() { jq -r "$@" "$work/$NAME.compose.json"; }
# jq: a service of the `logging` profile (a log collector: not run here, no stand-in exists)
COLLECTOR='def collector: (.profiles // []) | index("logging") != null;'
# (with the monitoring profile: the stack runs with it, so every command sees its services)
compose() { "$DOCKER" compose -p "$CP" "${PROFILE_ARGS[@]}" -f "$STACK/docker-compose.yml" -f "$work/$NAME.loopback.yml" "$@"; }

# The roles of the compose services, from what the file says of them (no name assumed):
#   deploy jobs: services another one waits for with `condition: service_completed_successfully`;
#   monitoring: Prometheus (its image), the services of its profile (Alertmanager, the
#     exporters), and any Alertmanager or exporter image; the stack runs with that profile;
#     the exporter of the database or the cache: the monitoring service that depends on it;
#   scheduled jobs: the other services under a profile (not started by `up`);
#   processes: the other services that run the project's image (built here, or not one of the
#     dependency images below);
#   the database (mysql, mariadb, postgres image), the cache (redis, valkey), the proxy (nginx).
INFRA_RE='^(docker\.io/)?(library/)?(mysql|mariadb|postgres|redis|valkey|nginx)(:|@|$)'
PROM_RE='(^|/)prometheus(:|@|$)'
AM_RE='(^|/)alertmanager(:|@|$)'
MON_RE='(^|/)(prometheus|alertmanager)(:|@|$)|[-_]exporter(:|@|$)'
read_roles() {
  mapfile -t DEPLOY_JOBS < <(cj '[.services[] | (.depends_on // {}) | to_entries[] | select(.value.condition == "service_completed_successfully") | .key] | unique | .[]')
  PROMETHEUS=$(cj --arg re "$PROM_RE" '[.services | to_entries[] | select((.value.image // "") | test($re)) | .key] | first // empty')
  ALERTMANAGER=$(cj --arg re "$AM_RE" '[.services | to_entries[] | select((.value.image // "") | test($re)) | .key] | first // empty')
  MON_PROFILE="" PROFILE_ARGS=()
  [[ -z $PROMETHEUS ]] || MON_PROFILE=$(cj --arg s "$PROMETHEUS" '.services[$s].profiles // [] | first // empty')
  [[ -z $MON_PROFILE ]] || PROFILE_ARGS=(--profile "$MON_PROFILE")
  mapfile -t MON_SVCS < <(cj --arg re "$MON_RE" --arg p "$MON_PROFILE" '.services | to_entries[] | select(((.value.image // "") | test($re)) or ($p != "" and ((.value.profiles // []) | any(.[]; . == $p)))) | .key')
  local mon=" ${MON_SVCS[*]} "
  # (the `logging` profile's collectors are not run here: see the stand-in check)
  mapfile -t SCHED_JOBS < <(cj "$COLLECTOR"' .services | to_entries[] | select((.value.profiles // []) | length > 0) | select(.value | collector | not) | .key' | while read -r s; do [[ $mon == *" $s "* ]] || echo "$s"; done)
  local collectors
  collectors=$(cj "$COLLECTOR"' .services | to_entries[] | select(.value | collector) | .key' | tr '\n' ' ')
  local jobs=" ${DEPLOY_JOBS[*]} ${SCHED_JOBS[*]} ${MON_SVCS[*]} $collectors "
  PROCS=()
  local s
  while IFS=$'\t' read -r s img built; do
    [[ $jobs == *" $s "* ]] && continue
    if [[ $built == true ]] || ! [[ $img =~ $INFRA_RE ]]; then PROCS+=("$s"); fi
  done < <(cj '.services | to_entries[] | [.key, (.value.image // ""), (.value.build != null)] | @tsv')
  DB="" DB_ENGINE="" CACHE="" PROXY=""
  while IFS=$'\t' read -r s img; do
    [[ $jobs == *" $s "* ]] && continue
    case $img in
      mysql* | mariadb* | */mysql* | */mariadb*) [[ -n $DB ]] || { DB=$s DB_ENGINE=mysql; } ;;
      postgres* | */postgres*) [[ -n $DB ]] || { DB=$s DB_ENGINE=postgres; } ;;
      redis* | valkey* | */redis* | */valkey*) [[ -n $CACHE ]] || CACHE=$s ;;
      nginx* | */nginx*) [[ -n $PROXY ]] || PROXY=$s ;;
    esac
  done < <(cj '.services | to_entries[] | select(.value.build == null) | [.key, (.value.image // "")] | @tsv')
  # the exporters of the database and the cache: the monitoring services that wait for them
  DB_EXPORTER="" CACHE_EXPORTER=""
  for s in "${MON_SVCS[@]}"; do
    [[ -n $DB && -z $DB_EXPORTER && $(cj --arg s "$s" --arg d "$DB" '.services[$s].depends_on // {} | has($d)') == true ]] && DB_EXPORTER=$s
    [[ -n $CACHE && -z $CACHE_EXPORTER && $(cj --arg s "$s" --arg d "$CACHE" '.services[$s].depends_on // {} | has($d)') == true ]] && CACHE_EXPORTER=$s
  done
  # the public process: the one nginx proxies to (its upstream's `server HOST:PORT`)
  PUBLIC="" PUBLIC_PORT=""
  local conf=$STACK/nginx/nginx.conf hp
  if [[ -n $PROXY && -f $conf ]]; then
    hp=$(awk '/^[[:space:]]*upstream[[:space:]]/ { up = 1 } up && $1 == "server" { sub(/;.*/, "", $2); print $2; exit } up && /}/ { up = 0 }' "$conf")
    [[ -n $hp ]] || hp=$(sed -nE 's/^\s*proxy_pass\s+https?:\/\/([A-Za-z0-9_.-]+:[0-9]+).*/\1/p' "$conf" | head -1)
    PUBLIC=${hp%%:*} PUBLIC_PORT=${hp##*:}
  fi
}
is_proc() { [[ " ${PROCS[*]} " == *" $1 "* ]]; }
has_healthcheck() { [[ $(cj --arg s "$1" '.services[$s].healthcheck | if . == null or .disable == true then "no" else "yes" end') == yes ]]; }

# The probe paths of a process (its Kubernetes Deployment, else cfgen's defaults)
probe_paths() { # SERVICE -> "liveness readiness"
  local f; f=$(find "$STACK/k8s" -mindepth 2 -maxdepth 2 -name "deployment-$1.yaml" 2>/dev/null | sort | head -1)
  [[ -n $f ]] || { echo "/health /ready"; return; }
  python3 - "$f" <<'PY'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
c = d["spec"]["template"]["spec"]["containers"][0]
path = lambda p, dflt: ((c.get(p) or {}).get("httpGet") or {}).get("path") or dflt
print(path("livenessProbe", "/health"), path("readinessProbe", "/ready"))
PY
}

# secret_file SERVICE VAR: the host file of the secret the service reads at $VAR_FILE
secret_file() {
  local target; target=$(cj --arg s "$1" --arg v "$2" '.services[$s].environment[$v + "_FILE"] // empty')
  [[ -n $target ]] || return 1
  cj --arg s "$1" --arg t "$target" '.services[$s].secrets // [] | .[] | select(("/run/secrets/" + (.target // .source)) == $t or .target == $t) | .source' |
    head -1 | { read -r name && cj --arg n "$name" '.secrets[$n].file // empty'; }
}

# ================================ 1. images =====================================================
# build_dockerfile DOCKERFILE CONTEXT TAG: every stage, the last one tagged TAG
build_dockerfile() {
  local df=$1 ctx=$2 tag=$3 dir rel st last t0 rc=0
  rel=${df#"$OUT"/}
  dir="$work/build/$NAME/${rel//\//_}"
  mkdir -p "$dir"
  # BuildKit would fetch a `# syntax=` frontend from Docker Hub (unreachable here; FINDINGS F2);
  # the built-in frontend reads the same Dockerfile. The only change to the copy, if any.
  sed '1{/^# *syntax=/d}' "$df" >"$dir/Dockerfile"
  [[ -f $df.dockerignore ]] && cp "$df.dockerignore" "$dir/Dockerfile.dockerignore"
  mapfile -t st < <(stages "$df")
  last=${st[-1]}
  local s
  for s in "${st[@]}"; do
    t0=$(now)
    local t="cfgen-ct-$RUN_ID/$NAME:stage-$s"
    [[ $s == "$last" ]] && t=$tag
    echo "$t" >>"$STATE/images"
    if "$DOCKER" build --network host --target "$s" -f "$dir/Dockerfile" -t "$t" "$ctx" \
      >"$work/logs/$NAME.build-$s.log" 2>&1; then
      ok "docker build ${rel} --target $s (context $(realpath --relative-to="$REPO" "$ctx")/) -> $t"
      figure "image build $rel stage $s: $(since "$t0") s"
    else
      ko "docker build ${rel} --target $s failed:"
      tail -n 25 "$work/logs/$NAME.build-$s.log" | indent
      rc=1
      break
    fi
  done
  [[ $rc == 0 ]] && figure "image $tag: $("$DOCKER" image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}')"
  return $rc
}

# ================================ 2. the image alone, hardened ==================================
# run_hardened IMAGE [SERVICE]: docker run with docker.yaml's security, until HEALTHCHECK healthy;
# with the environment and the secrets (files compose-secrets.sh made) of the compose service
# that runs the image's own CMD
run_hardened() {
  local img=$1 svc=${2:-} user nr ro nnp
  read -r nr ro nnp <<<"$(security_policy "$PROJ_DIR")"
  user=$("$DOCKER" image inspect -f '{{.Config.User}}' "$img")
  if ((nr)); then
    check "$img: USER is a numeric non-root uid:gid (docker.yaml non_root_user; got '${user:-none}')" \
      bash -c '[[ $1 =~ ^[0-9]+(:[0-9]+)?$ && ${1%%:*} != 0 ]]' _ "$user"
  fi
  local hc; hc=$("$DOCKER" image inspect -f '{{json .Config.Healthcheck}}' "$img")
  if [[ $hc == null || $hc == '{}' ]]; then ko "$img has no HEALTHCHECK"; return; fi
  local args=(--detach --label "$LABEL=$RUN_ID" --network none --cap-drop ALL --tmpfs /tmp:size=64m)
  ((ro)) && args+=(--read-only)
  ((nnp)) && args+=(--security-opt no-new-privileges:true)
  ((nr)) && args+=(--user "$user")
  # dependencies point nowhere (no network): liveness must not need them
  local kv src target file
  if [[ -n $svc ]]; then
    while IFS= read -r kv; do args+=(--env "$kv"); done < <(cj --arg s "$svc" '.services[$s].environment // {} | to_entries[] | "\(.key)=\(.value)"')
    while IFS=$'\t' read -r src target; do
      file=$(cj --arg n "$src" '.secrets[$n].file // empty')
      [[ -n $file && -f $file ]] || { ko "the secret $src of $svc has no file (compose-secrets.sh made none)"; return; }
      [[ $target == /* ]] || target=/run/secrets/$target
      args+=(--volume "$file:$target:ro")
    done < <(cj --arg s "$svc" '.services[$s].secrets // [] | .[] | [.source, (.target // .source)] | @tsv')
  fi
  # the image's own HEALTHCHECK command and timeout; probed every 2 s instead of its interval
  args+=(--health-interval 2s)
  local c t0; t0=$(now)
  c=$("$DOCKER" run "${args[@]}" "$img" 2>"$work/logs/$NAME.alone.err") || { ko "docker run $img (hardened) failed: $(cat "$work/logs/$NAME.alone.err")"; return; }
  healthy() { [[ $("$DOCKER" inspect -f '{{.State.Health.Status}}' "$c") == healthy ]]; }
  local desc="read-only root=$ro, --user $user, no-new-privileges=$nnp, cap-drop ALL, no network${svc:+, the environment and secrets of the compose service $svc}"
  if wait_until 90 healthy; then
    ok "$img runs alone ($desc) and its HEALTHCHECK reports healthy"
    figure "$img alone: healthy after $(since "$t0") s"
  else
    ko "$img alone ($desc): not healthy within 90 s (state: $("$DOCKER" inspect -f '{{.State.Status}} {{.State.Health.Status}}' "$c"))"
    "$DOCKER" logs --tail 15 "$c" 2>&1 | indent
    "$DOCKER" inspect -f '{{range .State.Health.Log}}{{.ExitCode}} {{.Output}}{{end}}' "$c" 2>/dev/null | tail -n 5 | indent
  fi
  local uids; uids=$("$DOCKER" top "$c" -o pid,uid 2>/dev/null | awk 'NR > 1 { print $2 }' | sort -u | tr '\n' ' ')
  ((nr)) && check "every process of $img runs as uid ${user%%:*} (docker top: $uids)" test "$uids" = "${user%%:*} "
  if ((ro)); then
    local w
    if "$DOCKER" exec "$c" sh -c 'exit 0' >/dev/null 2>&1; then
      w=$("$DOCKER" exec "$c" sh -c 'touch /cfgen-probe 2>&1; echo rc=$?' 2>&1 | tr '\n' ' ' || true)
      check "$img: the root filesystem is read-only ($w)" bash -c '[[ $1 == *"Read-only file system"* ]]' _ "$w"
    else
      # no shell in the image (scratch): the daemon refuses a file copied into its root
      w=$("$DOCKER" cp "$work/logs/$NAME.alone.err" "$c:/cfgen-probe" 2>&1 | tr '\n' ' ' || true)
      check "$img: the root filesystem is read-only (no shell in the image; docker cp into /: $w)" bash -c '[[ $1 == *"read-only"* ]]' _ "$w"
    fi
  fi
  t0=$(now)
  "$DOCKER" stop -t 30 "$c" >/dev/null
  local code dt; code=$("$DOCKER" inspect -f '{{.State.ExitCode}}' "$c"); dt=$(since "$t0")
  check "$img stops on SIGTERM: exit $code after $dt s (docker stop -t 30)" \
    awk -v c="$code" -v t="$dt" 'BEGIN { exit !(c == 0 && t < 10) }'
  "$DOCKER" rm -f -v "$c" >/dev/null
}

# ================================ 3. the stack ==================================================
# the operator's files, as the compose header says: the generated compose-secrets.sh makes the
# secret files (unmodified, in the copy); nothing is written by hand
make_secrets() {
  local n_file n_env
  n_file=$(cj '[.secrets // {} | to_entries[] | select(.value.file)] | length')
  n_env=$(cj '[.secrets // {} | to_entries[] | select(.value.environment)] | length')
  if ((n_env > 0)); then
    ko "docker-compose.yml sources $n_env secret(s) from the environment ($(cj '[.secrets | to_entries[] | select(.value.environment) | .key + " <- $" + .value.environment] | join(", ")')): Compose refuses them in read-only services (FINDINGS.md F1); the generator writes file secrets"
  fi
  # the bind mounts of folders under secrets/ (the monitoring profile's Alertmanager credentials)
  local n_dirs
  n_dirs=$(cj --arg d "$STACK/secrets/" '[.services[] | (.volumes // [])[] | select(.type == "bind" and (.source | startswith($d)))] | length')
  ((n_file + n_dirs > 0)) || return 0
  if [[ ! -f $STACK/compose-secrets.sh ]]; then
    ko "docker-compose.yml reads $n_file file secret(s) and $n_dirs bind mount(s) of secrets/ but the output has no compose-secrets.sh"
    return 1
  fi
  if bash "$STACK/compose-secrets.sh" >"$work/logs/$NAME.compose-secrets.log" 2>&1; then
    ok "compose-secrets.sh (generated, unmodified) exit 0: $(grep '^created ' "$work/logs/$NAME.compose-secrets.log" | sed 's/^created //' | tr '\n' ' ')"
  else
    ko "compose-secrets.sh failed:"
    indent <"$work/logs/$NAME.compose-secrets.log"
    return 1
  fi
  local missing=() name file
  while IFS=$'\t' read -r name file; do
    [[ -s $file ]] || missing+=("$name (${file#"$STACK"/})")
  done < <(cj '.secrets // {} | to_entries[] | select(.value.file) | [.key, .value.file] | @tsv')
  check "every file secret docker-compose.yml reads exists and is not empty (${n_file})${missing:+; missing: ${missing[*]}}" test "${#missing[@]}" = 0
  # a missing bind-mount source would be made by the daemon, empty and root's
  local absent=() src
  while IFS= read -r src; do
    [[ -e $src ]] || absent+=("${src#"$STACK"/}")
  done < <(cj --arg d "$STACK/secrets/" '[.services[] | (.volumes // [])[] | select(.type == "bind" and (.source | startswith($d))) | .source] | unique | .[]')
  ((n_dirs == 0)) || check "every folder under secrets/ that docker-compose.yml mounts exists ($n_dirs mount(s))${absent:+; missing: ${absent[*]}}" test "${#absent[@]}" = 0
  # run again: existing files are kept
  local again; again=$(bash "$STACK/compose-secrets.sh" 2>&1 | grep -c '^created ' || true)
  check "compose-secrets.sh run again keeps every file (created: $again)" test "$again" = 0
}

# stack_up: compose up --wait, bounded; with the monitoring profile (one `up` for both: the
# services start together, so the monitoring adds no healthcheck intervals of its own)
stack_up() {
  local t0; t0=$(now)
  if timeout 420 "$DOCKER" compose -p "$CP" "${PROFILE_ARGS[@]}" -f "$STACK/docker-compose.yml" -f "$work/$NAME.loopback.yml" \
    up -d --wait --wait-timeout 360 --no-build --pull never >"$work/logs/$NAME.up.log" 2>&1; then
    figure "compose up -d --wait: $(since "$t0") s"
    return 0
  fi
  figure "compose up -d --wait: failed after $(since "$t0") s"
  return 1
}

# Published ports on loopback only. A port of a service on a compose network without a host
# address binds 0.0.0.0 and :: (the daemon's --ip covers the default bridge only). So the stack
# runs with one override file beside the generated one, written from compose's own reading:
# the same ports, host_ip 127.0.0.1. It changes nothing else.
loopback_override() {
  {
    echo "# tests/containers: the generated ports, bound to 127.0.0.1"
    echo "services:"
    cj '.services | to_entries[] | select((.value.ports // []) | length > 0) |
      "  \(.key | tojson):\n    ports: !override\n" +
      ([.value.ports[] | "      - target: \(.target)\n        published: \(.published | tostring | tojson)\n        protocol: \(.protocol // "tcp")\n        host_ip: 127.0.0.1"] | join("\n"))'
  } >"$work/$NAME.loopback.yml"
  grep -q '^  ' "$work/$NAME.loopback.yml" || printf '# tests/containers: no published ports\nservices: {}\n' >"$work/$NAME.loopback.yml"
}

# certificate: at the host side of the bind mount holding nginx.conf's ssl_certificate paths
make_certs() {
  local conf=$STACK/nginx/nginx.conf cert key src target
  cert=$(sed -nE 's/^\s*ssl_certificate\s+([^;]+);.*/\1/p' "$conf" | head -1)
  key=$(sed -nE 's/^\s*ssl_certificate_key\s+([^;]+);.*/\1/p' "$conf" | head -1)
  [[ -n $cert && -n $key ]] || return 0
  while IFS=$'\t' read -r src target; do
    if [[ $cert == "$target"/* ]]; then
      [[ $src == "$STACK"/* ]] || { echo "bind mount $src is outside the stack copy"; return 1; }
      mkdir -p "$src"
      local san; san=$(for n in $SERVER_NAMES; do printf 'DNS:%s,' "$n"; done)
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj "/CN=${SERVER_NAMES%% *}" -addext "subjectAltName=${san%,}" \
        -keyout "$src/${key#"$target"/}" -out "$src/${cert#"$target"/}" >/dev/null 2>&1
      chmod 0644 "$src/${key#"$target"/}"
      cp "$src/${cert#"$target"/}" "$work/$NAME.ca.pem"
      return 0
    fi
  done < <(cj --arg p "$PROXY" '.services[$p].volumes // [] | .[] | select(.type == "bind") | [.source, .target] | @tsv')
  return 1
}

headers_ok() { # HEADERS
  local h=$1 miss=()
  grep -qiE '^strict-transport-security: max-age=[0-9]+' <<<"$h" || miss+=(Strict-Transport-Security)
  grep -qi '^x-content-type-options: nosniff' <<<"$h" || miss+=(X-Content-Type-Options)
  grep -qiE '^x-frame-options: (DENY|SAMEORIGIN)' <<<"$h" || miss+=(X-Frame-Options)
  grep -qi '^referrer-policy: ' <<<"$h" || miss+=(Referrer-Policy)
  grep -qi '^content-security-policy: ' <<<"$h" || miss+=(Content-Security-Policy)
  if grep -qiE '^server: nginx/[0-9]' <<<"$h"; then miss+=("Server without version"); fi
  ((${#miss[@]} == 0)) || { echo "      missing: ${miss[*]}"; return 1; }
}

# fetch inside the compose network (the public process's port is not published): with the
# proxy container's wget
inside_get() { compose exec -T "$PROXY" wget -q -O - "http://$PUBLIC:$PUBLIC_PORT$1"; }

# --- the database, per engine -------------------------------------------------------------------
# db_sql SQL: as the database's administrator inside its container (the password from the file
# its *_FILE variable names), tab-separated rows
db_sql() {
  case $DB_ENGINE in
    mysql)
      compose exec -T -e "SQL=$1" "$DB" bash -c 'pw=${MYSQL_ROOT_PASSWORD:-}
        if [[ -z $pw && -n ${MYSQL_ROOT_PASSWORD_FILE:-} ]]; then pw=$(<"$MYSQL_ROOT_PASSWORD_FILE"); fi
        MYSQL_PWD=$pw exec mysql -uroot -N -B -e "$SQL"' ;;
    postgres)
      compose exec -T -e "SQL=$1" -e "IN_DB=${2:-}" "$DB" bash -c 'u=${POSTGRES_USER:-postgres}
        exec psql -X -q -A -t -F "	" -v ON_ERROR_STOP=1 -U "$u" -d "${IN_DB:-${POSTGRES_DB:-$u}}" -c "$SQL"' ;;
  esac
}
db_name() {
  case $DB_ENGINE in
    mysql) cj --arg d "$DB" '.services[$d].environment.MYSQL_DATABASE // empty' ;;
    postgres) cj --arg d "$DB" '.services[$d].environment | .POSTGRES_DB // .POSTGRES_USER // "postgres"' ;;
  esac
}
db_tables() {
  case $DB_ENGINE in
    mysql) db_sql "SELECT table_name FROM information_schema.tables WHERE table_schema = '$(db_name)' ORDER BY 1" ;;
    postgres) db_sql "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1" ;;
  esac
}
# the tables migration tools record their work in
MIGRATION_TABLES="alembic_version _sqlx_migrations django_migrations schema_migrations knex_migrations _prisma_migrations flyway_schema_history goose_db_version migrations"

# --- the app's own API (APP_TRAFFIC above): writes through nginx, also the data a backup keeps ---
app_traffic_orders() { # users, products, orders, payments (the bundled shop and ecommerce)
  local r uid pid oid
  r=$("${CURL[@]}" -X POST -H 'Content-Type: application/json' -d '{"email":"containers@example.com","name":"Containers"}' -w '\n%{http_code}' "$BASE/users") || true
  uid=$(sed '$d' <<<"$r" | jq -r '.id // empty' 2>/dev/null || true)
  check "POST /users through nginx: 201 (got $(tail -n1 <<<"$r"))" test "$(tail -n1 <<<"$r")" = 201
  pid=$("${CURL[@]}" "$BASE/products" | jq -r '.products[0].id' 2>/dev/null || true)
  r=$("${CURL[@]}" -X POST -H 'Content-Type: application/json' -d "{\"user_id\":${uid:-0},\"items\":[{\"product_id\":${pid:-0},\"quantity\":2}]}" -w '\n%{http_code}' "$BASE/orders") || true
  oid=$(sed '$d' <<<"$r" | jq -r '.id // empty' 2>/dev/null || true)
  check "POST /orders through nginx: 201 (got $(tail -n1 <<<"$r"))" test "$(tail -n1 <<<"$r")" = 201
  r=$("${CURL[@]}" -X POST -w '\n%{http_code}' "$BASE/orders/${oid:-0}/pay") || true
  check "POST /orders/{id}/pay through nginx: 200 (got $(tail -n1 <<<"$r"))" test "$(tail -n1 <<<"$r")" = 200
}
app_traffic_tasks() { # the tasks of examples/tasks
  local r id
  r=$("${CURL[@]}" -X POST -H 'Content-Type: application/json' -d '{"title":"written through nginx"}' -w '\n%{http_code}' "$BASE/tasks") || true
  id=$(sed '$d' <<<"$r" | jq -r '.id // empty' 2>/dev/null || true)
  check "POST /tasks through nginx: 201 with an id (got $(tail -n1 <<<"$r") ${id:+id $id})" bash -c '[[ $1 == 201 && -n $2 ]]' _ "$(tail -n1 <<<"$r")" "$id"
  r=$("${CURL[@]}" "$BASE/tasks") || true
  check "GET /tasks through nginx lists it" bash -c 'jq -e --argjson i "${2:-0}" "any(.tasks[]; .id == \$i)" <<<"$1" >/dev/null' _ "$r" "$id"
}

test_stack() {
  local svc t_up
  section "compose: the generated compose-secrets.sh, a throwaway certificate, the loopback override"
  if [[ -n $PROXY ]]; then
    if make_certs; then ok "a throwaway certificate for $SERVER_NAMES where $PROXY mounts its ssl folder"; else ko "no bind mount of nginx's ssl_certificate folder in compose"; return; fi
  fi
  local allif; allif=$(cj '[.services | to_entries[] | .key as $s | (.value.ports // [])[] | select((.host_ip // "") == "" or .host_ip == "0.0.0.0" or .host_ip == "::") | "\($s) \(.published)->\(.target)"] | join(", ")')
  [[ -z $allif ]] || echo "  NOTE: docker-compose.yml publishes on every interface ($allif); this run binds them to 127.0.0.1 with an override file (FINDINGS.md N1)"
  loopback_override
  indent <"$work/$NAME.loopback.yml"
  echo "  roles: processes ${PROCS[*]:-none} (public: ${PUBLIC:-none}${PUBLIC_PORT:+:$PUBLIC_PORT}); deploy jobs ${DEPLOY_JOBS[*]:-none}; scheduled jobs ${SCHED_JOBS[*]:-none}; database ${DB:-none}${DB_ENGINE:+ ($DB_ENGINE)}; cache ${CACHE:-none}; proxy ${PROXY:-none}; monitoring ${MON_SVCS[*]:-none}${MON_PROFILE:+ (profile $MON_PROFILE)}"
  if [[ -f $STACK/monitoring/prometheus.yml && -z $PROMETHEUS ]]; then
    ko "the output has monitoring/prometheus.yml but docker-compose.yml runs no Prometheus (issue 10: the monitoring configured is deployed)"
  fi

  section "compose${MON_PROFILE:+ --profile $MON_PROFILE} up -d --wait (docker-compose.yml unmodified)"
  if stack_up; then
    ok "docker compose up -d --wait: every service running and healthy (the generated file, unmodified)"
  else
    ko "docker compose up -d --wait of the generated docker-compose.yml: $(grep -v 'IPv4 forwarding' "$work/logs/$NAME.up.log" | tail -n 1)"
    grep -v 'IPv4 forwarding' "$work/logs/$NAME.up.log" | tail -n 12 | indent
    compose ps -a 2>/dev/null | indent
    for svc in $(cj '.services | keys[]'); do echo "      --- $svc"; compose logs --tail 8 "$svc" 2>&1 | indent; done
    compose down -v --remove-orphans -t 5 >/dev/null 2>&1 || true
    return
  fi
  t_up=$(now)
  compose ps -a --format '{{.Service}}\t{{.State}}\t{{.Status}}' 2>/dev/null | indent

  # ports: published on loopback only, and only by the proxy (and the monitoring UIs)
  local pubs; pubs=$(compose ps -a --format json 2>/dev/null | jq -rs 'flatten | .[] | .Service as $s | (.Publishers // [])[] | select(.PublishedPort > 0) | "\($s) \(.URL):\(.PublishedPort)->\(.TargetPort)"' | sort -u | tr '\n' ';')
  if [[ -n $PROXY ]]; then
    local allowed; allowed=$(printf '%s|' "$PROXY" "${MON_SVCS[@]}")
    check "published ports bind 127.0.0.1 only, and only $PROXY${MON_SVCS[*]:+ and the monitoring services} publish ($pubs)" \
      bash -c '[[ $1 == *"$2 127.0.0.1:"* ]] && ! tr ";" "\n" <<<"$1" | grep -v "^$" | grep -vqE "^($3) 127\.0\.0\.1:"' _ "$pubs" "$PROXY" "${allowed%|}"
  else
    check "published ports bind 127.0.0.1 only (${pubs:-none})" bash -c '! tr ";" "\n" <<<"$1" | grep -v "^$" | grep -vqE "^[^ ]+ 127\.0\.0\.1:"' _ "$pubs"
  fi

  # --- the processes ---------------------------------------------------------------------------
  section "the processes: running, healthy where they have a healthcheck"
  local c st
  for svc in "${PROCS[@]}"; do
    c=$(compose ps -q "$svc" 2>/dev/null | head -1)
    [[ -n $c ]] || { ko "process $svc: no container"; continue; }
    st=$("$DOCKER" inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}-{{end}}' "$c")
    local what="process $svc"
    [[ $(cj --arg s "$svc" '(.services[$s].expose // []) + (.services[$s].ports // []) | length') == 0 ]] && what="process $svc (no port: a worker)"
    if has_healthcheck "$svc"; then
      check "$what is running and healthy ($(cj --arg s "$svc" '.services[$s].healthcheck.test | if type == "array" then .[1:] | join(" ") else . end'); state: $st)" test "$st" = "running healthy"
    else
      check "$what is running (no healthcheck in compose; state: $st)" bash -c '[[ $1 == running* ]]' _ "$st"
    fi
    # its writable named volumes (data volumes, log folders): the process's own user can
    # write there (a fresh named volume takes the owner of the image's folder)
    local target
    while IFS= read -r target; do
      [[ -n $target ]] || continue
      check "process $svc can write its volume at $target (as $(cj --arg s "$svc" '.services[$s].user // "the image user"'))" \
        compose exec -T "$svc" sh -c 'f="$1/.cfgen-write-check.$$" && : >"$f" && rm -f "$f"' _ "$target"
    done < <(cj --arg s "$svc" '.services[$s].volumes // [] | .[] | select(.type == "volume" and (.read_only // false) == false) | .target')
  done

  # --- deploy jobs before the processes --------------------------------------------------------
  section "deploy jobs: completed before the processes started"
  local job jc code fin dep dc start
  ((${#DEPLOY_JOBS[@]})) || echo "  (no deploy job in docker-compose.yml)"
  for job in "${DEPLOY_JOBS[@]}"; do
    jc=$(compose ps -a -q "$job" 2>/dev/null | head -1)
    [[ -n $jc ]] || { ko "deploy job $job: no container"; continue; }
    code=$("$DOCKER" inspect -f '{{.State.ExitCode}} {{.State.Status}}' "$jc")
    check "deploy job $job ran '$(cj --arg s "$job" '.services[$s].command // [] | join(" ")')' and exited 0 (got: $code)" test "$code" = "0 exited"
    fin=$("$DOCKER" inspect -f '{{.State.FinishedAt}}' "$jc")
    for dep in $(cj --arg j "$job" '.services | to_entries[] | select((.value.depends_on // {})[$j].condition == "service_completed_successfully") | .key'); do
      dc=$(compose ps -a -q "$dep" 2>/dev/null | head -1)
      [[ -n $dc ]] || continue
      start=$("$DOCKER" inspect -f '{{.State.StartedAt}}' "$dc")
      check "$job finished ($fin) before $dep started ($start)" \
        bash -c '(( $(date -d "$1" +%s%N) <= $(date -d "$2" +%s%N) ))' _ "$fin" "$start"
    done
  done
  if [[ -n $DB ]]; then
    local tables mt rec=""
    tables=$(db_tables 2>&1 | tr '\n' ' ') || true
    check "the $DB_ENGINE database $(db_name) has tables after the deploy jobs (${tables:-none})" bash -c '[[ -n ${1// /} && $1 != *ERROR* && $1 != *rror:* ]]' _ "$tables"
    for mt in $MIGRATION_TABLES; do
      if [[ " $tables " == *" $mt "* ]]; then
        local qt=$mt
        [[ $DB_ENGINE == mysql ]] && qt="\`$(db_name)\`.\`$mt\`"
        rec="$mt: $(db_sql "SELECT COUNT(*) FROM $qt" 2>/dev/null || echo '?') row(s)"
        break
      fi
    done
    if [[ -n $rec ]]; then
      check "the migration tool recorded its work ($rec)" bash -c '[[ $1 =~ :\ [1-9][0-9]*\ row ]]' _ "$rec"
    else
      echo "  NOTE: no table of a known migration tool ($MIGRATION_TABLES) among: $tables"
    fi
  fi

  # --- the monitoring profile ----------------------------------------------------------------
  [[ -n $PROMETHEUS ]] && test_monitoring

  # --- through nginx ------------------------------------------------------------------------
  if [[ -z $PROXY || -z $PUBLIC ]]; then
    echo "  NOTE: no nginx service proxying to a process in docker-compose.yml: no requests through a proxy"
  elif ! is_proc "$PUBLIC"; then
    ko "nginx.conf proxies to $PUBLIC:$PUBLIC_PORT, which is not a process of docker-compose.yml (${PROCS[*]})"
  else
    test_proxy
  fi

  # --- scheduled jobs: not started by up, run on demand (after the traffic: they see its data) --
  if ((${#SCHED_JOBS[@]})); then
    section "scheduled jobs: not started by up; docker compose --profile P run --rm JOB"
    local prof t0 out rc
    for job in "${SCHED_JOBS[@]}"; do
      prof=$(cj --arg s "$job" '.services[$s].profiles[0]')
      local n_c; n_c=$("$DOCKER" ps -aq --filter "label=com.docker.compose.project=$CP" --filter "label=com.docker.compose.service=$job" | wc -l)
      check "scheduled job $job (profile $prof) was not started by up ($n_c container(s))" test "$n_c" = 0
      # the host folders it binds that docker will create (a file backup's repository): made
      # by this run, so removed after it (a later run would find another run's repository)
      local made=() src
      while IFS= read -r src; do
        [[ -n $src && $src == /?*/* && ! -e $src ]] && made+=("$src")
      done < <(cj --arg s "$job" '.services[$s].volumes // [] | .[] | select(.type == "bind") | .source')
      t0=$(now) rc=0
      timeout 300 "$DOCKER" compose -p "$CP" "${PROFILE_ARGS[@]}" -f "$STACK/docker-compose.yml" -f "$work/$NAME.loopback.yml" \
        --profile "$prof" run -T --rm "$job" >"$work/logs/$NAME.job-$job.log" 2>&1 || rc=$?
      ((${#made[@]} == 0)) || rm -rf -- "${made[@]}"
      out=$(grep -v -e 'IPv4 forwarding' -e '^ Container ' "$work/logs/$NAME.job-$job.log" | tail -n 1 | cut -c1-160)
      check "docker compose --profile $prof run --rm $job: exit $rc after $(since "$t0") s (last line: $out)" test "$rc" = 0
      ((rc == 0)) || tail -n 12 "$work/logs/$NAME.job-$job.log" | indent
      figure "scheduled job $job (compose run --rm): $(since "$t0") s"
    done
  fi

  # --- backup ---------------------------------------------------------------------------------
  case $DB_ENGINE in
    mysql | postgres) test_backup ;;
    *) [[ -z $DB ]] || ko "no backup check for the database image of $DB" ;;
  esac

  # --- dependencies down ---------------------------------------------------------------------
  [[ -n $PROXY && -n $PUBLIC ]] && is_proc "$PUBLIC" && test_outages

  # --- SIGTERM --------------------------------------------------------------------------------
  section "stop: every process exits 0 on SIGTERM"
  local grace dt
  for svc in "${PROCS[@]}"; do
    grace=$(cj --arg s "$svc" '.services[$s].stop_grace_period // "10s"')
    c=$(compose ps -q "$svc" 2>/dev/null | head -1)
    [[ -n $c ]] || { ko "process $svc: no container to stop"; continue; }
    local t0; t0=$(now)
    compose stop "$svc" >/dev/null 2>&1 || true
    code=$("$DOCKER" inspect -f '{{.State.ExitCode}}' "$c"); dt=$(since "$t0")
    check "$svc stops on SIGTERM: exit $code after $dt s (stop_grace_period $grace)" \
      awk -v c="$code" -v t="$dt" 'BEGIN { exit !(c == 0 && t < 10) }'
    figure "$svc stop (SIGTERM): $dt s"
  done
  figure "assertions after up: $(since "$t_up") s"
  local t1; t1=$(now)
  compose down -v --remove-orphans -t 10 >/dev/null 2>&1 || true
  figure "compose down -v: $(since "$t1") s"
}

# --- monitoring: Prometheus and Alertmanager of the profile, through their published ports ------
# host_path SERVICE PATH: the host file behind PATH in the service (its bind mounts)
host_path() {
  local src target
  while IFS=$'\t' read -r src target; do
    if [[ $2 == "$target" ]]; then echo "$src"; return 0; fi
    if [[ $2 == "$target"/* ]]; then echo "$src/${2#"$target"/}"; return 0; fi
  done < <(cj --arg s "$1" '.services[$s].volumes // [] | .[] | select(.type == "bind") | [.source, .target] | @tsv' | sort -t $'\t' -k2,2r)
  return 1
}
# flag_value SERVICE FLAG DEFAULT: --FLAG=VALUE of the service's command
flag_value() { cj --arg s "$1" --arg f "--$2=" --arg d "$3" '[.services[$s].command // [] | .[] | select(startswith($f)) | .[($f | length):]] | first // $d'; }
published_url() { # SERVICE: http://127.0.0.1:PORT of its first published port
  local target p
  target=$(cj --arg s "$1" '.services[$s].ports // [] | first | .target // empty')
  [[ -n $target ]] || return 1
  p=$(compose port "$1" "$target" 2>/dev/null | sed 's/.*://')
  [[ -n $p && $p != 0 ]] || return 1
  echo "http://127.0.0.1:$p"
}
prom() { curl -sS -m 10 "$PROM_URL$1"; }
iso_epoch='sub("\\.[0-9]+"; "") | sub("[+-]00:00$"; "Z") | fromdateiso8601'
# critical_alerts: the active (pending or firing) alerts labelled severity=critical, one a line
critical_alerts() {
  prom /api/v1/alerts | jq -er '.data.alerts[] | select(.labels.severity == "critical") |
    "\(.labels.alertname){job=\(.labels.job // ""),instance=\(.labels.instance // "")\(if .labels.dependency then ",dependency=" + .labels.dependency else "" end)} \(.state)"'
}

test_monitoring() {
  section "monitoring (profile ${MON_PROFILE:-none}): Prometheus runs the generated files, every target up, Alertmanager ready, no critical alert"
  [[ -n $PROMETHEUS ]] || return 0
  PROM_URL=$(published_url "$PROMETHEUS") || { ko "$PROMETHEUS publishes no port (its API is read through it)"; return; }
  local cfg_in cfg rules_in rules out
  cfg_in=$(flag_value "$PROMETHEUS" config.file /etc/prometheus/prometheus.yml)
  cfg=$(host_path "$PROMETHEUS" "$cfg_in") || { ko "$PROMETHEUS: no bind mount holds its --config.file $cfg_in"; return; }
  check "$PROMETHEUS reads the generated ${cfg#"$STACK"/} (--config.file=$cfg_in, a bind mount of the output)" test -f "$cfg"

  # the configuration it loaded is the generated one: jobs and their targets, rule files, Alertmanagers
  prom /api/v1/status/config | jq -r '.data.yaml // empty' >"$work/$NAME.prom-loaded.yml" 2>/dev/null || true
  out=$(python3 - "$cfg" "$work/$NAME.prom-loaded.yml" <<'PY'
import os, sys, yaml
def view(d):
    jobs = {j["job_name"]: sorted(t for sc in j.get("static_configs") or [] for t in sc.get("targets") or [])
            for j in d.get("scrape_configs") or []}
    rules = sorted(os.path.basename(r) for r in d.get("rule_files") or [])
    ams = sorted(t for am in (d.get("alerting") or {}).get("alertmanagers") or []
                 for sc in am.get("static_configs") or [] for t in sc.get("targets") or [])
    return jobs, rules, ams
gen = view(yaml.safe_load(open(sys.argv[1])))
try:
    got = view(yaml.safe_load(open(sys.argv[2])) or {})
except Exception as e:
    print(f"no loaded configuration ({e})"); sys.exit(1)
desc = f"jobs {', '.join(f'{j} ({len(t)} target(s))' for j, t in gen[0].items())}; rule files {', '.join(gen[1])}; Alertmanagers {', '.join(gen[2]) or 'none'}"
if got != gen:
    print(f"generated: {gen}; loaded: {got}"); sys.exit(1)
print(desc)
PY
) || true
  check "$PROMETHEUS loaded the generated configuration (/api/v1/status/config: $out)" \
    bash -c '[[ $1 == jobs* ]]' _ "$out"
  local reload; reload=$(prom /metrics | sed -nE 's/^prometheus_config_last_reload_successful ([0-9.e+]+)$/\1/p')
  check "$PROMETHEUS: the configuration load succeeded (its /metrics: prometheus_config_last_reload_successful ${reload:-absent})" test "${reload:-}" = 1

  # the rule groups it runs are the generated ones, every rule evaluated without error
  rules_in=$(python3 -c 'import sys, yaml; print(*(yaml.safe_load(open(sys.argv[1])) or {}).get("rule_files") or [], sep="\n")' "$cfg" | head -1)
  [[ $rules_in == /* ]] || rules_in="$(dirname "$cfg_in")/$rules_in"
  rules=$(host_path "$PROMETHEUS" "$rules_in") || { ko "$PROMETHEUS: no bind mount holds its rule file $rules_in"; return; }
  evaluated() { prom /api/v1/rules | jq -e '[.data.groups[].rules[] | select(.health == "unknown")] | length == 0' ; }
  wait_until 45 evaluated || true
  prom /api/v1/rules >"$work/$NAME.prom-rules.json" 2>/dev/null || true
  out=$(python3 - "$rules" "$work/$NAME.prom-rules.json" <<'PY'
import json, sys, yaml
gen = [(g["name"], [r.get("alert") or r.get("record") for r in g.get("rules") or []])
       for g in (yaml.safe_load(open(sys.argv[1])) or {}).get("groups") or []]
try:
    groups = json.load(open(sys.argv[2]))["data"]["groups"]
except Exception as e:
    print(f"no rules from the API ({e})"); sys.exit(1)
got = [(g["name"], [r["name"] for r in g["rules"]]) for g in groups]
bad = [f'{r["name"]} ({r["health"]}: {r.get("lastError", "")})' for g in groups for r in g["rules"] if r["health"] != "ok"]
n = sum(len(r) for _, r in gen)
if sorted(got) != sorted(gen):
    print(f"generated groups {gen}; loaded {got}"); sys.exit(1)
if bad:
    print(f"rules not ok: {', '.join(bad)}"); sys.exit(1)
print(f"{len(gen)} groups ({', '.join(g for g, _ in gen)}), {n} rules, every one evaluated ok")
PY
) || true
  check "$PROMETHEUS runs the generated rules (/api/v1/rules: $out)" bash -c '[[ $1 == *"evaluated ok" ]]' _ "$out"

  # every target the generated file names is scraped, and up (bounded wait: the app's interval)
  local t0; t0=$(now)
  all_up() { prom '/api/v1/targets?state=active' | jq -e '.data.activeTargets | length > 0 and all(.[]; .health == "up")'; }
  wait_until 90 all_up || true
  local t_up; t_up=$(date +%s)
  prom '/api/v1/targets?state=active' >"$work/$NAME.prom-targets.json" 2>/dev/null || true
  local targets down
  targets=$(jq -r '[.data.activeTargets[] | "\(.labels.job) \(.scrapeUrl) \(.health)"] | join("; ")' "$work/$NAME.prom-targets.json" 2>/dev/null || true)
  down=$(jq -r '[.data.activeTargets[] | select(.health != "up") | "\(.labels.job) \(.scrapeUrl) is \(.health): \(.lastError)"] | join("; ")' "$work/$NAME.prom-targets.json" 2>/dev/null || echo "no answer")
  local want_n got_n
  want_n=$(python3 -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); print(sum(len(sc.get("targets") or []) for j in d.get("scrape_configs") or [] for sc in j.get("static_configs") or []))' "$cfg")
  got_n=$(jq -r '.data.activeTargets | length' "$work/$NAME.prom-targets.json" 2>/dev/null || echo 0)
  check "every scrape target is up within 90 s ($(since "$t0") s; $got_n of the $want_n generated: ${targets:-none})${down:+; DOWN: $down}" \
    bash -c '[[ -z $1 && $2 == "$3" && $2 -gt 0 ]]' _ "$down" "$got_n" "$want_n"
  figure "monitoring: every target up after $(since "$t0") s of waiting"
  # the scrape jobs of the database's and the cache's exporters (for the outages below)
  job_of() { jq -r --arg h "$1" '[.data.activeTargets[] | select(.discoveredLabels.__address__ | startswith($h + ":")) | .labels.job] | first // empty' "$work/$NAME.prom-targets.json" 2>/dev/null; }
  DB_JOB="" CACHE_JOB=""
  [[ -z $DB_EXPORTER ]] || DB_JOB=$(job_of "$DB_EXPORTER")
  [[ -z $CACHE_EXPORTER ]] || CACHE_JOB=$(job_of "$CACHE_EXPORTER")
  [[ -z $DB || -n $DB_JOB ]] || ko "no scrape target for the exporter of $DB (${DB_EXPORTER:-no monitoring service depends on $DB})"
  [[ -z $CACHE || -n $CACHE_JOB ]] || ko "no scrape target for the exporter of $CACHE (${CACHE_EXPORTER:-no monitoring service depends on $CACHE})"

  # Alertmanager: ready, known to Prometheus, able to read the credentials its receivers use
  if [[ -n $ALERTMANAGER ]]; then
    AM_URL=$(published_url "$ALERTMANAGER") || { ko "$ALERTMANAGER publishes no port"; AM_URL=""; }
    if [[ -n $AM_URL ]]; then
      local code; code=$(curl -sS -m 10 -o /dev/null -w '%{http_code}' "$AM_URL/-/ready") || true
      check "$ALERTMANAGER is ready ($AM_URL/-/ready: $code)" test "$code" = 200
    fi
    local ams; ams=$(prom /api/v1/alertmanagers | jq -r '[.data.activeAlertmanagers[].url] | join(" ")' 2>/dev/null || true)
    check "$PROMETHEUS sends its alerts to $ALERTMANAGER (/api/v1/alertmanagers: ${ams:-none})" \
      bash -c '[[ " $1" == *"://$2:"* ]]' _ "$ams" "$ALERTMANAGER"
    local amc_in amc files=() f unreadable=()
    amc_in=$(flag_value "$ALERTMANAGER" config.file /etc/alertmanager/alertmanager.yml)
    if amc=$(host_path "$ALERTMANAGER" "$amc_in"); then
      mapfile -t files < <(python3 - "$amc" <<'PY'
import sys, yaml
def walk(v):
    if isinstance(v, dict):
        for k, x in v.items():
            if k.endswith("_file") and isinstance(x, str):
                yield x
            else:
                yield from walk(x)
    elif isinstance(v, list):
        for x in v:
            yield from walk(x)
print(*sorted(set(walk(yaml.safe_load(open(sys.argv[1]))))), sep="\n")
PY
)
      for f in "${files[@]}"; do
        [[ -n $f ]] || continue
        compose exec -T "$ALERTMANAGER" cat "$f" >/dev/null 2>&1 || unreadable+=("$f")
      done
      check "$ALERTMANAGER (as its image's user) reads every credential file its ${amc#"$STACK"/} names (${files[*]:-none})${unreadable:+; unreadable: ${unreadable[*]}}" test "${#unreadable[@]}" = 0
    else
      ko "$ALERTMANAGER: no bind mount holds its --config.file $amc_in"
    fi
  fi

  # the stack is healthy: no critical alert active (pending or firing) once every rule group has
  # been evaluated after the targets were up; a startup transient resolves at the next evaluation
  evaluated_since() { prom /api/v1/rules | jq -e --argjson t "$t_up" "[.data.groups[].lastEvaluation | $iso_epoch] | length > 0 and all(.[]; . > \$t)"; }
  wait_until 45 evaluated_since || true
  no_critical() { prom /api/v1/alerts | jq -e '.status == "success" and ([.data.alerts[] | select(.labels.severity == "critical")] | length == 0)'; }
  t0=$(now)
  wait_until 45 no_critical || true
  local crit others nc=0
  no_critical >/dev/null 2>&1 && nc=1
  crit=$(critical_alerts 2>/dev/null | tr '\n' ';' || true)
  others=$(prom /api/v1/alerts | jq -r '[.data.alerts[] | select(.labels.severity != "critical") | "\(.labels.alertname) (\(.labels.severity // "no severity")) \(.state)"] | join(", ")' 2>/dev/null || true)
  check "no critical alert is pending or firing while the stack is healthy (every group evaluated after the targets were up; ${crit:-none}${others:+; not critical: $others})" \
    test "$nc" = 1
}

test_proxy() {
  local https_port http_port host code h body
  https_port=$(compose port "$PROXY" 443 2>/dev/null | sed 's/.*://') || true
  http_port=$(compose port "$PROXY" 80 2>/dev/null | sed 's/.*://') || true
  [[ -n $https_port ]] || { ko "$PROXY publishes no port for 443"; return; }
  host=${SERVER_NAMES%% *}
  BASE="https://$host:$https_port"
  CURL=(curl -sS -m 10 --cacert "$work/$NAME.ca.pem" --resolve "$host:$https_port:127.0.0.1")
  local live ready
  read -r live ready <<<"$(probe_paths "$PUBLIC")"
  READY_PATH=$ready

  section "requests through the $PROXY container to $PUBLIC:$PUBLIC_PORT ($BASE, TLS against the throwaway certificate)"
  h=$("${CURL[@]}" -D - -o "$work/body" "$BASE$live" | tr -d '\r') || true
  code=$(head -1 <<<"$h" | awk '{print $2}')
  body=$(inside_get "$live" 2>/dev/null || true)
  check "GET $live through nginx answers 200 with $PUBLIC's own answer (got ${code:-nothing}: $(head -c 80 "$work/body"); inside: $(head -c 80 <<<"$body"))" \
    bash -c '[[ $1 == 200 && -n $3 && $(<"$2") == "$3" ]]' _ "$code" "$work/body" "$body"
  check "security headers on a proxied 200" headers_ok "$h"
  local probe404=/cfgen-containers/no-such-path
  h=$("${CURL[@]}" -D - -o /dev/null "$BASE$probe404" | tr -d '\r') || true
  check "an unknown path ($probe404) is proxied to $PUBLIC, which answers 404 (got: $(head -1 <<<"$h"))" \
    bash -c '[[ $1 == HTTP/*" 404"* ]]' _ "$(head -1 <<<"$h")"
  check "security headers on $PUBLIC's 404 too" headers_ok "$h"
  local get=${APP_GET[$NAME]:-}
  if [[ -n $get ]]; then
    code=$("${CURL[@]}" -o "$work/body" -w '%{http_code}' "$BASE$get") || true
    check "GET $get through nginx answers 200 from $PUBLIC (its own API, APP_GET; got $code: $(head -c 100 "$work/body"))" test "$code" = 200
  fi
  if [[ -n $http_port ]]; then
    local red; red=$(curl -sS -m 10 --resolve "$host:$http_port:127.0.0.1" -o /dev/null -w '%{http_code} %{redirect_url}' "http://$host:$http_port${get:-/}?x=1") || true
    check "plain HTTP redirects to HTTPS (got: $red)" bash -c '[[ $1 == "301 https://$2"* ]]' _ "$red" "$host"
  fi
  local max_body mb_n mb_u mb
  max_body=$(sed -nE 's/^\s*client_max_body_size\s+([0-9]+)([kKmMgG]?);.*/\1 \2/p' "$STACK/nginx/nginx.conf" | head -1)
  if [[ -n $max_body ]]; then
    read -r mb_n mb_u <<<"$max_body"
    case $mb_u in k | K) mb=$((mb_n * 1024)) ;; m | M) mb=$((mb_n * 1048576)) ;; g | G) mb=$((mb_n * 1073741824)) ;; *) mb=$mb_n ;; esac
    head -c $((mb + 1024)) /dev/zero >"$work/big.body"
    code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$work/big.body" "$BASE${get:-/}") || true
    rm -f "$work/big.body"
    check "a body over client_max_body_size ($mb_n$mb_u) gets 413 (got $code)" test "$code" = 413
  else
    ko "nginx.conf sets no client_max_body_size"
  fi
  code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$BASE/metrics") || true
  local pub_port; pub_port=$(compose port "$PUBLIC" "$PUBLIC_PORT" 2>/dev/null | grep -v '^:0$' || true)
  check "/metrics is closed from outside: 404 through nginx (got $code), $PUBLIC's port $PUBLIC_PORT is not published (${pub_port:-not published})" \
    bash -c '[[ $1 == 404 && -z $2 ]]' _ "$code" "$pub_port"
  local m; m=$(inside_get /metrics 2>/dev/null || true)
  check "/metrics answers inside the compose network ($PUBLIC:$PUBLIC_PORT, as Prometheus scrapes it): $(grep -c '^# TYPE ' <<<"$m" || true) metric families" \
    bash -c 'grep -q "^# TYPE " <<<"$1"' _ "$m"

  local kind=${APP_TRAFFIC[$NAME]:-}
  if [[ -n $kind ]]; then
    "app_traffic_$kind"
  else
    echo "  NOTE: the test knows nothing of $NAME's own API (APP_TRAFFIC in run.sh): no writes through nginx"
  fi

  # --- rate limit ------------------------------------------------------------------------------
  local rate burst path want
  rate=$(sed -nE 's/.*limit_req_zone .*rate=([0-9]+)r\/s.*/\1/p' "$STACK/nginx/nginx.conf" | head -1)
  burst=$(sed -nE 's/.*limit_req zone=[^ ]+ burst=([0-9]+).*/\1/p' "$STACK/nginx/nginx.conf" | head -1)
  if [[ -n $get ]]; then path=$get want=200; else path=$probe404 want=404; fi
  if [[ -n $rate && -n $burst ]]; then
    sleep "$(awk -v b="$burst" -v r="$rate" 'BEGIN { printf "%.1f", (b + 1) / r }')"
    local n=$((burst + 2 * rate + 20)) urls=() hurls=() i t0 dt codes nok n429 max
    for ((i = 0; i < n; i++)); do urls+=(-o /dev/null "$BASE$path"); hurls+=(-o /dev/null "$BASE$live"); done
    t0=$(now)
    codes=$("${CURL[@]}" -D "$work/burst.headers" -w '%{http_code}\n' "${urls[@]}") || true
    dt=$(since "$t0")
    nok=$(grep -c "^$want\$" <<<"$codes" || true)
    n429=$(grep -c '^429$' <<<"$codes" || true)
    figure "rate limit: $n x GET $path in $dt s on one connection -> $nok x $want, $n429 x 429 (rate $rate r/s, burst $burst)"
    max=$(awk -v b="$burst" -v r="$rate" -v t="$dt" 'BEGIN { printf "%d", b + 1 + r * t + 1 }')
    check "requests beyond rate+burst answer 429 ($n429 of $n)" test "$n429" -gt 0
    check "at least burst+1 (=$((burst + 1))) and at most ~burst+1+rate*t (=$max) reach $PUBLIC ($nok x $want)" \
      bash -c "(( $nok >= $burst + 1 && $nok <= $max && $nok + $n429 == $n ))"
    local h429; h429=$(tr -d '\r' <"$work/burst.headers" | awk -v RS= '/^HTTP\/[0-9.]+ 429/ { print; exit }')
    check "a 429 carries the security headers too" headers_ok "$h429"
    local hcodes; hcodes=$("${CURL[@]}" -w '%{http_code}\n' "${hurls[@]}" | sort | uniq -c | tr -s ' \n' ' ') || true
    check "the probe $live is never rate-limited ($n at once: $hcodes)" test "$hcodes" = " $n 200 "
  else
    ko "nginx.conf has no limit_req_zone rate / limit_req burst"
  fi
}

# alert_fires SERVICE JOB T0: with SERVICE stopped (since T0), a critical alert about the scrape
# job of its exporter fires in Prometheus (one scrape and one evaluation: 30 s at the generated
# 15 s intervals; 60 s allowed) and reaches Alertmanager
alert_fires() {
  local svc=$1 job=$2 t0=$3 name
  [[ -n $job ]] || { ko "$svc stopped: no scrape job of its exporter to alert on"; return; }
  firing() { prom /api/v1/alerts | jq -e --arg j "$job" 'any(.data.alerts[]; .labels.severity == "critical" and .labels.job == $j and .state == "firing")'; }
  if wait_until 60 firing; then
    name=$(prom /api/v1/alerts | jq -r --arg j "$job" '[.data.alerts[] | select(.labels.severity == "critical" and .labels.job == $j and .state == "firing") | .labels.alertname] | unique | join(", ")')
    ok "$svc stopped: Prometheus fires the critical $name for the job $job after $(since "$t0") s"
    figure "alert $name for $svc stopped: firing after $(since "$t0") s"
    if [[ -n $ALERTMANAGER && -n ${AM_URL:-} ]]; then
      in_am() { curl -sS -m 10 "$AM_URL/api/v2/alerts?active=true" | jq -e --arg j "$job" 'any(.[]; .labels.severity == "critical" and .labels.job == $j)'; }
      check "$svc stopped: the alert reaches $ALERTMANAGER (/api/v2/alerts, within 20 s)" wait_until 20 in_am
    fi
  else
    ko "$svc stopped: no critical alert for the job $job fired within 60 s (active: $(critical_alerts 2>/dev/null | tr '\n' ';' || echo none))"
  fi
}

# cache_alert_pending SERVICE JOB T0: with the cache SERVICE stopped (since T0), a warning about
# the scrape job of its exporter is pending or firing within 60 s (a cache outage is degraded
# service: a warning that waits its `for:`), and no critical alert names the job
cache_alert_pending() {
  local svc=$1 job=$2 t0=$3 name
  [[ -n $job ]] || { ko "$svc stopped: no scrape job of its exporter to alert on"; return; }
  warned() { prom /api/v1/alerts | jq -e --arg j "$job" 'any(.data.alerts[]; .labels.severity == "warning" and .labels.job == $j and (.state == "pending" or .state == "firing"))'; }
  if wait_until 60 warned; then
    name=$(prom /api/v1/alerts | jq -r --arg j "$job" '[.data.alerts[] | select(.labels.severity == "warning" and .labels.job == $j) | .labels.alertname] | unique | join(", ")')
    ok "$svc stopped: Prometheus raises the warning $name for the job $job after $(since "$t0") s"
    figure "alert $name for $svc stopped: pending after $(since "$t0") s"
  else
    ko "$svc stopped: no warning for the job $job within 60 s"
  fi
  critical() { prom /api/v1/alerts | jq -e --arg j "$job" 'any(.data.alerts[]; .labels.severity == "critical" and .labels.job == $j)'; }
  if critical >/dev/null 2>&1; then
    ko "$svc stopped: a critical alert names the job $job (a cache outage must not page)"
  else
    ok "$svc stopped: no critical alert for the job $job"
  fi
}

# /ready with the database down, then with the cache down
test_outages() {
  local code t0
  ready_code() { "${CURL[@]}" -o "$work/ready.json" -w '%{http_code}' "$BASE$READY_PATH" 2>/dev/null || true; }
  is503() { [[ $(ready_code) == 503 ]]; }
  is200() { [[ $(ready_code) == 200 ]]; }
  if [[ -n $DB ]]; then
    section "the database container ($DB) stopped: $READY_PATH 503"
    code=$(ready_code)
    check "$READY_PATH through nginx is 200 with every dependency up (got $code: $(head -c 200 "$work/ready.json"))" test "$code" = 200
    t0=$(now)
    compose stop -t 30 "$DB" >/dev/null 2>&1 || true
    if wait_until 30 is503; then
      ok "$READY_PATH through nginx answers 503 once the $DB container is stopped ($(since "$t0") s; $(head -c 200 "$work/ready.json"))"
    else
      ko "$READY_PATH did not answer 503 within 30 s of stopping $DB (last: $(ready_code) $(head -c 200 "$work/ready.json"))"
    fi
    [[ -z $PROMETHEUS ]] || alert_fires "$DB" "$DB_JOB" "$t0"
    compose start "$DB" >/dev/null 2>&1 || true
    t0=$(now)
    if wait_until 90 is200; then ok "$READY_PATH returns to 200 after $DB is started again ($(since "$t0") s)"; else ko "$READY_PATH not 200 within 90 s of starting $DB again (last: $(ready_code) $(head -c 200 "$work/ready.json"))"; fi
  fi
  if [[ -n $CACHE ]]; then
    section "the cache container ($CACHE) stopped"
    local want=${CACHE_DOWN_READY[$NAME]:-200} m
    t0=$(now)
    compose stop -t 10 "$CACHE" >/dev/null 2>&1 || true
    [[ -z $PROMETHEUS ]] || cache_alert_pending "$CACHE" "$CACHE_JOB" "$t0"
    m=$(inside_get /metrics 2>/dev/null || true)
    if grep -q '^app_dependency_up{' <<<"$m"; then
      gauge_zero() { inside_get /metrics 2>/dev/null | grep -qE "^app_dependency_up\\{dependency=\"$CACHE\"\\} 0(\\.0)?\$"; }
      check "/metrics reports app_dependency_up{dependency=\"$CACHE\"} 0 with $CACHE stopped" wait_until 20 gauge_zero
    else
      skip "$PUBLIC exports no app_dependency_up gauge in /metrics, so the outage is not visible there (SPEC: reported in /metrics); the app's choice, nothing generated to assert"
    fi
    sleep 1
    code=$(ready_code)
    if [[ $want == 200 ]]; then
      check "cache down: $READY_PATH stays 200, degraded but ready (SPEC: a cache outage is not unreadiness; got $code: $(head -c 200 "$work/ready.json"))" test "$code" = 200
    else
      check "cache down: $READY_PATH answers $want [CURRENT BEHAVIOUR of $NAME, marked for the lead: SPEC wants 200 (degraded, ready); flip CACHE_DOWN_READY[$NAME] in run.sh when the app change lands] (got $code: $(head -c 200 "$work/ready.json"))" test "$code" = "$want"
    fi
    local get=${APP_GET[$NAME]:-}
    if [[ -n $get ]]; then
      code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$BASE$get") || true
      check "cache down: GET $get still answers 200 from the database (got $code)" test "$code" = 200
    fi
    compose start "$CACHE" >/dev/null 2>&1 || true
    t0=$(now)
    if wait_until 60 is200; then ok "$READY_PATH 200 again after $CACHE is started ($(since "$t0") s)"; else ko "$READY_PATH not 200 within 60 s of starting $CACHE again"; fi
  fi
}

# configmap_file CONFIGMAP KEY DEST: writes data.KEY of a generated ConfigMap to DEST
configmap_file() {
  python3 - "$@" <<'PY'
import sys, yaml
open(sys.argv[3], "w").write(yaml.safe_load(open(sys.argv[1]))["data"][sys.argv[2]])
PY
}

# cronjob_container CRONJOB SCRIPT: of the CronJob's first container (init containers
# included) whose command or args name SCRIPT, the lines image=, script= (the argument naming
# it), env=NAME=VALUE (plain values), backups= (where the claim is mounted) and creds= (where
# the second-site Secret is mounted); nothing when no container runs it
cronjob_container() {
  python3 - "$@" <<'PY'
import sys, yaml
pod = yaml.safe_load(open(sys.argv[1]))["spec"]["jobTemplate"]["spec"]["template"]["spec"]
script = sys.argv[2]
for c in (pod.get("initContainers") or []) + pod["containers"]:
    words = (c.get("command") or []) + (c.get("args") or [])
    if not any(script in a for a in words):
        continue
    print(f"image={c['image']}")
    print(f"script={[a for a in words if a.endswith(script)][0]}")
    for e in c.get("env") or []:
        if "value" in e:
            print(f"env={e['name']}={e['value']}")
    vols = {v["name"]: v for v in pod.get("volumes") or []}
    for m in c.get("volumeMounts") or []:
        v = vols.get(m["name"], {})
        if "persistentVolumeClaim" in v:
            print(f"backups={m['mountPath']}")
        elif "secret" in v and m["name"] == "second-site":
            print(f"creds={m['mountPath']}")
    break
PY
}

# --- backups (MySQL): scripts/backup_database.sh and the CronJob's script, dumps that restore ---
test_backup() {
  section "backup ($DB_ENGINE): scripts/backup_database.sh and the CronJob's script, then a restore of each dump"
  local db user net img dir pwf urlf app pwvar
  db=$(db_name)
  case $DB_ENGINE in
    mysql) user=$(cj --arg d "$DB" '.services[$d].environment.MYSQL_USER // empty') pwvar=MYSQL_PASSWORD ;;
    postgres) user=$(cj --arg d "$DB" '.services[$d].environment.POSTGRES_USER // "postgres"') pwvar=POSTGRES_PASSWORD ;;
  esac
  img=$(cj --arg d "$DB" '.services[$d].image')
  net=$(cj --arg d "$DB" '(.services[$d].networks // {} | keys[0]) as $n | .networks[$n].name // empty')
  dir="$work/backup/$NAME"
  mkdir -p "$dir/out" "$dir/k8s-out" "$dir/secrets" "$dir/script"
  # the secrets compose-secrets.sh made: the user's password (the file the database service
  # reads at MYSQL_PASSWORD_FILE), the connection URL (the file a process reads at
  # DATABASE_URL_FILE); the backup key is the operator's
  app=${PUBLIC:-${PROCS[0]:-}}
  pwf=$(secret_file "$DB" "$pwvar" || true)
  urlf=$(secret_file "$app" DATABASE_URL || true)
  [[ -n $pwf && -s $pwf ]] || { ko "backup: no file secret for $DB's ${pwvar}_FILE"; return; }
  [[ -n $urlf && -s $urlf ]] || { ko "backup: no file secret for $app's DATABASE_URL_FILE"; return; }
  cp "$pwf" "$dir/secrets/db-password"
  cp "$urlf" "$dir/secrets/database-url"
  openssl rand -hex 32 | tr -d '\n' >"$dir/secrets/backup-key"
  chmod 0444 "$dir/secrets/"*
  chown 10001:10001 "$dir/out" "$dir/k8s-out"
  # as the backup CronJob runs: uid 10001, read-only root, /tmp tmpfs, no capabilities
  local hardened=(--rm --label "$LABEL=$RUN_ID" --network "$net" --user 10001:10001 --read-only
    --tmpfs /tmp:size=64m --cap-drop ALL --security-opt no-new-privileges:true)
  local t0

  # 1. scripts/backup_database.sh (compose side, pre-deploy step)
  local script=$STACK/scripts/backup_database.sh
  if [[ ! -f $script ]]; then
    ko "no scripts/backup_database.sh in the output"
  else
    t0=$(now)
    # with a second backup site the script copies each dump there with rclone, which the
    # database image has not (on a host it has): the copy is run below, in rclone's image,
    # as the CronJob's second container runs it
    local later=()
    grep -q 'second_site_copy.sh' "$script" && later=(-e SECOND_SITE_COPY=later)
    if "$DOCKER" run "${hardened[@]}" \
      -v "$script:/opt/backup/backup_database.sh:ro" -v "$dir/secrets:/run/secrets/backup:ro" -v "$dir/out:/backups" \
      -e DB_HOST="$DB" -e DB_USER="$user" -e DB_NAME="$db" -e DB_PASSWORD_FILE=/run/secrets/backup/db-password \
      -e BACKUP_KEY_FILE=/run/secrets/backup/backup-key -e BACKUP_DIR=/backups "${later[@]}" \
      --entrypoint bash "$img" /opt/backup/backup_database.sh >"$work/logs/$NAME.backup.log" 2>&1; then
      ok "scripts/backup_database.sh in $img (uid 10001, read-only root, cap-drop ALL${later:+, SECOND_SITE_COPY=later}) exit 0: $(grep -c verified "$work/logs/$NAME.backup.log") verified"
      figure "scripts/backup_database.sh: $(since "$t0") s"
      restore_check "$dir/out" "$db" "$dir/secrets/backup-key" scripts/backup_database.sh
    else
      ko "scripts/backup_database.sh failed:"
      tail -n 10 "$work/logs/$NAME.backup.log" | indent
    fi
  fi

  # 2. the CronJob's script (k8s/<env>/backup-script.yaml), with the CronJob's image and env
  local cm; cm=$(find "$STACK/k8s" -mindepth 2 -maxdepth 2 -name backup-script.yaml 2>/dev/null | sort | head -1)
  if [[ -z $cm ]]; then
    ko "no k8s/*/backup-script.yaml in the output"
    return
  fi
  local env_dir; env_dir=$(dirname "$cm")
  configmap_file "$cm" backup_database.sh "$dir/script/backup_database.sh" || { ko "cannot read the script out of ${cm#"$STACK"/}"; return; }
  # the CronJob's container that runs backup_database.sh (an init container when a second one
  # copies the dump to the second site): its image, its plain env values (the *_FILE paths,
  # BACKUP_DIR, SECOND_SITE_COPY) and where the backups volume (the claim) is mounted
  local kimg="" kenv=() kbackups=/backups kurl=/run/secrets/app/database-url kkey=/run/secrets/backup/encryption-key l
  while IFS= read -r l; do
    case $l in
      image=*) kimg=${l#image=} ;;
      backups=*) kbackups=${l#backups=} ;;
      env=*)
        kenv+=(-e "${l#env=}")
        [[ $l == env=DATABASE_URL_FILE=* ]] && kurl=${l#env=DATABASE_URL_FILE=}
        [[ $l == env=BACKUP_KEY_FILE=* ]] && kkey=${l#env=BACKUP_KEY_FILE=} ;;
    esac
  done < <(cronjob_container "$env_dir/backup-cronjob.yaml" backup_database.sh)
  [[ -n $kimg ]] || { ko "no container of ${env_dir#"$STACK"/}/backup-cronjob.yaml runs backup_database.sh"; return; }
  t0=$(now)
  if "$DOCKER" run "${hardened[@]}" \
    -v "$dir/script/backup_database.sh:/opt/backup/backup_database.sh:ro" \
    -v "$dir/secrets/database-url:$kurl:ro" -v "$dir/secrets/backup-key:$kkey:ro" -v "$dir/k8s-out:$kbackups" \
    -e DATABASE_URL_FILE="$kurl" -e BACKUP_KEY_FILE="$kkey" "${kenv[@]}" \
    --entrypoint bash "${kimg:-$img}" /opt/backup/backup_database.sh >"$work/logs/$NAME.k8s-backup.log" 2>&1; then
    ok "the CronJob's script (${cm#"$STACK"/}) in ${kimg:-$img}, run as the CronJob runs it: exit 0 ($(tail -n 1 "$work/logs/$NAME.k8s-backup.log" | cut -c1-120))"
    figure "CronJob backup script: $(since "$t0") s"
    restore_check "$dir/k8s-out" "$db" "$dir/secrets/backup-key" "the CronJob's script"
    second_site_check "$env_dir/backup-cronjob.yaml" "$dir" "$db"
  else
    ko "the CronJob's script (${cm#"$STACK"/}) failed:"
    tail -n 10 "$work/logs/$NAME.k8s-backup.log" | indent
  fi
}

# second_site_check CRONJOB DIR DB: the backup CronJob's second container (backup.yaml
# backup_sites: 2), when it has one, run as the CronJob runs it (its image, env and mounts,
# uid 10001, read-only root) on the dump the first one wrote to DIR/k8s-out, against an
# EMULATOR of S3 on loopback (moto's server mode, PyPI `moto`; not S3): the copy must be at
# the site and equal to the dump, read back by the host's rclone
second_site_check() {
  local cronjob=$1 dir=$2 db=$3 l simg="" senv=() sbackups="" screds="" sscript="" port pid rc=0 t0
  while IFS= read -r l; do
    case $l in
      image=*) simg=${l#image=} ;;
      env=*) senv+=(-e "${l#env=}") ;;
      backups=*) sbackups=${l#backups=} ;;
      creds=*) screds=${l#creds=} ;;
      script=*) sscript=${l#script=} ;;
    esac
  done < <(cronjob_container "$cronjob" second_site_copy.sh)
  [[ -n $simg ]] || return 0
  section "backup ($DB_ENGINE): the CronJob's second-site container, against an S3 emulator on loopback (moto)"
  configmap_file "$(dirname "$cronjob")/backup-script.yaml" second_site_copy.sh "$dir/script/second_site_copy.sh" \
    || { ko "no second_site_copy.sh in the backup ConfigMap"; return; }
  local remote; remote=$(sed -nE 's/^readonly remote="(secondsite:[^"]+)"$/\1/p' "$dir/script/second_site_copy.sh")
  [[ -n $remote ]] || { ko "second_site_copy.sh names no remote (readonly remote=\"secondsite:…\")"; return; }
  command -v moto_server >/dev/null || { ko "moto_server is not on the PATH (.ci/install puts it into .venv)"; return; }
  command -v rclone >/dev/null || { ko "rclone is not on the PATH (.ci/install installs it)"; return; }
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  moto_server -H 127.0.0.1 -p "$port" >"$work/logs/$NAME.moto.log" 2>&1 &
  pid=$!
  # the host's rclone, configured for the emulator as the script configures it
  local hrc=(env -u AWS_CA_BUNDLE RCLONE_CONFIG=/dev/null RCLONE_CONFIG_SECONDSITE_TYPE=s3 RCLONE_CONFIG_SECONDSITE_PROVIDER=Other
    RCLONE_CONFIG_SECONDSITE_ENDPOINT="http://127.0.0.1:$port" RCLONE_CONFIG_SECONDSITE_REGION=eu-central-1
    RCLONE_CONFIG_SECONDSITE_ACCESS_KEY_ID=testing RCLONE_CONFIG_SECONDSITE_SECRET_ACCESS_KEY=testing rclone)
  if ! wait_until 30 "${hrc[@]}" mkdir "${remote%%/*}"; then
    ko "the S3 emulator (moto_server on 127.0.0.1:$port) did not take the bucket ${remote%%/*} in 30 s"
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    return
  fi
  mkdir -p "$dir/second-site"
  printf testing >"$dir/second-site/access-key-id"
  printf testing >"$dir/second-site/secret-access-key"
  chmod 0444 "$dir/second-site/"*
  t0=$(now)
  # --network host: the emulator listens on the host's loopback only
  "$DOCKER" run --rm --label "$LABEL=$RUN_ID" --network host --user 10001:10001 --read-only \
    --tmpfs /tmp:size=64m --cap-drop ALL --security-opt no-new-privileges:true \
    -v "$dir/script/second_site_copy.sh:$sscript:ro" -v "$dir/k8s-out:${sbackups:-/backups}:ro" \
    ${screds:+-v "$dir/second-site:$screds:ro"} "${senv[@]}" -e SECOND_SITE_ENDPOINT="http://127.0.0.1:$port" \
    --entrypoint sh "$simg" "$sscript" >"$work/logs/$NAME.second-site.log" 2>&1 || rc=$?
  if ((rc != 0)); then
    ko "the CronJob's second-site container ($simg) failed: exit $rc"
    tail -n 10 "$work/logs/$NAME.second-site.log" | indent
  else
    local dump name; dump=$(find "$dir/k8s-out" -maxdepth 1 -type f -name "${db}_*.enc" | sort | tail -n 1)
    name=$(basename "$dump")
    if [[ $("${hrc[@]}" cat "$remote/$name" 2>/dev/null | sha256sum | cut -d' ' -f1) == $(sha256sum <"$dump" | cut -d' ' -f1) ]]; then
      ok "the CronJob's second-site container ($simg, uid 10001, read-only root) copied $name ($(stat -c %s "$dump") bytes) to $remote: read back by the host's rclone, SHA-256 equal"
      figure "second-site copy: $(since "$t0") s"
    else
      ko "the CronJob's second-site container exited 0 but $remote/$name is not the dump"
      tail -n 10 "$work/logs/$NAME.second-site.log" | indent
    fi
  fi
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
}

# restore_check DIR DB KEYFILE LABEL: DIR holds one encrypted dump of DB; it decrypts (and
# for MySQL decompresses) and loads into a fresh database whose tables equal the live ones
restore_check() {
  local out=$1 db=$2 key=$3 what=$4 dump plain pattern
  case $DB_ENGINE in
    mysql) pattern="${db}_*.sql.gz.enc" ;;
    postgres) pattern="${db}_*.dump.enc" ;;
  esac
  dump=$(find "$out" -maxdepth 1 -name "$pattern" | head -1)
  check "$what wrote an encrypted dump (${dump:+${dump#"$out/"}, $(stat -c %s "$dump") bytes}${dump:-none: $(find "$out" -mindepth 1 | sed "s|^$out/||" | tr '\n' ' ')}), no partial file left" \
    bash -c '[[ -s $1 ]] && [[ -z $(find "$2" -name "*.partial") ]]' _ "$dump" "$out"
  [[ -s $dump ]] || return 0
  plain="$out.restore"
  case $DB_ENGINE in
    mysql)
      if openssl enc -d -aes-256-cbc -pbkdf2 -pass "file:$key" -in "$dump" | gzip -dc >"$plain"; then
        ok "$what: the dump decrypts with the key and decompresses ($(wc -l <"$plain") lines of SQL)"
      else
        ko "$what: the dump does not decrypt/decompress"
        return 0
      fi ;;
    postgres)
      if openssl enc -d -aes-256-cbc -pbkdf2 -pass "file:$key" -in "$dump" >"$plain" && [[ $(head -c 5 "$plain") == PGDMP ]]; then
        ok "$what: the dump decrypts with the key into a pg_dump custom archive ($(stat -c %s "$plain") bytes)"
      else
        ko "$what: the dump does not decrypt into a pg_dump custom archive"
        return 0
      fi ;;
  esac
  db_sql "DROP DATABASE IF EXISTS restore_check" >/dev/null 2>&1 || true
  db_sql "CREATE DATABASE restore_check" >/dev/null
  local loaded=0
  case $DB_ENGINE in
    mysql)
      compose exec -T "$DB" bash -c 'pw=${MYSQL_ROOT_PASSWORD:-}
        if [[ -z $pw && -n ${MYSQL_ROOT_PASSWORD_FILE:-} ]]; then pw=$(<"$MYSQL_ROOT_PASSWORD_FILE"); fi
        MYSQL_PWD=$pw exec mysql -uroot restore_check' <"$plain" 2>"$work/logs/$NAME.restore.err" && loaded=1 ;;
    postgres)
      compose exec -T "$DB" bash -c 'exec pg_restore --exit-on-error --no-owner -U "${POSTGRES_USER:-postgres}" -d restore_check' \
        <"$plain" 2>"$work/logs/$NAME.restore.err" && loaded=1 ;;
  esac
  if ((loaded)); then
    local t a b diffs=() n=0 rows=0 r
    for t in $(db_tables); do
      n=$((n + 1))
      case $DB_ENGINE in
        mysql)
          a=$(db_sql "CHECKSUM TABLE \`$db\`.\`$t\`" | cut -f2)
          b=$(db_sql "CHECKSUM TABLE restore_check.\`$t\`" | cut -f2)
          r=$(db_sql "SELECT COUNT(*) FROM restore_check.\`$t\`" || echo 0) ;;
        postgres)
          # the rows' text, in order, hashed: equal tables give equal digests
          local q="SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM public.\"$t\" x"
          a=$(db_sql "$q")
          b=$(db_sql "$q" restore_check)
          r=$(db_sql "SELECT COUNT(*) FROM public.\"$t\"" restore_check || echo 0) ;;
      esac
      [[ -n $a && $a == "$b" ]] || diffs+=("$t ($a vs $b)")
      rows=$((rows + r))
    done
    local how="CHECKSUM TABLE"
    [[ $DB_ENGINE == postgres ]] && how="md5 of the ordered rows"
    check "$what: the dump restores into a fresh database, all $n tables identical ($how; $rows rows)${diffs:+: differ: ${diffs[*]}}" \
      bash -c '(( $1 == 0 && $2 > 0 && $3 > 0 ))' _ "${#diffs[@]}" "$n" "$rows"
  else
    ko "$what: restoring the dump failed: $(head -c 300 "$work/logs/$NAME.restore.err")"
  fi
  db_sql "DROP DATABASE IF EXISTS restore_check" >/dev/null 2>&1 || true
}

# ================================ main ===========================================================
mkdir -p "$work/logs" "$work/build" "$work/stack"
PROJ=tools
for t in timeout jq curl openssl python3; do command -v "$t" >/dev/null || ko "missing tool: $t"; done
"$DOCKER" compose version >/dev/null 2>&1 || ko "docker compose (v2 plugin) does not run"
python3 -c 'import yaml' 2>/dev/null || ko "python3 has no PyYAML (Debian python3-yaml)"
((fail == 0)) || exit 1
figures+=("engine: $("$DOCKER" version -f 'server {{.Server.Version}}, client {{.Client.Version}}'), $("$DOCKER" compose version --short | sed 's/^/compose /')")

for PROJ_DIR in "$@"; do
  NAME=$(yaml_key "$PROJ_DIR/cfgen.yaml" name)
  PROJ=$(realpath --relative-to="$REPO" "$PROJ_DIR")
  T_PROJ=$(now)
  out_rel=$(yaml_key "$PROJ_DIR/cfgen.yaml" output)
  OUT="$PROJ_DIR/${out_rel:-deploy}"
  section "project $NAME, output $(realpath --relative-to="$REPO" "$OUT")/"
  mapfile -t dockerfiles < <(find "$OUT" -maxdepth 2 -type f \( -name Dockerfile -o -name 'Dockerfile.*' -o -name '*.Dockerfile' \) ! -name '*.dockerignore' 2>/dev/null | sort)
  has_compose=0
  [[ -f $OUT/docker-compose.yml ]] && has_compose=1
  if ((${#dockerfiles[@]} == 0 && has_compose == 0)); then
    targets=$(sed -nE 's/^targets:[[:space:]]*(.*)$/\1/p' "$PROJ_DIR/cfgen.yaml" | head -1)
    nothing+=("$PROJ ($NAME): no Dockerfile and no docker-compose.yml in $(realpath --relative-to="$REPO" "$OUT")/ (cfgen.yaml image: $(yaml_key "$PROJ_DIR/cfgen.yaml" image)${targets:+, targets: $targets})")
    echo "  NOTHING TO RUN: no Dockerfile and no docker-compose.yml in the output (a prebuilt image${targets:+; targets: $targets}); not a failure"
    continue
  fi

  CP="ctest-$NAME"
  STACK="$work/stack/$NAME/$(basename "$OUT")"
  DEPLOY_JOBS=() SCHED_JOBS=() PROCS=() DB="" DB_ENGINE="" CACHE="" PROXY="" PUBLIC="" PUBLIC_PORT=""
  PROMETHEUS="" ALERTMANAGER="" MON_PROFILE="" PROFILE_ARGS=() MON_SVCS=() DB_EXPORTER="" CACHE_EXPORTER="" DB_JOB="" CACHE_JOB="" AM_URL=""
  printf '{"services": {}}\n' | tee "$work/$NAME.committed.json" >"$work/$NAME.compose.json"
  if ((has_compose)); then
    # compose's own reading of the committed file
    # (--profile '*': the services under a profile, the scheduled jobs, are read too)
    if ! "$DOCKER" compose -p "$CP" --profile '*' -f "$OUT/docker-compose.yml" config --format json \
      >"$work/$NAME.committed.json" 2>"$work/logs/$NAME.config.err"; then
      ko "docker compose config rejects docker-compose.yml: $(grep -v 'IPv4 forwarding' "$work/logs/$NAME.config.err" | tail -n 3)"
      continue
    fi
    ok "docker compose config reads docker-compose.yml ($(jq -r '.services | keys | join(", ")' "$work/$NAME.committed.json"))"
    # the stack copy: the output folder, plus what the operator provides (compose-secrets.sh)
    echo "$CP" >>"$STATE/projects"
    mkdir -p "$(dirname "$STACK")"
    cp -a "$OUT" "$STACK"
    rm -f "$STACK/.cfgen-manifest"
    "$DOCKER" compose -p "$CP" --profile '*' -f "$STACK/docker-compose.yml" config --format json >"$work/$NAME.compose.json" 2>/dev/null
    section "compose-secrets.sh: the secret files docker-compose.yml reads"
    make_secrets || { echo "  (no secrets: nothing of $NAME can run)"; continue; }
    SERVER_NAMES=$(sed -nE 's/^\s*server_name\s+([^;]+);.*/\1/p' "$STACK/nginx/nginx.conf" 2>/dev/null | tr ' ' '\n' | grep -v '^_$' | sort -u | tr '\n' ' ' || true)
    SERVER_NAMES=${SERVER_NAMES% }
    read_roles
  else
    echo "  NOTE: no docker-compose.yml in the output (cfgen.yaml targets): the images are built and run alone only"
  fi

  # every image the output names has a stand-in (or is built here)
  need=()
  for df in "${dockerfiles[@]}"; do mapfile -t -O "${#need[@]}" need < <(base_images "$df"); done
  built_here=$(cj '[.services[] | select(.build) | .image] | join(" ")')
  # (the log collectors of the `logging` profile are not run here: fluentd and Fluent Bit do
  # not install from the registries this machine reaches; their configs are checked against
  # the pinned versions' keys by tests/logship/check.py instead)
  while IFS= read -r img; do [[ " $built_here " == *" $img "* ]] || need+=("$img"); done < <(cj "$COLLECTOR"' .services[] | select(collector | not) | .image // empty')
  collectors=$(cj "$COLLECTOR"' [.services[] | select(collector) | .image] | join(" ")')
  [[ -z $collectors ]] || echo "  NOTE: not run here (logging profile, no stand-in): $collectors"
  # (`scratch` is no image: nothing is pulled or stood in for it)
  mapfile -t need < <(printf '%s\n' "${need[@]}" | grep -v -e '^$' -e '^scratch$' | sort -u)
  missing=()
  for img in "${need[@]}"; do "$DOCKER" image inspect "$img" >/dev/null 2>&1 || missing+=("$img"); done
  if ((${#missing[@]})); then
    bash "$HERE/engine.sh" images "${missing[@]}" >"$work/logs/$NAME.standins.log" 2>&1 || true
    still=()
    for img in "${missing[@]}"; do "$DOCKER" image inspect "$img" >/dev/null 2>&1 || still+=("$img"); done
    missing=("${still[@]}")
  fi
  check "every image the output names has a stand-in (${need[*]})${missing:+; missing: ${missing[*]}: add them to tests/containers/images/images.tsv}" test "${#missing[@]}" = 0
  ((${#missing[@]} == 0)) || continue

  # 1. build, from the context compose gives (the Dockerfile header says the same): compose's
  # reading of the committed file, whose contexts are the project's folders, not the copy's
  section "build every generated Dockerfile, every stage"
  t_build=$(now)
  build_fail=0
  declare -A BUILT=()
  while IFS=$'\t' read -r svc ctx df img; do
    [[ $df == /* ]] || df="$ctx/$df"
    df=$(realpath -m "$df")
    hdr=$(sed -nE 's/^# Build, from the folder of cfgen.yaml: docker build -f (\S+) (\S+)$/\1 \2/p' "$df" | head -1)
    if [[ -n $hdr && -z ${BUILT[$df]:-} ]]; then
      read -r hdf hctx <<<"$hdr"
      check "the Dockerfile header's build command (docker build -f $hdf $hctx, from $PROJ/) names compose's context and file" \
        test "$(realpath -m "$PROJ_DIR/$hctx")|$(realpath -m "$PROJ_DIR/$hdf")" = "$(realpath -m "$ctx")|$df"
    fi
    if [[ -n ${BUILT[$df]:-} ]]; then
      [[ ${BUILT[$df]} == "$img" || ${BUILT[$df]} == failed ]] || { "$DOCKER" tag "${BUILT[$df]}" "$img"; echo "$img" >>"$STATE/images"; }
      continue
    fi
    if build_dockerfile "$df" "$ctx" "$img"; then BUILT[$df]=$img; else build_fail=1; BUILT[$df]=failed; fi
  done < <(jq -r '.services | to_entries[] | select(.value.build) | [.key, .value.build.context, (.value.build.dockerfile // "Dockerfile"), .value.image] | @tsv' "$work/$NAME.committed.json" 2>/dev/null)
  # a Dockerfile no compose service builds: the context its header names
  for df in "${dockerfiles[@]}"; do
    [[ -n ${BUILT[$df]:-} ]] && continue
    hdr=$(sed -nE 's/^# Build, from the folder of cfgen.yaml: docker build -f (\S+) (\S+)$/\1 \2/p' "$df" | head -1)
    if [[ -z $hdr ]]; then
      ko "$(realpath --relative-to="$REPO" "$df") is not built by any compose service and its header names no build command"
      build_fail=1
      continue
    fi
    read -r hdf hctx <<<"$hdr"
    img="cfgen-ct-$RUN_ID/$NAME:$(basename "$df" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9.\n' '-')"
    if build_dockerfile "$df" "$(realpath -m "$PROJ_DIR/$hctx")" "$img"; then BUILT[$df]=$img; else build_fail=1; BUILT[$df]=failed; fi
  done
  figure "image builds (all Dockerfiles, all stages): $(since "$t_build") s"
  if ((build_fail)); then echo "  (the images did not build: nothing else of $NAME can run)"; continue; fi

  # 2. each built image alone, hardened: as the compose process that runs its own CMD (no
  # `command:`), else as no service (a Dockerfile compose does not use)
  section "each image alone, hardened as docker.yaml asks"
  for df in "${dockerfiles[@]}"; do
    img=${BUILT[$df]}
    svc=""
    for s in "${PROCS[@]}"; do
      [[ $(cj --arg s "$s" '.services[$s].image') == "$img" ]] || continue
      [[ -z $svc ]] && svc=$s
      if [[ $(cj --arg s "$s" '.services[$s].command // empty') == "" ]]; then svc=$s; break; fi
    done
    run_hardened "$img" "$svc"
  done

  # 3. the compose stack
  ((has_compose)) && test_stack
  figure "project total: $(since "$T_PROJ") s"
done
