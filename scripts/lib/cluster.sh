# Sourced by scripts/failover.sh and scripts/bench-cluster.sh (after scripts/lib.sh): a
# throw-away multi-server set-up on loopback — PostgreSQL nodes (primary, synchronous
# standby), `nuanxin serve` processes on PostgreSQL, nginx in front — in a temporary
# directory, every process stopped by `cluster_cleanup` (installed as the EXIT trap by
# `cluster_init`). As root, PostgreSQL runs as the `postgres` user.
#
#   cluster_tools [extra Debian packages…]   install postgresql-15, nginx, python3, curl when missing
#   cluster_init                             $CLUSTER (work dir), ports, EXIT trap
#   node_init NODE                           initdb + start + CREATE DATABASE nuanxin (a primary)
#   make_standby FROM TO                     pg_basebackup -R from FROM into TO, start it, and make
#                                            FROM wait for it on every commit (synchronous)
#   node_kill NODE                           kill -9 the postmaster and its processes (a crash;
#                                            KILLED_PM is its pid)
#   pg_url NODE…                             postgres:// URL listing the nodes, read-write session
#   nuanxin_start I URL                      `nuanxin serve` number I on URL; waits for /readyz
#   nginx_start I…                           nginx on $NGINX_PORT in front of servers I…
# Set BIN (the nuanxin binary) before nuanxin_start; NUANXIN_LOG sets its RUST_LOG (warn).

