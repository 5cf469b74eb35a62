#!/usr/bin/env bash
# Soak test: mixed traffic for MINUTES against a real server on loopback, sampling its
# resident memory (RSS), to find growth that a short test cannot see. Not part of the test
# suite (it takes 20 minutes); bounded and offline.
#
#   scripts/soak.sh                          # 20 minutes, 4 client threads, release build
#   MINUTES=5 WORKERS=8 PROFILE=debug scripts/soak.sh
#
# 1. builds the binary (PROFILE=release by default) and starts `nuanxin serve` on a free
#    loopback port with a temporary database and an officer token;
# 2. runs scripts/soak_load.py: first PREFILL (default 10) city-wide what-if sessions, which
#    fill the sessions' memory budget during the warm-up, then WORKERS keep-alive
#    connections sending the mix documented there (reads, suggestions with photos, officer
#    answers, coverage, what-if sessions, proposals, bad input), sampling VmRSS every
#    SAMPLE_S seconds;
# 3. reports, after a warm-up of WARMUP_MIN minutes (default: a fifth of the run, at least
#    1): RSS at the end of the warm-up, at the end, the peak, the growth in percent and the
#    least-squares slope in MiB per hour, into $TARGET_DIR/soak.md (and the samples beside
#    it as soak.csv). It fails when the growth after the warm-up exceeds MAX_GROWTH_PCT
#    (default 10).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

MINUTES=${MINUTES:-20}
WORKERS=${WORKERS:-4}
PREFILL=${PREFILL:-10}
PROFILE=${PROFILE:-release}
SAMPLE_S=${SAMPLE_S:-10}
MAX_GROWTH_PCT=${MAX_GROWTH_PCT:-10}
WARMUP_MIN=${WARMUP_MIN:-$(python3 -c "print(max(1.0, $MINUTES / 5))")}
OUT=${OUT:-$TARGET_DIR/soak.md}
CSV="${OUT%.md}.csv"

if [ "$PROFILE" = release ]; then
  cargo build --release --quiet --bin nuanxin
else
  cargo build --quiet --bin nuanxin
fi
BIN="$(nuanxin_bin "$PROFILE")"

WORK=$(mktemp -d /tmp/nuanxin-soak.XXXXXX)
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

TOKEN=$("$BIN" admin create-token --role officer --adcode 430102 --name soak --db "$WORK/n.db" 2>/dev/null | tail -n 1)
NUANXIN_RATE_LIMIT__ENABLED=false RUST_LOG=${SOAK_RUST_LOG:-warn} \
  "$BIN" serve --listen 127.0.0.1:0 --db "$WORK/n.db" > "$WORK/server.out" 2> "$WORK/server.err" &
SERVER_PID=$!
for _ in $(seq 1 300); do
  grep -q "Listening on" "$WORK/server.out" 2>/dev/null && break
  sleep 0.2
done
URL=$(head -1 "$WORK/server.out" | sed 's/^Listening on //; s:/$::')
echo "server $SERVER_PID at $URL ($PROFILE); $MINUTES min, $WORKERS workers, warm-up $WARMUP_MIN min"

python3 "$ROOT/scripts/soak_load.py" "$URL" "$SERVER_PID" "$(python3 -c "print($MINUTES * 60)")" "$CSV" \
  --workers "$WORKERS" --token "$TOKEN" --sample "$SAMPLE_S" --prefill "$PREFILL" > "$WORK/load.json"
kill -0 "$SERVER_PID" || { echo "the server died:"; tail -20 "$WORK/server.err"; exit 1; }

python3 - "$CSV" "$WORK/load.json" "$WARMUP_MIN" "$MAX_GROWTH_PCT" "$OUT" "$PROFILE" "$WORKERS" "$MINUTES" <<'PY'
import csv, json, sys
path, load, warm_min, max_pct, out, profile, workers, minutes = sys.argv[1:9]
rows = [(float(r["elapsed_s"]), int(r["rss_kib"]) / 1024, int(r["requests"]), int(r["errors"])) for r in csv.DictReader(open(path))]
load = json.load(open(load))
warm = float(warm_min) * 60
after = [r for r in rows if r[0] >= warm]
t = [r[0] for r in after]; m = [r[1] for r in after]
n = len(after)
mt, mm = sum(t) / n, sum(m) / n
slope = sum((a - mt) * (b - mm) for a, b in zip(t, m)) / max(1e-9, sum((a - mt) ** 2 for a in t))
start, end, peak = m[0], m[-1], max(m)
growth = (end - start) / start * 100
secs = rows[-1][0]
lines = [
    f"# Soak: {minutes} min of mixed traffic, {workers} client threads, {profile} build",
    "",
    f"- requests: {load['requests']} ({load['requests'] / secs:.0f}/s), transport errors: {load['errors']}",
    f"- statuses: {load['status']}",
    f"- transport errors by kind: {load['error_kinds']}",
    f"- RSS at start {rows[0][1]:.1f} MiB; after the {float(warm_min):g}-min warm-up {start:.1f} MiB; at the end {end:.1f} MiB; peak {peak:.1f} MiB",
    f"- growth after warm-up: {growth:+.1f} % ({end - start:+.1f} MiB); least-squares slope {slope * 3600:+.1f} MiB per hour",
]
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
if growth > float(max_pct):
    print(f"FAIL: memory grew {growth:.1f} % after the warm-up (limit {max_pct} %)")
    sys.exit(1)
PY
