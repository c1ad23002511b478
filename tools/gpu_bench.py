#!/usr/bin/env python3
"""The GPU benchmark set of `make gpu-check`: fastgan beside what a user would otherwise run.

Every case runs fastgan and its baseline on the same device and the same inputs, and
returns one dict (see `new_case`): median seconds of each (one warm-up call, then a
few timed calls, torch.cuda.synchronize() around each), their ratio
baseline_s / fastgan_s (> 1: fastgan is faster), the peak memory of each call
(torch.cuda.max_memory_allocated() after reset_peak_memory_stats(), less what was
allocated before the call, i.e. the working memory beyond the resident inputs), and
the largest differences against the baseline and against fastgan's CPU path on the
same inputs (`max_abs_diff_vs_*`; `max_rel_diff_vs_*` is relative to the largest
magnitude of the reference values).

Cases, in the order they run (cheap and broad first, so a short budget still covers
every op):

- prdc N=M=n D=2048 k=5: fastgan.metrics.prdc against the prdc formula in torch (full
  torch.cdist matrices, topk radii, membership masks), skipped with a reason when those
  matrices do not fit in GPU memory; CUDA against CPU (metrics and per-sample radii,
  which fastgan promises exact: tolerance 0) for n <= --cpu-max-rows.
- trace_sqrt_product D=2048, methods newton_schulz, cholesky and eigh, against
  torch.linalg.eigvals(s1 @ s2) (torchmetrics' route: the real parts of the square
  roots of the eigenvalues, summed); CUDA against CPU with the same method.
- gradient penalty step (penalty + backward through a DCGAN critic): the fused
  fastgan.ops.gradient_penalty against the textbook autograd formulation; the
  comparisons run with TF32 off (timings use torch's defaults).
- knn radii against faiss-gpu's GpuIndexFlatL2, when faiss with GPU support imports.

A case starts only when the time budget left covers its estimate; otherwise it is
recorded with `skipped_reason`. The 1M-sample PRDC case is estimated from the 100k
one (quadratic cost), so it runs only when that much time is left.

    python tools/gpu_bench.py --device cuda --budget-seconds 300 --json bench.json

The exit status is 1 when a case raised or a comparison with the CPU (or, where the
baseline computes the same numbers, with the baseline) is beyond its tolerance.
"""
import argparse
import contextlib
import copy
import gc
import json
import math
import statistics
import sys
import time
import traceback
from pathlib import Path

import torch
from torch import nn

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: find the checkout's fastgan
    sys.path.insert(0, str(REPO))

import fastgan  # noqa: E402
from fastgan.ops import gradient_penalty, knn_radii, trace_sqrt_product  # noqa: E402

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
PRDC_DIM = 2048
FID_DIM = 2048
FID_SAMPLES = 20_000
FID_METHODS = ("newton_schulz", "cholesky", "eigh")
GP_CONFIGS = ((64, 32), (128, 64))  # (batch, image size), 3 channels
CPU_MAX_ROWS = 20_000  # the CPU comparison of PRDC runs up to this many samples
FAISS_MAX_ROWS = 100_000

# Tolerances of the comparisons that are checked (others are only recorded).
PRDC_CPU_TOL = 0.0  # exact: same memberships and float32 radii on both devices
TRACE_CPU_RTOL = 1e-8  # Newton-Schulz stops at residual 1e-9 (trace error <= ~5e-10)
GP_BASELINE_RTOL = 1e-4  # same critic, same convolutions: only the penalty's arithmetic differs
GP_CPU_RTOL = 1e-3  # other convolution algorithms on the CPU, float32

FIELDS = (
    "name", "group", "params", "fastgan", "baseline",
    "fastgan_s", "baseline_s", "ratio", "fastgan_peak_bytes", "baseline_peak_bytes",
    "max_abs_diff_vs_baseline", "max_rel_diff_vs_baseline", "tolerance_vs_baseline",
    "max_abs_diff_vs_cpu", "max_rel_diff_vs_cpu", "tolerance_vs_cpu",
    "ok", "skipped_reason", "baseline_skipped_reason", "cpu_skipped_reason", "error",
    "repeats", "seconds", "estimate_s", "values", "notes",
)


