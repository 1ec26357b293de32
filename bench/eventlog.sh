#!/usr/bin/env bash
# Event-log benchmark: durable commits/s of the SQLite log and of the PostgreSQL log, against a
# peer measured in the same run: plain PostgreSQL INSERTs of one ~900-byte row per transaction
# (synchronous_commit=on) from as many clients, with pgbench. Each of our commits is an order's
# three events of ~300 bytes (~900 bytes). Installs PostgreSQL if missing and runs a throwaway
# cluster on 127.0.0.1; the SQLite file goes to a temporary directory on the same disk.
#   CLIENTS="16 64" DURATION=10 bench/eventlog.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CLIENTS=${CLIENTS:-"16 64"}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}

. scripts/servers.sh
tmp=$(mktemp -d)
cleanup() { stop_servers; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

servers_install postgresql
start_postgres -c synchronous_commit=on
pg="$BRIGADE_TEST_POSTGRES"
port=$(sed 's/.*Port=\([0-9]*\).*/\1/' <<<"$pg")
psql() { "$SERVERS_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"; }

dotnet build bench/Brigade.Benchmarks -c Release -v quiet -nologo >/dev/null
bench_dll=bench/Brigade.Benchmarks/bin/Release/net10.0/Brigade.Benchmarks.dll

# The peer: one ~900-byte jsonb row per transaction, in a table with the same primary key and stream index as ours.
payload=$(printf '{"orderId":"%s","note":"%s"}' "0123456789abcdef01234567" "$(head -c 850 /dev/zero | tr '\0' 'x')")
cat >"$tmp/peer.sql" <<EOF
\set id random(1, 2000000000)
INSERT INTO peer_events (stream_id, data) VALUES ('order-' || :id, '$payload');
EOF

results=()
for n in $CLIENTS; do
    echo "== $n clients" >&2
    sqlite=$(dotnet "$bench_dll" eventlog --store sqlite --data-dir "$tmp/sqlite-$n" --clients "$n" --seconds "$DURATION" --warmup "$WARMUP")
    echo "   $sqlite" >&2

    psql -d postgres -c "CREATE DATABASE bench_store_$n"
    postgres=$(dotnet "$bench_dll" eventlog --store postgres --postgres "${pg/Database=postgres/Database=bench_store_$n}" --clients "$n" --seconds "$DURATION" --warmup "$WARMUP")
    echo "   $postgres" >&2

    psql -d postgres -c "CREATE DATABASE bench_peer_$n"
    psql -d "bench_peer_$n" -c "CREATE TABLE peer_events (position bigserial PRIMARY KEY, stream_id text NOT NULL, data jsonb NOT NULL); CREATE INDEX ON peer_events (stream_id);"
    "$SERVERS_PG_BIN/pgbench" -h 127.0.0.1 -p "$port" -U postgres -n -M prepared -c "$n" -j "$(( n < 2 ? 1 : 2 ))" -T "$WARMUP" -f "$tmp/peer.sql" "bench_peer_$n" >/dev/null 2>&1
    peer=$("$SERVERS_PG_BIN/pgbench" -h 127.0.0.1 -p "$port" -U postgres -n -M prepared -c "$n" -j "$(( n < 2 ? 1 : 2 ))" -T "$DURATION" -f "$tmp/peer.sql" "bench_peer_$n" 2>/dev/null \
        | awk '/^tps = / {print int($3)}')
    echo "   peer tps=$peer" >&2
    results+=("$n|$sqlite|$postgres|$peer")
done

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo
echo "Event log, durable commits per second (one commit = an order's 3 events, ~900 bytes), $DURATION s per run"
echo "$(date -u +%Y-%m-%d), $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)), PostgreSQL $("$SERVERS_PG_BIN/postgres" --version | awk '{print $3}')"
echo
echo "| clients | PostgreSQL INSERT peer (rows/s) | Brigade on PostgreSQL (commits/s) | ratio | p99 ms | Brigade on SQLite (commits/s) | ratio | p99 ms |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
for r in "${results[@]}"; do
    IFS='|' read -r n sqlite postgres peer <<<"$r"
    pc=$(field commits_per_s "$postgres"); sc=$(field commits_per_s "$sqlite")
    echo "| $n | $peer | $pc | $(ratio "$pc" "$peer") | $(field p99_ms "$postgres") | $sc | $(ratio "$sc" "$peer") | $(field p99_ms "$sqlite") |"
done
