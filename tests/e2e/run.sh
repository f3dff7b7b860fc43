#!/usr/bin/env bash
# tests/e2e/run.sh [OUT_DIR]: end to end on loopback (issue 5, part 2). Needs root.
#
# Runs cfgen's generated artifacts for app/ UNMODIFIED against the real servers, in a private
# network + mount + pid namespace (unshare), so nothing on the machine changes and no packet
# leaves the namespace:
#   MariaDB and Redis (as the compose services `mysql`, `redis`), `shop migrate` then
#   `shop serve` with the environment and secrets of the compose `migrate`/`app` services,
#   nginx with the generated nginx.conf in front of it (its own network namespace, as in its
#   container, joined by a veth pair), the exporters prometheus.yml scrapes, Prometheus with
#   the generated prometheus.yml + alert_rules.yml, Alertmanager with alertmanager.yml.
# Then asserts through the real servers (see README.md) and prints figures and a closing line
# `e2e: N passed, M failed`. Exit 0 only when nothing failed. A missing tool fails; never skips.
#
# OUT_DIR: a folder cfgen built for app/ (default: `cfgen build app --out <tmp>`, with the
# binary E2E_CFGEN names, else `cargo run -q --`).
# Environment: E2E_SHOP=path of a built `shop` binary (default: cargo build -p app --bin shop),
# E2E_CFGEN=path of a built `cfgen` binary (default: cargo run -q --),
# E2E_TIMEOUT=seconds for the whole namespace run (default 420), E2E_KEEP=1 keeps the work dir.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"

