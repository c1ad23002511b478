"""Drop-in replacement for pytorch-fid (`pytorch_fid.fid_score`), over fastgan.metrics.

For now: calculate_frechet_distance. (The Inception network and the path-based
helpers arrive with the feature-network and evaluation work.)
"""
import numpy as np

from ..metrics.fid import frechet_distance


def calculate_frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """pytorch-fid's Fréchet distance, same signature and results, without its failures.

    pytorch-fid takes scipy.linalg.sqrtm of Σ1 Σ2 and, only when that result is not
    finite, retries with Σ + eps·I; it raises "Imaginary component" when the
    square root comes out complex. Wherever its sqrtm succeeds, this function
    returns the same number (the exact value, to ~1e-12 relative; pytorch-fid's own
    rounding is ~1e-10). Where it would fail, this returns the exact distance of the
    covariances given: singular covariances (N < D) are handled exactly, nothing is
    added to the diagonal, and no exception is raised. `eps` is therefore accepted
    for compatibility and not used (pytorch-fid's ε·I fallback biases FID upward,
    about +0.005 for eps=1e-6 on 2048-d Inception features).

    Args:
        mu1, mu2: means [D] (anything np.atleast_1d accepts).
        sigma1, sigma2: covariances [D, D] (anything np.atleast_2d accepts).
        eps: accepted for signature compatibility; must be a number >= 0.

    Returns:
        numpy.float64, like pytorch-fid.

    Raises:
        ValueError where pytorch-fid asserts (mismatched shapes), and for NaN/Inf or
        asymmetric covariances.
    """
    if not isinstance(eps, (int, float, np.floating)) or not eps >= 0:
        raise ValueError(f"eps must be a number >= 0, got {eps!r}")
    mu1, mu2 = np.atleast_1d(mu1), np.atleast_1d(mu2)
    sigma1, sigma2 = np.atleast_2d(sigma1), np.atleast_2d(sigma2)
    if mu1.shape != mu2.shape:
        raise ValueError(f"Training and test mean vectors have different lengths: {mu1.shape} vs {mu2.shape}")
    if sigma1.shape != sigma2.shape:
        raise ValueError(f"Training and test covariances have different dimensions: {sigma1.shape} vs {sigma2.shape}")
    return np.float64(frechet_distance(mu1, sigma1, mu2, sigma2))
