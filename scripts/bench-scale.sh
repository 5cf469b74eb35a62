#!/usr/bin/env bash
# Scale benchmarks of issue 16 (1M service points, 100k open suggestions), with the release
# binary on loopback. Not a test: run it by hand on a quiet machine; results go to
# $TARGET_DIR/bench-scale.md and docs/benchmarks.md ("Nationwide volumes") quotes them.
#
# Data: scripts/gen-volume-data.sh (fixed seed): 100k and 1M synthetic points (GeoJSON),
# 100k open suggestions (inserted with sqlite3 into the 1M database; the R*Tree triggers
# index them as the server would).
#
# Measured, each with a baseline from the same run:
# - `nuanxin import` (check only) and `import --db`, 1M points: wall time and peak RSS
#   (/usr/bin/time), against the same commands on 100k points (ratio ≈ 10 means linear);
# - restart from the 1M database: time until /healthz answers, RSS; `serve --data` of the
#   1M file into an empty database: the same, against the restart;
# - server CPU per request (from /proc/PID/stat over N keep-alive requests) of
#   `/api/v1/points` pages (offset 0 and 900 000, filters), the map's first load (stations
#   in a Changsha viewport) and `suggestions/nearby` (r = 200 m) against `/healthz`;
# - `suggestions/nearby` under load: wrk (Debian `wrk`), 64 connections for 10 s at positions of
#   stored suggestions: requests/s, p50 and p99 latency, server CPU per request;
# - one point edit (PUT /api/v1/admin/points/{id}, includes the SQLite commit): wall time.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
N="${N:-500}"
NEARBY_CONNECTIONS="${NEARBY_CONNECTIONS:-64}"
NEARBY_SECONDS="${NEARBY_SECONDS:-10}"
OUT="$TARGET_DIR/bench-scale.md"
WORK="$(mktemp -d)"
if [ -n "${SMOKE:-}" ]; then
  # A quick run of the script itself on small data with the debug binary (SMOKE=1).
  BIN="$TARGET_DIR/debug/nuanxin"; N=20; VOL="$WORK/volume"
  python3 "$ROOT/scripts/gen_volume_data.py" --points 2000 --out "$VOL/points_100k.geojson"
  python3 "$ROOT/scripts/gen_volume_data.py" --points 20000 --out "$VOL/points_1m.geojson"
  python3 "$ROOT/scripts/gen_volume_data.py" --suggestions 5000 --out "$VOL/suggestions_100k.csv"
else
  BIN="$TARGET_DIR/release/nuanxin"; VOL="$TARGET_DIR/volume"
  (cd "$ROOT" && cargo build --release -p nuanxin)
  "$ROOT/scripts/gen-volume-data.sh" >/dev/null
fi
command -v wrk >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
LIMITS=(--max-records 2000000 --max-file-mib 1024)

