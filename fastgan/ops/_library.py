"""What torch needs to know about every compiled op besides its kernels, in one place.

For each ``torch.ops.fastgan.*`` op this module registers its fake (meta) kernel, for
``torch.compile`` and FakeTensor tracing, which validates its inputs as the real
kernels do; its autograd contract; and its autocast policy. ``fastgan._ext`` imports
it as soon as the compiled library is loaded, and ``csrc/ops.cpp`` names it to torch
(``m.set_python_module``), so the registrations exist whichever fastgan module a user
imported first.

Gradient contract (`GRADIENTS`):

- ``pairwise_distances``: differentiable in x and y (0 where a distance is 0).
- ``knn`` / ``knn_self``: the float64 squared distances are differentiable in query
  and ref through the selected pairs; the indices are not (integers).
- ``sqrtm_newton_schulz``: the root is differentiable in ``a`` (the adjoint of the
  Fréchet derivative, a Sylvester equation solved by Newton–Schulz on a block
  matrix); residual and iteration count are not.
- ``gradient_penalty_interpolate`` / ``gradient_penalty_norms``: differentiable.
- ``ball_counts``, ``kernel_sum``, ``gradient_penalty_norms_backward``: no gradient.
  Inputs may require grad; the outputs do not (and say so: ``requires_grad`` is False).

Autocast and precision policy (`AUTOCAST`): every op computes in float32 or float64,
never lower. Inside ``torch.autocast`` (CPU or CUDA) its float16/bfloat16 inputs are
cast to float32 before the exact pass and float64 inputs are left alone; outside
autocast the public functions in ``fastgan.ops`` apply the same cast
(``_inputs.promote_low_precision``). The kernels themselves refuse other dtypes.
"""
import torch

LIBRARY = "fastgan"

FLOAT_DTYPES = (torch.float32, torch.float64)

GRADIENTS = {
    "pairwise_distances": "differentiable in x and y",
    "knn": "distances differentiable in query and ref (selected pairs); indices not",
    "knn_self": "distances differentiable in x (selected pairs); indices not",
    "sqrtm_newton_schulz": "sqrt_a differentiable in a; residual and iterations not",
    "gradient_penalty_interpolate": "differentiable in real, fake and alpha",
    "gradient_penalty_norms": "differentiable in grads (first order)",
    "gradient_penalty_norms_backward": "none: outputs do not require grad",
    "ball_counts": "none: outputs do not require grad",
    "kernel_sum": "none: outputs do not require grad",
}

# The dtype each op's floating inputs take inside torch.autocast (float64 is never cast).
AUTOCAST = {name: torch.float32 for name in GRADIENTS}

KERNELS = ("polynomial", "rbf")


def _qualname(name):
    return f"{LIBRARY}::{name}"


# ---------------------------------------------------------------------------------
# Input validation of the fake kernels (the same rules as csrc/include/fastgan/checks.h)


def _check_features(t, name):
    torch._check(t.dim() == 2, lambda: f"fastgan: {name} must be a 2-D feature matrix [N, D], got shape {tuple(t.shape)}")
    torch._check(
        t.dtype in FLOAT_DTYPES, lambda: f"fastgan: {name} must be float32 or float64, got {t.dtype}; cast it first"
    )


def _check_pair(x, x_name, y, y_name):
    _check_features(x, x_name)
    _check_features(y, y_name)
    torch._check(
        x.shape[1] == y.shape[1],
        lambda: f"fastgan: feature sizes differ: {x_name} has {x.shape[1]} features per row, {y_name} has {y.shape[1]}",
    )
    torch._check(x.dtype == y.dtype, lambda: f"fastgan: {x_name} is {x.dtype} but {y_name} is {y.dtype}")
    torch._check(x.device == y.device, lambda: f"fastgan: {x_name} is on {x.device} but {y_name} is on {y.device}")


