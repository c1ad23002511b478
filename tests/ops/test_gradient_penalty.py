"""fastgan.ops.gradient_penalty / r1_penalty: fused kernels against the textbook autograd formulation."""
import numpy as np
import pytest
import torch
from torch import nn

from fastgan.ops import gradient_penalty, penalty_from_gradients, r1_penalty
from fastgan.ops.gradient_penalty import _reference, _reference_from_gradients, _reference_r1

# (batch, channels, height, width): 1, primes, nothing a multiple of a tile.
IMAGE_SHAPES = [(1, 3, 5, 5), (3, 1, 7, 4), (7, 3, 9, 11)]
VARIANTS = [(1.0, False), (0.0, False), (1.0, True), (0.5, True)]  # (center, one_sided)


def _conv_critic(channels, dtype, device, seed=0):
    torch.manual_seed(seed)
    critic = nn.Sequential(
        nn.Conv2d(channels, 4, 3, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(4, 5, 3, padding=1),
        nn.SiLU(),  # smooth, so the double backward has a non-zero second derivative
        nn.AdaptiveAvgPool2d(2),
        nn.Flatten(),
        nn.Linear(20, 1),
    )
    return critic.to(dtype=dtype, device=device)


def _batch(shape, dtype, device, gen):
    real = torch.randn(*shape, generator=gen, dtype=torch.float64).to(dtype=dtype, device=device)
    fake = torch.randn(*shape, generator=gen, dtype=torch.float64).to(dtype=dtype, device=device)
    alpha = torch.rand(shape[0], generator=gen, dtype=torch.float64).to(dtype=dtype, device=device)
    return real, fake, alpha


def _value_and_param_grads(fn, critic):
    value = fn()
    grads = torch.autograd.grad(value, list(critic.parameters()), materialize_grads=True)
    return value.detach(), grads


@pytest.mark.parametrize("shape", IMAGE_SHAPES)
@pytest.mark.parametrize("center,one_sided", VARIANTS)
def test_matches_textbook_in_float64(shape, center, one_sided, device, gen):
    real, fake, alpha = _batch(shape, torch.float64, device, gen)
    critic = _conv_critic(shape[1], torch.float64, device)
    got, got_grads = _value_and_param_grads(
        lambda: gradient_penalty(critic, real, fake, weight=10.0, center=center, alpha=alpha, one_sided=one_sided, impl="compiled"),
        critic,
    )
    want, want_grads = _value_and_param_grads(
        lambda: _reference(critic, real, fake, 10.0, center, alpha, one_sided=one_sided), critic
    )
    assert got.shape == () and got.dtype == torch.float64 and got.device == real.device
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-14)
    for g, w in zip(got_grads, want_grads):
        torch.testing.assert_close(g, w, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("shape", IMAGE_SHAPES)
def test_matches_textbook_in_float32(shape, device, gen):
    real, fake, alpha = _batch(shape, torch.float32, device, gen)
    critic = _conv_critic(shape[1], torch.float32, device)
    got, got_grads = _value_and_param_grads(lambda: gradient_penalty(critic, real, fake, alpha=alpha, impl="compiled"), critic)
    want, want_grads = _value_and_param_grads(lambda: _reference(critic, real, fake, 10.0, 1.0, alpha), critic)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
    for g, w in zip(got_grads, want_grads):
        torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-5)


def test_one_sided_ignores_norms_below_center(device):
    # D(x) = <w, x> has gradient w everywhere: ||w|| = 0.5 < 1 gives no one-sided penalty.
    w = torch.full((1, 4), 0.25, dtype=torch.float64, device=device)
    critic = lambda x: x @ w.t()  # noqa: E731
    real = torch.randn(5, 4, dtype=torch.float64, device=device)
    fake = torch.randn(5, 4, dtype=torch.float64, device=device)
    assert gradient_penalty(critic, real, fake, one_sided=True, impl="compiled").item() == 0.0
    two_sided = gradient_penalty(critic, real, fake, one_sided=False, impl="compiled").item()
    assert two_sided == pytest.approx(10.0 * 0.25, rel=1e-12)  # 10 * (0.5 - 1)^2


