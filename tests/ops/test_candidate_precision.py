"""The bfloat16 candidate pass of the CPU distance kernels (FASTGAN_CANDIDATE_PRECISION).

Large float32 k-NN and ball-count problems take their Gram tiles from a bfloat16
GEMM and settle every decision inside the (per-pair, proven) rounding band exactly;
ball-count tiles that need too many re-checks are redone in float32, k-NN queries the
bfloat16 candidates cannot prove get a float32 pass of their own. Whatever the
precision, results must equal the plain-PyTorch reference. The data sets below are
chosen to reach each of those paths: well-spread high-dimensional points (the fast
path), points far from their common mean with tiny neighbour distances (a band much
wider than the distances: float32 re-passes and escalated tiles), duplicates
(zero distances, ties), tiny coordinates (below the denormal guard: float32 only).
"""
import pytest
import torch

from fastgan.ops import knn
from fastgan.ops.ball_counts import _reference as ball_reference
from fastgan.ops.ball_counts import ball_statistics
from fastgan.ops.knn import _reference as knn_reference

PRECISIONS = ["bfloat16", "float32", "auto"]


def _dyadic(values, step):
    # Multiples of `step` (a power of two) of moderate size: every squared distance is
    # exact in float64 whatever the summation order, so points on a radius are exactly
    # on it for the kernel and the reference alike.
    return (values / step).round() * step


def _spread(gen, n, d):
    return _dyadic(torch.randn(n, d, generator=gen), 2.0**-6)


def _far_and_close(gen, n, d):
    # A 2-D sheet far from the origin: centring cannot shrink its norms below the
    # spread (~20), while neighbours are ~0.1 apart.
    basis = torch.randn(2, d, generator=gen)
    return _dyadic(20.0 * torch.randn(n, 2, generator=gen) @ basis / d**0.5, 2.0**-6) + 500.0


def _duplicates(gen, n, d):
    base = _spread(gen, (n + 2) // 3, d)
    return base.repeat(3, 1)[:n]


def _tiny(gen, n, d):
    return _dyadic(torch.randn(n, d, generator=gen), 2.0**-6) * 2.0**-40


DATA = {"spread": _spread, "far_and_close": _far_and_close, "duplicates": _duplicates, "tiny": _tiny}
# (rows, other rows, features): primes, past the 256 tiles, one row.
SIZES = [(1, 7, 64), (131, 257, 96), (300, 37, 128)]


@pytest.fixture(params=PRECISIONS)
def precision(request, monkeypatch):
    monkeypatch.setenv("FASTGAN_CANDIDATE_PRECISION", request.param)
    return request.param


def _assert_knn_equal(got, want):
    assert torch.equal(got[1], want[1])
    torch.testing.assert_close(got[0], want[0], rtol=1e-12, atol=0.0)


@pytest.mark.parametrize("kind", sorted(DATA))
@pytest.mark.parametrize("n,m,d", SIZES)
def test_knn_self_equals_reference(precision, kind, n, m, d, gen):
    x = DATA[kind](gen, max(n, 6), d)
    k = min(5, x.shape[0] - 1)
    got = knn(x, None, k, float64_squared=True, impl="compiled")
    _assert_knn_equal(got, knn_reference(x, x, k, exclude_self=True))


@pytest.mark.parametrize("kind", sorted(DATA))
@pytest.mark.parametrize("n,m,d", SIZES)
def test_knn_cross_equals_reference(precision, kind, n, m, d, gen):
    data = DATA[kind](gen, n + m, d)
    query, ref = data[:n], data[n:]
    k = min(5, m)
    got = knn(query, ref, k, float64_squared=True, impl="compiled")
    _assert_knn_equal(got, knn_reference(query, ref, k, exclude_self=False))


def _thresholds(x, k):
    """Squared k-NN radii of x: half the k-th neighbours sit exactly on a boundary."""
    return knn(x, None, k, float64_squared=True, impl="reference")[0][:, -1].contiguous()


@pytest.mark.parametrize("kind", sorted(DATA))
@pytest.mark.parametrize("n,m,d", SIZES)
@pytest.mark.parametrize("x_in_y_any", [False, True])
def test_ball_counts_equal_reference(precision, kind, n, m, d, x_in_y_any, gen):
    data = DATA[kind](gen, max(n, 6) + max(m, 6), d)
    x, y = data[: max(n, 6)], data[max(n, 6):]
    # Queries include some centres, so k-th neighbours lie exactly on radii.
    y = torch.cat([y, x[: x.shape[0] // 2]])
    x_thr, y_thr = _thresholds(x, 3), _thresholds(y, 3)
    weights = torch.where(x_thr <= x_thr.median(), x_thr, torch.zeros_like(x_thr))
    got = ball_statistics(x, y, x_thr, y_thr, weights, x_in_y_any=x_in_y_any, impl="compiled")
    want = ball_reference(x, y, x_thr, y_thr, weights, x_in_y_any=x_in_y_any)
    for name, a, b in zip(["y_in_x", "x_ball_hits", "x_in_y", "realism"], got, want):
        if name == "realism":
            torch.testing.assert_close(a, b, rtol=1e-12, atol=0.0, msg=name)
        else:
            assert torch.equal(a, b), name


def test_x_in_y_any_is_the_sign_of_the_count(gen):
    x, y = torch.randn(40, 8, generator=gen), torch.randn(50, 8, generator=gen)
    x_thr, y_thr = _thresholds(x, 3), _thresholds(y, 3)
    counts = ball_statistics(x, y, x_thr, y_thr, impl="compiled")[2]
    flags = ball_statistics(x, y, x_thr, y_thr, x_in_y_any=True, impl="compiled")[2]
    assert counts.max() > 1  # the data must tell a count from a flag
    assert torch.equal(flags, (counts > 0).long())


def test_prdc_is_the_same_in_both_precisions(monkeypatch, gen):
    from fastgan.metrics import prdc

    real = torch.randn(600, 192, generator=gen)
    fake = 1.05 * torch.randn(500, 192, generator=gen) + 0.05
    results = {}
    for setting in ("bfloat16", "float32"):
        monkeypatch.setenv("FASTGAN_CANDIDATE_PRECISION", setting)
        results[setting] = prdc(real, fake, nearest_k=5, per_sample=True)
    for key, value in results["float32"].items():
        other = results["bfloat16"][key]
        assert (value == other) if isinstance(value, float) else (value == other).all(), key


def test_unknown_setting_is_refused(monkeypatch, gen):
    monkeypatch.setenv("FASTGAN_CANDIDATE_PRECISION", "half")
    x = torch.randn(20, 4, generator=gen)
    with pytest.raises(RuntimeError, match="FASTGAN_CANDIDATE_PRECISION must be auto, bfloat16 or float32"):
        knn(x, None, 3, impl="compiled")


@pytest.mark.parametrize("rows,cols,d", [(1, 1, 2048), (256, 256, 2048), (256, 1024, 2048), (17, 300, 64)])
def test_bfloat16_matmul_accumulates_in_float32(rows, cols, d):
    """The band of the bfloat16 tiles assumes at::mm sums bfloat16 products in float32
    (then rounds each entry once): 1 + (d - 1) 2^-10 stays 1 if it summed in bfloat16."""
    x = torch.full((rows, d), 2.0**-10)
    x[:, 0] = 1.0
    gram = torch.mm(x.bfloat16(), torch.ones(cols, d).bfloat16().T).float()
    exact = 1.0 + (d - 1) * 2.0**-10
    assert torch.all((gram - exact).abs() <= exact * 2.0**-8)
