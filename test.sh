#!/usr/bin/env bash
# Runs every Brigade test on a fresh machine that has the .NET 10 SDK.
# It installs what the tests need and starts throwaway servers for them on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")"

log() { printf '\n== %s\n' "$*"; }

log "Building (Release)"
dotnet build Brigade.slnx -c Release -warnaserror

log "Running the .NET tests"
dotnet test Brigade.slnx -c Release --no-build --logger "console;verbosity=normal" --results-directory artifacts/test-results

log "All tests passed"
