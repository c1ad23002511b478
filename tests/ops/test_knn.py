"""fastgan.ops.knn / knn_radii: the compiled kernels against the plain-PyTorch reference.

The kernels promise exact results: float64-accurate squared distances and, among
equal distances, the lower index first. So the comparisons below are on indices
(exact) and on float64 squared distances (to a few ulps: the reference sums the
squared differences in a different order than the kernel).
"""
import pytest
import torch

from fastgan.ops import knn, knn_radii
from fastgan.ops.knn import EXTRA_CANDIDATES, _reference

EXACT = {"rtol": 1e-12, "atol": 0.0}

# (rows, features, k): 2 rows with k=1, primes, sizes just past the 256-row tile and
# the self-kernel's tile pairs (33, 257, 513, 1031), k > EXTRA_CANDIDATES.
SELF_CASES = [
    (2, 1, 1),
    (3, 2, 2),
    (33, 1, 5),
    (257, 67, 5),
    (513, 2, 2 * EXTRA_CANDIDATES + 4),
    (1031, 7, 3),
    (97, 300, 10),
]
# (queries, refs, features, k): k == refs, one query, refs past the 1024-column tile.
CROSS_CASES = [
    (1, 2, 1, 1),
    (7, 13, 3, 13),
    (257, 1031, 67, 2 * EXTRA_CANDIDATES + 4),
    (513, 33, 1, 5),
    (31, 97, 300, 10),
]


def _self_reference(x, k):
    return _reference(x, x, k, exclude_self=True)


def _assert_same(got, want):
    got_d2, got_index = got
    want_d2, want_index = want
    assert got_d2.dtype == torch.float64 and got_index.dtype == torch.int64
    assert got_d2.shape == want_d2.shape and got_index.shape == want_index.shape
    assert torch.equal(got_index.cpu(), want_index.cpu())
    torch.testing.assert_close(got_d2.cpu(), want_d2.cpu(), **EXACT)


