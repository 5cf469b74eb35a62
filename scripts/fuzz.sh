#!/usr/bin/env bash
# Fuzzing with cargo-fuzz (libFuzzer, nightly Rust): the importers (CSV, GeoJSON, XLSX), the
# time parsers (opening hours, `at`) and the position parser of place search. Not part of
# the test suite (it needs nightly and minutes per target); crashes it finds become
# regression tests in the crates' own test suites.
#
#   scripts/fuzz.sh                        # every target, RUNS executions each
#   RUNS=1000000 TARGETS="import_xlsx" scripts/fuzz.sh
#
# Installs cargo-fuzz (crates.io) and the nightly toolchain when missing. Seeds each corpus
# (fuzz/corpus/TARGET, kept between runs) from the repository's fixtures, runs each target
# for RUNS executions (default 200 000) with a 2 GiB memory limit (an allocation beyond it is
# a crash: the importers must refuse oversized input before allocating) and 10 s per input,
# and writes executions, crashes and time per target to $TARGET_DIR/fuzz.md. Crashing inputs
# are in fuzz/artifacts/TARGET/; `cargo +nightly fuzz run TARGET FILE` replays one. Exits
# non-zero when any target crashed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

RUNS=${RUNS:-200000}
TARGETS=${TARGETS:-"import_csv import_geojson import_xlsx opening_hours search_position"}
OUT=${OUT:-$TARGET_DIR/fuzz.md}

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

seed() { # target, files...
  local dir="fuzz/corpus/$1"; shift
  mkdir -p "$dir"
  for f in "$@"; do [ -f "$f" ] && cp "$f" "$dir/seed-$(basename "$f")"; done
}
seed import_csv data/samples/*.csv tests/fixtures/*.csv
seed import_geojson tests/fixtures/*.geojson tests/fixtures/osm/*.geojson
seed import_xlsx tests/fixtures/*.xlsx
mkdir -p fuzz/corpus/opening_hours fuzz/corpus/search_position
i=0
for s in "24/7" "Mo-Fr 08:00-20:00" "Mo-Su 07:00-22:00; PH off" "Sa,Su 10:00-12:00,14:00-18:00" \
         "2026-12-01T02:00+08:00" "2026-01-15T20:30" "sunrise-sunset" "Jan-Mar Mo 08:00-12:00"; do
  printf '%s' "$s" > "fuzz/corpus/opening_hours/seed-$((i++))"
done
for s in "112.976341,28.195346" "28.195346, 112.976341" "112°58'34.8\"E 28°11'43.2\"N" \
         "https://uri.amap.com/marker?position=112.976341,28.195346&name=五一广场" \
         "https://api.map.baidu.com/marker?location=28.20,112.98&title=x" "geo:28.19,112.97" \
         "https://apis.map.qq.com/uri/v1/marker?marker=coord:28.19,112.97;title:x"; do
  printf '%s' "$s" > "fuzz/corpus/search_position/seed-$((i++))"
done

# `cargo fuzz build` takes one target at a time.
for t in $TARGETS; do (cd fuzz && cargo +nightly fuzz build -O "$t"); done
{
  echo "# Fuzzing: $RUNS executions per target ($(date -u +%F), $(cd fuzz && cargo +nightly --version))"
  echo
  echo "| target | executions | crashes | seconds | corpus |"
  echo "|---|---:|---:|---:|---:|"
} > "$OUT"
failed=0
for t in $TARGETS; do
  mkdir -p "fuzz/artifacts/$t"
  log="$TARGET_DIR/fuzz-$t.log"
  start=$(date +%s)
  set +e
  (cd fuzz && cargo +nightly fuzz run -O "$t" "corpus/$t" -- -runs="$RUNS" -rss_limit_mb=2048 \
     -malloc_limit_mb=2048 -timeout=10 -max_len=262144 -print_final_stats=1) > "$log" 2>&1
  rc=$?
  set -e
  secs=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  crashes=$(find "fuzz/artifacts/$t" -type f \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' \) | wc -l)
  corpus=$(find "fuzz/corpus/$t" -type f | wc -l)
  echo "| $t | ${execs:-?} | $crashes | $secs | $corpus |" >> "$OUT"
  if [ "$rc" != 0 ] || [ "$crashes" != 0 ]; then
    failed=1
    echo "$t: exit $rc, $crashes crashing inputs in fuzz/artifacts/$t; log: $log"
    grep -E "panicked|ERROR|SUMMARY" "$log" | head -5 || true
  fi
done
cat "$OUT"
exit "$failed"
