"""The kernel-sum handler of the tile engine: KID's unbiased polynomial MMD² on full sets.

fastgan.metrics.polynomial_mmd2 (three fastgan.ops.kernel_sum calls in float64, the two
within-set sums on the symmetric self pass, no N x M matrix) beside the same computation
in plain torch with the full float64 kernel matrices, at N = M = 10,000, D = 2048.
"""
import pytest
import torch

from _harness import peak_memory_mb, record

from fastgan.metrics import polynomial_mmd2

N, D = 10000, 2048


def _features():
    gen = torch.Generator().manual_seed(0)
    real = torch.randn(N, D, generator=gen)
    fake = 1.05 * torch.randn(N, D, generator=gen) + 0.05
    return real, fake


def _torch_full_matrices(x, y):
    x, y = x.double(), y.double()
    gamma, m = 1.0 / x.shape[1], x.shape[0]
    k_xx = (x @ x.T * gamma + 1) ** 3
    k_yy = (y @ y.T * gamma + 1) ** 3
    k_xy = (x @ y.T * gamma + 1) ** 3
    within = (k_xx.sum() - k_xx.diagonal().sum()) + (k_yy.sum() - k_yy.diagonal().sum())
    return float(within / (m * (m - 1)) - 2 * k_xy.sum() / (m * m))


@pytest.mark.parametrize("impl", ["torch full kernel matrices", "fastgan.metrics.polynomial_mmd2"])
def test_polynomial_mmd2(benchmark, impl):
    real, fake = _features()
    fn = _torch_full_matrices if impl.startswith("torch") else polynomial_mmd2
    value, peak = peak_memory_mb(fn, real, fake)
    group = f"KID polynomial MMD2 N=M={N} D={D} (float64)"
    benchmark.group = group
    benchmark.extra_info["mmd2"] = value
    benchmark.pedantic(fn, args=(real, fake), rounds=1, iterations=1)
    record(benchmark, group, impl, peak, anchor=impl.startswith("torch"))
