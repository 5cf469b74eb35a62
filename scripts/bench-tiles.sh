#!/usr/bin/env bash
# Tile benchmark of issue 12: latency of the service-point vector tiles at z10–z14 over 1M
# points against the GeoJSON endpoint for the same view (bbox), with the release binary on
# loopback. Not a test (not in CI): run it by hand; results go to $TARGET_DIR/bench-tiles.md
# and docs/benchmarks.md ("Vector tiles") quotes them as ratios, with the load average.
#
# Data: scripts/gen-volume-data.sh (1M synthetic points nationwide, fixed seed), loaded with
# `serve --data` into an empty SQLite database. Load generator: scripts/bench_tiles.py
# (sequential keep-alive requests; see its docstring for the views and what is timed).
#   ROUNDS=5 scripts/bench-tiles.sh           (SMOKE=1: 20k points, debug binary, 1 round)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
ROUNDS="${ROUNDS:-5}"
OUT="$TARGET_DIR/bench-tiles.md"
WORK="$(mktemp -d)"
if [ -n "${SMOKE:-}" ]; then
  BIN="$TARGET_DIR/debug/nuanxin"; ROUNDS=1; DATA="$WORK/points.geojson"
  python3 "$ROOT/scripts/gen_volume_data.py" --points 20000 --out "$DATA"
else
  BIN="$TARGET_DIR/release/nuanxin"; DATA="$TARGET_DIR/volume/points_1m.geojson"
  (cd "$ROOT" && cargo build --release -p nuanxin)
  "$ROOT/scripts/gen-volume-data.sh" >/dev/null
fi
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$WORK" && exec "$BIN" serve --listen "127.0.0.1:$PORT" --db "$WORK/b.db" --data "$DATA" \
  --max-records 2000000 --max-file-mib 1024) >"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 3000); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/readyz" 2>/dev/null && break
  kill -0 "$PID" 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
  sleep 0.2
done
{
  echo "# bench-tiles $(date -u +%FT%TZ) $(git -C "$ROOT" rev-parse --short HEAD)"
  echo "data: $(basename "$DATA"), rounds: $ROUNDS, load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
  echo
  python3 "$ROOT/scripts/bench_tiles.py" "$PORT" "$ROUNDS"
  echo
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT"
