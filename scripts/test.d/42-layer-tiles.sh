#!/usr/bin/env bash
# The page on a large deployment draws the service points from the server's vector tiles:
# 50,000 generated points (scripts/gen_volume_data.py, nationwide, fixed seed; 12,500-odd
# stations, above `tiles_above`), and headless Chromium checks that the map requests
# /tiles/points/….mvt, renders cluster bubbles at low zoom and single points up close
# (queryRenderedFeatures on the tile layers), and that tapping a rendered point opens its
# station card (tests/e2e/layer-tiles.check.mjs). The same server (tiles_above = 20) then has
# suggestions filed and checks that the suggestion view draws them from /tiles/suggestions/…
# (tests/e2e/suggestion-tiles.check.mjs).
set -euo pipefail
source "$(dirname "$0")/../lib/server.sh"
need_browser_checks
data_dir=$(mktemp -d)
trap 'rm -rf "$data_dir"' EXIT
python3 "$root/scripts/gen_volume_data.py" --points 50000 --out "$data_dir/points_50k.geojson"
# 20: a few suggestions are enough to switch their layer to tiles (the points are far above).
export NUANXIN_TILES_ABOVE=20
start_server --data "$data_dir/points_50k.geojson"
trap 'stop_server; rm -rf "$data_dir"' EXIT
cd "$root/tests/e2e"
NUANXIN_E2E_ARTIFACTS="${CARGO_TARGET_DIR:-$root/target}/e2e-artifacts" node layer-tiles.check.mjs
NUANXIN_E2E_ARTIFACTS="${CARGO_TARGET_DIR:-$root/target}/e2e-artifacts" node suggestion-tiles.check.mjs
