# Shared by the scripts: sourced, not run. Sets
#   ROOT        the repository root (absolute), whatever the caller's directory;
#   TARGET_DIR  cargo's target directory (absolute): `cargo metadata`'s answer, which honours
#               CARGO_TARGET_DIR (relative values included) and .cargo/config `build.target-dir`;
#               falls back to ${CARGO_TARGET_DIR:-$ROOT/target}.
# and defines `nuanxin_bin PROFILE` (debug | release): the path of the built binary.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps 2>/dev/null |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
if [ -z "$TARGET_DIR" ]; then
  TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
  case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$ROOT/$TARGET_DIR" ;; esac
fi
mkdir -p "$TARGET_DIR"
nuanxin_bin() { printf '%s/%s/nuanxin' "$TARGET_DIR" "${1:-debug}"; }
# need_cjk_fonts: installs fonts for Chinese labels when none is installed.
source "$ROOT/scripts/lib/fonts.sh"

# Logs of the test suite and the secrets it created (scripts/test.d/zz-secret-grep.sh greps
# every file under TEST_LOG_DIR for every line of SECRETS_FILE):
#   TEST_LOG_DIR   $NUANXIN_TEST_LOG_DIR, default $TARGET_DIR/test-logs (exported, so cargo
#                  tests and node tests started from a step write there too);
#   SECRETS_FILE   $TEST_LOG_DIR/secrets.txt, one secret per line (exported as
#                  NUANXIN_TEST_SECRETS);
#   record_secret VALUE…   appends each non-empty value to SECRETS_FILE;
#   keep_logs NAME FILE…   copies log files into $TEST_LOG_DIR/NAME/ before a step deletes
#                  its scratch directory.
TEST_LOG_DIR="${NUANXIN_TEST_LOG_DIR:-$TARGET_DIR/test-logs}"
SECRETS_FILE="$TEST_LOG_DIR/secrets.txt"
mkdir -p "$TEST_LOG_DIR"
export NUANXIN_TEST_LOG_DIR="$TEST_LOG_DIR" NUANXIN_TEST_SECRETS="$SECRETS_FILE"
record_secret() {
  local s
  for s in "$@"; do [ -n "$s" ] && printf '%s\n' "$s" >>"$SECRETS_FILE"; done
  return 0
}
keep_logs() {
  local name=$1 f; shift
  mkdir -p "$TEST_LOG_DIR/$name"
  for f in "$@"; do [ -f "$f" ] && cp "$f" "$TEST_LOG_DIR/$name/" 2>/dev/null; done
  return 0
}
