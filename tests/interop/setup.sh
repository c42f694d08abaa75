#!/usr/bin/env bash
# Installs what the gRPC interop tests (tests/CvLearn.Protos.Tests, *Interop*) need:
#   - Debian's python3-grpcio + python3-protobuf for /usr/bin/python3 (client and server scripts)
#   - node + npm, and @grpc/grpc-js + @grpc/proto-loader from package-lock.json (npm ci)
# Idempotent: installs only what is missing. Run as root (CI) or with sudo.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

apt_install() {
  local sudo=""
  if [ "$(id -u)" != "0" ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "$@"
}

if ! /usr/bin/python3 -c "import grpc, google.protobuf" 2>/dev/null; then
  echo "interop setup: installing python3-grpcio python3-protobuf"
  apt_install python3-grpcio python3-protobuf
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "interop setup: installing nodejs npm"
  apt_install nodejs npm
fi

cd "$here/node"
if [ ! -d node_modules/@grpc/grpc-js ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "interop setup: npm ci in tests/interop/node"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "interop setup: ready"
