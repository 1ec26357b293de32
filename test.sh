#!/usr/bin/env bash
# Runs every Brigade test on a fresh machine that has the .NET 10 SDK.
# It installs what the tests need from Debian's packages (PostgreSQL, RabbitMQ, Chromium, Node.js)
# and the npm package playwright-core, starts throwaway PostgreSQL and RabbitMQ servers on
# 127.0.0.1, and stops them and deletes their data on exit.
# Extra arguments go to `dotnet test` (for example: --filter "FullyQualifiedName~Postgres");
# with a filter the browser tests are skipped.
set -euo pipefail
cd "$(dirname "$0")"

log() { printf '\n== %s\n' "$*"; }
started=$(date +%s)

. scripts/servers.sh
. scripts/node.sh
trap stop_servers EXIT
trap 'exit 130' INT TERM

log "Installing test servers and tools (if missing)"
need=(postgresql rabbitmq-server)
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || need+=(chromium fonts-dejavu-core)
command -v node >/dev/null && command -v npm >/dev/null || need+=(nodejs npm)
servers_install "${need[@]}"

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

count() { grep -E "^ +$1: +[0-9]+" artifacts/test-output.log | tail -n 1 | awk '{print $2}' || true; }
passed=$(count Passed); failed=$(count Failed)
echo
echo ".NET: ${passed:-0} passed, ${failed:-0} failed"
if [ "$status" -ne 0 ]; then
    log "Tests FAILED after $(( $(date +%s) - started )) s"
    exit "$status"
fi

if [ $# -eq 0 ]; then
    log "Preparing the browser tests"
    # playwright-core needs Node.js 20; Debian 12 packages 18 (scripts/node.sh fetches 20 then).
    use_node 20
    (
        cd tests/browser
        # npm ci (from the lockfile) only when playwright-core is missing or not the locked version.
        if ! node -e '
          const want = require("./package-lock.json").packages["node_modules/playwright-core"].version;
          const have = require("./node_modules/playwright-core/package.json").version;
          process.exit(want === have ? 0 : 1);' 2>/dev/null; then
            PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
        fi
    )
    log "Running the browser tests (headless Chromium; screenshots in artifacts/screenshots)"
    (cd tests/browser && CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}" node --test --test-concurrency=1 --test-reporter=spec)
fi
log "All tests passed in $(( $(date +%s) - started )) s"
