#!/usr/bin/env bash
# The suite on the second storage engine: the store's tests (nuanxin-core, suggestions::) and
# the suggestions API tests (crates/nuanxin/tests/suggestions/, module `suggestions` of the test
# binary `it`), the SQLite → PostgreSQL → SQLite round trip of `nuanxin db copy` (tests/db_copy.rs)
# and the multi-server tests (crates/nuanxin/tests/cluster.rs, PostgreSQL only) again, against a real
# PostgreSQL 15 (Debian postgresql-15, installed when missing) started here on a free loopback
# port in a temporary directory and stopped on exit. Each test creates its own database on it
# (NUANXIN_TEST_DATABASE_URL), so they stay independent and parallel.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
source "$ROOT/scripts/lib/postgres.sh"
pg_install
work=$(mktemp -d /tmp/nuanxin-pgtest.XXXXXX)
cleanup() { pg_stop "$work"; keep_logs postgres "$work/log"; rm -rf "$work"; }
trap cleanup EXIT
# fsync off: these tests check results, not crash durability (scripts/durability.sh and the
# failover trials do); synchronous_commit stays on, as the store sets it per session.
pg_start "$work" -c fsync=off -c max_connections=200
echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PGPORT"
export NUANXIN_TEST_DATABASE_URL="$PG_URL"
cd "$ROOT"
started=$(date +%s)
# --workspace: the features `cargo test` built with, so the binaries are reused, not rebuilt
cargo test --quiet --workspace --lib -- suggestions::
# the suggestions API, db copy and (many servers on one database: LISTEN/NOTIFY, shared rate
# limit, 503 while unreachable) cluster modules of the server crate's one test binary
cargo test --quiet --workspace --test it -- suggestions:: db_copy:: cluster::
n=$(as_pg psql -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -Atc \
  "SELECT count(*) FROM pg_database WHERE datname LIKE 'nuanxin_test_%'")
echo "PostgreSQL: $n test databases, $(($(date +%s) - started)) s"
[ "$n" -gt 0 ]