def test_norms_are_per_sample_not_batch_wide(device):
    # D(x) = |x|^2 / 2 has gradient x: the per-sample norms are the rows' norms.
    critic = lambda x: 0.5 * x.square().sum(dim=(1, 2, 3))  # noqa: E731
    real = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, device=device).reshape(3, 1, 1, 1) * torch.ones(
        3, 2, 2, 2, dtype=torch.float64, device=device
    )
    fake = torch.zeros_like(real)
    alpha = torch.tensor([1.0, 0.5, 0.25], dtype=torch.float64, device=device)
    # x_hat rows are 1, 1, 0.75 in every entry of 8: norms sqrt(8), sqrt(8), 0.75 sqrt(8).
    norms = torch.tensor([8**0.5, 8**0.5, 0.75 * 8**0.5], dtype=torch.float64)
    per_sample = float(10.0 * (norms - 1).square().mean())
    batch_wide = float(10.0 * (norms.square().sum().sqrt() - 1) ** 2)
    got = gradient_penalty(critic, real, fake, alpha=alpha, impl="compiled").item()
    assert got == pytest.approx(per_sample, rel=1e-12)
    assert abs(got - batch_wide) > 1.0


def test_default_alpha_is_uniform_per_sample(device):
    # real = 1, fake = 0 and D(x) = |x|^2 / 2: sample i's gradient norm is alpha_i * sqrt(D).
    critic = lambda x: 0.5 * x.square().flatten(1).sum(1)  # noqa: E731
    batch, dim = 6, 9
    real = torch.ones(batch, dim, dtype=torch.float64, device=device)
    fake = torch.zeros_like(real)
    got = gradient_penalty(critic, real, fake, generator=torch.Generator().manual_seed(7), impl="compiled")
    alpha = torch.rand(batch, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    assert len(set(alpha.tolist())) == batch
    want = 10.0 * (alpha * dim**0.5 - 1).square().mean()
    assert got.item() == pytest.approx(float(want), rel=1e-12)


@pytest.mark.parametrize("alpha", [0.0, 1.0, 0.3, [0.1, 0.9], np.array([[0.2], [0.7]])])
def test_alpha_forms(alpha, device, gen):
    real, fake, _ = _batch((2, 3), torch.float64, device, gen)
    critic = _mlp_critic(3, device)
    got = gradient_penalty(critic, real, fake, alpha=alpha, impl="compiled")
    a = torch.as_tensor(np.asarray(alpha, dtype=np.float64)).reshape(-1).expand(2).to(device)
    torch.testing.assert_close(got, _reference(critic, real, fake, 10.0, 1.0, a), rtol=1e-12, atol=1e-14)


def _mlp_critic(dim, device, seed=3):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(dim, 8), nn.Tanh(), nn.Linear(8, 1)).double().to(device)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", [(1, 1), (2, 3, 5), (13, 7, 3, 2), (5, 4099)])
def test_interpolation_kernel(shape, dtype, device, gen):
    real, fake, alpha = _batch(shape, dtype, device, gen)
    alpha[0] = 0.0  # exactly fake
    if shape[0] > 1:
        alpha[-1] = 1.0  # exactly real
    got = torch.ops.fastgan.gradient_penalty_interpolate(real, fake, alpha)
    a = alpha.reshape((-1,) + (1,) * (len(shape) - 1))
    torch.testing.assert_close(got, a * real + (1 - a) * fake, rtol=0, atol=1e-6 if dtype == torch.float32 else 1e-15)
    assert torch.equal(got[0], fake[0])
    if shape[0] > 1:
        assert torch.equal(got[-1], real[-1])


def test_interpolation_gradcheck(device, gen):
    real, fake, alpha = (t.requires_grad_() for t in _batch((3, 2, 5), torch.float64, device, gen))
    assert torch.autograd.gradcheck(torch.ops.fastgan.gradient_penalty_interpolate, (real, fake, alpha))


