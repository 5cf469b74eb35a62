#!/usr/bin/env bash
# Import benchmark of a province-sized road network (issue 17): a synthetic grid of about
# 5 million road segments written as an OpenStreetMap PBF, imported by the release build of
# `nuanxin roads import` under /usr/bin/time -v (wall time and peak resident memory); prints
# the graph's bytes per segment in memory and on disk. Not a CI step.
#
# The assumption: a whole province's extract is a stand-in of this size. Geofabrik's
# hunan-latest.osm.pbf (Hunan, 212 000 km²) holds a road network of this order (a few
# million segments between consecutive way nodes); the grid has the same number of segments,
# nodes and ways of the same shape (ways of 10 segments sharing their end nodes, as streets
# split at crossings are), 50 m apart over Changsha, without the buildings, land use and
# other features a real extract carries (the import reads past them: they cost reading
# time, not memory). Road classes vary so that the tag table is exercised: every 10th line
# is a named `secondary`, every 7th a `footway` (walk only), every 13th a one-way
# `residential`; the rest are `residential`.
#
# Steps: an OPL file (osmium's line format) written by Python, converted to PBF by
# osmium-tool (Debian `osmium-tool`, libosmium's writer), then the import.
# Usage: scripts/bench-import-grid.sh [NODES_PER_SIDE]   (default 1582: 2·N·(N−1) = 5 002 284
# segments). Env: CARGO_TARGET_DIR (release build), KEEP=DIR (keeps the files there).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
N="${1:-1582}"

need=()
command -v osmium >/dev/null || need+=(osmium-tool)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} (apt)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [ -n "${KEEP:-}" ]; then WORK="$KEEP"; mkdir -p "$WORK"; else WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT; fi

cargo build --release -q -p nuanxin --bin nuanxin
BIN="$(nuanxin_bin release)"

PBF="$WORK/grid_$N.osm.pbf"
if [ ! -s "$PBF" ]; then
  python3 - "$N" "$WORK/grid.opl" <<'PY'
import math, sys
n, out = int(sys.argv[1]), sys.argv[2]
lon0, lat0, step_m = 112.60, 27.90, 50.0      # south-west corner near Changsha, 50 m apart
dlat = step_m / 110_574.0
dlon = step_m / (111_320.0 * math.cos(math.radians(lat0 + n * dlat / 2)))
PER_WAY = 10
def node(i, j):
    return j * n + i + 1
with open(out, "w", buffering=1 << 20) as f:
    w = f.write
    for j in range(n):
        lat = lat0 + j * dlat
        for i in range(n):
            w(f"n{node(i, j)} v1 x{lon0 + i * dlon:.7f} y{lat:.7f}\n")
    wid = 0
    def tags(line, horizontal):
        if line % 10 == 0:
            return f"highway=secondary,name={'Row' if horizontal else 'Column'}-{line}"
        if line % 7 == 0:
            return "highway=footway"
        if line % 13 == 0:
            return "highway=residential,oneway=yes"
        return "highway=residential"
    for horizontal in (True, False):
        for line in range(n):
            t = tags(line, horizontal)
            for start in range(0, n - 1, PER_WAY):
                idx = range(start, min(start + PER_WAY, n - 1) + 1)
                ids = [node(k, line) if horizontal else node(line, k) for k in idx]
                wid += 1
                w(f"w{wid} v1 T{t} N" + ",".join(f"n{x}" for x in ids) + "\n")
print(f"grid {n} x {n}: {n * n} nodes, {2 * n * (n - 1)} segments, {wid} ways", file=sys.stderr)
PY
  osmium cat "$WORK/grid.opl" -o "$PBF" -O
  rm -f "$WORK/grid.opl"
fi
echo "$(basename "$PBF"): $(du -m "$PBF" | cut -f1) MB" >&2

DB="$WORK/grid.db"
rm -f "$DB" "$DB.roads" "$DB.roads.streets"
# A database with one test station inside the grid (the import checks that the roads cover
# the service points).
cat > "$WORK/station.geojson" <<'JSON'
{"type": "FeatureCollection", "features": [{"type": "Feature",
 "geometry": {"type": "Point", "coordinates": [112.8, 28.1]},
 "properties": {"id": "grid-1", "name": "网格测试站", "kind": "station",
  "source": "test point inside the synthetic grid (not a real station)"}}]}
JSON
"$BIN" import "$WORK/station.geojson" --db "$DB" >/dev/null
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
nice -n 10 /usr/bin/time -v "$BIN" roads import "$PBF" --db "$DB" --json > "$WORK/figures.json" 2> "$WORK/time.txt" ||
  { cat "$WORK/time.txt" >&2; exit 1; }
LOAD_AFTER=$(cut -d' ' -f1 /proc/loadavg)
python3 - "$WORK/figures.json" "$WORK/time.txt" "$DB.roads" "$LOAD_BEFORE" "$LOAD_AFTER" <<'PY'
import json, os, re, sys
fig = json.loads(open(sys.argv[1]).read())
tv = open(sys.argv[2]).read()
def field(name):
    m = re.search(re.escape(name) + r": (.*)", tv)
    return m.group(1).strip() if m else "?"
wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)")
parts = [float(p) for p in wall.split(":")]
secs = sum(p * 60 ** k for k, p in enumerate(reversed(parts)))
rss_mb = int(field("Maximum resident set size (kbytes)")) / 1024
g = fig.get("graph", fig)
segs = g.get("segments")
print(json.dumps(fig.get("import"), ensure_ascii=False))
print(f"import of {segs} segments, {g.get('nodes')} nodes: wall {secs:.1f} s (goal <= 60 s), "
      f"user {field('User time (seconds)')} s, peak RSS {rss_mb:.0f} MB (goal <= 2048 MB); "
      f"graph {g.get('bytes_per_segment', 0):.1f} bytes per segment in memory, "
      f"{os.path.getsize(sys.argv[3]) / segs:.1f} on disk ({os.path.getsize(sys.argv[3]) / 2**20:.0f} MB); "
      f"load average {sys.argv[4]} before, {sys.argv[5]} after")
PY
