#!/usr/bin/env bash
# End-to-end tests of the web map: the real binary on a free port with a temporary
# database, driven by headless Debian Chromium through playwright-core (never downloads a
# browser). Screenshots of every view land in $TARGET_DIR/e2e-artifacts/ (target/ by default).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
root=$ROOT

# Tools: chromium, node/npm, CJK fonts (labels are drawn from local fonts).
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  echo "e2e: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
need_cjk_fonts
if [ ! -f tests/e2e/node_modules/playwright-core/package.json ]; then
  (cd tests/e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi

cargo build --quiet --bin nuanxin
bin="$(nuanxin_bin debug)"

tmp=$(mktemp -d)
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
export NUANXIN_LISTEN="127.0.0.1:$port"
export NUANXIN_DB_PATH="$tmp/e2e.db"
export NUANXIN_RATE_LIMIT__ENABLED=false
export NUANXIN_URL="http://127.0.0.1:$port"
export NUANXIN_E2E_ARTIFACTS="$TARGET_DIR/e2e-artifacts"
mkdir -p "$NUANXIN_E2E_ARTIFACTS"

# An officer token for the officer flow, when the admin command exists.
# (stdout is the token alone; the database is created with its migrations if missing).
if token_out=$("$bin" admin create-token --role admin --name e2e --db "$NUANXIN_DB_PATH" 2>"$TEST_LOG_DIR/e2e-token.log"); then
  NUANXIN_E2E_OFFICER_TOKEN=$(printf '%s' "$token_out" | tr -d '[:space:]')
  export NUANXIN_E2E_OFFICER_TOKEN
  record_secret "$NUANXIN_E2E_OFFICER_TOKEN"
else
  echo "e2e: no officer token ($(head -c 200 "$TEST_LOG_DIR/e2e-token.log")); the officer test will be skipped"
fi

# A local SMTP server (aiosmtpd, scripts/smtp_sink.py) receives the emails to reporters;
# the follow-up test reads them from $NUANXIN_E2E_MAILDIR (one JSON file per message).
python3 -c 'import ensurepip, venv' 2>/dev/null || {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
}
VENV="${NUANXIN_NOTIFY_VENV:-$HOME/.cache/nuanxin/notify-venv}"
if ! "$VENV/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q 'aiosmtpd==1.4.6'
fi
smtp_port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
export NUANXIN_E2E_MAILDIR="$tmp/mail"
"$VENV/bin/python" "$ROOT/scripts/smtp_sink.py" "$smtp_port" "$NUANXIN_E2E_MAILDIR" >"$TEST_LOG_DIR/e2e-smtp.log" 2>&1 &
smtp=$!
export NUANXIN_SMTP__HOST=127.0.0.1 NUANXIN_SMTP__PORT="$smtp_port" NUANXIN_SMTP__TLS=none
export NUANXIN_SMTP__FROM='暖新地图 <noreply@example.gov.cn>' NUANXIN_OUTBOX__POLL_MS=200

server_log="$TEST_LOG_DIR/e2e-server.log"
"$bin" serve >"$server_log" 2>&1 &
server=$!
cleanup() {
  kill "$server" "$smtp" 2>/dev/null || true
  wait "$server" "$smtp" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

up() { node -e "fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" "$NUANXIN_URL/"; }
for _ in $(seq 1 150); do
  if up; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then
    echo "e2e: the server exited early:"; cat "$server_log"; exit 1
  fi
  sleep 0.2
done
up || { echo "e2e: server did not answer"; cat "$server_log"; exit 1; }
# Warm-up: every file of the app shell once (the list the service worker precaches), so the
# first test's first page load does not wait for the debug build's brotli compression of
# MapLibre and the rest (done once per process; it took over 30 s on a loaded machine).
node -e '
const base = process.argv[1];
(async () => {
  const sw = await (await fetch(`${base}/sw.js`)).text();
  const list = JSON.parse(sw.match(/const PRECACHE = (\[.*?\]);/s)[1]);
  for (const [p] of list) await (await fetch(base + p)).arrayBuffer();
  console.log(`e2e: ${list.length} app files served once (compressed)`);
})().catch((e) => { console.log(`e2e: warm-up skipped: ${e.message}`); });
' "$NUANXIN_URL"

cd tests/e2e
# Arguments: test files to run (default: every *.test.mjs), e.g. `e2e.sh offline.test.mjs`.
node --test --test-concurrency=1 --test-reporter=spec "$@"
echo "e2e: screenshots in $NUANXIN_E2E_ARTIFACTS"
