#!/usr/bin/env bash
# Quality and speed of our greedy maximal covering against the exact optimum (PySAL spopt's
# MCLP with PuLP's CBC), on instances small enough for an exact solver: urban districts of
# Changsha at H3 resolution 8, e-bike 5 minutes (r = 1 250 m), k = 5 and 10, candidates = all
# cell centres, demand = the cells not covered by the existing stations (demo data, or
# --data FILE), weighted by area.
#
# Then the same with demand weights (issue 11): demand = builtup (GHSL built volume) and pickups
# (OSM pick-up points) per cell, candidates = the cells holding demand (`--candidates demand`),
# exactly what `nuanxin coverage --demand LAYER --propose k` solves.
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
for demand in builtup pickups; do
    for adcode in 430102 430103 430111 430104; do
        for k in 5 10; do
            f="$OUT/mclp-$demand-$adcode-$k.json"
            "$BIN" coverage --adcode "$adcode" --mode ebike --minutes 5 --resolution 8 \
                --propose "$k" --demand "$demand" --candidates demand --export-mclp "$f" "$@" 2>/dev/null
            "$VENV/bin/python" scripts/bench_coverage_spopt.py "$f" "$adcode $demand k=$k" | tee -a "$results"
        done
    done
done

"$VENV/bin/python" - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print()
print(f"{'instance':<24}{'cells':>7}{'cand':>6}{'greedy':>14}{'optimum':>14}{'share':>8}{'ours s':>9}{'spopt s':>9}{'ratio':>8}")
for r in rows:
    print(f"{r['instance']:<24}{r['demand_cells']:>7}{r['candidates']:>6}{r['greedy_added']:>14.3f}"
          f"{r['optimum_added']:>14.3f}{r['added_share_of_optimum']:>8.4f}{r['greedy_s']:>9.4f}"
          f"{r['spopt_s']:>9.3f}{r['speed_ratio_spopt_over_greedy']:>8.0f}")
worst = min(r["added_share_of_optimum"] for r in rows)
print(f"worst greedy share of the optimum added coverage: {worst:.4f} (goal ≥ 0.99)")
PY