def new_case(name, group, params=None, fastgan=None, baseline=None):
    """A case's result dict with every field present (None until measured)."""
    case = dict.fromkeys(FIELDS)
    case.update(name=name, group=group, params=dict(params or {}), fastgan=fastgan, baseline=baseline, values={}, notes=[])
    return case


# --- timing, memory, budget ------------------------------------------------------------


def synchronize(device):
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def free_memory(device):
    gc.collect()
    if torch.device(device).type == "cuda":
        torch.cuda.empty_cache()


class Timing:
    """What `measure` found: the last call's result, median and all seconds, peak bytes."""

    def __init__(self, result, times, peak_bytes):
        self.result = result
        self.times = times
        self.median_s = statistics.median(times)
        self.peak_bytes = peak_bytes


def measure(fn, device, repeats=3, warmup=1, max_seconds=None):
    """Call fn `warmup` times untimed, then up to `repeats` times timed (at least once).

    Timed calls stop early once they add up to `max_seconds`. On CUDA each call is
    synchronised before and after, and its peak is max_memory_allocated() after
    reset_peak_memory_stats(), less the memory allocated before it (None on the CPU).
    """
    device = torch.device(device)
    for _ in range(warmup):
        fn()
        synchronize(device)
    times, peak, result = [], None, None
    for _ in range(max(1, repeats)):
        result = None
        synchronize(device)
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
            base = torch.cuda.memory_allocated(device)
        start = time.perf_counter()
        result = fn()
        synchronize(device)
        times.append(time.perf_counter() - start)
        if device.type == "cuda":
            used = torch.cuda.max_memory_allocated(device) - base
            peak = used if peak is None else max(peak, used)
        if max_seconds is not None and sum(times) >= max_seconds:
            break
    return Timing(result, times, peak)


def try_measure(fn, device, *args, **kwargs):
    """(Timing, None), or (None, reason) when fn raises: a baseline that runs out of memory
    or is not supported on this device must not cost the fastgan measurement."""
    try:
        return measure(fn, device, *args, **kwargs), None
    except Exception as exc:  # torch.cuda.OutOfMemoryError, a missing MAGMA/cuSOLVER routine...
        free_memory(device)
        return None, f"the baseline raised {type(exc).__name__}: {str(exc)[:300]}"


class Budget:
    """Seconds left until a deadline; `clock` is injectable for tests."""

    def __init__(self, seconds, clock=time.monotonic):
        self.clock = clock
        self.seconds = float(seconds)
        self.deadline = clock() + self.seconds

    def remaining(self):
        return max(0.0, self.deadline - self.clock())

    def allows(self, estimate_s):
        return float(estimate_s) <= self.remaining()


class CaseSpec:
    """A case to run: its name/group/params (for the skipped record), estimate and function.

    `estimate_s` is seconds, or a callable taking the results so far (so a large case
    can be estimated from a smaller one that ran).
    """

    def __init__(self, name, group, params, estimate_s, run):
        self.name, self.group, self.params = name, group, dict(params)
        self.estimate_s, self.run = estimate_s, run

    def estimate(self, results):
        return float(self.estimate_s(results) if callable(self.estimate_s) else self.estimate_s)


def run_cases(specs, budget, on_result=None, device=None):
    """Run the specs in order while the budget covers each one's estimate.

    A case that does not fit is recorded with `skipped_reason`; one that raises, with
    `error` (and ok=False); later cases still get their chance. `on_result(results)`
    is called after every case (the JSON is rewritten then, so a killed run keeps
    what it measured).
    """
    results = []
    for spec in specs:
        estimate = spec.estimate(results)
        left = budget.remaining()
        if not math.isfinite(estimate) or estimate > left:
            case = new_case(spec.name, spec.group, spec.params)
            case["skipped_reason"] = f"time budget: needs ~{estimate:.0f} s, {left:.0f} s left"
            case["estimate_s"] = estimate
        else:
            start = time.monotonic()
            try:
                case = spec.run()
            except Exception as exc:  # record it and go on: one broken op must not hide the others
                case = new_case(spec.name, spec.group, spec.params)
                case["error"] = f"{type(exc).__name__}: {exc}"
                case["values"]["traceback"] = traceback.format_exc()[-4000:]
                case["ok"] = False
            case["seconds"] = time.monotonic() - start
            case["estimate_s"] = estimate
            if device is not None:
                free_memory(device)
        results.append(case)
        if on_result is not None:
            on_result(results)
    return results


