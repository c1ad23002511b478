"""The compiled library loads and reports what it was built with."""
import warnings

import pytest
import torch

import fastgan
from fastgan import _ext


def test_library_is_built_and_loaded():
    # The suite runs after `make install`, which always builds the CPU kernels.
    assert fastgan.available(), _ext.load_error()
    assert hasattr(torch.ops.fastgan, "pairwise_distances")


def test_build_info_names_compiler_and_openmp():
    info = _ext.build_info()
    assert info["compiler"] != "unknown"
    assert info["openmp"] != "none", "CPU kernels must be built with OpenMP"


def test_has_cuda_matches_the_machine():
    assert fastgan.has_cuda() == (_ext.compiled_with_cuda() and torch.cuda.is_available())


def test_missing_build_warns_once_and_falls_back(monkeypatch):
    monkeypatch.setitem(_ext._state, "loaded", False)
    monkeypatch.setitem(_ext._state, "error", "no compiled library (test)")
    monkeypatch.setitem(_ext._state, "warned", False)
    x = torch.randn(5, 3, dtype=torch.float64)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = fastgan.ops.pairwise_distances(x, x)
        fastgan.ops.pairwise_distances(x, x)
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(messages) == 1 and "no compiled library (test)" in messages[0]
    torch.testing.assert_close(first, torch.cdist(x, x), rtol=1e-12, atol=1e-12)
    with pytest.raises(RuntimeError, match="no compiled kernel"):
        fastgan.ops.pairwise_distances(x, x, impl="compiled")
