#!/usr/bin/env bash
# Benchmark of the whole-page cache, in one run: the anonymous home page served from
# memcached (a hit: web + one memcached round trip), the same page rendered through all
# three tiers by a web instance without a cache, and the 404 page (rendered by web alone
# with no I/O: the ceiling). Target: hits at 40% of the ceiling or more.
# Pages are stored gzip'd: a client that takes gzip (every browser) gets the stored bytes,
# one that does not (wrk without the header) pays an unpack per hit; both are measured.
#
#   deploy/bench/cache.sh        (DURATION=10 seconds per case by default)
#
# Needs: PostgreSQL server binaries, memcached, wrk, curl. Everything runs on 127.0.0.1 and
# is stopped on exit.
case "${1:-}" in -h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;; esac
set -euo pipefail
cd "$(dirname "$0")/../.."
. deploy/bench/lib.sh

DURATION=${DURATION:-10}
bench_init

echo "building (release)..."
cargo build -q --release -p models -p experience -p web
demo_database
start_memcached
cache="memcache://$MC_ADDR"

start models DATABASE_POOL_SIZE="${POOL:-4}"; MODELS_PID=$PID; models_port=$PORT
start experience MODELS_URL="http://127.0.0.1:$models_port" MEMCACHED_URL="$cache"
EXPERIENCE_PID=$PID; experience_port=$PORT
start web EXPERIENCE_URL="http://127.0.0.1:$experience_port" MEMCACHED_URL="$cache"
CACHED_PID=$PID; cached=http://127.0.0.1:$PORT
start web EXPERIENCE_URL="http://127.0.0.1:$experience_port"
UNCACHED_PID=$PID; uncached=http://127.0.0.1:$PORT
wait_http "$cached/ready"
wait_http "$uncached/ready"
# Warm the page and check it is a hit.
curl -fsS -o /dev/null "$cached/"
curl -fsS -D - -o /dev/null "$cached/" | tee "$WORK/headers" | grep -qi "^x-cache: HIT" || { cat "$WORK/headers" "$WORK"/*.log; echo "the home page is not a cache hit" >&2; exit 1; }

echo
echo "anonymous home page, demo data, wrk -t2 -c32 -d${DURATION}s (2 web workers each)"
printf '| %-28s | %10s | %8s | %8s | %s\n' case req/s p50 p99 errors
printf '|%s|\n' "------------------------------|------------|----------|----------|------------"
gzip_row=$(bench "home, cached, gzip (browsers)" "$cached/" -H "Accept-Encoding: gzip"); echo "$gzip_row"
plain_row=$(bench "home, cached, plain (unpacked)" "$cached/"); echo "$plain_row"
miss_row=$(bench "home, uncached (3 tiers)" "$uncached/"); echo "$miss_row"
ceiling_row=$(bench "404 page (ceiling; 404s)" "$cached/no-such-page"); echo "$ceiling_row"
rps() { awk -F'|' '{gsub(/ /,"",$3); print $3}' <<<"$1"; }
awk -v g="$(rps "$gzip_row")" -v p="$(rps "$plain_row")" -v c="$(rps "$ceiling_row")" -v u="$(rps "$miss_row")" \
    'BEGIN { printf "hits (browsers, gzip): %.0f%% of the ceiling (target 40%%), %.1fx the uncached page\n", 100*g/c, g/u;
             printf "hits (no gzip, unpacked per hit): %.0f%% of the ceiling\n", 100*p/c }'
echo "cache counters (web, cached instance):"
curl -fsS "$cached/metrics" | grep -E '^page_cache_(requests|errors)_total'
echo "RSS after load: web cached $(rss_mib "$CACHED_PID") MiB, web uncached $(rss_mib "$UNCACHED_PID") MiB, experience $(rss_mib "$EXPERIENCE_PID") MiB, models $(rss_mib "$MODELS_PID") MiB, memcached $(rss_mib "$MC_PID") MiB"
