"""fastgan.metrics.FeatureStats: streaming mean/covariance against np.mean / np.cov."""
import numpy as np
import pytest
import torch

from fastgan.metrics import FeatureStats
from fastgan.metrics import stats as stats_module


def _features(rng, n, d, offset=0.0, dtype=np.float32):
    scales = np.logspace(0, -1.5, d)
    return (rng.standard_normal((n, d)) * scales + offset + rng.random(d)).astype(dtype)


def _assert_matches_numpy(stats, x):
    x64 = np.asarray(x, dtype=np.float64)
    np.testing.assert_allclose(stats.mean.cpu().numpy(), x64.mean(0), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(stats.cov.cpu().numpy(), np.cov(x64, rowvar=False), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("batches", [[1, 1], [7], [3, 1, 13, 2], [50, 50, 31]])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_streaming_equals_np_cov(batches, dtype, device, rng):
    x = _features(rng, sum(batches), 17, dtype=dtype)
    stats = FeatureStats()
    start = 0
    for size in batches:
        stats.update(torch.from_numpy(x[start : start + size]).to(device))
        start += size
    assert stats.num_samples == len(x) and stats.num_features == 17
    assert stats.mean.dtype == torch.float64 and stats.mean.device.type == device.type
    _assert_matches_numpy(stats, x)
    assert bool((stats.cov == stats.cov.T).all())


def test_numpy_batches_and_half_precision(rng):
    x = _features(rng, 40, 6)
    stats = FeatureStats().update(x[:10]).update(torch.from_numpy(x[10:]).half())
    ref = np.concatenate([x[:10], torch.from_numpy(x[10:]).half().double().numpy()])
    _assert_matches_numpy(stats, ref)


def test_large_offset_does_not_cancel(rng):
    # Mean 1e6 next to unit spread: a raw sum of outer products would keep ~4 digits.
    x = _features(rng, 500, 8, offset=1e6, dtype=np.float64)
    stats = FeatureStats()
    for part in np.array_split(x, 9):
        stats.update(part)
    _assert_matches_numpy(stats, x)


def test_chunked_update_of_a_large_batch(rng, monkeypatch):
    monkeypatch.setattr(stats_module, "CHUNK_ROWS", 7)
    x = _features(rng, 45, 5)
    _assert_matches_numpy(FeatureStats().update(x), x)


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 0, 1), (1, 2, 0)])
def test_merge_equals_single_pass(order, rng):
    x = _features(rng, 120, 9, offset=3.0)
    parts = [x[:17], x[17:90] + 0.0, x[90:]]
    pieces = [FeatureStats().update(part) for part in parts]
    merged = FeatureStats()
    for i in order:
        merged.merge(pieces[i])
    single = FeatureStats().update(x)
    assert merged.num_samples == 120
    torch.testing.assert_close(merged.mean, single.mean, rtol=1e-13, atol=1e-13)
    torch.testing.assert_close(merged.cov, single.cov, rtol=1e-11, atol=1e-14)
    _assert_matches_numpy(merged, x)


def test_merge_with_empty_and_then_update(rng):
    x = _features(rng, 30, 4)
    stats = FeatureStats().merge(FeatureStats()).merge(FeatureStats().update(x[:10]))
    stats.update(x[10:]).merge(FeatureStats())
    _assert_matches_numpy(stats, x)


def test_save_load_round_trip(tmp_path, rng):
    x = _features(rng, 60, 7)
    stats = FeatureStats().update(x)
    path = stats.save(tmp_path / "stats")
    assert path.endswith(".npz")
    with np.load(path) as data:  # what pytorch-fid reads: f["mu"], f["sigma"]
        assert {"mu", "sigma"} <= set(data.files)
        assert data["mu"].shape == (7,) and data["sigma"].shape == (7, 7) and data["mu"].dtype == np.float64
        np.testing.assert_array_equal(data["sigma"], stats.cov.numpy())
    loaded = FeatureStats.load(path)
    assert loaded.num_samples == 60
    torch.testing.assert_close(loaded.mean, stats.mean, rtol=0, atol=0)
    torch.testing.assert_close(loaded.cov, stats.cov, rtol=1e-15, atol=1e-16)
    # The count survives, so loaded statistics keep merging and updating exactly.
    more = _features(rng, 25, 7)
    loaded.update(more)
    _assert_matches_numpy(loaded, np.concatenate([x, more]))


