"""``torchmetrics.image.inception``: InceptionScore."""
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

    ``compute()`` returns (mean, std) float32 tensors, computed as torchmetrics computes them:
    the logits shuffled by ``torch.randperm`` (seed with ``torch.manual_seed``), split with
    ``torch.chunk``, std with ddof=1; each split's score is exact float64.
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
        # torchmetrics' estimator: shuffle with torch's global generator, torch.chunk into
        # `splits` parts (ceil(N / splits) rows each), the score of each part, mean and ddof=1 std.
        logits = logits[torch.randperm(logits.shape[0])]
        scores = torch.tensor([inception_score(part, splits=1)[0] for part in logits.chunk(self.splits)],
                              dtype=torch.float64)
        return scores.mean().float(), scores.std().float()
