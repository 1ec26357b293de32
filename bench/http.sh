#!/usr/bin/env bash
# HTTP benchmark: durable POST /api/orders and GET /api/orders/{id} against a Kestrel plaintext
# peer measured in the same run, with wrk. Installs wrk if missing.
#   DURATION=15s WARMUP=5s CONNECTIONS=64 THREADS=2 bench/http.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-5s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
PEER_PORT=${PEER_PORT:-5190}
BRIGADE_PORT=${BRIGADE_PORT:-5191}

command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y wrk >/dev/null; }
dotnet build -c Release -v quiet -nologo >/dev/null

for port in "$PEER_PORT" "$BRIGADE_PORT"; do
  if (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "port $port is already in use: stop whatever listens there first" >&2; exit 1; fi
done

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for _ in $(seq 1 40); do
    alive=0; for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break; sleep 0.25
  done
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

dotnet bench/Brigade.Benchmarks/bin/Release/net10.0/Brigade.Benchmarks.dll plaintext "http://127.0.0.1:$PEER_PORT" >"$tmp/peer.log" 2>&1 &
pids+=($!)
# Every API call needs a token: one customer's, minted with the server's key (the verb creates the
# key in the data directory; serve then uses it). One token stands for all the connections, so the
# per-client rate limit is lifted for the benchmark.
export BRIGADE_TOKEN=$(dotnet src/Brigade/bin/Release/net10.0/brigade.dll token --role customer --subject bench --data-dir "$tmp/data")
Brigade__Limits__RequestsPerSecond=10000000 Brigade__Limits__Burst=10000000 \
Logging__LogLevel__Default=Warning dotnet src/Brigade/bin/Release/net10.0/brigade.dll serve \
  --urls "http://127.0.0.1:$BRIGADE_PORT" --data-dir "$tmp/data" --catalog bench/http/catalog.json >"$tmp/brigade.log" 2>&1 &
pids+=($!)

wait_for() { for _ in $(seq 1 150); do curl -sf "$1" >/dev/null && return 0; sleep 0.2; done; echo "not ready: $1"; cat "$tmp"/*.log; exit 1; }
wait_for "http://127.0.0.1:$PEER_PORT/plaintext"
wait_for "http://127.0.0.1:$BRIGADE_PORT/health/ready"
for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || { echo "a server exited during start-up"; cat "$tmp"/*.log; exit 1; }; done

scrape() { curl -sf "http://127.0.0.1:$BRIGADE_PORT/metrics" >"$1" || true; }

# CPU time of each of the server's threads (id, name, user + system in clock ticks) and the
# machine's idle and total ticks, so a run can be split into CPU per request by role. Field 2 of
# /proc/.../stat may hold spaces, so count fields after its closing parenthesis.
threads() {
  local pid=$1 t
  for t in /proc/"$pid"/task/*; do
    echo "${t##*/} $(tr ' ' '_' <"$t/comm" 2>/dev/null) $(sed 's/.*) //' "$t/stat" 2>/dev/null | awk '{print $12 + $13}')"
  done
  awk '/^cpu / {total = 0; for (i = 2; i <= NF; i++) total += $i; print "-", "machine-idle", $5 + $6; print "-", "machine-total", total}' /proc/stat
}

run() { # name, wrk args...
  local name=$1; shift
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$@" >/dev/null 2>&1   # warm-up
  scrape "$tmp/$name.before.prom"
  threads "${pids[1]}" >"$tmp/$name.before.cpu"
  date +%s.%N >"$tmp/$name.before.time"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" >"$tmp/$name.txt" 2>&1
  date +%s.%N >"$tmp/$name.after.time"
  threads "${pids[1]}" >"$tmp/$name.after.cpu"
  scrape "$tmp/$name.after.prom"
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/$name.txt")
  p50=$(awk '$1=="50%" {print $2}' "$tmp/$name.txt")
  p99=$(awk '$1=="99%" {print $2}' "$tmp/$name.txt")
  errors=$(grep -c "unexpected status" "$tmp/$name.txt" || true)
  echo "$name $rps $p50 $p99 $errors"
}

plain=$(run plaintext "http://127.0.0.1:$PEER_PORT/plaintext")
post=$(run post -s bench/http/post-order.lua "http://127.0.0.1:$BRIGADE_PORT")
id=$(curl -s -X POST "http://127.0.0.1:$BRIGADE_PORT/api/orders" -H 'Content-Type: application/json' -H "Idempotency-Key: get-$RANDOM$RANDOM" -H "Authorization: Bearer $BRIGADE_TOKEN" \
  -d '{"restaurantId":"bench-bistro","items":[{"menuItemId":"soup","quantity":1}]}' | sed -E 's/.*"id":"([^"]+)".*/\1/')
get=$(run get -H "Authorization: Bearer $BRIGADE_TOKEN" "http://127.0.0.1:$BRIGADE_PORT/api/orders/$id")

ceiling=$(echo "$plain" | awk '{print $2}')
echo
echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(dotnet --version) SDK; $(date -u +%Y-%m-%d)"
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION after $WARMUP of warm-up, on the same machine as the servers"
echo
echo "| endpoint | requests/s | p50 | p99 | × plaintext | non-2xx |"
echo "|---|---:|---:|---:|---:|---:|"
for line in "$plain" "$post" "$get"; do
  set -- $line
  ratio=$(awk -v a="$2" -v b="$ceiling" 'BEGIN {printf "%.2f", a / b}')
  case $1 in plaintext) label="Kestrel plaintext (peer)";; post) label="POST /api/orders (durable)";; get) label="GET /api/orders/{id}";; esac
  echo "| $label | $2 | $3 | $4 | $ratio | $5 |"
