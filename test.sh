#!/usr/bin/env bash
# Runs every Brigade test on a fresh machine that has the .NET 10 SDK.
# It installs what the tests need (PostgreSQL and RabbitMQ, from Debian's packages) and starts
# throwaway servers for them on 127.0.0.1, which it stops and deletes on exit.
# Extra arguments go to `dotnet test` (for example: --filter "FullyQualifiedName~Postgres").
set -euo pipefail
cd "$(dirname "$0")"

log() { printf '\n== %s\n' "$*"; }
started=$(date +%s)

. scripts/servers.sh
trap stop_servers EXIT
trap 'exit 130' INT TERM

log "Installing test servers (if missing)"
servers_install postgresql rabbitmq-server

log "Starting PostgreSQL and RabbitMQ"
start_postgres
start_rabbitmq

log "Building (Release)"
dotnet build Brigade.slnx -c Release -warnaserror

log "Running the .NET tests"
mkdir -p artifacts
status=0
dotnet test Brigade.slnx -c Release --no-build --logger "console;verbosity=normal" --results-directory artifacts/test-results "$@" \
    | tee artifacts/test-output.log || status=$?

count() { grep -E "^ +$1: +[0-9]+" artifacts/test-output.log | tail -n 1 | awk '{print $2}'; }
passed=$(count Passed); failed=$(count Failed)
echo
echo "${passed:-0} passed, ${failed:-0} failed"
if [ "$status" -ne 0 ]; then
    log "Tests FAILED after $(( $(date +%s) - started )) s"
    exit "$status"
fi
log "All tests passed in $(( $(date +%s) - started )) s"
