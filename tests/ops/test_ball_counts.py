"""fastgan.ops.ball_counts / ball_statistics: the compiled kernel against the reference.

Counts are exact (pairs near a radius are recomputed in float64), so they must
equal the reference's; radii come from knn_radii, which puts the k-th neighbour
of every centre exactly on its boundary.
"""
import numpy as np
import pytest
import torch

from fastgan.ops import ball_counts, knn_radii
from fastgan.ops.ball_counts import _reference, ball_statistics, radii_to_thresholds

# (centres, queries, features): single points, primes, sizes past the 256 tiles.
SHAPES = [(1, 1, 1), (1, 5, 3), (7, 1, 2), (37, 53, 1), (257, 263, 67), (513, 131, 5), (61, 89, 300)]


def _dyadic(rows, d, gen, dtype):
    """Random multiples of 1/8 in [-8, 8): every squared distance is exact in float64,
    whatever the summation order, so points on a radius are exactly on it for both
    implementations."""
    return (torch.randint(-64, 64, (rows, d), generator=gen).double() / 8).to(dtype)


def _near_boundary(centers, radii, gen, relative):
    """One query per centre at radius * (1 -/+ relative) from it, alternately inside and outside."""
    c = centers.double().cpu()
    direction = torch.randn(c.shape, generator=gen, dtype=torch.float64)
    direction /= direction.norm(dim=1, keepdim=True)
    sign = torch.where(torch.arange(c.shape[0]) % 2 == 0, -1.0, 1.0).double()
    scale = radii.double().cpu() * (1 + sign * relative)
    return (c + direction * scale[:, None]).to(centers.dtype).to(centers.device), sign


