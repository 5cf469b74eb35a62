#!/usr/bin/env bash
# Checks the demand-weighted district table of `nuanxin coverage --demand builtup|pickups`
# against an independent recomputation (h3-py cells, pyproj distances, areas and the GHSL
# raster's Mollweide extent, demand read from the raw shipped files): Changsha city, e-bike
# 5 minutes, rest stations of the demo data. Goal: every share within 0.1 percentage point.
#
# Usage: scripts/bench-demand-check.sh [ADCODE [RESOLUTION]]   (default 430100 9; takes a few minutes)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
ADCODE="${1:-430100}"
RES="${2:-9}"
VENV="${NUANXIN_CHECK_VENV:-$HOME/.cache/nuanxin/check-venv}"
if ! "$VENV/bin/python" -c "import h3, pyproj, numpy" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q h3 pyproj numpy
fi
cargo build --release --quiet --bin nuanxin
BIN="$(nuanxin_bin release)"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
status=0
for layer in builtup pickups; do
    "$BIN" coverage --adcode "$ADCODE" --mode ebike --minutes 5 --kind station \
        --resolution "$RES" --demand "$layer" --json > "$OUT/$layer.json" 2>/dev/null
    "$VENV/bin/python" scripts/bench_demand_check.py "$OUT/$layer.json" "$layer" \
        data/demo/service_points_demo.geojson data/boundaries/hunan_counties_wgs84.geojson || status=1
    echo
done
exit $status
