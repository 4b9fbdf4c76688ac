#!/usr/bin/env bash
# Benchmark of the site through all three tiers: wrk -> web -> experience -> models ->
# PostgreSQL, demo fixtures, anonymous visitors, no page cache. The 404 page is rendered by
# web alone with no I/O: the ceiling a page can reach here.
#
#   deploy/bench/web.sh           (DURATION=10 seconds per case by default)
#
# Needs: PostgreSQL server binaries, wrk, curl. Everything runs on 127.0.0.1 and is stopped
# on exit.
case "${1:-}" in -h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;; esac
set -euo pipefail
cd "$(dirname "$0")/../.."
. deploy/bench/lib.sh

DURATION=${DURATION:-10}
bench_init

echo "building (release)..."
cargo build -q --release -p models -p experience -p web
demo_database

start models DATABASE_POOL_SIZE="${POOL:-4}"; MODELS_PID=$PID; models_port=$PORT
start experience MODELS_URL="http://127.0.0.1:$models_port"; EXPERIENCE_PID=$PID
experience_port=$PORT
start web EXPERIENCE_URL="http://127.0.0.1:$experience_port"; WEB_PID=$PID
base=http://127.0.0.1:$PORT
wait_http "$base/ready"

echo
echo "pages through web -> experience -> models -> PostgreSQL (demo data, no cache), wrk -t2 -c32 -d${DURATION}s"
printf '| %-28s | %10s | %8s | %8s | %s\n' case req/s p50 p99 errors
printf '|%s|\n' "------------------------------|------------|----------|----------|------------"
bench "home page (anonymous)" "$base/"
bench "article page (anonymous)" "$base/article/why-your-pagination-query-is-slow"
bench "404 page (web only)" "$base/no-such-page"
echo "RSS after load: web $(rss_mib "$WEB_PID") MiB, experience $(rss_mib "$EXPERIENCE_PID") MiB, models $(rss_mib "$MODELS_PID") MiB"
