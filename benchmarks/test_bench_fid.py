"""FID's hard part at D=2048, beside the anchors, in one run.

CPU: pytorch-fid's route (scipy.linalg.sqrtm of Σ1 Σ2; the anchor), the eigenvalue route
of torchmetrics (torch.linalg.eigvals of Σ1 Σ2, sum of the square roots of the real
parts), and fastgan.metrics.frechet_distance. Also FeatureStats' streaming covariance
against np.cov on the same features. CUDA, when present: fastgan's Newton–Schulz route
against torch's eigvalsh route and torchmetrics' route on the same GPU, for three spectra.

Every value is compared with an exact FID computed without forming Σ1 Σ2 (QR of the
centred features, singular values of R1 R2ᵀ) and with pytorch-fid's number; both
relative differences go to extra_info, and fastgan's are asserted <= 1e-6 (against
pytorch-fid only where its sqrtm is accurate). Times are reported, never asserted.
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

# Spectra of the features: variance ~ i^(-2 decay). "well-conditioned" (cond Σ ~ 2e3) is
# where scipy's sqrtm is itself accurate, so pytorch-fid's numbers are the anchor there;
# "inception-like" (cond Σ ~ 2e5, cond(Σ1 Σ2) ~ 1e10, as measured on Inception pool3
# features) is where sqrtm loses digits, so all routes are compared with an exact
# SVD-based value computed from the features.
SPECTRUM_DECAY = {"well-conditioned": 0.5, "inception-like": 0.8}


def _features_with_decay(seed, n, dim, decay, scale_jitter, device="cpu"):
    """Features with a power-law spectrum and a random orientation (float64)."""
    gen = torch.Generator(device=device).manual_seed(seed)
    kw = {"generator": gen, "dtype": torch.float64, "device": device}
    rotation, _ = torch.linalg.qr(torch.randn(dim, dim, **kw))
    scales = torch.arange(1, dim + 1, dtype=torch.float64, device=device) ** -decay
    scales = scales * (1 + scale_jitter * torch.rand(dim, **kw))
    return (torch.randn(n, dim, **kw) * scales) @ rotation.T + 0.3 * torch.rand(dim, **kw)


def _exact_trace_sqrt(x1, x2):
    """Tr((Σ1 Σ2)^½) without forming Σ1 Σ2: Σ = RᵀR from a QR of the centred features,
    and the trace is the nuclear norm of R1 R2ᵀ (singular values, float64)."""
    factors = []
    for x in (x1, x2):
        centred = (x - x.mean(0)) / (x.shape[0] - 1) ** 0.5
        factors.append(torch.linalg.qr(centred, mode="r")[1])
    return float(torch.linalg.svdvals(factors[0] @ factors[1].T).sum())


@pytest.fixture(scope="module", params=list(SPECTRUM_DECAY))
def fid_case(request):
    # Same orientation (seed), slightly different spectra: a small FID next to large traces.
    decay = SPECTRUM_DECAY[request.param]
    real = _features_with_decay(0, SAMPLES, DIM, decay, 0.0)
    fake = _features_with_decay(0, SAMPLES + 1, DIM, decay, 0.2)[1:]
    stats = tuple(v for x in (real, fake) for v in (x.mean(0).numpy(), np.cov(x.numpy(), rowvar=False)))
    mu1, sigma1, mu2, sigma2 = stats
    diff = mu1 - mu2
    exact = float(diff @ diff + np.trace(sigma1) + np.trace(sigma2)) - 2 * _exact_trace_sqrt(real, fake)
    return request.param, stats, exact


def _pytorch_fid_route(mu1, sigma1, mu2, sigma2):
    # pytorch-fid's calculate_frechet_distance (its eps retry never triggers on these inputs).
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


ANCHOR = "pytorch-fid (scipy sqrtm)"
CPU_IMPLS = {
    ANCHOR: _pytorch_fid_route,
    "torchmetrics (eigvals)": _torchmetrics_route,
    "fastgan frechet_distance": frechet_distance,
    "fastgan method=eigh": lambda *args: frechet_distance(*args, method="eigh"),
}


@pytest.mark.parametrize("impl", list(CPU_IMPLS))
def test_frechet_distance_cpu(benchmark, impl, fid_case):
    kind, stats, exact = fid_case
    fn = CPU_IMPLS[impl]
    value, peak = peak_memory_mb(fn, *stats)
    anchor = _pytorch_fid_route(*stats) if impl != ANCHOR else value
    benchmark.group = f"frechet_distance cpu D={DIM} {kind}"
    benchmark.extra_info.update(
        fid=value,
        exact_fid=exact,
        rel_diff_vs_pytorch_fid=abs(value - anchor) / abs(anchor),
        rel_error_vs_exact=abs(value - exact) / abs(exact),
    )
    # The anchors take 10-100 s a call on this CPU; fastgan's route is cheap enough for
    # more rounds, whose median resists the load spikes of a shared machine.
    rounds = 5 if impl == "fastgan frechet_distance" else (2 if kind == "well-conditioned" else 1)
    benchmark.pedantic(fn, args=stats, rounds=rounds, warmup_rounds=0)
    record(benchmark, benchmark.group, impl, peak, anchor=impl == ANCHOR)
    if impl.startswith("fastgan"):
        assert benchmark.extra_info["rel_error_vs_exact"] <= 1e-6, benchmark.extra_info
        if kind == "well-conditioned":
            assert benchmark.extra_info["rel_diff_vs_pytorch_fid"] <= 1e-6, benchmark.extra_info


@pytest.fixture(scope="module")
def features():
    return _features_with_decay(1, 10000, DIM, 0.8, 0.0).float().numpy()


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

SPECTRA = {  # (samples, decay)
    "well-conditioned": (20000, 0.5),
    "inception-like": (20000, 0.8),  # cond(Lᵀ Σ2 L) ~ 1e10
    "singular N<D": (1000, 0.8),  # rank-deficient: Newton–Schulz cannot run, eigvalsh does
}


def _cuda_covariances(kind):
    n, decay = SPECTRA[kind]
    real = _features_with_decay(5, n, DIM, decay, 0.0, device="cuda")
    fake = _features_with_decay(5, n + 1, DIM, decay, 0.2, device="cuda")[1:]
    return torch.cov(real.T), torch.cov(fake.T)


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
