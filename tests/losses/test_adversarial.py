"""fastgan.losses adversarial losses, each computed by hand on small tensors."""
import math

import pytest
import torch

from fastgan.losses import (
    ADVERSARIAL_LOSSES,
    adversarial_loss,
    hinge_discriminator_loss,
    hinge_generator_loss,
    least_squares_discriminator_loss,
    least_squares_generator_loss,
    minimax_discriminator_loss,
    minimax_generator_loss,
    non_saturating_discriminator_loss,
    non_saturating_generator_loss,
    wasserstein_discriminator_loss,
    wasserstein_generator_loss,
)

REAL = torch.tensor([2.0, -1.0, 0.5], dtype=torch.float64)
FAKE = torch.tensor([-3.0, 0.0, 1.5, 0.25], dtype=torch.float64)


def _sigmoid(s):
    return 1.0 / (1.0 + math.exp(-s))


def _mean(values):
    return sum(values) / len(values)


def test_minimax_by_hand():
    want_d = -_mean([math.log(_sigmoid(s)) for s in REAL.tolist()]) - _mean([math.log(1 - _sigmoid(s)) for s in FAKE.tolist()])
    want_g = _mean([math.log(1 - _sigmoid(s)) for s in FAKE.tolist()])
    assert minimax_discriminator_loss(REAL, FAKE).item() == pytest.approx(want_d, rel=1e-12)
    assert minimax_generator_loss(FAKE).item() == pytest.approx(want_g, rel=1e-12)


def test_non_saturating_by_hand():
    want_g = -_mean([math.log(_sigmoid(s)) for s in FAKE.tolist()])
    assert non_saturating_generator_loss(FAKE).item() == pytest.approx(want_g, rel=1e-12)
    assert non_saturating_discriminator_loss(REAL, FAKE).item() == pytest.approx(minimax_discriminator_loss(REAL, FAKE).item())


def test_non_saturating_keeps_gradient_where_minimax_saturates():
    # D confidently rejects the fake (logit -20): minimax's generator gradient vanishes.
    fake = torch.tensor([-20.0], dtype=torch.float64, requires_grad=True)
    (g_minimax,) = torch.autograd.grad(minimax_generator_loss(fake), fake)
    (g_ns,) = torch.autograd.grad(non_saturating_generator_loss(fake), fake)
    assert abs(g_minimax.item()) < 1e-8
    assert g_ns.item() == pytest.approx(-1.0, rel=1e-8)


def test_bce_losses_are_stable_for_large_logits():
    big = torch.tensor([1e4, -1e4], dtype=torch.float32)
    for value in (minimax_discriminator_loss(big, big), non_saturating_generator_loss(big), minimax_generator_loss(big)):
        assert torch.isfinite(value)
    assert minimax_discriminator_loss(big, big).item() == pytest.approx((1e4 / 2) + (1e4 / 2), rel=1e-6)


def test_wasserstein_by_hand():
    assert wasserstein_discriminator_loss(REAL, FAKE).item() == pytest.approx(_mean(FAKE.tolist()) - _mean(REAL.tolist()), rel=1e-12)
    assert wasserstein_generator_loss(FAKE).item() == pytest.approx(-_mean(FAKE.tolist()), rel=1e-12)


def test_least_squares_by_hand():
    want_d = 0.5 * _mean([(s - 1) ** 2 for s in REAL.tolist()]) + 0.5 * _mean([s**2 for s in FAKE.tolist()])
    assert least_squares_discriminator_loss(REAL, FAKE).item() == pytest.approx(want_d, rel=1e-12)
    assert least_squares_generator_loss(FAKE).item() == pytest.approx(0.5 * _mean([(s - 1) ** 2 for s in FAKE.tolist()]), rel=1e-12)
    # Pearson chi^2 coding a=-1, b=1, c=0.
    want_chi = 0.5 * _mean([(s - 1) ** 2 for s in REAL.tolist()]) + 0.5 * _mean([(s + 1) ** 2 for s in FAKE.tolist()])
    assert least_squares_discriminator_loss(REAL, FAKE, a=-1.0, b=1.0).item() == pytest.approx(want_chi, rel=1e-12)
    assert least_squares_generator_loss(FAKE, c=0.0).item() == pytest.approx(0.5 * _mean([s**2 for s in FAKE.tolist()]), rel=1e-12)


def test_hinge_by_hand():
    want_d = _mean([max(0.0, 1 - s) for s in REAL.tolist()]) + _mean([max(0.0, 1 + s) for s in FAKE.tolist()])
    assert hinge_discriminator_loss(REAL, FAKE).item() == pytest.approx(want_d, rel=1e-12)
    assert hinge_generator_loss(FAKE).item() == pytest.approx(-_mean(FAKE.tolist()), rel=1e-12)
    # Margins satisfied: zero loss.
    assert hinge_discriminator_loss(torch.tensor([1.0, 3.0]), torch.tensor([-1.0, -2.0])).item() == 0.0


def test_patch_maps_average_over_every_entry():
    real = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    fake = torch.zeros(1, 1, 2, 2)
    assert wasserstein_discriminator_loss(real, fake).item() == pytest.approx(-2.5)


@pytest.mark.parametrize("name", sorted(ADVERSARIAL_LOSSES))
def test_common_signature(name):
    pair = adversarial_loss(name)
    d = pair.discriminator(REAL, FAKE)
    g = pair.generator(FAKE, real_scores=REAL)
    assert d.shape == () and g.shape == ()
    assert pair.generator(FAKE).item() == g.item()


def test_unknown_name_and_bad_scores():
    with pytest.raises(ValueError, match="unknown adversarial loss 'wgan'"):
        adversarial_loss("wgan")
    with pytest.raises(TypeError, match="real_scores must be a torch tensor"):
        hinge_discriminator_loss([1.0], FAKE)
    with pytest.raises(TypeError, match="floating-point"):
        wasserstein_generator_loss(torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="empty"):
        minimax_discriminator_loss(torch.zeros(0), FAKE)
