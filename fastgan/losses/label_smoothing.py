"""One-sided label smoothing (Salimans et al., 2016, section 3.4).

The discriminator's target for real samples becomes a value below 1 (e.g. 0.9) while
the target for fakes stays 0. Smoothing the fake side too would move the optimal
discriminator's output towards the generator's density where data is absent, which is
why only the real side is smoothed.
"""
from .minimax import minimax_discriminator_loss


def one_sided_label_smoothing_loss(real_scores, fake_scores, real_label=0.9):
    """BCE discriminator loss with real targets `real_label` and fake targets 0, on logits.

    Args:
        real_scores, fake_scores: discriminator logits, any shapes.
        real_label: the smoothed target for real samples, in (0, 1].

    Returns:
        0-dim tensor.
    """
    real_label = float(real_label)
    if not 0.0 < real_label <= 1.0:
        raise ValueError(f"real_label must lie in (0, 1] (e.g. 0.9), got {real_label}")
    return minimax_discriminator_loss(real_scores, fake_scores, real_label=real_label)
