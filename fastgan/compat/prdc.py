"""Drop-in replacement for the `prdc` package (0.2): `from fastgan.compat.prdc import compute_prdc`.

Same signature, same keys, same numbers; tiled kernels instead of three N x N
distance matrices, so it is faster and its memory grows with N * k.
"""
import numpy as np

from ..metrics.prdc import prdc

__all__ = ["compute_prdc"]


def compute_prdc(real_features, fake_features, nearest_k):
    """Precision, recall, density and coverage, exactly as `prdc.compute_prdc`.

    Args:
        real_features: numpy.ndarray([N, feature_dim]) (torch tensors work too).
        fake_features: numpy.ndarray([M, feature_dim]).
        nearest_k: int.

    Returns:
        dict of precision, recall, density and coverage (NumPy float64 scalars, as prdc).
    """
    # prdc announces the set sizes; keep its output so logs read the same.
    print("Num real: {} Num fake: {}".format(real_features.shape[0], fake_features.shape[0]))
    scores = prdc(real_features, fake_features, nearest_k=nearest_k)
    return {key: np.float64(scores[key]) for key in ("precision", "recall", "density", "coverage")}