if [[ ${1:-} != --inside ]]; then
  # --- outside: tools, inputs, then re-run this script in fresh namespaces ----------------------
  die() { echo "e2e: $*" >&2; echo "e2e: 0 passed, 1 failed"; exit 1; }
  [[ $(id -u) == 0 ]] || die "needs root (private network/mount/pid namespaces, overlayfs): sudo $0"
  missing=()
  need_cargo=0
  [[ -n ${E2E_SHOP:-} ]] || need_cargo=1
  [[ -n ${1:-} || -n ${E2E_CFGEN:-} ]] || need_cargo=1
  ((need_cargo)) && ! command -v cargo >/dev/null && missing+=(cargo)
  for t in unshare nsenter ip mount setpriv openssl curl jq wrk python3 \
    mariadbd mariadb-install-db mariadb mysqladmin redis-server redis-cli nginx wget \
    prometheus promtool prometheus-alertmanager \
    prometheus-mysqld-exporter prometheus-redis-exporter prometheus-node-exporter; do
    command -v "$t" >/dev/null || missing+=("$t")
  done
  PY="$REPO/.venv/bin/python"; [[ -x $PY ]] || PY=python3  # .ci/install's venv has PyYAML
  "$PY" -c 'import yaml' 2>/dev/null || missing+=("PyYAML for $PY")
  ((${#missing[@]} == 0)) || die "missing tools: ${missing[*]} (run .ci/install; Debian: prometheus prometheus-alertmanager prometheus-mysqld-exporter prometheus-redis-exporter prometheus-node-exporter nginx mariadb-server mariadb-client redis-server wrk curl jq wget util-linux iproute2 openssl python3-yaml)"

  work="$(mktemp -d "${TMPDIR:-/tmp}/cfgen-e2e.XXXXXX")"
  cleanup_outside() { if [[ ${E2E_KEEP:-0} == 1 ]]; then echo "e2e: kept $work"; else rm -rf "$work"; fi; }
  trap cleanup_outside EXIT
  mkdir -p "$work/out" "$work/bin"

  if [[ -n ${1:-} ]]; then
    [[ -d $1 ]] || die "no such output folder: $1"
    cp -a "$1"/. "$work/out/"
    echo "e2e: output folder $1"
  else
    if [[ -n ${E2E_CFGEN:-} ]]; then
      [[ -x $E2E_CFGEN ]] || die "E2E_CFGEN=$E2E_CFGEN is not an executable"
      cfgen=("$(realpath "$E2E_CFGEN")")
    else
      cfgen=(cargo run -q --)
    fi
    echo "e2e: building app's artifacts: ${cfgen[*]} build app --out <tmp>"
    (cd "$REPO" && "${cfgen[@]}" build app --out "$work/out") >"$work/cfgen.log" 2>&1 \
      || { cat "$work/cfgen.log" >&2; die "cfgen build app failed"; }
  fi
  if [[ -n ${E2E_SHOP:-} ]]; then
    shop="$(realpath -m "$E2E_SHOP")"
  else
    echo "e2e: building shop: cargo build -q -p app --bin shop"
    (cd "$REPO" && cargo build -q -p app --bin shop) || die "cargo build -p app --bin shop failed"
    shop="$(cd "$REPO" && cargo metadata --format-version 1 --no-deps | jq -r .target_directory)/debug/shop"
  fi
  [[ -x $shop ]] || die "no shop binary at $shop"
  # the app runs as the compose user (10001): it must be able to reach the binary and its work dir
  cp "$shop" "$work/bin/shop"
  chmod 0755 "$work" "$work/bin" "$work/bin/shop"
  rc=0
  # `timeout` is pid 1 of the new pid namespace: when it exits, the kernel kills whatever is
  # left in it; on the deadline it sends TERM to the test, whose trap stops the servers and
  # prints the closing line (KILL 15 s later)
  unshare --net --mount --pid --fork --mount-proc --propagation private --kill-child \
    timeout -k 15 "${E2E_TIMEOUT:-420}" bash "$HERE/run.sh" --inside "$work" || rc=$?
  if ((rc == 124 || rc == 137)); then
    echo "e2e: TIMEOUT after ${E2E_TIMEOUT:-420} s (the namespace and every process in it were killed)"
    ((rc == 124)) || echo "e2e: 0 passed, 1 failed"
  fi
  exit "$rc"
fi

# ================================ inside the namespaces ========================================
# pid 1 of a private pid namespace: when this shell exits, the kernel kills every process left.
shift
work=$1
out=$work/out
logs=$work/logs
mkdir -p "$logs"
SHOP=$work/bin/shop
PY="$REPO/.venv/bin/python"
[[ -x $PY ]] || PY=python3
T0=$(date +%s.%N)

pass=0 fail=0
figures=()
ok() { pass=$((pass + 1)); printf '  PASS %s\n' "$*"; }
ko() { fail=$((fail + 1)); printf '  FAIL %s\n' "$*"; }
# check DESC CMD...: one assertion
check() { local d=$1; shift; if "$@"; then ok "$d"; else ko "$d"; fi; }
figure() { figures+=("$*"); printf '  FIGURE %s\n' "$*"; }
section() { printf '\n== %s (+%.1f s)\n' "$*" "$(elapsed)"; }
elapsed() { calc "$(date +%s.%N) - $T0"; }
now() { date +%s.%N; }
since() { printf '%.1f' "$(calc "$(date +%s.%N) - $1")"; }
# calc EXPR: floating-point arithmetic; is EXPR: a floating-point condition
calc() { awk "BEGIN { printf \"%.6f\n\", $* }"; }
is() { awk "BEGIN { exit !($*) }"; }

declare -A PIDS=()
stop_all() {
  local name
  for name in "${!PIDS[@]}"; do kill -TERM "${PIDS[$name]}" 2>/dev/null || true; done
  local i
  for ((i = 0; i < 50; i++)); do
    local alive=0
    for name in "${!PIDS[@]}"; do kill -0 "${PIDS[$name]}" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for name in "${!PIDS[@]}"; do kill -KILL "${PIDS[$name]}" 2>/dev/null || true; done
}
finish() {
  local rc=$?
  trap - EXIT INT TERM
  stop_all
  if ((fail > 0)) || ((rc != 0)); then
    echo
    echo "== logs (last lines) of $work/logs"
    for f in "$logs"/*.log; do
      [[ -s $f ]] || continue
      echo "--- $(basename "$f")"
      tail -n 15 "$f" | cut -c1-400
    done
  fi
  figures+=("total time in the namespace: $(since "$T0") s")
  echo
  echo "== figures"
  printf '  %s\n' "${figures[@]}"
  ((rc == 0 || fail > 0)) || fail=$((fail + 1))
  echo "e2e: $pass passed, $fail failed"
  if ((fail == 0)); then exit 0; else exit 1; fi
}
trap finish EXIT
trap 'echo "e2e: interrupted (deadline or signal)"; exit 130' INT TERM
trap 'echo "e2e: unexpected error (exit $?) at line $LINENO: $BASH_COMMAND" >&2' ERR

# fatal MSG: an assertion that later steps cannot do without
fatal() { ko "$*"; exit 1; }

# wait_until SECONDS CMD...: poll CMD every 0.2 s, at most SECONDS
wait_until() {
  local limit=$1; shift
  local end; end=$(calc "$(date +%s.%N) + $limit")
  until "$@" >/dev/null 2>&1; do
    is "$(date +%s.%N) > $end" && return 1
    sleep 0.2
  done
}
# start NAME CMD...: a background server, output to logs/NAME.log
start() {
  local name=$1; shift
  "$@" >"$logs/$name.log" 2>&1 &
  PIDS[$name]=$!
}
alive() { kill -0 "${PIDS[$1]}" 2>/dev/null; }
tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

yaml() { "$PY" "$work/yaml2json.py" "$1"; }
cp "$(dirname "${BASH_SOURCE[0]}")/yaml2json.py" "$work/yaml2json.py"

section "generated artifacts"
for f in docker-compose.yml nginx/nginx.conf monitoring/prometheus.yml monitoring/alert_rules.yml monitoring/alertmanager.yml; do
  [[ -f $out/$f ]] || fatal "cfgen wrote no $f (the e2e needs it)"
done
ok "cfgen wrote docker-compose.yml, nginx/nginx.conf, monitoring/{prometheus,alert_rules,alertmanager}.yml"
yaml "$out/docker-compose.yml" >"$work/compose.json" || fatal "docker-compose.yml is not YAML"
yaml "$out/monitoring/prometheus.yml" >"$work/prometheus.json" || fatal "prometheus.yml is not YAML"
yaml "$out/monitoring/alertmanager.yml" >"$work/alertmanager.json" || fatal "alertmanager.yml is not YAML"
compose() { jq -r "$@" "$work/compose.json"; }
for s in app mysql redis nginx; do
  [[ $(compose ".services.\"$s\" | type") == object ]] || fatal "docker-compose.yml has no service $s"
done
ok "docker-compose.yml has the services app, mysql, redis, nginx"

# --- network: loopback for the host side, a veth pair to nginx's own namespace ---------------
# nginx gets its own network namespace as in its container: its compose healthcheck server
# listens on 127.0.0.1:8080, which the app's 0.0.0.0:8080 would otherwise take.
section "namespaces: network, /etc, /run, /tmp"
HOST_IP=10.203.0.1 NGINX_IP=10.203.0.2
ip link set lo up
ip link add e2e-host type veth peer name e2e-nginx
ip addr add "$HOST_IP/24" dev e2e-host
ip link set e2e-host up
unshare --net sleep infinity &
PIDS[nginx-netns]=$!
sleep 0.1
ip link set e2e-nginx netns "${PIDS[nginx-netns]}"
in_nginx_ns() { nsenter -t "${PIDS[nginx-netns]}" -n "$@"; }
in_nginx_ns ip link set lo up
in_nginx_ns ip addr add "$NGINX_IP/24" dev e2e-nginx
in_nginx_ns ip link set e2e-nginx up
[[ $(ip -o link | grep -cv ' lo:\| e2e-host@') == 0 ]] || fatal "the namespace has an interface besides lo and the veth"
ok "private network: lo + veth $HOST_IP <-> nginx namespace $NGINX_IP, no route out"

# /etc: overlay with a throwaway upper layer (hosts, passwd, nginx config, certificates,
# alertmanager secrets); /run: fresh tmpfs (compose secrets under /run/secrets); /tmp: fresh
# tmpfs (nginx pid and temp paths), after moving the work dir out of it.
mkdir -p "$work/etc-upper" "$work/etc-work"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$work/etc-upper,workdir=$work/etc-work" /etc
mount -t tmpfs -o size=16m,mode=0755 tmpfs /run
mkdir -p /run/e2e
mount --bind "$work" /run/e2e
work=/run/e2e out=/run/e2e/out logs=/run/e2e/logs SHOP=/run/e2e/bin/shop
mount -t tmpfs -o size=256m,mode=1777 tmpfs /tmp

# host names of the generated configs: the compose services and scrape targets on the host side
server_names=$(sed -nE 's/^\s*server_name\s+([^;]+);.*/\1/p' "$out/nginx/nginx.conf" | tr ' ' '\n' | grep -v '^_$' | sort -u | tr '\n' ' ')
{
  echo "127.0.0.1 localhost mysql redis prometheus alertmanager mysql-exporter redis-exporter node-exporter"
  echo "::1 localhost ip6-localhost"
  echo "$HOST_IP app"
  echo "$NGINX_IP nginx $server_names"
} >/etc/hosts
echo "  hosts: $(tr '\n' ';' </etc/hosts)"

# ================================ compose secrets ==============================================
# File secrets (`file: ./secrets/<name>`, beside docker-compose.yml) are made by the generated
# compose-secrets.sh, run unmodified in the copy of the output (random passwords, the URLs
# that use them); each service reads them at /run/secrets/<name>. Secrets from `environment:`
# (the version-1 shape) get values the e2e knows (below, after the database is up).
section "compose secrets: the generated compose-secrets.sh"
secret_path() { # NAME: the host file of a file secret, resolved beside docker-compose.yml
  local f; f=$(compose --arg n "$1" '.secrets[$n].file // empty')
  [[ -n $f ]] || return 1
  [[ $f == /* ]] || f="$out/${f#./}"
  printf '%s\n' "$f"
}
n_file_secrets=$(compose '[.secrets // {} | to_entries[] | select(.value.file)] | length')
if ((n_file_secrets > 0)); then
  [[ -f $out/compose-secrets.sh ]] || fatal "docker-compose.yml reads $n_file_secrets file secret(s) but the output has no compose-secrets.sh"
  if bash "$out/compose-secrets.sh" >"$logs/compose-secrets.log" 2>&1; then
    ok "compose-secrets.sh (generated, unmodified) exit 0: $(grep -c '^created ' "$logs/compose-secrets.log") file(s) created"
  else
    fatal "compose-secrets.sh failed: $(tail -n 3 "$logs/compose-secrets.log" | tr '\n' ' ')"
  fi
  missing_secrets=()
  while IFS= read -r name; do
    f=$(secret_path "$name")
    [[ -s $f ]] || missing_secrets+=("$name (${f#"$out"/})")
  done < <(compose '.secrets // {} | to_entries[] | select(.value.file) | .key')
  check "compose-secrets.sh made every file secret docker-compose.yml reads${missing_secrets:+; missing: ${missing_secrets[*]}}" test "${#missing_secrets[@]}" = 0
fi
# mysql_password: the password of MYSQL_USER, as the mysql image's entrypoint reads it
mysql_password() {
  local pf name f
  pf=$(compose '.services.mysql.environment.MYSQL_PASSWORD_FILE // empty')
  if [[ -n $pf ]]; then
    name=$(compose --arg t "$pf" '.services.mysql.secrets // [] | .[] | if type == "string" then {source: ., target: .} else . end
      | select("/run/secrets/" + (.target // .source) == $t or .target == $t) | .source' | head -1)
    [[ -n $name ]] && f=$(secret_path "$name") && [[ -s $f ]] || return 1
    cat "$f"
    return
  fi
  pf=$(compose '.services.mysql.environment.MYSQL_PASSWORD // empty')
  [[ -n $pf ]] || pf=$(openssl rand -hex 16)   # the version-1 shape: the e2e chooses it
  printf '%s' "$pf"
}

# ================================ MariaDB, Redis ===============================================
section "MariaDB and Redis (compose services mysql, redis)"
db_name=$(compose '.services.mysql.environment.MYSQL_DATABASE // empty')
db_user=$(compose '.services.mysql.environment.MYSQL_USER // empty')
[[ -n $db_name && -n $db_user ]] || fatal "compose mysql service names no MYSQL_DATABASE/MYSQL_USER"
# the database user's password: the file compose's mysql service reads (MYSQL_PASSWORD_FILE, a
# secret compose-secrets.sh made above), or its MYSQL_PASSWORD
db_pass=$(mysql_password) || fatal "the compose mysql service gets no password the e2e can read (MYSQL_PASSWORD_FILE of a file secret, or MYSQL_PASSWORD)"
exporter_pass=$(openssl rand -hex 16)
t_db=$(now)
mariadb-install-db --no-defaults --datadir="$work/db" --auth-root-authentication-method=normal \
  --skip-test-db --user=root >"$logs/mariadb-install.log" 2>&1 || fatal "mariadb-install-db failed"
start mariadb mariadbd --no-defaults --datadir="$work/db" --socket="$work/db.sock" \
  --pid-file="$work/db.pid" --port=3306 --bind-address=127.0.0.1 --skip-name-resolve \
  --skip-log-bin --innodb-buffer-pool-size=64M --innodb-flush-log-at-trx-commit=2 --user=root
start redis redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no
wait_until 60 tcp_open 127.0.0.1 3306 || fatal "MariaDB did not listen on 127.0.0.1:3306 within 60 s"
wait_until 10 tcp_open 127.0.0.1 6379 || fatal "Redis did not listen on 127.0.0.1:6379 within 10 s"
# what the mysql image's entrypoint does with MYSQL_DATABASE/MYSQL_USER/MYSQL_PASSWORD_FILE,
# plus a monitoring user for mysqld_exporter
mariadb --no-defaults -S "$work/db.sock" -uroot <<SQL || fatal "creating the database and users failed"
CREATE DATABASE \`$db_name\`;
CREATE USER '$db_user'@'%' IDENTIFIED BY '$db_pass';
GRANT ALL ON \`$db_name\`.* TO '$db_user'@'%';
CREATE USER 'exporter'@'%' IDENTIFIED BY '$exporter_pass' WITH MAX_USER_CONNECTIONS 3;
GRANT PROCESS, REPLICATION CLIENT, SLAVE MONITOR, SELECT ON *.* TO 'exporter'@'%';
SQL
figure "MariaDB ready in $(since "$t_db") s (install + start)"
ok "MariaDB on mysql:3306 with database $db_name and user $db_user; Redis on redis:6379"

# compose healthchecks, run as the compose file writes them (CMD form)
run_healthcheck() { # SERVICE [PREFIX...]: the app's runs as the app service
  local svc=$1; shift
  local -a test
  mapfile -t test < <(compose ".services.\"$svc\".healthcheck.test[]?")
  [[ ${#test[@]} -gt 1 && ${test[0]} == CMD ]] || { echo "no CMD healthcheck"; return 1; }
  test=("${test[@]:1}")
  if [[ ${test[0]} == */shop || ${test[0]} == shop ]]; then
    test[0]=$SHOP
    service_cmd "$svc" "" "${test[@]}"
    test=("${SVC_CMD[@]}")
  fi
  "$@" "${test[@]}"
}

# ================================ secrets, migrate, app =======================================
section "shop migrate, shop serve (compose services migrate, app)"
# compose secrets mounted at /run/secrets/<name>: a file secret's file (compose-secrets.sh made
# it above), or, for a secret from `environment: VAR`, the value the e2e gives VAR
declare -A SECRET_VALUE=(
  [DATABASE_URL]="mysql://$db_user:$db_pass@mysql:3306/$db_name"
  [REDIS_URL]="redis://redis:6379/0"
  [MYSQL_PASSWORD]="$db_pass"
  [MYSQL_ROOT_PASSWORD]=""
)
mkdir -p /run/secrets
while IFS=$'\t' read -r name var; do
  if f=$(secret_path "$name"); then
    [[ -r $f ]] || fatal "compose secret $name: no file ${f#"$out"/}"
    cp "$f" "/run/secrets/$name"
  else
    [[ -v SECRET_VALUE[$var] ]] || fatal "compose secret $name comes from neither a file nor a variable the e2e knows how to fill (environment: '$var')"
    printf '%s\n' "${SECRET_VALUE[$var]}" >"/run/secrets/$name"
  fi
  chmod 0444 "/run/secrets/$name"
done < <(compose '.secrets // {} | to_entries[] | [.key, (.value.environment // "")] | @tsv')

# service_env SERVICE: its environment as NAME=VALUE lines (map or list form); checks that
# every *_FILE path is a secret the service mounts
service_env() {
  compose ".services.\"$1\".environment // {} | if type == \"array\" then .[] else to_entries[] | \"\(.key)=\(.value)\" end"
}
check_secret_files() { # SERVICE
  local svc=$1 line var val ok_=0
  local mounted; mounted=$(compose ".services.\"$svc\".secrets // [] | .[] | if type == \"string\" then . else (.target // .source) end" | sed 's|^|/run/secrets/|' | tr '\n' ' ')
  while IFS= read -r line; do
    var=${line%%=*} val=${line#*=}
    [[ $var == *_FILE ]] || continue
    if [[ " $mounted " != *" $val "* ]]; then echo "  $svc: $var=$val is not a secret the service mounts ($mounted)"; ok_=1; fi
    [[ -r $val ]] || { echo "  $svc: $var=$val: no such file"; ok_=1; }
  done < <(service_env "$svc")
  return $ok_
}
# service_cmd SERVICE EXTRA_ENV CMD...: sets SVC_CMD to CMD run with exactly the service's
# environment (plus EXTRA_ENV, space-separated NAME=VALUE), as its `user:`
user_of() { compose ".services.\"$1\".user // \"0:0\""; }
service_cmd() {
  local svc=$1 extra=$2; shift 2
  local u; u=$(user_of "$svc")
  local -a env_=() more=()
  mapfile -t env_ < <(service_env "$svc")
  [[ -n $extra ]] && read -r -a more <<<"$extra"
  SVC_CMD=(setpriv --reuid="${u%%:*}" --regid="${u##*:}" --clear-groups env -i "${env_[@]}" "${more[@]}" "$@")
}

# the app's environment, as compose gives it; the only addition is PAYMENT_FAILURE_RATE
# (compose leaves it at the app's default 0: no declines, so no failed payments to count)
app_env=$(service_env app)
sed 's/^/  app env: /' <<<"$app_env"
grep -q '^PAYMENT_FAILURE_RATE=' <<<"$app_env" && payment_rate_from_compose=1 || payment_rate_from_compose=0
EXTRA_ENV=""
((payment_rate_from_compose)) || EXTRA_ENV="PAYMENT_FAILURE_RATE=0.3"
echo "  added by the test: ${EXTRA_ENV:-(nothing)}"
check "app: every *_FILE variable names a compose secret the service mounts, and it exists" check_secret_files app

migrate_svc=app
if [[ $(compose '.services.migrate | type') == object ]]; then
  migrate_svc=migrate
  check "migrate: every *_FILE variable names a compose secret the service mounts" check_secret_files migrate
  mapfile -t mcmd < <(compose '.services.migrate.command | if type == "array" then .[] else split(" ")[] end')
  # the image's binary, by name or by its path in the image (/usr/local/bin/shop): run here as the built one
  [[ ${mcmd[0]:-} == shop || ${mcmd[0]:-} == */shop ]] || ko "compose migrate command is '${mcmd[*]}', expected the app's binary (shop migrate)"
  mcmd[0]=$SHOP
else
  mcmd=("$SHOP" migrate)
fi
t_migrate=$(now)
service_cmd "$migrate_svc" "" "${mcmd[@]}"
if "${SVC_CMD[@]}" >"$logs/migrate.log" 2>&1; then
  ok "compose $migrate_svc: '${mcmd[*]##*/}' with its environment and secrets (exit 0)"
else
  fatal "migrate failed (logs/migrate.log)"
fi
figure "shop migrate: $(since "$t_migrate") s"

t_app=$(now)
service_cmd app "$EXTRA_ENV" "$SHOP" serve
start app "${SVC_CMD[@]}"
app_port=$(grep '^PORT=' <<<"$app_env" | cut -d= -f2)
app_port=${app_port:-8080}
ready() { curl -fsS -m 2 "http://app:$app_port/ready" | grep -q '"ready"'; }
if wait_until 60 ready; then
  figure "app: time to ready (spawn -> /ready 200 at app:$app_port) $(since "$t_app") s"
  ok "shop serve is ready on app:$app_port with the compose environment (as uid $(user_of app))"
else
  alive app || fatal "shop serve exited (logs/app.log)"
  fatal "shop serve not ready within 60 s"
fi
check "compose healthcheck of app passes (shop healthcheck)" run_healthcheck app
check "compose healthcheck of mysql passes ($(run_healthcheck mysql 2>&1 | head -1))" run_healthcheck mysql
check "compose healthcheck of redis passes ($(run_healthcheck redis 2>&1 | head -1))" run_healthcheck redis

# ================================ nginx ========================================================
section "nginx with the generated nginx.conf (own network namespace)"
cp -r "$out/nginx"/. /etc/nginx/
nginx_user=$(sed -nE 's/^\s*user\s+([^ ;]+).*/\1/p' "$out/nginx/nginx.conf" | head -1)
if [[ -n $nginx_user ]] && ! getent passwd "$nginx_user" >/dev/null; then
  echo "$nginx_user:x:64998:64998:e2e:/nonexistent:/usr/sbin/nologin" >>/etc/passwd
  getent group "$nginx_user" >/dev/null || echo "$nginx_user:x:64998:" >>/etc/group
fi
# a throwaway CA-less self-signed certificate for the server names, at the configured paths
cert=$(sed -nE 's/^\s*ssl_certificate\s+([^;]+);.*/\1/p' "$out/nginx/nginx.conf" | head -1)
key=$(sed -nE 's/^\s*ssl_certificate_key\s+([^;]+);.*/\1/p' "$out/nginx/nginx.conf" | head -1)
tls=0
first_name=${server_names%% *}
first_name=${first_name:-nginx}
if [[ -n $cert && -n $key ]]; then
  tls=1
  san=$(for n in $server_names nginx; do printf 'DNS:%s,' "$n"; done)
  mkdir -p "$(dirname "$cert")" "$(dirname "$key")"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=$first_name" -addext "subjectAltName=${san%,}" -keyout "$key" -out "$cert" \
    >"$logs/openssl.log" 2>&1 || fatal "dummy certificate failed"
  cp "$cert" "$work/ca.pem"
fi
in_nginx_ns nginx -t -e stderr -c /etc/nginx/nginx.conf >"$logs/nginx-t.log" 2>&1 \
  && ok "nginx -t accepts the generated nginx.conf" || fatal "nginx -t rejects nginx.conf: $(tail -n 3 "$logs/nginx-t.log" | tr '\n' ' ')"
t_nginx=$(now)
start nginx nsenter -t "${PIDS[nginx-netns]}" -n nginx -e stderr -c /etc/nginx/nginx.conf -g 'daemon off;'
if ((tls)); then
  base="https://$first_name"
  CURL=(curl -sS -m 5 --cacert "$work/ca.pem")
else
  base="http://$first_name"
  CURL=(curl -sS -m 5)
fi
wait_until 15 "${CURL[@]}" -f -o /dev/null "$base/health" || fatal "nginx does not proxy $base/health within 15 s (logs/nginx.log)"
figure "nginx: start -> first proxied 200 $(since "$t_nginx") s"
if [[ $(compose '.services.nginx.healthcheck.test | type') == array ]]; then
  check "compose healthcheck of nginx passes (in nginx's namespace)" run_healthcheck nginx in_nginx_ns
fi
figure "stack (MariaDB, Redis, migrate, app, nginx) ready $(since "$t_db") s after the first server started"

# ================================ through nginx ================================================
section "requests through nginx: reach the app, security headers, redirect, metrics hidden"
hdr() { "${CURL[@]}" -D - -o "$work/body" "$@" | tr -d '\r'; }
h=$(hdr "$base/products")
code=$(head -1 <<<"$h" | awk '{print $2}')
check "GET $base/products (TLS verified against the dummy cert) answers 200 (got $code)" test "$code" = 200
check "the response comes from the app (X-Request-Id, products JSON)" \
  bash -c 'grep -qi "^x-request-id: " <<<"$1" && jq -e ".products | length > 0" "$2" >/dev/null' _ "$h" "$work/body"
rid=$(hdr -H 'X-Request-Id: e2e-check-1' "$base/health" | sed -nE 's/^[Xx]-[Rr]equest-[Ii][Dd]: (.*)/\1/p')
check "nginx passes a request id to the app (X-Request-Id: $rid)" test -n "$rid"
headers_ok() { # HEADERS
  local h=$1 miss=()
  ((tls)) && ! grep -qiE '^strict-transport-security: max-age=([0-9]+)' <<<"$h" && miss+=(Strict-Transport-Security)
  grep -qi '^x-content-type-options: nosniff' <<<"$h" || miss+=(X-Content-Type-Options)
  grep -qiE '^x-frame-options: (DENY|SAMEORIGIN)' <<<"$h" || miss+=(X-Frame-Options)
  grep -qi '^referrer-policy: ' <<<"$h" || miss+=(Referrer-Policy)
  grep -qi '^content-security-policy: ' <<<"$h" || miss+=(Content-Security-Policy)
  if grep -qiE '^server: nginx/[0-9]' <<<"$h"; then miss+=("Server without version (server_tokens off)"); fi
  ((${#miss[@]} == 0)) || { echo "    missing: ${miss[*]}"; return 1; }
}
check "security headers on a proxied 200" headers_ok "$h"
h404=$(hdr "$base/orders/999999999")
check "security headers on an app error (404) too (add_header ... always)" headers_ok "$h404"
if ((tls)); then
  red=$(curl -sS -m 5 -o /dev/null -w '%{http_code} %{redirect_url}' "http://$first_name/products?x=1")
  check "plain HTTP redirects to HTTPS (got: $red)" test "$red" = "301 https://$first_name/products?x=1"
  tlsv=$("${CURL[@]}" -o /dev/null -w '%{http_version}' "$base/health")
  figure "HTTP version negotiated over TLS: $tlsv"
fi
# performance.yaml client_max_body_size: nginx refuses a larger body itself (413)
max_body=$(sed -nE 's/^\s*client_max_body_size\s+([0-9]+)([kKmMgG]?);.*/\1 \2/p' "$out/nginx/nginx.conf" | head -1)
if [[ -n $max_body ]]; then
  read -r mb_n mb_u <<<"$max_body"
  case $mb_u in k | K) mb=$((mb_n * 1024)) ;; m | M) mb=$((mb_n * 1048576)) ;; g | G) mb=$((mb_n * 1073741824)) ;; *) mb=$mb_n ;; esac
  head -c $((mb + 1024)) /dev/zero >"$work/big.body"
  bcode=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$work/big.body" "$base/users")
  check "a body over client_max_body_size ($mb_n$mb_u) gets 413 from nginx (got $bcode)" test "$bcode" = 413
  rm -f "$work/big.body"
fi
mcode=$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$base/metrics")
check "/metrics is not served through nginx (got $mcode)" test "$mcode" = 404

# ================================ exporters, Prometheus, Alertmanager ==========================
section "exporters, Prometheus, Alertmanager with the generated configs"
# a server for every scrape target prometheus.yml names
mapfile -t targets < <(jq -r '.scrape_configs[] | .job_name as $j | .static_configs[]?.targets[] | "\($j)\t\(.)"' "$work/prometheus.json")
for jt in "${targets[@]}"; do
  job=${jt%%$'\t'*} target=${jt#*$'\t'}
  thost=${target%%:*} tport=${target##*:}
  case $thost in
    app) [[ $tport == "$app_port" ]] || ko "scrape job $job targets $target but the app listens on $app_port" ;;
    mysql-exporter)
        export DATA_SOURCE_NAME="exporter:$exporter_pass@(mysql:3306)/"
      start mysqld-exporter prometheus-mysqld-exporter --web.listen-address="127.0.0.1:$tport"
      unset DATA_SOURCE_NAME ;;
    redis-exporter)
      start redis-exporter prometheus-redis-exporter --redis.addr=redis://redis:6379 \
        --web.listen-address="127.0.0.1:$tport" ;;
    node-exporter)
      start node-exporter prometheus-node-exporter --web.listen-address="127.0.0.1:$tport" --no-collector.systemd ;;
    prometheus | localhost | alertmanager) ;;
    *) ko "scrape job $job targets $target: the e2e knows no server for $thost" ;;
  esac
