#!/usr/bin/env bash
# Durability trials: every suggestion acknowledged with 201 survives `kill -9` of the server.
#
# Each trial: start the real `nuanxin serve` on a free port with a fresh SQLite file,
# submit suggestions from WORKERS parallel clients, SIGKILL the server at a random moment
# while they are still submitting, restart it on the same file, and check that every id
# acknowledged with 201 is there (GET /api/v1/suggestions/{id} → 200 with the same text),
# then run SQLite's integrity check on the file.
#
# Usage: scripts/durability.sh [TRIALS (default 3)] [WORKERS (default 6)]
# Needs: cargo, python3 (standard library only).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

TRIALS="${1:-${DURABILITY_TRIALS:-3}}"
WORKERS="${2:-${DURABILITY_WORKERS:-6}}"

cargo build --quiet --bin nuanxin
BIN="$(nuanxin_bin debug)"
WORK="$(mktemp -d -t nuanxin-durability.XXXXXX)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill -9 "$SERVER_PID" 2>/dev/null || true; fi
  keep_logs durability "$WORK"/server.err "$WORK"/server.*.out
  rm -rf "$WORK"
}
trap cleanup EXIT

# Starts the server on DB $1; sets SERVER_PID and BASE.
start_server() {
  local db="$1" out="$WORK/server.$RANDOM.out"
  : >"$out"
  NUANXIN_RATE_LIMIT__ENABLED=false RUST_LOG=warn \
    "$BIN" serve --listen 127.0.0.1:0 --db "$db" >"$out" 2>>"$WORK/server.err" &
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    if grep -q "Listening on http://" "$out"; then
      BASE="$(grep -o 'http://[0-9.:]*' "$out" | head -1)"
      return 0
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "server exited early:"; cat "$WORK/server.err"; return 1
    fi
    sleep 0.1
  done
  echo "server did not start"; cat "$WORK/server.err"; return 1
}

total_acked=0
for trial in $(seq 1 "$TRIALS"); do
  db="$WORK/trial$trial.db"
  acks="$WORK/trial$trial.acks"
  : >"$acks"
  start_server "$db"
  echo "trial $trial: server pid $SERVER_PID at $BASE"

  # Workers submit until the server goes away; each 201 is appended as "id<TAB>description".
  python3 - "$BASE" "$WORKERS" "$acks" <<'PY' &
import json, os, sys, threading, urllib.request, random
base, workers, acks = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()
out = open(acks, "a", encoding="utf-8")
secrets_path = os.environ.get("NUANXIN_TEST_SECRETS")
secrets = open(secrets_path, "a", encoding="utf-8") if secrets_path else None
cats = ["entry_access", "parking", "supplies", "rest", "safety_hazard"]
def work(w):
    i = 0
    fails = 0
    while fails < 20:
        i += 1
        tag = "".join(random.choice("abcdefghijkmnpqrstuvwxyz") for _ in range(12))
        desc = f"worker {w} #{i} 骑手建议 🛵 {tag}"
        body = json.dumps({"location": [113.03 + random.uniform(-0.02, 0.02), 28.20 + random.uniform(-0.01, 0.01)],
                           "category": random.choice(cats), "description": desc}).encode()
        req = urllib.request.Request(base + "/api/v1/suggestions", data=body,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                if r.status == 201:
                    rec = json.loads(r.read())
                    with lock:
                        out.write(rec["id"] + "\t" + desc + "\n")
                        out.flush()
                        # the receipt is a secret: zz-secret-grep.sh looks for it in every log
                        if secrets:
                            secrets.write(rec.get("receipt_token", "") + "\n" + rec.get("receipt_code", "") + "\n")
                            secrets.flush()
        except Exception:
            fails += 1
threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
for t in threads: t.start()
for t in threads: t.join()
PY
  CLIENTS=$!
  # kill -9 at a random moment 1.0–2.5 s into the load
  sleep "$(python3 -c 'import random; print(round(random.uniform(1.0, 2.5), 2))')"
  kill -9 "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  wait "$CLIENTS" || true
  n=$(wc -l <"$acks")
  if [ "$n" -eq 0 ]; then
    echo "trial $trial: no submission was acknowledged before the kill"; cat "$WORK/server.err"; exit 1
  fi

  start_server "$db"
  python3 - "$BASE" "$acks" <<'PY'
import json, sys, urllib.request
base, acks = sys.argv[1], sys.argv[2]
missing = []
n = 0
for line in open(acks, encoding="utf-8"):
    sid, desc = line.rstrip("\n").split("\t", 1)
    n += 1
    try:
        with urllib.request.urlopen(f"{base}/api/v1/suggestions/{sid}", timeout=10) as r:
            rec = json.loads(r.read())
            if rec["description"] != desc:
                missing.append((sid, "different description: %r vs %r" % (rec["description"], desc)))
    except Exception as e:
        missing.append((sid, str(e)))
with urllib.request.urlopen(f"{base}/api/v1/suggestions?limit=1", timeout=10) as r:
    total = json.loads(r.read())["total"]
print(f"  {n} acknowledged, {total} stored, {len(missing)} missing")
if missing:
    for m in missing[:20]:
        print("  MISSING", *m)
    sys.exit(1)
if total < n:
    sys.exit("fewer stored than acknowledged")
PY
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
  python3 -c "
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
r = c.execute('PRAGMA integrity_check').fetchone()[0]
print('  integrity_check:', r)
sys.exit(0 if r == 'ok' else 1)
" "$db"
  total_acked=$((total_acked + n))
done
echo "durability: $TRIALS trials, $total_acked acknowledged suggestions, none lost"
