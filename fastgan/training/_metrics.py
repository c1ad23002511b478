"""FID and KID on feature matrices for the training callbacks.

They come from fastgan.metrics (`fid_from_features`, `kid`) when those exist; until the
FID module lands this file computes them directly (TODO: drop the fallback once
fastgan.metrics.fid is on main). The fallback is exact in float64: the trace term
uses the symmetric form Tr(sqrt(S1^1/2 S2 S1^1/2)), which is valid for singular S1.
"""
import torch


def fid(real, fake):
    """Fréchet distance between Gaussians fitted to two [N, D] feature sets (float)."""
    try:
        from ..metrics import fid_from_features
    except ImportError:
        return _fid(real, fake)
    return float(fid_from_features(real, fake))


def kid(real, fake, subsets=50, subset_size=100, seed=2020):
    """Kernel inception distance (polynomial kernel of degree 3): (mean, std) over subsets."""
    subset_size = min(subset_size, len(real), len(fake))
    try:
        from ..metrics import kid as _library_kid
    except ImportError:
        return _kid(real, fake, subsets, subset_size, seed)
    result = _library_kid(real, fake, subsets=subsets, subset_size=subset_size, seed=seed)
    if isinstance(result, dict):
        return float(result.get("kid_mean", result.get("mean"))), float(result.get("kid_std", result.get("std")))
    mean, std = result
    return float(mean), float(std)


def _stats(x):
    x = torch.as_tensor(x).double()
    mu = x.mean(0)
    centred = x - mu
    return mu, centred.T @ centred / (len(x) - 1)


def _psd_sqrt(matrix):
    vals, vecs = torch.linalg.eigh(matrix)
    return (vecs * vals.clamp(min=0).sqrt()) @ vecs.T


def _fid(real, fake):
    mu1, s1 = _stats(real)
    mu2, s2 = _stats(fake)
    root = _psd_sqrt(s1)
    middle = root @ s2 @ root
    trace_sqrt = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp(min=0).sqrt().sum()
    return float((mu1 - mu2).square().sum() + s1.trace() + s2.trace() - 2 * trace_sqrt)


def _kid(real, fake, subsets, subset_size, seed):
    real = torch.as_tensor(real).double()
    fake = torch.as_tensor(fake).double()
    dims = real.shape[1]
    gen = torch.Generator().manual_seed(seed)
    m = subset_size
    values = []
    for _ in range(subsets):
        x = real[torch.randperm(len(real), generator=gen)[:m]]
        y = fake[torch.randperm(len(fake), generator=gen)[:m]]
        kxx = (x @ x.T / dims + 1) ** 3
        kyy = (y @ y.T / dims + 1) ** 3
        kxy = (x @ y.T / dims + 1) ** 3
        mmd = ((kxx.sum() - kxx.trace()) + (kyy.sum() - kyy.trace())) / (m * (m - 1)) - 2 * kxy.mean()
        values.append(float(mmd))
    values = torch.tensor(values)
    return float(values.mean()), float(values.std()) if len(values) > 1 else 0.0
