#!/usr/bin/env bash
# OGC API – Features against the real server with real clients from PyPI:
# - `openapi-spec-validator` validates the OpenAPI 3.0 definition /ogc/api;
# - OWSLib (owslib.ogcapi.features) reads conformance, queryables, the Part 5 schema, and
#   items with CQL2 filters (text and JSON), sortby, properties and crs. Every expected value
#   is computed here from data/demo/service_points_demo.geojson (the data the server seeds),
#   never from the server's own answers.
# The clients live in a virtualenv (~/.cache/nuanxin/ogc-venv, or $NUANXIN_OGC_VENV).
set -euo pipefail
source "$(dirname "$0")/../lib/server.sh"
need_apt curl curl python3 python3
python3 -c 'import ensurepip, venv' 2>/dev/null || need_apt __none__ python3-venv
VENV="${NUANXIN_OGC_VENV:-$HOME/.cache/nuanxin/ogc-venv}"
if ! "$VENV/bin/python" -c 'import owslib, openapi_spec_validator' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q 'OWSLib>=0.29' 'openapi-spec-validator>=0.7'
fi
start_server
curl -fsS "$NUANXIN_URL/ogc/api" >"$tmp/api.json"
"$VENV/bin/openapi-spec-validator" "$tmp/api.json"
"$VENV/bin/python" - "$NUANXIN_URL/ogc" "$root/data/demo/service_points_demo.geojson" <<'PY'
import json, sys, math
from owslib.ogcapi.features import Features

url, demo_path = sys.argv[1], sys.argv[2]
demo = [f for f in json.load(open(demo_path))["features"]]
stations = [f for f in demo if f["properties"]["kind"] == "station"]
api = Features(url)

conf = api.conformance()["conformsTo"]
for c in ["ogcapi-features-2/1.0/conf/crs", "ogcapi-features-3/1.0/conf/filter",
          "ogcapi-features-3/1.0/conf/queryables", "ogcapi-features-5/1.0/conf/schemas",
          "cql2/1.0/conf/cql2-text", "cql2/1.0/conf/cql2-json"]:
    assert "http://www.opengis.net/spec/" + c in conf, c

q = api.collection_queryables("station")
assert q["properties"]["adcode"]["type"] == ["string", "null"], q["properties"]["adcode"]
assert q["properties"]["geometry"]["format"] == "geometry-point"
schema = api.collection_schema("suggestions")
assert schema["properties"]["created_at"]["x-ogc-role"] == "primary-instant"

def ids(fc):
    return [f["id"] for f in fc["features"]]

# CQL2 text: comparison AND LIKE.
want = sorted(f["id"] for f in stations
              if f["properties"].get("adcode") == "430102" and "驿站" in f["properties"]["name"])
assert want, "the demo data has no such station: the check would be empty"
fc = api.collection_items("station", filter="adcode = '430102' AND name LIKE '%驿站%'", limit=1000)
assert sorted(ids(fc)) == want and fc["numberMatched"] == len(want), (ids(fc), want)

# CQL2 text: S_INTERSECTS with a polygon, OR, IN.
w, s, e, n = 112.95, 28.15, 113.00, 28.22
def inside(f):
    lon, lat = f["geometry"]["coordinates"]
    return w <= lon <= e and s <= lat <= n
want = sorted(f["id"] for f in stations
              if inside(f) or f["properties"].get("adcode") in ("430181", "430182"))
assert want and len(want) < len(stations)
poly = f"POLYGON(({w} {s}, {e} {s}, {e} {n}, {w} {n}, {w} {s}))"
fc = api.collection_items("station", filter=f"S_INTERSECTS(geometry, {poly}) OR adcode IN ('430181', '430182')", limit=1000)
assert sorted(ids(fc)) == want, (len(ids(fc)), len(want))

# CQL2 JSON: a bbox, NOT and LIKE.
want = sorted(f["id"] for f in stations if inside(f) and not f["properties"]["name"].endswith("之家"))
cql = {"op": "and", "args": [
    {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [w, s, e, n]}]},
    {"op": "not", "args": [{"op": "like", "args": [{"property": "name"}, "%之家"]}]}]}
assert want
fc = api.collection_items("station", filter=json.dumps(cql), **{"filter-lang": "cql2-json"}, limit=1000)
assert sorted(ids(fc)) == want, (ids(fc), want)

# sortby descending, paged after filtering: the second page of 5 names.
names = sorted((f["properties"]["name"] for f in stations if f["properties"].get("adcode") == "430104"), reverse=True)
assert len(names) > 10
fc = api.collection_items("station", filter="adcode = '430104'", sortby=("name", "desc"), limit=5, offset=5)
assert [f["properties"]["name"] for f in fc["features"]] == names[5:10], fc["features"]
assert fc["numberMatched"] == len(names)

# properties and crs (EPSG:4326: latitude first).
first = sorted(stations, key=lambda f: f["id"])[0]
fc = api.collection_items("station", limit=1, properties="name", crs="http://www.opengis.net/def/crs/EPSG/0/4326")
f = fc["features"][0]
assert f["id"] == first["id"] and list(f["properties"]) == ["name"], f
lon, lat = first["geometry"]["coordinates"]
assert math.isclose(f["geometry"]["coordinates"][0], lat, abs_tol=1e-7), (f, first)
assert math.isclose(f["geometry"]["coordinates"][1], lon, abs_tol=1e-7), (f, first)

# A bad filter is a 400 that names the position.
try:
    api.collection_items("station", filter="name = 'x' AND nope = 1")
    raise SystemExit("a bad filter was accepted")
except Exception as e:
    assert "400" in str(e) or "Bad" in str(e), e
print("ogc: OWSLib conformance, queryables, schema, CQL2 text/JSON, sortby, properties, crs OK")
PY
echo "ogc: /ogc/api is valid OpenAPI 3.0 (openapi-spec-validator)"
