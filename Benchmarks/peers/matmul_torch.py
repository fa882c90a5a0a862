#!/usr/bin/env python3
"""PyTorch (OpenBLAS) on one thread: the products timed by Benchmarks/OpsMatMulBenchmarks.cs.

Setup (Debian 12):   sudo apt-get install -y python3-torch libopenblas0-pthread
Run:                 /usr/bin/python3 Benchmarks/peers/matmul_torch.py

For each m×k×n it times, in float32 on one thread:
  forward    c = a @ b                            (torch.mm)
  dA         dC @ bᵀ                              (the first adjoint product alone)
  dB         aᵀ @ dC                              (the second adjoint product alone)
  backward   c = a @ b; c.backward(dC) -> a.grad, b.grad   (autograd: forward + both adjoint products)
and prints the minimum and median time per call and GFLOP/s (2·m·k·n flops per product; 6·m·k·n for backward,
which, like our MatMulBackward, also computes c). Each measurement: warm-up calls, then repeats of a batch of
calls timed with perf_counter; the per-call time of a repeat is the batch's time divided by its size.
"""
import os

# Must be set before torch (and its BLAS) is loaded.
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import statistics
import time

import torch

SHAPES = [(64, 784, 128), (256, 256, 256), (512, 512, 512)]


def measure(fn, flops, min_batch_seconds=0.05, repeats=15):
    for _ in range(5):
        fn()
    # Batch size: enough calls that one batch takes about min_batch_seconds.
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-7)
    batch = max(1, int(min_batch_seconds / one))
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(batch):
            fn()
        times.append((time.perf_counter() - t0) / batch)
    best, median = min(times), statistics.median(times)
    return best, median, flops / best / 1e9, flops / median / 1e9


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    print(torch.__config__.show().strip().splitlines()[-1] if hasattr(torch, "__config__") else "")
    print(f"{'shape':>14} {'op':>9} {'min µs':>10} {'median µs':>10} {'GFLOP/s(min)':>13} {'GFLOP/s(med)':>13}")
    for m, k, n in SHAPES:
        a = torch.rand(m, k, dtype=torch.float32) * 2 - 1
        b = torch.rand(k, n, dtype=torch.float32) * 2 - 1
        seed = torch.rand(m, n, dtype=torch.float32) * 2 - 1
        c = torch.empty(m, n, dtype=torch.float32)
        da = torch.empty(m, k, dtype=torch.float32)
        db = torch.empty(k, n, dtype=torch.float32)
        product = 2.0 * m * k * n

        ag = a.clone().requires_grad_(True)
        bg = b.clone().requires_grad_(True)

        def backward():
            ag.grad = None
            bg.grad = None
            torch.mm(ag, bg).backward(seed)

        rows = [
            ("forward", lambda: torch.mm(a, b, out=c), product),
            ("dA", lambda: torch.mm(seed, b.t(), out=da), product),
            ("dB", lambda: torch.mm(a.t(), seed, out=db), product),
            ("backward", backward, 3 * product),
        ]
        for name, fn, flops in rows:
            best, median, g_best, g_median = measure(fn, flops)
            print(f"{m:>4}×{k}×{n:<4} {name:>9} {best * 1e6:10.1f} {median * 1e6:10.1f} {g_best:13.1f} {g_median:13.1f}")

        # The gradients are right (a check, not a timing).
        backward()
        assert torch.allclose(ag.grad, seed @ b.t(), rtol=1e-4, atol=1e-4)
        assert torch.allclose(bg.grad, a.t() @ seed, rtol=1e-4, atol=1e-4)


if __name__ == "__main__":
    main()
