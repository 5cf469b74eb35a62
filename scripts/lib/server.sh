# Sourced by scripts/test.d/*.sh: builds the binary and starts a real server on a free
# loopback port with a temporary database. After `start_server`, $NUANXIN_URL is its base URL,
# $tmp a scratch directory, $server_log its log (kept under $TEST_LOG_DIR, named after the
# step, for scripts/test.d/zz-secret-grep.sh); the server is stopped on exit.
# Works from any directory and honours CARGO_TARGET_DIR.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# TEST_LOG_DIR, record_secret, keep_logs
source "$root/scripts/lib.sh"
# need_cjk_fonts: installs fonts for Chinese labels when none is installed.
source "$root/scripts/lib/fonts.sh"
bin="${CARGO_TARGET_DIR:-$root/target}/debug/nuanxin"

start_server() {
  (cd "$root" && cargo build --quiet --bin nuanxin)
  tmp=$(mktemp -d)
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  export NUANXIN_LISTEN="127.0.0.1:$port"
  export NUANXIN_DB_PATH="$tmp/test.db"
  export NUANXIN_RATE_LIMIT__ENABLED=false
  export NUANXIN_URL="http://127.0.0.1:$port"
  server_log=$(mktemp "$TEST_LOG_DIR/$(basename "$0" .sh)-server.XXXX.log")
  (cd "$tmp" && exec "$bin" serve "$@") >"$server_log" 2>&1 &
  server=$!
  trap stop_server EXIT
  for _ in $(seq 1 300); do
    if curl -fsS -o /dev/null "$NUANXIN_URL/readyz" 2>/dev/null; then return 0; fi
    if ! kill -0 "$server" 2>/dev/null; then
      echo "the server exited early:"; cat "$server_log"; return 1
    fi
    sleep 0.2
  done
  echo "the server did not become ready:"; cat "$server_log"; return 1
}

stop_server() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$tmp"
}

# Installs Debian packages whose commands are missing: `need_apt command package ...` pairs.
need_apt() {
  local pkgs=()
  while [ $# -ge 2 ]; do
    command -v "$1" >/dev/null || pkgs+=("$2")
    shift 2
  done
  if [ ${#pkgs[@]} -gt 0 ]; then
    echo "installing: ${pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
  fi
}

# What a headless-Chromium check of tests/e2e needs on a bare machine: curl, python3, Chromium,
# Node and npm (Debian), fonts for Chinese labels, and tests/e2e's pinned npm packages
# (playwright-core, from package-lock.json; Debian's Chromium, never a downloaded browser).
need_browser_checks() {
  need_apt curl curl python3 python3 chromium chromium node nodejs npm npm
  need_cjk_fonts
  if [ ! -f "$root/tests/e2e/node_modules/playwright-core/package.json" ]; then
    (cd "$root/tests/e2e" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
}
