"""Shared fixtures: seeded generators, the devices to test on, and ../shared/reference."""
import os
from pathlib import Path

import numpy as np
import pytest
import torch

import fastgan

REPO = Path(__file__).resolve().parents[1]
REFERENCE_DIR = Path(os.environ.get("FASTGAN_REFERENCE_DIR", REPO.parent / "shared" / "reference"))

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


@pytest.fixture(scope="session")
def reference_dir():
    """The golden outputs of the established libraries (see its README)."""
    if not REFERENCE_DIR.is_dir():
        pytest.fail(f"reference outputs not found at {REFERENCE_DIR}; set FASTGAN_REFERENCE_DIR")
    return REFERENCE_DIR