done
# Alertmanager: dummy credential files at the paths the config names (never opened at load)
am_target=$(jq -r '.alerting.alertmanagers[]?.static_configs[]?.targets[]?' "$work/prometheus.json" | head -1)
grep -oE '_file: *[^ #]+' "$out/monitoring/alertmanager.yml" | sed -E 's/_file: *//; s/"//g' | sort -u | while read -r f; do
  mkdir -p "$(dirname "$f")"
  case $f in *slack*) echo "http://127.0.0.1:9/slack" ;; *) echo dummy ;; esac >"$f"
done
if [[ -n $am_target ]]; then
  start alertmanager prometheus-alertmanager --config.file="$out/monitoring/alertmanager.yml" \
    --storage.path="$work/am" --web.listen-address="127.0.0.1:${am_target##*:}" --cluster.listen-address=
else
  ko "prometheus.yml names no alertmanager"
fi
t_prom=$(now)
start prometheus prometheus --config.file="$out/monitoring/prometheus.yml" \
  --storage.tsdb.path="$work/prom" --web.listen-address=127.0.0.1:9090
PROM=http://127.0.0.1:9090
pq() { curl -fsS -m 5 "$PROM/api/v1/$1" "${@:2}"; }
wait_until 30 pq status/runtimeinfo || fatal "Prometheus did not answer within 30 s (logs/prometheus.log)"
ok "Prometheus loaded the generated prometheus.yml"
figure "Prometheus: start -> API up $(since "$t_prom") s"
pq rules >"$work/rules.json"
n_rec=$(jq '[.data.groups[].rules[] | select(.type == "recording")] | length' "$work/rules.json")
n_alert=$(jq '[.data.groups[].rules[] | select(.type == "alerting")] | length' "$work/rules.json")
n_file=$(grep -cE '^\s*- (record|alert):' "$out/monitoring/alert_rules.yml")
check "Prometheus loaded every rule of alert_rules.yml ($n_rec recording + $n_alert alerting of $n_file)" \
  test "$((n_rec + n_alert))" = "$n_file"
