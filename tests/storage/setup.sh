#!/usr/bin/env bash
# Installs what the Azure Blob store tests (tests/CvLearn.Storage.Azure.Tests) need: node + npm, and Azurite (the
# local Azure Storage emulator, version pinned in package.json / package-lock.json) into tests/storage/node_modules.
# Idempotent and quiet: installs only what is missing or out of date. Run as root (CI) or with sudo for apt.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "storage setup: installing nodejs npm"
  sudo=""; [ "$(id -u)" = "0" ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq nodejs npm >/dev/null
fi

cd "$here"
if [ ! -x node_modules/.bin/azurite-blob ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "storage setup: npm ci in tests/storage (azurite)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
echo "storage setup: azurite $(node -p "require('./node_modules/azurite/package.json').version" 2>/dev/null || echo '?') ready"
