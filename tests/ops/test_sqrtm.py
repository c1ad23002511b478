"""fastgan.ops.sqrtm_newton_schulz and trace_sqrt_product against float64 eigen references."""
import numpy as np
import pytest
import torch

from fastgan.ops import sqrtm_newton_schulz, trace_sqrt_product
from fastgan.ops import sqrtm as sqrtm_module
from fastgan.ops.sqrtm import _congruence_lower, _newton_schulz, _reference, _trace_reference


def _spectrum(kind, n, gen):
    i = torch.arange(1, n + 1, dtype=torch.float64)
    if kind == "flat":
        return 1.0 + torch.rand(n, generator=gen, dtype=torch.float64)
    if kind == "power2":  # cond n^2: a mild version of Inception's decay
        return i**-2.0
    if kind == "inception":  # cond ~1e10 at n = 200, like real FID covariances
        return torch.logspace(0, -10, n, dtype=torch.float64)
    raise ValueError(kind)


def _spd(eigenvalues, gen):
    n = eigenvalues.shape[0]
    q, _ = torch.linalg.qr(torch.randn(n, n, generator=gen, dtype=torch.float64))
    a = (q * eigenvalues) @ q.T
    return (a + a.T) / 2, (q * eigenvalues.sqrt()) @ q.T


def _centred(x):
    return (x - x.mean(0)) / (x.shape[0] - 1) ** 0.5


def _nuclear_reference(x1, x2):
    """Tr((Σ1 Σ2)^½) from the features themselves: the nuclear norm of A Bᵀ (Σ1 = AᵀA, Σ2 = BᵀB).

    Independent of any D x D eigen-decomposition, and exact for N < D.
    """
    a, b = _centred(x1.double()), _centred(x2.double())
    return float(torch.linalg.svdvals(a @ b.T).sum())