@pytest.mark.parametrize("center,one_sided", VARIANTS)
def test_penalty_op_gradcheck(center, one_sided, device, gen):
    grads = torch.randn(5, 7, generator=gen, dtype=torch.float64).to(device).requires_grad_()
    # Both outputs used, so the backward combines the penalty's and the norms' gradients.
    def fn(g):
        penalty, norms = torch.ops.fastgan.gradient_penalty_norms(g, 3.0, center, one_sided)
        return penalty, norms

    assert torch.autograd.gradcheck(fn, (grads,))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", [(1, 1), (3, 17), (31, 257), (2, 3, 5, 7)])
@pytest.mark.parametrize("center,one_sided", VARIANTS)
def test_penalty_from_gradients_matches_reference(shape, dtype, center, one_sided, device, gen):
    grads = (torch.randn(*shape, generator=gen, dtype=torch.float64) * 0.2).to(dtype=dtype, device=device)
    g1 = grads.clone().requires_grad_()
    g2 = grads.clone().requires_grad_()
    penalty, norms = penalty_from_gradients(g1, 2.5, center, one_sided=one_sided, impl="compiled")
    want_penalty, want_norms = _reference_from_gradients(g2.reshape(shape[0], -1), 2.5, center, one_sided)
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == torch.float32 else {"rtol": 1e-12, "atol": 1e-14}
    torch.testing.assert_close(penalty, want_penalty, **tol)
    torch.testing.assert_close(norms, want_norms, **tol)
    weights = torch.randn(shape[0], generator=gen, dtype=torch.float64).to(dtype=dtype, device=device)
    (penalty * 1.5 + (norms * weights).sum()).backward()
    (want_penalty * 1.5 + (want_norms * weights).sum()).backward()
    torch.testing.assert_close(g1.grad, g2.grad, **tol)


def test_zero_gradient_rows(device):
    # ||g|| = 0: the norm's subgradient is 0 (as in torch); zero-centred gives 0 penalty there.
    grads = torch.zeros(3, 4, dtype=torch.float64, device=device)
    grads[1] = 1.0
    for center in (1.0, 0.0):
        g1, g2 = grads.clone().requires_grad_(), grads.clone().requires_grad_()
        penalty, _ = penalty_from_gradients(g1, 1.0, center, impl="compiled")
        want, _ = _reference_from_gradients(g2, 1.0, center, False)
        penalty.backward()
        want.backward()
        torch.testing.assert_close(penalty, want)
        torch.testing.assert_close(g1.grad, g2.grad)
        assert bool(torch.isfinite(g1.grad).all())


@pytest.mark.parametrize("shape", [(1, 2, 3, 3), (5, 3, 4, 4)])
def test_r1_matches_textbook(shape, device, gen):
    real, _, _ = _batch(shape, torch.float64, device, gen)
    critic = _conv_critic(shape[1], torch.float64, device)
    got, got_grads = _value_and_param_grads(lambda: r1_penalty(critic, real, gamma=4.0, impl="compiled"), critic)
    want, want_grads = _value_and_param_grads(lambda: _reference_r1(critic, real, 4.0), critic)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-14)
    for g, w in zip(got_grads, want_grads):
        torch.testing.assert_close(g, w, rtol=1e-10, atol=1e-13)


def test_r1_by_hand(device):
    # D(x) = |x|^2 / 2 has gradient x: R1 = gamma / 2 * mean_i |x_i|^2.
    real = torch.tensor([[1.0, 2.0], [3.0, 0.0], [0.0, 0.0]], dtype=torch.float64, device=device)
    critic = lambda x: 0.5 * x.square().sum(1)  # noqa: E731
    got = r1_penalty(critic, real, gamma=2.0, impl="compiled")
    assert got.item() == pytest.approx((5.0 + 9.0 + 0.0) / 3.0, rel=1e-14)


