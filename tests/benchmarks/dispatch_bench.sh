#!/usr/bin/env bash
# Master dispatch benchmark (issue: distributed search targets), against a real `cvlearn-master serve` process:
#  1. acquire+complete round trips/s with WORKERS concurrent simulated workers (target >= 5,000/s), beside the
#     round-trip rate of a trivial echo service on the same gRPC wire layer (the same-run reference), and
#  2. scheduling overhead of 1-second trials (target < 1%).
# Usage: tests/benchmarks/dispatch_bench.sh [WORKERS=32] [SECONDS=5] [OVERHEAD_TRIALS=3200]
set -euo pipefail
cd "$(dirname "$0")/../.."
workers=${1:-32}; seconds=${2:-5}; otrials=${3:-3200}
dotnet build tests/benchmarks/CvLearn.DispatchBench -c Release -v quiet -nologo >/dev/null
dotnet build master/CvLearn.Master -c Release -v quiet -nologo >/dev/null
bench="dotnet tests/benchmarks/CvLearn.DispatchBench/bin/Release/net10.0/CvLearn.DispatchBench.dll"
master="dotnet master/CvLearn.Master/bin/Release/net10.0/cvlearn-master.dll"
tmp=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.2; done; echo "port $1 never opened" >&2; return 1; }
config() { # $1 = trials
  cat > "$tmp/c$1.json" <<JSON
{"experiment": "dispatch-bench", "dataset": "fashion-mnist", "model": "fc:32", "seed": 1,
 "space": {"learning_rate": {"log_uniform": [1e-4, 1e-1]}}, "stages": [{"trials": $1, "epochs": 1}]}
JSON
  echo "$tmp/c$1.json"; }
start_master() { # $1 config, $2 state name → sets MASTER
  local gp hp; gp=$(free_port); hp=$(free_port)
  $master serve --config "$1" --grpc-port "$gp" --http-port "$hp" --bind 127.0.0.1 --storage "$tmp/storage" --state "$tmp/$2.db" --log-level Warning > "$tmp/$2.log" 2>&1 &
  MASTER_PID=$!; pids+=($!); wait_port "$gp"; MASTER="http://127.0.0.1:$gp"; }
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; } # user + system time of a process

ep=$(free_port); $bench echo-server "$ep" > "$tmp/echo.log" 2>&1 & pids+=($!); wait_port "$ep"
start_master "$(config 400000)" dispatch
echo "== dispatch: $workers simulated workers, ${seconds} s per side"
before=$(cpu_seconds "$MASTER_PID")
$bench dispatch "$MASTER" "http://127.0.0.1:$ep" "$workers" "$seconds" || true
after=$(cpu_seconds "$MASTER_PID")
/usr/bin/python3 -c "print(f'master CPU during the dispatch run: {$after - $before:.1f} s (both sides of the measurement window, warm-up included)')"
start_master "$(config "$otrials")" overhead
echo "== scheduling overhead: $otrials one-second trials on $workers simulated workers"
before=$(cpu_seconds "$MASTER_PID")
$bench overhead "$MASTER" "$workers" "$otrials" "${TRIAL_SECONDS:-1}" || true
after=$(cpu_seconds "$MASTER_PID")
/usr/bin/python3 -c "print(f'master CPU: {($after - $before) * 1000 / $otrials:.2f} ms per trial (its own share of the scheduling cost; the rest is the simulated workers and the wire on the same 2 cores)')"
