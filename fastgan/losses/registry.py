"""The adversarial losses by name, as (discriminator, generator) pairs with one signature."""
from typing import Callable, NamedTuple

from .hinge import hinge_discriminator_loss, hinge_generator_loss
from .least_squares import least_squares_discriminator_loss, least_squares_generator_loss
from .minimax import minimax_discriminator_loss, minimax_generator_loss
from .non_saturating import non_saturating_discriminator_loss, non_saturating_generator_loss
from .wasserstein import wasserstein_discriminator_loss, wasserstein_generator_loss


class AdversarialLoss(NamedTuple):
    """``discriminator(real_scores, fake_scores)`` and ``generator(fake_scores, real_scores=None)``."""

    discriminator: Callable
    generator: Callable


ADVERSARIAL_LOSSES = {
    "minimax": AdversarialLoss(minimax_discriminator_loss, minimax_generator_loss),
    "non_saturating": AdversarialLoss(non_saturating_discriminator_loss, non_saturating_generator_loss),
    "wasserstein": AdversarialLoss(wasserstein_discriminator_loss, wasserstein_generator_loss),
    "least_squares": AdversarialLoss(least_squares_discriminator_loss, least_squares_generator_loss),
    "hinge": AdversarialLoss(hinge_discriminator_loss, hinge_generator_loss),
}


def adversarial_loss(name):
    """The (discriminator, generator) loss pair called `name` (see ADVERSARIAL_LOSSES)."""
    try:
        return ADVERSARIAL_LOSSES[name]
    except KeyError:
        raise ValueError(f"unknown adversarial loss {name!r}; choose one of {sorted(ADVERSARIAL_LOSSES)}") from None