timed() { # label, command...  -> "label seconds peak_MiB"
  local label="$1"; shift
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >"$WORK/out" 2>&1 || { cat "$WORK/out"; exit 1; }
  read -r secs kb <"$WORK/time"
  printf '%s\t%s\t%s\n' "$label" "$secs" "$((kb / 1024))" | tee -a "$WORK/rows"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start() { # db, extra args... -> sets PID PORT STARTUP
  local db="$1"; shift
  PORT=$(free_port)
  local t0; t0=$(date +%s.%N)
  "$BIN" serve --db "$db" --listen "127.0.0.1:$PORT" "$@" >"$WORK/serve.log" 2>&1 &
  PID=$!; PIDS+=("$PID")
  until curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; do
    kill -0 "$PID" 2>/dev/null || { cat "$WORK/serve.log"; exit 1; }
    sleep 0.05
  done
  STARTUP=$(python3 -c "import time; print(f'{time.time() - $t0:.2f}')")
}
rss_mib() { awk '/VmRSS/ {printf "%d", $2/1024}' "/proc/$1/status"; }
hwm_mib() { awk '/VmHWM/ {printf "%d", $2/1024}' "/proc/$1/status"; }

echo "== import"
timed "import 100k (check)" "$BIN" import "$VOL/points_100k.geojson" "${LIMITS[@]}"
timed "import 1M (check)" "$BIN" import "$VOL/points_1m.geojson" "${LIMITS[@]}"
timed "import --db 100k" "$BIN" import "$VOL/points_100k.geojson" "${LIMITS[@]}" --db "$WORK/100k.db"
timed "import --db 1M" "$BIN" import "$VOL/points_1m.geojson" "${LIMITS[@]}" --db "$WORK/1m.db"

echo "== 100k open suggestions into the 1M database"
python3 - "$VOL/suggestions_100k.csv" >"$WORK/sugg.sql" <<'PY'
import csv, sys
print("BEGIN;")
for i, r in enumerate(csv.DictReader(open(sys.argv[1], encoding="utf-8"))):
    t = r["title"].replace("'", "''")
    print(f"INSERT INTO suggestions (id, lon, lat, input_lon, input_lat, input_crs, category, description, status, receipt_hash, created_at, updated_at) "
          f"VALUES ('SB{i:07d}', {r['lon']}, {r['lat']}, {r['lon']}, {r['lat']}, 'wgs84', '{r['category']}', '{t}', 'submitted', 'x', 1764547200000, 1764547200000);")
print("COMMIT;")
PY
sqlite3 "$WORK/1m.db" <"$WORK/sugg.sql"
echo "open suggestions: $(sqlite3 "$WORK/1m.db" 'SELECT count(*) FROM suggestions_open_rtree')"
TOKEN=$("$BIN" admin create-token --role admin --name bench --db "$WORK/1m.db" | grep -oE '[A-Za-z0-9_-]{32,}' | head -1)

echo "== restart from the 1M database"
start "$WORK/1m.db"
RESTART_S=$STARTUP; RESTART_RSS=$(rss_mib "$PID"); RESTART_HWM=$(hwm_mib "$PID")
printf 'restart 1M\t%s\t%s (peak %s)\n' "$RESTART_S" "$RESTART_RSS" "$RESTART_HWM" | tee -a "$WORK/rows"
VIEW="112.85,28.10,113.10,28.30"
# Nearby queries at the positions of three stored suggestions (so that they find some).
read -r Q1 Q2 Q3 < <(python3 - "$VOL/suggestions_100k.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
print(" ".join(f"lon={r['lon']}&lat={r['lat']}&category={r['category']}" for r in rows[:3]))
PY
)
python3 "$ROOT/scripts/bench_scale_http.py" cpu "$PID" "$PORT" "$N" \
  "/healthz" \
  "/api/v1/points?limit=100" \
  "/api/v1/points?limit=100&offset=900000" \
  "/api/v1/points?limit=100&kind=station&offset=200000" \
  "/api/v1/points?limit=100&amenity=charging&offset=1000" \
  "/api/v1/points?kind=station&bbox=$VIEW&limit=2000" \
  "/ogc/collections/station/items?limit=100&offset=100000" \
  "/api/v1/suggestions/nearby?$Q1&radius_m=200" \
  "/api/v1/suggestions/nearby?$Q2&radius_m=200" \
  "/api/v1/suggestions/nearby?$Q3&radius_m=5000" \
  | tee "$WORK/cpu"
echo "== suggestions/nearby under load (wrk, $NEARBY_CONNECTIONS connections, ${NEARBY_SECONDS} s, r = 200 m)"
# Positions of 2 000 stored suggestions (fixed seed), moved up to ~100 m, each with its own
# category: every query finds neighbours. The request paths are made once in the Lua script's
# init, so the load generator spends no CPU formatting them.
python3 - "$VOL/suggestions_100k.csv" >"$WORK/nearby.lua" <<'PY'
import csv, random, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
rnd = random.Random(16)
paths = []
for r in rnd.sample(rows, 2000):
    lon = float(r["lon"]) + rnd.uniform(-0.001, 0.001)
    lat = float(r["lat"]) + rnd.uniform(-0.001, 0.001)
    paths.append(f"/api/v1/suggestions/nearby?lon={lon:.6f}&lat={lat:.6f}&category={r['category']}&radius_m=200")
print("local paths = {" + ",".join(f'"{p}"' for p in paths) + "}")
print("local reqs = {}")
print("init = function() for i, p in ipairs(paths) do reqs[i] = wrk.format('GET', p) end end")
print("local i = 0")
print("request = function() i = i % #reqs + 1; return reqs[i] end")
PY
NEARBY_T0=$(awk '{print $14 + $15}' "/proc/$PID/stat")
wrk -t2 -c"$NEARBY_CONNECTIONS" -d"${NEARBY_SECONDS}s" --latency -s "$WORK/nearby.lua" "http://127.0.0.1:$PORT" >"$WORK/nearby.txt"
NEARBY_T1=$(awk '{print $14 + $15}' "/proc/$PID/stat")
cat "$WORK/nearby.txt"
NEARBY=$(python3 - "$WORK/nearby.txt" "$NEARBY_T0" "$NEARBY_T1" "$(getconf CLK_TCK)" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def ms(v):
    n, u = re.match(r"([0-9.]+)(us|ms|s)", v).groups()
    return float(n) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[u]
lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", t, re.M))
reqs = int(re.search(r"(\d+) requests in", t).group(1))
rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", t).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
cpu_us = (float(sys.argv[3]) - float(sys.argv[2])) / float(sys.argv[4]) * 1e6 / max(reqs, 1)
print(f"{rps:.0f} requests/s, p50 {ms(lat['50']):.2f} ms, p99 {ms(lat['99']):.2f} ms, "
      f"server CPU {cpu_us:.0f} µs per request, errors {bad.group(1) if bad else 0}")
PY
)
echo "$NEARBY"
echo "== one point edit at 1M (median, max, p99 ms over 50)"
EDIT=$(python3 "$ROOT/scripts/bench_scale_http.py" edits "$PORT" "$TOKEN" 50 bench-edit)
echo "$EDIT"
echo "== reader latency (nearest, k = 5) without and during 200 edits"
PROBE=$(python3 "$ROOT/scripts/bench_scale_http.py" probe "$PORT" "$TOKEN" 200 bench-edit)
echo "$PROBE"
# The parts of each edit's time, from the server's log (`store_ms`, `index_ms`): medians.
PARTS=$(python3 - "$WORK/serve.log" <<'PY'
import re, statistics, sys
rows = [(float(a), float(b)) for a, b in re.findall(r"store_ms=([0-9.]+) index_ms=([0-9.]+)", re.sub(r"\x1b\[[0-9;]*m", "", open(sys.argv[1], errors="replace").read()))]
if rows:
    print(f"{len(rows)} edits: store_ms median {statistics.median(r[0] for r in rows):.2f}, "
          f"index_ms median {statistics.median(r[1] for r in rows):.3f} (max {max(r[1] for r in rows):.3f})")
else:
    print("no store_ms/index_ms lines in the log")
PY
)
echo "$PARTS"
kill "$PID"; wait "$PID" 2>/dev/null || true

echo "== serve --data 1M into an empty database"
start "$WORK/seeded.db" --data "$VOL/points_1m.geojson" "${LIMITS[@]}"
SEED_S=$STARTUP; SEED_RSS=$(rss_mib "$PID"); SEED_HWM=$(hwm_mib "$PID")
printf 'serve --data 1M\t%s\t%s (peak %s)\n' "$SEED_S" "$SEED_RSS" "$SEED_HWM" | tee -a "$WORK/rows"
kill "$PID"; wait "$PID" 2>/dev/null || true

{
  echo "# bench-scale ($(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
  echo
  echo "| run | seconds | MiB (RSS; peak) |"; echo "|---|---:|---:|"
  awk -F'\t' '{printf "| %s | %s | %s |\n", $1, $2, $3}' "$WORK/rows"
  echo
  echo "| request | server CPU µs/request | bytes |"; echo "|---|---:|---:|"
  awk -F'\t' '{printf "| `%s` | %s | %s |\n", $1, $2, $3}' "$WORK/cpu"
  echo
  echo "suggestions/nearby under load, 100k open, r = 200 m (wrk, $NEARBY_CONNECTIONS connections, ${NEARBY_SECONDS} s, load generator on the same machine): $NEARBY"
  echo "One point edit at 1M (PUT, SQLite commit included), median, max and p99 of 50: $EDIT ms"
  echo "Parts of the edits' time (server log): $PARTS"
  echo "Reader probe (nearest k = 5; p50, p99 ms without edits; p50, p99 during 200 edits; reads; edit p50, p99, max ms): $PROBE"
} | tee "$OUT"