def failures(results):
    """Names of the cases that raised or are beyond a tolerance."""
    return [case["name"] for case in results if case.get("ok") is False]


def _finish(case, fast, base=None):
    case["fastgan_s"] = fast.median_s
    case["fastgan_peak_bytes"] = fast.peak_bytes
    case["repeats"] = len(fast.times)
    if base is not None:
        case["baseline_s"] = base.median_s
        case["baseline_peak_bytes"] = base.peak_bytes
        case["ratio"] = base.median_s / fast.median_s if fast.median_s > 0 else None


def _check(case):
    """ok: every checked comparison within its tolerance (None-valued ones are not checked)."""
    ok = True
    for which in ("baseline", "cpu"):
        tol, diff = case[f"tolerance_vs_{which}"], case[f"max_rel_diff_vs_{which}"]
        if tol is not None and diff is not None and not diff <= tol:
            ok = False
            case["notes"].append(f"difference vs {which} {diff:.3g} is beyond the tolerance {tol:g}")
    case["ok"] = ok
    return case


def _diffs(got, want):
    """(max abs diff, max abs diff / max |want|) over matching sequences of numbers or tensors."""
    got = [torch.as_tensor(g, dtype=torch.float64).reshape(-1).cpu() for g in got]
    want = [torch.as_tensor(w, dtype=torch.float64).reshape(-1).cpu() for w in want]
    abs_diff = max((float((g - w).abs().max()) if g.numel() else 0.0) for g, w in zip(got, want))
    scale = max((float(w.abs().max()) if w.numel() else 0.0) for w in want)
    return abs_diff, (abs_diff / scale if scale > 0 else abs_diff)


# --- PRDC ------------------------------------------------------------------------------

PRDC_KEYS = ("precision", "recall", "density", "coverage")


def prdc_features(n, dim, device, seed=0):
    """Real ~ N(0, I) and fake ~ N(0.05, 1.05^2 I), float32, drawn on the device."""
    gen = torch.Generator(device=device).manual_seed(seed)
    real = torch.randn(n, dim, generator=gen, device=device)
    fake = torch.randn(n, dim, generator=gen, device=device).mul_(1.05).add_(0.05)
    return real, fake


def torch_prdc(real, fake, k):
    """The prdc package's formulas on full torch.cdist matrices (what a torch user writes)."""
    real_radii = torch.topk(torch.cdist(real, real), k + 1, dim=1, largest=False).values[:, k]
    fake_radii = torch.topk(torch.cdist(fake, fake), k + 1, dim=1, largest=False).values[:, k]
    d = torch.cdist(real, fake)  # [N, M]
    inside_real = d < real_radii[:, None]  # fake j inside the ball of real i
    precision = inside_real.any(dim=0).double().mean()
    density = inside_real.sum(dim=0).double().mean() / k
    coverage = inside_real.any(dim=1).double().mean()
    del inside_real
    recall = (d < fake_radii[None, :]).any(dim=1).double().mean()
    return {"precision": float(precision), "recall": float(recall), "density": float(density), "coverage": float(coverage)}


def cdist_bytes(n, m, itemsize=4):
    """Peak bytes of `torch_prdc`: the largest distance matrix, once more for safety, and a mask."""
    return n * m * (2 * itemsize + 1)


def cdist_fits(n, m, device, itemsize=4, limit_bytes=None):
    """(fits, reason): whether `torch_prdc` fits in 90% of the device's free memory (or limit_bytes)."""
    device = torch.device(device)
    need = cdist_bytes(n, m, itemsize)
    if limit_bytes is None:
        if device.type == "cuda":
            free_memory(device)
            limit_bytes = int(0.9 * torch.cuda.mem_get_info(device)[0])
        else:
            limit_bytes = 4 * 2**30
    if need <= limit_bytes:
        return True, None
    return False, (
        f"the full {n}x{m} torch.cdist matrices need ~{need / 2**30:.1f} GiB, "
        f"{limit_bytes / 2**30:.1f} GiB available"
    )


