"""fastgan.metrics.frechet_distance / fid_from_features against pytorch-fid's numbers."""
import numpy as np
import pytest
import scipy.linalg
import torch

from fastgan.metrics import FeatureStats, fid_from_features, frechet_distance

METHODS = ["auto", "cholesky", "eigh", "newton_schulz"]


def _scipy_fid(mu1, sigma1, mu2, sigma2):
    """pytorch-fid's formula (scipy.linalg.sqrtm of the product), for well-conditioned inputs."""
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean).real)


def _nuclear_fid(x1, x2):
    """Exact FID from the features via the nuclear norm of A Bᵀ (no D x D square root)."""
    x1, x2 = np.asarray(x1, np.float64), np.asarray(x2, np.float64)
    a = (x1 - x1.mean(0)) / np.sqrt(len(x1) - 1)
    b = (x2 - x2.mean(0)) / np.sqrt(len(x2) - 1)
    diff = x1.mean(0) - x2.mean(0)
    trace_sqrt = np.linalg.svd(a @ b.T, compute_uv=False).sum()
    return float(diff @ diff + (a * a).sum() + (b * b).sum() - 2 * trace_sqrt)


def _features(rng, n, d, shift=0.0):
    return (rng.standard_normal((n, d)) * np.logspace(0, -1.5, d) + shift).astype(np.float32)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("convert", ["numpy", "torch", "float64"])
def test_matches_reference_fid(method, convert, reference_dir):
    ref = np.load(reference_dir / "features.npz")
    real, fake = ref["real"], ref["fake"]
    if convert == "torch":
        real, fake = torch.from_numpy(real), torch.from_numpy(fake)
    elif convert == "float64":
        real, fake = real.astype(np.float64), fake.astype(np.float64)
    got = fid_from_features(real, fake, method=method)
    assert got == pytest.approx(float(ref["fid"]), rel=1e-6)
    assert got == pytest.approx(float(ref["fid"]), rel=1e-10)  # in fact to rounding


def test_frechet_distance_matches_scipy_formula(rng):
    x1, x2 = _features(rng, 400, 48), _features(rng, 350, 48, shift=0.3)
    m1, s1 = x1.astype(np.float64).mean(0), np.cov(x1, rowvar=False)
    m2, s2 = x2.astype(np.float64).mean(0), np.cov(x2, rowvar=False)
    want = _scipy_fid(m1, s1, m2, s2)
    for method in METHODS:
        assert frechet_distance(m1, s1, m2, s2, method=method) == pytest.approx(want, rel=1e-9)
    # torch inputs, float32 statistics: computed in float64 from the given values.
    got = frechet_distance(torch.from_numpy(m1).float(), torch.from_numpy(s1).float(), m2, s2)
    want32 = _scipy_fid(m1.astype(np.float32).astype(np.float64), s1.astype(np.float32).astype(np.float64), m2, s2)
    assert got == pytest.approx(want32, rel=1e-9)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("sizes", [(30, 300), (25, 40), (300, 12)])
def test_singular_covariances(method, sizes, rng):
    # Fewer samples than features on one or both sides: exact, no exception, no eps.
    x1, x2 = _features(rng, sizes[0], 64), _features(rng, sizes[1], 64, shift=0.2)
    got = fid_from_features(x1, x2, method=method)
    assert got == pytest.approx(_nuclear_fid(x1, x2), rel=1e-9)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("n", [10, 500])
def test_identical_sets_give_zero(method, n, rng):
    x = _features(rng, n, 64, shift=2.0)
    got = fid_from_features(x, x.copy(), method=method)
    scale = float(np.trace(np.cov(x, rowvar=False)))
    assert abs(got) <= 1e-10 * scale
    stats = FeatureStats().update(x)
    assert abs(frechet_distance(stats.mean, stats.cov, stats.mean, stats.cov, method=method)) <= 1e-10 * scale


def test_zero_covariances():
    # Constant features: both covariances are 0, FID is the squared mean distance.
    x1, x2 = np.ones((5, 3)), np.full((4, 3), 3.0)
    assert fid_from_features(x1, x2) == pytest.approx(12.0, rel=1e-12)


@pytest.mark.cuda
def test_cuda_matches_cpu(rng):
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    x1, x2 = _features(rng, 300, 64), _features(rng, 200, 64, shift=0.1)
    want = fid_from_features(x1, x2)
    assert fid_from_features(torch.from_numpy(x1).cuda(), torch.from_numpy(x2).cuda()) == pytest.approx(want, rel=1e-9)


@pytest.mark.parametrize(
    "args,error,match",
    [
        ((np.zeros(3), np.eye(3), np.zeros(4), np.eye(4)), ValueError, "mu1 and mu2 differ in length"),
        ((np.zeros(3), np.eye(4), np.zeros(3), np.eye(3)), ValueError, r"sigma1 must be \[3, 3\]"),
        ((np.zeros(3), np.eye(3), np.zeros(3), np.eye(3)[:2]), ValueError, r"sigma2 must be \[3, 3\]"),
        ((np.zeros((1, 3)), np.eye(3), np.zeros(3), np.eye(3)), ValueError, "mu1 must be a 1-D mean vector"),
        ((np.array([0.0, np.nan, 0.0]), np.eye(3), np.zeros(3), np.eye(3)), ValueError, "mu1 contains NaN or Inf"),
        ((np.zeros(3), np.eye(3), np.zeros(3), np.diag([1.0, np.inf, 1.0])), ValueError, "sigma2 contains NaN or Inf"),
        ((np.zeros(3, dtype=int), np.eye(3), np.zeros(3), np.eye(3)), TypeError, "mu1 must hold floating-point"),
    ],
)
def test_frechet_distance_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        frechet_distance(*args)


@pytest.mark.parametrize(
    "real,fake,match",
    [
        (np.zeros((1, 4)), np.zeros((5, 4)), "real has 1 sample"),
        (np.zeros((5, 4)), np.zeros((5, 3)), "feature sizes differ"),
        (np.zeros(5), np.zeros((5, 4)), "real must be a 2-D feature matrix"),
        (np.zeros((5, 4)), np.full((5, 4), np.nan), "NaN or Inf"),
    ],
)
def test_fid_from_features_bad_input(real, fake, match):
    with pytest.raises(ValueError, match=match):
        fid_from_features(real, fake)
