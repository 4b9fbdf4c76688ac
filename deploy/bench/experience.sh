#!/usr/bin/env bash
# Benchmark of the public API through two tiers: wrk -> experience -> models -> PostgreSQL,
# with the demo fixtures. Prints req/s, p50 and p99 per endpoint and the RSS of both services.
#
#   deploy/bench/experience.sh           (DURATION=10 seconds per case by default)
#
# Needs: PostgreSQL server binaries, wrk, curl, python3. Everything runs on 127.0.0.1 and is
# stopped on exit.
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
cargo build -q --release -p models -p experience

pg_start "$work/pg"
"${PG_PSQL[@]}" -c "CREATE DATABASE conduit" postgres
export DATABASE_URL="$PG_URL_BASE/conduit"
./target/release/models migrate
./target/release/models loaddata fixtures/demo.json

models_port=$(free_port)
BIND=127.0.0.1:$models_port DATABASE_POOL_SIZE=${POOL:-4} RUST_LOG=warn ./target/release/models > "$work/models.log" 2>&1 &
MODELS_PID=$!; PIDS+=("$MODELS_PID")
port=$(free_port)
BIND=127.0.0.1:$port MODELS_URL=http://127.0.0.1:$models_port CONDUIT_DEV=1 RUST_LOG=warn \
    ./target/release/experience > "$work/experience.log" 2>&1 &
EXPERIENCE_PID=$!; PIDS+=("$EXPERIENCE_PID")
base=http://127.0.0.1:$port
wait_http "$base/ready"
slug=$(curl -fsS "$base/api/articles?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["articles"][0]["slug"])')

echo
echo "public API through experience -> models -> PostgreSQL (demo data), wrk -t2 -c32 -d${DURATION}s"
printf '| %-28s | %10s | %8s | %8s | %s\n' case req/s p50 p99 errors
printf '|%s|\n' "------------------------------|------------|----------|----------|------------"
bench "GET /api/articles?limit=20" "$base/api/articles?limit=20"
bench "GET /api/articles/:slug" "$base/api/articles/$slug"
bench "GET /api/tags" "$base/api/tags"
echo "RSS after load: experience $(rss_mib "$EXPERIENCE_PID") MiB, models $(rss_mib "$MODELS_PID") MiB"
