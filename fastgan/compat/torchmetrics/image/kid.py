"""``torchmetrics.image.kid``: KernelInceptionDistance."""
import torch

from ....metrics.kid import kid
from ._base import _gathered, _ImageFeatureMetric

__all__ = ["KernelInceptionDistance"]

class KernelInceptionDistance(_ImageFeatureMetric):
    """Drop-in for ``torchmetrics.image.kid.KernelInceptionDistance``.

    Args: feature, reset_real_features, normalize, feature_extractor_weights_path as
    FrechetInceptionDistance; subsets, subset_size, degree, gamma, coef0 as fastgan.metrics.kid.

    ``compute()`` returns (mean, std) float32 tensors; std uses ddof=0 as torchmetrics does.
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
        # torchmetrics' KID std is the population std (unbiased=False), unlike its IS std.
        return torch.tensor(mean, dtype=torch.float32), torch.tensor(std, dtype=torch.float32)

    def reset(self):
        """Forget the generated images (and the real ones if reset_real_features)."""
        self.fake_features = []
        if self.reset_real_features:
            self.real_features = []
