"""One table over every torch.ops.fastgan op: the contract of fastgan/ops/_library.py.

For every op, both float dtypes and awkward sizes (1, primes, past the 256-row
tiles): torch.library.opcheck (schema, fake kernel, autograd registration, AOT
dispatch), the public function under torch.compile(fullgraph=True), inputs that
require grad and inputs that do not (gradcheck in float64 where the op has a
gradient, outputs that do not require grad where it has none), autocast and
float16/bfloat16 inputs, and the compiled kernel against the plain-PyTorch reference.
CUDA rows skip without a GPU.
"""
from dataclasses import dataclass
from typing import Callable

import pytest
import torch

import fastgan
from fastgan import ops
from fastgan.ops import _library
from fastgan.ops._inputs import promote_low_precision


pytestmark = pytest.mark.skipif(not fastgan._ext.available(), reason="the compiled library is not built")

SIZES = [1, 7, 37, 263]  # 263: a prime past one 256-row tile


def _features(gen, rows, dim, dtype, device, shift=0.0):
    return (torch.randn(rows, dim, generator=gen, dtype=torch.float64) + shift).to(dtype=dtype, device=device)


@dataclass
class OpCase:
    """One op of the table.

    make(gen, n, dtype, device) -> the tensors the public function takes (its float inputs).
    public(*tensors, impl) -> what the user calls; returns a tensor or a tuple of tensors.
    raw(*tensors) -> the positional arguments of torch.ops.fastgan.<op> (for opcheck).
    differentiable: whether the op has a gradient (else its outputs never require grad).
    min_rows: the smallest n the op accepts.
    """

    op: str
    make: Callable
    public: Callable
    raw: Callable
    differentiable: bool
    min_rows: int = 1
    rtol32: float = 1e-4

    def __str__(self):
        return self.op


def _spd(gen, n, dtype, device):
    a = torch.randn(n, n + 3, generator=gen, dtype=torch.float64)
    return (a @ a.T / (n + 3) + 0.5 * torch.eye(n, dtype=torch.float64)).to(dtype=dtype, device=device)


def _ball_inputs(gen, n, dtype, device):
    centers = _features(gen, n, 5, dtype, device)
    query = _features(gen, n + 2, 5, dtype, device)
    radii = (torch.rand(n, generator=gen, dtype=torch.float64) * 3).to(device)
    return query, centers, radii


CASES = [
    OpCase(
        "pairwise_distances",
        lambda gen, n, dt, dev: (_features(gen, n, 6, dt, dev), _features(gen, n + 3, 6, dt, dev, 0.5)),
        lambda x, y, impl: ops.pairwise_distances(x, y, impl=impl),
        lambda x, y: (x, y, False, 1e-2),
        differentiable=True,
    ),
    OpCase(
        "knn",
        lambda gen, n, dt, dev: (_features(gen, n, 6, dt, dev), _features(gen, n + 4, 6, dt, dev, 0.5)),
        lambda q, r, impl: ops.knn(q, r, 3, impl=impl),
        lambda q, r: (q, r, 3, 8),
        differentiable=True,
    ),
    OpCase(
        "knn_self",
        lambda gen, n, dt, dev: (_features(gen, n + 3, 6, dt, dev),),
        lambda x, impl: ops.knn_radii(x, 3, impl=impl),
        lambda x: (x, 3, 8),
        differentiable=True,
    ),
    OpCase(
        "ball_counts",
        lambda gen, n, dt, dev: _ball_inputs(gen, n, dt, dev)[:2],
        lambda q, c, impl: ops.ball_counts(q, c, torch.linspace(0.5, 3.0, c.shape[0], dtype=torch.float64, device=c.device), impl=impl),
        lambda q, c: (c, q, torch.linspace(0.5, 3.0, c.shape[0], dtype=torch.float64, device=c.device) ** 2, None,
                      torch.linspace(0.5, 3.0, c.shape[0], dtype=torch.float64, device=c.device)),
        differentiable=False,
    ),
    OpCase(
        "kernel_sum",
        lambda gen, n, dt, dev: (_features(gen, n, 6, dt, dev), _features(gen, n + 2, 6, dt, dev, 0.3)),
        lambda x, y, impl: (ops.kernel_sum(x, y, impl=impl), ops.kernel_sum(x, impl=impl),
                            ops.kernel_sum(x, y, kernel="rbf", gamma=0.1, impl=impl)),
        lambda x, y: (x, y, "polynomial", 1 / 6, 1.0, 3, False),
        differentiable=False,
        rtol32=1e-5,
    ),
    OpCase(
        "sqrtm_newton_schulz",
        lambda gen, n, dt, dev: (_spd(gen, min(n, 40), dt, dev),),
        lambda a, impl: ops.sqrtm_newton_schulz(a, impl=impl)[0],
        lambda a: (a, 100, 1e-9 if a.dtype == torch.float64 else 1e-4),
        differentiable=True,
        rtol32=2e-3,
    ),
    OpCase(
        "gradient_penalty_norms",
        lambda gen, n, dt, dev: (_features(gen, n, 9, dt, dev),),
        lambda g, impl: ops.penalty_from_gradients(g, impl=impl),
        lambda g: (g, 10.0, 1.0, False),
        differentiable=True,
    ),
    OpCase(
        "gradient_penalty_interpolate",
        lambda gen, n, dt, dev: (_features(gen, n, 9, dt, dev), _features(gen, n, 9, dt, dev),
                                 torch.rand(n, generator=gen, dtype=torch.float64).to(dtype=dt, device=dev)),
        lambda r, f, a, impl: _interpolate(r, f, a, impl),
        lambda r, f, a: (r, f, a),
        differentiable=True,
    ),
    OpCase(
        "gradient_penalty_norms_backward",
        lambda gen, n, dt, dev: (_features(gen, n, 9, dt, dev),),
        lambda g, impl: _norms_backward(g, impl),
        lambda g: (torch.ones((), dtype=g.dtype, device=g.device), None, g, g.norm(dim=1), 10.0, 1.0, False),
        differentiable=False,
    ),
]


