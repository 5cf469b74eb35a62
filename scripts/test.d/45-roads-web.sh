#!/usr/bin/env bash
# Travel times along roads in the web page: a server started with `--roads` on the Helsinki
# test extract (ODbL) and its six test stations, checked in headless Chromium
# (tests/e2e/roads.check.mjs): the courier list by travel time labelled 沿道路, the drawn route,
# the planner's 直线 / 沿道路 switch. Screenshots in $TARGET_DIR/e2e-artifacts/roads-*.png.
set -euo pipefail
source "$(dirname "$0")/../lib/server.sh"
need_browser_checks
start_server --no-demo --data "$root/tests/fixtures/osm/helsinki_stations.geojson" \
  --roads "$root/tests/fixtures/osm/helsinki_center.osm.pbf"
cd "$root/tests/e2e"
NUANXIN_E2E_ARTIFACTS="${CARGO_TARGET_DIR:-$root/target}/e2e-artifacts" node roads.check.mjs
