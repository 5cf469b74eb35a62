#!/usr/bin/env bash
# One point edit at 1M service points (issue 16: ≤ 10 ms, readers never blocked), old and new
# binaries alternately in one run. Not a test: run it by hand; docs/benchmarks.md quotes its figures.
#
#   scripts/bench-edits.sh [BINARY...]    # default: the release build of this tree
#   ROUNDS=2 EDITS=200 scripts/bench-edits.sh /tmp/nuanxin-old target/release/nuanxin
#
# The 1M database is made once with `import --db` of target/volume/points_1m.geojson
# (scripts/gen-volume-data.sh, fixed seed) and kept as target/volume/edits_1m.db. For each
# round and each binary in turn, the server restarts from that database
# and then:
# 1. one edit sent as soon as /healthz answers (before the live index's spare copy may exist);
# 2. once the log says the spare copy is made and the server is idle: EDITS edits back to back (PUT of one point,
#    moved 1 m back and forth; SQLite commit with its fsync included): median, p99, max;
# 3. the reader probe (`bench_scale_http.py probe`): `nearest` k = 5 back to back for 8 s
#    without edits, then during EDITS edits: reader p50/p99 in both phases, edit median/p99/max;
# 4. the parts of every edit's time from the server log (`store_ms`, the SQLite transaction,
#    and `index_ms`, the live index; the new binary also logs `wait_ms`, the part of
#    `index_ms` spent waiting for readers of the spare copy): median, p99, max.
# Load averages are printed before and after each binary's turn; the server logs are kept in
# $TARGET_DIR/bench-edits/ (round-binary.log).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ROUNDS="${ROUNDS:-2}"
EDITS="${EDITS:-200}"
VOL="$TARGET_DIR/volume"
DB="$VOL/edits_1m.db"
if [ "$#" -eq 0 ]; then
  (cd "$ROOT" && cargo build --release -p nuanxin)
  set -- "$(nuanxin_bin release)"
fi
WORK="$(mktemp -d)"
LOGS="$TARGET_DIR/bench-edits"
mkdir -p "$LOGS"
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
if [ ! -s "$DB" ]; then
  "$ROOT/scripts/gen-volume-data.sh" >/dev/null
  "$1" import "$VOL/points_1m.geojson" --max-records 2000000 --max-file-mib 1024 --db "$DB.tmp"
  mv "$DB.tmp" "$DB"
fi
TOKEN=$("$1" admin create-token --role admin --name bench-edits --db "$DB" | grep -oE '[A-Za-z0-9_-]{32,}' | head -1)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

parts() { # server log -> "name p50/p99/max" for every *_ms field of the edit lines
  python3 - "$1" <<'PY'
import re, sys
text = re.sub(r"\x1b\[[0-9;]*m", "", open(sys.argv[1], errors="replace").read())
lines = [l for l in text.splitlines() if "service point stored and indexed" in l]
def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))]
out = []
for name in ("store_ms", "index_ms", "wait_ms"):
    v = [float(m) for l in lines for m in re.findall(rf"\b{name}=([0-9.]+)", l)]
    if v:
        out.append(f"{name} {pct(v, .5):.3f}/{pct(v, .99):.3f}/{max(v):.3f}")
print(f"{len(lines)} edits: " + "; ".join(out))
PY
}

for round in $(seq "$ROUNDS"); do
  nth=0
  for bin in "$@"; do
    nth=$((nth + 1))
    echo "== round $round: $bin (load before: $(load))"
    PORT=$(free_port)
    "$bin" serve --db "$DB" --listen "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
    PID=$!
    until curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; do
      kill -0 "$PID" 2>/dev/null || { cat "$WORK/serve.log"; exit 1; }
      sleep 0.05
    done
    FIRST=$(python3 "$ROOT/scripts/bench_scale_http.py" edits "$PORT" "$TOKEN" 1 bench-edit | cut -f1)
    echo "first edit at the first /healthz: $FIRST ms"
    until grep -q "spare copy of the index made" "$WORK/serve.log"; do sleep 0.1; done
    # and until its other start-up work (compressing the web files) is done: CPU idle
    prev=-1
    for _ in $(seq 60); do
      now=$(awk '{print $14 + $15}' "/proc/$PID/stat")
      [ "$now" -le $((prev + 1)) ] && break
      prev=$now; sleep 1
    done
    echo "edits alone (median, max, p99 ms): $(python3 "$ROOT/scripts/bench_scale_http.py" edits "$PORT" "$TOKEN" "$EDITS" bench-edit)"
    echo "probe (reader p50 p99 ms without edits; p50 p99 during; reads; reads; edit p50 p99 max ms):"
    echo "  $(python3 "$ROOT/scripts/bench_scale_http.py" probe "$PORT" "$TOKEN" "$EDITS" bench-edit)"
    kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
    cp "$WORK/serve.log" "$LOGS/$round-$nth.log"
    echo "parts (p50/p99/max): $(parts "$WORK/serve.log")"
    echo "load after: $(load)"
  done
done
