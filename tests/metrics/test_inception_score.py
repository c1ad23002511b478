"""fastgan.metrics.inception_score against the reference and the original's split rule."""
import numpy as np
import pytest
import torch

from fastgan.metrics import inception_score


def _original_is(logits, splits):
    """Direct NumPy transcription of the definition with the original's split rows."""
    logits = np.asarray(logits, np.float64)
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    n = len(p)
    scores = []
    for k in range(splits):
        part = p[k * n // splits : (k + 1) * n // splits]
        kl = (part * (np.log(part) - np.log(part.mean(0, keepdims=True)))).sum(1).mean()
        scores.append(np.exp(kl))
    return np.mean(scores), np.std(scores)


@pytest.mark.parametrize("convert", [np.asarray, torch.from_numpy, lambda a: torch.from_numpy(a).double()])
def test_matches_reference(convert, reference_dir):
    ref = np.load(reference_dir / "features.npz")
    mean, std = inception_score(convert(ref["is_logits"]), splits=10)
    want_mean, want_std = ref["is_mean_std"]
    assert mean == pytest.approx(float(want_mean), rel=1e-6)
    assert std == pytest.approx(float(want_std), rel=1e-6)


@pytest.mark.parametrize("n,splits", [(37, 10), (10, 10), (23, 1), (101, 7)])
def test_consecutive_splits_of_the_original(n, splits, rng):
    logits = rng.standard_normal((n, 13)) * 3
    got = inception_score(logits, splits=splits)
    assert got == pytest.approx(_original_is(logits, splits), rel=1e-12)


def test_order_matters_and_is_kept(rng):
    # Sorting rows changes the splits, so the std differs: no shuffling happens inside.
    logits = rng.standard_normal((40, 5)) * 4
    order = np.argsort(logits[:, 0])
    assert inception_score(logits[order], splits=4) == pytest.approx(_original_is(logits[order], 4), rel=1e-12)
    assert inception_score(logits[order], splits=4)[1] != pytest.approx(inception_score(logits, splits=4)[1])


def test_known_values():
    # Identical predictions: KL = 0, IS = 1. Confident, evenly spread over C classes: IS -> C.
    assert inception_score(np.zeros((20, 6)), splits=2) == pytest.approx((1.0, 0.0), abs=1e-12)
    confident = np.tile(np.eye(8) * 200.0, (5, 1))
    mean, std = inception_score(confident, splits=5)
    assert mean == pytest.approx(8.0, rel=1e-12) and std == pytest.approx(0.0, abs=1e-9)


def test_extreme_logits_stay_finite():
    # exp underflows to 0 for most classes: those terms must count 0, not NaN.
    logits = np.full((6, 4), -1e4)
    logits[np.arange(6), [0, 1, 2, 0, 1, 2]] = 1e4
    mean, std = inception_score(logits, splits=2)
    assert mean == pytest.approx(3.0, rel=1e-12) and np.isfinite(std)


@pytest.mark.parametrize(
    "logits,splits,error,match",
    [
        (np.zeros((5, 3)), 6, ValueError, "5 rows, fewer than splits=6"),
        (np.zeros((5, 3)), 0, ValueError, "splits must be an integer >= 1"),
        (np.zeros(5), 1, ValueError, "2-D matrix"),
        (np.zeros((5, 3), dtype=np.int64), 1, TypeError, "floating point"),
        (np.array([[0.0, np.nan]]), 1, ValueError, "NaN or Inf"),
    ],
)
def test_bad_input(logits, splits, error, match):
    with pytest.raises(error, match=match):
        inception_score(logits, splits=splits)
