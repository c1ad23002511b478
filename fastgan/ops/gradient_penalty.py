"""Gradient penalties on a critic: WGAN-GP (Gulrajani et al., 2017) and R1 (Mescheder et al., 2018).

WGAN-GP: ``weight * E_i[(||grad_x D(x_hat_i)||_2 - center)^2]`` at the points
``x_hat_i = alpha_i * real_i + (1 - alpha_i) * fake_i``, one alpha ~ U(0, 1) per sample.
R1: ``gamma / 2 * E_i[||grad_x D(real_i)||_2^2]``.

Norms are per sample (over all of a sample's dimensions), never over the whole batch.

Where the time goes. The penalty's own arithmetic (interpolation, norms, the
penalty and its backward) is a few memory passes over a [B, C, H, W] tensor, and
the compiled kernels here do each in one pass. The cost that dominates is the
double backward through the critic: the inner ``torch.autograd.grad(...,
create_graph=True)`` and then the outer backward through that graph. So:

- the inner gradient asks for the input's gradient only (``inputs=[x_hat]``), so no
  weight gradients are built or differentiated at that stage;
- lazy regularisation (``fastgan.losses.LazyRegularizer``: the penalty every k
  critic steps, scaled by k, as in StyleGAN2) divides that cost by k;
- fusing the elementwise chain saves little next to those; the benchmark
  (benchmarks/test_bench_gradient_penalty.py) measures all three.

Measured on a shared 2-core CPU, one thread, DCGAN critic for 32x32, batch 64
(paired, interleaved rounds): a critic step with the fused penalty runs at 0.99-1.02x
the textbook's speed (the penalty's kernels are ~0.6 ms of a ~700 ms step; alone they
are ~1.5x the textbook chain); the inner gradient with weight gradients costs ~7-11%
more; lazy regularisation every 4 / 8 steps gives 1.6-1.7x / 1.9x; no penalty 2.1-2.4x.

The compiled ops are registered with torch.library (schemas in csrc/ops.cpp; autograd
formulas in fastgan/ops/_library.py), so the only double backward left is through the critic.
"""
import torch

from ._dispatch import use_compiled
from ._inputs import LOW_PRECISION_DTYPES, as_tensor, check_finite, promote_low_precision

FLOAT_DTYPES = (torch.float32, torch.float64)


def gradient_penalty(
    critic,
    real,
    fake,
    weight=10.0,
    center=1.0,
    alpha=None,
    *,
    one_sided=False,
    generator=None,
    check_inputs=True,
    impl="auto",
):
    """WGAN-GP's gradient penalty ``weight * E[(||grad D(x_hat)||_2 - center)^2]``.

    Args:
        critic: callable mapping a [B, ...] batch to per-sample scores [B] or [B, 1].
            It must not mix samples (no batch norm in training mode), or the
            per-sample gradients are not what the penalty assumes.
        real: [B, ...] floating-point tensor (or NumPy array) of real samples. float16/
            bfloat16 samples reach the critic as they are; the penalty runs in float32.
        fake: generated samples, same shape, dtype and device as `real`. Detach it in
            a critic step; if it requires grad, the penalty's gradient flows into it.
        weight: lambda, the penalty's weight (10 in the WGAN-GP paper).
        center: the target norm c; 1 for WGAN-GP, 0 for the zero-centred variant.
        alpha: per-sample interpolation weights in [0, 1]: a float, or a tensor with
            B values ([B] or [B, 1, 1, 1]); drawn from U(0, 1) per sample when None.
        one_sided: penalise only norms above `center`: ``E[max(0, ||g|| - c)^2]``.
        generator: torch.Generator for drawing alpha (a CPU generator works for any device).
        check_inputs: scan real, fake and a given alpha for NaN/Inf and range errors.
            On a GPU each scan waits for the device; a hot training loop that
            validated its data elsewhere may pass False.
        impl: "auto" (compiled kernels when built), "compiled" or "reference".

    Returns:
        A 0-dim tensor of real's dtype (float32 for float16/bfloat16) and device, differentiable in the critic's
        parameters (and in real/fake where they require grad).

    Raises:
        ValueError / TypeError on mismatched shapes, dtypes or devices, NaN/Inf
        samples, alpha outside [0, 1], negative center, critic outputs that are
        not one score per sample or do not depend on the input.
    """
    real, fake = _check_pair(real, fake, check_inputs)
    center = _check_center(center)
    weight = _check_weight(weight, "weight")
    sample_dtype = real.dtype
    real, fake = promote_low_precision(real), promote_low_precision(fake)
    alpha = _alpha(alpha, real, generator, check_inputs)
    if not use_compiled(impl, real.device):
        return _reference(critic, real, fake, weight, center, alpha, one_sided=one_sided, sample_dtype=sample_dtype)
    with torch.enable_grad():
        # The critic sees the samples' own dtype; the penalty is computed in float32 or above.
        x_hat = torch.ops.fastgan.gradient_penalty_interpolate(real, fake, alpha).to(sample_dtype)
        if not x_hat.requires_grad:
            x_hat.requires_grad_(True)
        grads = promote_low_precision(_input_gradient(critic, x_hat))
        penalty, _ = torch.ops.fastgan.gradient_penalty_norms(
            grads.reshape(grads.shape[0], -1), weight, center, bool(one_sided)
        )
    return penalty


