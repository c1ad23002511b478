"""torchmetrics-compatible metric classes (update / compute / reset / forward), on fastgan.metrics.

FrechetInceptionDistance, KernelInceptionDistance and InceptionScore keep their states
(feature statistics, features, logits) on the metric's device and, when torch.distributed is
initialised, gather them from every process in ``compute()``, so each process returns the
result of the whole data set.

Differences from torchmetrics, on purpose: images are resized to 299 as pytorch-fid does
(bilinear, ``align_corners=False``; torchmetrics uses torch-fidelity's TF1-style resize, which
differs for images that are not 299x299), the Inception Score does not shuffle its logits
(torchmetrics' split assignment is random) and splits them as torch-fidelity does.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from ..evaluate import Extractor
from ..metrics.fid import frechet_distance
from ..metrics.inception_score import inception_score
from ..metrics.kid import kid
from ..metrics.lpips import lpips
from ..metrics.stats import FeatureStats
from ..networks.lpips import LPIPS

__all__ = ["FrechetInceptionDistance", "KernelInceptionDistance", "InceptionScore",
           "LearnedPerceptualImagePatchSimilarity"]


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
        from .pytorch_fid import InceptionV3

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
            from ..networks.inception import FIDInceptionV3

            self.inception = FIDInceptionV3(weights=weights_path or "pytorch-fid")
        elif feature in allowed and feature in (64, 192, 768):
            self.inception = _InceptionBlocks(feature, weights_path or "pytorch-fid")
        else:
            raise ValueError(f"feature must be one of {list(allowed)} or an nn.Module, got {feature!r}")
        self._extractor = Extractor(self.inception)

    def _outputs(self, imgs):
        """(features [B, D], logits [B, C] or None) of a batch, on the CPU in float32."""
        return self._extractor(_as_uint8(imgs, self.normalize))


class FrechetInceptionDistance(_ImageFeatureMetric):
    """Drop-in for ``torchmetrics.image.fid.FrechetInceptionDistance``.

    Args:
        feature: 64, 192, 768 or 2048 (Inception features), or an nn.Module mapping uint8
            images to features [N, D] (or to a dict with "pool3", as FIDInceptionV3).
        reset_real_features: ``reset()`` also forgets the real images (False keeps them).
        normalize: images are float in [0,1] (else uint8 in 0..255).
        feature_extractor_weights_path: the Inception weights file (default pytorch-fid's).

    ``update(imgs, real)``; ``compute()`` returns a float32 scalar tensor. Statistics are exact
    float64 running sums (fastgan.metrics.FeatureStats).
    """

    def __init__(self, feature=2048, reset_real_features=True, normalize=False, input_img_size=(3, 299, 299),
                 feature_extractor_weights_path=None, antialias=True, **kwargs):
        super().__init__(feature, normalize, feature_extractor_weights_path, (64, 192, 768, 2048))
        if not isinstance(reset_real_features, bool):
            raise ValueError(f"reset_real_features must be a bool, got {reset_real_features!r}")
        self.reset_real_features = reset_real_features
        self.real_stats = FeatureStats(device="cpu")
        self.fake_stats = FeatureStats(device="cpu")

    def update(self, imgs, real):
        """Add a batch of real (real=True) or generated images."""
        features, _ = self._outputs(imgs)
        (self.real_stats if real else self.fake_stats).update(features)

    def compute(self):
        """FID between all real and all generated images seen (across processes)."""
        real = _merged(self.real_stats, "real")
        fake = _merged(self.fake_stats, "fake")
        return torch.tensor(frechet_distance(real.mean, real.cov, fake.mean, fake.cov), dtype=torch.float32)

    def reset(self):
        """Forget the generated images (and the real ones if reset_real_features)."""
        self.fake_stats = FeatureStats(device="cpu")
        if self.reset_real_features:
            self.real_stats = FeatureStats(device="cpu")


def _merged(stats, name):
    total = FeatureStats(device="cpu")
    for state in gather_objects(stats.state_dict()):
        total.merge(FeatureStats.from_state_dict(state, device="cpu"))
    if total.num_samples < 2:
        raise RuntimeError(f"FID needs at least 2 {name} images, got {total.num_samples}; call update() first")
    return total


class KernelInceptionDistance(_ImageFeatureMetric):
    """Drop-in for ``torchmetrics.image.kid.KernelInceptionDistance``.

    Args: feature, reset_real_features, normalize, feature_extractor_weights_path as
    FrechetInceptionDistance; subsets, subset_size, degree, gamma, coef0 as fastgan.metrics.kid.

    ``compute()`` returns (mean, std) float32 tensors; std uses ddof=1 as torchmetrics does.
    Subsets are drawn with numpy RandomState(seed) (fastgan extension: ``seed=``), so results
    are reproducible.
    """

    def __init__(self, feature=2048, subsets=100, subset_size=1000, degree=3, gamma=None, coef0=1.0,
                 reset_real_features=True, normalize=False, feature_extractor_weights_path=None, seed=2020,
                 **kwargs):
        super().__init__(feature, normalize, feature_extractor_weights_path, (64, 192, 768, 2048))
        for name, value in (("subsets", subsets), ("subset_size", subset_size)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        self.subsets, self.subset_size = subsets, subset_size
        self.degree, self.gamma, self.coef0, self.seed = degree, gamma, coef0, seed
        self.reset_real_features = reset_real_features
        self.real_features, self.fake_features = [], []

    def update(self, imgs, real):
        """Add a batch of real (real=True) or generated images."""
        features, _ = self._outputs(imgs)
        (self.real_features if real else self.fake_features).append(features)

    def compute(self):
        """(KID mean, KID std) over random subsets of all images seen (across processes)."""
        real = _gathered(self.real_features, "real")
        fake = _gathered(self.fake_features, "fake")
        mean, std = kid(real, fake, subsets=self.subsets, subset_size=self.subset_size, degree=self.degree,
                        gamma=self.gamma, coef0=self.coef0, seed=self.seed)
        if self.subsets > 1:
            std *= math.sqrt(self.subsets / (self.subsets - 1))
        return torch.tensor(mean, dtype=torch.float32), torch.tensor(std, dtype=torch.float32)

    def reset(self):
        """Forget the generated images (and the real ones if reset_real_features)."""
        self.fake_features = []
        if self.reset_real_features:
            self.real_features = []


def _gathered(chunks, name):
    parts = [t for process in gather_objects(chunks) for t in process]
    if not parts:
        raise RuntimeError(f"no {name} images were seen; call update() first")
    return torch.cat(parts)


class InceptionScore(_ImageFeatureMetric):
    """Drop-in for ``torchmetrics.image.inception.InceptionScore``.

    Args:
        feature: "logits_unbiased" (default, as torchmetrics and torch-fidelity), "logits", or an
            nn.Module returning logits (or a dict with them).
        splits: number of splits. normalize, feature_extractor_weights_path: as above.

    ``compute()`` returns (mean, std) float32 tensors; std uses ddof=1 as torchmetrics does.
    """

    def __init__(self, feature="logits_unbiased", splits=10, normalize=False, feature_extractor_weights_path=None,
                 **kwargs):
        super().__init__(feature, normalize, feature_extractor_weights_path, ("logits_unbiased", "logits"))
        self.feature = feature if isinstance(feature, str) else None
        self.splits = splits
        self.logits = []

    def update(self, imgs):
        """Add a batch of generated images."""
        with torch.no_grad():
            out = self.inception(_as_uint8(imgs, self.normalize))
        if isinstance(out, dict):
            out = out[self.feature or ("logits_unbiased" if "logits_unbiased" in out else "logits")]
        self.logits.append(out.reshape(out.shape[0], -1).float().cpu())

    def compute(self):
        """(IS mean, IS std) of all images seen (across processes)."""
        logits = _gathered(self.logits, "generated")
        mean, std = inception_score(logits, splits=self.splits)
        if self.splits > 1:
            std *= math.sqrt(self.splits / (self.splits - 1))
        return torch.tensor(mean, dtype=torch.float32), torch.tensor(std, dtype=torch.float32)

    def reset(self):
        """Forget every image seen."""
        self.logits = []


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


class LearnedPerceptualImagePatchSimilarity(nn.Module):
    """Drop-in for ``torchmetrics.image.lpip.LearnedPerceptualImagePatchSimilarity``.

    Args:
        net_type: ``"alex"`` (default) or ``"vgg"`` (``"squeeze"`` is not available).
        reduction: ``"mean"`` (default) or ``"sum"`` over all pairs seen.
        normalize: inputs are in [0,1] rather than [-1,1].
        model: fastgan extension: an ``fastgan.networks.LPIPS`` to use instead of the
            pretrained network (which downloads its weights the first time).

    ``update(img1, img2)`` takes float [N,3,H,W] pairs; ``compute()`` returns a scalar tensor;
    calling the metric updates it and returns the value of that batch alone.
    """

    def __init__(self, net_type="alex", reduction="mean", normalize=False, model=None):
        super().__init__()
        if net_type not in ("alex", "vgg"):
            raise ValueError(f'net_type must be "alex" or "vgg" (fastgan has no "squeeze"), got {net_type!r}')
        if reduction not in ("mean", "sum"):
            raise ValueError(f'reduction must be "mean" or "sum", got {reduction!r}')
        if not isinstance(normalize, bool):
            raise ValueError(f"normalize must be a bool, got {normalize!r}")
        if model is not None and model.net != net_type:
            raise ValueError(f"model is LPIPS-{model.net} but net_type={net_type!r}")
        self.net_type = net_type
        self.reduction = reduction
        self.normalize = normalize
        self.net = model if model is not None else LPIPS(net_type, pretrained=True)
        # Accumulated in float64 so long evaluations do not drift.
        self.register_buffer("sum_scores", torch.zeros((), dtype=torch.float64), persistent=False)
        self.register_buffer("total", torch.zeros((), dtype=torch.long), persistent=False)

    def _scores(self, img1, img2):
        for name, img in (("img1", img1), ("img2", img2)):
            if not isinstance(img, torch.Tensor) or img.dim() != 4 or img.shape[1] != 3 or not img.is_floating_point():
                shape = tuple(img.shape) if isinstance(img, torch.Tensor) else type(img).__name__
                raise ValueError(f"{name} must be a float tensor [N,3,H,W] with values in "
                                 f"{'[0,1]' if self.normalize else '[-1,1]'}, got {shape}")
        return lpips(img1, img2, net=self.net_type, normalize=self.normalize, model=self.net).to(self.sum_scores.device)

    def update(self, img1, img2):
        """Add the distances of the pairs ``(img1[i], img2[i])``."""
        scores = self._scores(img1, img2)
        self.sum_scores += scores.double().sum()
        self.total += scores.numel()

    def compute(self):
        """The mean (or sum) distance over all pairs seen since the last reset, float32 scalar."""
        if int(self.total) == 0:
            raise ValueError("compute() was called before update(): no image pairs were seen")
        value = self.sum_scores / self.total if self.reduction == "mean" else self.sum_scores
        return value.float()

    def reset(self):
        """Forget all pairs seen."""
        self.sum_scores.zero_()
        self.total.zero_()

    def forward(self, img1, img2):
        """Update with this batch and return its own mean (or sum) distance."""
        scores = self._scores(img1, img2)
        self.sum_scores += scores.double().sum()
        self.total += scores.numel()
        return (scores.double().mean() if self.reduction == "mean" else scores.double().sum()).float()
