#!/usr/bin/env bash
# Compares our float GEMM with numpy/OpenBLAS sgemm at training shapes, measured in the same run.
# Usage: tests/benchmarks/gemm_bench.sh [threads=2] [seconds-per-shape=1]
# Timings are best-of batches; on a shared machine run it a few times and compare the best ratios.
set -euo pipefail
threads="${1:-2}"
seconds="${2:-1}"
here="$(cd "$(dirname "$0")" && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

dotnet build "$here/CvLearn.Benchmarks" -c Release -o "$out/bin" -v quiet -nologo >/dev/null
dotnet "$out/bin/CvLearn.Benchmarks.dll" gemm "$threads" "$seconds" > "$out/ours.txt"
OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" /usr/bin/python3 "$here/gemm_bench.py" "$seconds" > "$out/numpy.txt"

printf '%-26s %10s %10s %7s\n' shape "ours GF/s" "numpy GF/s" ratio
join <(sort "$out/ours.txt") <(sort "$out/numpy.txt") | sort -k1,1 |
    awk '{ printf "%-26s %10.1f %10.1f %6.0f%%\n", $1, $2, $3, 100 * $2 / $3 }'
echo "threads=$threads (timings are noisy when the machine is shared)"
