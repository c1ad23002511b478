"""The hinge loss of SAGAN/BigGAN (Lim & Ye, 2017; Miyato et al., 2018).

Discriminator: ``E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]``; generator: ``-E[D(G(z))]``.
"""
import torch.nn.functional as F

from ._scores import check_scores


def hinge_discriminator_loss(real_scores, fake_scores):
    """Hinge loss of the discriminator on raw scores.

    Args:
        real_scores, fake_scores: raw discriminator outputs, any shapes.

    Returns:
        0-dim tensor; zero once real scores are >= 1 and fake scores <= -1.
    """
    real_scores = check_scores(real_scores, "real_scores")
    fake_scores = check_scores(fake_scores, "fake_scores")
    return F.relu(1.0 - real_scores).mean() + F.relu(1.0 + fake_scores).mean()


def hinge_generator_loss(fake_scores, real_scores=None):
    """``-E[D(G(z))]`` (the generator side of the hinge loss is linear).

    Args:
        fake_scores: raw discriminator outputs on generated samples.
        real_scores: unused (common signature).
    """
    fake_scores = check_scores(fake_scores, "fake_scores")
    return -fake_scores.mean()
