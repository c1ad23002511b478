"""CMMD and the Vendi score beside their reference formulas (full n x n matrices), with peak memory.

CMMD: fastgan.metrics.cmmd (float64 kernel sums on the tile engine, no n x n matrix) against the
reference's formula in torch (three full float32 kernel matrices) at N = M = 20,000, D = 768; at
50,000 (FASTGAN_BENCH_LARGE=1) the reference's matrices (3 x 10 GB and their temporaries) do not
fit in 24 GiB, so fastgan runs alone. Vendi (cosine kernel, q = 1): fastgan's d x d route against
the reference's n x n eigenvalues (scipy.linalg.eigvalsh) at N = 5,000, D = 1024, and fastgan alone
at 50,000 x 1024.
"""
import os

import numpy as np
import pytest
import scipy.linalg
import torch

from _harness import peak_memory_mb, record

from fastgan.metrics import cmmd, vendi_score

LARGE = os.environ.get("FASTGAN_BENCH_LARGE") == "1"


def _embeddings(n, d, seed):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=gen)
    return x / x.norm(dim=1, keepdim=True) * 20  # CLIP-like norms, so the kernel is not trivially 0 or 1


def _reference_cmmd(x, y, sigma=10.0, scale=1000.0):
    gamma = 1 / (2 * sigma**2)
    xx, yy = (x * x).sum(1), (y * y).sum(1)
    k_xx = torch.exp(-gamma * (-2 * x @ x.T + xx[:, None] + xx[None, :])).mean()
    k_xy = torch.exp(-gamma * (-2 * x @ y.T + xx[:, None] + yy[None, :])).mean()
    k_yy = torch.exp(-gamma * (-2 * y @ y.T + yy[:, None] + yy[None, :])).mean()
    return float(scale * (k_xx + k_yy - 2 * k_xy))


@pytest.mark.parametrize("n", [20000] + ([50000] if LARGE else []))
@pytest.mark.parametrize("impl", ["reference formula (torch, full matrices)", "fastgan.metrics.cmmd"])
def test_cmmd(benchmark, impl, n):
    if n > 20000 and impl.startswith("reference"):
        pytest.skip("the reference's three 50k x 50k float32 matrices and temporaries exceed 24 GiB")
    x, y = _embeddings(n, 768, 0), _embeddings(n, 768, 1) * 1.02
    fn = _reference_cmmd if impl.startswith("reference") else cmmd
    value, peak = peak_memory_mb(fn, x, y)
    group = f"CMMD N=M={n} D=768"
    benchmark.group = group
    benchmark.extra_info["cmmd"] = value
    benchmark.pedantic(fn, args=(x, y), rounds=1, iterations=1)
    record(benchmark, group, impl, peak, anchor=impl.startswith("reference"))


def _reference_vendi(x):
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    w = scipy.linalg.eigvalsh(unit @ unit.T / x.shape[0])
    p = w[w > 0]
    return float(np.exp(-(p * np.log(p)).sum()))


@pytest.mark.parametrize("n", [5000, 50000])
@pytest.mark.parametrize("impl", ["reference formula (n x n eigvalsh)", "fastgan.metrics.vendi_score"])
def test_vendi(benchmark, impl, n):
    if n > 5000 and impl.startswith("reference"):
        pytest.skip("the reference's 50k x 50k float64 matrix (20 GB) and its eigendecomposition do not fit")
    x = np.random.default_rng(n).standard_normal((n, 1024)).astype(np.float32)
    fn = _reference_vendi if impl.startswith("reference") else vendi_score
    value, peak = peak_memory_mb(fn, x.astype(np.float64) if fn is _reference_vendi else x)
    group = f"Vendi (cosine, q=1) N={n} D=1024"
    benchmark.group = group
    benchmark.extra_info["vendi"] = value
    benchmark.pedantic(fn, args=(x.astype(np.float64) if fn is _reference_vendi else x,), rounds=1, iterations=1)
    record(benchmark, group, impl, peak, anchor=impl.startswith("reference"))