def prdc_schedule(n):
    """(warmup, repeats) by size: the large cases are warm from the smaller ones."""
    if n <= 20_000:
        return 1, 3
    if n <= 200_000:
        return 1, 2
    return 0, 1


def prdc_case(device, n, dim=PRDC_DIM, k=5, cpu_max_rows=CPU_MAX_ROWS, memory_limit_bytes=None, seed=0,
              max_seconds=60.0):
    device = torch.device(device)
    case = new_case(f"prdc N=M={n} D={dim} k={k}", "prdc", {"n": n, "m": n, "dim": dim, "k": k, "dtype": "float32"},
                    fastgan="fastgan.metrics.prdc", baseline="torch.cdist + topk (prdc formula)")
    warmup, repeats = prdc_schedule(n)
    real, fake = prdc_features(n, dim, device, seed)
    fast = measure(lambda: fastgan.metrics.prdc(real, fake, nearest_k=k), device, repeats, warmup, max_seconds)
    case["values"]["fastgan"] = fast.result
    free_memory(device)
    fits, reason = cdist_fits(n, n, device, 4, memory_limit_bytes)
    base = None
    if fits:
        base, reason = try_measure(lambda: torch_prdc(real, fake, k), device, repeats, warmup, max_seconds)
    if base is None:
        case["baseline_skipped_reason"] = reason
    else:
        case["values"]["baseline"] = base.result
        case["max_abs_diff_vs_baseline"], case["max_rel_diff_vs_baseline"] = _diffs(
            [fast.result[key] for key in PRDC_KEYS], [base.result[key] for key in PRDC_KEYS]
        )
        case["notes"].append("float32 torch.cdist uses the GEMM form: memberships near a radius may differ")
        free_memory(device)
    _finish(case, fast, base)
    if n <= cpu_max_rows:
        got = fastgan.metrics.prdc(real, fake, nearest_k=k, per_sample=True)
        start = time.perf_counter()
        want = fastgan.metrics.prdc(real.cpu(), fake.cpu(), nearest_k=k, per_sample=True)
        case["values"]["cpu_s"] = time.perf_counter() - start
        arrays = ("real_radii", "fake_radii")
        case["max_abs_diff_vs_cpu"], case["max_rel_diff_vs_cpu"] = _diffs(
            [got[key] for key in PRDC_KEYS + arrays], [want[key] for key in PRDC_KEYS + arrays]
        )
        case["values"]["cpu_metric_max_abs_diff"] = _diffs([got[key] for key in PRDC_KEYS], [want[key] for key in PRDC_KEYS])[0]
        case["tolerance_vs_cpu"] = PRDC_CPU_TOL
    else:
        case["cpu_skipped_reason"] = f"n={n} > {cpu_max_rows}: the CPU run would take too long"
    return _check(case)


def prdc_estimate(n, default_s=None):
    """Seconds for prdc_case(n): from the largest measured case >= 50k samples, else a default."""

    def estimate(results):
        measured = [r for r in results if r["group"] == "prdc" and r.get("fastgan_s") and r["params"]["n"] >= 50_000]
        if measured and n > max(r["params"]["n"] for r in measured):
            ref = max(measured, key=lambda r: r["params"]["n"])
            warmup, repeats = prdc_schedule(n)
            calls = warmup + repeats
            scale = (n / ref["params"]["n"]) ** 2
            # fastgan's calls only: full cdist matrices 4x (or more) the size of the
            # reference case's do not fit where that one barely did (100k: ~90 GiB).
            return scale * calls * ref["fastgan_s"] + 10.0
        if default_s is not None:
            return default_s
        return 45.0 if n <= CPU_MAX_ROWS else 60.0 * (n / 100_000) ** 2

    return estimate


# --- k-NN radii against faiss-gpu -------------------------------------------------------


def faiss_gpu():
    """(faiss module, None) when faiss with GPU support imports, else (None, reason)."""
    try:
        import faiss
    except ImportError as exc:
        return None, f"faiss is not importable ({exc}); install faiss-gpu to compare"
    if not hasattr(faiss, "StandardGpuResources") or faiss.get_num_gpus() < 1:
        return None, "faiss is built without GPU support (faiss-cpu)"
    return faiss, None


