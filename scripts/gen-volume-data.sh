#!/usr/bin/env bash
# Generates the volume datasets of the scale benchmarks (issue 16) into target/volume/ (not
# committed): 100k and 1M synthetic service points (GeoJSON) and 100k open suggestions (CSV).
# Reproducible: fixed seed, so the same bytes every run (see scripts/gen_volume_data.py).
# Existing files are kept; pass --force to regenerate.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${CARGO_TARGET_DIR:-$root/target}/volume"
force=0
[ "${1:-}" = "--force" ] && force=1
gen() { # file, args...
  local f="$out/$1"; shift
  if [ "$force" = 1 ] || [ ! -s "$f" ]; then
    python3 "$root/scripts/gen_volume_data.py" "$@" --out "$f"
  fi
}
gen points_100k.geojson --points 100000
gen points_1m.geojson --points 1000000
gen suggestions_100k.csv --suggestions 100000
ls -l "$out"
