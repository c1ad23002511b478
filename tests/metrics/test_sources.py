"""fastgan.metrics._sources.FeatureSource: every accepted form, and clear errors otherwise."""
import re

import numpy as np
import pytest
import torch

from fastgan.metrics._sources import FeatureSource


def _rows(source, dtype=torch.float64, rows=7):
    return torch.cat([chunk for _, chunk in source.chunks(rows, dtype, torch.device("cpu"))])


@pytest.mark.parametrize("form", ["array", "tensor", "npy", "npy_path", "memmap", "npz_single", "npz_features", "list"])
def test_forms_give_the_same_rows(form, tmp_path, rng):
    data = rng.standard_normal((23, 4)).astype(np.float32)
    np.save(tmp_path / "x.npy", data)
    np.savez(tmp_path / "single.npz", data)
    np.savez(tmp_path / "several.npz", labels=np.arange(23), features=data)
    features = {
        "array": data,
        "tensor": torch.from_numpy(data),
        "npy": str(tmp_path / "x.npy"),
        "npy_path": tmp_path / "x.npy",
        "memmap": np.load(tmp_path / "x.npy", mmap_mode="r"),
        "npz_single": str(tmp_path / "single.npz"),
        "npz_features": tmp_path / "several.npz",
        "list": data.tolist(),
    }[form]
    source = FeatureSource(features, "real")
    assert (source.rows, source.dims) == (23, 4)
    assert source.is_float32 == (form != "list")
    assert source.device == torch.device("cpu")
    torch.testing.assert_close(_rows(source), torch.from_numpy(data).double(), rtol=0, atol=0)
    assert source.load(5, 9, torch.float32, torch.device("cpu")).shape == (4, 4)
    assert source.load(20, 99, torch.float32, torch.device("cpu")).shape == (3, 4)


def test_chunk_rows():
    source = FeatureSource(np.zeros((100, 8), dtype=np.float32), "real")
    assert source.chunk_rows(torch.float32, 4096) == 128
    assert source.chunk_rows(torch.float64, 4096) == 64
    assert source.chunk_rows(torch.float64, 1, minimum=6) == 6


def test_integer_and_float16_inputs_are_not_float32():
    assert not FeatureSource(np.zeros((3, 2), dtype=np.int64), "real").is_float32
    assert not FeatureSource(torch.zeros(3, 2, dtype=torch.float16), "real").is_float32
    assert FeatureSource(torch.zeros(3, 2), "real").is_float32


def test_npz_with_several_arrays_is_a_clear_error(tmp_path):
    np.savez(tmp_path / "two.npz", a=np.zeros((3, 2)), b=np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"several arrays \['a', 'b'\].*'features'"):
        FeatureSource(tmp_path / "two.npz", "real")


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="fake features: no such file"):
        FeatureSource(tmp_path / "missing.npy", "fake")


def test_unknown_file_type_is_a_clear_error(tmp_path):
    (tmp_path / "x.txt").write_text("1 2\n3 4\n")
    with pytest.raises(ValueError, match="neither a .npy nor a .npz"):
        FeatureSource(tmp_path / "x.txt", "real")


@pytest.mark.parametrize("shape", [(5,), (), (2, 3, 4)])
def test_not_2d_is_a_value_error(shape):
    with pytest.raises(ValueError, match=r"real features must be a 2-D array \[N, D\]"):
        FeatureSource(np.zeros(shape, dtype=np.float32), "real")
    with pytest.raises(ValueError, match="2-D"):
        FeatureSource(torch.zeros(shape), "real")


@pytest.mark.parametrize(
    "features",
    [
        np.array([["a", "b"], ["c", "d"]]),
        np.zeros((3, 2), dtype=bool),
        np.zeros((3, 2), dtype=np.complex64),
        np.array([[object(), object()]], dtype=object),
        torch.zeros(3, 2, dtype=torch.bool),
        torch.zeros(3, 2, dtype=torch.complex64),
    ],
)
def test_non_numeric_is_a_type_error(features):
    with pytest.raises(TypeError, match="fake features must be numeric"):
        FeatureSource(features, "fake")


def test_ragged_list_is_a_type_error():
    with pytest.raises(TypeError, match="real features must be a tensor, an array or a .npy/.npz path"):
        FeatureSource([[1.0, 2.0], [3.0]], "real")


def test_non_finite_rows_are_named_on_load():
    data = np.zeros((10, 3), dtype=np.float32)
    data[8, 1] = np.inf
    source = FeatureSource(data, "fake")
    assert source.load(0, 5, torch.float32, torch.device("cpu")).shape == (5, 3)
    with pytest.raises(ValueError, match="fake contains NaN or Inf") as info:
        source.load(5, 10, torch.float32, torch.device("cpu"))
    assert "row 8)" in str(info.value)
