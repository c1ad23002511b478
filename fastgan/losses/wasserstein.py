"""The Wasserstein GAN loss (Arjovsky et al., 2017) on unbounded critic scores.

The critic maximises E[D(x)] - E[D(G(z))]; it must be kept (roughly) 1-Lipschitz, by
weight clipping (weight_clipping.py) or a gradient penalty (fastgan.ops.gradient_penalty).
"""
from ._scores import check_scores


def wasserstein_discriminator_loss(real_scores, fake_scores):
    """``E[D(G(z))] - E[D(x)]``, the negated Wasserstein estimate, which the critic minimises.

    Args:
        real_scores, fake_scores: critic outputs, any shapes.

    Returns:
        0-dim tensor.
    """
    real_scores = check_scores(real_scores, "real_scores")
    fake_scores = check_scores(fake_scores, "fake_scores")
    return fake_scores.mean() - real_scores.mean()


def wasserstein_generator_loss(fake_scores, real_scores=None):
    """``-E[D(G(z))]``.

    Args:
        fake_scores: critic outputs on generated samples.
        real_scores: unused (common signature).
    """
    fake_scores = check_scores(fake_scores, "fake_scores")
    return -fake_scores.mean()
