#!/usr/bin/python3
"""Reference training throughput on this CPU, for comparison with `cvlearn-worker bench`.

Measures steady-state images/s (forward + backward + Adam update) of
  * PyTorch (Debian python3-torch) for fc:256 and conv:32-pool-64-pool-fc128, and
  * a numpy CS231n-style two-layer net (affine-relu-affine-softmax, hand-written backward, Adam) on OpenBLAS,
with random Fashion-MNIST-shaped inputs. Prints one JSON object per measurement.
Usage: reference_train.py --threads 2 [--seconds 3]
"""
import argparse, json, os, sys, time


def timed(step, seconds, batch):
    for _ in range(5):
        step()  # warm-up
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        n += 1
    return n * batch / (time.perf_counter() - start)


def torch_models(threads, seconds):
    import torch
    import torch.nn as nn
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    out = []
    specs = {
        "fc:256": (128, lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))),
        "conv:32-pool-64-pool-fc128": (64, lambda: nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))),
    }
    for name, (batch, make) in specs.items():
        model = make()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = nn.CrossEntropyLoss()
        x = torch.randn(batch, 1, 28, 28)
        y = torch.randint(0, 10, (batch,))

        def step():
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
        out.append({"impl": "pytorch", "version": torch.__version__, "model": name, "batch": batch,
                    "threads": threads, "images_per_s": round(timed(step, seconds, batch), 1)})
    return out


def numpy_fc(threads, seconds):
    import numpy as np
    rng = np.random.default_rng(0)
    batch, d, h, c = 128, 784, 256, 10
    params = {"W1": (rng.standard_normal((d, h)) * np.sqrt(2 / d)).astype(np.float32), "b1": np.zeros(h, np.float32),
              "W2": (rng.standard_normal((h, c)) * np.sqrt(2 / h)).astype(np.float32), "b2": np.zeros(c, np.float32)}
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(v) for k, v in params.items()}
    x = rng.standard_normal((batch, d)).astype(np.float32)
    y = rng.integers(0, c, batch)
    t = [0]

    def step():
        p = params
        h1 = np.maximum(0, x @ p["W1"] + p["b1"])
        s = h1 @ p["W2"] + p["b2"]
        s = s - s.max(axis=1, keepdims=True)
        e = np.exp(s)
        prob = e / e.sum(axis=1, keepdims=True)
        ds = prob
        ds[np.arange(batch), y] -= 1
        ds /= batch
        g = {"W2": h1.T @ ds, "b2": ds.sum(0)}
        dh = ds @ p["W2"].T
        dh[h1 <= 0] = 0
        g["W1"] = x.T @ dh
        g["b1"] = dh.sum(0)
        t[0] += 1
        for k in p:
            m[k] = 0.9 * m[k] + 0.1 * g[k]
            v[k] = 0.999 * v[k] + 0.001 * g[k] * g[k]
            mt = m[k] / (1 - 0.9 ** t[0])
            vt = v[k] / (1 - 0.999 ** t[0])
            p[k] -= 1e-3 * mt / (np.sqrt(vt) + 1e-8)
    return [{"impl": "numpy-cs231n", "version": np.__version__, "model": "fc:256", "batch": batch, "threads": threads,
             "images_per_s": round(timed(step, seconds, batch), 1)}]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--only", choices=["torch", "numpy"], default=None)
    a = ap.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(a.threads))
    rows = []
    if a.only in (None, "torch"):
        rows += torch_models(a.threads, a.seconds)
    if a.only in (None, "numpy"):
        rows += numpy_fc(a.threads, a.seconds)
    for r in rows:
        print(json.dumps(r))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
