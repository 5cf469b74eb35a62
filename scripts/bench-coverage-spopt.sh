#!/usr/bin/env bash
# Quality and speed of our greedy maximal covering against the exact optimum (PySAL spopt's
# MCLP with PuLP's CBC), on instances small enough for an exact solver: urban districts of
# Changsha at H3 resolution 8, e-bike 5 minutes (r = 1 250 m), k = 5 and 10, candidates = all
# cell centres, demand = the cells not covered by the existing stations (demo data, or
# --data FILE), weighted by area.
#
# Usage: scripts/bench-coverage-spopt.sh [extra `nuanxin coverage` flags, e.g. --data f.geojson]
# Output: one JSON line per instance and a summary table (greedy share of the optimum, goal
# ≥ 0.99; speed ratio spopt time / our time for building the coverage sets and solving).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

VENV="${NUANXIN_SPOPT_VENV:-$HOME/.cache/nuanxin/spopt-venv}"
if ! "$VENV/bin/python" -c "import spopt, pulp" 2>/dev/null; then
    echo "installing spopt into $VENV (PyPI)" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q spopt
fi

cargo build --release --quiet --bin nuanxin
BIN="$(nuanxin_bin release)"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

results="$OUT/results.jsonl"
for adcode in 430102 430103 430111 430104; do
    for k in 5 10; do
        f="$OUT/mclp-$adcode-$k.json"
        "$BIN" coverage --adcode "$adcode" --mode ebike --minutes 5 --resolution 8 \
            --propose "$k" --candidates all --export-mclp "$f" "$@" 2>/dev/null
        "$VENV/bin/python" scripts/bench_coverage_spopt.py "$f" "$adcode res8 k=$k" | tee -a "$results"
    done
done

"$VENV/bin/python" - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print()
print(f"{'instance':<20}{'cells':>7}{'cand':>6}{'greedy km²':>12}{'opt km²':>10}{'share':>8}{'ours s':>9}{'spopt s':>9}{'ratio':>8}")
for r in rows:
    print(f"{r['instance']:<20}{r['demand_cells']:>7}{r['candidates']:>6}{r['greedy_added_km2']:>12.3f}"
          f"{r['optimum_added_km2']:>10.3f}{r['added_share_of_optimum']:>8.4f}{r['greedy_s']:>9.4f}"
          f"{r['spopt_s']:>9.3f}{r['speed_ratio_spopt_over_greedy']:>8.0f}")
worst = min(r["added_share_of_optimum"] for r in rows)
print(f"worst greedy share of the optimum added coverage: {worst:.4f} (goal ≥ 0.99)")
PY
