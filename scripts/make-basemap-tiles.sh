#!/usr/bin/env bash
# Builds a street-basemap archive (MBTiles, OpenMapTiles schema) from an OSM extract with
# Debian's tilemaker 2.2, for `basemap_tiles = "…"` in nuanxin.toml.
#   scripts/make-basemap-tiles.sh INPUT.osm.pbf OUTPUT.mbtiles [minlon,minlat,maxlon,maxlat]
# Uses tilemaker's own OpenMapTiles config and Lua profile (/usr/share/doc/tilemaker/examples),
# minus the layers that read coastline/landcover shapefiles (not needed for a city), with gzip
# tiles. The bbox is needed when the extract has no bbox header (Geofabrik extracts have one).
set -euo pipefail
in=${1:?usage: $0 INPUT.osm.pbf OUTPUT.mbtiles [bbox]}
out=${2:?usage: $0 INPUT.osm.pbf OUTPUT.mbtiles [bbox]}
bbox=${3:-}
examples=/usr/share/doc/tilemaker/examples
if ! command -v tilemaker >/dev/null || [ ! -f "$examples/config-openmaptiles.json" ]; then
  echo "installing tilemaker"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends tilemaker >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$examples/config-openmaptiles.json" "$work/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["layers"] = {k: v for k, v in c["layers"].items() if "source" not in v}
c["settings"]["compress"] = "gzip"
c["settings"]["name"] = "Nuanxin street basemap (OpenMapTiles schema)"
c["settings"]["filemetadata"]["attribution"] = "© OpenStreetMap contributors (ODbL)"
json.dump(c, open(sys.argv[2], "w"))
PY
rm -f "$out"
args=(--input "$in" --output "$out" --config "$work/config.json" --process "$examples/process-openmaptiles.lua")
[ -n "$bbox" ] && args+=(--bbox "$bbox")
(cd "$work" && tilemaker "${args[@]}") >"$work/tilemaker.log" 2>&1 || { cat "$work/tilemaker.log"; exit 1; }
tail -1 "$work/tilemaker.log"
