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
