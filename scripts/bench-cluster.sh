#!/usr/bin/env bash
# Benchmark of the multi-server mode (issue 13), every figure from one run on this machine:
#
# 1. suggestion submissions per second (`POST /api/v1/suggestions`, JSON, wrk, SUBMIT_CONNECTIONS
#    connections, DURATION s) on SQLite (WAL, synchronous=FULL), on PostgreSQL alone
#    (synchronous_commit = on, fsync) and on PostgreSQL with a synchronous standby (each
#    COMMIT waits for the standby's flush too);
# 2. nearest requests per second (`GET /api/v1/nearest`, random positions, CONNECTIONS
#    connections) straight to one server, through nginx to one server, and through nginx to
#    two servers;
# 3. availability: the same load through nginx for DURATION s while one server is killed
#    (kill -9) halfway, with one server and with two: failed requests.
#
#   scripts/bench-cluster.sh                       # release build, 15 s per run
#   DURATION=30 CONNECTIONS=64 scripts/bench-cluster.sh
#   scripts/bench-cluster.sh --failover-long       # then also: scripts/failover.sh --long
#
# Not a test: figures depend on the machine. wrk, nginx, PostgreSQL and the servers share
# the same CPUs. Installs wrk, nginx and postgresql-15 when missing. Output:
# $TARGET_DIR/bench-cluster.md.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

DURATION=${DURATION:-15}
CONNECTIONS=${CONNECTIONS:-64}
SUBMIT_CONNECTIONS=${SUBMIT_CONNECTIONS:-16}
THREADS=${THREADS:-2}
OUT=${OUT:-$TARGET_DIR/bench-cluster.md}
section() { printf '\n==> %s\n' "$*"; }
source "$ROOT/scripts/lib/cluster.sh"

section "tools"
cluster_tools wrk
section "cargo build --release"
cargo build --release --quiet --bin nuanxin
BIN="$(nuanxin_bin release)"
cluster_init
NUANXIN_LOG=error

