# The database of a deployment, for deploy/backup and deploy/restore: `db_run CMD ARGS...`
# runs a PostgreSQL client command against it (stdin and stdout passed through), `db_name`
# names the database argument, `flush_page_cache` empties the page cache.
# Expects $mode (stack | compose) and, for the stack, $stack_dir.
# shellcheck shell=bash
: "${mode:?}" "${stack_dir:=.stack}"

if [ "$mode" = stack ]; then
    state="$stack_dir/state.json"
    [ -f "$state" ] || { echo "no stack in $stack_dir (deploy/stack up, or --stack DIR)" >&2; exit 2; }
    database_url=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["database_url"])' "$state")
    memcached_port=$(python3 -c 'import json,sys; print(next(p["port"] for p in json.load(open(sys.argv[1]))["procs"] if p["name"] == "memcached"))' "$state")
    # Debian keeps the server's tools off PATH: the newest /usr/lib/postgresql/*/bin.
    newest_initdb() { find /usr/lib/postgresql -path '*/bin/initdb' 2>/dev/null | sort -V | tail -1; }
    pg_bin=${CONDUIT_POSTGRES_BIN:-$(dirname "$(readlink -f "$(command -v initdb 2>/dev/null || newest_initdb)")")}
    db_run() {
        local cmd=$1
        shift
        if [ "$cmd" = pg_restore ]; then
            "$pg_bin/$cmd" "$@"
        else
            "$pg_bin/$cmd" "$@" "$database_url"
        fi
    }
    db_name() { echo "$database_url"; }
    flush_page_cache() {
        exec 3<>"/dev/tcp/127.0.0.1/$memcached_port"
        printf 'flush_all\r\nquit\r\n' >&3
        read -r answer <&3
        exec 3>&-
        [ "${answer%$'\r'}" = OK ] || { echo "memcached answered: $answer" >&2; return 1; }
    }
else
    # In the postgres container, with the password compose gave it as a secret (its socket
    # asks for one too).
    db_run() {
        local cmd=$1
        shift
        local database=(--dbname=conduit)
        [ "$cmd" = pg_restore ] && database=()
        # shellcheck disable=SC2016 # expanded by the container's shell
        docker-compose exec -T postgres sh -c \
            'PGPASSWORD="$(cat /run/secrets/postgres_password)" exec "$0" "$@"' \
            "$cmd" --username=conduit "${database[@]}" "$@"
    }
    db_name() { echo conduit; }
    # Restarting memcached empties it; web and experience reconnect by themselves.
    flush_page_cache() { docker-compose restart memcached >/dev/null; }
fi
