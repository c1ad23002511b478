"""fastgan.metrics.prdc against the `prdc` package (0.2) and the stored golden values.

prdc's numbers are ratios of counts, so "the same numbers" means exactly the same
floats: every comparison with the package below is `==`, not approx.
"""
import contextlib
import io
import re
import warnings

import numpy as np
import pytest
import torch

from fastgan.metrics.prdc import float32_sqrt_threshold, prdc

prdc_package = pytest.importorskip("prdc")

# prdc's scikit-learn call warns about its own joblib use; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:`sklearn.utils.parallel.delayed`:UserWarning")

KEYS = ("precision", "recall", "density", "coverage")


def _package(real, fake, k):
    with contextlib.redirect_stdout(io.StringIO()):
        scores = prdc_package.compute_prdc(real, fake, k)
    return {key: float(scores[key]) for key in KEYS}


def _ours(real, fake, k, **kwargs):
    scores = prdc(real, fake, nearest_k=k, **kwargs)
    assert all(type(scores[key]) is float for key in KEYS)
    return {key: scores[key] for key in KEYS}


def _random_case(seed):
    """Sizes, k and data kind drawn from the seed; small enough for the package's N x M matrices."""
    r = np.random.default_rng(seed)
    n, m = (int(v) for v in r.integers(3, 260, size=2))
    d = int(r.choice([1, 2, 3, 8, 64]))
    k = int(r.integers(1, min(n, m, 13) - 1)) if min(n, m, 13) > 2 else 1
    kind = seed % 5
    if kind == 0:  # float32, shifted fake distribution
        real = r.standard_normal((n, d)).astype(np.float32)
        fake = (r.standard_normal((m, d)) * 1.2 + 0.3).astype(np.float32)
    elif kind == 1:  # float64
        real, fake = r.standard_normal((n, d)), r.standard_normal((m, d)) * 1.1
    elif kind == 2:  # mixed: scikit-learn (so prdc) computes in float64
        real, fake = r.standard_normal((n, d)).astype(np.float32), r.standard_normal((m, d))
    elif kind == 3:  # integer-valued float32: many ties and duplicates (zero radii)
        real, fake = r.integers(0, 3, (n, d)).astype(np.float32), r.integers(0, 3, (m, d)).astype(np.float32)
    else:  # integer-valued float64
        real, fake = r.integers(0, 4, (n, d)).astype(np.float64), r.integers(0, 4, (m, d)).astype(np.float64)
    return real, fake, k


@pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt:RuntimeWarning")
@pytest.mark.parametrize("seed", range(16))
def test_equals_prdc_package_on_random_cases(seed):
    real, fake, k = _random_case(seed)
    assert _ours(real, fake, k) == _package(real, fake, k)


@pytest.mark.parametrize(
    "n,m,d,k",
    [(3, 3, 1, 1), (50, 80, 1, 1), (120, 70, 2, 10), (150, 150, 2, 5), (97, 131, 64, 10), (40, 250, 8, 3)],
)
@pytest.mark.parametrize("dtypes", [("float32", "float32"), ("float64", "float64"), ("float32", "float64"), ("float64", "float32")])
def test_equals_prdc_package(n, m, d, k, dtypes, rng):
    real = rng.standard_normal((n, d)).astype(dtypes[0])
    fake = (rng.standard_normal((m, d)) * 0.9 + 0.1).astype(dtypes[1])
    assert _ours(real, fake, k) == _package(real, fake, k)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_equals_prdc_package_when_fakes_copy_reals(dtype, rng):
    # Memorised samples: fakes at distance 0 from reals, and on the radius of
    # every real ball whose k-th neighbour they copy.
    real = rng.standard_normal((300, 16)).astype(dtype)
    fake = np.concatenate([real[rng.permutation(300)[:150]], rng.standard_normal((90, 16)).astype(dtype)])
    for k in (1, 5):
        assert _ours(real, fake, k) == _package(real, fake, k)


@pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt:RuntimeWarning")
def test_equals_prdc_package_on_integer_arrays(rng):
    # Integer dtypes: scikit-learn converts to float64, and so does fastgan.
    real = rng.integers(-3, 4, (150, 3))
    fake = rng.integers(-3, 4, (170, 3))
    for k in (1, 4, 10):
        assert _ours(real, fake, k) == _package(real, fake, k)


