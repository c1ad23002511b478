"""FID and KID on feature matrices for the training callbacks, from fastgan.metrics.

The Evaluator's sets are small (a few hundred held-out samples), so KID's subsets are
capped at the smaller set; everything else is fastgan.metrics' own definition.
"""
from ..metrics import fid_from_features
from ..metrics import kid as _kid


def fid(real, fake):
    """Fréchet distance between Gaussians fitted to two [N, D] feature sets (float)."""
    return float(fid_from_features(real, fake))


def kid(real, fake, subsets=50, subset_size=100, seed=2020):
    """Kernel inception distance (polynomial kernel of degree 3): (mean, std) over subsets.

    Args:
        real, fake: [N, D] feature sets.
        subsets: number of random subsets.
        subset_size: rows per subset, capped at the smaller set.
        seed: seed of the subset sampling.

    Returns:
        (mean, std) as floats.
    """
    subset_size = min(subset_size, len(real), len(fake))
    mean, std = _kid(real, fake, subsets=subsets, subset_size=subset_size, seed=seed)
    return float(mean), float(std)