def r1_penalty(critic, real, gamma=10.0, *, check_inputs=True, impl="auto"):
    """StyleGAN's R1 penalty ``gamma / 2 * E[||grad D(real)||_2^2]`` on real samples.

    Args:
        critic: callable mapping [B, ...] to per-sample scores [B] or [B, 1].
        real: [B, ...] floating-point tensor (or NumPy array). If it requires grad the
            gradient is taken at it as is; otherwise at a detached copy.
        gamma: the R1 weight (StyleGAN2 uses dataset-dependent values, e.g. 10).
        check_inputs: scan real for NaN/Inf (see `gradient_penalty`).
        impl: "auto", "compiled" or "reference".

    Returns:
        A 0-dim tensor, differentiable in the critic's parameters.
    """
    real = _check_samples(as_tensor(real, "real"), "real", check_inputs)
    gamma = _check_weight(gamma, "gamma")
    if not use_compiled(impl, real.device):
        return _reference_r1(critic, real, gamma)
    with torch.enable_grad():
        x = real if real.requires_grad else real.detach().requires_grad_(True)
        grads = promote_low_precision(_input_gradient(critic, x))
        penalty, _ = torch.ops.fastgan.gradient_penalty_norms(grads.reshape(grads.shape[0], -1), gamma / 2.0, 0.0, False)
    return penalty


def penalty_from_gradients(grads, weight=10.0, center=1.0, *, one_sided=False, impl="auto"):
    """``weight * E_i[(||grads_i||_2 - center)^2]`` and the per-sample norms.

    The building block of both penalties, for users who already hold the
    critic's input gradients (e.g. from a combined forward pass).

    Args:
        grads: [B, ...] floating-point gradients, one row per sample (float16/bfloat16
            are computed in float32).
        weight, center, one_sided: as in `gradient_penalty`.
        impl: "auto", "compiled" or "reference".

    Returns:
        (penalty: 0-dim tensor, norms: [B] tensor), both differentiable in `grads`
        (first order: the backward is a kernel of its own, not differentiable again).
    """
    grads = promote_low_precision(_check_samples(as_tensor(grads, "grads"), "grads"))
    center = _check_center(center)
    weight = _check_weight(weight, "weight")
    flat = grads.reshape(grads.shape[0], -1)
    if not use_compiled(impl, grads.device):
        return _reference_from_gradients(flat, weight, center, one_sided)
    return torch.ops.fastgan.gradient_penalty_norms(flat, weight, center, bool(one_sided))


def _reference(critic, real, fake, weight=10.0, center=1.0, alpha=None, *, one_sided=False, sample_dtype=None):
    """The textbook formulation: autograd.grad(create_graph=True) and torch's norm.

    `alpha` is a [B] tensor (drawn from U(0, 1) when None).
    """
    if alpha is None:
        alpha = torch.rand(real.shape[0], dtype=real.dtype, device=real.device)
    with torch.enable_grad():
        a = alpha.reshape((-1,) + (1,) * (real.dim() - 1))
        x_hat = (a * real + (1 - a) * fake).to(sample_dtype or real.dtype)
        if not x_hat.requires_grad:
            x_hat.requires_grad_(True)
        out = critic(x_hat)
        (grads,) = torch.autograd.grad(out, x_hat, grad_outputs=torch.ones_like(out), create_graph=True)
        grads = promote_low_precision(grads)
        penalty, _ = _reference_from_gradients(grads.reshape(grads.shape[0], -1), weight, center, one_sided)
    return penalty