# --- Newton–Schulz ------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 7, 31, 67])
@pytest.mark.parametrize("kind", ["flat", "power2"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_newton_schulz_compiled_matches_reference(n, kind, dtype, device, gen):
    a, root = _spd(_spectrum(kind, n, gen), gen)
    a = a.to(dtype).to(device)
    got, residual, iterations = _newton_schulz(a, 100, None, "compiled")
    want, want_residual, want_iterations = _reference(a, 100, None)
    assert got.dtype == dtype and got.device == a.device and got.shape == (n, n)
    assert abs(iterations - want_iterations) <= 1
    tol = sqrtm_module.DEFAULT_TOL[dtype]
    assert residual <= tol and want_residual <= tol
    rtol = 1e-4 if dtype == torch.float32 else 1e-10
    torch.testing.assert_close(got.double().cpu(), want.double().cpu(), rtol=rtol, atol=rtol * float(root.abs().max()))
    torch.testing.assert_close(got.double().cpu(), root, rtol=rtol, atol=rtol * float(root.abs().max()))


@pytest.mark.parametrize("kind", ["flat", "power2", "inception"])
def test_newton_schulz_float64_converges_to_the_eigen_root(kind, device, gen):
    a, root = _spd(_spectrum(kind, 200, gen), gen)
    got, residual = sqrtm_newton_schulz(a.to(device))
    assert residual <= 1e-9
    # Trace: relative error bounded by about residual / 2 (plus rounding).
    rel = abs(float(got.trace()) / float(root.trace()) - 1)
    assert rel <= residual / 2 + 1e-12, (rel, residual)


def test_residual_bounds_the_trace_error(gen):
    # Stopped early on purpose (tol 1e-2): the residual still bounds the trace error.
    a, root = _spd(_spectrum("power2", 150, gen), gen)
    for tol in (1e-1, 1e-2, 1e-4):
        got, residual = sqrtm_newton_schulz(a, tol=tol)
        assert residual <= tol
        rel = abs(float(got.trace()) / float(root.trace()) - 1)
        assert rel <= residual / 2 + 1e-12, (tol, rel, residual)


def test_iteration_cap_reports_an_unconverged_residual(gen):
    a, _ = _spd(_spectrum("inception", 60, gen), gen)
    got, residual, iterations = _newton_schulz(a, 3, 1e-9, "compiled")
    assert iterations == 3 and residual > 1.0
    _, ref_residual, ref_iterations = _reference(a, 3, 1e-9)
    assert ref_iterations == 3 and ref_residual == pytest.approx(residual, rel=1e-10)


def test_singular_matrix_stops_without_converging(gen):
    # A zero eigenvalue never converges: |I - Z Y|_F stays >= 1; the iteration stops
    # once it no longer decreases instead of running to the cap.
    eigenvalues = _spectrum("flat", 40, gen)
    eigenvalues[-3:] = 0.0
    a, root = _spd(eigenvalues, gen)
    got, residual, iterations = _newton_schulz(a, 100, 1e-9, "compiled")
    assert residual >= 1.0 and iterations < 100
    _, ref_residual, _ = _reference(a, 100, 1e-9)
    assert ref_residual >= 1.0


def test_non_symmetric_matrix_with_positive_spectrum(gen):
    # Σ1 Σ2 itself: similar to the SPD Lᵀ Σ2 L, so √(Σ1 Σ2) = L √(Lᵀ Σ2 L) L⁻¹.
    s1, _ = _spd(_spectrum("flat", 30, gen), gen)
    s2, _ = _spd(_spectrum("flat", 30, gen), gen)
    factor = torch.linalg.cholesky(s1)
    w, v = torch.linalg.eigh(factor.T @ s2 @ factor)
    want = factor @ ((v * w.sqrt()) @ v.T) @ torch.linalg.inv(factor)
    got, residual = sqrtm_newton_schulz(s1 @ s2)
    assert residual <= 1e-9
    torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(got @ got, s1 @ s2, rtol=1e-9, atol=1e-9)


def test_zero_and_empty_matrices(device):
    got, residual = sqrtm_newton_schulz(torch.zeros(4, 4, dtype=torch.float64, device=device))
    assert residual == 0.0 and bool((got == 0).all())
    got, residual = sqrtm_newton_schulz(torch.zeros(0, 0, device=device))
    assert got.shape == (0, 0) and residual == 0.0


def test_numpy_input(gen):
    a, root = _spd(_spectrum("flat", 9, gen), gen)
    got, _ = sqrtm_newton_schulz(a.numpy())
    torch.testing.assert_close(got, root, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    "a,kwargs,error,match",
    [
        (torch.zeros(3, 4), {}, ValueError, "square matrix"),
        (torch.zeros(2, 2, 2), {}, ValueError, "square matrix"),
        (torch.zeros(3, 3, dtype=torch.int64), {}, TypeError, "float32 or float64"),
        (torch.tensor([[1.0, float("nan")], [0.0, 1.0]]), {}, ValueError, "a contains NaN or Inf"),
        (torch.eye(3), {"num_iters": -1}, ValueError, "num_iters"),
        (torch.eye(3), {"tol": -1.0}, ValueError, "tol"),
    ],
)
def test_newton_schulz_bad_input(a, kwargs, error, match):
    with pytest.raises(error, match=match):
        sqrtm_newton_schulz(a, **kwargs)


def test_kernel_checks_its_own_arguments():
    with pytest.raises(RuntimeError, match="square matrix"):
        torch.ops.fastgan.sqrtm_newton_schulz(torch.zeros(2, 3), 10, 1e-6)
    with pytest.raises(RuntimeError, match="float32 or float64"):
        torch.ops.fastgan.sqrtm_newton_schulz(torch.zeros(2, 2, dtype=torch.int32), 10, 1e-6)
    with pytest.raises(RuntimeError, match="NaN or Inf"):
        torch.ops.fastgan.sqrtm_newton_schulz(torch.full((2, 2), float("inf")), 10, 1e-6)


def test_opcheck_schema_and_fake(gen):
    a, _ = _spd(_spectrum("flat", 5, gen), gen)
    torch.library.opcheck(torch.ops.fastgan.sqrtm_newton_schulz.default, (a, 50, 1e-9))


# --- trace_sqrt_product -------------------------------------------------------------------


def _covariances(n1, n2, dim, gen):
    # Features with a decaying spectrum, like pooled CNN features.
    scales = torch.logspace(0, -2, dim, dtype=torch.float64)
    x1 = torch.randn(n1, dim, generator=gen, dtype=torch.float64) * scales + 0.5
    x2 = torch.randn(n2, dim, generator=gen, dtype=torch.float64) * scales * 1.3 + 0.2
    return x1, x2, torch.cov(x1.T).reshape(dim, dim), torch.cov(x2.T).reshape(dim, dim)


@pytest.mark.parametrize("method", ["auto", "cholesky", "eigh", "newton_schulz"])
@pytest.mark.parametrize("dim", [1, 5, 64, 150])
def test_methods_match_the_eigen_reference(method, dim, gen, monkeypatch):
    # Small blocks, so that 150 takes the blocked triangular products (with a ragged last block).
    monkeypatch.setattr(sqrtm_module, "_BLOCKED_MIN_SIZE", 100)
    monkeypatch.setattr(sqrtm_module, "_BLOCK", 32)
    n = 3 * dim + 10
    _, _, s1, s2 = _covariances(n, n + 7, dim, gen)
    got, info = trace_sqrt_product(s1, s2, method=method, return_info=True)
    want = _trace_reference(s1, s2)
    assert got == pytest.approx(want, rel=1e-10)
    assert info["fallback"] is None
    if method == "newton_schulz":
        assert info["residual"] <= 1e-9 and info["iterations"] >= (1 if dim > 1 else 0)


@pytest.mark.parametrize("method", ["auto", "cholesky", "eigh", "newton_schulz"])
@pytest.mark.parametrize("sizes", [(20, 300), (300, 20), (20, 25), (61, 80)])
def test_singular_covariances_are_exact(method, sizes, gen):
    # N < D makes the covariance singular (rank N - 1); the trace stays exact.
    dim = 64 if max(sizes) == 300 else 97
    x1, x2, s1, s2 = _covariances(sizes[0], sizes[1], dim, gen)
    got, info = trace_sqrt_product(s1, s2, method=method, return_info=True)
    want = _nuclear_reference(x1, x2)
    assert got == pytest.approx(want, rel=1e-12)
    # The plain clamp-at-zero definition carries ~sqrt(eps) noise per zero eigenvalue.
    assert got == pytest.approx(_trace_reference(s1, s2), rel=1e-7)
    singular = [n <= dim for n in sizes]
    if method == "newton_schulz":  # zero eigenvalues never converge: eigenvalues instead
        assert (info["fallback"] is not None) == any(singular)
    elif method in ("cholesky", "auto"):  # needs one positive definite covariance
        assert (info["fallback"] is not None) == all(singular)
        assert info["method"] == ("eigh" if all(singular) else "cholesky")


def test_identical_covariances_give_their_trace(gen):
    for n in (10, 200):  # singular and regular
        x1, _, s1, _ = _covariances(n, 3, 50, gen)
        for method in ("auto", "cholesky", "eigh", "newton_schulz"):
            got = trace_sqrt_product(s1, s1.clone(), method=method)
            assert got == pytest.approx(float(s1.trace()), rel=1e-9)


def test_newton_schulz_falls_back_when_not_converged(gen, monkeypatch):
    _, _, s1, s2 = _covariances(300, 310, 40, gen)
    monkeypatch.setattr(sqrtm_module, "DEFAULT_NUM_ITERS", 2)
    got, info = trace_sqrt_product(s1, s2, method="newton_schulz", return_info=True)
    assert info["method"] == "cholesky" and "stalled" in info["fallback"]
    assert info["iterations"] == 2 and info["residual"] > 1e-9
    assert got == pytest.approx(_trace_reference(s1, s2), rel=1e-10)


@pytest.mark.parametrize("convert", [lambda t: t, lambda t: t.numpy(), lambda t: t.float(), lambda t: t.float().numpy()])
def test_numpy_torch_float32_float64_inputs(convert, gen):
    _, _, s1, s2 = _covariances(100, 90, 30, gen)
    got = trace_sqrt_product(convert(s1), convert(s2))
    exact = _trace_reference(torch.as_tensor(convert(s1)).double(), torch.as_tensor(convert(s2)).double())
    assert got == pytest.approx(exact, rel=1e-12)


@pytest.mark.cuda
def test_cuda_matches_cpu(gen):
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    _, _, s1, s2 = _covariances(400, 380, 128, gen)
    cpu = trace_sqrt_product(s1, s2)
    for method in ("auto", "newton_schulz", "cholesky", "eigh"):
        assert trace_sqrt_product(s1.cuda(), s2.cuda(), method=method) == pytest.approx(cpu, rel=1e-9)


@pytest.mark.parametrize("block", [256, 7])
def test_congruence_lower_matches_dense_product(block, gen, monkeypatch):
    # 600 with the default block (256) leaves a ragged last block; 7 gives many.
    monkeypatch.setattr(sqrtm_module, "_BLOCK", block)
    dim = 600 if block == 256 else 45
    monkeypatch.setattr(sqrtm_module, "_BLOCKED_MIN_SIZE", min(dim, 512))
    _, _, s1, s2 = _covariances(dim + 50, dim + 60, dim, gen)
    factor = torch.linalg.cholesky(s1)
    dense = factor.T @ s2 @ factor
    got = _congruence_lower(factor, s2)
    torch.testing.assert_close(torch.tril(got), torch.tril(dense), rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(torch.linalg.eigvalsh(got, UPLO="L"), torch.linalg.eigvalsh(dense), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize(
    "s1,s2,kwargs,error,match",
    [
        (torch.eye(3), torch.eye(4), {}, ValueError, "differ in shape"),
        (torch.zeros(3, 4), torch.zeros(3, 4), {}, ValueError, "square covariance"),
        (torch.eye(3), torch.tensor([[1.0, 0, 0], [0, float("nan"), 0], [0, 0, 1]]), {}, ValueError, "sigma2 contains NaN or Inf"),
        (torch.full((2, 2), float("inf")), torch.eye(2), {}, ValueError, "sigma1 contains NaN or Inf"),
        (torch.tensor([[1.0, 0.5], [0.0, 1.0]]), torch.eye(2), {}, ValueError, "sigma1 is not symmetric"),
        (torch.eye(3, dtype=torch.int64), torch.eye(3), {}, TypeError, "floating-point"),
        (torch.eye(3), torch.eye(3), {"method": "sqrtm"}, ValueError, "method must be one of"),
        ("x", torch.eye(3), {}, TypeError, "torch tensor or a NumPy array"),
    ],
)
def test_trace_bad_input(s1, s2, kwargs, error, match):
    with pytest.raises(error, match=match):
        trace_sqrt_product(s1, s2, **kwargs)


@pytest.mark.parametrize("tiled", [False, True])
def test_rounding_level_asymmetry_is_accepted(tiled, gen, monkeypatch):
    # The lower triangle is what counts (like LAPACK), whichever route runs.
    if tiled:
        monkeypatch.setattr(sqrtm_module, "_BLOCKED_MIN_SIZE", 8)
        monkeypatch.setattr(sqrtm_module, "_BLOCK", 3)
    _, _, s1, s2 = _covariances(100, 90, 20, gen)
    noise = 1e-9 * float(s1.abs().max()) * torch.randn(20, 20, generator=gen, dtype=torch.float64)
    noisy1, noisy2 = s1 + noise, s2 + noise.T
    lower1, lower2 = (torch.tril(s) + torch.tril(s, -1).T for s in (noisy1, noisy2))
    want = _trace_reference(lower1, lower2)
    for method in ("cholesky", "eigh", "newton_schulz"):
        assert trace_sqrt_product(noisy1, noisy2, method=method) == pytest.approx(want, rel=1e-12)
        assert trace_sqrt_product(noisy2, noisy1, method=method) == pytest.approx(want, rel=1e-12)
    assert want == pytest.approx(_trace_reference((noisy1 + noisy1.T) / 2, (noisy2 + noisy2.T) / 2), rel=1e-8)


@pytest.mark.parametrize("n,block", [(7, 3), (10, 5), (600, 256)])
def test_asymmetry_is_found_in_any_tile(n, block, monkeypatch):
    monkeypatch.setattr(sqrtm_module, "_BLOCKED_MIN_SIZE", min(n, 512))
    monkeypatch.setattr(sqrtm_module, "_BLOCK", block)
    for i, j in [(0, n - 1), (n - 1, 0), (n // 2, n // 2 - 1)]:
        s = torch.eye(n, dtype=torch.float64)
        s[i, j] = 0.5
        with pytest.raises(ValueError, match="sigma2 is not symmetric"):
            trace_sqrt_product(torch.eye(n), s)
        mirrored = sqrtm_module._mirror_lower(s)
        assert bool((mirrored == mirrored.T).all())
        assert bool((torch.tril(mirrored) == torch.tril(s)).all())


def test_empty_covariances():
    assert trace_sqrt_product(np.zeros((0, 0)), np.zeros((0, 0))) == 0.0
