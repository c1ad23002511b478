"""fastgan.compat.torchmetrics classes are torchmetrics Metrics, and agree with torchmetrics' own.

Compared with torchmetrics' FrechetInceptionDistance / KernelInceptionDistance / InceptionScore
on the same custom feature network (the anchor's default extractor needs torch-fidelity's
weights download). Skipped where torchmetrics is not installed; the fallback without it is
checked in a subprocess that hides torchmetrics.
"""
import subprocess
import sys
import textwrap

import pytest
import torch
from torch import nn

import fastgan.compat.torchmetrics as tm
from tiny_inception import TinyNet, make_images

torchmetrics = pytest.importorskip("torchmetrics")


class PoolFeatures(nn.Module):
    """uint8 images -> one output of the seeded tiny network, as a plain tensor (what torchmetrics takes)."""

    def __init__(self, key="pool3"):
        super().__init__()
        self.net, self.key = TinyNet(), key

    def forward(self, x):
        with torch.no_grad():
            return self.net(x)[self.key].double() if self.key == "pool3" else self.net(x)[self.key]


@pytest.fixture(scope="module")
def batches():
    return make_images(0, 24, 32), make_images(1, 24, 32, shift=40)


def _fed(metric, batches, halves=2):
    real, fake = batches
    for part in torch.chunk(real, halves):
        metric.update(part, real=True)
    for part in torch.chunk(fake, halves):
        metric.update(part, real=False)
    return metric


def test_is_a_torchmetrics_metric_with_float64_sum_states():
    metric = tm.FrechetInceptionDistance(feature=PoolFeatures(), input_img_size=(3, 32, 32))
    assert isinstance(metric, torchmetrics.Metric)
    for side in ("real", "fake"):
        assert getattr(metric, f"{side}_features_sum").dtype == torch.float64
        assert getattr(metric, f"{side}_features_cov_sum").dtype == torch.float64
        assert metric._reductions[f"{side}_features_sum"] is not None


def test_fid_matches_torchmetrics_on_the_same_network(batches):
    from torchmetrics.image.fid import FrechetInceptionDistance

    ours = _fed(tm.FrechetInceptionDistance(feature=PoolFeatures(), input_img_size=(3, 32, 32)), batches)
    theirs = _fed(FrechetInceptionDistance(feature=PoolFeatures()), batches)
    assert float(ours.compute()) == pytest.approx(float(theirs.compute()), rel=1e-6)


def test_kid_matches_torchmetrics_with_the_same_torch_seed(batches):
    from torchmetrics.image.kid import KernelInceptionDistance

    ours = _fed(tm.KernelInceptionDistance(feature=PoolFeatures(), subsets=5, subset_size=10), batches)
    theirs = _fed(KernelInceptionDistance(feature=PoolFeatures(), subsets=5, subset_size=10), batches)
    torch.manual_seed(7)
    got = [float(v) for v in ours.compute()]
    torch.manual_seed(7)
    want = [float(v) for v in theirs.compute()]
    assert got == pytest.approx(want, rel=1e-6)


def test_inception_score_matches_torchmetrics_with_the_same_torch_seed(batches):
    from torchmetrics.image.inception import InceptionScore

    fake = batches[1][:23]  # 23 rows in 4 chunks: torch.chunk's uneven split
    ours, theirs = tm.InceptionScore(feature=PoolFeatures("logits_unbiased"), splits=4), \
        InceptionScore(feature=PoolFeatures("logits_unbiased"), splits=4)
    for metric in (ours, theirs):
        metric.update(fake[:10])
        metric.update(fake[10:])
    torch.manual_seed(11)
    got = [float(v) for v in ours.compute()]
    torch.manual_seed(11)
    want = [float(v) for v in theirs.compute()]
    # torchmetrics computes in float32: its std of scores near 1 carries ~1e-7 absolute rounding.
    assert got[0] == pytest.approx(want[0], rel=1e-5)
    assert got[1] == pytest.approx(want[1], rel=1e-5, abs=1e-6)


def test_metric_collection_forward_and_unknown_arguments(batches):
    real, fake = batches
    collection = torchmetrics.MetricCollection({
        "fid": tm.FrechetInceptionDistance(feature=PoolFeatures(), input_img_size=(3, 32, 32)),
        "kid": tm.KernelInceptionDistance(feature=PoolFeatures(), subsets=2, subset_size=8, seed=0),
    })
    collection.update(real, real=True)
    collection.update(fake, real=False)
    out = collection.compute()
    assert set(out) == {"fid", "kid"} and float(out["fid"]) > 0
    with pytest.raises(ValueError, match="Unexpected keyword"):
        tm.FrechetInceptionDistance(feature=PoolFeatures(), input_img_size=(3, 32, 32), not_an_option=1)
    metric = tm.FrechetInceptionDistance(feature=PoolFeatures(), input_img_size=(3, 32, 32), compute_on_cpu=True)
    metric.update(real, real=True)
    metric.update(fake, real=False)
    assert int(metric.fake_features_num_samples) == fake.shape[0]


