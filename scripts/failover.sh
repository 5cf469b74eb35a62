#!/usr/bin/env bash
# Durability and failover of the multi-server mode (issue 13): PostgreSQL with a synchronous
# streaming replica, two `nuanxin serve` processes behind nginx, concurrent submitters.
#
#   scripts/failover.sh            # short: 1 trial of each kind, 8 s of load each (the test step)
#   scripts/failover.sh --long     # 3 trials of each kind, 20 s of load each, 8 submitters
#   TRIALS=5 SECONDS_OF_LOAD=30 WORKERS=8 PROFILE=release scripts/failover.sh
#
# Everything listens on loopback on free ports, with data in a temporary directory, and is
# stopped on exit. Installs Debian `postgresql-15` and `nginx` when missing.
#
# Set-up:
# - PostgreSQL primary (initdb), a standby made with `pg_basebackup -R` streaming from it, and
#   on the primary `synchronous_standby_names = 'standby'` with `synchronous_commit = on`: a
#   COMMIT returns once the standby has flushed the WAL too, so a 201 survives the loss of
#   the primary;
# - two `nuanxin serve` on PostgreSQL, their URL listing both database hosts with
#   `target_session_attrs=read-write` (they connect to whichever is the primary);
# - nginx in front: an upstream of the two with `max_fails`/`fail_timeout` (passive checks)
#   and `proxy_next_upstream error timeout http_502 http_504`, which nginx applies to POST
#   only when the request was not sent yet (no `non_idempotent`): a POST that reached a
#   server is never sent twice by nginx;
# - submitters (scripts/failover_client.py): multipart suggestions with a photo and an
#   `Idempotency-Key`, retried with the same key after an error or a 5xx; a reader of
#   /api/v1/nearest alongside.
#
# Trials, each under load and checked afterwards (every acknowledged suggestion stored
# exactly once with its photo; nothing stored twice):
#   nuanxin  kill -9 one of the two servers at a random moment, restart it a second later;
#   primary  kill -9 the PostgreSQL primary (postmaster and its processes), promote the
#            standby (`pg_ctl promote`) one second later (the time a failover manager takes to
#            decide), let the servers reconnect; then a new standby is made from the new
#            primary for the next trial.
# Prints a table (also in $TARGET_DIR/failover.md) and exits non-zero on any loss or duplicate.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

TRIALS=${TRIALS:-1}
SECONDS_OF_LOAD=${SECONDS_OF_LOAD:-8}
WORKERS=${WORKERS:-4}
if [ "${1:-}" = "--long" ]; then
  TRIALS=${TRIALS_LONG:-3} SECONDS_OF_LOAD=${SECONDS_LONG:-20} WORKERS=${WORKERS_LONG:-8}
fi
PROFILE=${PROFILE:-debug}
OUT=${OUT:-$TARGET_DIR/failover.md}

STARTED=$(date +%s)
section() { printf '\n==> %s (%d s)\n' "$*" $(( $(date +%s) - STARTED )); }
now() { date +%s.%N; }
source "$ROOT/scripts/lib/cluster.sh"

section "tools"
cluster_tools
if [ "$PROFILE" = release ]; then cargo build --release --quiet --bin nuanxin; else cargo build --quiet --bin nuanxin; fi
BIN="$(nuanxin_bin "$PROFILE")"
cluster_init
WORK=$CLUSTER

section "PostgreSQL primary (a) and synchronous standby (b)"
node_init a
make_standby a b
PRIMARY=a STANDBY=b
echo "replication: $(psql_at a -c "SELECT application_name || ' ' || state || ' ' || sync_state FROM pg_stat_replication")"
DB_URL=$(pg_url a b)

section "two nuanxin servers on $DB_URL, nginx in front"
# one after the other: the first seeds the empty database with the demo points
nuanxin_start 1 "$DB_URL"
nuanxin_start 2 "$DB_URL"
nginx_start 1 2
BASE="http://127.0.0.1:$NGINX_PORT"
TOKEN=$("$BIN" admin create-token --role admin --name 故障演练 --db "$DB_URL" 2>/dev/null | tail -1)
echo "nginx at $BASE in front of ports ${NX_PORT[1]} and ${NX_PORT[2]}: $(curl -fsS "$BASE/readyz")"

RESULTS="$WORK/results.tsv"
: > "$RESULTS"
FAILED=0

