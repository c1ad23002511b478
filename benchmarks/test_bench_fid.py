"""FID's hard part at D=2048, beside the anchors, in one run.

CPU: pytorch-fid's route (scipy.linalg.sqrtm of Σ1 Σ2; the anchor), the eigenvalue route
of torchmetrics (torch.linalg.eigvals of Σ1 Σ2, sum of the square roots of the real
parts), and fastgan.metrics.frechet_distance. Also FeatureStats' streaming covariance
against np.cov on the same features. CUDA, when present: fastgan's Newton–Schulz route
against torch's eigvalsh route and torchmetrics' route on the same GPU, for three spectra.

Each fastgan result is checked against the anchor (relative difference recorded in
extra_info and asserted <= 1e-6); times are only reported, never asserted.
"""
import numpy as np
import pytest
import scipy.linalg
import torch

from _harness import peak_memory_mb, record

import fastgan
from fastgan.metrics import FeatureStats, frechet_distance
from fastgan.ops import trace_sqrt_product

DIM = 2048
SAMPLES = 6000  # > DIM: regular covariances, as with the usual 10k-50k images


def _inception_like_features(seed, n, dim, scale_jitter):
    """Features with a power-law spectrum (Inception pool3 covariances decay like this)."""
    gen = torch.Generator().manual_seed(seed)
    rotation, _ = torch.linalg.qr(torch.randn(dim, dim, generator=gen, dtype=torch.float64))
    scales = torch.arange(1, dim + 1, dtype=torch.float64) ** -1.0
    scales = scales * (1 + scale_jitter * torch.rand(dim, generator=gen, dtype=torch.float64))
    z = torch.randn(n, dim, generator=gen, dtype=torch.float64)
    return ((z * scales) @ rotation.T + 0.3 * torch.rand(dim, generator=gen, dtype=torch.float64)).float()


@pytest.fixture(scope="module")
def fid_stats():
    # Same rotation (seed) and close spectra: a realistic, small FID next to large traces.
    real = _inception_like_features(0, SAMPLES, DIM, 0.0).numpy()
    fake = _inception_like_features(0, SAMPLES + 1, DIM, 0.2).numpy()[1:]
    return tuple(
        value
        for x in (real, fake)
        for value in (x.astype(np.float64).mean(0), np.cov(x, rowvar=False))
    )


def _pytorch_fid_route(mu1, sigma1, mu2, sigma2):
    # pytorch-fid's calculate_frechet_distance, for inputs where sqrtm succeeds.
    covmean = scipy.linalg.sqrtm(sigma1.dot(sigma2))
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    diff = mu1 - mu2
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def _torchmetrics_route(mu1, sigma1, mu2, sigma2):
    # torchmetrics' _compute_fid: eigenvalues of the (non-symmetric) product.
    mu1, sigma1, mu2, sigma2 = (torch.as_tensor(v) for v in (mu1, sigma1, mu2, sigma2))
    a = (mu1 - mu2).square().sum()
    b = sigma1.trace() + sigma2.trace()
    c = torch.linalg.eigvals(sigma1 @ sigma2).sqrt().real.sum()
    return float(a + b - 2 * c)


CPU_IMPLS = {
    "pytorch-fid (scipy sqrtm)": _pytorch_fid_route,
    "torchmetrics (eigvals)": _torchmetrics_route,
    "fastgan frechet_distance": frechet_distance,
    "fastgan method=eigh": lambda *args: frechet_distance(*args, method="eigh"),
}


@pytest.mark.parametrize("impl", list(CPU_IMPLS))
def test_frechet_distance_cpu(benchmark, impl, fid_stats):
    fn = CPU_IMPLS[impl]
    value, peak = peak_memory_mb(fn, *fid_stats)
    anchor = _pytorch_fid_route(*fid_stats) if impl != "pytorch-fid (scipy sqrtm)" else value
    rel = abs(value - anchor) / abs(anchor)
    benchmark.group = f"frechet_distance cpu D={DIM}"
    benchmark.extra_info.update(fid=value, rel_diff_vs_pytorch_fid=rel)
    benchmark.pedantic(fn, args=fid_stats, rounds=3 if "scipy" not in impl else 2, warmup_rounds=0)
    record(benchmark, benchmark.group, impl, peak, anchor=impl == "pytorch-fid (scipy sqrtm)")
    if impl.startswith("fastgan"):
        assert rel <= 1e-6, rel


@pytest.fixture(scope="module")
def features():
    return _inception_like_features(1, 10000, DIM, 0.0).numpy()


def _np_cov(x):
    return x.astype(np.float64).mean(0), np.cov(x, rowvar=False)


