"""fastgan.compat.torchmetrics FID / KID / IS: update-compute-reset against fastgan.metrics."""

import pytest
import torch

import fastgan.compat.torchmetrics as tm
from fastgan.metrics import fid_from_features, inception_score, kid
from tiny_inception import make_images


@pytest.fixture
def images():
    return make_images(0, 12, 32), make_images(1, 12, 32, shift=40)


def _features(net, imgs, key="pool3"):
    with torch.no_grad():
        return net(imgs)[key]


def test_fid_accumulates_batches_and_reset_keeps_real_features(tiny_net, images):
    real, fake = images
    metric = tm.FrechetInceptionDistance(feature=tiny_net, reset_real_features=False)
    for i in range(0, 12, 5):
        metric.update(real[i:i + 5], real=True)
        metric.update(fake[i:i + 5], real=False)
    value = metric.compute()
    assert value.dtype == torch.float32 and value.dim() == 0
    want = fid_from_features(_features(tiny_net, real), _features(tiny_net, fake))
    assert float(value) == pytest.approx(want, rel=1e-5)
    metric.reset()
    metric.update(real, real=False)
    assert float(metric.compute()) == pytest.approx(0.0, abs=1e-6)  # real kept, fake = real
    metric = tm.FrechetInceptionDistance(feature=tiny_net)
    metric.update(real, real=True)
    metric.reset()
    with pytest.raises(RuntimeError, match="real"):
        metric.compute()


def test_normalize_and_dtype_checks(tiny_net, images):
    real, fake = images
    a = tm.FrechetInceptionDistance(feature=tiny_net, normalize=True)
    b = tm.FrechetInceptionDistance(feature=tiny_net)
    a.update(real.float() / 255, real=True)
    a.update(fake.float() / 255, real=False)
    b.update((real.float() / 255 * 255).byte(), real=True)
    b.update((fake.float() / 255 * 255).byte(), real=False)
    assert float(a.compute()) == float(b.compute())
    with pytest.raises(ValueError, match="uint8"):
        b.update(real.float(), real=True)
    with pytest.raises(ValueError, match="feature"):
        tm.FrechetInceptionDistance(feature=1000)


def test_kid_std_is_the_population_std_as_torchmetrics(tiny_net, images):
    # torchmetrics: kid_scores.std(unbiased=False) (its IS std, below, is unbiased).
    real, fake = images
    metric = tm.KernelInceptionDistance(feature=tiny_net, subsets=6, subset_size=5, seed=2020)
    metric.update(real, real=True)
    metric.update(fake, real=False)
    mean, std = metric.compute()
    want_mean, want_std = kid(_features(tiny_net, real), _features(tiny_net, fake), subsets=6, subset_size=5)
    assert float(mean) == pytest.approx(want_mean, rel=1e-6)
    assert float(std) == pytest.approx(want_std, rel=1e-6)


def test_inception_score(tiny_net, images):
    _, fake = images
    metric = tm.InceptionScore(feature=tiny_net, splits=3)
    metric.update(fake[:7])
    metric.update(fake[7:])
    torch.manual_seed(3)
    mean, std = metric.compute()
    torch.manual_seed(3)
    logits = _features(tiny_net, fake, "logits_unbiased")[torch.randperm(fake.shape[0])]
    scores = torch.tensor([inception_score(part, splits=1)[0] for part in logits.chunk(3)], dtype=torch.float64)
    assert float(mean) == pytest.approx(float(scores.mean()), rel=1e-6)
    assert float(std) == pytest.approx(float(scores.std()), rel=1e-5)
    metric.reset()
    with pytest.raises(RuntimeError, match="update"):
        metric.compute()


def test_states_of_another_metric_merge_exactly(tiny_net, images):
    """merge_state (what a process group's sync amounts to) gives the whole set's result."""
    real, fake = images
    rank0, rank1 = (tm.FrechetInceptionDistance(feature=tiny_net) for _ in range(2))
    rank0.update(real[:5], real=True), rank0.update(fake[:7], real=False)
    rank1.update(real[5:], real=True), rank1.update(fake[7:], real=False)
    rank0.merge_state(rank1)
    want = fid_from_features(_features(tiny_net, real), _features(tiny_net, fake))
    assert float(rank0.compute()) == pytest.approx(want, rel=1e-5)

    k0, k1 = (tm.KernelInceptionDistance(feature=tiny_net, subsets=3, subset_size=4, seed=2020) for _ in range(2))
    k0.update(real[:6], real=True), k0.update(fake[:6], real=False)
    k1.update(real[6:], real=True), k1.update(fake[6:], real=False)
    k0.merge_state(k1)
    mean, _ = k0.compute()
    # torchmetrics puts the incoming states first; the subsets depend on that order.
    real_order = torch.cat([_features(tiny_net, real[6:]), _features(tiny_net, real[:6])])
    fake_order = torch.cat([_features(tiny_net, fake[6:]), _features(tiny_net, fake[:6])])
    want_mean, _ = kid(real_order, fake_order, subsets=3, subset_size=4)
    assert float(mean) == pytest.approx(want_mean, rel=1e-6)


def test_classes_live_in_torchmetrics_module_paths():
    from fastgan.compat.torchmetrics.image.fid import FrechetInceptionDistance
    from fastgan.compat.torchmetrics.image.inception import InceptionScore
    from fastgan.compat.torchmetrics.image.kid import KernelInceptionDistance
    from fastgan.compat.torchmetrics.image.lpip import LearnedPerceptualImagePatchSimilarity

    assert tm.FrechetInceptionDistance is FrechetInceptionDistance
    assert tm.image.KernelInceptionDistance is KernelInceptionDistance
    assert tm.InceptionScore is InceptionScore
    assert tm.LearnedPerceptualImagePatchSimilarity is LearnedPerceptualImagePatchSimilarity
