#!/usr/bin/env bash
# Scaling of the distributed search (issue target: two single-threaded workers finish a fixed search at least 1.8x
# faster than one on a 2-core machine). Runs the same search (tests/benchmarks/scaling-search.json unless given) with
# `serve --local-workers 1 --worker-threads 1` and with 2 workers, ROUNDS times (the machine's speed drifts by several
# percent within minutes, so each round's pair is compared, in alternating order, and the median is the figure).
# Prints both wall times and their ratio per round: the whole command, and the search alone (first stage planned ->
# last trial finished, from the master's millisecond log timestamps).
# Usage: [ROUNDS=3] [LOGS=DIR] tests/benchmarks/scaling_bench.sh [CONFIG]   (LOGS keeps each run's master log there)
set -euo pipefail
cd "$(dirname "$0")/../.."
config=${1:-tests/benchmarks/scaling-search.json}
rounds=${ROUNDS:-3}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# As the main job runs them (deploy/local-search.sh): published ReadyToRun, the worker beside the master.
unset CVLEARN_WORKER
master="dotnet $(deploy/publish.sh "$tmp/bin")/cvlearn-master.dll"
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
run() { # $1 = workers, $2 = round → prints "whole search" seconds
  local start end out=$tmp/r$2-w$1
  mkdir -p "$out"
  start=$(date +%s.%N)
  $master serve --config "$config" --local-workers "$1" --worker-threads 1 --bind 127.0.0.1 --grpc-port "$(free_port)" \
    --http-port "$(free_port)" --storage "$out/storage" --state "$out/state.db" --exit-when-done > "$out.log" 2>&1 \
    || { cat "$out.log" >&2; exit 1; }
  end=$(date +%s.%N)
  if [[ -n "${LOGS:-}" ]]; then mkdir -p "$LOGS" && cp "$out.log" "$LOGS/round$2-workers$1.log"; fi
  /usr/bin/python3 - "$out.log" "$start" "$end" <<'PY'
import re, sys
from datetime import datetime
log = open(sys.argv[1]).read()
t = lambda pat: datetime.strptime(re.search(r"^(\d\d:\d\d:\d\d\.\d+) .*" + pat, log, re.M).group(1), "%H:%M:%S.%f")
search = (t(r"all \d+ trials finished") - t("Stage 1 planned")).total_seconds()
print(f"{float(sys.argv[3]) - float(sys.argv[2]):.1f} {search:.1f}")
PY
}
ratios=()
for round in $(seq 1 "$rounds"); do
  # Odd rounds run 1 worker first, even rounds 2 workers first, so a steady drift of the machine's speed does not
  # favour one side.
  if (( round % 2 )); then
    read -r one one_search < <(run 1 "$round")
    read -r two two_search < <(run 2 "$round")
  else
    read -r two two_search < <(run 2 "$round")
    read -r one one_search < <(run 1 "$round")
  fi
  r=$(/usr/bin/python3 -c "print(f'{$one/$two:.2f} {$one_search/$two_search:.2f}')")
  ratios+=("$r")
  echo "round $round: 1 worker $one s ($one_search s search), 2 workers $two s ($two_search s search): ${r% *}x whole command, ${r#* }x search alone"
done
/usr/bin/python3 - "${ratios[@]}" <<'PY'
import statistics, sys
whole = [float(a.split()[0]) for a in sys.argv[1:]]
search = [float(a.split()[1]) for a in sys.argv[1:]]
print(f"speed-up 2 vs 1 workers, median of {len(whole)} rounds: {statistics.median(whole):.2f}x whole command "
      f"({min(whole):.2f}-{max(whole):.2f}), {statistics.median(search):.2f}x search alone ({min(search):.2f}-{max(search):.2f}) (target >= 1.8x)")
PY
