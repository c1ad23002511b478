"""fastgan.metrics.vendi_score against the Vendi score's own package (vendi-score 0.0.3,
Friedman & Dieng), installed by `make install` as a test-only anchor; skipped without it."""
import numpy as np
import pytest

from fastgan.metrics import vendi_score

vendi = pytest.importorskip("vendi_score.vendi")
# vendi-score 0.0.3 looks up scipy.sparse.csr.csr_matrix, which newer SciPy deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:Please import `csr_matrix`:DeprecationWarning")


@pytest.fixture
def features():
    rng = np.random.default_rng(7)
    clusters = rng.standard_normal((5, 48)) * 3
    x = clusters[rng.integers(0, 5, 300)] + rng.standard_normal((300, 48))
    return np.vstack([x, x[:20]])  # duplicates: the score must count them once each


@pytest.mark.parametrize("q", [0.5, 1, 2, "inf"])
def test_cosine_equals_score_dual(features, q):
    assert vendi_score(features, q=q) == pytest.approx(vendi.score_dual(features, q=q), rel=1e-9)


def test_cosine_equals_the_n_by_n_route(features):
    # score_X builds the n x n cosine kernel (and always uses q = 1, whatever q it is given).
    assert vendi_score(features, q=1) == pytest.approx(vendi.score_X(features), rel=1e-9)


def test_rbf_order_two_equals_score_k(features):
    gamma = 1.0 / 48
    d2 = ((features[:, None, :] - features[None, :, :]) ** 2).sum(-1)
    want = vendi.score_K(np.exp(-gamma * d2), q=2)
    assert vendi_score(features, q=2, kernel="rbf", gamma=gamma) == pytest.approx(want, rel=1e-9)
