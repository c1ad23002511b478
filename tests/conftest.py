"""Shared fixtures: seeded generators, the devices to test on, and the golden reference outputs."""
import os
from pathlib import Path

import numpy as np
import pytest
import torch

import fastgan
from seeded import reference_outputs, seeded_lpips

REPO = Path(__file__).resolve().parents[1]
# The golden outputs live in the repository (tests/data/reference, copied from the
# project's shared reference folder), so a fresh clone tests without anything beside it.
REFERENCE_DIR = Path(os.environ.get("FASTGAN_REFERENCE_DIR", REPO / "tests" / "data" / "reference"))

CUDA_READY = torch.cuda.is_available() and fastgan.has_cuda()
requires_cuda = pytest.mark.skipif(not CUDA_READY, reason="needs a CUDA device and fastgan's CUDA kernels")

# Every op test that takes `device` runs on the CPU and, where possible, on CUDA.
DEVICES = ["cpu", pytest.param("cuda", marks=[requires_cuda, pytest.mark.cuda])]


@pytest.fixture(params=DEVICES)
def device(request):
    return torch.device(request.param)


@pytest.fixture
def gen():
    """A fresh seeded torch.Generator per test, so tests do not depend on their order."""
    return torch.Generator().manual_seed(1234)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def one_thread(monkeypatch):
    """One intra-op thread for the test (and OMP_NUM_THREADS=1 for its subprocesses):
    tiny models run faster without OpenMP overhead on a busy CPU."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # for the CLI subprocesses
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def reference_dir():
    """The golden outputs of the established libraries (see its README)."""
    if not REFERENCE_DIR.is_dir():
        pytest.fail(f"reference outputs not found at {REFERENCE_DIR}; set FASTGAN_REFERENCE_DIR")
    return REFERENCE_DIR


@pytest.fixture(scope="session")
def networks_ref(reference_dir):
    """tests/data/reference/networks.pt: inputs, pytorch-fid and lpips outputs, real LPIPS linear layers."""
    return reference_outputs(reference_dir / "networks.pt")


@pytest.fixture(scope="module")
def lpips_alex(networks_ref):
    """LPIPS-alex with the seeded backbone and the real v0.1 linear layers, as the reference
    was computed. One per test module, so a module's metrics never share it with another's."""
    return seeded_lpips("alex", networks_ref["lpips_alex_lin"])
