"""fastgan.ops.pairwise_distances: compiled kernels against the plain-PyTorch reference."""
import numpy as np
import pytest
import torch

from fastgan.ops import pairwise_distances
from fastgan.ops.pairwise_distances import REFINE_BELOW, _reference

# Awkward sizes: 1, primes, and sizes just past the CPU tile (128 rows x 512 columns).
SHAPES = [(1, 1, 1), (1, 7, 3), (7, 1, 3), (13, 17, 5), (131, 257, 67), (129, 513, 2), (257, 31, 1031)]


def _tolerance(dtype):
    return {"rtol": 2e-5, "atol": 1e-5} if dtype == torch.float32 else {"rtol": 1e-10, "atol": 1e-10}


@pytest.mark.parametrize("n,m,d", SHAPES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("squared", [False, True])
def test_compiled_matches_reference(n, m, d, dtype, squared, device, gen):
    x = torch.randn(n, d, generator=gen, dtype=dtype).to(device)
    y = torch.randn(m, d, generator=gen, dtype=dtype).to(device)
    got = pairwise_distances(x, y, squared=squared, impl="compiled")
    want = _reference(x, y, squared=squared)
    assert got.shape == (n, m) and got.dtype == dtype and got.device == x.device
    torch.testing.assert_close(got, want, **_tolerance(dtype))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_large_offset_does_not_cancel(dtype, device, gen):
    # |x|^2 ~ 64 * 1e8 while d^2 ~ 128: the plain GEMM form loses every digit here.
    offset = 1e4
    x = (torch.randn(200, 64, generator=gen, dtype=torch.float64) + offset).to(dtype).to(device)
    y = (torch.randn(300, 64, generator=gen, dtype=torch.float64) + offset).to(dtype).to(device)
    got = pairwise_distances(x, y, impl="compiled").double()
    exact = _reference(x.double(), y.double())
    assert bool((got >= 0).all())
    rel = float(((got - exact).abs() / exact).max())
    assert rel < (1e-4 if dtype == torch.float32 else 1e-10), rel


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("squared", [False, True])
def test_identical_rows_are_exactly_zero(dtype, squared, device, gen):
    x = (torch.randn(150, 33, generator=gen, dtype=dtype) * 50 + 1e3).to(device)
    y = torch.cat([x[::3], torch.randn(7, 33, generator=gen, dtype=dtype).to(device)])
    d = pairwise_distances(x, y, squared=squared, impl="compiled")
    rows = torch.arange(0, 150, 3, device=device)
    assert bool((d[rows, torch.arange(50, device=device)] == 0).all())
    assert bool((pairwise_distances(x, x, squared=squared).diagonal() == 0).all())
    assert bool((d >= 0).all())


def test_near_duplicates_keep_their_small_distance(device):
    # Distances 1e-3 between points of norm ~1e2: inside the refinement band.
    base = torch.full((4, 10), 100.0, dtype=torch.float64, device=device)
    shifted = base.clone()
    shifted[:, 0] += torch.tensor([1e-3, 2e-3, 3e-3, 4e-3], dtype=torch.float64, device=device)
    d = pairwise_distances(base.float(), shifted.float(), impl="compiled")
    want = _reference(base.float().double(), shifted.float().double())
    torch.testing.assert_close(d.double(), want, rtol=1e-6, atol=0)


def test_independent_of_thread_count(gen):
    x = torch.randn(300, 40, generator=gen)
    y = torch.randn(700, 40, generator=gen)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        single = pairwise_distances(x, y)
    finally:
        torch.set_num_threads(threads)
    # Tiles differ with the thread count, but every entry is computed the same way.
    torch.testing.assert_close(pairwise_distances(x, y), single, rtol=1e-6, atol=1e-6)


def test_numpy_input_and_non_contiguous(gen):
    x = torch.randn(40, 9, generator=gen, dtype=torch.float64)
    y = torch.randn(9, 25, generator=gen, dtype=torch.float64).t()  # non-contiguous
    got = pairwise_distances(x.numpy(), y)
    torch.testing.assert_close(got, _reference(x, y.contiguous()), rtol=1e-10, atol=1e-10)


def test_empty_sets(device):
    x = torch.zeros(0, 4, device=device)
    y = torch.randn(5, 4, device=device)
    assert pairwise_distances(x, y).shape == (0, 5)
    assert pairwise_distances(y, x).shape == (5, 0)


@pytest.mark.parametrize("squared", [False, True])
def test_gradcheck(squared, device, gen):
    x = torch.randn(6, 4, generator=gen, dtype=torch.float64).to(device).requires_grad_()
    y = torch.randn(5, 4, generator=gen, dtype=torch.float64).to(device).requires_grad_()
    assert torch.autograd.gradcheck(lambda a, b: pairwise_distances(a, b, squared=squared, impl="compiled"), (x, y))


def test_gradient_matches_reference_autograd(gen):
    x = torch.randn(9, 5, generator=gen, dtype=torch.float64, requires_grad=True)
    y = torch.randn(7, 5, generator=gen, dtype=torch.float64, requires_grad=True)
    weights = torch.randn(9, 7, generator=gen, dtype=torch.float64)
    grads = torch.autograd.grad((pairwise_distances(x, y) * weights).sum(), (x, y))
    want = torch.autograd.grad((torch.cdist(x, y) * weights).sum(), (x, y))
    for got, expected in zip(grads, want):
        torch.testing.assert_close(got, expected)


def test_opcheck_schema_fake_and_autograd(gen):
    x = torch.randn(5, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    y = torch.randn(4, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    torch.library.opcheck(torch.ops.fastgan.pairwise_distances.default, (x, y, False, REFINE_BELOW[x.dtype]))


def test_torch_compile(gen):
    x = torch.randn(11, 6, generator=gen)
    y = torch.randn(13, 6, generator=gen)
    compiled = torch.compile(lambda a, b: pairwise_distances(a, b).sum(1), fullgraph=True, backend="eager")
    torch.testing.assert_close(compiled(x, y), pairwise_distances(x, y).sum(1))


@pytest.mark.parametrize(
    "x,y,error,match",
    [
        (torch.zeros(3), torch.zeros(3, 1), ValueError, "2-D feature matrix"),
        (torch.zeros(2, 3, 4), torch.zeros(3, 4), ValueError, "2-D feature matrix"),
        (torch.zeros(3, 4), torch.zeros(3, 5), ValueError, "feature sizes differ"),
        (torch.zeros(3, 4, dtype=torch.int64), torch.zeros(3, 4, dtype=torch.int64), TypeError, "float32 or float64"),
        (torch.zeros(3, 4), torch.zeros(3, 4, dtype=torch.float64), TypeError, "same dtype"),
        (torch.tensor([[0.0, float("nan")]]), torch.zeros(1, 2), ValueError, "NaN or Inf .*row 0"),
        (torch.zeros(2, 2), torch.tensor([[0.0, 0.0], [float("inf"), 1.0]]), ValueError, "y contains NaN or Inf .*row 1"),
        ("not an array", torch.zeros(2, 2), TypeError, "torch tensor or a NumPy array"),
    ],
)
def test_bad_input_is_a_clear_error(x, y, error, match):
    with pytest.raises(error, match=match):
        pairwise_distances(x, y)


def test_kernel_checks_its_own_arguments():
    # Direct calls to the registered op bypass the Python checks; the C++ ones still hold.
    with pytest.raises(RuntimeError, match="feature sizes differ"):
        torch.ops.fastgan.pairwise_distances(torch.zeros(2, 3), torch.zeros(2, 4), False, 0.01)
    with pytest.raises(RuntimeError, match="float32 or float64"):
        torch.ops.fastgan.pairwise_distances(torch.zeros(2, 3, dtype=torch.int32), torch.zeros(2, 3, dtype=torch.int32), False, 0.01)


def test_reference_is_direct_float64():
    x = np.array([[3.0, 4.0], [1.0, 1.0]], dtype=np.float32)
    d = _reference(torch.from_numpy(x), torch.zeros(1, 2))
    torch.testing.assert_close(d, torch.tensor([[5.0], [2.0**0.5]]))