has_rule() { jq -e --arg r "$1" '[.data.groups[].rules[] | select(.name == $r)] | length == 1' "$work/rules.json" >/dev/null; }
for r in order_success_rate payment_success_rate; do
  check "recording rule $r loaded" has_rule "$r"
done
if [[ -n $am_target ]]; then
  am_up() { pq alertmanagers | jq -e --arg t "$am_target" '.data.activeAlertmanagers | map(.url) | any(contains($t))'; }
  check "Prometheus discovered the Alertmanager at $am_target" wait_until 15 am_up
fi
# every target up: the app's scrape interval may be 30 s, with a hashed offset before the first
app_job=$(jq -r --arg p "app:$app_port" '.scrape_configs[] | select(any(.static_configs[]?.targets[]?; . == $p)) | .job_name' "$work/prometheus.json" | head -1)
all_up() { pq targets | jq -e '.data.activeTargets | length > 0 and all(.health == "up")'; }
t_up=$(now)
if wait_until 75 all_up; then
  ok "every scrape target is up ($(pq targets | jq -r '[.data.activeTargets[] | .labels.job] | join(", ")'))"
else
  pq targets | jq -r '.data.activeTargets[] | "    \(.labels.job) \(.scrapeUrl) \(.health) \(.lastError)"'
  ko "not every scrape target is up within 75 s"