def _feature_stats(x, batch=500):
    stats = FeatureStats()
    for start in range(0, len(x), batch):
        stats.update(x[start : start + batch])
    return stats.mean.numpy(), stats.cov.numpy()


@pytest.mark.parametrize("impl", ["np.cov", "FeatureStats (batches of 500)"])
def test_feature_stats_cpu(benchmark, impl, features):
    fn = _np_cov if impl == "np.cov" else _feature_stats
    (mean, cov), peak = peak_memory_mb(fn, features)
    want_mean, want_cov = _np_cov(features) if impl != "np.cov" else (mean, cov)
    rel = float(np.abs(cov - want_cov).max() / np.abs(want_cov).max())
    benchmark.group = f"mean+cov cpu {features.shape[0]}x{DIM} float32"
    benchmark.extra_info.update(max_rel_diff_vs_np_cov=rel, samples_per_s=None)
    benchmark.pedantic(fn, args=(features,), rounds=3, warmup_rounds=1)
    benchmark.extra_info["samples_per_s"] = features.shape[0] / benchmark.stats.stats.median
    record(benchmark, benchmark.group, impl, peak, anchor=impl == "np.cov")
    assert rel <= 1e-12, rel
    np.testing.assert_allclose(mean, want_mean, rtol=1e-12, atol=1e-15)


# --- CUDA: Newton–Schulz vs eigenvalue routes on the same GPU ---------------------------

SPECTRA = {
    "well-conditioned": (30000, 0.0),  # flat-ish: features with a mild decay
    "inception-like": (30000, 1.0),  # power-law decay, cond(Lᵀ Σ2 L) ~ 1e8-1e10
    "singular N<D": (1000, 1.0),  # rank-deficient: Newton–Schulz cannot run, eigvalsh does
}


def _cuda_covariances(kind):
    n, decay = SPECTRA[kind]
    gen = torch.Generator(device="cuda").manual_seed(5)
    scales = torch.arange(1, DIM + 1, dtype=torch.float64, device="cuda") ** -decay
    rotation, _ = torch.linalg.qr(torch.randn(DIM, DIM, generator=gen, dtype=torch.float64, device="cuda"))
    out = []
    for jitter in (0.0, 0.2):
        z = torch.randn(n, DIM, generator=gen, dtype=torch.float64, device="cuda")
        x = (z * (scales * (1 + jitter * torch.rand(DIM, generator=gen, dtype=torch.float64, device="cuda")))) @ rotation.T
        out.append(torch.cov(x.T))
    return out


def _eigvalsh_route(s1, s2):
    return trace_sqrt_product(s1, s2, method="cholesky")


def _eigvals_route(s1, s2):
    return float(torch.linalg.eigvals(s1 @ s2).sqrt().real.sum())


CUDA_IMPLS = {
    "torch eigvalsh (cholesky route)": _eigvalsh_route,
    "torchmetrics (eigvals)": _eigvals_route,
    "fastgan newton_schulz": lambda s1, s2: trace_sqrt_product(s1, s2, method="newton_schulz"),
}


@pytest.mark.skipif(not fastgan.has_cuda(), reason="needs a CUDA device and fastgan's CUDA kernels")
@pytest.mark.parametrize("kind", list(SPECTRA))
@pytest.mark.parametrize("impl", list(CUDA_IMPLS))
def test_trace_sqrt_product_cuda(benchmark, impl, kind):
    s1, s2 = _cuda_covariances(kind)
    fn = CUDA_IMPLS[impl]

    def run():
        value = fn(s1, s2)
        torch.cuda.synchronize()
        return value

    value, peak = peak_memory_mb(run)
    exact = trace_sqrt_product(s1.cpu(), s2.cpu(), method="eigh")
    _, info = trace_sqrt_product(s1, s2, method="newton_schulz", return_info=True)
    fid_scale = float(s1.trace() + s2.trace()) - 2 * exact  # the FID these covariances give (equal means)
    benchmark.group = f"trace_sqrt_product cuda D={DIM} {kind}"
    benchmark.extra_info.update(
        trace=value,
        rel_trace_error=abs(value - exact) / exact,
        rel_fid_error=2 * abs(value - exact) / abs(fid_scale),
        ns_iterations=info["iterations"],
        ns_residual=info["residual"],
        ns_fallback=info["fallback"],
    )
    benchmark.pedantic(run, rounds=5, warmup_rounds=1)
    record(benchmark, benchmark.group, impl, peak, anchor=impl == "torch eigvalsh (cholesky route)")
    if impl.startswith("fastgan"):
        assert benchmark.extra_info["rel_fid_error"] <= 1e-6, benchmark.extra_info
