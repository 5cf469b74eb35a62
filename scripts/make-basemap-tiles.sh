#!/usr/bin/env bash
# Builds a street-basemap archive (MBTiles, OpenMapTiles schema) from an OSM extract with
# Debian's tilemaker 2.2, for `basemap_tiles = "…"` in nuanxin.toml.
#   scripts/make-basemap-tiles.sh INPUT.osm.pbf OUTPUT.mbtiles [minlon,minlat,maxlon,maxlat]
# Uses tilemaker's own OpenMapTiles config and Lua profile (/usr/share/doc/tilemaker/examples),
# minus the layers that read coastline/landcover shapefiles (not needed for a city), with gzip
# tiles and names written as `name` (local) and `name:zh` (Chinese, when OSM has one). The bbox is needed when the extract has no bbox header (Geofabrik extracts have one).
set -euo pipefail
in=${1:?usage: $0 INPUT.osm.pbf OUTPUT.mbtiles [bbox]}
out=${2:?usage: $0 INPUT.osm.pbf OUTPUT.mbtiles [bbox]}
bbox=${3:-}
# tilemaker runs in a scratch directory: make both paths absolute.
in=$(realpath "$in")
out=$(realpath -m "$out")
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
# Names: the example profile writes OSM's `name` into `name:latin` only, while the page's
# style reads `name:zh`, then `name` (so no road, water or place name was ever drawn). Write
# the local name as `name` and the Chinese one, where OSM has it and it differs, as `name:zh`.
sed -e 's/^preferred_language_attribute = .*/preferred_language_attribute = "name"/' \
    -e 's/^additional_languages = .*/additional_languages = { "zh" }/' \
    "$examples/process-openmaptiles.lua" >"$work/process.lua"
grep -q '^preferred_language_attribute = "name"$' "$work/process.lua" &&
  grep -q '^additional_languages = { "zh" }$' "$work/process.lua" ||
  { echo "make-basemap-tiles: tilemaker's profile has changed: set its name attributes by hand"; exit 1; }
rm -f "$out"
args=(--input "$in" --output "$out" --config "$work/config.json" --process "$work/process.lua")
[ -n "$bbox" ] && args+=(--bbox "$bbox")
(cd "$work" && tilemaker "${args[@]}") >"$work/tilemaker.log" 2>&1 || { cat "$work/tilemaker.log"; exit 1; }
tail -1 "$work/tilemaker.log"