def knn_faiss_case(device, n, dim=PRDC_DIM, k=5, seed=1):
    device = torch.device(device)
    case = new_case(f"knn_radii N={n} D={dim} k={k}", "knn_radii", {"n": n, "dim": dim, "k": k},
                    fastgan="fastgan.ops.knn_radii", baseline="faiss GpuIndexFlatL2 (search k+1)")
    if device.type != "cuda":
        case["skipped_reason"] = "faiss-gpu needs a CUDA device"
        return case
    faiss, reason = faiss_gpu()
    if faiss is None:
        case["skipped_reason"] = reason
        return case
    x, _ = prdc_features(n, dim, device, seed)
    warmup, repeats = prdc_schedule(n)
    fast = measure(lambda: knn_radii(x, k), device, repeats, warmup, 60.0)
    host = x.cpu().numpy()
    resources = faiss.StandardGpuResources()

    def run_faiss():
        index = faiss.GpuIndexFlatL2(resources, dim)
        index.add(host)
        distances, _ = index.search(host, k + 1)  # itself + k neighbours
        return torch.from_numpy(distances[:, k]).clamp_min(0).sqrt()

    base = measure(run_faiss, device, repeats, warmup, 60.0)
    _finish(case, fast, base)
    case["baseline_peak_bytes"] = None
    case["notes"] += ["faiss allocates outside torch's allocator: its peak is not measured",
                      "faiss's time includes copying the features from the host"]
    case["max_abs_diff_vs_baseline"], case["max_rel_diff_vs_baseline"] = _diffs([fast.result], [base.result])
    return _check(case)


# --- Fréchet distance: Tr((s1 s2)^1/2) --------------------------------------------------

_FID_INPUTS = {}


def fid_covariances(dim, samples, device, decay=0.8, seed=0):
    """Two float64 covariances of features with a power-law spectrum (variance ~ i^-2decay).

    decay 0.8 gives condition numbers like those of Inception pool3 features.
    """
    device = torch.device(device)
    gen = torch.Generator(device=device).manual_seed(seed)
    kw = {"generator": gen, "dtype": torch.float64, "device": device}
    rotation = torch.linalg.qr(torch.randn(dim, dim, **kw))[0]
    scales = torch.arange(1, dim + 1, dtype=torch.float64, device=device) ** -decay

    def features(jitter):
        spectrum = scales * (1 + jitter * torch.rand(dim, **kw))
        return (torch.randn(samples, dim, **kw) * spectrum) @ rotation.T

    return torch.cov(features(0.0).T), torch.cov(features(0.2).T)


def eigvals_trace(s1, s2):
    """torchmetrics' trace term: eigenvalues of the non-symmetric s1 @ s2, sqrt, real part, sum."""
    return float(torch.linalg.eigvals(s1 @ s2).sqrt().real.sum())


def fid_inputs(device, dim, samples, decay=0.8, seed=0, max_seconds=30.0):
    """Covariances and the timed baseline, computed once per (device, dim, samples) and shared."""
    key = (str(torch.device(device)), dim, samples, decay, seed)
    if key not in _FID_INPUTS:
        s1, s2 = fid_covariances(dim, samples, device, decay, seed)
        base = try_measure(lambda: eigvals_trace(s1, s2), device, repeats=3, warmup=1, max_seconds=max_seconds)
        _FID_INPUTS[key] = (s1, s2, base)
    return _FID_INPUTS[key]


