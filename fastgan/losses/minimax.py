"""The original GAN loss (Goodfellow et al., 2014), on logits.

Discriminator: ``-E[log D(x)] - E[log(1 - D(G(z)))]`` with ``D = sigmoid(logits)``.
Generator (the saturating minimax form): ``E[log(1 - D(G(z)))]``, which it minimises;
its gradient vanishes when D confidently rejects the fakes, hence the
non-saturating variant in non_saturating.py.

Every adversarial loss here has the same signature:
``discriminator_loss(real_scores, fake_scores) -> Tensor`` and
``generator_loss(fake_scores, real_scores=None) -> Tensor``, scores being the raw
critic outputs ([B] or [B, ...], e.g. PatchGAN maps), averaged over all entries.
"""
import torch.nn.functional as F

from ._scores import check_scores


def minimax_discriminator_loss(real_scores, fake_scores, real_label=1.0):
    """Binary cross-entropy of the discriminator: real scored as `real_label`, fake as 0.

    Args:
        real_scores: logits of D on real samples, any shape.
        fake_scores: logits of D on generated samples, any shape.
        real_label: target for real samples (1; < 1 is one-sided label smoothing).

    Returns:
        0-dim tensor: mean BCE on real plus mean BCE on fake.
    """
    real_scores = check_scores(real_scores, "real_scores")
    fake_scores = check_scores(fake_scores, "fake_scores")
    # softplus forms of -log(sigmoid(s)) and -log(1 - sigmoid(s)), stable for large |s|.
    real_term = real_label * F.softplus(-real_scores) + (1.0 - real_label) * F.softplus(real_scores)
    return real_term.mean() + F.softplus(fake_scores).mean()


def minimax_generator_loss(fake_scores, real_scores=None):
    """The generator's side of the minimax game, ``E[log(1 - sigmoid(fake_scores))]``.

    Args:
        fake_scores: logits of D on generated samples.
        real_scores: unused (common signature).

    Returns:
        0-dim tensor (negative; the generator minimises it).
    """
    fake_scores = check_scores(fake_scores, "fake_scores")
    return -F.softplus(fake_scores).mean()
