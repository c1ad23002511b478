"""``torchmetrics.image.perceptual_path_length``: PerceptualPathLength, as torchmetrics computes it.

torchmetrics' estimator, step by step: two latent batches from ``generator.sample(num_samples)``
(so the same torch seed gives the same latents), the second moved a step `epsilon` towards the
first's partner by "lerp", "slerp_any" or "slerp_unit", images in [0, 255] mapped to [-1, 1],
LPIPS distances divided by epsilon², the distances outside the `lower_discard` /
`upper_discard` quantiles (torch.quantile, interpolation "lower") dropped, and the mean and the
(unbiased) std of the rest. The LPIPS networks are fastgan's (``fastgan.networks.LPIPS``) with
torchmetrics' resize (area when shrinking both sides, bilinear otherwise).
"""
import torch
from torch import nn

from ....networks.lpips import LPIPS
from ..._ppl import INTERPOLATIONS as _INTERPOLATIONS
from ..._ppl import interpolate as _interpolate
from ..._ppl import resize_for_lpips as resize_like_torchmetrics
from ..._ppl import step_distances
from ..metric import MetricBase

__all__ = ["PerceptualPathLength", "perceptual_path_length"]


class PerceptualPathLength(MetricBase):
    """Drop-in for ``torchmetrics.image.perceptual_path_length.PerceptualPathLength``.

    Args:
        num_samples, conditional, batch_size, interpolation_method, epsilon, resize,
        lower_discard, upper_discard: as torchmetrics has them.
        sim_net: "alex", "vgg" (default) or an nn.Module called as ``sim_net(a, b)`` on images
            in [-1, 1] ("squeeze" is not available in fastgan).

    ``update(generator)`` takes a module with ``sample(n) -> [n, z]`` and ``forward(z)`` (or
    ``forward(z, labels)`` when conditional, with ``num_classes``) returning images in [0, 255];
    ``compute()`` returns (mean, std, kept distances) as tensors.
    """

    is_differentiable = False
    higher_is_better = True
    full_state_update = True

    def __init__(self, num_samples=10_000, conditional=False, batch_size=128, interpolation_method="lerp",
                 epsilon=1e-4, resize=64, lower_discard=0.01, upper_discard=0.99, sim_net="vgg", **kwargs):
        super().__init__(**kwargs)
        _check_arguments(num_samples, conditional, batch_size, interpolation_method, epsilon, resize, lower_discard,
                         upper_discard)
        self.num_samples, self.conditional, self.batch_size = num_samples, conditional, batch_size
        self.interpolation_method, self.epsilon, self.resize = interpolation_method, epsilon, resize
        self.lower_discard, self.upper_discard = lower_discard, upper_discard
        self.net = _similarity_net(sim_net, resize)
        self.generator = None

    def update(self, generator):
        """Keep the generator to measure (checked as torchmetrics checks it)."""
        _check_generator(generator, self.conditional)
        self.generator = generator

    def compute(self):
        """(mean, std, distances) of the generator given to `update`."""
        if self.generator is None:
            raise RuntimeError("PerceptualPathLength.compute() needs a generator: call update(generator) first")
        return perceptual_path_length(self.generator, self.num_samples, self.conditional, self.batch_size,
                                      self.interpolation_method, self.epsilon, self.resize, self.lower_discard,
                                      self.upper_discard, self.net, device=self.device)


