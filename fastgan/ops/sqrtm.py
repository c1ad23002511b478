"""Matrix square roots for the Fréchet distance.

`trace_sqrt_product(sigma1, sigma2)` is the one hard term of FID, Tr((Σ1 Σ2)^½).
Σ1 Σ2 is not symmetric, but it is similar to the symmetric positive semi-definite
matrices √Σ1 Σ2 √Σ1 and Lᵀ Σ2 L (Σ1 = L Lᵀ), so its eigenvalues are real and
non-negative and Tr((Σ1 Σ2)^½) is the sum of their square roots. Every route here
works on one of those symmetric forms, in float64. Eigenvalues within rounding of
zero (below D·eps·λmax, numpy's rank tolerance; rounding scatters true zeros to
±10·eps·λmax) count as zero. That is why there is never an "imaginary component",
and why singular covariances (fewer samples than features) need no ε·I: their
zero eigenvalues contribute exactly zero, and the trace matches an exact
SVD-based value to ~1e-15 relative.

`sqrtm_newton_schulz(a)` is the coupled Newton–Schulz iteration (GEMMs only, so it
suits GPUs), compiled for CPU and CUDA; it reports its residual so that callers
can tell when it has not converged.
"""
import math

import torch

from ._dispatch import use_compiled
from ._inputs import as_features, as_tensor, check_finite

METHODS = ("auto", "cholesky", "eigh", "newton_schulz")

# Default stopping tolerance on |I - Z Y|_F. The residual bounds the relative error
# of every eigenvalue of the returned square root, and so of its trace, by about
# residual / 2. float64 reaches 1e-9 on FID covariances (its rounding floor there is
# ~1e-11 to 1e-10); float32 stalls far earlier on ill-conditioned inputs.
DEFAULT_TOL = {torch.float64: 1e-9, torch.float32: 1e-4}
DEFAULT_NUM_ITERS = 100

# Symmetry tolerance for covariance inputs, relative to their largest entry: covariances
# computed or stored in float32 are symmetric to ~1e-7; anything further off is not one.
SYMMETRY_RTOL = 1e-5

# Below this size the blocked triangular products are not worth their bookkeeping.
_BLOCKED_MIN_SIZE = 512
_BLOCK = 256


def sqrtm_newton_schulz(a, num_iters=DEFAULT_NUM_ITERS, tol=None, impl="auto"):
    """Square root of a matrix by the coupled Newton–Schulz iteration.

    Y0 = A/|A|_F, Z0 = I; T = (3I - Z Y)/2; Y <- Y T, Z <- T Z; then √A = Y √|A|_F.
    The iteration stops when the residual |I - Z Y|_F is <= tol (converged), when it
    stops decreasing (the rounding floor, or divergence: the best iterate is kept),
    or after `num_iters` steps. It converges when the eigenvalues of A are real and
    positive (e.g. A symmetric positive definite); eigenvalues at zero never converge,
    and small ones need about log(|A|_F/λ_min)/log(2.25) steps. In float32 it stalls
    early on ill-conditioned matrices: use float64 when the answer matters.

    Args:
        a: [n, n] floating-point tensor or NumPy array, on any device (float16/bfloat16
            are computed in float32). The root is differentiable in a.
        num_iters: the most iterations to run (>= 0).
        tol: residual at which to stop; default 1e-9 (float64), 1e-4 (float32).
            The relative error of each eigenvalue of the result (and of its trace)
            is about residual / 2 or less.
        impl: "auto", "compiled" or "reference" (plain PyTorch).

    Returns:
        (sqrt_a, residual): sqrt_a [n, n] of a's dtype and device; residual, a float,
        is |I - Z Y|_F of the returned iterate. residual <= tol means converged.
        Inside torch.compile the residual is a 0-dim float64 tensor instead (a Python
        float would end the graph).
    """
    a = _check_square(as_features(a, "a"), "a")
    if torch.compiler.is_compiling() and use_compiled(impl, a.device):
        root, residual, _ = torch.ops.fastgan.sqrtm_newton_schulz(a, _check_num_iters(num_iters), _tolerance(tol, a))
        return root, residual
    sqrt_a, residual, _ = _newton_schulz(a, num_iters, tol, impl)
    return sqrt_a, residual