fi
figure "Prometheus: all targets up $(since "$t_up") s after the API answered"
app_up() { pq targets | jq -e --arg j "$1" '[.data.activeTargets[] | select(.labels.job == $j)] | length == 1 and all(.health == "up")' >/dev/null; }
check "the app target (job ${app_job:-none names app:$app_port}) is up" app_up "$app_job"
active_alerts() { pq alerts | jq -r --arg sev "$1" '[.data.alerts[] | select($sev == "" or .labels.severity == $sev) | "\(.labels.alertname)(\(.state))"] | join(" ")'; }
seconds() { case $1 in *ms) echo 1 ;; *s) echo "${1%s}" ;; *m) echo $((${1%m} * 60)) ;; *) echo 15 ;; esac; }
# wait for one rule evaluation after the exporters' first scrape
sleep "$(seconds "$(jq -r '.global.evaluation_interval // "15s"' "$work/prometheus.json")")"
quiet=$(active_alerts critical)
check "no critical alert pending or firing with everything healthy (got: ${quiet:-none})" test -z "$quiet"
figure "alerts active on a healthy, fresh stack: $(active_alerts '' | sed 's/^$/none/')"

# ================================ business traffic through nginx ===============================
section "orders and payments through nginx (paced below the rate limit)"
rate=$(sed -nE 's/.*limit_req_zone .*rate=([0-9]+)r\/s.*/\1/p' "$out/nginx/nginx.conf" | head -1)
burst=$(sed -nE 's/.*limit_req zone=[^ ]+ burst=([0-9]+).*/\1/p' "$out/nginx/nginx.conf" | head -1)
pace=$(calc "1 / ${rate:-10}")
api() { # METHOD PATH [JSON] -> prints "CODE BODY"
  local body
  if [[ -n ${3:-} ]]; then
    body=$("${CURL[@]}" -X "$1" -H 'Content-Type: application/json' -d "$3" -w '\n%{http_code}' "$base$2")
  else
    body=$("${CURL[@]}" -X "$1" -w '\n%{http_code}' "$base$2")
  fi
  sleep "$pace"
  printf '%s %s\n' "$(tail -n1 <<<"$body")" "$(sed '$d' <<<"$body")"
}
r=$(api POST /users '{"email":"e2e@example.com","name":"E2E"}')
user_id=$(jq -r .id <<<"${r#* }" 2>/dev/null || true)
[[ ${r%% *} == 201 && $user_id =~ ^[0-9]+$ ]] || fatal "POST /users: ${r:0:200}"
product_id=$(api GET /products | cut -d' ' -f2- | jq -r '.products[0].id')
orders_ok=0 orders_failed=0 pay_ok=0 pay_failed=0 other=0
order_ids=()
for i in $(seq 1 24); do
  if ((i % 6 == 0)); then
    item='{"product_id":999999999,"quantity":1}'   # unknown product: 422, a failed order
  else
    item="{\"product_id\":$product_id,\"quantity\":1}"
  fi
  r=$(api POST /orders "{\"user_id\":$user_id,\"items\":[$item]}")
  case ${r%% *} in
    201) orders_ok=$((orders_ok + 1)); order_ids+=("$(jq -r .id <<<"${r#* }")") ;;
    422) orders_failed=$((orders_failed + 1)) ;;
    *) other=$((other + 1)); echo "    unexpected: ${r:0:200}" ;;
  esac
