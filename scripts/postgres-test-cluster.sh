#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the MeshStore tests.
#
#   scripts/postgres-test-cluster.sh [start]   # start (or reuse) the cluster; prints its URL on stdout
#   scripts/postgres-test-cluster.sh stop      # stop the cluster and delete its data directory
#
# The cluster listens on 127.0.0.1:${MESH_PG_PORT:-54329} with its unix socket in the data directory
# (${MESH_PG_DATA:-/tmp/mesh-pg-PORT}), trusts local connections, and has a superuser `mesh` owning
# the database `mesh_test`. It never touches the system's default cluster. Logs go to stderr.
# Run as root, it installs postgresql-15 when missing and runs the server as the `postgres` user.
set -euo pipefail

PORT="${MESH_PG_PORT:-54329}"
DATA="${MESH_PG_DATA:-/tmp/mesh-pg-$PORT}"
BIN=/usr/lib/postgresql/15/bin
URL="postgres://mesh@127.0.0.1:$PORT/mesh_test"

log() { echo "postgres-test-cluster: $*" >&2; }
die() { log "$*"; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }

# Runs a PostgreSQL binary as the owner of the data directory (from `/`, which it can read).
as_owner() {
    if is_root; then (cd / && runuser -u postgres -- "$@"); else (cd / && "$@"); fi
}

ensure_binaries() {
    [ -x "$BIN/initdb" ] && [ -x "$BIN/pg_ctl" ] && return
    is_root || die "PostgreSQL 15 is not installed under $BIN (install postgresql-15, or run as root)"
    log "installing postgresql-15"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y postgresql-15 >&2; then
        apt-get update >&2
        apt-get install -y postgresql-15 >&2
    fi
    [ -x "$BIN/initdb" ] || die "postgresql-15 installed but $BIN/initdb is missing"
}

running() { [ -f "$DATA/PG_VERSION" ] && as_owner "$BIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1; }
ready() { "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 5; }

psql_admin() {
    as_owner "$BIN/psql" -h "$DATA" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA "$@"
}

create_cluster() {
    rm -rf "$DATA"
    mkdir -p "$DATA"
    if is_root; then chown postgres:postgres "$DATA"; fi
    chmod 700 "$DATA"
    log "initdb $DATA"
    as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --no-locale >&2
    cat >>"$DATA/postgresql.conf" <<EOF

# mesh test cluster: throwaway data, so durability is traded for speed.
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DATA'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
}

start() {
    ensure_binaries
    if running && ready; then
        log "reusing the cluster running from $DATA"
    else
        if running; then
            # A postmaster.pid naming a live (or zombie) process, but no server answering.
            log "the cluster in $DATA does not answer; restarting it"
            as_owner "$BIN/pg_ctl" -D "$DATA" -m immediate -w -t 10 stop >&2 || true
        fi
        if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 2; then
            die "port $PORT is taken by another PostgreSQL server; set MESH_PG_PORT"
        fi
        if [ -f "$DATA/PG_VERSION" ]; then rm -f "$DATA/postmaster.pid"; else create_cluster; fi
        log "starting on 127.0.0.1:$PORT"
        if ! as_owner "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 start >&2; then
            log "start failed; recreating the cluster"
            tail -n 20 "$DATA/server.log" >&2 || true
            create_cluster
            as_owner "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 start >&2 \
                || die "cannot start PostgreSQL (see $DATA/server.log)"
        fi
    fi
    if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = 'mesh'")" != 1 ]; then
        psql_admin -c "CREATE ROLE mesh LOGIN SUPERUSER" >&2
    fi
    if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'mesh_test'")" != 1 ]; then
        psql_admin -c "CREATE DATABASE mesh_test OWNER mesh" >&2
    fi
    echo "$URL"
}

stop() {
    if running; then
        log "stopping the cluster in $DATA"
        as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >&2
    fi
    rm -rf "$DATA"
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    *) die "usage: $0 [start|stop]" ;;
esac
