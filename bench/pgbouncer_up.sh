#!/usr/bin/env bash
# Starts PgBouncer (Debian's pgbouncer; installs it when missing) on 127.0.0.1:$PGB_PORT in
# front of a PostgreSQL on 127.0.0.1:$PG_PORT, transaction pooling, SCRAM auth, for one
# database of its own ($PGB_DB, created when missing, owned by role flow/flow). Prints the
# URL to give as --metadata (last stdout line). For bench/team_stores_bench.sh --pooled.
# Stop: kill "$(cat /tmp/trellis-pgbouncer/pgbouncer.pid)".
set -euo pipefail
PG_PORT=${PG_PORT:-5432} PGB_PORT=${PGB_PORT:-6432} PGB_DB=${PGB_DB:-trellis_pooled}
dir=/tmp/trellis-pgbouncer
if ! command -v pgbouncer >/dev/null 2>&1 && [[ ! -x /usr/sbin/pgbouncer ]]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends pgbouncer >/dev/null
fi
PATH=$PATH:/usr/sbin
if ! su postgres -c "psql -p $PG_PORT -Atqc \"SELECT 1 FROM pg_database WHERE datname = '$PGB_DB'\"" | grep -q 1; then
  su postgres -c "psql -p $PG_PORT -qc 'CREATE DATABASE $PGB_DB OWNER flow'"
fi
mkdir -p "$dir"
cat >"$dir/pgbouncer.ini" <<INI
[databases]
$PGB_DB = host=127.0.0.1 port=$PG_PORT dbname=$PGB_DB
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGB_PORT
auth_type = scram-sha-256
auth_file = $dir/userlist.txt
pool_mode = transaction
max_client_conn = 500
default_pool_size = 10
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
unix_socket_dir =
INI
echo '"flow" "flow"' >"$dir/userlist.txt"
chown -R postgres "$dir"
if [[ -f "$dir/pgbouncer.pid" ]] && kill -0 "$(cat "$dir/pgbouncer.pid")" 2>/dev/null; then
  kill -HUP "$(cat "$dir/pgbouncer.pid")"
else
  su postgres -s /bin/sh -c "pgbouncer -d $dir/pgbouncer.ini"
fi
sleep 0.5
echo "postgresql://flow:flow@127.0.0.1:$PGB_PORT/$PGB_DB"