done
for id in "${order_ids[@]}"; do
  r=$(api POST "/orders/$id/pay")
  case ${r%% *} in
    200) pay_ok=$((pay_ok + 1)) ;;
    402) pay_failed=$((pay_failed + 1)) ;;
    *) other=$((other + 1)); echo "    unexpected: ${r:0:200}" ;;
  esac
done
check "orders and payments through nginx: only 201/422 and 200/402 answers (other: $other)" test "$other" = 0
figure "driven: orders $orders_ok ok + $orders_failed failed, payments $pay_ok ok + $pay_failed declined"
exp_order=$(calc "$orders_ok / ($orders_ok + $orders_failed)")
exp_pay=$(calc "$pay_ok / ($pay_ok + $pay_failed)")
t_traffic=$(now)

# ================================ rate limiting, throughput ====================================
section "rate limiting (${rate:-?} r/s, burst ${burst:-?}) and throughput through nginx"
if [[ -n $rate && -n $burst ]]; then
  sleep "$(calc "($burst + 1) / $rate")"  # the bucket drains after the paced traffic
  n=$((burst + 2 * rate + 20))
  # curl's -o applies to one URL: one "-o /dev/null URL" pair per request, on one connection
  urls=() hurls=()
  for ((i = 0; i < n; i++)); do urls+=(-o /dev/null "$base/products"); hurls+=(-o /dev/null "$base/health"); done
  t_rl=$(now)
  codes=$("${CURL[@]}" -D "$work/burst.headers" -w '%{http_code}\n' "${urls[@]}")
  dt=$(since "$t_rl")
  n200=$(grep -c '^200$' <<<"$codes" || true)
  n429=$(grep -c '^429$' <<<"$codes" || true)
  figure "rate limit: $n requests in $dt s on one connection -> $n200 x 200, $n429 x 429"
  max200=$(awk "BEGIN { printf \"%d\", $burst + 1 + $rate * $dt + 1 }")
  check "requests beyond rate+burst answer 429 ($n429 of $n)" test "$n429" -gt 0
  check "the first burst+1 (=$((burst + 1))) pass and at most ~burst+1+rate*t (=$max200) do ($n200)" \
    bash -c "(( $n200 >= $burst + 1 && $n200 <= $max200 && $n200 + $n429 == $n ))"
  h429=$(tr -d '\r' <"$work/burst.headers" | awk -v RS= '/^HTTP\/[0-9.]+ 429/ { print; exit }')
  check "a 429 carries the security headers too" headers_ok "$h429"
  hcodes=$("${CURL[@]}" -w '%{http_code}\n' "${hurls[@]}" | sort | uniq -c | tr -s ' \n' ' ')
  check "the probe /health is never rate-limited ($n at once: $hcodes)" test "$hcodes" = " $n 200 "
