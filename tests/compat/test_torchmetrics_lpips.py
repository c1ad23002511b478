"""fastgan.compat.torchmetrics.LearnedPerceptualImagePatchSimilarity: torchmetrics' interface."""
import pytest
import torch

import fastgan.metrics
from fastgan.compat.torchmetrics import LearnedPerceptualImagePatchSimilarity


@pytest.fixture
def pairs(networks_ref):
    x = networks_ref["imgs64"].float() / 127.5 - 1
    return x[[0, 1, 2]], x[[3, 2, 0]]


def test_mean_over_updates_equals_mean_over_all_pairs(lpips_alex, networks_ref, pairs):
    a, b = pairs
    metric = LearnedPerceptualImagePatchSimilarity(model=lpips_alex)
    metric.update(a[:2], b[:2])
    metric.update(a[2:], b[2:])
    want = fastgan.metrics.lpips(a, b, model=lpips_alex).double().mean()
    got = metric.compute()
    assert got.dim() == 0 and got.dtype == torch.float32
    assert float(got) == pytest.approx(float(want), rel=1e-6)


def test_reference_value_and_sum(lpips_alex, networks_ref):
    x = networks_ref["imgs64"].float() / 127.5 - 1
    metric = LearnedPerceptualImagePatchSimilarity(net_type="alex", reduction="sum", model=lpips_alex)
    metric.update(x[:2], x[2:])
    assert float(metric.compute()) == pytest.approx(float(networks_ref["lpips_alex"].sum()), rel=1e-4)


def test_forward_returns_batch_value_and_accumulates(lpips_alex, pairs):
    a, b = pairs
    metric = LearnedPerceptualImagePatchSimilarity(model=lpips_alex, normalize=True)
    first = metric((a[:1] + 1) / 2, (b[:1] + 1) / 2)
    second = metric((a[1:] + 1) / 2, (b[1:] + 1) / 2)
    each = fastgan.metrics.lpips(a, b, model=lpips_alex)
    assert float(first) == pytest.approx(float(each[0]), rel=1e-5)
    assert float(second) == pytest.approx(float(each[1:].mean()), rel=1e-5)
    assert float(metric.compute()) == pytest.approx(float(each.double().mean()), rel=1e-5)
    metric.reset()
    with pytest.raises(ValueError, match="before update"):
        metric.compute()


def test_validates_like_torchmetrics(lpips_alex, pairs):
    a, b = pairs
    metric = LearnedPerceptualImagePatchSimilarity(model=lpips_alex)
    with pytest.raises(ValueError, match=r"\[-1,1\]"):
        metric.update(a * 3, b)
    with pytest.raises(ValueError, match=r"\[N,3,H,W\]"):
        metric.update(a[:, :1], b[:, :1])
    with pytest.raises(ValueError, match="squeeze"):
        LearnedPerceptualImagePatchSimilarity(net_type="squeeze", model=lpips_alex)
    with pytest.raises(ValueError, match="reduction"):
        LearnedPerceptualImagePatchSimilarity(reduction="none", model=lpips_alex)
    with pytest.raises(ValueError, match="net_type"):
        LearnedPerceptualImagePatchSimilarity(net_type="vgg", model=lpips_alex)


def test_state_is_not_saved_with_the_weights(lpips_alex):
    metric = LearnedPerceptualImagePatchSimilarity(model=lpips_alex)
    keys = metric.state_dict().keys()
    assert "sum_scores" not in keys and "total" not in keys
    assert any(k.startswith("net.backbone.features.") for k in keys)
