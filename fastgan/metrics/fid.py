"""Fréchet distance between two Gaussians fitted to feature sets (FID).

    d² = |μ1 - μ2|² + Tr(Σ1) + Tr(Σ2) - 2 Tr((Σ1 Σ2)^½)

Everything is float64. The trace of the square root comes from
fastgan.ops.trace_sqrt_product, which is exact for singular covariances (fewer
samples than features) and never adds ε·I; see its docstring for the routes.
"""
import torch

from ..ops._inputs import as_tensor, check_finite
from ..ops.sqrtm import trace_sqrt_product
from .stats import FeatureStats


@torch.no_grad()
def frechet_distance(mu1, sigma1, mu2, sigma2, method="auto"):
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2).

    Args:
        mu1, mu2: [D] means; sigma1, sigma2: [D, D] covariances. NumPy arrays or
            torch tensors of any float dtype, computed in float64 on sigma1's device.
        method: route for Tr((Σ1 Σ2)^½), see fastgan.ops.trace_sqrt_product
            ("auto": Cholesky + eigenvalues on CPU, Newton–Schulz on CUDA).

    Returns:
        float. Identical inputs give 0 up to rounding (|d²| ~ 1e-12 Tr Σ); like
        pytorch-fid, rounding may leave it a hair below zero.

    Raises:
        ValueError / TypeError for mismatched shapes, non-float data, NaN/Inf or
        asymmetric covariances.
    """
    s1 = as_tensor(sigma1, "sigma1")
    m1 = _mean_vector(mu1, "mu1", s1.device)
    m2 = _mean_vector(mu2, "mu2", s1.device)
    if m1.shape != m2.shape:
        raise ValueError(f"mu1 and mu2 differ in length: {m1.shape[0]} vs {m2.shape[0]}")
    dim = m1.shape[0]
    for name, sigma in (("sigma1", s1), ("sigma2", as_tensor(sigma2, "sigma2"))):
        if tuple(sigma.shape) != (dim, dim):
            raise ValueError(f"{name} must be [{dim}, {dim}] to match the means, got shape {tuple(sigma.shape)}")
    trace_term = trace_sqrt_product(sigma1, sigma2, method=method)
    s1 = as_tensor(sigma1, "sigma1").double()
    s2 = as_tensor(sigma2, "sigma2").double()
    diff = m1 - m2
    return float(diff.dot(diff)) + float(s1.diagonal().sum()) + float(s2.diagonal().sum()) - 2.0 * trace_term


@torch.no_grad()
def fid_from_features(real, fake, method="auto"):
    """FID between two feature sets [N1, D] and [N2, D] (NumPy or torch, any device).

    Means and covariances (N - 1 denominator, like np.cov and pytorch-fid) are
    accumulated in float64 with FeatureStats. Each set needs at least 2 samples;
    fewer samples than features is fine (singular covariances are exact).
    """
    stats = []
    for name, features in (("real", real), ("fake", fake)):
        x = as_tensor(features, name)
        if x.dim() != 2:
            raise ValueError(f"{name} must be a 2-D feature matrix [N, D], got shape {tuple(x.shape)}")
        if x.shape[0] < 2:
            raise ValueError(f"{name} has {x.shape[0]} sample(s); a covariance needs at least 2")
        stats.append(FeatureStats().update(x))
    if stats[0].num_features != stats[1].num_features:
        raise ValueError(f"feature sizes differ: real has {stats[0].num_features}, fake has {stats[1].num_features}")
    real_stats, fake_stats = stats
    fake_mean = fake_stats.mean.to(real_stats.device)
    fake_cov = fake_stats.cov.to(real_stats.device)
    return frechet_distance(real_stats.mean, real_stats.cov, fake_mean, fake_cov, method=method)


def _mean_vector(value, name, device):
    mu = as_tensor(value, name)
    if not mu.is_floating_point():
        raise TypeError(f"{name} must hold floating-point numbers, got {mu.dtype}")
    if mu.dim() != 1:
        raise ValueError(f"{name} must be a 1-D mean vector [D], got shape {tuple(mu.shape)}")
    mu = mu.to(device=device, dtype=torch.float64)
    check_finite(mu, name)
    return mu