else
  ko "nginx.conf has no limit_req_zone rate / limit_req burst (security.yaml rate_limiting: true)"
fi
wrk_out=$(wrk -t2 -c16 -d4s --timeout 5s "$base/health" 2>&1) || true
rps=$(sed -nE 's/^Requests\/sec:\s+([0-9.]+).*/\1/p' <<<"$wrk_out")
non2xx=$(sed -nE 's/.*Non-2xx or 3xx responses: ([0-9]+).*/\1/p' <<<"$wrk_out")
lat=$(sed -nE 's/^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+).*/avg \1, stdev \2, max \3/p' <<<"$wrk_out")
figure "throughput through nginx (TLS, keep-alive, GET /health, wrk 2 threads x 16 conns, 4 s): ${rps:-?} req/s, latency $lat, non-2xx ${non2xx:-0}"
check "wrk through nginx: requests served, no errors" bash -c "[[ -n '$rps' && -z '$non2xx' ]]"
wrk_app=$(wrk -t2 -c16 -d3s "http://app:$app_port/health" 2>&1 | sed -nE 's/^Requests\/sec:\s+([0-9.]+).*/\1/p') || true
figure "for comparison, the app directly (plain HTTP, 3 s): ${wrk_app:-?} req/s"

# ================================ recording rules ==============================================
section "recording rules order_success_rate / payment_success_rate"
query() { pq query --data-urlencode "query=$1" | jq -r '.data.result[0].value[1] // empty'; }
close_to() { [[ -n $1 ]] && is "($1 - $2) < 0.0001 && ($2 - $1) < 0.0001"; }
rule_settled() { close_to "$(query order_success_rate)" "$exp_order" && close_to "$(query payment_success_rate)" "$exp_pay"; }
if wait_until 120 rule_settled; then
  ok "order_success_rate = $(query order_success_rate) (expected $exp_order), payment_success_rate = $(query payment_success_rate) (expected $exp_pay)"
else
  ko "recording rules after 120 s: order_success_rate=$(query order_success_rate) (expected $exp_order), payment_success_rate=$(query payment_success_rate) (expected $exp_pay)"
fi
figure "recording rules: order_success_rate=$(query order_success_rate), payment_success_rate=$(query payment_success_rate), $(since "$t_traffic") s after the last payment"
for r in 'job:http_requests:rate5m' 'job:http_request_errors:ratio_rate5m' 'job:active_users:sum'; do
  v=$(query "$r")
  figure "  $r = ${v:-(no value)}"
done
check "job:active_users:sum counts the one user who ordered (got $(query 'job:active_users:sum'))" close_to "$(query 'job:active_users:sum')" 1
# the business alert on the ratio: active, but pending while its `for:` runs (rules of
# another group evaluate on their own schedule: poll one evaluation interval and a bit)
alert_state() { pq rules | jq -r --arg a "$1" '[.data.groups[].rules[] | select(.name == $a) | .state] | first // "absent"'; }
is_pending() { [[ $(alert_state "$1") == pending ]]; }
for pair in "order_success_rate $exp_order" "payment_success_rate $exp_pay"; do
  read -r rec expv <<<"$pair"
  # the alert on this ratio and its threshold, as alert_rules.yml writes it: `<rec>{...} < X`
  read -r aname thr < <(jq -r --arg r "$rec" '[.data.groups[].rules[] | select(.type == "alerting")
    | select(.query | test("(^|[^_a-z:])" + $r + "[{ ]")) | [.name, (.query | capture($r + "(\\{[^}]*\\})? *< *(?<t>[0-9.]+)").t)]] | first // [] | join(" ")' "$work/rules.json") || true
  if [[ -z ${aname:-} || -z ${thr:-} ]]; then
    ko "no alert with a '< threshold' on $rec in alert_rules.yml"
  elif is "$expv < $thr"; then
    wait_until 40 is_pending "$aname" || true
    check "$aname is pending ($rec $expv < $thr, its for: not yet elapsed), got: $(alert_state "$aname")" is_pending "$aname"
  else
    check "$aname stays inactive ($rec $expv >= $thr)" test "$(alert_state "$aname")" = inactive
  fi
done

# ================================ Redis down: degraded, not unready ============================
section "stop Redis: readiness stays 200 (degraded), the cache alerts go pending, AppNotReady stays quiet"
# SPEC.md: a cache outage is degraded service, reported in /metrics, not unreadiness
t_stop=$(now)
kill -TERM "${PIDS[redis]}"
wait "${PIDS[redis]}" 2>/dev/null || true
unset 'PIDS[redis]'
degraded() { [[ $("${CURL[@]}" -o "$work/ready.json" -w '%{http_code}' "$base/ready") == 200 ]] && grep -q '"degraded"' "$work/ready.json"; }
check "/ready through nginx stays 200 ({\"status\":\"degraded\"}) while Redis is down" wait_until 15 degraded
figure "readiness: degraded (200) $(since "$t_stop") s after Redis stopped: $(head -c 200 "$work/ready.json")"
products_ok() { [[ $("${CURL[@]}" -o /dev/null -w '%{http_code}' "$base/products") == 200 ]]; }
check "GET /products through nginx still answers 200 from the database" products_ok
# the alerts on the app's own report (app_dependency_up{dependency=...}) and the exporter's (redis_up)
rule_on() { jq -r --arg re "$1" '[.data.groups[].rules[] | select(.type == "alerting") | select(.query | test($re)) | .name] | first // empty' "$work/rules.json"; }
cache_alert=$(rule_on 'app_dependency_up\{[^}]*dependency="redis"')
ready_alert=$(rule_on 'app_dependency_up\{[^}]*dependency="database"')
dep_alert=$(rule_on 'redis_up')
sev_of() { jq -r --arg a "$1" '[.data.groups[].rules[] | select(.name == $a) | .labels.severity] | first // ""' "$work/rules.json"; }
[[ -n $dep_alert ]] || ko "alert_rules.yml has no alert on redis_exporter's redis_up"
[[ -n $ready_alert ]] || ko "alert_rules.yml has no readiness alert (app_dependency_up{dependency=\"database\"})"
# state of ALERT's instance whose label KEY is VALUE ("" when not active)
state_of() { pq alerts | jq -r --arg a "$1" --arg k "$2" --arg v "$3" '[.data.alerts[] | select(.labels.alertname == $a and .labels[$k] == $v) | .state] | first // empty'; }
if [[ -z $cache_alert ]]; then
  ko "alert_rules.yml has no cache alert (app_dependency_up{dependency=\"redis\"})"