def test_gradient_flows_into_fake_like_textbook(device, gen):
    real, fake, alpha = _batch((4, 6), torch.float64, device, gen)
    critic = _mlp_critic(6, device)
    f1, f2 = fake.clone().requires_grad_(), fake.clone().requires_grad_()
    a1, a2 = alpha.clone().requires_grad_(), alpha.clone().requires_grad_()
    (g1, ga1) = torch.autograd.grad(gradient_penalty(critic, real, f1, alpha=a1, impl="compiled"), (f1, a1))
    (g2, ga2) = torch.autograd.grad(_reference(critic, real, f2, 10.0, 1.0, a2), (f2, a2))
    torch.testing.assert_close(g1, g2, rtol=1e-10, atol=1e-13)
    torch.testing.assert_close(ga1, ga2, rtol=1e-10, atol=1e-13)


def test_channels_last_numpy_and_no_grad(gen):
    real, fake, alpha = _batch((3, 2, 5, 5), torch.float64, "cpu", gen)
    critic = _conv_critic(2, torch.float64, "cpu")
    want = _reference(critic, real, fake, 10.0, 1.0, alpha)
    got = gradient_penalty(critic, real.contiguous(memory_format=torch.channels_last), fake.numpy(), alpha=alpha)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-14)
    with torch.no_grad():  # logging the penalty in an evaluation loop still works
        torch.testing.assert_close(gradient_penalty(critic, real, fake, alpha=alpha), want, rtol=1e-12, atol=1e-14)


def test_reference_impl_is_the_textbook(gen):
    real, fake, alpha = _batch((3, 4), torch.float64, "cpu", gen)
    critic = _mlp_critic(4, "cpu")
    got = gradient_penalty(critic, real, fake, alpha=alpha, impl="reference")
    x = (alpha[:, None] * real + (1 - alpha[:, None]) * fake).requires_grad_()
    (g,) = torch.autograd.grad(critic(x).sum(), x)
    torch.testing.assert_close(got, 10.0 * (g.norm(dim=1) - 1).square().mean())


def test_opcheck_all_ops(gen):
    real, fake, alpha = (t.requires_grad_() for t in _batch((3, 4, 2), torch.float64, "cpu", gen))
    torch.library.opcheck(torch.ops.fastgan.gradient_penalty_interpolate.default, (real, fake, alpha))
    grads = torch.randn(4, 6, generator=gen, dtype=torch.float64, requires_grad=True)
    torch.library.opcheck(torch.ops.fastgan.gradient_penalty_norms.default, (grads, 10.0, 1.0, False))
    norms = grads.detach().norm(dim=1)
    torch.library.opcheck(
        torch.ops.fastgan.gradient_penalty_norms_backward.default,
        (torch.tensor(1.0, dtype=torch.float64), None, grads.detach(), norms, 10.0, 1.0, True),
    )


def test_torch_compile(gen):
    grads = torch.randn(5, 8, generator=gen)
    compiled = torch.compile(lambda g: penalty_from_gradients(g, 10.0, 1.0)[0], fullgraph=True, backend="eager")
    torch.testing.assert_close(compiled(grads), penalty_from_gradients(grads, 10.0, 1.0)[0])


def _ok_critic(x):
    return x.flatten(1).sum(1)


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"fake": torch.zeros(3, 5)}, ValueError, "same shape"),
        ({"fake": torch.zeros(3, 4, dtype=torch.float64)}, TypeError, "same dtype"),
        ({"real": torch.zeros(3, 4, dtype=torch.int64)}, TypeError, "float32 or float64"),
        ({"real": torch.tensor([[0.0, 1, 2, float("nan")]] * 3)}, ValueError, "NaN or Inf"),
        ({"real": torch.zeros(0, 4), "fake": torch.zeros(0, 4)}, ValueError, "at least one sample"),
        ({"alpha": 1.5}, ValueError, r"alpha must lie in \[0, 1\]"),
        ({"alpha": torch.tensor([0.1, 0.2])}, ValueError, "one value per sample"),
        ({"center": -1.0}, ValueError, "center must be"),
        ({"weight": float("nan")}, ValueError, "weight must be finite"),
        ({"critic": lambda x: x.sum()}, ValueError, "one score per sample"),
        ({"critic": lambda x: x[:, :2]}, ValueError, "one score per sample"),
        ({"critic": lambda x: torch.zeros(x.shape[0])}, ValueError, "does not depend on its input"),
        ({"critic": lambda x: [1.0]}, TypeError, "must return a tensor"),
        ({"real": "images"}, TypeError, "torch tensor or a NumPy array"),
    ],
)
def test_bad_input_is_a_clear_error(kwargs, error, match):
    args = {"critic": _ok_critic, "real": torch.zeros(3, 4), "fake": torch.zeros(3, 4)}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        gradient_penalty(args.pop("critic"), args.pop("real"), args.pop("fake"), **args)


