#!/usr/bin/env bash
# The whole test suite: the one command README.md gives and .ci/run calls.
# Installs what it needs when missing (Debian packages, npm packages), then runs
# fmt, clippy, unit/integration/doc tests (including the GDAL OGC API client test),
# the durability trials and the end-to-end browser tests.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
# Every log of this run goes under $TEST_LOG_DIR (see lib.sh); the last step greps them all
# for the secrets the run created.
rm -rf "$TEST_LOG_DIR" && mkdir -p "$TEST_LOG_DIR" && : >"$SECRETS_FILE"

# Each `section` line says how long the run has taken so far and how long the step before it
# took; the durations of all steps are written to $TEST_LOG_DIR/durations.txt at the end (also
# when a step fails: then the failed step is the last line), and printed.
run_started=$SECONDS step_started=$SECONDS step_name=""
steps=()
end_step() {
  [ -n "$step_name" ] && steps+=("$(printf '%5d s  %s' $((SECONDS - step_started)) "$step_name")")
  step_name=""
}
section() {
  local prev=""
  [ -n "$step_name" ] && prev=", previous step $((SECONDS - step_started)) s"
  end_step
  printf '\n==> [%d s%s] %s\n' $((SECONDS - run_started)) "$prev" "$*"
  step_name="$*" step_started=$SECONDS
}
write_durations() {
  local status=$?
  end_step
  {
    printf '%s\n' "${steps[@]}"
    printf '%5d s  total (exit status %d, finished %s, load average %s)\n' $((SECONDS - run_started)) \
      "$status" "$(date -u +%FT%TZ)" "$(cut -d' ' -f1-3 /proc/loadavg)"
  } >"$TEST_LOG_DIR/durations.txt"
  printf '\nStep durations (%s):\n' "$TEST_LOG_DIR/durations.txt"
  cat "$TEST_LOG_DIR/durations.txt"
}
trap write_durations EXIT

section "system packages"
# Everything the later steps install when missing, in ONE `apt-get update` and ONE
# `apt-get install` (each step still checks and installs what it needs, so that it also runs
# alone; on a bare CI machine they each ran their own `apt-get update`, ten in all).
# Pairs: a command (or a check below) and the Debian package that provides it.
need=()
for pair in ogrinfo:gdal-bin chromium:chromium node:nodejs npm:npm curl:curl python3:python3 \
  promtool:prometheus xmllint:libxml2-utils tilemaker:tilemaker nginx:nginx; do
  command -v "${pair%%:*}" >/dev/null || [ -x "/usr/sbin/${pair%%:*}" ] || need+=("${pair#*:}")
done
[ -x "$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)/initdb" ] &&
  command -v psql >/dev/null || need+=(postgresql-15 postgresql-client-15)
[ -f /usr/share/doc/tilemaker/examples/config-openmaptiles.json ] || need+=(tilemaker)
python3 -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv)
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null || need+=(python3-prometheus-client)
[ -n "$(fc-list :lang=zh family 2>/dev/null || true)" ] || need+=(fontconfig fonts-noto-cjk)
if [ ${#need[@]} -gt 0 ]; then
  mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
need_cjk_fonts
rustup component list --installed 2>/dev/null | grep -q rustfmt || rustup component add rustfmt clippy

section "cargo fmt --check"
cargo fmt --all -- --check

section "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --quiet -- -D warnings

section "nuanxin-core alone: no HTTP or OpenAPI dependency (feature openapi off)"
# The server enables the core's `openapi` feature; built alone the core must lint and pass its
# unit tests without it (issue 10: the core has no HTTP dependencies). Its dev-dependencies
# unify the dependencies' features with the workspace build's (crates/nuanxin-core/Cargo.toml),
# so these two commands reuse the workspace's compiled dependencies.
cargo clippy -p nuanxin-core --all-targets --quiet -- -D warnings
cargo test -p nuanxin-core --lib --quiet

section "cargo test (unit, integration, doc; GDAL client test)"
# A fixed proptest seed keeps CI deterministic; run without it locally to explore new cases.
PROPTEST_RNG_SEED=${PROPTEST_RNG_SEED:-20261129} NUANXIN_REQUIRE_GDAL=1 cargo test --quiet 2>&1 | tee "$TEST_LOG_DIR/cargo-test.log"
grep -q "test result" "$TEST_LOG_DIR/cargo-test.log"

for extra in scripts/test.d/*.sh; do
  [ -e "$extra" ] || continue
  section "$extra"
  bash "$ROOT/$extra"
done

end_step
printf '\n==> all passed in %d s\n' $((SECONDS - run_started))