else
  t_pending="" t_dep=""
  end=$(calc "$(now) + 90")
  while is "$(now) < $end"; do
    [[ -z $t_pending && -n $(state_of "$cache_alert" dependency redis) ]] && t_pending=$(since "$t_stop")
    [[ -n $dep_alert && -z $t_dep && -n $(state_of "$dep_alert" job redis) ]] && t_dep=$(since "$t_stop")
    [[ -n $t_pending && ( -z $dep_alert || -n $t_dep ) ]] && break
    sleep 0.5
  done
  check "$cache_alert{dependency=\"redis\"} goes pending/firing after Redis stops (after ${t_pending:-never} s, polled <= 90 s)" test -n "$t_pending"
  check "$cache_alert is a warning, not a page (severity: $(sev_of "$cache_alert"))" test "$(sev_of "$cache_alert")" = warning
  figure "cache alert $cache_alert{dependency=\"redis\"}: active after ${t_pending:-never} s (for: $(jq -r --arg a "$cache_alert" '[.data.groups[].rules[] | select(.name == $a) | .duration] | first' "$work/rules.json") s; app scraped every $(jq -r --arg j "$app_job" '[.scrape_configs[] | select(.job_name == $j) | .scrape_interval] | first // "?"' "$work/prometheus.json"), rules evaluated every $(jq -r '.global.evaluation_interval // "?"' "$work/prometheus.json"))"
  if [[ -n $dep_alert ]]; then
    check "$dep_alert (redis_exporter's redis_up) goes pending/firing too (after ${t_dep:-never} s), a $(sev_of "$dep_alert")" \
      bash -c "[[ -n '$t_dep' && '$(sev_of "$dep_alert")' == warning ]]"
    figure "exporter alert $dep_alert{job=\"redis\"}: active after ${t_dep:-never} s"
  fi
fi
if [[ -n $ready_alert ]]; then
  s_r=$(state_of "$ready_alert" dependency redis) s_d=$(state_of "$ready_alert" dependency database)
  check "$ready_alert stays quiet while only Redis is down (redis: ${s_r:-inactive}, database: ${s_d:-inactive})" \
    test -z "$s_r$s_d"
fi
pq alerts | jq -r '.data.alerts[] | "    \(.labels) \(.state)"'
start redis redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no
t_back=$(now)
check "/ready returns to ready after Redis is back" wait_until 20 ready
figure "readiness: ready $(since "$t_back") s after Redis restarted"

# ================================ database frozen: not ready, the page is routed ==============
section "freeze the database: readiness turns 503, AppNotReady fires and reaches Alertmanager"
t_freeze=$(now)
kill -STOP "${PIDS[mariadb]}"
not_ready() { [[ $("${CURL[@]}" -o /dev/null -w '%{http_code}' "$base/ready") == 503 ]]; }
check "/ready through nginx answers 503 once the database does not answer" wait_until 15 not_ready
figure "readiness: 503 $(since "$t_freeze") s after the database froze"
if [[ -n $ready_alert ]]; then
  t_firing=""
  end=$(calc "$(now) + 90")
  while is "$(now) < $end"; do
    [[ $(state_of "$ready_alert" dependency database) == firing ]] && { t_firing=$(since "$t_freeze"); break; }
    sleep 0.5
  done
  sev=$(sev_of "$ready_alert")
  check "$ready_alert{dependency=\"database\"} fires after the database froze (after ${t_firing:-never} s, a $sev)" test -n "$t_firing"
  figure "readiness alert $ready_alert{dependency=\"database\"}: firing after ${t_firing:-never} s"
  if [[ -n $t_firing && -n $am_target ]]; then
    am_has() { curl -fsS -m 5 "http://127.0.0.1:${am_target##*:}/api/v2/alerts" | jq -e --arg a "$ready_alert" 'any(.[]; .labels.alertname == $a)'; }
    check "Alertmanager received $ready_alert from Prometheus" wait_until 30 am_has
    recv=$(curl -fsS -m 5 "http://127.0.0.1:${am_target##*:}/api/v2/alerts/groups" | jq -r --arg a "$ready_alert" '[.[] | select(any(.alerts[]; .labels.alertname == $a)) | .receiver.name] | unique | join(", ")')
    # the receivers alertmanager.yml's routes name for that severity (first match, plus `continue: true` ones)
    want=$(jq -r --arg s "severity=\"$sev\"" '[.route.routes // [] | foreach .[] as $r ({stop: false, out: []};
      if .stop then . elif (($r.matchers // []) | index($s)) then {stop: (($r.continue // false) | not), out: (.out + [$r.receiver])} else . end; .)]
      | last // {out: []} | .out | if length == 0 then ["(root)"] else . end | unique | join(", ")' "$work/alertmanager.json")
    [[ $want == "(root)" ]] && want=$(jq -r '.route.receiver' "$work/alertmanager.json")
    check "Alertmanager routed the $sev alert to the receivers alertmanager.yml names for it ($want), got: ${recv:-none}" test "$recv" = "$want"
  fi
fi
kill -CONT "${PIDS[mariadb]}"
t_thaw=$(now)
check "/ready returns to ready after the database answers again" wait_until 30 ready
figure "readiness: ready $(since "$t_thaw") s after the database thawed"

section "stop"
t_term=$(now)
kill -TERM "${PIDS[app]}"
(sleep 30; kill -KILL "${PIDS[app]}" 2>/dev/null) &
watchdog=$!
app_rc=0
wait "${PIDS[app]}" || app_rc=$?
kill "$watchdog" 2>/dev/null || true
check "shop exits 0 on SIGTERM within 30 s (exit $app_rc)" test "$app_rc" = 0
figure "app graceful shutdown: $(since "$t_term") s"
unset 'PIDS[app]'