cat > "$CLUSTER/submit.lua" <<'LUA'
-- A new suggestion at a random position in central Changsha for every request.
local cats = {"entry_access", "parking", "supplies", "rest", "safety_hazard"}
local n = 0
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
request = function()
  n = n + 1
  local lon = 113.03 + (math.random() - 0.5) * 0.04
  local lat = 28.20 + (math.random() - 0.5) * 0.02
  local body = string.format('{"location":[%.6f,%.6f],"category":"%s","description":"基准测试 bench %d %d"}',
    lon, lat, cats[math.random(#cats)], n, math.random(1000000000))
  return wrk.format("POST", "/api/v1/suggestions", {["Content-Type"] = "application/json"}, body)
end
LUA
cat > "$CLUSTER/nearest.lua" <<'LUA'
-- A random position over Changsha for every request.
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
request = function()
  local lon = 112.80 + 0.40 * math.random()
  local lat = 27.95 + 0.45 * math.random()
  return wrk.format("GET", string.format("/api/v1/nearest?lon=%.6f&lat=%.6f&k=5", lon, lat))
end
LUA

to_ms() { # wrk latency (1.23ms, 850.00us, 1.02s) → milliseconds
  awk -v v="$1" 'BEGIN{ if (v ~ /us$/) {sub(/us$/,"",v); print v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v); print v+0} else if (v ~ /s$/) {sub(/s$/,"",v); print v*1000} else print v }'
}
ROWS="$CLUSTER/rows.tsv"
: > "$ROWS"
# load NAME URL SCRIPT CONNECTIONS [KILL_PID]: wrk for DURATION s (after a 2 s warm-up); with
# KILL_PID, that process is killed (kill -9) halfway. Appends "name rps p50 p99 errors".
load() {
  local name=$1 url=$2 script=$3 conns=$4 victim=${5:-} out="$CLUSTER/wrk-$1.txt"
  [ -z "$victim" ] && wrk -t"$THREADS" -c"$conns" -d2s -s "$script" "$url" >/dev/null
  wrk -t"$THREADS" -c"$conns" -d"${DURATION}s" --latency -s "$script" "$url" > "$out" &
  local wrk_pid=$!
  if [ -n "$victim" ]; then
    sleep "$(python3 -c "print($DURATION / 2)")"
    kill -9 "$victim"
  fi
  wait "$wrk_pid"
  local rps p50 p99 total errors
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
  p50=$(to_ms "$(awk '$1=="50%" {print $2}' "$out")")
  p99=$(to_ms "$(awk '$1=="99%" {print $2}' "$out")")
  total=$(awk '/requests in/ {print $1}' "$out")
  errors=$(awk '/Non-2xx/ {n+=$NF} /Socket errors/ {gsub(/,/,""); for(i=1;i<=NF;i++) if ($i ~ /^[0-9]+$/) n+=$i} END {print n+0}' "$out")
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$rps" "$p50" "$p99" "$errors" "$total" >> "$ROWS"
  printf '  %-28s %10s req/s  p50 %8s ms  p99 %8s ms  errors %s of %s\n' "$name" "$rps" "$p50" "$p99" "$errors" "$total"
}
stop_nuanxin() { kill "${NX_PID[$1]}" 2>/dev/null; wait "${NX_PID[$1]}" 2>/dev/null || true; NX_PID[$1]=""; }
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

section "1. submissions/s: SQLite, PostgreSQL, PostgreSQL + synchronous standby ($SUBMIT_CONNECTIONS connections, ${DURATION} s)"
NX_PORT[s]=$(free_port)
NUANXIN_RATE_LIMIT__ENABLED=false RUST_LOG=error "$BIN" serve --listen "127.0.0.1:${NX_PORT[s]}" --db "$CLUSTER/bench.db" \
  >"$CLUSTER/log/sqlite.out" 2>&1 &
NX_PID[s]=$!
for _ in $(seq 1 300); do curl -fsS -o /dev/null "http://127.0.0.1:${NX_PORT[s]}/readyz" 2>/dev/null && break; sleep 0.1; done
load submit-sqlite "http://127.0.0.1:${NX_PORT[s]}" "$CLUSTER/submit.lua" "$SUBMIT_CONNECTIONS"
stop_nuanxin s
node_init a
nuanxin_start 1 "$(pg_url a)"
load submit-postgres "http://127.0.0.1:${NX_PORT[1]}" "$CLUSTER/submit.lua" "$SUBMIT_CONNECTIONS"
make_standby a b
load submit-postgres-sync-standby "http://127.0.0.1:${NX_PORT[1]}" "$CLUSTER/submit.lua" "$SUBMIT_CONNECTIONS"

section "2. nearest/s: direct, nginx → 1 server, nginx → 2 servers ($CONNECTIONS connections, ${DURATION} s)"
nuanxin_start 2 "$(pg_url a b)"
load nearest-direct "http://127.0.0.1:${NX_PORT[1]}" "$CLUSTER/nearest.lua" "$CONNECTIONS"
nginx_start 1
load nearest-nginx-1 "http://127.0.0.1:$NGINX_PORT" "$CLUSTER/nearest.lua" "$CONNECTIONS"
nginx_start 1 2
load nearest-nginx-2 "http://127.0.0.1:$NGINX_PORT" "$CLUSTER/nearest.lua" "$CONNECTIONS"

section "3. availability: kill -9 one server halfway, nginx → 1 and → 2 servers"
load kill-nginx-2 "http://127.0.0.1:$NGINX_PORT" "$CLUSTER/nearest.lua" "$CONNECTIONS" "${NX_PID[2]}"
wait "${NX_PID[2]}" 2>/dev/null || true; NX_PID[2]=""
nginx_start 1
load kill-nginx-1 "http://127.0.0.1:$NGINX_PORT" "$CLUSTER/nearest.lua" "$CONNECTIONS" "${NX_PID[1]}"
wait "${NX_PID[1]}" 2>/dev/null || true; NX_PID[1]=""

section "summary ($OUT)"
python3 - "$ROWS" "$OUT" "$DURATION" "$CONNECTIONS" "$SUBMIT_CONNECTIONS" "$LOAD_BEFORE" "$(nproc)" <<'PY'
import sys, time
rows_path, out, duration, conns, sconns, load, cpus = sys.argv[1:]
r = {}
for line in open(rows_path):
    name, rps, p50, p99, err, total = line.rstrip("\n").split("\t")
    r[name] = dict(rps=float(rps), p50=float(p50), p99=float(p99), err=int(err), total=int(total))
def row(label, name, base=None):
    x = r[name]
    ratio = f"{x['rps'] / r[base]['rps']:.2f}×" if base else "1 (baseline)"
    return f"| {label} | {x['rps']:,.0f} | {ratio} | {x['p50']:.2f} | {x['p99']:.2f} | {x['err']} of {x['total']:,} |"
lines = [
    "# Multi-server benchmark", "",
    f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {cpus} CPUs, release build; wrk, nginx, "
    f"PostgreSQL and the servers on the same machine; {duration} s per run; load average before: {load}.", "",
    f"**Suggestion submissions** (`POST /api/v1/suggestions`, JSON without photo, {sconns} connections; "
    "every 201 after a durable commit):", "",
    "| store | submissions/s | ratio | p50 ms | p99 ms | errors |", "|---|---:|---:|---:|---:|---:|",
    row("SQLite (WAL, synchronous=FULL)", "submit-sqlite"),
    row("PostgreSQL 15 (synchronous_commit = on)", "submit-postgres", "submit-sqlite"),
    row("PostgreSQL 15 + synchronous standby", "submit-postgres-sync-standby", "submit-sqlite"), "",
    f"**Nearest** (`GET /api/v1/nearest?k=5`, random positions over Changsha, {conns} connections):", "",
    "| path | requests/s | ratio | p50 ms | p99 ms | errors |", "|---|---:|---:|---:|---:|---:|",
    row("straight to one server", "nearest-direct"),
    row("nginx → 1 server", "nearest-nginx-1", "nearest-direct"),
    row("nginx → 2 servers", "nearest-nginx-2", "nearest-direct"), "",
    "**Availability** (the same nearest load through nginx; one server killed with kill -9 halfway):", "",
    "| upstream | requests/s | ratio | p50 ms | p99 ms | failed requests |", "|---|---:|---:|---:|---:|---:|",
    row("2 servers, one killed", "kill-nginx-2", "nearest-nginx-2"),
    row("1 server, killed", "kill-nginx-1", "nearest-nginx-1"),
]
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY

if [ "${1:-}" = "--failover-long" ]; then
  section "scripts/failover.sh --long"
  PROFILE=release bash "$ROOT/scripts/failover.sh" --long
fi
