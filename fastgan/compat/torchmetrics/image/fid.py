"""``torchmetrics.image.fid``: FrechetInceptionDistance."""
import torch

from ....metrics.fid import frechet_distance
from ....metrics.stats import FeatureStats
from ._base import _ImageFeatureMetric, _merged

__all__ = ["FrechetInceptionDistance"]

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
