"""numpy (OpenBLAS) sgemm at the same shapes as CvLearn.Benchmarks/GemmShapes.cs; prints "name GFLOP/s" (best-of)."""
import sys
import time

import numpy as np

SHAPES = [
    ("fc_forward_128x784x256", False, False, 128, 256, 784),
    ("fc_weight_grad_TN", True, False, 784, 256, 128),
    ("fc_input_grad_NT", False, True, 128, 784, 256),
    ("conv1_im2col_NT", False, True, 64 * 28 * 28, 32, 9),
    ("conv2_im2col_NT", False, True, 64 * 14 * 14, 64, 288),
    ("square_2048", False, False, 2048, 2048, 2048),
]

seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
rng = np.random.default_rng(42)
for name, ta, tb, m, n, k in SHAPES:
    a = (rng.random((k, m) if ta else (m, k), dtype=np.float32) - 0.5)
    b = (rng.random((n, k) if tb else (k, n), dtype=np.float32) - 0.5)
    opa = a.T if ta else a          # transposed views: numpy passes the transpose flag to sgemm
    opb = b.T if tb else b
    c = np.empty((m, n), dtype=np.float32)
    run = lambda: np.matmul(opa, opb, out=c)
    t = time.perf_counter(); calls = 0
    while time.perf_counter() - t < 0.3 or calls < 3:
        run(); calls += 1
    batch = max(1, int(calls * 0.05 / (time.perf_counter() - t)))
    best = float("inf"); start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        for _ in range(batch):
            run()
        best = min(best, (time.perf_counter() - t0) / batch)
    print(f"{name} {2.0 * m * n * k / best / 1e9:.1f}")
