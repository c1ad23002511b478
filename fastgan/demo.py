"""`fastgan demo`: a short tour on generated feature sets, printed as a table."""
import time

import torch

from . import ops


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def run_demo(seed=0, size=4000, dims=512, out=print):
    """Compare fastgan's distances with torch.cdist on two generated feature sets.

    Args:
        seed: seed of the generated features.
        size: samples per set.
        dims: features per sample.
        out: where lines go (print by default).
    """
    generator = torch.Generator().manual_seed(seed)
    # Features with a large common offset: the case where the GEMM form cancels.
    real = torch.randn(size, dims, generator=generator) + 10.0
    fake = 1.1 * torch.randn(size, dims, generator=generator) + 10.2
    out(f"fastgan demo: {size} real and {size} fake samples, {dims} features (seed {seed})")

    exact = ops.pairwise_distances(real[:500].double(), fake[:500].double(), impl="reference")
    fast, fast_s = _timed(lambda: ops.pairwise_distances(real, fake))
    cdist, cdist_s = _timed(lambda: torch.cdist(real, fake))
    fast_err = float(((fast[:500, :500].double() - exact).abs() / exact).max())
    cdist_err = float(((cdist[:500, :500].double() - exact).abs() / exact).max())
    self_fast = float(ops.pairwise_distances(real[:200], real[:200]).diagonal().abs().max())
    self_cdist = float(torch.cdist(real[:200], real[:200]).diagonal().abs().max())

    rows = [
        ("method", "time (s)", "max rel. error", "max |d(x, x)|"),
        ("fastgan.ops.pairwise_distances", f"{fast_s:.3f}", f"{fast_err:.2e}", f"{self_fast:.1e}"),
        ("torch.cdist", f"{cdist_s:.3f}", f"{cdist_err:.2e}", f"{self_cdist:.1e}"),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        out("  ".join(cell.ljust(width) for cell, width in zip(row, widths)))
    out("errors against a float64 reference on the first 500 x 500 pairs; d(x, x) should be exactly 0")
    out("")
    _prdc_table(real, fake, out)


def _prdc_table(real, fake, out):
    """PRDC of the two sets with fastgan, beside the prdc package when it is installed."""
    import contextlib
    import io

    from .metrics import prdc

    scores, fast_s = _timed(lambda: prdc(real, fake, nearest_k=5))
    rows = [("PRDC (k=5)", "precision", "recall", "density", "coverage", "time (s)")]
    rows.append(("fastgan.metrics.prdc",) + tuple(f"{scores[k]:.4f}" for k in ("precision", "recall", "density", "coverage")) + (f"{fast_s:.2f}",))
    try:
        from prdc import compute_prdc
    except ImportError:
        compute_prdc = None
    if compute_prdc is not None and real.shape[0] <= 5000:
        with contextlib.redirect_stdout(io.StringIO()):
            theirs, slow_s = _timed(lambda: compute_prdc(real.numpy(), fake.numpy(), 5))
        rows.append(("prdc package",) + tuple(f"{theirs[k]:.4f}" for k in ("precision", "recall", "density", "coverage")) + (f"{slow_s:.2f}",))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        out("  ".join(cell.ljust(width) for cell, width in zip(row, widths)))