def trace_sqrt_case(device, method, dim=FID_DIM, samples=FID_SAMPLES, decay=0.8, max_seconds=30.0):
    device = torch.device(device)
    case = new_case(f"trace_sqrt_product D={dim} method={method}", "frechet",
                    {"dim": dim, "samples": samples, "spectrum_decay": decay, "method": method, "dtype": "float64"},
                    fastgan=f"fastgan.ops.trace_sqrt_product(method={method!r})",
                    baseline="torch.linalg.eigvals(s1 @ s2).sqrt().real.sum() (torchmetrics)")
    s1, s2, (base, reason) = fid_inputs(device, dim, samples, decay, max_seconds=max_seconds)
    fast = measure(lambda: trace_sqrt_product(s1, s2, method=method, return_info=True), device, 3, 1, max_seconds)
    value, info = fast.result
    _finish(case, fast, base)
    case["baseline_skipped_reason"] = reason
    start = time.perf_counter()
    cpu_value, cpu_info = trace_sqrt_product(s1.cpu(), s2.cpu(), method=method, return_info=True)
    traces = float(s1.diagonal().sum() + s2.diagonal().sum())
    case["values"] = {
        "trace": value, "cpu_trace": cpu_value, "cpu_s": time.perf_counter() - start, "info": info, "cpu_info": cpu_info,
        "fid": traces - 2 * value, "cpu_fid": traces - 2 * cpu_value,  # the FID of these covariances at equal means
    }
    if base is not None:
        case["values"].update(baseline_trace=base.result, baseline_fid=traces - 2 * base.result)
        case["max_abs_diff_vs_baseline"], case["max_rel_diff_vs_baseline"] = _diffs([value], [base.result])
    case["max_abs_diff_vs_cpu"], case["max_rel_diff_vs_cpu"] = _diffs([value], [cpu_value])
    case["tolerance_vs_cpu"] = TRACE_CPU_RTOL
    case["notes"].append("eigvals of the non-symmetric product loses digits on ill-conditioned covariances")
    return _check(case)


# --- gradient penalty ------------------------------------------------------------------


def dcgan_critic(size, channels=3, width=64):
    """DCGAN's discriminator without batch norm: stride-2 4x4 convolutions down to 4x4, then one score."""
    if size < 4 or size & (size - 1):
        raise ValueError(f"image size must be a power of two >= 4, got {size}")
    layers, c_in, c_out = [], channels, width
    while size > 4:
        layers += [nn.Conv2d(c_in, c_out, 4, 2, 1), nn.LeakyReLU(0.2)]
        c_in, c_out, size = c_out, c_out * 2, size // 2
    layers += [nn.Conv2d(c_in, 1, 4, 1, 0), nn.Flatten()]
    return nn.Sequential(*layers)


def fused_penalty_step(critic, real, fake, alpha):
    """fastgan's fused penalty and the backward through it."""
    critic.zero_grad(set_to_none=True)
    penalty = gradient_penalty(critic, real, fake, weight=10.0, center=1.0, alpha=alpha)
    penalty.backward()
    return penalty.detach()


def textbook_penalty_step(critic, real, fake, alpha):
    """The textbook WGAN-GP penalty: interpolate, critic, autograd.grad(create_graph), backward."""
    critic.zero_grad(set_to_none=True)
    a = alpha.reshape(-1, 1, 1, 1)
    x_hat = (a * real + (1 - a) * fake).requires_grad_(True)
    out = critic(x_hat)
    (grads,) = torch.autograd.grad(out, x_hat, grad_outputs=torch.ones_like(out), create_graph=True)
    penalty = ((grads.flatten(1).norm(2, dim=1) - 1) ** 2).mean() * 10
    penalty.backward()
    return penalty.detach()


@contextlib.contextmanager
def no_tf32():
    """float32 convolutions and matmuls in full precision (for the comparisons only)."""
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


def _penalty_and_grads(step, critic, real, fake, alpha):
    penalty = step(critic, real, fake, alpha)
    # Biases get no gradient from the penalty (the input gradient does not depend on them).
    return [penalty] + [torch.zeros_like(p) if p.grad is None else p.grad.detach().clone() for p in critic.parameters()]