@pytest.mark.parametrize("n,d,k", SELF_CASES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_self_matches_reference(n, d, k, dtype, device, gen):
    x = torch.randn(n, d, generator=gen, dtype=dtype).to(device)
    got = knn(x, None, k, float64_squared=True, impl="compiled")
    _assert_same(got, _self_reference(x, k))
    # Same thing through the explicit exclude_self=True form.
    _assert_same(knn(x, x, k, exclude_self=True, float64_squared=True, impl="compiled"), got)


@pytest.mark.parametrize("q,m,d,k", CROSS_CASES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_cross_matches_reference(q, m, d, k, dtype, device, gen):
    query = torch.randn(q, d, generator=gen, dtype=dtype).to(device)
    ref = torch.randn(m, d, generator=gen, dtype=dtype).to(device)
    got = knn(query, ref, k, float64_squared=True, impl="compiled")
    _assert_same(got, _reference(query, ref, k))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_distances_in_input_dtype(dtype, device, gen):
    x = torch.randn(61, 5, generator=gen, dtype=dtype).to(device)
    y = torch.randn(43, 5, generator=gen, dtype=dtype).to(device)
    dist, index = knn(x, y, 4, impl="compiled")
    d2, _ = knn(x, y, 4, float64_squared=True, impl="compiled")
    want_d2, want_index = _reference(x, y, 4)
    assert dist.dtype == dtype and dist.device == x.device
    assert torch.equal(index, want_index)
    # Rounded once from the float64 squared distance.
    assert torch.equal(dist, d2.sqrt().to(dtype))
    torch.testing.assert_close(dist, want_d2.sqrt().to(dtype), rtol=1e-12 if dtype == torch.float64 else 0, atol=0)
    assert bool((dist[:, 1:] >= dist[:, :-1]).all())


def test_cross_query_that_is_the_ref_keeps_itself(gen):
    # Without exclude_self, each point is its own nearest neighbour at distance 0.
    x = torch.randn(40, 6, generator=gen, dtype=torch.float64)
    d2, index = knn(x, x, 3, exclude_self=False, float64_squared=True, impl="compiled")
    assert torch.equal(index[:, 0], torch.arange(40))
    assert bool((d2[:, 0] == 0).all())
    _assert_same((d2, index), _reference(x, x, 3))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("k", [1, 12])
def test_many_exact_duplicates(dtype, k, device, gen):
    # 40 copies of one point (scattered over several tiles) and some others: more
    # equal distances than candidates, so the exact-scan fallback must settle the
    # ties, by lower index.
    others = torch.randn(260, 9, generator=gen, dtype=torch.float64) * 3
    point = torch.randn(1, 9, generator=gen, dtype=torch.float64)
    x = torch.cat([others, point.expand(40, 9)])
    x = x[torch.randperm(x.shape[0], generator=gen)].to(dtype).to(device)
    _assert_same(knn(x, None, k, float64_squared=True, impl="compiled"), _self_reference(x, k))
    ref = x[::2].contiguous()
    _assert_same(knn(x, ref, k, float64_squared=True, impl="compiled"), _reference(x, ref, k))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_all_rows_identical(dtype, device):
    x = torch.full((37, 4), 2.5, dtype=dtype, device=device)
    d2, index = knn(x, None, 6, float64_squared=True, impl="compiled")
    assert bool((d2 == 0).all())
    _assert_same((d2, index), _self_reference(x, 6))
    assert torch.equal(index[0].cpu(), torch.arange(1, 7))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("k", [1, 7, 20])
def test_integer_features_with_many_ties(dtype, k, device, gen):
    # Coordinates in {0, 1, 2}: distances are small integers, ties everywhere.
    x = torch.randint(0, 3, (301, 4), generator=gen).to(dtype).to(device)
    y = torch.randint(0, 3, (263, 4), generator=gen).to(dtype).to(device)
    got = knn(x, None, k, float64_squared=True, impl="compiled")
    _assert_same(got, _self_reference(x, k))
    assert torch.equal(got[0], got[0].round())
    _assert_same(knn(x, y, k, float64_squared=True, impl="compiled"), _reference(x, y, k))


def test_large_common_offset_float32(device, gen):
    # |x|^2 ~ 1e8 * D while neighbour distances are ~1: the plain GEMM form cancels.
    x = (torch.randn(300, 32, generator=gen, dtype=torch.float64) + 1e4).float().to(device)
    y = (torch.randn(211, 32, generator=gen, dtype=torch.float64) + 1e4).float().to(device)
    _assert_same(knn(x, None, 5, float64_squared=True, impl="compiled"), _self_reference(x, 5))
    _assert_same(knn(x, y, 5, float64_squared=True, impl="compiled"), _reference(x, y, 5))


def test_sets_longer_than_a_column_sum_block_are_centred_blockwise(device, gen):
    # 2500 + 1300 rows: the common mean is summed over blocks of 1024 rows (no float64 copy of the set).
    x = (torch.randn(2500, 8, generator=gen, dtype=torch.float64) + 1e3).float().to(device)
    y = (torch.randn(1300, 8, generator=gen, dtype=torch.float64) + 1e3).float().to(device)
    _assert_same(knn(x, None, 3, float64_squared=True, impl="compiled"), _self_reference(x, 3))
    _assert_same(knn(y, x, 3, float64_squared=True, impl="compiled"), _reference(y, x, 3))


def test_near_duplicates_are_ranked_exactly(device, gen):
    # Neighbours 1e-3 .. 1e-6 away from points of norm ~1e2 (float64).
    base = torch.randn(50, 16, generator=gen, dtype=torch.float64) * 10 + 100
    scales = torch.logspace(-3, -6, 4, dtype=torch.float64)
    x = torch.cat([base] + [base + s * torch.randn(50, 16, generator=gen, dtype=torch.float64) for s in scales])
    x = x.to(device)
    _assert_same(knn(x, None, 4, float64_squared=True, impl="compiled"), _self_reference(x, 4))


def test_independent_of_thread_count(gen):
    x = torch.randn(1031, 12, generator=gen)
    y = torch.randn(517, 12, generator=gen)
    dup = torch.cat([x[:300], x[:300]])
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        single = [knn(x, None, 7, float64_squared=True), knn(y, x, 9, float64_squared=True), knn(dup, None, 3)]
    finally:
        torch.set_num_threads(threads)
    again = [knn(x, None, 7, float64_squared=True), knn(y, x, 9, float64_squared=True), knn(dup, None, 3)]
    for (d_one, i_one), (d_many, i_many) in zip(single, again):
        assert torch.equal(i_one, i_many)
        assert torch.equal(d_one, d_many)


@pytest.mark.parametrize("n,d,k", [(2, 1, 1), (129, 3, 5), (131, 67, 12)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_knn_radii(n, d, k, dtype, device, gen):
    x = torch.randn(n, d, generator=gen, dtype=dtype).to(device)
    want = _self_reference(x, k)[0][:, k - 1]
    squared = knn_radii(x, k, float64_squared=True, impl="compiled")
    assert squared.shape == (n,) and squared.dtype == torch.float64
    torch.testing.assert_close(squared, want, **EXACT)
    radii = knn_radii(x, k, impl="compiled")
    assert radii.dtype == dtype
    assert torch.equal(radii, squared.sqrt().to(dtype))
    torch.testing.assert_close(knn_radii(x, k, impl="reference"), radii, rtol=1e-12, atol=0)


def test_knn_radii_counts_duplicates_as_neighbours():
    # prdc's convention: a duplicate of a point is a neighbour at distance 0.
    x = torch.tensor([[0.0], [0.0], [0.0], [3.0]], dtype=torch.float64)
    assert knn_radii(x, 2).tolist() == [0.0, 0.0, 0.0, 3.0]
    assert knn_radii(x, 1).tolist() == [0.0, 0.0, 0.0, 3.0]
    assert knn_radii(x, 3).tolist() == [3.0, 3.0, 3.0, 3.0]


def test_numpy_inputs(rng):
    x = rng.standard_normal((50, 3))
    y = rng.standard_normal((20, 3))
    d2, index = knn(x, y, 3, float64_squared=True)
    _assert_same((d2, index), _reference(torch.from_numpy(x), torch.from_numpy(y), 3))
    torch.testing.assert_close(knn_radii(x, 2), knn_radii(torch.from_numpy(x), 2), rtol=0, atol=0)


def test_empty_query_set():
    d2, index = knn(torch.zeros(0, 3), torch.randn(4, 3), 2, impl="compiled")
    assert d2.shape == (0, 2) and index.shape == (0, 2)


@pytest.mark.parametrize("k", [2, 3])
def test_k_not_below_n_is_a_clear_error(k):
    x = torch.randn(3, 2)
    if k == 3:
        with pytest.raises(ValueError, match="k=3"):
            knn(x, None, k)
        with pytest.raises(ValueError, match="k=3"):
            knn_radii(x, k)
    else:
        assert knn(x, None, k)[0].shape == (3, 2)
    with pytest.raises(ValueError, match="k=4"):
        knn(x, torch.randn(3, 2), 4)


@pytest.mark.parametrize("k", [0, -1, 2.0, "3", None, True])
def test_bad_k_is_a_clear_error(k):
    with pytest.raises(ValueError, match="k must be a positive integer"):
        knn(torch.randn(5, 2), None, k)


@pytest.mark.parametrize(
    "query,ref,kwargs,error,match",
    [
        (torch.randn(5, 3), torch.randn(5, 3), {"exclude_self": True}, ValueError, "exclude_self"),
        (torch.randn(5, 3), torch.randn(6, 3), {"exclude_self": True}, ValueError, "exclude_self"),
        (torch.randn(5, 3), torch.randn(5, 4), {}, ValueError, "feature sizes differ"),
        (torch.randn(5, 3), torch.randn(5, 3, dtype=torch.float64), {}, TypeError, "same dtype"),
        (torch.randn(5), torch.randn(5, 3), {}, ValueError, "2-D feature matrix"),
        (torch.tensor([[0.0, 1.0], [float("nan"), 0.0]]), torch.randn(3, 2), {}, ValueError, "query contains NaN or Inf .*row 1"),
        (torch.randn(3, 2), torch.tensor([[0.0, float("inf")], [0.0, 0.0]]), {}, ValueError, "ref contains NaN or Inf .*row 0"),
        (torch.zeros(3, 2, dtype=torch.int64), None, {}, TypeError, "float32 or float64"),
        (torch.randn(4, 2), None, {"impl": "fast"}, ValueError, "impl"),
    ],
)
def test_bad_input_is_a_clear_error(query, ref, kwargs, error, match):
    with pytest.raises(error, match=match):
        knn(query, ref, 1, **kwargs)


def test_nan_in_knn_radii_is_a_clear_error():
    x = torch.randn(6, 2)
    x[4, 1] = float("nan")
    with pytest.raises(ValueError, match="x contains NaN or Inf .*row 4"):
        knn_radii(x, 2)


def test_kernel_checks_its_own_arguments():
    # Direct calls to the registered ops bypass the Python checks; the C++ ones still hold.
    x, y = torch.randn(5, 3), torch.randn(4, 3)
    with pytest.raises(RuntimeError, match="k must be >= 1, got 0"):
        torch.ops.fastgan.knn(x, y, 0, EXTRA_CANDIDATES)
    with pytest.raises(RuntimeError, match="k=5 but only 4 reference points"):
        torch.ops.fastgan.knn(x, y, 5, EXTRA_CANDIDATES)
    with pytest.raises(RuntimeError, match="k must be >= 1, got -2"):
        torch.ops.fastgan.knn_self(x, -2, EXTRA_CANDIDATES)
    with pytest.raises(RuntimeError, match="k=5 but only 4 other points"):
        torch.ops.fastgan.knn_self(x, 5, EXTRA_CANDIDATES)
    with pytest.raises(RuntimeError, match="extra candidates must be >= 0"):
        torch.ops.fastgan.knn_self(x, 2, -1)
    with pytest.raises(RuntimeError, match="feature sizes differ"):
        torch.ops.fastgan.knn(x, torch.randn(4, 2), 1, EXTRA_CANDIDATES)


@pytest.mark.parametrize("extra", [0, 1, 50])
def test_any_candidate_count_is_exact(extra, gen):
    # Fewer (or more) candidates than the default only change speed, never results.
    x = torch.cat([torch.randn(150, 5, generator=gen), torch.randint(0, 2, (150, 5), generator=gen).float()])
    _assert_same(torch.ops.fastgan.knn_self(x, 6, extra), _self_reference(x, 6))
    _assert_same(torch.ops.fastgan.knn(x[:77], x, 6, extra), _reference(x[:77], x, 6))


def test_reference_ties_by_lower_index():
    x = torch.tensor([[0.0], [1.0], [-1.0], [1.0], [2.0]], dtype=torch.float64)
    d2, index = _reference(x[:1], x, 4)
    assert index.tolist() == [[0, 1, 2, 3]]
    assert d2.tolist() == [[0.0, 1.0, 1.0, 1.0]]
    d2, index = knn(x[:1], x, 4, float64_squared=True, impl="compiled")
    assert index.tolist() == [[0, 1, 2, 3]]
