#!/usr/bin/env bash
# Training throughput of our engine vs PyTorch and a numpy CS231n-style net, measured in the same run.
# Usage: tests/benchmarks/train_vs_pytorch.sh [threads=2] [seconds=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=${1:-2}
seconds=${2:-3}
bash tests/benchmarks/ensure_reference.sh
dotnet build worker/CvLearn.Worker -c Release -v quiet -nologo >/dev/null
worker=(dotnet "worker/CvLearn.Worker/bin/Release/net10.0/cvlearn-worker.dll")
if [ -n "${CVLEARN_ARTIFACTS:-}" ]; then worker=(dotnet "$CVLEARN_ARTIFACTS/bin/CvLearn.Worker/release/cvlearn-worker.dll"); fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
# Alternate the two sides so that background load hits both alike.
for round in 1 2; do
  "${worker[@]}" bench --model fc:256 --batch 128 --threads "$threads" --seconds "$seconds" --json >>"$out"
  "${worker[@]}" bench --model conv:32-pool-64-pool-fc128 --batch 64 --threads "$threads" --seconds "$seconds" --json >>"$out"
  OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads /usr/bin/python3 tests/benchmarks/reference_train.py --threads "$threads" --seconds "$seconds" >>"$out"
done

/usr/bin/python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
best = {}
for r in rows:
    key = (r["impl"], r["model"])
    best[key] = max(best.get(key, 0), r["images_per_s"])
print(f"{'model':32} {'impl':14} {'images/s':>10}")
for (impl, model), v in sorted(best.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    print(f"{model:32} {impl:14} {v:10.0f}")
print()
for model in sorted({m for _, m in best}):
    ours = best.get(("cvlearn", model))
    for impl in ("pytorch", "numpy-cs231n"):
        ref = best.get((impl, model))
        if ours and ref:
            print(f"{model}: cvlearn / {impl} = {ours / ref:.2f}")
PY
