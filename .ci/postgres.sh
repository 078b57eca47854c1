#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on loopback for the store test suite.
#
#   eval "$(bash .ci/postgres.sh)"
#
# Installs PostgreSQL with apt-get only when no initdb is found, creates a cluster in a fresh temporary
# directory owned by the `postgres` user (initdb refuses to run as root), starts it on 127.0.0.1 on the
# first free port from 54329 (or $CREATORKIT_PG_PORT) and creates a database. Stdout carries only the
# `export` lines; every diagnostic goes to stderr. Stop the server with the command printed on stderr.
set -euo pipefail

log() { echo "postgres.sh: $*" >&2; }

find_initdb() {
    # The newest installed major version wins.
    ls -1d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1
}

as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then
        if command -v runuser >/dev/null 2>&1; then
            runuser -u postgres -- "$@"
        else
            su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
        fi
    else
        "$@"
    fi
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

initdb_path="$(find_initdb)"
if [ -z "$initdb_path" ]; then
    log "no PostgreSQL found; installing it with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update >&2
    apt-get install -y postgresql >&2
    initdb_path="$(find_initdb)"
    if [ -z "$initdb_path" ]; then
        log "apt-get installed postgresql but no /usr/lib/postgresql/*/bin/initdb appeared"
        exit 1
    fi
fi
bindir="$(dirname "$initdb_path")"
log "using $("$bindir/postgres" --version)"

if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    log "creating the postgres system user"
    useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi

workdir="$(mktemp -d "${TMPDIR:-/tmp}/creatorkit-pg.XXXXXX")"
if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$workdir"
fi
chmod 700 "$workdir"
datadir="$workdir/data"

port="${CREATORKIT_PG_PORT:-54329}"
last=$((port + 100))
while port_in_use "$port"; do
    port=$((port + 1))
    if [ "$port" -gt "$last" ]; then
        log "no free port found up to $last"
        exit 1
    fi
done

log "initdb into $datadir"
as_postgres "$bindir/initdb" -D "$datadir" -U postgres --auth=trust --encoding=UTF8 --locale=C >&2

log "starting the server on 127.0.0.1:$port"
as_postgres "$bindir/pg_ctl" -D "$datadir" -l "$workdir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $workdir -c fsync=off -c max_connections=200" start >&2 || {
    log "the server did not start; its log follows"
    cat "$workdir/server.log" >&2 || true
    exit 1
}

database="creatorkit_test"
as_postgres "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres "$database" >&2

log "ready; stop it with: $(printf '%q ' runuser -u postgres -- "$bindir/pg_ctl" -D "$datadir" -m fast stop)"
echo "export CREATORKIT_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:$port/$database"
echo "export CREATORKIT_TEST_POSTGRES_DATA=$datadir"
