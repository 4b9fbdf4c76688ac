#!/usr/bin/env bash
# What the load balancer costs: the stack (PostgreSQL, memcached, HAProxy) with 1 and then 2
# instances of every tier, wrk through HAProxy's public port on the cached home page and on
# GET /api/articles?limit=20 (experience -> HAProxy -> models -> PostgreSQL), and the same
# API call straight to one experience instance for comparison. On 2 cores more instances do
# not add speed; the figures show the cost of the extra hop and of the spread.
#
#   deploy/bench/haproxy.sh        (DURATION=10 seconds per case by default)
#
# Needs: PostgreSQL server binaries, memcached, haproxy, wrk, curl.
case "${1:-}" in -h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;; esac
set -euo pipefail
cd "$(dirname "$0")/../.."
. deploy/bench/lib.sh

DURATION=${DURATION:-10}
WORK=$(mktemp -d /tmp/conduit-bench-XXXXXX)
chmod 755 "$WORK"
trap 'target/release/conduit-stack down --dir "$WORK/stack" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT

echo "building (release)..."
cargo build -q --release -p models -p experience -p web -p conduit-stack

printf '| %-40s | %10s | %8s | %8s | %s\n' case req/s p50 p99 errors
printf '|%s|\n' "------------------------------------------|------------|----------|----------|------------"
for n in 1 2; do
    # All the load comes from 127.0.0.1: lift HAProxy's per-source limits (conduit_stack::LOAD_TEST_ENV).
    target/release/conduit-stack up --dir "$WORK/stack" --bin-dir target/release \
        --instances "$n" --port 0 --stats-port 0 --log-filter warn \
        --env HAPROXY_SOURCE_MAX_CONNS=100000 --env HAPROXY_SOURCE_MAX_RATE=100000000 >/dev/null
    base=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["public_url"])' "$WORK/stack/state.json")
    direct=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(next("127.0.0.1:%d" % p["port"] for p in s["procs"] if p["name"]=="experience-1"))' "$WORK/stack/state.json")
    web=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(next("127.0.0.1:%d" % p["port"] for p in s["procs"] if p["name"]=="web-1"))' "$WORK/stack/state.json")
    curl -fsS -o /dev/null "$base/"
    bench "$n/tier: home page, cached, via HAProxy" "$base/"
    bench "$n/tier: home page, cached, web direct" "http://$web/"
    bench "$n/tier: HAProxy's own 404 (/metrics)" "$base/metrics"
    bench "$n/tier: /api/articles?limit=20 via HAProxy" "$base/api/articles?limit=20"
    bench "$n/tier: /api/articles?limit=20 direct" "http://$direct/api/articles?limit=20"
    rss=""
    for name in web-1 experience-1 models-1; do
        pid=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(next(p["pid"] for p in s["procs"] if p["name"]==sys.argv[2]))' "$WORK/stack/state.json" "$name")
        rss="$rss $name $(rss_mib "$pid") MiB"
    done
    hpid=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(next(p["pid"] for p in s["procs"] if p["name"]=="haproxy"))' "$WORK/stack/state.json")
    echo "RSS after load ($n/tier):$rss, haproxy master $(rss_mib "$hpid") MiB"
    target/release/conduit-stack down --dir "$WORK/stack" >/dev/null
done