def perceptual_path_length(generator, num_samples=10_000, conditional=False, batch_size=64, interpolation_method="lerp",
                           epsilon=1e-4, resize=64, lower_discard=0.01, upper_discard=0.99, sim_net="vgg",
                           device="cpu"):
    """``torchmetrics.functional.image.perceptual_path_length``: (mean, std, kept distances)."""
    _check_arguments(num_samples, conditional, batch_size, interpolation_method, epsilon, resize, lower_discard,
                     upper_discard)
    _check_generator(generator, conditional)
    generator = generator.to(device)
    first = generator.sample(num_samples).to(device)
    second = _interpolate(first, generator.sample(num_samples).to(device), epsilon, interpolation_method)
    labels = torch.randint(0, generator.num_classes, (num_samples,)).to(device) if conditional else None
    net = _similarity_net(sim_net, resize).to(device)

    def distance(a, b):  # torchmetrics' generators return [0, 255]; its similarity nets take [-1, 1]
        return net(2 * (a / 255) - 1, 2 * (b / 255) - 1)

    distances = step_distances(generator, first, second, labels, batch_size, distance, epsilon, device)
    with torch.inference_mode():
        low = torch.quantile(distances, lower_discard, interpolation="lower") if lower_discard is not None else 0.0
        high = (torch.quantile(distances, upper_discard, interpolation="lower") if upper_discard is not None
                else distances.max())
        kept = distances[(distances >= low) & (distances <= high)]
        return kept.mean(), kept.std(), kept


class _ResizedLPIPS(nn.Module):
    """fastgan's LPIPS behind torchmetrics' resize of both inputs to `size` x `size`."""

    def __init__(self, net, size):
        super().__init__()
        self.lpips, self.size = LPIPS(net), size

    def forward(self, a, b):
        if self.size is not None:
            a, b = resize_like_torchmetrics(a, self.size), resize_like_torchmetrics(b, self.size)
        return self.lpips(a, b).reshape(-1, 1, 1, 1)


def _similarity_net(sim_net, resize):
    if isinstance(sim_net, nn.Module):
        return sim_net
    if sim_net in ("alex", "vgg"):
        return _ResizedLPIPS(sim_net, resize)
    raise ValueError(f"sim_net must be a nn.Module or one of 'alex', 'vgg' (fastgan has no 'squeeze'), got {sim_net!r}")


def _check_arguments(num_samples, conditional, batch_size, interpolation_method, epsilon, resize, lower_discard,
                     upper_discard):
    if not (isinstance(num_samples, int) and num_samples > 0):
        raise ValueError(f"Argument `num_samples` must be a positive integer, but got {num_samples}.")
    if not isinstance(conditional, bool):
        raise ValueError(f"Argument `conditional` must be a boolean, but got {conditional}.")
    if not (isinstance(batch_size, int) and batch_size > 0):
        raise ValueError(f"Argument `batch_size` must be a positive integer, but got {batch_size}.")
    if interpolation_method not in _INTERPOLATIONS:
        raise ValueError(f"Argument `interpolation_method` must be one of 'lerp', 'slerp_any', 'slerp_unit',"
                         f"got {interpolation_method}.")
    if not (isinstance(epsilon, float) and epsilon > 0):
        raise ValueError(f"Argument `epsilon` must be a positive float, but got {epsilon}.")
    if resize is not None and not (isinstance(resize, int) and resize > 0):
        raise ValueError(f"Argument `resize` must be a positive integer or `None`, but got {resize}.")
    for name, value in (("lower_discard", lower_discard), ("upper_discard", upper_discard)):
        if value is not None and not (isinstance(value, float) and 0 <= value <= 1):
            raise ValueError(f"Argument `{name}` must be a float between 0 and 1 or `None`, but got {value}.")


def _check_generator(generator, conditional):
    if not hasattr(generator, "sample"):
        raise NotImplementedError(
            "The generator must have a `sample` method with signature `sample(num_samples: int) -> Tensor` where the"
            " returned tensor has shape `(num_samples, z_size)`.")
    if not callable(generator.sample):
        raise ValueError("The generator's `sample` method must be callable.")
    if conditional and not hasattr(generator, "num_classes"):
        raise AttributeError("The generator must have a `num_classes` attribute when `conditional=True`.")
    if conditional and not isinstance(generator.num_classes, int):
        raise ValueError("The generator's `num_classes` attribute must be an integer when `conditional=True`.")
