# Sourced by scripts: a throw-away PostgreSQL 15 cluster on loopback.
#   pg_install           installs Debian postgresql-15 when its binaries are missing; sets PGBIN
#   pg_start DIR [-c k=v ...]
#                        initdb in DIR/data and start on a free 127.0.0.1 port (socket in DIR),
#                        as the `postgres` user when run as root; sets PGPORT and
#                        PG_URL=postgres://postgres@127.0.0.1:$PGPORT/postgres (trust auth)
#   pg_stop DIR          fast shutdown (call it from your EXIT trap)
#   as_pg CMD...         runs CMD as `postgres` when root, else as the caller
pg_install() {
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ] || ! command -v psql >/dev/null; then
    echo "installing: postgresql-15"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends postgresql-15 postgresql-client-15 >/dev/null
    PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
  local dir=$1
  shift
  local opts=()
  while [ $# -gt 0 ]; do opts+=("$1"); shift; done
  mkdir -p "$dir"
  # as root, DIR becomes the postgres user's (its parents must let that user through)
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
  PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
  as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$PGPORT -k $dir ${opts[*]:-}" start >/dev/null
  PG_URL="postgres://postgres@127.0.0.1:$PGPORT/postgres"
}

pg_stop() {
  [ -f "$1/data/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$1/data" -m fast -w stop >/dev/null 2>&1 || true
}