@pytest.mark.parametrize("k", [3, 5])
def test_golden_values(k, reference_dir):
    data = np.load(reference_dir / "features.npz")
    want = data[f"prdc_k{k}"]
    got = prdc(data["real"], data["fake"], nearest_k=k)
    assert np.abs(np.array([got[key] for key in KEYS]) - want).max() <= 1e-12
    assert [got[key] for key in KEYS] == want.tolist()


def test_golden_values_on_device(device, reference_dir):
    data = np.load(reference_dir / "features.npz")
    real = torch.from_numpy(data["real"]).to(device)
    fake = torch.from_numpy(data["fake"]).to(device)
    got = prdc(real, fake, nearest_k=5)
    assert [got[key] for key in KEYS] == data["prdc_k5"].tolist()


def test_reference_impl_agrees(rng):
    real = rng.standard_normal((230, 6)).astype(np.float32)
    fake = rng.standard_normal((190, 6)).astype(np.float32) * 1.1
    got = prdc(real, fake, nearest_k=4, per_sample=True, impl="compiled")
    want = prdc(real, fake, nearest_k=4, per_sample=True, impl="reference")
    for key in KEYS:
        assert got[key] == want[key], key
    for key in ("real_radii", "fake_radii", "fake_real_balls", "real_covered", "real_recalled"):
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)
    np.testing.assert_allclose(got["realism"], want["realism"], rtol=1e-5)


# ---------------------------------------------------------------- per-sample outputs


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_per_sample_is_consistent_with_the_scores(dtype, rng):
    n, m, k = 210, 170, 4
    real = rng.standard_normal((n, 5)).astype(dtype)
    fake = (rng.standard_normal((m, 5)) * 1.3).astype(dtype)
    scores = prdc(real, fake, nearest_k=k, per_sample=True)
    assert {key: scores[key] for key in KEYS} == _package(real, fake, k)
    shapes = {"real_radii": (n,), "fake_radii": (m,), "fake_real_balls": (m,), "real_covered": (n,),
              "real_recalled": (n,), "realism": (m,)}
    for key, shape in shapes.items():
        assert isinstance(scores[key], np.ndarray) and scores[key].shape == shape, key
    assert scores["real_radii"].dtype == dtype and scores["fake_radii"].dtype == dtype
    assert scores["real_covered"].dtype == bool and scores["real_recalled"].dtype == bool
    assert np.issubdtype(scores["fake_real_balls"].dtype, np.integer)
    assert scores["precision"] == np.mean(scores["fake_real_balls"] > 0)
    assert scores["density"] == (1.0 / k) * scores["fake_real_balls"].mean()
    assert scores["coverage"] == np.mean(scores["real_covered"])
    assert scores["recall"] == np.mean(scores["real_recalled"])

    # The radii are prdc's: the k-th smallest distance to the other samples.
    r64, f64 = real.astype(np.float64), fake.astype(np.float64)
    d_real = np.sqrt(((r64[:, None] - r64[None]) ** 2).sum(-1))
    np.testing.assert_allclose(np.sort(d_real, axis=1)[:, k], scores["real_radii"], rtol=1e-6)
    d_fake = np.sqrt(((f64[:, None] - f64[None]) ** 2).sum(-1))
    np.testing.assert_allclose(np.sort(d_fake, axis=1)[:, k], scores["fake_radii"], rtol=1e-6)
    # Per-sample memberships recomputed by brute force (no exact ties in Gaussian data).
    d_cross = np.sqrt(((r64[:, None] - f64[None]) ** 2).sum(-1))  # [n, m]
    inside = d_cross < scores["real_radii"].astype(np.float64)[:, None]
    np.testing.assert_array_equal(scores["fake_real_balls"], inside.sum(0))
    np.testing.assert_array_equal(scores["real_covered"], inside.any(1))
    np.testing.assert_array_equal(scores["real_recalled"], (d_cross < scores["fake_radii"].astype(np.float64)[None]).any(1))
    # Realism: max over the real balls no larger than the median of r_i / d.
    radii = scores["real_radii"].astype(np.float64)
    kept = radii <= np.median(radii)
    realism = (radii[kept, None] / d_cross[kept]).max(0)
    np.testing.assert_allclose(scores["realism"], realism, rtol=1e-5)
    # A fake with realism > 1 is inside a kept ball, hence counted as precise.
    assert np.all(scores["fake_real_balls"][scores["realism"] > 1] > 0)