def test_reads_pytorch_fid_files(tmp_path, rng):
    mu, sigma = rng.random(5), np.cov(_features(rng, 20, 5, dtype=np.float64), rowvar=False)
    np.savez(tmp_path / "fid_stats.npz", mu=mu, sigma=sigma)  # pytorch-fid's save_fid_stats format
    loaded = FeatureStats.load(tmp_path / "fid_stats.npz")
    np.testing.assert_array_equal(loaded.mean.numpy(), mu)
    np.testing.assert_array_equal(loaded.cov.numpy(), sigma)
    assert loaded.num_samples is None and loaded.num_features == 5
    with pytest.raises(ValueError, match="without a sample count"):
        loaded.update(mu[None])
    with pytest.raises(ValueError, match="without a sample count"):
        FeatureStats().merge(loaded)
    resaved = loaded.save(tmp_path / "again.npz")
    with np.load(resaved) as data:
        np.testing.assert_array_equal(data["sigma"], sigma)


def test_load_rejects_files_without_mu_sigma(tmp_path):
    np.savez(tmp_path / "bad.npz", mean=np.zeros(3))
    with pytest.raises(ValueError, match="'mu' and 'sigma'"):
        FeatureStats.load(tmp_path / "bad.npz")


def test_state_dict_round_trip(rng):
    x = _features(rng, 33, 6)
    stats = FeatureStats().update(x[:20])
    rebuilt = FeatureStats.from_state_dict(stats.state_dict()).merge(FeatureStats().update(x[20:]))
    _assert_matches_numpy(rebuilt, x)


@pytest.mark.parametrize(
    "batch,error,match",
    [
        (np.zeros(4, dtype=np.float32), ValueError, "2-D batch"),
        (np.zeros((2, 4), dtype=np.int64), TypeError, "floating point"),
        (np.array([[0.0, np.nan]]), ValueError, "NaN or Inf"),
        (np.array([[np.inf, 0.0]]), ValueError, "NaN or Inf"),
    ],
)
def test_bad_batches(batch, error, match):
    with pytest.raises(error, match=match):
        FeatureStats().update(batch)


def test_feature_size_and_count_errors(rng):
    stats = FeatureStats()
    with pytest.raises(ValueError, match="no samples yet"):
        stats.mean
    stats.update(_features(rng, 1, 3))
    with pytest.raises(ValueError, match="at least 2 samples"):
        stats.cov
    with pytest.raises(ValueError, match="4 columns but earlier batches had 3"):
        stats.update(_features(rng, 2, 4))
    with pytest.raises(ValueError, match="cannot merge statistics of 4 features into 3"):
        stats.merge(FeatureStats().update(_features(rng, 2, 4)))
    with pytest.raises(TypeError, match="another FeatureStats"):
        stats.merge(np.zeros((2, 3)))
    assert FeatureStats().update(np.zeros((0, 3), dtype=np.float32)).num_samples == 0


def test_blocked_lower_triangle_accumulation(rng, monkeypatch):
    # The blocked path (D >= BLOCKED_MIN_FEATURES) with small, ragged blocks.
    monkeypatch.setattr(stats_module, "BLOCKED_MIN_FEATURES", 10)
    monkeypatch.setattr(stats_module, "BLOCK", 4)
    x = _features(rng, 80, 23, offset=1.0)
    parts = [FeatureStats().update(x[:30]), FeatureStats().update(x[30:55]).update(x[55:])]
    merged = parts[0].merge(parts[1])
    _assert_matches_numpy(merged, x)
    assert bool((merged.cov == merged.cov.T).all())
    rebuilt = FeatureStats.from_state_dict(merged.state_dict())
    _assert_matches_numpy(rebuilt, x)
