"""cmmd, vendi_score, fid_infinity, authpct against NumPy transcriptions of their reference formulas."""
import math

import numpy as np
import pytest
import scipy.linalg
import torch

from fastgan.metrics import authpct, cmmd, fid_infinity, is_infinity, vendi_score


@pytest.fixture
def sets(rng):
    real = rng.standard_normal((257, 24))
    fake = 1.1 * rng.standard_normal((191, 24)) + 0.2
    return real, fake


def _rbf_mean(a, b, gamma):
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.exp(-gamma * d2).mean()


@pytest.mark.parametrize("impl", ["auto", "reference"])
def test_cmmd_is_the_reference_v_statistic(sets, impl):
    real, fake = sets
    gamma = 1 / (2 * 10.0**2)
    want = 1000 * (_rbf_mean(real, real, gamma) + _rbf_mean(fake, fake, gamma) - 2 * _rbf_mean(real, fake, gamma))
    assert cmmd(real, fake, impl=impl) == pytest.approx(want, rel=1e-9)
    assert cmmd(torch.from_numpy(real).float(), torch.from_numpy(fake).float()) == pytest.approx(want, rel=1e-5)


def test_cmmd_of_a_set_with_itself_is_zero(sets):
    assert abs(cmmd(sets[0], sets[0])) < 1e-9


def _entropy_exp(eigenvalues, q):
    p = eigenvalues[eigenvalues > 0]
    if q == 1:
        return math.exp(-(p * np.log(p)).sum())
    if q == "inf":
        return math.exp(-np.log(p.max()))
    return math.exp(np.log((p**q).sum()) / (1 - q))


@pytest.mark.parametrize("q", [0.5, 1, 2, "inf"])
def test_vendi_cosine_matches_the_n_by_n_eigenvalues(sets, q):
    x = sets[0]
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    want = _entropy_exp(scipy.linalg.eigvalsh(unit @ unit.T / x.shape[0]), q)
    assert vendi_score(x, q=q) == pytest.approx(want, rel=1e-6)


def test_vendi_rbf_order_two_matches_the_kernel_matrix(sets):
    x = sets[0]
    d2 = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    kernel = np.exp(-d2 / x.shape[1])
    want = _entropy_exp(scipy.linalg.eigvalsh(kernel / x.shape[0]), 2)
    assert vendi_score(x, q=2, kernel="rbf") == pytest.approx(want, rel=1e-9)


def test_vendi_counts_distinct_modes(rng):
    modes = np.eye(32)[:4] * rng.uniform(1, 3, (4, 1))  # orthogonal modes of any scale
    x = np.repeat(modes, 50, axis=0)
    assert vendi_score(x, q=1) == pytest.approx(4.0, rel=1e-9)
    assert vendi_score(np.repeat(modes[:1], 20, axis=0)) == pytest.approx(1.0, rel=1e-9)


def test_authpct_matches_the_full_distance_matrices(sets):
    train, fake = sets
    fake = np.concatenate([fake, train[:30] + 1e-3])  # near-copies of training samples are not authentic
    d_train = np.sqrt(((train[:, None] - train[None]) ** 2).sum(-1))
    np.fill_diagonal(d_train, np.inf)
    d_fake = np.sqrt(((train[:, None] - fake[None]) ** 2).sum(-1))
    nearest = d_fake.argmin(0)
    authentic = d_train.min(0)[nearest] < d_fake.min(0)
    value, details = authpct(train, fake, return_per_sample=True)
    assert value == pytest.approx(100 * authentic.mean(), abs=1e-12)
    assert np.array_equal(details["authentic"].numpy(), authentic)
    assert not details["authentic"][-30:].any()
    np.testing.assert_allclose(details["nearest_train_distance"].numpy(), d_fake.min(0), rtol=1e-12)
    assert np.array_equal(details["nearest_train_index"].numpy(), nearest)


def _numpy_fid(a, b):
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(s1 @ s2).real
    return ((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * root)


def test_fid_infinity_is_the_intercept_of_the_reference_fit(rng):
    real = rng.standard_normal((400, 8))
    fake = rng.standard_normal((900, 8)) * 1.2
    value, sizes, fids = fid_infinity(real, fake, min_n=100, max_n=900, num_points=5, seed=3, return_points=True)
    perm_rng = np.random.RandomState(3)
    want_sizes = np.linspace(100, 900, 5).astype(np.int64)
    want_fids = [_numpy_fid(real, fake[perm_rng.permutation(900)[:n]]) for n in want_sizes]
    np.testing.assert_array_equal(sizes, want_sizes)
    np.testing.assert_allclose(fids, want_fids, rtol=1e-7)
    slope, intercept = np.polyfit(1 / want_sizes, want_fids, 1)
    assert value == pytest.approx(intercept, rel=1e-6)
    assert value < fids.min()  # the bias is positive and falls with N


def _numpy_is(logits):
    """The Inception Score of one split, as the reference computes it (softmax, then KL to the marginal)."""
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    kl = (p * (np.log(p) - np.log(p.mean(0, keepdims=True)))).sum(1)
    return float(np.exp(kl.mean()))


def test_is_infinity_is_the_intercept_of_the_reference_fit(rng):
    logits = rng.standard_normal((700, 10)) * 2
    value, sizes, scores = is_infinity(logits, min_n=50, num_points=6, seed=1, return_points=True)
    perm_rng = np.random.RandomState(1)
    want_sizes = np.linspace(50, 700, 6).astype(np.int64)
    want = [_numpy_is(logits[perm_rng.permutation(700)[:n]]) for n in want_sizes]
    np.testing.assert_array_equal(sizes, want_sizes)
    np.testing.assert_allclose(scores, want, rtol=1e-9)
    slope, intercept = np.polyfit(1 / want_sizes, want, 1)
    assert value == pytest.approx(intercept, rel=1e-9)
    with pytest.raises(ValueError, match="max_n"):
        is_infinity(logits, min_n=800)


@pytest.mark.parametrize("call, error, match", [
    (lambda r, f: cmmd(r, f[:, :5]), ValueError, "feature sizes differ"),
    (lambda r, f: cmmd(r, f, sigma=0), ValueError, "sigma"),
    (lambda r, f: vendi_score(r, q=-1), ValueError, "q must"),
    (lambda r, f: vendi_score(r, q=1, kernel="rbf"), ValueError, "q = 2 only"),
    (lambda r, f: vendi_score(r, kernel="laplace"), ValueError, "kernel"),
    (lambda r, f: vendi_score(np.zeros((3, 4))), ValueError, "all-zero row"),
    (lambda r, f: authpct(r[:1], f), ValueError, "at least 2"),
    (lambda r, f: fid_infinity(r, f, min_n=100, max_n=5000), ValueError, "max_n"),
    (lambda r, f: fid_infinity(r, f, num_points=1, min_n=10), ValueError, "num_points"),
    (lambda r, f: cmmd(np.full((3, 24), np.nan), f), ValueError, "NaN"),
    (lambda r, f: authpct(r.astype(np.int64), f), None, None),
])
def test_bad_input_is_a_clear_error(sets, call, error, match):
    real, fake = sets
    if error is None:  # integer features are accepted (as float64)
        call(real, fake)
        return
    with pytest.raises(error, match=match):
        call(real, fake)