def _interpolate(real, fake, alpha, impl):
    # The internal ops take float16/bfloat16 as their public caller hands them over: in float32.
    real, fake, alpha = (promote_low_precision(t) for t in (real, fake, alpha))
    if impl == "reference":
        a = alpha[:, None]
        return a * real + (1 - a) * fake
    return torch.ops.fastgan.gradient_penalty_interpolate(real, fake, alpha)


def _norms_backward(grads, impl):
    grads = promote_low_precision(grads)
    norms = grads.norm(dim=1)
    if impl == "reference":
        return 10.0 / grads.shape[0] * 2 * (norms - 1.0)[:, None] * grads / norms[:, None]
    one = torch.ones((), dtype=grads.dtype, device=grads.device)
    return torch.ops.fastgan.gradient_penalty_norms_backward(one, None, grads, norms, 10.0, 1.0, False)


def _tensors(out):
    return [t for t in (out if isinstance(out, tuple) else (out,)) if isinstance(t, torch.Tensor)]


def _close(got, want, dtype, case):
    rtol = 1e-10 if dtype == torch.float64 else case.rtol32
    for g, w in zip(_tensors(got), _tensors(want), strict=True):
        assert g.shape == w.shape
        if g.is_floating_point():
            torch.testing.assert_close(g.double().cpu(), w.double().cpu(), rtol=rtol, atol=rtol)
        else:
            assert torch.equal(g.cpu(), w.cpu())


def test_every_registered_op_is_in_the_table():
    names = {case.op for case in CASES}
    assert names == set(_library.GRADIENTS) == set(_library.FAKES) == set(_library.AUTOGRAD)
    schema_ops = {n for n in dir(torch.ops.fastgan) if not n.startswith("_") and isinstance(getattr(torch.ops.fastgan, n), torch._ops.OpOverloadPacket)}
    assert schema_ops == names


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
def test_opcheck(case, dtype, device, gen):
    for n in (max(case.min_rows, 1), 37):
        tensors = case.make(gen, n, dtype, torch.device(device))
        torch.library.opcheck(getattr(torch.ops.fastgan, case.op).default, case.raw(*tensors))
        grads = [t.detach().requires_grad_(True) if t.is_floating_point() else t for t in tensors]
        torch.library.opcheck(getattr(torch.ops.fastgan, case.op).default, case.raw(*grads))


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
def test_compiled_matches_reference(case, n, dtype, device, gen):
    tensors = case.make(gen, n, dtype, torch.device(device))
    _close(case.public(*tensors, impl="compiled"), case.public(*tensors, impl="reference"), dtype, case)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_compile_fullgraph(case, device, gen):
    torch._dynamo.reset()
    tensors = case.make(gen, 37, torch.float32, torch.device(device))
    compiled = torch.compile(lambda *t: case.public(*t, impl="auto"), fullgraph=True, backend="aot_eager")
    _close(compiled(*tensors), case.public(*tensors, impl="compiled"), torch.float32, case)


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("requires_grad", [False, True], ids=["no-grad", "requires-grad"])
def test_inputs_that_require_grad(case, requires_grad, device, gen):
    tensors = case.make(gen, 7, torch.float64, torch.device(device))
    tensors = [t.detach().requires_grad_(requires_grad) for t in tensors]
    outputs = [t for t in _tensors(case.public(*tensors, impl="compiled")) if t.is_floating_point()]
    want_grad = requires_grad and case.differentiable
    assert all(out.requires_grad == want_grad for out in outputs)