def test_r1_bad_input():
    with pytest.raises(ValueError, match="one score per sample"):
        r1_penalty(lambda x: x.sum(), torch.zeros(3, 4))
    with pytest.raises(ValueError, match="gamma must be finite"):
        r1_penalty(_ok_critic, torch.zeros(3, 4), gamma=float("inf"))


def test_kernels_check_their_own_arguments():
    with pytest.raises(RuntimeError, match="same shape"):
        torch.ops.fastgan.gradient_penalty_interpolate(torch.zeros(2, 3), torch.zeros(2, 4), torch.zeros(2))
    with pytest.raises(RuntimeError, match=r"alpha must be \[batch\]"):
        torch.ops.fastgan.gradient_penalty_interpolate(torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(3))
    with pytest.raises(RuntimeError, match="at least one sample"):
        torch.ops.fastgan.gradient_penalty_norms(torch.zeros(0, 3), 1.0, 1.0, False)
    with pytest.raises(RuntimeError, match="center must be"):
        torch.ops.fastgan.gradient_penalty_norms(torch.zeros(2, 3), 1.0, -1.0, False)
    with pytest.raises(RuntimeError, match="float32 or float64"):
        torch.ops.fastgan.gradient_penalty_norms(torch.zeros(2, 3, dtype=torch.int32), 1.0, 1.0, False)


def test_check_inputs_false_skips_only_the_scans(gen):
    real, fake, alpha = _batch((3, 4), torch.float64, "cpu", gen)
    critic = _mlp_critic(4, "cpu")
    checked = gradient_penalty(critic, real, fake, alpha=alpha)
    torch.testing.assert_close(gradient_penalty(critic, real, fake, alpha=alpha, check_inputs=False), checked)
    real[0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN or Inf"):
        gradient_penalty(critic, real, fake, alpha=alpha)
    # Unchecked NaN input propagates to a NaN penalty, never to a plausible number.
    assert torch.isnan(gradient_penalty(critic, real, fake, alpha=alpha, check_inputs=False))
    with pytest.raises(ValueError, match="same shape"):  # shape checks stay on
        gradient_penalty(critic, real, fake[:2], check_inputs=False)


@pytest.mark.parametrize("penalty", ["gradient_penalty", "r1_penalty"])
def test_inner_gradient_builds_no_weight_gradients(penalty, gen):
    # A parameter's tensor hook fires whenever its gradient is computed; the inner
    # autograd.grad asks for the input's gradient only, so no hook fires until the
    # outer backward (once per parameter).
    real, fake, alpha = _batch((3, 2, 5, 5), torch.float64, "cpu", gen)
    critic = _conv_critic(2, torch.float64, "cpu")
    fired = []
    for name, p in critic.named_parameters():
        p.register_hook(lambda g, name=name: fired.append(name))
    if penalty == "gradient_penalty":
        value = gradient_penalty(critic, real, fake, alpha=alpha, impl="compiled")
    else:
        value = r1_penalty(critic, real, impl="compiled")
    assert fired == []
    value.backward()
    weights = [name for name, _ in critic.named_parameters() if name != "6.bias"]  # D's last bias has no input gradient
    assert sorted(fired) == sorted(weights)
