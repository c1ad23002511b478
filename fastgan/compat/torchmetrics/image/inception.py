"""``torchmetrics.image.inception``: InceptionScore."""
import math

import torch

from ....metrics.inception_score import inception_score
from ..metric import states_of
from ._base import _as_uint8, _concatenated, _ImageFeatureMetric

__all__ = ["InceptionScore"]

class InceptionScore(_ImageFeatureMetric):
    """Drop-in for ``torchmetrics.image.inception.InceptionScore``.

    Args:
        feature: "logits_unbiased" (default, as torchmetrics and torch-fidelity), "logits", or an
            nn.Module returning logits (or a dict with them).
        splits: number of splits. normalize, feature_extractor_weights_path: as above.

    ``compute()`` returns (mean, std) float32 tensors; std uses ddof=1 as torchmetrics does.
    The logits are a list state ("features", as torchmetrics), concatenated across processes.
    """

    higher_is_better = True

    def __init__(self, feature="logits_unbiased", splits=10, normalize=False, feature_extractor_weights_path=None,
                 **kwargs):
        super().__init__(feature, normalize, feature_extractor_weights_path, ("logits_unbiased", "logits"), **kwargs)
        if isinstance(splits, bool) or not isinstance(splits, int) or splits < 1:
            raise ValueError(f"splits must be a positive integer, got {splits!r}")
        self.feature = feature if isinstance(feature, str) else None
        self.splits = splits
        self.add_state("features", [], dist_reduce_fx="cat")

    def update(self, imgs):
        """Add a batch of generated images."""
        with torch.no_grad():
            out = self.inception(_as_uint8(imgs, self.normalize))
        if isinstance(out, dict):
            out = out[self.feature or ("logits_unbiased" if "logits_unbiased" in out else "logits")]
        self.features.append(out.reshape(out.shape[0], -1).float().cpu())

    def compute(self):
        """(IS mean, IS std) of all images seen (by every process)."""
        logits = _concatenated(states_of(self)["features"], "generated")
        mean, std = inception_score(logits, splits=self.splits)
        if self.splits > 1:
            std *= math.sqrt(self.splits / (self.splits - 1))
        return torch.tensor(mean, dtype=torch.float32), torch.tensor(std, dtype=torch.float32)