@pytest.mark.parametrize("case", [c for c in CASES if c.differentiable], ids=str)
def test_gradcheck_float64(case, device, gen):
    tensors = [t.detach().requires_grad_(True) for t in case.make(gen, 7, torch.float64, torch.device(device))]

    def floats(*t):
        return tuple(o for o in _tensors(case.public(*t, impl="compiled")) if o.is_floating_point())

    assert torch.autograd.gradcheck(floats, tuple(tensors), eps=1e-6, atol=1e-5)


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("low", [torch.bfloat16, torch.float16], ids=["bf16", "f16"])
def test_low_precision_inputs_compute_in_float32(case, low, device, gen):
    tensors = case.make(gen, 37, torch.float32, torch.device(device))
    rounded = [t.to(low) for t in tensors]
    want = case.public(*[t.float() for t in rounded], impl="compiled")
    _close(case.public(*rounded, impl="compiled"), want, torch.float32, case)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_autocast_runs_in_float32(case, device, gen):
    device = torch.device(device)
    tensors = case.make(gen, 37, torch.float32, device)
    want = case.public(*tensors, impl="compiled")
    low = torch.bfloat16
    with torch.autocast(device.type, dtype=low):
        got = case.public(*tensors, impl="compiled")
        raw = getattr(torch.ops.fastgan, case.op)(*case.raw(*[t.to(low) for t in tensors]))
    _close(got, want, torch.float32, case)
    assert all(t.dtype != low for t in _tensors(raw))


def test_autocast_leaves_float64_alone(gen):
    x = _features(gen, 20, 4, torch.float64, "cpu")
    with torch.autocast("cpu", dtype=torch.bfloat16):
        d2, _ = torch.ops.fastgan.knn_self(x, 2, 8)
        distances = torch.ops.fastgan.pairwise_distances(x, x, False, 1e-6)
    assert distances.dtype == torch.float64
    torch.testing.assert_close(d2, ops.knn(x, None, 2, float64_squared=True, impl="reference")[0], rtol=1e-12, atol=0)


def test_registrations_exist_once_the_library_loads():
    """A fresh interpreter that loads the library through fastgan._ext alone has every fake kernel."""
    import subprocess
    import sys

    code = (
        "import torch, fastgan._ext as e; assert e.available();"
        "from torch._subclasses.fake_tensor import FakeTensorMode\n"
        "with FakeTensorMode():\n"
        "    x = torch.empty(5, 3)\n"
        "    d, i = torch.ops.fastgan.knn_self(x, 2, 8)\n"
        "    assert d.shape == (5, 2) and d.dtype == torch.float64\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda x: torch.ops.fastgan.knn(x, x[:, :2], 2, 8), "feature sizes differ"),
        (lambda x: torch.ops.fastgan.knn(x, x, 50, 8), "k=50"),
        (lambda x: torch.ops.fastgan.knn_self(x.double(), 1, -1), "extra"),
        (lambda x: torch.ops.fastgan.kernel_sum(x, x, "cosine", 1.0, 1.0, 3, False), "kernel"),
        (lambda x: torch.ops.fastgan.kernel_sum(x, x, "polynomial", 1.0, 1.0, 0, False), "degree"),
        (lambda x: torch.ops.fastgan.kernel_sum(x, x, "rbf", -1.0, 1.0, 3, False), "gamma"),
        (lambda x: torch.ops.fastgan.kernel_sum(x, x[:3], "rbf", 1.0, 1.0, 3, True), "exclude_diagonal"),
        (lambda x: torch.ops.fastgan.ball_counts(x, x, torch.ones(4, dtype=torch.float64), None, None), "x_threshold"),
        (lambda x: torch.ops.fastgan.pairwise_distances(x.half(), x.half(), False, 0.0), "float32 or float64"),
    ],
)
@pytest.mark.parametrize("fake", [False, True], ids=["kernel", "fake"])
def test_real_and_fake_kernels_reject_the_same_inputs(call, match, fake, gen):
    """The fake kernels validate like the real ones, so torch.compile fails as clearly as eager."""
    from torch._subclasses.fake_tensor import FakeTensorMode

    x = _features(gen, 10, 5, torch.float32, "cpu")
    if fake:
        with FakeTensorMode() as mode, pytest.raises(RuntimeError, match=match):
            call(mode.from_tensor(x))
    else:
        with pytest.raises(RuntimeError, match=match):
            call(x)


def test_kernel_sum_bad_arguments_are_clear_errors():
    x = torch.randn(5, 3)
    with pytest.raises(ValueError, match="kernel"):
        ops.kernel_sum(x, kernel="laplace")
    with pytest.raises(ValueError, match="gamma"):
        ops.kernel_sum(x, gamma=0.0)
    with pytest.raises(ValueError, match="degree"):
        ops.kernel_sum(x, degree=1.5)
    with pytest.raises(ValueError, match="feature sizes differ"):
        ops.kernel_sum(x, torch.randn(5, 4))
    with pytest.raises(ValueError, match="NaN"):
        ops.kernel_sum(torch.full((3, 3), float("nan")))
    with pytest.raises(TypeError, match="float32 or float64"):
        ops.kernel_sum(torch.ones(3, 3, dtype=torch.int64))


def test_kernel_sum_is_independent_of_the_thread_count(gen):
    x = _features(gen, 700, 16, torch.float32, "cpu")
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = ops.kernel_sum(x, impl="compiled")
        torch.set_num_threads(2)
        two = ops.kernel_sum(x, impl="compiled")
    finally:
        torch.set_num_threads(threads)
    assert float(one) == float(two)


def test_no_gradient_ops_say_so_when_asked(gen):
    x = _features(gen, 12, 4, torch.float64, "cpu").requires_grad_(True)
    total = ops.kernel_sum(x, impl="compiled")
    assert not total.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        torch.autograd.grad(total, x)
