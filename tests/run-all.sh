#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what the tests need (Debian packages, npm packages
# for the gRPC interop peers and Azurite for the Azure Blob store), then builds and tests every project of the solution in Release mode.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -d /usr/share/datasets/fashion-mnist ] || need_apt+=(dataset-fashion-mnist)
/usr/bin/python3 -c 'import grpc' 2>/dev/null || need_apt+=(python3-grpcio)
/usr/bin/python3 -c 'import grpc_tools' 2>/dev/null || need_apt+=(python3-grpc-tools)
/usr/bin/python3 -c 'import google.protobuf' 2>/dev/null || need_apt+=(python3-protobuf)
# headless browser for the dashboard tests (DashboardBrowserTests render the page and read the DOM)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1 || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing Debian packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if [ -f tests/interop/setup.sh ]; then
  bash tests/interop/setup.sh
fi
# Azurite for the Azure Blob checkpoint store tests.
bash tests/storage/setup.sh

echo "== dotnet test (Release)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test CvLearn.Distributed.sln -c Release --logger "console;verbosity=minimal" "$@" 2>&1 | tee "$log" || status=$?
# One closing line over all test projects ("N passed, N failed"), from dotnet test's per-project summaries.
/usr/bin/python3 - "$log" <<'PY'
import re, sys
text = open(sys.argv[1], errors="replace").read()
rows = re.findall(r"(Passed|Failed)!\s+-\s+Failed:\s+(\d+),\s+Passed:\s+(\d+),\s+Skipped:\s+(\d+)", text)
failed = sum(int(r[1]) for r in rows); passed = sum(int(r[2]) for r in rows); skipped = sum(int(r[3]) for r in rows)
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
PY
exit "$status"
