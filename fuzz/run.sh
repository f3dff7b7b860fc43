#!/usr/bin/env bash
# Builds the fuzz targets with libFuzzer's coverage instrumentation (the flags
# cargo-fuzz passes, without a sanitizer, so the stable toolchain does) and
# runs `load_validate` for a bounded time on the committed corpus.
#
#   bash fuzz/run.sh [SECONDS]     (default 60)
#
# New inputs go to a scratch corpus under target/, so the committed one stays
# as it is; a crash, timeout or out-of-memory input is saved under
# target/fuzz-artifacts/ and the script fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds="${1:-60}"
triple="$(rustc -vV | sed -n 's/^host: //p')"
export CARGO_TARGET_DIR="$PWD/target"
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
cargo build --locked --release --manifest-path fuzz/Cargo.toml --target "$triple" --bin load_validate
bin="target/$triple/release/load_validate"
work="target/fuzz-corpus/load_validate"
artifacts="target/fuzz-artifacts/load_validate/"
mkdir -p "$work" "$artifacts"
"$bin" "$work" fuzz/corpus/load_validate \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -artifact_prefix="$artifacts" -print_final_stats=1 2>&1 | tail -n 25
