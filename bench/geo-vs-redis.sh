#!/usr/bin/env bash
# Side by side: Brigade's in-memory GeoIndex vs Redis 7 GEOADD/GEOSEARCH on the same courier
# workload (one core against one core). Installs redis-server if missing (Debian/Ubuntu), runs a
# throwaway instance on a free loopback port, and stops it on exit.
#
#   bench/geo-vs-redis.sh                      # default: 1M couriers, 1M updates, 100k queries (~1-2 min)
#   bench/geo-vs-redis.sh --couriers 2000000 --queries 500000 --rounds 5
#
# Options after the script name go to `Brigade.Benchmarks redis-geo` (--couriers, --updates,
# --queries, --batch, --rounds, --cell, --check).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null 2>&1; then
  echo "redis-server not found; installing it with apt-get."
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >/dev/null
fi

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=""
for _ in $(seq 1 50); do
  candidate=$((20000 + RANDOM % 20000))
  if ! port_in_use "$candidate"; then port=$candidate; break; fi
done
if [ -z "$port" ]; then echo "no free port found" >&2; exit 1; fi

workdir="$(mktemp -d)"
redis_pid=""
cleanup() {
  if [ -n "$redis_pid" ] && kill -0 "$redis_pid" 2>/dev/null; then
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT INT TERM

redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$workdir" \
  --daemonize no --logfile "$workdir/redis.log" &
redis_pid=$!

for _ in $(seq 1 100); do
  if port_in_use "$port"; then break; fi
  sleep 0.1
done
if ! port_in_use "$port"; then
  echo "redis-server did not start:" >&2
  cat "$workdir/redis.log" >&2 || true
  exit 1
fi

echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1); .NET SDK $(dotnet --version); $(redis-server --version | cut -d' ' -f1-3)"
echo "Redis on 127.0.0.1:$port (no persistence, throwaway dir)."
dotnet run -c Release --project bench/Brigade.Benchmarks -- redis-geo --port "$port" "$@"
