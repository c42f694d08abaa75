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
  /usr/bin/python3 -c "print(f'{$end - $start:.1f}')"
}
one=$(run 1); echo "1 worker  (1 thread): $one s"
two=$(run 2); echo "2 workers (1 thread each): $two s"
/usr/bin/python3 -c "r=$one/$two; print(f'speed-up 2 vs 1 workers: {r:.2f}x (target >= 1.8x)')"
