"""The least-squares GAN loss (LSGAN, Mao et al., 2017) with its a-b-c coding.

Discriminator: ``1/2 E[(D(x) - b)^2] + 1/2 E[(D(G(z)) - a)^2]``;
generator: ``1/2 E[(D(G(z)) - c)^2]``. The defaults a=0, b=c=1 are the paper's
0-1 coding; a=-1, b=1, c=0 is its Pearson chi^2 setting.
"""
from ._scores import check_scores


def least_squares_discriminator_loss(real_scores, fake_scores, a=0.0, b=1.0):
    """LSGAN discriminator loss.

    Args:
        real_scores, fake_scores: raw discriminator outputs (no sigmoid), any shapes.
        a: target for fake samples. b: target for real samples.

    Returns:
        0-dim tensor.
    """
    real_scores = check_scores(real_scores, "real_scores")
    fake_scores = check_scores(fake_scores, "fake_scores")
    return 0.5 * (real_scores - b).square().mean() + 0.5 * (fake_scores - a).square().mean()


def least_squares_generator_loss(fake_scores, real_scores=None, c=1.0):
    """LSGAN generator loss ``1/2 E[(D(G(z)) - c)^2]``.

    Args:
        fake_scores: raw discriminator outputs on generated samples.
        real_scores: unused (common signature).
        c: the value the generator wants D to believe for fakes.
    """
    fake_scores = check_scores(fake_scores, "fake_scores")
    return 0.5 * (fake_scores - c).square().mean()
