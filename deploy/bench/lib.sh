# Shared helpers of the benchmark scripts: a private PostgreSQL cluster on a free port, run
# as an unprivileged user when we are root, stopped and removed on exit.
# shellcheck shell=bash

# The tiers' secrets, random for each run: a signing key for experience and the internal
# credential every tier presents to the next (nothing is built in). Exported, so `start`
# hands them on; `curl_internal` presents the credential as the tiers do.
JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
INTERNAL_CREDENTIAL=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export JWT_SECRET INTERNAL_CREDENTIAL
# The seeds sign up their users from 127.0.0.1, more than an address may in an hour.
export SIGNUP_MAX_PER_HOUR=${SIGNUP_MAX_PER_HOUR:-1000000}
CREDENTIAL_HEADER="conduit-internal-credential: $INTERNAL_CREDENTIAL"

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

pg_bin() {
    # Debian keeps the server binaries off PATH; a PATH entry may be a symlink into them.
    if command -v initdb >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v initdb)")"
    else
        find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1
    fi
}

# pg_start DIR [extra postgres -c options...]: sets PG_PORT and PG_URL_BASE
pg_start() {
    local dir=$1; shift
    local bin; bin=$(pg_bin)
    [ -x "$bin/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; return 1; }
    local run=()
    if [ "$(id -u)" -eq 0 ]; then
        run=(setpriv --reuid=postgres --regid=postgres --init-groups)
        mkdir -p "$dir" && chown postgres:postgres "$dir"
    else
        mkdir -p "$dir"
    fi
    "${run[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1
    PG_PORT=$(free_port)
    "${run[@]}" "$bin/postgres" -D "$dir/data" -p "$PG_PORT" -h 127.0.0.1 -k "$dir" \
        -c shared_buffers=256MB -c max_connections=200 "$@" >"$dir/server.log" 2>&1 &
    PG_PID=$!
    for _ in $(seq 1 100); do
        "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && break
        sleep 0.1
    done
    PG_URL_BASE="postgres://postgres@127.0.0.1:$PG_PORT"
    PG_PSQL=("$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -X -q)
}

pg_stop() {
    [ -n "${PG_PID:-}" ] && kill -INT "$PG_PID" 2>/dev/null && wait "$PG_PID" 2>/dev/null
    PG_PID=
}

# wait_http URL: waits until URL answers 200 (at most 20 s)
wait_http() {
    for _ in $(seq 1 200); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "no answer from $1" >&2
    return 1
}

# bench NAME URL [wrk options...]: wrk for $DURATION with 2 threads and 32 connections;
# prints one table row
bench() {
    local name=$1 url=$2 out
    shift 2
    out=$(wrk -t2 -c32 -d"${DURATION:-10}s" --latency "$@" "$url")
    local rps p50 p99 errors
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1=="50%" {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
    printf '| %-28s | %10s | %8s | %8s | %s\n' "$name" "$rps" "$p50" "$p99" "${errors:-no errors}"
}

rss_mib() {
    awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"
}

# bench_init: a work directory and a cleanup trap that stops every PID in PIDS and the
# cluster. Sets WORK.
bench_init() {
    WORK=$(mktemp -d /tmp/conduit-bench-XXXXXX)
    chmod 755 "$WORK"
    PIDS=()
    trap bench_cleanup EXIT
}

bench_cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
    pg_stop
    rm -rf "$WORK"
}

# demo_database [postgres -c options...]: a private cluster with database `conduit`, migrated,
# with the demo fixtures; exports DATABASE_URL.
demo_database() {
    pg_start "$WORK/pg" "$@"
    "${PG_PSQL[@]}" -c "CREATE DATABASE conduit" postgres
    export DATABASE_URL="$PG_URL_BASE/conduit"
    ./target/release/models migrate
    ./target/release/models loaddata fixtures/demo.json
}

# start NAME ENV...: runs ./target/release/NAME on a free port with the given environment;
# sets PORT and PID and adds PID to PIDS.
start() {
    local name=$1; shift
    PORT=$(free_port)
    env BIND=127.0.0.1:$PORT RUST_LOG=warn "$@" "./target/release/$name" > "$WORK/$name.log" 2>&1 &
    PID=$!
    PIDS+=("$PID")
}

# start_memcached: a private memcached on a free port (as root it is told to stay root);
# sets MEMCACHED_URL-ready MC_ADDR and adds its PID to PIDS.
start_memcached() {
    command -v memcached >/dev/null || { echo "memcached not found (apt-get install memcached)" >&2; return 1; }
    local port user=()
    port=$(free_port)
    [ "$(id -u)" -eq 0 ] && user=(-u root)
    memcached "${user[@]}" -l 127.0.0.1 -p "$port" -U 0 -m 256 -c 4096 -t 2 > "$WORK/memcached.log" 2>&1 &
    PIDS+=("$!")
    MC_PID=$!
    MC_ADDR=127.0.0.1:$port
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "memcached did not start" >&2
    return 1
}
