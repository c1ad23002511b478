"""The non-saturating GAN loss: the generator maximises log D(G(z)) (the -log D trick).

The discriminator's loss is the minimax one; only the generator's differs, and keeps
strong gradients when D rejects the fakes (Goodfellow et al., 2014, section 3).
"""
import torch.nn.functional as F

from ._scores import check_scores
from .minimax import minimax_discriminator_loss


def non_saturating_discriminator_loss(real_scores, fake_scores, real_label=1.0):
    """Same as `minimax_discriminator_loss`: BCE with real -> real_label, fake -> 0, on logits."""
    return minimax_discriminator_loss(real_scores, fake_scores, real_label=real_label)


def non_saturating_generator_loss(fake_scores, real_scores=None):
    """``-E[log sigmoid(fake_scores)]``.

    Args:
        fake_scores: logits of D on generated samples.
        real_scores: unused (common signature).

    Returns:
        0-dim tensor.
    """
    fake_scores = check_scores(fake_scores, "fake_scores")
    return F.softplus(-fake_scores).mean()
