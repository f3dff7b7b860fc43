#!/usr/bin/env bash
# Rebuilds fuzz/corpus/load_validate from the example project and the invalid
# fixtures: each input is one byte naming the file (its index in
# FileKind::ALL) followed by that file's content.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=fuzz/corpus/load_validate
rm -rf "$out"
mkdir -p "$out"
files=(cfgen.yaml docker kubernetes scripts monitoring logging security backup performance checklist)
add() { # index, file, name
    { printf "\\$(printf '%03o' "$1")"; cat "$2"; } > "$out/$3"
}
for i in "${!files[@]}"; do
    name="${files[$i]}"
    rel="config/deployment/$name.yaml"
    [ "$i" = 0 ] && rel=cfgen.yaml
    add "$i" "examples/ecommerce/$rel" "example-$name"
    [ -f "app/$rel" ] && add "$i" "app/$rel" "app-$name"
    for fixture in tests/fixtures/invalid/*/; do
        [ -f "$fixture$rel" ] && add "$i" "$fixture$rel" "$(basename "$fixture")-$name"
    done
done
ls "$out" | wc -l
