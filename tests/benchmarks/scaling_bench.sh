#!/usr/bin/env bash
# Scaling of the distributed search (issue target: two single-threaded workers finish a fixed search at least 1.8x
# faster than one on a 2-core machine). Runs the same search (deploy/examples/scaling-search.json unless given) with
# `serve --local-workers 1 --worker-threads 1` and then with 2 workers, and prints both wall times and their ratio.
# Usage: tests/benchmarks/scaling_bench.sh [CONFIG]
set -euo pipefail
cd "$(dirname "$0")/../.."
config=${1:-tests/benchmarks/scaling-search.json}
dotnet build CvLearn.Distributed.sln -c Release -v quiet -nologo >/dev/null
master="dotnet master/CvLearn.Master/bin/Release/net10.0/cvlearn-master.dll"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
run() { # $1 = workers → prints seconds
  local start end
  start=$(date +%s.%N)
  $master serve --config "$config" --local-workers "$1" --worker-threads 1 --bind 127.0.0.1 --grpc-port "$(free_port)" \
    --http-port "$(free_port)" --storage "$tmp/storage-$1" --state "$tmp/state-$1.db" --exit-when-done > "$tmp/serve-$1.log" 2>&1 \
    || { cat "$tmp/serve-$1.log" >&2; exit 1; }
  end=$(date +%s.%N)
  # Wall time of the whole command, and of the search alone (first stage planned → last trial finished, from the log).
  /usr/bin/python3 - "$tmp/serve-$1.log" "$start" "$end" <<'PY'
import re, sys
from datetime import datetime
log = open(sys.argv[1]).read()
t = lambda pat: datetime.strptime(re.search(r"^(\d\d:\d\d:\d\d) .*" + pat, log, re.M).group(1), "%H:%M:%S")
search = (t(r"all \d+ trials finished") - t("Stage 1 planned")).total_seconds()
print(f"{float(sys.argv[3]) - float(sys.argv[2]):.1f} {search:.0f}")
PY
}
read -r one one_search < <(run 1); echo "1 worker  (1 thread): $one s in all, search $one_search s"
read -r two two_search < <(run 2); echo "2 workers (1 thread each): $two s in all, search $two_search s"
/usr/bin/python3 -c "print(f'speed-up 2 vs 1 workers: {$one/$two:.2f}x whole command, {$one_search/$two_search:.2f}x search alone (target >= 1.8x)')"