def gradient_penalty_case(device, batch=64, size=32, channels=3, width=64, repeats=20, seed=0):
    device = torch.device(device)
    case = new_case(f"gradient_penalty step B={batch} {channels}x{size}x{size}", "gradient_penalty",
                    {"batch": batch, "size": size, "channels": channels, "width": width, "dtype": "float32"},
                    fastgan="fastgan.ops.gradient_penalty + backward",
                    baseline="textbook: autograd.grad(create_graph=True), ((norm-1)^2).mean()*10, backward")
    torch.manual_seed(seed)
    cpu_critic = dcgan_critic(size, channels, width)
    critic = copy.deepcopy(cpu_critic).to(device)
    textbook_critic = copy.deepcopy(cpu_critic).to(device)
    gen = torch.Generator().manual_seed(seed + 1)
    cpu_inputs = [torch.randn(batch, channels, size, size, generator=gen) for _ in range(2)]
    cpu_inputs.append(torch.rand(batch, generator=gen))
    real, fake, alpha = (t.to(device) for t in cpu_inputs)
    fast = measure(lambda: fused_penalty_step(critic, real, fake, alpha), device, repeats, 1, 30.0)
    base = measure(lambda: textbook_penalty_step(textbook_critic, real, fake, alpha), device, repeats, 1, 30.0)
    _finish(case, fast, base)
    with no_tf32():
        got = _penalty_and_grads(fused_penalty_step, critic, real, fake, alpha)
        textbook = _penalty_and_grads(textbook_penalty_step, textbook_critic, real, fake, alpha)
    want = _penalty_and_grads(fused_penalty_step, cpu_critic, *cpu_inputs)
    case["values"] = {"penalty": float(got[0]), "baseline_penalty": float(textbook[0]), "cpu_penalty": float(want[0])}
    case["max_abs_diff_vs_baseline"], case["max_rel_diff_vs_baseline"] = _diffs(got, textbook)
    case["max_abs_diff_vs_cpu"], case["max_rel_diff_vs_cpu"] = _diffs(got, want)
    case["tolerance_vs_baseline"], case["tolerance_vs_cpu"] = GP_BASELINE_RTOL, GP_CPU_RTOL
    case["notes"].append("differences: the penalty and every weight gradient, computed with TF32 off")
    return _check(case)


# --- the set ---------------------------------------------------------------------------


def build_cases(device, sizes=DEFAULT_SIZES, dim=PRDC_DIM, k=5, fid_dim=FID_DIM, fid_samples=FID_SAMPLES,
                fid_methods=FID_METHODS, gp_configs=GP_CONFIGS, gp_width=64, cpu_max_rows=CPU_MAX_ROWS):
    """The cases in the order they run: one of each op first, then the larger PRDC sizes."""
    sizes = sorted(set(int(n) for n in sizes))
    specs = []

    def prdc_spec(n):
        return CaseSpec(f"prdc N=M={n} D={dim} k={k}", "prdc", {"n": n, "m": n, "dim": dim, "k": k},
                        prdc_estimate(n), lambda: prdc_case(device, n, dim, k, cpu_max_rows))

    def faiss_spec(n):
        return CaseSpec(f"knn_radii N={n} D={dim} k={k}", "knn_radii", {"n": n, "dim": dim, "k": k},
                        10.0 if n <= 20_000 else 30.0 * (n / 100_000) ** 2, lambda: knn_faiss_case(device, n, dim, k))

    if sizes:
        specs.append(prdc_spec(sizes[0]))
    for i, method in enumerate(fid_methods):
        # The first also computes the inputs and the (slow) eigvals baseline.
        specs.append(CaseSpec(f"trace_sqrt_product D={fid_dim} method={method}", "frechet",
                              {"dim": fid_dim, "method": method}, 60.0 if i == 0 else 20.0,
                              lambda method=method: trace_sqrt_case(device, method, fid_dim, fid_samples)))
    for batch, size in gp_configs:
        specs.append(CaseSpec(f"gradient_penalty step B={batch} 3x{size}x{size}", "gradient_penalty",
                              {"batch": batch, "size": size}, 15.0,
                              lambda batch=batch, size=size: gradient_penalty_case(device, batch, size, width=gp_width)))
    if sizes:
        specs.append(faiss_spec(sizes[0]))
    for n in sizes[1:]:
        specs.append(prdc_spec(n))
        if n <= FAISS_MAX_ROWS:
            specs.append(faiss_spec(n))
    return specs


def environment(device):
    device = torch.device(device)
    env = {
        "device": str(device),
        "torch": torch.__version__,
        "torch_cuda": torch.version.cuda,
        "cudnn_allow_tf32": torch.backends.cudnn.allow_tf32,
        "matmul_allow_tf32": torch.backends.cuda.matmul.allow_tf32,
        "cpu_threads": torch.get_num_threads(),
        "fastgan_compiled": fastgan.available(),
        "fastgan_has_cuda": fastgan.has_cuda(),
    }
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        env.update(gpu_name=props.name, gpu_total_memory_bytes=props.total_memory)
    return env


