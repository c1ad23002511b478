"""Shared parts of the torchmetrics-compatible image metrics: feature networks, input checks, gathering.

The metric classes (update / compute / reset / forward, on fastgan.metrics) live in the modules
torchmetrics users import them from: image/fid.py, image/kid.py, image/inception.py, image/lpip.py.

Every class is a ``torchmetrics.Metric`` when torchmetrics is installed (else the same
interface on nn.Module, ``..metric.FallbackMetric``), with torchmetrics' state names: FID keeps
float64 sums (count, sum, sum of outer products) reduced by "sum"; KID and IS keep feature
lists reduced by "cat". Each process's ``compute()`` returns the result of the whole data set.

Every feature size (64, 192, 768, 2048) and the logits come from torch-fidelity's extractor
as torchmetrics runs it (TF1-compatible bilinear resize to 299, pixels mapped by (x - 128) / 128).
"""
from copy import deepcopy

import torch
import torch.nn.functional as F
from torch import nn

from ....evaluation import Extractor
from ..metric import MetricBase


class _ImageFeatureMetric(MetricBase):
    """Shared parts: the feature network, input checks (uint8 / normalize).

    Args:
        feature, normalize, weights_path: the metric's own arguments.
        allowed: the feature names/sizes this metric accepts.
        metric_kwargs: torchmetrics.Metric's keyword arguments (compute_on_cpu, ...); any
            other keyword is refused, as torchmetrics refuses it.
    """

    is_differentiable = False
    full_state_update = False

    def __init__(self, feature, normalize, weights_path, allowed, **metric_kwargs):
        super().__init__(**metric_kwargs)
        if not isinstance(normalize, bool):
            raise ValueError(f"normalize must be a bool, got {normalize!r}")
        self.normalize = normalize
        if isinstance(feature, nn.Module) or (callable(feature) and not isinstance(feature, (int, str))):
            self.inception = feature
        elif feature in allowed and feature in (64, 192, 768, 2048, "logits_unbiased", "logits"):
            # torchmetrics runs torch-fidelity's extractor: TF1 bilinear resize, (x - 128) / 128.
            from ...torch_fidelity import TorchFidelityInceptionV3

            self.inception = TorchFidelityInceptionV3(weights=weights_path or "pytorch-fid",
                                                      feature=feature if isinstance(feature, int) else 2048)
        else:
            raise ValueError(f"feature must be one of {list(allowed)} or an nn.Module, got {feature!r}")
        self._extractor = Extractor(self.inception)

    def _outputs(self, imgs):
        """(features [B, D], logits [B, C] or None) of a batch, on the CPU in float32."""
        return self._extractor(_as_uint8(imgs, self.normalize))

    def _reset_keeping(self, names):
        """reset(), but the states `names` keep their values (reset_real_features=False)."""
        kept = {name: deepcopy(getattr(self, name)) for name in names}
        super().reset()
        for name, value in kept.items():
            setattr(self, name, value)

    def _num_features(self, feature, input_img_size):
        """The feature size: `feature` itself, or what the network gives for one blank image."""
        if isinstance(feature, int) and not isinstance(feature, bool):
            return feature
        features, _ = self._extractor(torch.zeros((1, *input_img_size), dtype=torch.uint8))
        return features.shape[-1]


def _concatenated(value, name):
    """A list state (or its synced concatenation) as one tensor; a clear error when empty."""
    if isinstance(value, list):
        value = torch.cat(value) if value else None
    if value is None or value.numel() == 0:
        raise RuntimeError(f"no {name} images were seen; call update() first")
    return value


def _as_uint8(imgs, normalize):
    if not isinstance(imgs, torch.Tensor) or imgs.dim() != 4 or imgs.shape[1] != 3:
        shape = tuple(imgs.shape) if isinstance(imgs, torch.Tensor) else type(imgs).__name__
        raise ValueError(f"imgs must be a tensor [N,3,H,W], got {shape}")
    if normalize:
        if not imgs.is_floating_point():
            raise ValueError(f"normalize=True expects float images in [0,1], got {imgs.dtype}")
        return (imgs * 255).byte()  # torchmetrics' conversion (truncating)
    if imgs.dtype != torch.uint8:
        raise ValueError(f"imgs must be uint8 in 0..255 (normalize=False), got {imgs.dtype}; "
                         "pass normalize=True for float images in [0,1]")
    return imgs
