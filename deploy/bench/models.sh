#!/usr/bin/env bash
# Benchmark of the models tier alone over PostgreSQL.
#
#   deploy/bench/models.sh                 demo fixtures; wrk on the list, article and tags
#   ARTICLES=1000000 deploy/bench/models.sh  also generate and load that many articles, and
#                                          print the real plans of the list queries
#
# Needs: PostgreSQL server binaries, wrk, curl, python3 (Debian: postgresql wrk curl).
# Everything runs on 127.0.0.1 and is stopped on exit.
case "${1:-}" in -h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;; esac
set -euo pipefail
cd "$(dirname "$0")/../.."
. deploy/bench/lib.sh

DURATION=${DURATION:-10}
ARTICLES=${ARTICLES:-0}
bench_init
work=$WORK

echo "building (release)..."
cargo build -q --release -p models -p conduit-dataset

# auto_explain logs the plan of every statement slower than the threshold, so the plans
# printed below are those of the queries the service really runs.
demo_database -c session_preload_libraries=auto_explain \
    -c auto_explain.log_min_duration=-1 -c auto_explain.log_analyze=on \
    -c auto_explain.log_buffers=on -c auto_explain.log_timing=off
if [ "$ARTICLES" -gt 0 ]; then
    users=$(( ARTICLES / 100 > 100 ? ARTICLES / 100 : 100 ))
    echo "generating $ARTICLES articles by $users users..."
    start=$(date +%s)
    ./target/release/conduit-dataset --users "$users" --articles "$ARTICLES" > "$work/big.json"
    echo "  generated in $(( $(date +%s) - start )) s ($(du -h "$work/big.json" | cut -f1))"
    start=$(date +%s)
    ./target/release/models loaddata "$work/big.json"
    echo "  loaded in $(( $(date +%s) - start )) s"
    rm -f "$work/big.json"
    "${PG_PSQL[@]}" -c "VACUUM ANALYZE" conduit
fi

start models DATABASE_POOL_SIZE="${POOL:-4}"; MODELS_PID=$PID; port=$PORT
base=http://127.0.0.1:$port
wait_http "$base/ready"
slug=$(curl -fsS -H "$CREDENTIAL_HEADER" "$base/articles?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["articles"][0]["slug"])')
viewer=$(curl -fsS -H "$CREDENTIAL_HEADER" "$base/users/by-username/kai" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
total=$(curl -fsS -H "$CREDENTIAL_HEADER" "$base/articles?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["articles_count"])')

echo
echo "models tier over PostgreSQL, $total articles, wrk -t2 -c32 -d${DURATION}s"
printf '| %-28s | %10s | %8s | %8s | %s\n' case req/s p50 p99 errors
printf '|%s|\n' "------------------------------|------------|----------|----------|------------"
bench "list 20 (anonymous)" "$base/articles?limit=20" -H "$CREDENTIAL_HEADER"
bench "list 20 (signed in)" "$base/articles?limit=20&viewer=$viewer" -H "$CREDENTIAL_HEADER"
bench "list 20 by tag" "$base/articles?limit=20&tag=rust" -H "$CREDENTIAL_HEADER"
bench "article by slug" "$base/articles/$slug" -H "$CREDENTIAL_HEADER"
bench "tags" "$base/tags" -H "$CREDENTIAL_HEADER"
echo "models RSS after load: $(rss_mib "$MODELS_PID") MiB"

if [ "$ARTICLES" -gt 0 ]; then
    echo
    echo "Plans of the list queries on $total articles (auto_explain, ANALYZE, BUFFERS):"
    "${PG_PSQL[@]}" -c "ALTER DATABASE conduit SET auto_explain.log_min_duration = 0" postgres
    kill "$MODELS_PID"; wait "$MODELS_PID" 2>/dev/null || true
    BIND=127.0.0.1:$port DATABASE_POOL_SIZE=1 RUST_LOG=warn ./target/release/models > "$work/models.log" 2>&1 &
    MODELS_PID=$!; PIDS+=("$MODELS_PID")
    wait_http "$base/ready"
    : > "$work/pg/server.log.mark"
    lines=$(wc -l < "$work/pg/server.log")
    for q in "limit=20" "limit=20&offset=500000" "tag=rust&limit=20" "author=user42&limit=20" \
             "favorited=user42&limit=20" "feed=$viewer&limit=20" "limit=20&viewer=$viewer"; do
        echo "--- GET /articles?$q"
        curl -fsS -H "$CREDENTIAL_HEADER" -o /dev/null "$base/articles?$q"
        sleep 0.2
        tail -n +"$((lines + 1))" "$work/pg/server.log" \
            | grep -v -E 'auto_explain|^\s*$|SELECT 1|LOG:  duration' \
            | grep -E 'Query Text|->|Limit|Scan|Sort|Join|Buffers|Execution|rows=' | sed 's/^/    /' | head -60
        lines=$(wc -l < "$work/pg/server.log")
    done
fi
