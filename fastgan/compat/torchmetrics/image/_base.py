"""Shared parts of the torchmetrics-compatible image metrics: feature networks, input checks, gathering.

The metric classes (update / compute / reset / forward, on fastgan.metrics) live in the modules
torchmetrics users import them from: image/fid.py, image/kid.py, image/inception.py, image/lpip.py.

FrechetInceptionDistance, KernelInceptionDistance and InceptionScore keep their states
(feature statistics, features, logits) on the metric's device and, when torch.distributed is
initialised, gather them from every process in ``compute()``, so each process returns the
result of the whole data set.

Differences from torchmetrics, on purpose: images are resized to 299 as pytorch-fid does
(bilinear, ``align_corners=False``; torchmetrics uses torch-fidelity's TF1-style resize, which
differs for images that are not 299x299), the Inception Score does not shuffle its logits
(torchmetrics' split assignment is random) and splits them as torch-fidelity does.
"""
import torch
import torch.nn.functional as F
from torch import nn

from ....evaluate import Extractor
from ....metrics.stats import FeatureStats


def gather_objects(obj):
    """[obj of every process] under torch.distributed, else [obj]."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        out = [None] * dist.get_world_size()
        dist.all_gather_object(out, obj)
        return out
    return [obj]


class _InceptionBlocks(nn.Module):
    """uint8 images -> average-pooled outputs of one pytorch-fid block (64, 192 or 768 features)."""

    def __init__(self, dims, weights):
        super().__init__()
        from ...pytorch_fid import InceptionV3

        self.blocks = InceptionV3([InceptionV3.BLOCK_INDEX_BY_DIM[dims]], weights=weights)

    def forward(self, images):
        x = images.float() / 255 if images.dtype == torch.uint8 else images
        out = self.blocks(x)[0]
        return F.adaptive_avg_pool2d(out, 1).flatten(1)


class _ImageFeatureMetric(nn.Module):
    """Shared parts: the feature network, input checks (uint8 / normalize), gathering."""

    def __init__(self, feature, normalize, weights_path, allowed):
        super().__init__()
        if not isinstance(normalize, bool):
            raise ValueError(f"normalize must be a bool, got {normalize!r}")
        self.normalize = normalize
        if isinstance(feature, nn.Module) or (callable(feature) and not isinstance(feature, (int, str))):
            self.inception = feature
        elif feature in allowed and feature in (2048, "logits_unbiased", "logits"):
            from ....networks.inception import FIDInceptionV3

            self.inception = FIDInceptionV3(weights=weights_path or "pytorch-fid")
        elif feature in allowed and feature in (64, 192, 768):
            self.inception = _InceptionBlocks(feature, weights_path or "pytorch-fid")
        else:
            raise ValueError(f"feature must be one of {list(allowed)} or an nn.Module, got {feature!r}")
        self._extractor = Extractor(self.inception)

    def _outputs(self, imgs):
        """(features [B, D], logits [B, C] or None) of a batch, on the CPU in float32."""
        return self._extractor(_as_uint8(imgs, self.normalize))


def _gathered(chunks, name):
    parts = [t for process in gather_objects(chunks) for t in process]
    if not parts:
        raise RuntimeError(f"no {name} images were seen; call update() first")
    return torch.cat(parts)


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


def _merged(stats, name):
    total = FeatureStats(device="cpu")
    for state in gather_objects(stats.state_dict()):
        total.merge(FeatureStats.from_state_dict(state, device="cpu"))
    if total.num_samples < 2:
        raise RuntimeError(f"FID needs at least 2 {name} images, got {total.num_samples}; call update() first")
    return total