@pytest.mark.parametrize("n,m,d", SHAPES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_counts_match_reference_on_exact_boundaries(n, m, d, dtype, device, gen):
    centers = _dyadic(n, d, gen, dtype).to(device)
    # Half the queries are centres: their k-th neighbours sit exactly on the radii.
    query = torch.cat([_dyadic(m, d, gen, dtype).to(device), centers[: (n + 1) // 2]])
    k = min(3, n - 1)
    radii = knn_radii(centers, k) if k >= 1 else torch.ones(n, dtype=dtype, device=device)
    for inclusive in (False, True):
        got = ball_counts(query, centers, radii, inclusive=inclusive, impl="compiled")
        want = ball_counts(query, centers, radii, inclusive=inclusive, impl="reference")
        assert got.dtype == torch.int64 and got.shape == (query.shape[0],)
        assert torch.equal(got.cpu(), want.cpu())


@pytest.mark.parametrize("n,d", [(2, 1), (37, 1), (257, 67), (513, 5), (61, 300)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_counts_match_reference_near_boundaries(n, d, dtype, device, gen):
    # Gaussian data; every centre gets a query a relative 1e-9 (float64) / 1e-5
    # (float32) inside or outside its ball: far inside the GEMM's rounding band,
    # far outside any doubt about the exact answer.
    centers = torch.randn(n, d, generator=gen, dtype=dtype).to(device)
    radii = knn_radii(centers, 1)
    query, sign = _near_boundary(centers, radii, gen, 1e-9 if dtype == torch.float64 else 1e-5)
    query = torch.cat([query, torch.randn(n, d, generator=gen, dtype=dtype).to(device)])
    for inclusive in (False, True):
        got = ball_counts(query, centers, radii, inclusive=inclusive, impl="compiled")
        want = ball_counts(query, centers, radii, inclusive=inclusive, impl="reference")
        assert torch.equal(got.cpu(), want.cpu())
    # Each constructed query is in its own centre's ball exactly when it was put inside.
    own = torch.stack([
        ball_counts(query[i : i + 1], centers[i : i + 1], radii[i : i + 1], impl="compiled")[0] for i in range(min(n, 12))
    ])
    assert torch.equal(own.cpu(), (sign[: own.shape[0]] < 0).long())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_statistics_match_reference(dtype, device, gen):
    x = _dyadic(300, 12, gen, dtype).to(device)
    y = torch.cat([_dyadic(270, 12, gen, dtype).to(device), x[:40]])
    x_thr = knn_radii(x, 4, float64_squared=True)
    y_thr = knn_radii(y, 4, float64_squared=True)
    weights = torch.where(x_thr <= x_thr.median(), x_thr, torch.zeros_like(x_thr))
    got = ball_statistics(x, y, x_thr, y_thr, weights, impl="compiled")
    want = _reference(x, y, x_thr, y_thr, weights)
    for name, a, b in zip(["y_in_x", "x_ball_hits", "x_in_y"], got[:3], want[:3]):
        assert a.dtype == torch.int64, name
        assert torch.equal(a.cpu(), b.cpu()), name
    # x_ball_hits and y_in_x count the same pairs.
    assert int(got[0].sum()) == int(got[1].sum())
    realism, want_realism = got[3].cpu(), want[3].cpu()
    assert realism.dtype == torch.float64 and realism.shape == (y.shape[0],)
    fresh = torch.isfinite(want_realism)
    assert int(fresh.sum()) >= 250
    torch.testing.assert_close(realism[fresh], want_realism[fresh], rtol=1e-5, atol=0)
    # Rows of y that are rows of x with a kept ball are at distance 0: unbounded
    # realism (see test_realism_of_duplicates for the exact value).
    assert bool((realism[~fresh] > 1e3 * want_realism[fresh].max()).all())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_realism_matches_reference_on_gaussian_data(dtype, device, gen):
    x = torch.randn(260, 8, generator=gen, dtype=dtype).to(device)
    y = torch.randn(310, 8, generator=gen, dtype=dtype).to(device)
    x_thr = knn_radii(x, 3, float64_squared=True)
    weights = torch.where(x_thr <= x_thr.median(), x_thr, torch.zeros_like(x_thr))
    got = ball_statistics(x, y, x_thr, None, weights, impl="compiled")[3]
    want = _reference(x, y, x_thr, None, weights)[3]
    torch.testing.assert_close(got, want, rtol=1e-5, atol=0)


def test_statistics_without_optional_outputs(gen):
    x = torch.randn(50, 3, generator=gen, dtype=torch.float64)
    y = torch.randn(60, 3, generator=gen, dtype=torch.float64)
    thr = knn_radii(x, 2, float64_squared=True)
    y_in_x, hits, x_in_y, realism = ball_statistics(x, y, thr, impl="compiled")
    assert torch.equal(y_in_x, _reference(x, y, thr)[0])
    assert torch.equal(hits, _reference(x, y, thr)[1])
    assert bool((x_in_y == 0).all()) and realism.shape == (0,)


def test_realism_of_near_duplicates_float32(gen):
    # realism[j] = max_i w_i / d^2(x_i, y_j): for a fake a hair away from a real
    # point, d^2 is tiny next to the norms, so the GEMM form of d^2 loses its digits.
    # The counts are refined exactly for such pairs; realism should be, too.
    x = torch.randn(300, 16, generator=gen)
    y = x[:50] + 1e-3 * torch.randn(50, 16, generator=gen)
    x_thr = knn_radii(x, 5, float64_squared=True)
    got = ball_statistics(x, y, x_thr, None, x_thr, impl="compiled")[3]
    want = _reference(x, y, x_thr, None, x_thr)[3]
    torch.testing.assert_close(got, want, rtol=1e-5, atol=0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_realism_of_duplicates(dtype, gen):
    x = (torch.randint(-64, 64, (300, 12), generator=gen).double() / 8).to(dtype)
    x_thr = knn_radii(x, 4, float64_squared=True)
    got = ball_statistics(x, x[:40], x_thr, None, x_thr, impl="compiled")[3]
    assert torch.equal(got, _reference(x, x[:40], x_thr, None, x_thr)[3])
    assert bool(torch.isinf(got).all())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("impl", ["compiled", "reference"])
def test_points_exactly_on_the_radius(dtype, impl, device):
    # Integer grid: squared distances and squared radii are small integers, so a
    # point at distance == radius is exactly on the boundary.
    axis = torch.arange(-4, 5, dtype=torch.float64)
    grid = torch.cartesian_prod(axis, axis)  # [81, 2]
    centers = torch.tensor([[0.0, 0.0], [1.0, 2.0], [3.0, -4.0]], dtype=torch.float64)
    radii = torch.tensor([5.0, 2.0, 0.0], dtype=torch.float64)
    d2 = ((grid[:, None, :] - centers[None, :, :]) ** 2).sum(-1)
    strict = (d2 < radii.square()).sum(1)
    inclusive = (d2 <= radii.square()).sum(1)
    assert int((inclusive - strict).sum()) > 10  # the test does exercise the boundary
    query, c = grid.to(dtype).to(device), centers.to(dtype).to(device)
    got_strict = ball_counts(query, c, radii.to(dtype), impl=impl)
    got_inclusive = ball_counts(query, c, radii.to(dtype), inclusive=True, impl=impl)
    assert torch.equal(got_strict.cpu(), strict)
    assert torch.equal(got_inclusive.cpu(), inclusive)
    # (3, 4) is at distance exactly 5 from the origin: outside strictly, inside inclusively.
    on_circle = torch.tensor([[3.0, 4.0]], dtype=dtype, device=device)
    origin = torch.zeros(1, 2, dtype=dtype, device=device)
    five = torch.tensor([5.0], dtype=dtype)
    assert ball_counts(on_circle, origin, five, impl=impl).tolist() == [0]
    assert ball_counts(on_circle, origin, five, inclusive=True, impl=impl).tolist() == [1]
    # A zero radius holds nothing strictly and exactly its own centre inclusively.
    zero = torch.zeros(1, dtype=dtype)
    centre = c[2:3]
    assert int(ball_counts(query, centre, zero, impl=impl).sum()) == 0
    inside = ball_counts(query, centre, zero, inclusive=True, impl=impl).cpu()
    assert inside.tolist() == ((grid[:, 0] == 3) & (grid[:, 1] == -4)).long().tolist()


def test_boundary_in_a_large_offset_float32_cloud(gen):
    # Neighbours exactly on the radius, features ~1e4: the GEMM error is far larger
    # than the gap between boundary pairs, so every such pair is refined.
    x = (torch.randn(400, 24, generator=gen, dtype=torch.float64) + 1e4).float()
    radii = knn_radii(x, 5)
    for inclusive in (False, True):
        got = ball_counts(x, x, radii, inclusive=inclusive, impl="compiled")
        want = ball_counts(x, x, radii, inclusive=inclusive, impl="reference")
        assert torch.equal(got, want)


def test_self_counts_follow_the_knn_radius(gen):
    # With the k-th neighbour distance as radius and no ties, a centre's ball holds
    # itself and its k - 1 nearest others strictly, and k + 1 points inclusively.
    x = torch.randn(200, 6, generator=gen, dtype=torch.float64)
    thr = knn_radii(x, 4, float64_squared=True)
    hits = ball_statistics(x, x, thr, impl="compiled")[1]
    assert bool((hits == 4).all())
    inclusive = radii_to_thresholds(thr.sqrt(), 200, x.device, inclusive=True)
    # sqrt then square may move the threshold by an ulp either way; inclusive still
    # takes the boundary point when the squared radius round-trips.
    roundtrip = thr.sqrt().square() == thr
    hits_inclusive = ball_statistics(x, x, inclusive, impl="compiled")[1]
    assert bool((hits_inclusive[roundtrip] == 5).all()) and bool(roundtrip.any())


def test_empty_and_single_sets(device):
    one = torch.zeros(1, 3, device=device)
    counts = ball_counts(one, one, torch.tensor([1.0]), impl="compiled")
    assert counts.tolist() == [1]
    assert ball_counts(one, one, torch.tensor([0.0]), impl="compiled").tolist() == [0]
    assert ball_counts(one, one, torch.tensor([0.0]), inclusive=True, impl="compiled").tolist() == [1]
    empty = torch.zeros(0, 3, device=device)
    assert ball_counts(empty, one, torch.tensor([1.0]), impl="compiled").shape == (0,)
    assert ball_counts(one, empty, torch.zeros(0), impl="compiled").tolist() == [0]


def test_radii_as_numpy_and_any_float_dtype(gen):
    x = torch.randn(40, 3, generator=gen)
    y = torch.randn(30, 3, generator=gen)
    radii = knn_radii(x, 3)
    want = ball_counts(y, x, radii)
    assert torch.equal(ball_counts(y.numpy(), x.numpy(), radii.numpy()), want)
    assert torch.equal(ball_counts(y, x, radii.double()), want)


def test_integer_radii_are_accepted():
    centers = torch.zeros(1, 2)
    query = torch.tensor([[1.0, 0.0], [2.0, 0.0]])
    assert ball_counts(query, centers, torch.tensor([2])).tolist() == [1, 0]


@pytest.mark.parametrize(
    "radii,error,match",
    [
        (torch.ones(3), ValueError, r"one entry per centre \(4\)"),
        (torch.ones(4, 1), ValueError, "one entry per centre"),
        (torch.tensor(1.0), ValueError, "one entry per centre"),
        (torch.tensor([1.0, -0.5, 1.0, 1.0]), ValueError, "non-negative"),
        (torch.tensor([1.0, float("nan"), 1.0, 1.0]), ValueError, "radii contains NaN or Inf"),
        (torch.tensor([1.0, 1.0, float("inf"), 1.0]), ValueError, "radii contains NaN or Inf"),
    ],
)
def test_bad_radii_are_a_clear_error(radii, error, match):
    with pytest.raises(error, match=match):
        ball_counts(torch.randn(5, 2), torch.randn(4, 2), radii)


@pytest.mark.parametrize(
    "query,centers,error,match",
    [
        (torch.randn(5, 3), torch.randn(4, 2), ValueError, "feature sizes differ"),
        (torch.randn(5, 2), torch.randn(4, 2, dtype=torch.float64), TypeError, "same dtype"),
        (torch.tensor([[float("nan"), 0.0]]), torch.randn(4, 2), ValueError, "query contains NaN"),
        (torch.randn(5, 2), torch.tensor([[0.0, 0.0]] * 3 + [[float("inf"), 0.0]]), ValueError, "centers contains NaN .*row 3"),
    ],
)
def test_bad_features_are_a_clear_error(query, centers, error, match):
    with pytest.raises(error, match=match):
        ball_counts(query, centers, torch.ones(4))


def test_kernel_checks_its_own_arguments():
    x, y = torch.randn(4, 2), torch.randn(5, 2)
    with pytest.raises(RuntimeError, match="x_threshold must have one entry per row"):
        torch.ops.fastgan.ball_counts(x, y, torch.ones(3, dtype=torch.float64), None, None)
    with pytest.raises(RuntimeError, match="x_threshold must be float64"):
        torch.ops.fastgan.ball_counts(x, y, torch.ones(4), None, None)
    with pytest.raises(RuntimeError, match="y_threshold must have one entry per row"):
        torch.ops.fastgan.ball_counts(x, y, torch.ones(4, dtype=torch.float64), torch.ones(4, dtype=torch.float64), None)
    with pytest.raises(RuntimeError, match="realism_weight must have one entry per row"):
        torch.ops.fastgan.ball_counts(x, y, torch.ones(4, dtype=torch.float64), None, torch.ones(5, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="feature sizes differ"):
        torch.ops.fastgan.ball_counts(x, torch.randn(5, 3), torch.ones(4, dtype=torch.float64), None, None)


def test_independent_of_thread_count(gen):
    x = torch.randn(600, 10, generator=gen)
    y = torch.randn(700, 10, generator=gen)
    x_thr = knn_radii(x, 5, float64_squared=True)
    y_thr = knn_radii(y, 5, float64_squared=True)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        single = ball_statistics(x, y, x_thr, y_thr, x_thr)
    finally:
        torch.set_num_threads(threads)
    for a, b in zip(single, ball_statistics(x, y, x_thr, y_thr, x_thr)):
        assert torch.equal(a, b)


def test_reference_counts_by_hand():
    centers = np.array([[0.0, 0.0], [10.0, 0.0]])
    query = np.array([[1.0, 0.0], [9.0, 0.0], [5.0, 0.0], [100.0, 0.0]])
    assert ball_counts(query, centers, np.array([5.0, 5.0]), impl="reference").tolist() == [1, 1, 0, 0]
    assert ball_counts(query, centers, np.array([5.0, 5.0]), inclusive=True, impl="reference").tolist() == [1, 1, 2, 0]