def test_realism_of_a_fake_on_a_real_point_is_large(rng):
    real = rng.standard_normal((150, 4))
    fake = rng.standard_normal((60, 4)) * 3
    radii = prdc(real, fake, nearest_k=3, per_sample=True)["real_radii"]
    smallest = int(np.argmin(radii))
    fake[0] = real[smallest]
    fake[1] = real[smallest]
    fake[1, 0] += radii[smallest] * 1e-3
    scores = prdc(real, fake, nearest_k=3, per_sample=True)
    assert scores["realism"][0] > 1e6
    # The smallest real ball is kept (below the median), and r / d = 1000 there.
    assert scores["realism"][1] >= 999.99
    assert np.median(scores["realism"][2:]) < 10
    assert scores["fake_real_balls"][0] >= 1 and scores["fake_real_balls"][1] >= 1


def test_per_sample_false_returns_only_the_scores(rng):
    scores = prdc(rng.standard_normal((20, 3)), rng.standard_normal((20, 3)), nearest_k=2)
    assert set(scores) == set(KEYS)


@pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt:RuntimeWarning")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_inclusive_counts_points_on_the_radius(dtype, rng):
    # Integer features: many fakes exactly on a real radius, decided by the convention.
    real = rng.integers(0, 5, (120, 3)).astype(dtype)
    fake = rng.integers(0, 5, (110, 3)).astype(dtype)
    k = 4
    r64, f64 = real.astype(np.float64), fake.astype(np.float64)
    d_real = ((r64[:, None] - r64[None]) ** 2).sum(-1)
    d_fake = ((f64[:, None] - f64[None]) ** 2).sum(-1)
    d_cross = ((r64[:, None] - f64[None]) ** 2).sum(-1)
    real_r2, fake_r2 = np.sort(d_real, axis=1)[:, k], np.sort(d_fake, axis=1)[:, k]
    for inclusive, compare in ((False, np.less), (True, np.less_equal)):
        inside = compare(d_cross, real_r2[:, None])
        want = {
            "precision": float(inside.any(0).mean()),
            "recall": float(compare(d_cross, fake_r2[None]).any(1).mean()),
            "density": float((1.0 / k) * inside.sum(0).mean()),
            "coverage": float(inside.any(1).mean()),
        }
        assert _ours(real, fake, k, inclusive=inclusive) == want
    assert _ours(real, fake, k, inclusive=True)["density"] > _ours(real, fake, k)["density"]


# ---------------------------------------------------------------- inputs and streaming


def _assert_same_outputs(got, want, duplicates=0):
    assert set(got) == set(want)
    for key, value in want.items():
        if key == "realism":
            # Not exact (see test_realism_is_exact_and_chunk_independent).
            np.testing.assert_allclose(got[key][duplicates:], value[duplicates:], rtol=1e-5, err_msg=key)
            # Duplicates of a real with a kept ball: unbounded realism, whatever its digits.
            np.testing.assert_array_equal(got[key][:duplicates] > 1e3, value[:duplicates] > 1e3)
        else:
            np.testing.assert_array_equal(got[key], value, err_msg=key)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("per_sample", [False, True])
