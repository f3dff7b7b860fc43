#!/usr/bin/env bash
# Benchmarks of cfgen's process wall time and peak memory (see BENCHMARKS.md).
# usage: tests/bench/bench.sh [PROJECTS]   (default 1000)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
n="${1:-1000}"
cargo build --release --locked -q
bin="$PWD/target/release/cfgen"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The rows without "cached" take the full path (--no-cache); the cached rows use a cache
# folder of this run's own, never the user's.
export CFGEN_CACHE_DIR="$work/cache"
m() { python3 tests/bench/measure.py "$@"; }

echo "## cfgen $(git rev-parse --short HEAD), $(nproc) cores"
m 21 -- "$bin" validate examples/ecommerce
cp -r examples/ecommerce "$work/example"
rm -rf "$work/example/deploy"
"$bin" build --no-cache "$work/example" 2>/dev/null
m 21 -- "$bin" build --no-cache "$work/example"
m 21 -- "$bin" build --no-cache --check "$work/example"
for size in 100 "$n"; do
  python3 tests/bench/monorepo.py "$work/mono-$size" "$size"
  m 3 -- "$bin" validate "$work/mono-$size"
  "$bin" build --no-cache "$work/mono-$size" 2>/dev/null
  m 5 -- "$bin" build --no-cache "$work/mono-$size"
  m 5 -- "$bin" build --no-cache --check "$work/mono-$size"
  # Incremental: one build records every project (its statuses are trusted once 3 s
  # old), then no-op builds and checks replay them.
  "$bin" build "$work/mono-$size" 2>/dev/null
  sleep 4
  "$bin" build "$work/mono-$size" 2>/dev/null
  echo "cached no-op build / --check of mono-$size"
  m 5 -- "$bin" build "$work/mono-$size"
  m 5 -- "$bin" build --check "$work/mono-$size"
  # The floor under `--check`: read every config and generated file once, on
  # as many readers as cores (what `--check` must do at the least).
  echo "floor: every file of mono-$size read once ($(find "$work/mono-$size" -type f | wc -l) files)"
  m 5 -- bash -c "find '$work/mono-$size' -type f -print0 | xargs -0 -P$(nproc) -n 500 cat >/dev/null"
done
