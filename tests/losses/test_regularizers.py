"""fastgan.losses regularisers and tricks: label smoothing, feature matching, historical averaging, weight clipping."""
import math

import pytest
import torch
from torch import nn

from fastgan.losses import (
    HistoricalAverage,
    clip_weights_after_step,
    feature_matching_loss,
    minimax_discriminator_loss,
    one_sided_label_smoothing_loss,
)


def test_one_sided_label_smoothing_by_hand():
    real = torch.tensor([2.0, -1.0], dtype=torch.float64)
    fake = torch.tensor([0.5], dtype=torch.float64)
    sig = lambda s: 1 / (1 + math.exp(-s))  # noqa: E731
    bce = lambda s, t: -(t * math.log(sig(s)) + (1 - t) * math.log(1 - sig(s)))  # noqa: E731
    want = (bce(2.0, 0.9) + bce(-1.0, 0.9)) / 2 + bce(0.5, 0.0)
    assert one_sided_label_smoothing_loss(real, fake, real_label=0.9).item() == pytest.approx(want, rel=1e-12)


def test_label_smoothing_is_one_sided():
    # Only the real targets move: the fake term equals the unsmoothed loss's fake term.
    fake = torch.tensor([0.3, -2.0], dtype=torch.float64)
    far_real = torch.full((2,), 50.0, dtype=torch.float64)  # real term ~0 without smoothing
    smoothed = one_sided_label_smoothing_loss(far_real, fake, 0.9)
    plain = minimax_discriminator_loss(far_real, fake)
    # Smoothing penalises over-confident real logits: 0.1 * softplus(50) ~ 5.
    assert (smoothed - plain).item() == pytest.approx(0.1 * 50.0, rel=1e-9)
    # The optimum real logit for target 0.9 is logit(0.9), where the gradient vanishes.
    s = torch.tensor([math.log(9.0)], dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(one_sided_label_smoothing_loss(s, torch.zeros(1, dtype=torch.float64)), s)
    assert abs(grad.item()) < 1e-12


def test_label_smoothing_rejects_bad_label():
    with pytest.raises(ValueError, match=r"real_label must lie in \(0, 1\]"):
        one_sided_label_smoothing_loss(torch.zeros(2), torch.zeros(2), real_label=1.2)


def test_feature_matching_by_hand():
    real = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)  # mean (2, 3)
    fake = torch.tensor([[0.0, 0.0], [1.0, 2.0], [2.0, 1.0]], dtype=torch.float64, requires_grad=True)  # mean (1, 1)
    loss = feature_matching_loss(real, fake)
    assert loss.item() == pytest.approx(1.0 + 4.0)
    (grad,) = torch.autograd.grad(loss, fake)
    # d/d fake_i of |m_r - m_f|^2 = -2 (m_r - m_f) / B'
    torch.testing.assert_close(grad, (-2 * torch.tensor([1.0, 2.0], dtype=torch.float64) / 3).expand(3, 2))


def test_feature_matching_several_layers_and_real_is_constant():
    real = [torch.ones(2, 3, requires_grad=True), torch.zeros(2, 2, 2)]
    fake = [torch.zeros(4, 3), torch.ones(4, 2, 2)]
    loss = feature_matching_loss(real, fake)
    assert loss.item() == pytest.approx(3.0 + 4.0)
    assert not loss.requires_grad  # real features are detached, fake ones here need no grad
    with pytest.raises(ValueError, match="differ beyond the batch size"):
        feature_matching_loss(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="same layers"):
        feature_matching_loss([torch.zeros(2, 3)], [])


def test_historical_average_by_hand():
    p = nn.Parameter(torch.tensor([1.0, 2.0], dtype=torch.float64))
    hist = HistoricalAverage([p], weight=0.5)
    assert hist.penalty().item() == 0.0
    with torch.no_grad():
        p.copy_(torch.tensor([3.0, 0.0]))
    hist.update()  # average of (1, 2) and (3, 0) = (2, 1)
    with torch.no_grad():
        p.copy_(torch.tensor([5.0, 5.0]))
    # penalty = 0.5 * ((5 - 2)^2 + (5 - 1)^2)
    assert hist.penalty().item() == pytest.approx(0.5 * 25.0)
    hist.update()  # average of three values: (3, 7/3)
    torch.testing.assert_close(hist.averages[0], torch.tensor([3.0, 7.0 / 3.0], dtype=torch.float64))
    (grad,) = torch.autograd.grad(hist.penalty(), p)
    torch.testing.assert_close(grad, 2 * 0.5 * (p.detach() - hist.averages[0]))


def test_weight_clipping_clamps_after_step():
    torch.manual_seed(0)
    critic = nn.Linear(4, 1)
    with torch.no_grad():
        critic.weight.mul_(100.0)
    opt = torch.optim.SGD(critic.parameters(), lr=10.0)
    handle = clip_weights_after_step(opt, clip=0.01)
    assert all(p.detach().abs().max().item() <= 0.01 for p in critic.parameters())  # clipped at registration
    critic(torch.randn(8, 4)).mean().mul(-1000).backward()  # a step that leaves the box
    opt.step()
    assert all(p.detach().abs().max().item() <= 0.01 for p in critic.parameters())
    assert critic.weight.detach().abs().max().item() == pytest.approx(0.01)  # it did hit the bound
    handle.remove()
    opt.zero_grad()
    critic(torch.randn(8, 4)).mean().mul(-1000).backward()
    opt.step()
    assert critic.weight.detach().abs().max().item() > 0.01  # hook removed: no more clipping


def test_weight_clipping_subset_and_bad_clip():
    a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    opt = torch.optim.SGD(list(a.parameters()) + list(b.parameters()), lr=1.0)
    with torch.no_grad():
        for p in list(a.parameters()) + list(b.parameters()):
            p.fill_(5.0)
    clip_weights_after_step(opt, a, clip=0.1)
    assert a.weight.detach().max().item() == pytest.approx(0.1) and b.weight.detach().max().item() == 5.0
    with pytest.raises(ValueError, match="clip must be > 0"):
        clip_weights_after_step(opt, clip=0.0)