# run_trial KIND N: load through nginx, the fault at a random moment, then the checks.
run_trial() {
  local kind=$1 n=$2 label="${1}${2}"
  local acks="$WORK/$label.acks" stats="$WORK/$label.stats" rows="$WORK/$label.rows"
  : > "$acks"
  python3 scripts/failover_client.py submit "$BASE" "$WORKERS" "$SECONDS_OF_LOAD" "$acks" "$stats" "$label" \
    2>>"$WORK/log/client.err" &
  local client=$!
  sleep "$(python3 -c 'import random; print(round(random.uniform(1.5, 3.0), 2))')"
  local detail
  case "$kind" in
    nuanxin)
      local victim=$(( (n % 2) + 1 ))
      kill -9 "${NX_PID[$victim]}"; wait "${NX_PID[$victim]}" 2>/dev/null || true
      detail="kill -9 nuanxin $victim (pid ${NX_PID[$victim]}), restarted after 1 s"
      sleep 1
      nuanxin_start "$victim" "$DB_URL"
      ;;
    primary)
      local pm t0 t1
      t0=$(now)
      node_kill "$PRIMARY"
      pm=$KILLED_PM
      sleep 1
      as_pg "$PGBIN/pg_ctl" -D "$WORK/pg/$STANDBY" -w -t 60 promote >/dev/null
      t1=$(now)
      detail="kill -9 primary $PRIMARY (postmaster $pm), promoted $STANDBY after $(python3 -c "print(round($t1 - $t0, 1))") s"
      local old=$PRIMARY; PRIMARY=$STANDBY; STANDBY=$old
      ;;
  esac
  echo "  $label: $detail"
  wait "$client"
  # what PostgreSQL holds for this trial's submissions, read from the (new) primary
  DB=nuanxin psql_at "$PRIMARY" -F $'\t' -c \
    "SELECT id, description, coalesce(encode(sha256(photo), 'hex'), '') FROM suggestions WHERE description LIKE 'failover $label %'" > "$rows"
  local verdict
  if verdict=$(python3 scripts/failover_client.py verify "$BASE" "$acks" "$rows"); then :; else FAILED=1; fi
  # a point edited through one server after the fault is answered by the other (LISTEN/NOTIFY)
  local propagation_ms
  propagation_ms=$(python3 scripts/failover_client.py propagate "http://127.0.0.1:${NX_PORT[1]}" \
    "http://127.0.0.1:${NX_PORT[2]}" "$TOKEN" "drill-$label") || { propagation_ms=never; FAILED=1; }
  echo "  $label: $(cat "$stats")"
  echo "  $label: $verdict; point edit seen by the other server after $propagation_ms ms"
  python3 - "$kind" "$label" "$stats" "$detail" "$verdict" "$propagation_ms" >> "$RESULTS" <<'PY'
import json, sys
kind, label, stats, detail, verdict, propagation = sys.argv[1:]
s, v = json.load(open(stats)), json.loads(verdict)
print("\t".join(map(str, [label, detail, v["acknowledged"], v["lost"], v["duplicated"], v["photo_mismatch"],
                          s["retries"], s["replays"], s["longest_without_201_s"], s["reads"], s["failed_reads"],
                          propagation])))
PY
  if [ "$kind" = primary ] && [ "$n" -lt "$TRIALS" ]; then
    # the next trial needs a synchronous standby again: rebuild the dead node from the new primary
    make_standby "$PRIMARY" "$STANDBY"
  fi
}

section "trials: $TRIALS of each kind, $SECONDS_OF_LOAD s of load, $WORKERS submitters"
for n in $(seq 1 "$TRIALS"); do
  run_trial nuanxin "$n"
  run_trial primary "$n"
done

section "summary ($OUT)"
{
  echo "# Failover trials"
  echo
  echo "$(date -u +"%Y-%m-%d %H:%M UTC"), $(nproc) CPUs, $PROFILE build, $WORKERS submitters + 1 reader through nginx, $SECONDS_OF_LOAD s of load per trial."
  echo
  echo "| trial | fault | acknowledged | lost | duplicated | photo mismatch | client retries | idempotent replays | longest without a 201 (s) | reads | failed reads | point edit seen by the other server (ms) |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  while IFS=$'\t' read -r -a f; do
    echo "| ${f[0]} | ${f[1]} | ${f[2]} | ${f[3]} | ${f[4]} | ${f[5]} | ${f[6]} | ${f[7]} | ${f[8]} | ${f[9]} | ${f[10]} | ${f[11]} |"
  done < "$RESULTS"
  echo
  awk -F'\t' '{t++; a+=$3; l+=$4; d+=$5; m+=$6} END {printf "Totals: %d trials, %d acknowledged, %d lost, %d duplicated, %d photo mismatches.\n", t, a, l, d, m}' "$RESULTS"
  awk -F'\t' '$1 ~ /^primary/ {if ($9 > w) w = $9} END {printf "Longest time without service during a database failover: %.1f s.\n", w}' "$RESULTS"
} > "$OUT"
cat "$OUT"
if [ "$FAILED" != 0 ]; then
  echo "FAILED: an acknowledged suggestion was lost, duplicated or changed"
  for f in "$WORK"/log/*.err; do echo "--- $f"; tail -20 "$f"; done
  exit 1
fi
