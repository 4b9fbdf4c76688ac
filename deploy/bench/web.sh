#!/usr/bin/env bash
# Benchmark of the site through all three tiers: wrk -> web -> experience -> models ->
# PostgreSQL, demo fixtures, anonymous visitors, no page cache. The 404 page is rendered by
# web alone with no I/O: the ceiling a page can reach here.
#
#   deploy/bench/web.sh           (DURATION=10 seconds per case by default)
#
# Needs: PostgreSQL server binaries, wrk, curl. Everything runs on 127.0.0.1 and is stopped
# on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
. deploy/bench/lib.sh

DURATION=${DURATION:-10}
work=$(mktemp -d /tmp/conduit-bench-XXXXXX)
chmod 755 "$work"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
    pg_stop
    rm -rf "$work"
}
trap cleanup EXIT

echo "building (release)..."
cargo build -q --release -p models -p experience -p web

pg_start "$work/pg"
"${PG_PSQL[@]}" -c "CREATE DATABASE conduit" postgres
export DATABASE_URL="$PG_URL_BASE/conduit"
./target/release/models migrate
./target/release/models loaddata fixtures/demo.json

models_port=$(free_port)
BIND=127.0.0.1:$models_port DATABASE_POOL_SIZE=${POOL:-4} RUST_LOG=warn ./target/release/models > "$work/models.log" 2>&1 &
MODELS_PID=$!; PIDS+=("$MODELS_PID")
experience_port=$(free_port)
BIND=127.0.0.1:$experience_port MODELS_URL=http://127.0.0.1:$models_port CONDUIT_DEV=1 RUST_LOG=warn \
    ./target/release/experience > "$work/experience.log" 2>&1 &
EXPERIENCE_PID=$!; PIDS+=("$EXPERIENCE_PID")
port=$(free_port)
BIND=127.0.0.1:$port EXPERIENCE_URL=http://127.0.0.1:$experience_port RUST_LOG=warn \
    ./target/release/web > "$work/web.log" 2>&1 &
WEB_PID=$!; PIDS+=("$WEB_PID")
base=http://127.0.0.1:$port
wait_http "$base/ready"

echo
echo "pages through web -> experience -> models -> PostgreSQL (demo data, no cache), wrk -t2 -c32 -d${DURATION}s"
printf '| %-28s | %10s | %8s | %8s | %s\n' case req/s p50 p99 errors
printf '|%s|\n' "------------------------------|------------|----------|----------|------------"
bench "home page (anonymous)" "$base/"
bench "article page (anonymous)" "$base/article/why-your-pagination-query-is-slow"
bench "404 page (web only)" "$base/no-such-page"
echo "RSS after load: web $(rss_mib "$WEB_PID") MiB, experience $(rss_mib "$EXPERIENCE_PID") MiB, models $(rss_mib "$MODELS_PID") MiB"
