#!/usr/bin/env bash
# Compares our float GEMM (Gemm.Multiply) with numpy/OpenBLAS sgemm at training shapes, in the same run.
# Usage: tests/benchmarks/gemm_bench.sh [threads=2] [rounds=3] [seconds-per-shape=0.5]
# Both sides are run alternately for several rounds and each keeps its best GFLOP/s per shape, so a burst of load
# from other processes on a shared machine penalises neither side systematically. Still noisy: compare ratios.
set -euo pipefail
bash "$(dirname "$0")/ensure_reference.sh"
threads="${1:-2}"
rounds="${2:-3}"
seconds="${3:-0.5}"
here="$(cd "$(dirname "$0")" && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

dotnet build "$here/CvLearn.Benchmarks" -c Release -o "$out/bin" -v quiet -nologo >/dev/null
for ((r = 0; r < rounds; r++)); do
    dotnet "$out/bin/CvLearn.Benchmarks.dll" gemm "$threads" "$seconds" >> "$out/ours.txt"
    OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" /usr/bin/python3 "$here/gemm_bench.py" "$seconds" >> "$out/numpy.txt"
done

best() { awk '{ if (!($1 in b) || $2 > b[$1]) b[$1] = $2 } END { for (s in b) print s, b[s] }' "$1" | sort; }
printf '%-26s %10s %10s %7s\n' shape "ours GF/s" "numpy GF/s" ratio
join <(best "$out/ours.txt") <(best "$out/numpy.txt") |
    awk '{ printf "%-26s %10.1f %10.1f %6.0f%%\n", $1, $2, $3, 100 * $2 / $3 }'
echo "threads=$threads rounds=$rounds (best-of per side; timings are noisy when the machine is shared)"
