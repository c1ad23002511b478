"""fastgan.compat.pytorch_fid.calculate_frechet_distance: pytorch-fid's signature and numbers."""
import inspect

import numpy as np
import pytest
import scipy.linalg

from fastgan.compat.pytorch_fid import calculate_frechet_distance


def _pytorch_fid_formula(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """pytorch-fid 0.3's computation, written from its published formula (sqrtm of the product,
    eps·I retry when that is not finite, real part when the imaginary one is negligible)."""
    covmean = scipy.linalg.sqrtm(sigma1.dot(sigma2))
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = scipy.linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError("Imaginary component")
        covmean = covmean.real
    diff = mu1 - mu2
    return diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)


def _stats(x):
    x = np.asarray(x, np.float64)
    return x.mean(0), np.cov(x, rowvar=False)


def test_signature_matches_pytorch_fid():
    params = inspect.signature(calculate_frechet_distance).parameters
    assert list(params) == ["mu1", "sigma1", "mu2", "sigma2", "eps"]
    assert params["eps"].default == 1e-6


def test_same_numbers_on_reference_features(reference_dir):
    ref = np.load(reference_dir / "features.npz")
    args = (*_stats(ref["real"]), *_stats(ref["fake"]))
    got = calculate_frechet_distance(*args)
    assert isinstance(got, np.float64)
    assert got == pytest.approx(_pytorch_fid_formula(*args), rel=1e-9)
    assert got == pytest.approx(float(ref["fid"]), rel=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_same_numbers_on_well_conditioned_stats(seed):
    rng = np.random.default_rng(seed)
    d = 40
    x1 = rng.standard_normal((300, d)) * np.logspace(0, -1, d)
    x2 = rng.standard_normal((250, d)) * np.logspace(0, -1.2, d) + 0.1
    args = (*_stats(x1), *_stats(x2))
    assert calculate_frechet_distance(*args) == pytest.approx(_pytorch_fid_formula(*args), rel=1e-9)


def test_singular_covariances_are_exact_and_never_fail():
    # N < D: pytorch-fid's sqrtm becomes unreliable here; fastgan returns the exact
    # distance of the given covariances, without an eps offset and without raising.
    rng = np.random.default_rng(3)
    x1, x2 = rng.standard_normal((20, 64)), rng.standard_normal((30, 64)) + 0.05
    (m1, s1), (m2, s2) = _stats(x1), _stats(x2)
    a = (x1 - m1) / np.sqrt(len(x1) - 1)
    b = (x2 - m2) / np.sqrt(len(x2) - 1)
    exact = (m1 - m2) @ (m1 - m2) + np.trace(s1) + np.trace(s2) - 2 * np.linalg.svd(a @ b.T, compute_uv=False).sum()
    assert calculate_frechet_distance(m1, s1, m2, s2) == pytest.approx(exact, rel=1e-10)
    assert calculate_frechet_distance(m1, s1, m2, s2, eps=1e-3) == pytest.approx(exact, rel=1e-10)
    assert abs(calculate_frechet_distance(m1, s1, m1, s1)) < 1e-10 * np.trace(s1)


def test_scalars_like_np_atleast():
    # pytorch-fid accepts 0-d / 1-d inputs through np.atleast_1d / np.atleast_2d.
    assert calculate_frechet_distance(0.0, 4.0, 1.0, 1.0) == pytest.approx(1.0 + 4.0 + 1.0 - 2 * 2.0)


@pytest.mark.parametrize(
    "args,match",
    [
        ((np.zeros(3), np.eye(3), np.zeros(4), np.eye(4)), "mean vectors have different lengths"),
        ((np.zeros(3), np.eye(3), np.zeros(3), np.eye(4)), "covariances have different dimensions"),
        ((np.zeros(3), np.eye(3), np.zeros(3), np.eye(3), -1.0), "eps must be a number >= 0"),
    ],
)
def test_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        calculate_frechet_distance(*args)
