#!/usr/bin/env bash
# The planner with more stations than one service-areas response may hold (the server's cap,
# MAX_CIRCLES = 5 000 in crates/nuanxin/src/server/coverage.rs): 6 000 generated stations in
# 芙蓉区 (430102), a stand-in for the 1M-point volume data set. Checked in headless Chromium
# (tests/e2e/planner-volume.check.mjs): the coverage table, gaps and proposals are shown, the
# service areas are asked for by the visible bbox, "too many" is a calm note, and zooming in
# draws them. Screenshots in $TARGET_DIR/e2e-artifacts/volume-*.png.
set -euo pipefail
source "$(dirname "$0")/../lib/server.sh"
need_browser_checks
gen=$(mktemp -d)
trap 'rm -rf "$gen"' EXIT
# 6 000 stations on a jittered grid over the centre of 芙蓉区 (fixed seed: reproducible).
python3 - "$gen/stations.geojson" <<'PY'
import json, random, sys
rng = random.Random(16)
feats = []
for i in range(6000):
    lon = 112.985 + 0.05 * rng.random()
    lat = 28.175 + 0.03 * rng.random()
    feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
                  "properties": {"id": f"vol-{i}", "name": f"测试驿站{i}", "kind": "station", "opening_hours": "24/7"}})
json.dump({"type": "FeatureCollection", "features": feats}, open(sys.argv[1], "w"), ensure_ascii=False)
PY
start_server --no-demo --data "$gen/stations.geojson"
trap 'stop_server; rm -rf "$gen"' EXIT
cd "$root/tests/e2e"
NUANXIN_E2E_ARTIFACTS="${CARGO_TARGET_DIR:-$root/target}/e2e-artifacts" node planner-volume.check.mjs