def test_reset_real_features_false_keeps_real_statistics(batches):
    metric = _fed(tm.FrechetInceptionDistance(feature=PoolFeatures(), input_img_size=(3, 32, 32),
                                              reset_real_features=False), batches)
    metric.reset()
    assert int(metric.real_features_num_samples) == batches[0].shape[0]
    assert int(metric.fake_features_num_samples) == 0


def test_without_torchmetrics_the_same_interface_runs(tmp_path):
    """A subprocess that cannot import torchmetrics gets the nn.Module fallback, same numbers."""
    script = textwrap.dedent(f"""
        import sys
        sys.modules["torchmetrics"] = None  # import fails as if not installed
        sys.path.insert(0, {str(tmp_path.parent)!r})
        import torch
        sys.path.insert(0, {str(__file__.rsplit('/', 2)[0])!r})
        from tiny_inception import TinyNet, make_images
        import fastgan.compat.torchmetrics as tm
        from fastgan.compat.torchmetrics.metric import HAVE_TORCHMETRICS, FallbackMetric
        assert not HAVE_TORCHMETRICS
        net = TinyNet()
        real, fake = make_images(0, 24, 32), make_images(1, 24, 32, shift=40)
        a, b = tm.FrechetInceptionDistance(feature=net), tm.FrechetInceptionDistance(feature=net)
        assert isinstance(a, FallbackMetric)
        a.update(real[:12], real=True); a.update(fake[:12], real=False)
        b.update(real[12:], real=True); b.update(fake[12:], real=False)
        a.merge_state(b)
        whole = tm.FrechetInceptionDistance(feature=net)
        whole.update(real, real=True)
        whole.update(fake[:12], real=False)
        whole.update(fake[12:], real=False)
        kid = tm.KernelInceptionDistance(feature=net, subsets=2, subset_size=8, seed=0)
        kid.update(real, real=True)
        kid.update(fake, real=False)
        print(float(a.compute()), float(whole.compute()), int(sum(len(t) for t in kid.fake_features)))
        try:
            tm.FrechetInceptionDistance(feature=net, bogus=1)
        except ValueError as exc:
            print("refused", exc)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    merged, whole, seen = (float(v) for v in out.splitlines()[0].split())
    assert merged == pytest.approx(whole, rel=1e-6) and seen == 24
    assert "refused Unexpected keyword arguments: `bogus`" in out


def test_fallback_forward_returns_the_batch_value_and_accumulates():
    from fastgan.compat.torchmetrics.metric import FallbackMetric

    class Total(FallbackMetric):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.add_state("total", torch.zeros((), dtype=torch.float64), dist_reduce_fx="sum")
            self.add_state("seen", [], dist_reduce_fx="cat")

        def update(self, x):
            self.total = self.total + x.sum()
            self.seen.append(x)

        def compute(self):
            return self.total

    metric = Total()
    assert float(metric(torch.ones(3))) == 3.0
    assert float(metric(torch.ones(2))) == 2.0
    assert float(metric.compute()) == 5.0 and len(metric.seen) == 2
    other = Total()
    other.update(torch.full((4,), 2.0))
    metric.merge_state(other)
    assert float(metric.compute()) == 13.0
    metric.reset()
    assert float(metric.compute()) == 0.0 and metric.seen == []
    with pytest.raises(ValueError, match="Unexpected keyword"):
        Total(bogus=True)


def test_default_network_preprocesses_like_torch_fidelity(seeded_inception_state):
    """torchmetrics' default extractor is torch-fidelity's: TF1 resize and (x - 128) / 128."""
    from fastgan.compat.torch_fidelity import TorchFidelityInceptionV3

    metric = tm.FrechetInceptionDistance(feature=2048, feature_extractor_weights_path=seeded_inception_state)
    assert isinstance(metric.inception, TorchFidelityInceptionV3)
    images = make_images(0, 2, 32)
    want = TorchFidelityInceptionV3(weights=seeded_inception_state)(images)["pool3"].double()
    metric.update(images, real=True)
    assert torch.allclose(metric.real_features_sum, want.sum(0), rtol=1e-6, atol=1e-9)
