"""fastgan.metrics.kid / polynomial_mmd2 against the reference and a direct NumPy estimator."""
import numpy as np
import pytest
import torch

from fastgan.metrics import kid, polynomial_mmd2


def _direct_mmd2(x, y, degree=3, gamma=None, coef0=1.0):
    """Unbiased MMD² by explicit masks over the pairs, in float64."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    m = len(x)
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    off_diagonal = ~np.eye(m, dtype=bool)
    k_xx = (gamma * x @ x.T + coef0) ** degree
    k_yy = (gamma * y @ y.T + coef0) ** degree
    k_xy = (gamma * x @ y.T + coef0) ** degree
    return k_xx[off_diagonal].mean() + k_yy[off_diagonal].mean() - 2 * k_xy.mean()


def _features(rng, n, d, shift=0.0):
    return (rng.standard_normal((n, d)) + shift).astype(np.float32)


@pytest.mark.parametrize("convert", [np.asarray, torch.from_numpy])
def test_matches_reference_full_mmd2(convert, reference_dir):
    ref = np.load(reference_dir / "features.npz")
    real, fake = convert(ref["real"][:1000]), convert(ref["fake"][:1000])
    want = float(ref["kid_full_mmd2"])
    mean, std = kid(real, fake, subsets=1, subset_size=1000)
    assert mean == pytest.approx(want, rel=1e-6) and std == 0.0
    assert polynomial_mmd2(real, fake) == pytest.approx(want, rel=1e-10)


def test_subsets_follow_numpy_random_state(rng):
    x, y = _features(rng, 90, 12), _features(rng, 70, 12, shift=0.2)
    sampler = np.random.RandomState(7)
    values = []
    for _ in range(5):
        rows_x = sampler.choice(90, 40, replace=False)
        rows_y = sampler.choice(70, 40, replace=False)
        values.append(_direct_mmd2(x[rows_x], y[rows_y]))
    mean, std = kid(x, y, subsets=5, subset_size=40, seed=7)
    assert mean == pytest.approx(np.mean(values), rel=1e-10)
    assert std == pytest.approx(np.std(values), rel=1e-8)  # ddof=0


@pytest.mark.parametrize("degree,gamma,coef0", [(1, None, 0.0), (2, 0.5, 2.0), (3, None, 1.0), (5, 0.01, -1.0)])
def test_kernel_parameters(degree, gamma, coef0, rng):
    x, y = _features(rng, 31, 7), _features(rng, 31, 7, shift=0.5)
    got = polynomial_mmd2(x, y, degree=degree, gamma=gamma, coef0=coef0)
    assert got == pytest.approx(_direct_mmd2(x, y, degree, gamma, coef0), rel=1e-10, abs=1e-13)


def test_float32_and_float64_agree(rng):
    x, y = _features(rng, 50, 16), _features(rng, 50, 16, shift=0.3)
    a = kid(x, y, subsets=3, subset_size=20)
    b = kid(x.astype(np.float64), torch.from_numpy(y.astype(np.float64)).numpy(), subsets=3, subset_size=20)
    assert a == pytest.approx(b, rel=1e-12)


def test_same_distribution_is_near_zero_and_shift_is_positive(rng):
    x, y, z = _features(rng, 400, 8), _features(rng, 400, 8), _features(rng, 400, 8, shift=1.0)
    same, same_std = kid(x, y, subsets=20, subset_size=100)
    shifted, _ = kid(x, z, subsets=20, subset_size=100)
    assert abs(same) < 3 * same_std + 1e-3  # unbiased: centred on 0
    assert shifted > 100 * abs(same)


@pytest.mark.cuda
def test_cuda_matches_cpu(rng):
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    x, y = _features(rng, 60, 10), _features(rng, 60, 10, shift=0.1)
    want = kid(x, y, subsets=4, subset_size=30)
    got = kid(torch.from_numpy(x).cuda(), torch.from_numpy(y).cuda(), subsets=4, subset_size=30)
    assert got == pytest.approx(want, rel=1e-9)


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"subset_size": 11}, ValueError, "real has 10 samples, fewer than subset_size=11"),
        ({"subset_size": 1}, ValueError, "subset_size must be an integer >= 2"),
        ({"subsets": 0}, ValueError, "subsets must be an integer >= 1"),
        ({"degree": 0}, ValueError, "degree"),
        ({"gamma": -1.0}, ValueError, "gamma"),
        ({"coef0": float("nan")}, ValueError, "coef0"),
    ],
)
def test_bad_parameters(kwargs, error, match, rng):
    x, y = _features(rng, 10, 3), _features(rng, 12, 3)
    kwargs = {"subsets": 2, "subset_size": 5, **kwargs}
    with pytest.raises(error, match=match):
        kid(x, y, **kwargs)


def test_bad_features(rng):
    x = _features(rng, 10, 3)
    with pytest.raises(ValueError, match="fake has 4 samples, fewer than subset_size=5"):
        kid(x, x[:4], subset_size=5)
    with pytest.raises(ValueError, match="feature sizes differ"):
        kid(x, _features(rng, 10, 4), subset_size=5)
    with pytest.raises(ValueError, match="fake contains NaN or Inf"):
        kid(x, np.full((10, 3), np.inf, dtype=np.float32), subset_size=5)
    with pytest.raises(ValueError, match="2-D feature matrix"):
        kid(x[0], x, subset_size=5)
    with pytest.raises(TypeError, match="floating point"):
        kid(x, np.ones((10, 3), dtype=np.int64), subset_size=5)
    with pytest.raises(ValueError, match="same number of rows"):
        polynomial_mmd2(x, x[:5])
