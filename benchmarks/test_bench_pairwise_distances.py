"""fastgan.ops.pairwise_distances beside torch.cdist (the anchor), CPU and CUDA."""
import pytest
import torch

from _harness import peak_memory_mb, record

import fastgan

CASES = [(2000, 2000, 512), (4000, 4000, 2048)]
DEVICES = ["cpu"] + (["cuda"] if fastgan.has_cuda() else [])


def _features(n, m, d, device):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(n, d, generator=gen) + 3.0
    y = torch.randn(m, d, generator=gen) + 3.0
    return x.to(device), y.to(device)


def _sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("n,m,d", CASES)
@pytest.mark.parametrize("impl", ["torch.cdist", "fastgan"])
def test_pairwise_distances(benchmark, impl, n, m, d, device):
    x, y = _features(n, m, d, device)
    fn = torch.cdist if impl == "torch.cdist" else fastgan.ops.pairwise_distances

    def run():
        out = fn(x, y)
        _sync(device)
        return out

    _, peak = peak_memory_mb(run)
    benchmark.group = f"pairwise_distances {device} {n}x{m}x{d}"
    benchmark.pedantic(run, rounds=5, warmup_rounds=1)
    record(benchmark, benchmark.group, impl, peak, anchor=impl == "torch.cdist")