def _check_k(k, extra, available, what):
    torch._check(k >= 1, lambda: f"fastgan: k must be >= 1, got {k}")
    torch._check(extra >= 0, lambda: f"fastgan: extra candidates must be >= 0, got {extra}")
    torch._check(k <= available, lambda: f"fastgan: k={k} but only {available} {what} available")


def _check_vector(t, rows, name):
    if t is None:
        return
    torch._check(t.dim() == 1 and t.shape[0] == rows, lambda: f"fastgan: {name} must have {rows} entries, got {tuple(t.shape)}")
    torch._check(t.dtype == torch.float64, lambda: f"fastgan: {name} must be float64, got {t.dtype}")


# ---------------------------------------------------------------------------------
# Fake kernels


def _fake_pairwise_distances(x, y, squared, refine_below):
    _check_pair(x, "x", y, "y")
    torch._check(refine_below >= 0.0, lambda: f"fastgan: refine_below must be >= 0, got {refine_below}")
    return x.new_empty((x.shape[0], y.shape[0]))


def _fake_knn(query, ref, k, extra):
    _check_pair(query, "query", ref, "ref")
    _check_k(k, extra, ref.shape[0], "reference points")
    shape = (query.shape[0], k)
    return query.new_empty(shape, dtype=torch.float64), query.new_empty(shape, dtype=torch.int64)


def _fake_knn_self(x, k, extra):
    _check_features(x, "x")
    _check_k(k, extra, x.shape[0] - 1, "other points")
    shape = (x.shape[0], k)
    return x.new_empty(shape, dtype=torch.float64), x.new_empty(shape, dtype=torch.int64)


def _fake_ball_counts(x, y, x_threshold, y_threshold, realism_weight, x_in_y_any=False):
    _check_pair(x, "centers", y, "query")
    _check_vector(x_threshold, x.shape[0], "x_threshold")
    _check_vector(y_threshold, y.shape[0], "y_threshold")
    _check_vector(realism_weight, x.shape[0], "realism_weight")
    n, m = x.shape[0], y.shape[0]
    counts = lambda rows: x.new_empty((rows,), dtype=torch.int64)  # noqa: E731
    realism = x.new_empty((m if realism_weight is not None else 0,), dtype=torch.float64)
    return counts(m), counts(n), counts(n), realism


def _fake_kernel_sum(x, y, kernel, gamma, coef0, degree, exclude_diagonal):
    _check_pair(x, "x", y, "y")
    torch._check(kernel in KERNELS, lambda: f"fastgan: kernel must be one of {KERNELS}, got {kernel!r}")
    torch._check(kernel != "polynomial" or degree >= 1, lambda: f"fastgan: degree must be >= 1, got {degree}")
    torch._check(gamma >= 0.0, lambda: f"fastgan: gamma must be >= 0, got {gamma}")
    torch._check(
        not exclude_diagonal or x.shape[0] == y.shape[0],
        lambda: "fastgan: exclude_diagonal needs y to be x (the same number of rows)",
    )
    return x.new_empty((), dtype=torch.float64)


def _fake_sqrtm(a, num_iters, tol):
    torch._check(a.dim() == 2 and a.shape[0] == a.shape[1], lambda: f"fastgan: a must be square, got {tuple(a.shape)}")
    torch._check(a.dtype in FLOAT_DTYPES, lambda: f"fastgan: a must be float32 or float64, got {a.dtype}")
    torch._check(num_iters >= 0, lambda: f"fastgan: num_iters must be >= 0, got {num_iters}")
    return a.new_empty(a.shape), a.new_empty((), dtype=torch.float64), a.new_empty((), dtype=torch.int64)


def _fake_interpolate(real, fake, alpha):
    torch._check(real.shape == fake.shape, lambda: "fastgan: real and fake must have the same shape")
    torch._check(alpha.dim() == 1 and alpha.shape[0] == real.shape[0], lambda: "fastgan: alpha must be [B]")
    return torch.empty_like(real, memory_format=torch.contiguous_format)


def _fake_norms(grads, weight, center, one_sided):
    torch._check(grads.dim() == 2, lambda: f"fastgan: grads must be [B, D], got {tuple(grads.shape)}")
    return grads.new_empty(()), grads.new_empty((grads.shape[0],))


