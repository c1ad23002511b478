"""fastgan.compat.prdc: a drop-in for `prdc.compute_prdc` (signature, output, numbers)."""
import inspect

import numpy as np
import pytest
import torch

from fastgan.compat.prdc import compute_prdc

prdc_package = pytest.importorskip("prdc")

# prdc's scikit-learn call warns about its own joblib use; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:`sklearn.utils.parallel.delayed`:UserWarning")


def test_same_signature():
    ours = inspect.signature(compute_prdc)
    theirs = inspect.signature(prdc_package.compute_prdc)
    assert list(ours.parameters) == list(theirs.parameters) == ["real_features", "fake_features", "nearest_k"]
    for name, param in theirs.parameters.items():
        assert ours.parameters[name].kind == param.kind
        assert ours.parameters[name].default == param.default


@pytest.mark.parametrize("n,m,d,k,dtype", [(120, 95, 7, 5, np.float32), (60, 140, 1, 1, np.float64), (33, 41, 16, 10, np.float32)])
def test_same_output_and_numbers(n, m, d, k, dtype, rng, capsys):
    real = rng.standard_normal((n, d)).astype(dtype)
    fake = (rng.standard_normal((m, d)) * 1.2).astype(dtype)
    want = prdc_package.compute_prdc(real, fake, k)
    printed_by_prdc = capsys.readouterr().out
    got = compute_prdc(real, fake, k)
    assert capsys.readouterr().out == printed_by_prdc == f"Num real: {n} Num fake: {m}\n"
    assert isinstance(got, dict) and list(got) == list(want)
    for key, value in want.items():
        assert type(got[key]) is np.float64, key
        assert got[key] == value, key


def test_keyword_arguments_and_tensors(rng, capsys):
    real = rng.standard_normal((80, 4)).astype(np.float32)
    fake = rng.standard_normal((70, 4)).astype(np.float32)
    want = prdc_package.compute_prdc(real_features=real, fake_features=fake, nearest_k=3)
    assert compute_prdc(real_features=real, fake_features=fake, nearest_k=3) == want
    assert compute_prdc(torch.from_numpy(real), torch.from_numpy(fake), 3) == want
    assert "Num real: 80 Num fake: 70" in capsys.readouterr().out


def test_golden_values(reference_dir, capsys):
    data = np.load(reference_dir / "features.npz")
    got = compute_prdc(data["real"], data["fake"], nearest_k=3)
    assert [got[key] for key in ("precision", "recall", "density", "coverage")] == data["prdc_k3"].tolist()
    assert capsys.readouterr().out == "Num real: 1500 Num fake: 1200\n"


def test_too_few_samples_is_a_clear_error(rng):
    with pytest.raises(ValueError, match="nearest_k=5 needs more than 5 real samples"):
        compute_prdc(rng.standard_normal((5, 3)), rng.standard_normal((10, 3)), 5)