@torch.no_grad()
def trace_sqrt_product(sigma1, sigma2, method="auto", return_info=False):
    """Tr((Σ1 Σ2)^½) for two covariance matrices, exact in float64.

    Methods (all compute the eigenvalues of a symmetric matrix similar to Σ1 Σ2):

    - "cholesky": Σ1 = L Lᵀ, eigenvalues of Lᵀ Σ2 L (eigvalsh). Needs Σ1 (or Σ2: the
      trace is symmetric in the two) positive definite; if neither is, "eigh" runs.
      Exact, also when the other matrix is singular. Fastest on CPU: one Cholesky,
      two triangular products and one eigenvalue-only decomposition, roughly 10x
      less work than the Schur-based sqrtm of pytorch-fid.
    - "eigh": Σ1 = V diag(w) Vᵀ, then the eigenvalues of Cᵀ Σ2 C with C = V √w over
      the positive w: the nonzero spectrum of √Σ1 Σ2 √Σ1. Exact for any PSD pair,
      singular ones included (fewer samples than features); about 4x the cost of
      "cholesky" because it needs eigenvectors.
    - "newton_schulz": Lᵀ Σ2 L as above, then `sqrtm_newton_schulz` in float64 with
      tol 1e-9 (relative trace error <= ~5e-10). It runs only when both Σ1 and Σ2
      are positive definite (zero eigenvalues never converge); when either is
      singular, or when it has not converged (very ill-conditioned input: float64
      rounding floor above tol), the eigenvalues of the same Lᵀ Σ2 L are taken
      instead (eigvalsh), so the answer is exact either way. GEMMs only: the route
      for GPUs. float32 is never used: it diverges on realistic FID covariances.
    - "auto": "cholesky" on the CPU (fastest exact route there); "newton_schulz" on
      CUDA, where GEMMs are cheap and eigen-decompositions are not.

    Args:
        sigma1, sigma2: [D, D] symmetric positive semi-definite matrices (tensors or
            NumPy arrays, any float dtype; computed in float64 on their device).
            Symmetry is checked (to 1e-5 of the largest entry); within that, the
            lower triangles are used, as LAPACK does.
        method: "auto", "cholesky", "eigh" or "newton_schulz".
        return_info: also return a dict saying which route ran ("method"), why a
            fallback happened ("fallback", or None), and for Newton–Schulz its
            "iterations" and "residual".

    Returns:
        float (and the info dict when return_info).

    Raises:
        ValueError / TypeError for non-square or mismatched shapes, non-float
        dtypes, NaN/Inf, asymmetric matrices, different devices or unknown methods.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    s1, s2 = _covariance_pair(sigma1, sigma2)
    if method == "auto":
        method = "newton_schulz" if s1.device.type == "cuda" else "cholesky"
    info = {"method": method, "fallback": None, "iterations": None, "residual": None}
    if s1.shape[0] == 0:
        value = 0.0
    elif method == "eigh":
        value = _eigh_trace(s1, s2)
    elif method == "cholesky":
        value = _cholesky_trace(s1, s2, info)
    else:
        value = _newton_schulz_trace(s1, s2, info)
    return (value, info) if return_info else value


def _reference(a, num_iters=DEFAULT_NUM_ITERS, tol=None):
    """Plain-PyTorch definition of the Newton–Schulz op: (sqrt_a, residual, iterations).

    The same iteration and stopping rules as the kernels, one GEMM at a time.
    """
    tol = DEFAULT_TOL[a.dtype] if tol is None else tol
    n = a.shape[0]
    if n == 0:
        return torch.empty_like(a), 0.0, 0
    norm_sq = float(a.double().square().sum())
    if not math.isfinite(norm_sq):
        raise ValueError("a contains NaN or Inf (or its Frobenius norm overflows); remove or rescale those entries")
    if norm_sq == 0.0:
        return torch.zeros_like(a), 0.0, 0
    norm = math.sqrt(norm_sq)
    eye = torch.eye(n, dtype=a.dtype, device=a.device)
    y, z = a / norm, eye.clone()
    best = (math.inf, 0, y)
    for k in range(num_iters + 1):
        p = z @ y
        residual = float((eye.double() - p.double()).square().sum().sqrt())
        if not residual < best[0]:
            break
        best = (residual, k, y)
        if residual <= tol or k >= num_iters:
            break
        t = 1.5 * eye - 0.5 * p
        y, z = y @ t, t @ z
    residual, iterations, y = best
    return y * math.sqrt(norm), residual, iterations


def _trace_reference(sigma1, sigma2):
    """Float64 eigenvalue definition of Tr((Σ1 Σ2)^½) via √Σ1 Σ2 √Σ1 (for tests)."""
    s1, s2 = sigma1.double(), sigma2.double()
    w, v = torch.linalg.eigh(s1)
    root = (v * w.clamp_min(0).sqrt()) @ v.T
    middle = root @ s2 @ root
    return float(torch.linalg.eigvalsh((middle + middle.T) / 2).clamp_min(0).sqrt().sum())


# --- routes ------------------------------------------------------------------------


def _numerical_zero(eigenvalues):
    """Eigenvalues below this are rounding noise around zero (numpy's matrix_rank tolerance).

    eigvalsh computes every eigenvalue of a PSD matrix M to about ±eps·|M|, so the
    zero eigenvalues of a singular covariance come out as ±(1..10)·eps·λmax. Their
    square roots, ~1e-8·√λmax each, would add up to a 1e-8 relative bias over a
    thousand of them; D·eps·λmax sits well above that noise and far below any
    eigenvalue that real feature covariances have (>= ~1e-10 λmax).
    """
    if eigenvalues.numel() == 0:
        return 0.0
    return eigenvalues.shape[0] * torch.finfo(torch.float64).eps * float(eigenvalues.max().clamp_min(0))


def _sum_sqrt(eigenvalues):
    # Zero eigenvalues of a PSD matrix come back as ±noise: they contribute exactly 0.
    signal = eigenvalues[eigenvalues > _numerical_zero(eigenvalues)]
    return float(signal.sqrt().sum())


def _cholesky(s):
    factor, status = torch.linalg.cholesky_ex(s)
    return factor if int(status) == 0 else None


def _cholesky_trace(s1, s2, info):
    factor, other = _cholesky(s1), s2
    if factor is None:
        factor, other = _cholesky(s2), s1
    if factor is None:
        info.update(method="eigh", fallback="neither covariance is positive definite")
        return _eigh_trace(s1, s2)
    return _sum_sqrt(torch.linalg.eigvalsh(_congruence_lower(factor, _mirror_lower(other)), UPLO="L"))


def _eigh_trace(s1, s2):
    w, v = torch.linalg.eigh(s1)
    positive = w > _numerical_zero(w)
    root = v[:, positive] * w[positive].sqrt()  # C with C Cᵀ = Σ1 on its range
    if root.shape[1] == 0:
        return 0.0
    middle = root.T @ _mirror_lower(s2) @ root
    return _sum_sqrt(torch.linalg.eigvalsh(middle, UPLO="L"))


def _newton_schulz_trace(s1, s2, info):
    f1, f2 = _cholesky(s1), _cholesky(s2)
    if f1 is None and f2 is None:
        info.update(method="eigh", fallback="neither covariance is positive definite")
        return _eigh_trace(s1, s2)
    factor, other = (f1, s2) if f1 is not None else (f2, s1)
    middle = factor.T @ _mirror_lower(other) @ factor
    middle = (middle + middle.T) / 2
    if f1 is None or f2 is None:
        # A singular matrix has zero eigenvalues, which Newton–Schulz never resolves.
        info.update(method="cholesky", fallback="a covariance is singular")
        return _sum_sqrt(torch.linalg.eigvalsh(middle))
    tol = DEFAULT_TOL[torch.float64]
    root, residual, iterations = _newton_schulz(middle, DEFAULT_NUM_ITERS, tol, "auto")
    info.update(iterations=iterations, residual=residual)
    if residual <= tol:
        return float(root.diagonal().sum())
    info.update(method="cholesky", fallback=f"Newton-Schulz stalled at residual {residual:.3g} > {tol:g}")
    return _sum_sqrt(torch.linalg.eigvalsh(middle))


def _congruence_lower(factor, other):
    """Lᵀ S L for lower-triangular L and symmetric S, valid in its lower triangle.

    Skips the zero blocks of L and the blocks above the block diagonal of the
    symmetric result (left at zero; diagonal blocks are computed whole), so the two
    products cost about 1.6 n³ flops instead of 4 n³ (torch has no trmm or syrk).
    Read the result with UPLO="L".
    """
    n = factor.shape[0]
    if n < _BLOCKED_MIN_SIZE:
        return factor.T @ (other @ factor)
    # W = S L, one column block at a time: L[:, j-block] is zero above row j0.
    w = torch.empty_like(other)
    for j0 in range(0, n, _BLOCK):
        j1 = min(j0 + _BLOCK, n)
        torch.mm(other[:, j0:], factor[j0:, j0:j1], out=w[:, j0:j1])
    # M = Lᵀ W, lower block triangle only: Lᵀ[i-block, :] is zero left of column i0.
    out = torch.zeros_like(other)
    for i0 in range(0, n, _BLOCK):
        i1 = min(i0 + _BLOCK, n)
        torch.mm(factor[i0:, i0:i1].T, w[i0:, :i1], out=out[i0:i1, :i1])
    return out


def _newton_schulz(a, num_iters, tol, impl):
    """(sqrt_a, residual float, iterations int) from the kernel or the reference."""
    num_iters = _check_num_iters(num_iters)
    tol = _tolerance(tol, a)
    if not use_compiled(impl, a.device):
        return _reference(a, num_iters, tol)
    root, residual, iterations = torch.ops.fastgan.sqrtm_newton_schulz(a, num_iters, tol)
    return root, float(residual), int(iterations)


def _check_num_iters(num_iters):
    if not isinstance(num_iters, int) or isinstance(num_iters, bool) or num_iters < 0:
        raise ValueError(f"num_iters must be an integer >= 0, got {num_iters!r}")
    return num_iters


def _tolerance(tol, a):
    tol = DEFAULT_TOL[a.dtype] if tol is None else tol
    if not isinstance(tol, (int, float)) or isinstance(tol, bool) or not tol >= 0:
        raise ValueError(f"tol must be a number >= 0, got {tol!r}")
    return float(tol)


# --- input checks ------------------------------------------------------------------


def _check_square(a, name):
    if a.dim() != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"{name} must be a square matrix [n, n], got shape {tuple(a.shape)}")
    if a.dtype not in (torch.float32, torch.float64):
        raise TypeError(f"{name} must be float32 or float64, got {a.dtype}; cast it first, e.g. {name}.double()")
    check_finite(a, name)
    return a


def _as_covariance(value, name):
    s = as_tensor(value, name)
    if not (s.is_floating_point()):
        raise TypeError(f"{name} must hold floating-point numbers, got {s.dtype}; cast it first, e.g. {name}.double()")
    if s.dim() != 2 or s.shape[0] != s.shape[1]:
        raise ValueError(f"{name} must be a square covariance matrix [D, D], got shape {tuple(s.shape)}")
    return s.double()


def _covariance_pair(sigma1, sigma2):
    """Both as float64 [D, D] tensors on one device, checked finite and symmetric.

    They are not copied: the routes read the lower triangle (like LAPACK) and
    mirror it where a full matrix is needed (_mirror_lower), so that rounding-level
    asymmetry (a covariance from a GEMM) never makes the result depend on it.
    """
    s1 = _as_covariance(sigma1, "sigma1")
    s2 = _as_covariance(sigma2, "sigma2")
    if s1.shape != s2.shape:
        raise ValueError(f"sigma1 and sigma2 differ in shape: {tuple(s1.shape)} vs {tuple(s2.shape)}")
    if s1.device != s2.device:
        raise ValueError(f"sigma1 is on {s1.device} but sigma2 is on {s2.device}; move both to the same device")
    _check_finite_symmetric(s1, "sigma1")
    _check_finite_symmetric(s2, "sigma2")
    return s1, s2


def _check_finite_symmetric(s, name):
    # Both checks read the matrix without allocating a D x D temporary: at D = 2048
    # the plain (s - s.T).abs().max() costs more than a fifth of the whole FID.
    if s.numel() == 0 or torch.compiler.is_compiling():
        return
    low, high = torch.aminmax(s)
    low, high = float(low), float(high)
    if not (math.isfinite(low) and math.isfinite(high)):
        check_finite(s, name)  # raises, naming the first bad row
    scale = max(abs(low), abs(high))
    asymmetry = max(float((a - b.T).abs().max()) for a, b in _mirror_tiles(s))
    if asymmetry > SYMMETRY_RTOL * scale:
        raise ValueError(
            f"{name} is not symmetric (max |S - Sᵀ| = {asymmetry:.3g}, largest entry {scale:.3g}); "
            "a covariance matrix is symmetric: pass the covariance, not another matrix"
        )


def _tiles(s):
    """Index ranges (i0, i1, j0, j1) of the tiles of the lower block triangle (j0 <= i0).

    On the CPU, 256 x 256 tiles stay in cache while their transposes are read; a
    whole-matrix transpose walks memory with a D-element stride and is several times
    slower. Elsewhere (CUDA) one tile is the whole matrix.
    """
    n = s.shape[0]
    block = _BLOCK if (n >= _BLOCKED_MIN_SIZE and s.device.type == "cpu") else max(n, 1)
    for i0 in range(0, n, block):
        for j0 in range(0, i0 + 1, block):
            yield i0, min(i0 + block, n), j0, min(j0 + block, n)


def _mirror_tiles(s):
    """Pairs (s[I, J], s[J, I]) over the lower block triangle."""
    for i0, i1, j0, j1 in _tiles(s):
        yield s[i0:i1, j0:j1], s[j0:j1, i0:i1]


def _mirror_lower(s):
    """The symmetric matrix whose lower triangle is s's (a new tensor)."""
    return _mirror_lower_(s.clone())


def _mirror_lower_(s):
    """In place: copy the lower triangle of square s onto its upper triangle; returns s."""
    for i0, i1, j0, j1 in _tiles(s):
        tile = s[i0:i1, j0:j1]
        if i0 == j0:  # a diagonal tile: mirror within it
            lower = torch.tril(tile)
            tile.copy_(lower + torch.tril(lower, -1).T)
        else:
            s[j0:j1, i0:i1].copy_(tile.T)
    return s