def _reference_r1(critic, real, gamma=10.0):
    """Textbook R1: gamma / 2 * mean over samples of the squared input-gradient norm."""
    with torch.enable_grad():
        x = real if real.requires_grad else real.detach().requires_grad_(True)
        out = critic(x)
        (grads,) = torch.autograd.grad(out, x, grad_outputs=torch.ones_like(out), create_graph=True)
        return gamma / 2.0 * grads.reshape(grads.shape[0], -1).square().sum(1).mean()


def _reference_from_gradients(flat, weight, center, one_sided):
    norms = torch.linalg.vector_norm(flat, ord=2, dim=1)
    gap = norms - center
    if one_sided:
        gap = gap.clamp_min(0)
    return weight * gap.square().mean(), norms


def _input_gradient(critic, x):
    """grad_x sum(critic(x)) with create_graph, asking autograd for x's gradient only.

    With inputs=[x] the engine skips every weight-gradient branch of the critic's
    backward (e.g. convolution backward computes grad_input only).
    """
    out = critic(x)
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"critic must return a tensor of scores, got {type(out).__name__}")
    if out.numel() != x.shape[0] or (out.dim() > 0 and out.shape[0] != x.shape[0]):
        raise ValueError(
            f"critic must return one score per sample ([{x.shape[0]}] or [{x.shape[0]}, 1]), got shape {tuple(out.shape)}"
        )
    if not out.requires_grad:
        raise ValueError("the critic's output does not depend on its input; the penalty needs a differentiable critic")
    (grads,) = torch.autograd.grad(out, inputs=[x], grad_outputs=torch.ones_like(out), create_graph=True, allow_unused=True)
    if grads is None:
        raise ValueError("the critic's output does not depend on its input; the penalty needs a differentiable critic")
    return grads


def _check_samples(t, name, scan=True):
    if t.dtype not in FLOAT_DTYPES + LOW_PRECISION_DTYPES:
        raise TypeError(
            f"{name} must be float32 or float64 (float16/bfloat16 are computed in float32), got {t.dtype}; "
            f"cast it first, e.g. {name}.float()"
        )
    if t.dim() < 1 or t.shape[0] == 0:
        raise ValueError(f"{name} must be a batch [B, ...] with at least one sample, got shape {tuple(t.shape)}")
    if scan:
        check_finite(t.detach(), name)
    return t


def _check_pair(real, fake, scan=True):
    real = _check_samples(as_tensor(real, "real"), "real", scan)
    fake = _check_samples(as_tensor(fake, "fake"), "fake", scan)
    if real.shape != fake.shape:
        raise ValueError(f"real and fake must have the same shape, got {tuple(real.shape)} and {tuple(fake.shape)}")
    if real.dtype != fake.dtype:
        raise TypeError(f"real is {real.dtype} but fake is {fake.dtype}; cast both to the same dtype")
    if real.device != fake.device:
        raise ValueError(f"real is on {real.device} but fake is on {fake.device}; move both to the same device")
    return real, fake


def _check_center(center):
    center = float(center)
    if not (center >= 0.0 and center != float("inf")):
        raise ValueError(f"center must be a finite value >= 0 (1 for WGAN-GP, 0 for zero-centred), got {center}")
    return center


def _check_weight(value, name):
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def _alpha(alpha, real, generator, scan=True):
    """Per-sample interpolation weights as a [B] tensor of real's dtype and device."""
    batch = real.shape[0]
    if alpha is None:
        if generator is not None and generator.device != real.device:
            drawn = torch.rand(batch, generator=generator, dtype=real.dtype, device=generator.device)
            return drawn.to(real.device)
        return torch.rand(batch, generator=generator, dtype=real.dtype, device=real.device)
    alpha = torch.as_tensor(alpha, dtype=real.dtype, device=real.device) if not isinstance(alpha, torch.Tensor) else alpha
    if alpha.numel() == 1:
        alpha = alpha.reshape(1).expand(batch)
    elif alpha.numel() != batch or (alpha.dim() > 0 and alpha.shape[0] != batch):
        raise ValueError(f"alpha must hold one value per sample ([{batch}] or [{batch}, 1, ...]), got shape {tuple(alpha.shape)}")
    alpha = alpha.reshape(batch).to(dtype=real.dtype, device=real.device)
    if scan and not torch.compiler.is_compiling() and not bool(((alpha >= 0) & (alpha <= 1)).all()):
        raise ValueError("alpha must lie in [0, 1] (it interpolates between real and fake samples)")
    return alpha
