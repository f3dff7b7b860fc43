#!/usr/bin/env bash
# Load benchmark for the shop service, on loopback only, bounded in time.
#
# Builds the release binary, starts a throwaway MariaDB and Redis (temp dirs, 127.0.0.1),
# runs `shop migrate`, starts `shop serve`, then drives it with wrk:
#   1. GET /health            (DURATION seconds, CONNECTIONS connections)
#   2. GET /products          (served from the Redis cache)
#   3. POST /orders           (one DB transaction per request, bench/order.lua)
# and reports requests/s, p99 latency, non-2xx/socket errors, and the service's RSS idle
# and under load (VmRSS / VmHWM from /proc). Everything it started is killed on exit.
#
# Needs: wrk, curl, mariadb-server, redis-server (Debian packages).
# Tunables (env): DURATION (10), CONNECTIONS (16), WRK_THREADS (1), WORKERS (2),
#                 CARGO_TARGET_DIR (target), NICE (unset; e.g. -15 as root runs the servers
#                 and wrk at a higher priority, for a machine busy with other work).
# Besides wrk's numbers it reports the service's CPU time per request (from
# /proc/<pid>/stat), which stays meaningful when the machine is shared.
set -euo pipefail

DURATION=${DURATION:-10}
prio=(); [ -n "${NICE:-}" ] && prio=(nice -n "$NICE")
CONNECTIONS=${CONNECTIONS:-16}
WRK_THREADS=${WRK_THREADS:-1}
WORKERS=${WORKERS:-2}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}

need() { command -v "$1" >/dev/null || [ -x "/usr/sbin/$1" ] || { echo "missing $1: apt-get install -y --no-install-recommends $2" >&2; exit 1; }; }
need wrk wrk; need curl curl; need mariadbd mariadb-server; need redis-server redis-server
PATH=$PATH:/usr/sbin

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "== building release binary" >&2
(cd "$root" && CARGO_TARGET_DIR=$target cargo build --release -p app --bin shop >&2)
shop=$target/release/shop

work=$(mktemp -d /tmp/shop-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

wait_port() {
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "nothing listens on $1" >&2; return 1
}

db_port=$(free_port); redis_port=$(free_port); port=$(free_port)
user_flag=(); [ "$(id -u)" = 0 ] && user_flag=(--user=root)

echo "== starting MariaDB on 127.0.0.1:$db_port and Redis on 127.0.0.1:$redis_port" >&2
mariadb-install-db --no-defaults --datadir="$work/db" --auth-root-authentication-method=normal \
  --skip-test-db "${user_flag[@]}" >"$work/install.log" 2>&1
echo "CREATE DATABASE IF NOT EXISTS shop;" >"$work/init.sql"
"${prio[@]}" mariadbd --no-defaults --datadir="$work/db" --socket="$work/db.sock" --pid-file="$work/db.pid" \
  --log-error="$work/db.log" --init-file="$work/init.sql" --port="$db_port" \
  --bind-address=127.0.0.1 --skip-grant-tables --skip-name-resolve --skip-log-bin \
  --innodb-buffer-pool-size=128M --innodb-flush-log-at-trx-commit=2 --max-connections=200 \
  "${user_flag[@]}" >/dev/null 2>&1 &
pids+=($!)
"${prio[@]}" redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
  --logfile "$work/redis.log" >/dev/null 2>&1 &
pids+=($!)
wait_port "$db_port"; wait_port "$redis_port"

export PORT=$port DATABASE_URL="mysql://root@127.0.0.1:$db_port/shop" \
  REDIS_URL="redis://127.0.0.1:$redis_port/0" LOG_LEVEL=info LOG_FORMAT=json \
  WORKERS DB_POOL_SIZE=${DB_POOL_SIZE:-16} DB_MAX_OVERFLOW=0 WORKER_CONNECTIONS=1024 \
  CACHE_TTL_SECONDS=60 PAYMENT_FAILURE_RATE=0
"$shop" migrate >"$work/migrate.log" 2>&1
# Enough stock for every order wrk can place.
mariadb -h127.0.0.1 -P"$db_port" -uroot shop -e "UPDATE products SET stock = 1000000000"

"${prio[@]}" "$shop" serve >"$work/shop.log" 2>&1 &
shop_pid=$!
pids+=("$shop_pid")
wait_port "$port"
base="http://127.0.0.1:$port"
user_id=$(curl -fsS -H 'Content-Type: application/json' \
  -d '{"email":"bench@example.com","name":"Bench"}' "$base/users" | sed -E 's/.*"id":([0-9]+).*/\1/')
curl -fsS "$base/products" >/dev/null
curl -fsS "$base/ready" >/dev/null
sleep 1
rss_kib() { awk "/^$2:/ {print \$2}" "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
idle_rss=$(rss_kib "$shop_pid" VmRSS)

results=()
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
run() { # name, wrk args...
  local name=$1; shift
  local peak=0 out cpu0 cpu1
  cpu0=$(cpu_ticks "$shop_pid")
  ( while kill -0 "$shop_pid" 2>/dev/null; do rss_kib "$shop_pid" VmRSS; sleep 0.25; done ) >"$work/rss.$name" &
  local sampler=$!
  out=$("${prio[@]}" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@")
  kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
  cpu1=$(cpu_ticks "$shop_pid")
  peak=$(sort -n "$work/rss.$name" | tail -1)
  echo "$out" >&2
  local rps p99 non2xx sockerr total us
  rps=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}'); non2xx=${non2xx:-0}
  sockerr=$(echo "$out" | awk -F'[ ,]+' '/Socket errors/ {print $4+$6+$8+$10}'); sockerr=${sockerr:-0}
  total=$(echo "$out" | awk '/requests in/ {print $1}')
  us=$(awk -v t="$((cpu1 - cpu0))" -v hz="$hz" -v n="$total" 'BEGIN {printf "%.1f", t / hz * 1e6 / n}')
  results+=("$(printf '%-10s %10s req/s  p99 %-9s non-2xx %-5s socket-errors %-4s shop CPU %6s us/req  peak RSS %s KiB' \
    "$name" "$rps" "$p99" "$non2xx" "$sockerr" "$us" "$peak")")
}

echo "== wrk: $WRK_THREADS thread(s), $CONNECTIONS connections, ${DURATION}s each; shop WORKERS=$WORKERS" >&2
run health "$base/health"
run products "$base/products"
USER_ID=$user_id run orders -s "$here/order.lua" "$base/orders"
sleep 1
after_rss=$(rss_kib "$shop_pid" VmRSS)
hwm=$(rss_kib "$shop_pid" VmHWM)
orders=$(curl -fsS "$base/metrics" | awk '/^orders_total\{outcome="success"\}/ {print $2}')
errors=$(curl -fsS "$base/metrics" | awk '/^http_request_errors_total/ {s+=$2} END {print s+0}')

echo
echo "shop load benchmark ($(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), load average before: $load_before, NICE=${NICE:-none})"
printf '%s\n' "${results[@]}"
echo "RSS idle (after warm-up): ${idle_rss} KiB; after load: ${after_rss} KiB; peak (VmHWM): ${hwm} KiB"
echo "orders created: ${orders}; 5xx responses counted by the service: ${errors}"