def write_json(path, data):
    """Write data as JSON atomically (a temporary file, then a rename)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
    tmp.replace(path)


def parse_sizes(text):
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes must be comma-separated integers, got {text!r}") from None
    if not sizes or any(n < 8 for n in sizes):
        raise argparse.ArgumentTypeError(f"sizes must be integers >= 8 (more samples than k), got {text!r}")
    return sizes


def parse_configs(text):
    try:
        configs = [tuple(int(v) for v in part.split("x")) for part in text.split(",") if part.strip()]
    except ValueError:
        configs = []
    if not configs or any(len(c) != 2 for c in configs):
        raise argparse.ArgumentTypeError(f"configs are BATCHxSIZE,..., e.g. 64x32,128x64; got {text!r}")
    return configs


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda", help="device to benchmark on (default cuda; cpu for a smoke run)")
    parser.add_argument("--budget-seconds", type=float, default=300.0, help="start no case past this many seconds")
    parser.add_argument("--sizes", type=parse_sizes, default=list(DEFAULT_SIZES), help="PRDC sample counts, e.g. 10000,100000")
    parser.add_argument("--dim", type=int, default=PRDC_DIM, help="PRDC feature dimension")
    parser.add_argument("--fid-dim", type=int, default=FID_DIM, help="covariance size of the trace cases")
    parser.add_argument("--fid-samples", type=int, default=FID_SAMPLES, help="samples behind each covariance")
    parser.add_argument("--gp-configs", type=parse_configs, default=list(GP_CONFIGS), help="gradient penalty BATCHxSIZE list")
    parser.add_argument("--gp-width", type=int, default=64, help="channels of the critic's first convolution")
    parser.add_argument("--cpu-max-rows", type=int, default=CPU_MAX_ROWS, help="largest PRDC size compared with the CPU")
    parser.add_argument("--json", type=Path, default=None, help="write the results here (after every case)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("gpu_bench: --device cuda but torch.cuda.is_available() is False", file=sys.stderr)
        return 2
    report = {
        "environment": environment(device),
        "budget_seconds": args.budget_seconds,
        "sizes": args.sizes,
        "finished": False,
        "cases": [],
        "failures": [],
    }

    def save(results):
        report["cases"] = results
        report["failures"] = failures(results)
        if args.json is not None:
            write_json(args.json, report)
        case = results[-1]
        if case.get("skipped_reason"):
            print(f"[skip] {case['name']}: {case['skipped_reason']}", flush=True)
        elif case.get("error"):
            print(f"[FAIL] {case['name']}: {case['error']}", flush=True)
        else:
            print(f"[{'ok' if case['ok'] else 'FAIL'}] {format_case(case)}", flush=True)

    specs = build_cases(device, args.sizes, args.dim, fid_dim=args.fid_dim, fid_samples=args.fid_samples,
                        gp_configs=args.gp_configs, gp_width=args.gp_width, cpu_max_rows=args.cpu_max_rows)
    results = run_cases(specs, Budget(args.budget_seconds), save, device)
    report["finished"] = True
    report["cases"], report["failures"] = results, failures(results)
    if args.json is not None:
        write_json(args.json, report)
    return 1 if report["failures"] else 0


def format_case(case):
    """One line: times, ratio, peaks and differences of a measured case."""

    def sec(v):
        return "-" if v is None else f"{v * 1e3:.1f} ms" if v < 1 else f"{v:.2f} s"

    def mib(v):
        return "-" if v is None else f"{v / 2**20:.0f} MiB"

    def num(v):
        return "-" if v is None else f"{v:.2g}"

    ratio = "-" if case.get("ratio") is None else f"{case['ratio']:.2f}x"
    line = (f"{case['name']}: fastgan {sec(case.get('fastgan_s'))} ({mib(case.get('fastgan_peak_bytes'))}), "
            f"baseline {sec(case.get('baseline_s'))} ({mib(case.get('baseline_peak_bytes'))}), ratio {ratio}, "
            f"rel diff vs baseline {num(case.get('max_rel_diff_vs_baseline'))}, vs cpu {num(case.get('max_rel_diff_vs_cpu'))}")
    if case.get("baseline_skipped_reason"):
        line += f" [baseline skipped: {case['baseline_skipped_reason']}]"
    return line


if __name__ == "__main__":
    sys.exit(main())