def _fake_norms_backward(grad_penalty, grad_norms, grads, norms, weight, center, one_sided):
    torch._check(grads.dim() == 2, lambda: f"fastgan: grads must be [B, D], got {tuple(grads.shape)}")
    return torch.empty_like(grads, memory_format=torch.contiguous_format)


FAKES = {
    "pairwise_distances": _fake_pairwise_distances,
    "knn": _fake_knn,
    "knn_self": _fake_knn_self,
    "ball_counts": _fake_ball_counts,
    "kernel_sum": _fake_kernel_sum,
    "sqrtm_newton_schulz": _fake_sqrtm,
    "gradient_penalty_interpolate": _fake_interpolate,
    "gradient_penalty_norms": _fake_norms,
    "gradient_penalty_norms_backward": _fake_norms_backward,
}


# ---------------------------------------------------------------------------------
# Autograd


def _no_gradient_setup(ctx, inputs, output):
    outputs = output if isinstance(output, tuple) else (output,)
    ctx.mark_non_differentiable(*outputs)


def _no_gradient_backward(ctx, *grads):
    raise RuntimeError("fastgan: this op has no gradient (its outputs never require grad)")


def _pairwise_setup(ctx, inputs, output):
    x, y, squared, _ = inputs
    ctx.squared = squared
    ctx.save_for_backward(x, y, output)


def _pairwise_backward(ctx, grad):
    # d|x_i - y_j| / dx_i = (x_i - y_j) / d_ij, taken as 0 where d_ij = 0 (a subgradient).
    x, y, distances = ctx.saved_tensors
    if ctx.squared:
        weights = 2.0 * grad
    else:
        weights = torch.where(distances > 0, grad / distances.clamp_min(torch.finfo(distances.dtype).tiny), 0.0)
    grad_x = weights.sum(1, keepdim=True) * x - weights @ y
    grad_y = weights.sum(0).unsqueeze(1) * y - weights.t() @ x
    return grad_x, grad_y, None, None


def _selected_pair_gradients(grad_d2, query, ref, index):
    """d(sum g_qk d2(q, ref[index_qk])) / d query and / d ref, in the inputs' dtype.

    The [Q, k, D] differences are formed in float64 (k is small), as the forward's exact pass.
    """
    diff = query.double()[:, None, :] - ref.double()[index]
    weighted = 2.0 * grad_d2.double()[..., None] * diff
    grad_query = weighted.sum(1).to(query.dtype)
    grad_ref = torch.zeros(ref.shape, dtype=torch.float64, device=ref.device)
    grad_ref.index_add_(0, index.reshape(-1), -weighted.reshape(-1, ref.shape[1]))
    return grad_query, grad_ref.to(ref.dtype)


def _knn_setup(ctx, inputs, output):
    query, ref, _, _ = inputs
    _, index = output
    ctx.mark_non_differentiable(index)
    ctx.save_for_backward(query, ref, index)


def _knn_backward(ctx, grad_d2, _grad_index):
    query, ref, index = ctx.saved_tensors
    grad_query, grad_ref = _selected_pair_gradients(grad_d2, query, ref, index)
    return grad_query, grad_ref, None, None


def _knn_self_setup(ctx, inputs, output):
    x, _, _ = inputs
    _, index = output
    ctx.mark_non_differentiable(index)
    ctx.save_for_backward(x, index)


def _knn_self_backward(ctx, grad_d2, _grad_index):
    x, index = ctx.saved_tensors
    grad_query, grad_ref = _selected_pair_gradients(grad_d2, x, x, index)
    return grad_query + grad_ref, None, None


def _sqrtm_setup(ctx, inputs, output):
    a, num_iters, tol = inputs
    root, residual, iterations = output
    ctx.mark_non_differentiable(residual, iterations)
    ctx.num_iters, ctx.tol = num_iters, tol
    ctx.save_for_backward(a, root)


