#!/usr/bin/env bash
# Weak-signal benchmark of the web page: first paint, map usable and time to the nearest
# stations on Chromium's emulated "Slow 3G" (DevTools protocol), for a first visit, a repeat
# visit and an offline repeat visit (tests/e2e/slow3g.bench.mjs). Figures in docs/benchmarks.md
# ("Weak signal (Slow 3G)"). RUNS=3 repeats the three visits with fresh browser profiles.
set -euo pipefail
source "$(dirname "$0")/lib/server.sh"
need_apt curl curl python3 python3 chromium chromium node nodejs npm npm
if [ ! -f "$root/tests/e2e/node_modules/playwright-core/package.json" ]; then
  (cd "$root/tests/e2e" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
# NUANXIN_BIN=path measures another build (e.g. an older commit's binary) with the same script.
if [ -n "${NUANXIN_BIN:-}" ]; then bin=$NUANXIN_BIN; fi
start_server
cd "$root/tests/e2e"
node slow3g.bench.mjs