done

# Where a durable POST spends its time, from the server's own metrics over the measured run: the
# request as the server saw it, the wait for the log, and the log writer's batches.
awk '
  function key(line) { sub(/ [^ ]+$/, "", line); return line }
  FNR == 1 { file++ }
  /^brigade_(http_request_duration_seconds_(sum|count|bucket)\{method="POST",route="\/api\/orders\/",status="201"|eventlog_(append_duration_seconds|batch_duration_seconds|batch_commits)_(sum|count))/ {
    v[file, key($0)] = $NF; if (file == 2) keys[key($0)] = 1
  }
  function d(k) { return v[2, k] - v[1, k] }
  END {
    post = "brigade_http_request_duration_seconds"; sel = "method=\"POST\",route=\"/api/orders/\",status=\"201\""
    n = d(post "_count{" sel "}"); if (n <= 0) exit
    # p99 as the upper bound of the histogram bucket that holds it
    p99 = "+Inf"; best = 1e300
    for (k in keys) if (index(k, post "_bucket{" sel) == 1) {
      le = k; sub(/.*le="/, "", le); sub(/".*/, "", le)
      if (le != "+Inf" && d(k) >= 0.99 * n && le + 0 < best) { best = le + 0; p99 = le * 1000 " ms" }
    }
    batches = d("brigade_eventlog_batch_duration_seconds_count")
    printf "Server side, POST over the measured run: %d requests, mean %.2f ms, p99 <= %s; log wait (enqueue to durable) mean %.2f ms; %d batches, mean %.1f commits, mean %.2f ms each\n",
      n, 1000 * d(post "_sum{" sel "}") / n, p99,
      1000 * d("brigade_eventlog_append_duration_seconds_sum") / d("brigade_eventlog_append_duration_seconds_count"),
      batches, d("brigade_eventlog_batch_commits_sum") / batches, 1000 * d("brigade_eventlog_batch_duration_seconds_sum") / batches
  }' "$tmp/post.before.prom" "$tmp/post.after.prom"

# Where the server's CPU goes per durable POST over the measured run, by thread role. The engine
# and the log writer are single threads, so their share also bounds throughput on their own.
requests=$(awk '/requests in/ {print $1}' "$tmp/post.txt")
awk -v n="$requests" -v hz="$(getconf CLK_TCK)" -v cores="$(nproc)" '
  # Threads are matched by id: one born during the run counts from zero; one that ended during it
  # is not counted (thread-pool workers retire when idle, rarely under load).
  FNR == 1 { file++ }
  { t[file, $1 " " $2] = $3; if (file == 2) keys[$1 " " $2] = 1 }
  function d(k) { return t[2, k] - t[1, k] }
  END {
    if (n <= 0) exit
    for (k in keys) {
      if (k ~ /^- machine-/) continue
      name = k; sub(/^[0-9]+ /, "", name)
      role = name ~ /^brigade-engine/ ? "engine" : name ~ /^brigade-log/ ? "log writer" : name ~ /^\.NET_TP_Worker|^\.NET_Sockets/ ? "requests (thread pool, sockets)" \
           : name ~ /^\.NET_Tiered/ ? "JIT (tiering up)" : name ~ /^\.NET_BGC|^\.NET_Server_GC/ ? "background GC" : "other"
      cpu[role] += d(k); total += d(k)
    }
    us = 1e6 / hz / n
    printf "Server CPU per POST over the measured run: %.0f us", total * us
    split("requests (thread pool, sockets)|engine|log writer|JIT (tiering up)|background GC|other", roles, "|")
    for (i = 1; i in roles; i++) printf "; %s %.0f", roles[i], cpu[roles[i]] * us
    printf "; the %d cores were %.0f%% idle\n", cores, 100 * d("- machine-idle") / d("- machine-total")
  }' "$tmp/post.before.cpu" "$tmp/post.after.cpu"

# What the collector cost over the measured run, from the runtime's metrics on /metrics: pauses as a
# share of the wall clock (every thread stops), collections, and bytes allocated per POST.
elapsed=$(awk 'FNR == 1 && NR == 1 {a = $1} NR == 2 {printf "%.3f", $1 - a}' "$tmp/post.before.time" "$tmp/post.after.time")
awk -v n="$requests" -v secs="$elapsed" '
  FNR == 1 { file++ }
  /^dotnet_(gc_pause_time_seconds_total|gc_heap_total_allocated_bytes_total|gc_collections_total|monitor_lock_contentions_total)/ { v[file, $1] = $2 }
  function d(k) { return v[2, k] - v[1, k] }
  END {
    if (n <= 0 || secs <= 0) exit
    g = "dotnet_gc_collections_total{gc_heap_generation="
    printf "GC over the measured run: paused %.1f%% of the wall clock; %d gen-0, %d gen-1, %d gen-2 collections; %.1f KB allocated per POST; %d lock contentions\n",
      100 * d("dotnet_gc_pause_time_seconds_total") / secs, d(g "\"gen0\"}"), d(g "\"gen1\"}"), d(g "\"gen2\"}"),
      d("dotnet_gc_heap_total_allocated_bytes_total") / n / 1024, d("dotnet_monitor_lock_contentions_total")
  }' "$tmp/post.before.prom" "$tmp/post.after.prom"

