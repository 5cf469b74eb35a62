#!/usr/bin/env bash
# Every GeoJSON output of the real server passes @mapbox/geojsonhint (RFC 7946: structure,
# right-hand rule) with 0 problems, and no position carries more than 7 decimals
# (tests/standards/geojsonhint.mjs lists the outputs).
set -euo pipefail
source "$(dirname "$0")/../lib/server.sh"
need_apt curl curl node nodejs npm npm python3 python3
if [ ! -f "$root/tests/standards/node_modules/@mapbox/geojsonhint/package.json" ]; then
  (cd "$root/tests/standards" && npm ci --no-audit --no-fund --loglevel=error)
fi
start_server
node "$root/tests/standards/geojsonhint.mjs" "$NUANXIN_URL"