def test_streaming_in_small_chunks_changes_nothing(dtype, per_sample, rng):
    real = rng.standard_normal((300, 8)).astype(dtype)
    fake = rng.standard_normal((261, 8)).astype(dtype)
    fake[:30] = real[:30]  # duplicates across chunks
    whole = prdc(real, fake, nearest_k=5, per_sample=per_sample)
    # 4096 bytes: 64 or 128 rows per chunk, so several chunks of both sets.
    chunked = prdc(real, fake, nearest_k=5, per_sample=per_sample, chunk_bytes=4096)
    _assert_same_outputs(chunked, whole, duplicates=30)
    if not per_sample:
        assert {key: whole[key] for key in KEYS} == _package(real, fake, 5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_chunks_of_k_plus_one_rows(dtype, rng):
    # chunk_bytes=1: the smallest chunks allowed (k + 1 rows), uneven last chunks.
    real = rng.standard_normal((23, 3)).astype(dtype)
    fake = rng.standard_normal((19, 3)).astype(dtype)
    whole = prdc(real, fake, nearest_k=2, per_sample=True)
    _assert_same_outputs(prdc(real, fake, nearest_k=2, per_sample=True, chunk_bytes=1), whole)
    assert {key: whole[key] for key in KEYS} == _package(real, fake, 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_realism_is_exact_and_chunk_independent(dtype, rng):
    real = rng.standard_normal((200, 8)).astype(dtype)
    fake = rng.standard_normal((161, 8)).astype(dtype)
    fake[:30] = real[:30]
    whole = prdc(real, fake, nearest_k=5, per_sample=True)["realism"]
    chunked = prdc(real, fake, nearest_k=5, per_sample=True, chunk_bytes=4096)["realism"]
    np.testing.assert_array_equal(whole, chunked)
    r64, f64 = real.astype(np.float64), fake.astype(np.float64)
    d2_real = ((r64[:, None] - r64[None]) ** 2).sum(-1)
    r2 = np.sort(d2_real, axis=1)[:, 5]
    kept = r2 <= np.sort(r2)[(len(r2) - 1) // 2]
    with np.errstate(divide="ignore"):
        want = np.sqrt((r2[kept, None] / ((r64[kept, None] - f64[None]) ** 2).sum(-1)).max(0))
    np.testing.assert_allclose(whole, want, rtol=1e-12)


def test_files_memmaps_and_tensors(tmp_path, rng):
    real = rng.standard_normal((140, 6)).astype(np.float32)
    fake = rng.standard_normal((125, 6)).astype(np.float32)
    want = _package(real, fake, 3)
    np.save(tmp_path / "real.npy", real)
    np.save(tmp_path / "fake.npy", fake)
    np.savez(tmp_path / "real.npz", real)
    np.savez(tmp_path / "fake.npz", features=fake, labels=np.arange(125))
    as_memmap = np.load(tmp_path / "real.npy", mmap_mode="r")
    cases = [
        (str(tmp_path / "real.npy"), str(tmp_path / "fake.npy")),
        (tmp_path / "real.npy", tmp_path / "fake.npy"),
        (as_memmap, fake),
        (str(tmp_path / "real.npz"), tmp_path / "fake.npz"),
        (torch.from_numpy(real), torch.from_numpy(fake)),
        (torch.from_numpy(real).requires_grad_(), fake),
    ]
    for real_in, fake_in in cases:
        assert _ours(real_in, fake_in, 3) == want
    # Streamed from the memory maps.
    assert _ours(tmp_path / "real.npy", tmp_path / "fake.npy", 3, chunk_bytes=2048) == want
    # Nested lists become float64 arrays, as in scikit-learn.
    assert _ours(real.tolist(), fake, 3) == _package(np.asarray(real.tolist()), fake, 3)
    # Inputs are left as they were.
    np.testing.assert_array_equal(np.load(tmp_path / "real.npy"), real)


def test_non_contiguous_inputs(rng):
    real = rng.standard_normal((6, 150)).astype(np.float32).T
    fake = np.asfortranarray(rng.standard_normal((140, 6)).astype(np.float32))
    assert _ours(real, fake, 3) == _package(np.ascontiguousarray(real), np.ascontiguousarray(fake), 3)
    assert _ours(torch.from_numpy(real), torch.from_numpy(fake)[::1], 3) == _ours(real, fake, 3)


def test_on_device(device, rng):
    real = rng.standard_normal((120, 5)).astype(np.float32)
    fake = rng.standard_normal((110, 5)).astype(np.float32)
    want = _package(real, fake, 3)
    assert _ours(real, fake, 3, device=device) == want
    assert _ours(torch.from_numpy(real).to(device), torch.from_numpy(fake).to(device), 3) == want


def test_verbose_shows_progress(rng, capsys):
    real = rng.standard_normal((100, 4)).astype(np.float32)
    fake = rng.standard_normal((90, 4)).astype(np.float32)
    scores = prdc(real, fake, nearest_k=3, verbose=True, chunk_bytes=1024)
    assert {key: scores[key] for key in KEYS} == _package(real, fake, 3)
    captured = capsys.readouterr()
    assert "prdc" in captured.err


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "real_shape,fake_shape,k,match",
    [
        ((5, 3), (10, 3), 5, "nearest_k=5 needs more than 5 real samples"),
        ((10, 3), (4, 3), 4, "nearest_k=4 needs more than 4 fake samples"),
        ((1, 3), (10, 3), 1, "more than 1 real samples"),
        ((10, 3), (10, 4), 2, "feature sizes differ: real has 3 .* fake has 4"),
        ((10, 3), (10, 3), 0, "nearest_k must be a positive integer"),
        ((10, 3), (10, 3), 2.5, "nearest_k must be a positive integer"),
        ((10, 3), (10, 3), True, "nearest_k must be a positive integer"),
        ((10,), (10, 3), 2, "real features must be a 2-D array"),
        ((10, 3), (10, 3, 1), 2, "fake features must be a 2-D array"),
    ],
)
def test_bad_input_is_a_clear_error(real_shape, fake_shape, k, match):
    with pytest.raises(ValueError, match=match):
        prdc(np.ones(real_shape, dtype=np.float32), np.ones(fake_shape, dtype=np.float32), nearest_k=k)


@pytest.mark.parametrize("chunk_bytes", [2**29, 1024])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_fake_names_the_set_and_row(bad, chunk_bytes, rng):
    real = rng.standard_normal((300, 4)).astype(np.float32)
    fake = rng.standard_normal((260, 4)).astype(np.float32)
    fake[200, 2] = bad
    with pytest.raises(ValueError, match="fake contains NaN or Inf") as info:
        prdc(real, fake, nearest_k=3, chunk_bytes=chunk_bytes)
    # The global row, also when streaming in chunks.
    assert "row 200)" in str(info.value)


def test_non_finite_real_is_a_clear_error(rng):
    real = rng.standard_normal((50, 4))
    real[0, 0] = np.nan
    with pytest.raises(ValueError, match="real contains NaN or Inf"):
        prdc(real, rng.standard_normal((50, 4)), nearest_k=3)


def test_numpy_integer_k_is_accepted(rng):
    real = rng.standard_normal((40, 3)).astype(np.float32)
    fake = rng.standard_normal((30, 3)).astype(np.float32)
    assert _ours(real, fake, np.int64(5)) == _package(real, fake, np.int64(5))


def test_duplicate_samples_do_not_warn():
    real = np.zeros((10, 2), dtype=np.float32)
    real[5:] = 1.0
    fake = np.ones((8, 2), dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = prdc(real, fake, nearest_k=2)
    assert scores == _package(real, fake, 2)


def test_npy_path_does_not_warn(tmp_path):
    # A .npy path is memory-mapped read-only; torch.from_numpy on it would warn
    # "The given NumPy array is not writable".
    np.save(tmp_path / "real.npy", np.random.default_rng(0).standard_normal((30, 3)).astype(np.float32))
    fake = np.ones((20, 3), dtype=np.float32) + np.arange(20.0, dtype=np.float32)[:, None]
    warn_always = torch.is_warn_always_enabled()
    torch.set_warn_always(True)  # torch shows that warning only once per process otherwise
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            prdc(tmp_path / "real.npy", fake, 2)
    finally:
        torch.set_warn_always(warn_always)


# ---------------------------------------------------------------- the float32 threshold


# The zero radius warns: see test_duplicate_samples_do_not_warn.
@pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt:RuntimeWarning")
def test_float32_sqrt_threshold_is_exact(rng):
    # For every float32 radius r and float64 d^2 = x: sqrt32(fl32(x)) < r <=> x < t.
    radii = np.concatenate([
        rng.uniform(0, 10, 200).astype(np.float32),
        np.float32([1.0, 2.0, 0.5, 3.0, 1e-20, 1e15, np.float32(np.finfo(np.float32).tiny)]),
    ])
    t = float32_sqrt_threshold(radii)
    assert t.dtype == np.float64
    for r, threshold in zip(radii, t):
        probes = np.concatenate([np.nextafter(threshold, np.inf) * np.ones(1), np.nextafter(threshold, -np.inf) * np.ones(1),
                                 [threshold], np.float64(r) ** 2 * (1 + np.array([-1e-7, -1e-9, 0, 1e-9, 1e-7]))])
        for x in probes:
            assert (np.sqrt(np.float32(x)) < r) == (x < threshold), (r, x, threshold)
    assert float32_sqrt_threshold(np.float32([0.0])).tolist() == [0.0]