def _sqrtm_backward(ctx, grad_root, _grad_residual, _grad_iterations):
    a, root = ctx.saved_tensors
    return sylvester_adjoint(a, root, grad_root, ctx.num_iters, ctx.tol), None, None


def sylvester_adjoint(a, root, grad_root, num_iters, tol):
    """grad_a for sqrt_a = root: the X with root^T X + X root^T = grad_root.

    sqrt([[B, E], [0, B]]) = [[sqrt(B), L], [0, sqrt(B)]] with sqrt(B) L + L sqrt(B) = E,
    so with B = a^T the upper-right block of one Newton–Schulz root of a 2n x 2n block
    matrix is the adjoint: GEMMs only, on the op's own kernel. grad_root is scaled to
    a's norm first (the map is linear), which keeps the block as well conditioned as a.
    No data-dependent branch, so the backward traces under torch.compile; its accuracy
    is that of the iteration, as for the forward (see the residual it reports).
    """
    n = a.shape[0]
    scale_g = grad_root.norm()
    factor = torch.where(scale_g > 0, a.norm() / scale_g.clamp_min(torch.finfo(a.dtype).tiny), 1.0)
    top = torch.cat([a.t(), grad_root * factor], dim=1)
    bottom = torch.cat([torch.zeros_like(a), a.t()], dim=1)
    solved, _, _ = torch.ops.fastgan.sqrtm_newton_schulz(torch.cat([top, bottom], dim=0), num_iters, tol)
    return solved[:n, n:] / factor


def _interpolate_setup(ctx, inputs, output):
    real, fake, alpha = inputs
    ctx.save_for_backward(real, fake, alpha)


def _interpolate_backward(ctx, grad):
    real, fake, alpha = ctx.saved_tensors
    a = alpha.reshape((-1,) + (1,) * (real.dim() - 1))
    grad_real = grad * a if ctx.needs_input_grad[0] else None
    grad_fake = grad * (1 - a) if ctx.needs_input_grad[1] else None
    grad_alpha = (grad * (real - fake)).reshape(real.shape[0], -1).sum(1) if ctx.needs_input_grad[2] else None
    return grad_real, grad_fake, grad_alpha


def _norms_setup(ctx, inputs, output):
    grads, weight, center, one_sided = inputs
    _, norms = output
    ctx.weight, ctx.center, ctx.one_sided = weight, center, one_sided
    ctx.save_for_backward(grads, norms)


def _norms_backward(ctx, grad_penalty, grad_norms):
    grads, norms = ctx.saved_tensors
    if grad_penalty is None:
        grad_penalty = grads.new_zeros(())
    grad_grads = torch.ops.fastgan.gradient_penalty_norms_backward(
        grad_penalty, grad_norms, grads, norms, ctx.weight, ctx.center, ctx.one_sided
    )
    return grad_grads, None, None, None


AUTOGRAD = {
    "pairwise_distances": (_pairwise_backward, _pairwise_setup),
    "knn": (_knn_backward, _knn_setup),
    "knn_self": (_knn_self_backward, _knn_self_setup),
    "sqrtm_newton_schulz": (_sqrtm_backward, _sqrtm_setup),
    "gradient_penalty_interpolate": (_interpolate_backward, _interpolate_setup),
    "gradient_penalty_norms": (_norms_backward, _norms_setup),
    "gradient_penalty_norms_backward": (_no_gradient_backward, _no_gradient_setup),
    "ball_counts": (_no_gradient_backward, _no_gradient_setup),
    "kernel_sum": (_no_gradient_backward, _no_gradient_setup),
}


def register():
    """Register the fake kernels, autograd and autocast of every op (once; the library must be loaded)."""
    for name in GRADIENTS:
        qualname = _qualname(name)
        torch.library.register_fake(qualname)(FAKES[name])
        backward, setup = AUTOGRAD[name]
        torch.library.register_autograd(qualname, backward, setup_context=setup)
        for device_type in ("cpu", "cuda"):
            torch.library.register_autocast(qualname, device_type, AUTOCAST[name])
