"""PRDC and k-NN radii: fastgan beside the `prdc` package and faiss-cpu, with peak memory.

Sizes follow the issue: N = M = 5k and 10k at D = 2048 against prdc (10k takes
prdc tens of seconds per round); faiss IndexFlatL2 against fastgan.ops.knn_radii;
fastgan alone at 40k x 512 (the bounded-memory floor) and at 50k / 100k x 2048 when
FASTGAN_BENCH_LARGE=1 (minutes on 2 cores).
"""
import os

import numpy as np
import pytest

from _harness import peak_memory_mb, record

import fastgan
from fastgan.compat.prdc import compute_prdc as fastgan_compute_prdc

prdc_package = pytest.importorskip("prdc")
LARGE = os.environ.get("FASTGAN_BENCH_LARGE") == "1"


def _features(n, d, seed):
    rng = np.random.default_rng(seed)
    real = rng.standard_normal((n, d), dtype=np.float32)
    fake = (1.05 * rng.standard_normal((n, d)) + 0.05).astype(np.float32)
    return real, fake


def _quiet(fn):
    # compute_prdc prints a line per call (as prdc does); keep the benchmark output clean.
    import contextlib
    import io

    def run(*args):
        with contextlib.redirect_stdout(io.StringIO()):
            return fn(*args)

    return run


# fastgan as shipped (bfloat16 candidate tiles where they pay, see
# csrc/include/fastgan/cpu/candidate_precision.h) and with float32 tiles only.
FASTGAN_SETTINGS = {"fastgan": "auto", "fastgan, float32 tiles": "float32"}


@pytest.mark.parametrize("n", [5000, 10000])
@pytest.mark.parametrize("impl", ["prdc", *FASTGAN_SETTINGS])
def test_prdc(benchmark, impl, n, monkeypatch):
    if impl in FASTGAN_SETTINGS:
        monkeypatch.setenv("FASTGAN_CANDIDATE_PRECISION", FASTGAN_SETTINGS[impl])
    real, fake = _features(n, 2048, seed=n)
    fn = _quiet(prdc_package.compute_prdc if impl == "prdc" else fastgan_compute_prdc)
    result, peak = peak_memory_mb(fn, real, fake, 5)
    group = f"prdc N=M={n} D=2048 k=5"
    benchmark.group = group
    benchmark.extra_info.update({key: float(value) for key, value in result.items()})
    benchmark.pedantic(fn, args=(real, fake, 5), rounds=1, iterations=1)
    record(benchmark, group, impl, peak, anchor=impl == "prdc")


@pytest.mark.parametrize("n", [10000])
def test_prdc_gemm_floor(benchmark, n):
    """The floor PRDC cannot beat: the three float32 GEMMs its distances need, in full."""
    import torch

    real, fake = (torch.from_numpy(a) for a in _features(n, 2048, seed=n))

    def gemms():
        return torch.mm(real, real.T), torch.mm(fake, fake.T), torch.mm(real, fake.T)

    _, peak = peak_memory_mb(gemms)
    group = f"prdc N=M={n} D=2048 k=5"
    benchmark.group = group
    benchmark.pedantic(gemms, rounds=1, iterations=1)
    record(benchmark, group, "3 float32 GEMMs (floor)", peak)


@pytest.mark.parametrize("n,d", [(10000, 2048), (20000, 512)])
@pytest.mark.parametrize("impl", ["faiss IndexFlatL2", "fastgan.ops.knn_radii"])
def test_knn_radii(benchmark, impl, n, d):
    real, _ = _features(n, d, seed=1)
    if impl == "faiss IndexFlatL2":
        faiss = pytest.importorskip("faiss")

        def run():
            index = faiss.IndexFlatL2(d)
            index.add(real)
            distances, _ = index.search(real, 6)  # itself + 5 neighbours
            return np.sqrt(distances[:, 5])

    else:

        def run():
            return fastgan.ops.knn_radii(real, 5).numpy()

    _, peak = peak_memory_mb(run)
    group = f"knn_radii N={n} D={d} k=5"
    benchmark.group = group
    benchmark.pedantic(run, rounds=2, iterations=1)
    record(benchmark, group, impl, peak, anchor=impl.startswith("faiss"))


SCALE = [(40000, 512)] + ([(50000, 2048), (100000, 2048)] if LARGE else [])


@pytest.mark.parametrize("n,d", SCALE)
def test_prdc_at_scale(benchmark, n, d):
    real, fake = _features(n, d, seed=7)
    result, peak = peak_memory_mb(fastgan.metrics.prdc, real, fake, 5)
    group = f"prdc N=M={n} D={d} k=5 (fastgan only)"
    benchmark.group = group
    benchmark.extra_info.update(result)
    benchmark.pedantic(fastgan.metrics.prdc, args=(real, fake, 5), rounds=1, iterations=1)
    record(benchmark, group, "fastgan", peak)
