#!/usr/bin/env bash
# Runs every Brigade test on a fresh machine that has the .NET 10 SDK and Node.js 20.
# It installs what the tests need (Debian's Chromium, the npm package playwright-core) and starts
# throwaway servers for them on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")"

log() { printf '\n== %s\n' "$*"; }

log "Building (Release)"
dotnet build Brigade.slnx -c Release -warnaserror

log "Running the .NET tests"
dotnet test Brigade.slnx -c Release --no-build --logger "console;verbosity=normal" --results-directory artifacts/test-results

log "Preparing the browser tests"
chromium_path="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$chromium_path" ]; then
  echo "Installing Chromium from Debian's packages"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; then
  echo "The browser tests need Node.js 20 or later, not $(node --version)" >&2
  exit 1
fi
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
(cd tests/browser && CHROMIUM_PATH="$chromium_path" node --test --test-concurrency=1 --test-reporter=spec)

log "All tests passed"
