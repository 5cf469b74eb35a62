#!/usr/bin/env bash
# Checks `nuanxin coverage` against an independent computation (h3-py cells, pyproj/GeographicLib
# distances and ellipsoidal cell areas): the per-district table of Changsha, e-bike 5 minutes,
# rest stations of the demo data (or --data FILE given after the arguments).
#
# Usage: scripts/bench-coverage-check.sh [ADCODE [RESOLUTION]]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ADCODE="${1:-430100}"
RES="${2:-9}"
VENV="${NUANXIN_CHECK_VENV:-$HOME/.cache/nuanxin/check-venv}"
if ! "$VENV/bin/python" -c "import h3, pyproj, numpy" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q h3 pyproj numpy
fi
cargo build --release --quiet --bin nuanxin
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
"$(nuanxin_bin release)" coverage --adcode "$ADCODE" --mode ebike --minutes 5 --kind station \
    --resolution "$RES" --json > "$OUT/report.json"
"$VENV/bin/python" scripts/bench_coverage_check.py "$OUT/report.json" \
    data/demo/service_points_demo.geojson data/boundaries/hunan_counties_wgs84.geojson