cluster_tools() {
  source "$ROOT/scripts/lib/postgres.sh"   # pg_install, as_pg
  pg_install
  local need=() extra
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
  command -v python3 >/dev/null || need+=(python3)
  command -v curl >/dev/null || need+=(curl)
  for extra in "$@"; do command -v "$extra" >/dev/null || need+=("$extra"); done
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  NGINX=$(command -v nginx || echo /usr/sbin/nginx)
  echo "PostgreSQL: $PGBIN; nginx: $NGINX"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

cluster_init() {
  CLUSTER=$(mktemp -d /tmp/nuanxin-cluster.XXXXXX)
  chmod 755 "$CLUSTER"
  mkdir -p "$CLUSTER/pg" "$CLUSTER/nginx/tmp" "$CLUSTER/log"
  if [ "$(id -u)" = 0 ]; then chown postgres "$CLUSTER/pg"; fi
  declare -gA PG_PORT PG_UP NX_PORT NX_PID
  NGINX_PORT=$(free_port)
  NGINX_UP=""
  trap cluster_cleanup EXIT
}

cluster_cleanup() {
  set +e
  local i n
  for i in "${!NX_PID[@]}"; do [ -n "${NX_PID[$i]}" ] && kill "${NX_PID[$i]}" 2>/dev/null; done
  [ -n "$NGINX_UP" ] && kill "$(cat "$CLUSTER/nginx/nginx.pid" 2>/dev/null)" 2>/dev/null
  for n in "${!PG_UP[@]}"; do
    [ -n "${PG_UP[$n]}" ] && as_pg "$PGBIN/pg_ctl" -D "$CLUSTER/pg/$n" -m immediate stop >/dev/null 2>&1
  done
  sleep 0.3
  declare -F keep_logs >/dev/null &&
    keep_logs "$(basename "$0" .sh)-cluster" "$CLUSTER"/log/* "$CLUSTER"/pg/*.log
  rm -rf "$CLUSTER"
}

# psql_at NODE ARGS…: psql as the `nuanxin` superuser on NODE (database $DB, default postgres)
psql_at() {
  local n=$1; shift
  psql -h 127.0.0.1 -p "${PG_PORT[$n]}" -U nuanxin -d "${DB:-postgres}" -v ON_ERROR_STOP=1 -qAt "$@"
}

node_start() {
  as_pg "$PGBIN/pg_ctl" -D "$CLUSTER/pg/$1" -l "$CLUSTER/pg/$1.log" -w -t 60 \
    -o "-c port=${PG_PORT[$1]}" start >/dev/null
  PG_UP[$1]=1
}

node_init() {
  local n=$1
  PG_PORT[$n]=${PG_PORT[$n]:-$(free_port)}
  as_pg "$PGBIN/initdb" -D "$CLUSTER/pg/$n" -U nuanxin --auth=trust -E UTF8 >/dev/null
  as_pg tee -a "$CLUSTER/pg/$n/postgresql.conf" >/dev/null <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$CLUSTER/pg'
wal_level = replica
max_wal_senders = 10
wal_keep_size = 256MB
hot_standby = on
fsync = on
synchronous_commit = on
shared_buffers = 128MB
max_connections = 200
CONF
  node_start "$n"
  psql_at "$n" -c "CREATE DATABASE nuanxin"
}

make_standby() {
  local from=$1 to=$2
  PG_PORT[$to]=${PG_PORT[$to]:-$(free_port)}
  rm -rf "${CLUSTER:?}/pg/$to"
  as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "${PG_PORT[$from]}" -U nuanxin -D "$CLUSTER/pg/$to" -R -X stream -c fast
  as_pg tee -a "$CLUSTER/pg/$to/postgresql.auto.conf" >/dev/null <<CONF
primary_conninfo = 'host=127.0.0.1 port=${PG_PORT[$from]} user=nuanxin application_name=standby'
# a promoted standby runs alone until a new standby is attached
synchronous_standby_names = ''
CONF
  node_start "$to"
  psql_at "$from" -c "ALTER SYSTEM SET synchronous_standby_names = 'standby'" -c "SELECT pg_reload_conf()" >/dev/null
  local _
  for _ in $(seq 1 100); do
    [ "$(psql_at "$from" -c "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby'")" = sync ] && return 0
    sleep 0.1
  done
  echo "the standby did not become synchronous"; tail -20 "$CLUSTER/pg/$to.log"; return 1
}

# node_kill NODE: sets KILLED_PM to the postmaster's pid
node_kill() {
  local children
  KILLED_PM=$(head -1 "$CLUSTER/pg/$1/postmaster.pid")
  children=$(ps -o pid= --ppid "$KILLED_PM" | tr '\n' ' ')
  # shellcheck disable=SC2086
  kill -9 "$KILLED_PM" $children 2>/dev/null || true
  PG_UP[$1]=""
}

pg_url() {
  local hosts="" n
  for n in "$@"; do hosts+="${hosts:+,}127.0.0.1:${PG_PORT[$n]}"; done
  echo "postgres://nuanxin@$hosts/nuanxin?target_session_attrs=read-write&connect_timeout=2"
}

nuanxin_start() {
  local i=$1 url=$2 _
  NX_PORT[$i]=${NX_PORT[$i]:-$(free_port)}
  NUANXIN_RATE_LIMIT__ENABLED=${RATE_LIMIT_ENABLED:-false} RUST_LOG=${NUANXIN_LOG:-warn} \
    "$BIN" serve --listen "127.0.0.1:${NX_PORT[$i]}" --db "$url" \
    >>"$CLUSTER/log/nuanxin$i.out" 2>>"$CLUSTER/log/nuanxin$i.err" &
  NX_PID[$i]=$!
  for _ in $(seq 1 600); do
    curl -fsS -o /dev/null "http://127.0.0.1:${NX_PORT[$i]}/readyz" 2>/dev/null && return 0
    if ! kill -0 "${NX_PID[$i]}" 2>/dev/null; then echo "nuanxin $i exited:"; tail -20 "$CLUSTER/log/nuanxin$i.err"; return 1; fi
    sleep 0.1
  done
  echo "nuanxin $i did not become ready"; tail -20 "$CLUSTER/log/nuanxin$i.err"; return 1
}

# nginx_start I…: (re)starts nginx with an upstream of servers I… The configuration is
# docs/deployment.md's: passive health checks (max_fails, fail_timeout), keep-alive to the upstream, and
# retries on the next server only for requests that were not sent yet or are idempotent.
nginx_start() {
  local servers="" i _
  for i in "$@"; do servers+="    server 127.0.0.1:${NX_PORT[$i]} max_fails=1 fail_timeout=2s;"$'\n'; done
  if [ -n "$NGINX_UP" ]; then kill "$(cat "$CLUSTER/nginx/nginx.pid")" 2>/dev/null; sleep 0.3; fi
  cat > "$CLUSTER/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $CLUSTER/nginx/nginx.pid;
error_log $CLUSTER/log/nginx.err warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $CLUSTER/nginx/tmp/body;
  proxy_temp_path $CLUSTER/nginx/tmp/proxy;
  fastcgi_temp_path $CLUSTER/nginx/tmp/fastcgi;
  uwsgi_temp_path $CLUSTER/nginx/tmp/uwsgi;
  scgi_temp_path $CLUSTER/nginx/tmp/scgi;
  upstream nuanxin {
$servers    keepalive 32;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    client_max_body_size 6m;
    location / {
      proxy_pass http://nuanxin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$remote_addr;
      proxy_connect_timeout 1s;
      proxy_read_timeout 30s;
      # GET/HEAD go to the next server after an error; POST only if it was not sent yet
      proxy_next_upstream error timeout http_502 http_504;
      proxy_next_upstream_tries 2;
      proxy_next_upstream_timeout 10s;
    }
  }
}
CONF
  chmod -R 777 "$CLUSTER/nginx/tmp"
  "$NGINX" -c "$CLUSTER/nginx/nginx.conf" -p "$CLUSTER/nginx" -e "$CLUSTER/log/nginx.err"
  NGINX_UP=1
  for _ in $(seq 1 50); do curl -fsS -o /dev/null "http://127.0.0.1:$NGINX_PORT/readyz" 2>/dev/null && return 0; sleep 0.1; done
  echo "nginx did not answer"; cat "$CLUSTER/log/nginx.err"; return 1
}
