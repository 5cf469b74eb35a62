#!/usr/bin/env bash
# Street basemap from vector tiles: builds an MBTiles archive from the Helsinki test extract
# with Debian's tilemaker, serves it (`basemap_tiles`), and checks in headless Chromium that
# road features render (queryRenderedFeatures on the road layers) with zero requests leaving
# the machine (tests/e2e/tiles.check.mjs).
set -euo pipefail
source "$(dirname "$0")/../lib/server.sh"
need_apt tilemaker tilemaker
need_browser_checks
archive_dir=$(mktemp -d)
trap 'rm -rf "$archive_dir"' EXIT
# The extract has no bbox header: its bbox from tests/fixtures/osm/README.md.
"$root/scripts/make-basemap-tiles.sh" "$root/tests/fixtures/osm/helsinki_center_complete.osm.pbf" \
  "$archive_dir/helsinki.mbtiles" 24.9352,60.1642,24.9534,60.1791
export NUANXIN_BASEMAP_TILES="$archive_dir/helsinki.mbtiles"
start_server
trap 'stop_server; rm -rf "$archive_dir"' EXIT
cd "$root/tests/e2e"
NUANXIN_E2E_ARTIFACTS="${CARGO_TARGET_DIR:-$root/target}/e2e-artifacts" node tiles.check.mjs
