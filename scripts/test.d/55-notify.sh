#!/usr/bin/env bash
# Being told (issue 14): the notification outbox against a real webhook receiver
# (Python http.server) and a real SMTP server (aiosmtpd), with `kill -9` of the server while
# webhook deliveries are in flight: 0 events lost, duplicates only with the same
# idempotency key, signatures verify, emails carry the answer and no receipt code, the
# server log holds no address, code, token or secret. See scripts/notify_check.py.
# Run on SQLite, then on a real PostgreSQL 15 (rows claimed with FOR UPDATE SKIP LOCKED).
# aiosmtpd lives in a virtualenv (~/.cache/nuanxin/notify-venv, or $NUANXIN_NOTIFY_VENV).
set -euo pipefail
source "$(dirname "$0")/../lib/server.sh"
source "$root/scripts/lib/postgres.sh"
need_apt python3 python3
python3 -c 'import ensurepip, venv' 2>/dev/null || need_apt __python3_venv__ python3-venv
VENV="${NUANXIN_NOTIFY_VENV:-$HOME/.cache/nuanxin/notify-venv}"
if ! "$VENV/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q 'aiosmtpd==1.4.6'
fi
(cd "$root" && cargo build --quiet --bin nuanxin)
work=$(mktemp -d /tmp/nuanxin-notify.XXXXXX)
pgdir=$(mktemp -d /tmp/nuanxin-notify-pg.XXXXXX)
cleanup() { pg_stop "$pgdir"; rm -rf "$work" "$pgdir"; }
trap cleanup EXIT
mkdir -p "$work/sqlite"
echo "notify: SQLite"
"$VENV/bin/python" "$root/scripts/notify_check.py" "$bin" "$work/sqlite"
pg_install
pg_start "$pgdir" -c fsync=off
mkdir -p "$work/postgres"
echo "notify: PostgreSQL on 127.0.0.1:$PGPORT"
"$VENV/bin/python" "$root/scripts/notify_check.py" "$bin" "$work/postgres" "$PG_URL"
