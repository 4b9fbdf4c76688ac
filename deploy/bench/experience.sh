#!/usr/bin/env bash
# Benchmark of the public API through two tiers: wrk -> experience -> models -> PostgreSQL,
# with the demo fixtures. Prints req/s, p50 and p99 per endpoint and the RSS of both services.
#
#   deploy/bench/experience.sh           (DURATION=10 seconds per case by default)
#
# Needs: PostgreSQL server binaries, wrk, curl, python3. Everything runs on 127.0.0.1 and is
# stopped on exit.
case "${1:-}" in -h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;; esac
set -euo pipefail
cd "$(dirname "$0")/../.."
. deploy/bench/lib.sh

DURATION=${DURATION:-10}
bench_init

echo "building (release)..."
cargo build -q --release -p models -p experience
demo_database

start models DATABASE_POOL_SIZE="${POOL:-4}"; MODELS_PID=$PID; models_port=$PORT
start experience MODELS_URL="http://127.0.0.1:$models_port"; EXPERIENCE_PID=$PID
base=http://127.0.0.1:$PORT
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
