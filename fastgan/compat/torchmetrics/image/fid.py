"""``torchmetrics.image.fid``: FrechetInceptionDistance."""
import torch

from ....metrics.fid import frechet_distance
from ..metric import states_of
from ._base import _ImageFeatureMetric

__all__ = ["FrechetInceptionDistance"]

_SIDES = ("real", "fake")


class FrechetInceptionDistance(_ImageFeatureMetric):
    """Drop-in for ``torchmetrics.image.fid.FrechetInceptionDistance``.

    Args:
        feature: 64, 192, 768 or 2048 (Inception features), or an nn.Module mapping uint8
            images to features [N, D] (or to a dict with "pool3", as FIDInceptionV3).
        reset_real_features: ``reset()`` also forgets the real images (False keeps them).
        normalize: images are float in [0,1] (else uint8 in 0..255).
        input_img_size: the image size used to probe a custom module's feature size.
        feature_extractor_weights_path: the Inception weights file (default pytorch-fid's).
        antialias: accepted for torchmetrics' signature (the resize does not use it).
        **kwargs: torchmetrics.Metric's keyword arguments (compute_on_cpu, sync_on_compute, ...).

    States (torchmetrics' names, float64, reduced by "sum" across processes):
    ``{real,fake}_features_sum`` [D], ``{real,fake}_features_cov_sum`` [D, D] (sum of outer
    products) and ``{real,fake}_features_num_samples``. ``update(imgs, real)``; ``compute()``
    returns a float32 scalar tensor, the exact Fréchet distance of those statistics.
    """

    higher_is_better = False

    def __init__(self, feature=2048, reset_real_features=True, normalize=False, input_img_size=(3, 299, 299),
                 feature_extractor_weights_path=None, antialias=True, **kwargs):
        super().__init__(feature, normalize, feature_extractor_weights_path, (64, 192, 768, 2048), **kwargs)
        if not isinstance(reset_real_features, bool):
            raise ValueError(f"reset_real_features must be a bool, got {reset_real_features!r}")
        self.reset_real_features = reset_real_features
        dim = self._num_features(feature, input_img_size)
        for side in _SIDES:
            self.add_state(f"{side}_features_sum", torch.zeros(dim, dtype=torch.float64), dist_reduce_fx="sum")
            self.add_state(f"{side}_features_cov_sum", torch.zeros(dim, dim, dtype=torch.float64),
                           dist_reduce_fx="sum")
            self.add_state(f"{side}_features_num_samples", torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")

    def update(self, imgs, real):
        """Add a batch of real (real=True) or generated images."""
        features, _ = self._outputs(imgs)
        side = "real" if real else "fake"
        x = features.to(device=getattr(self, f"{side}_features_sum").device, dtype=torch.float64)
        setattr(self, f"{side}_features_sum", getattr(self, f"{side}_features_sum") + x.sum(0))
        setattr(self, f"{side}_features_cov_sum", getattr(self, f"{side}_features_cov_sum") + x.T @ x)
        setattr(self, f"{side}_features_num_samples", getattr(self, f"{side}_features_num_samples") + x.shape[0])

    def compute(self):
        """FID between all real and all generated images seen (by every process)."""
        states = states_of(self)
        moments = [_mean_and_cov(states, side) for side in _SIDES]
        (mu1, sigma1), (mu2, sigma2) = moments
        return torch.tensor(frechet_distance(mu1, sigma1, mu2, sigma2), dtype=torch.float32)

    def reset(self):
        """Forget the generated images (and the real ones if reset_real_features)."""
        if self.reset_real_features:
            super().reset()
        else:
            self._reset_keeping(("real_features_sum", "real_features_cov_sum", "real_features_num_samples"))


def _mean_and_cov(states, side):
    n = int(states[f"{side}_features_num_samples"])
    if n < 2:
        raise RuntimeError(f"FID needs at least 2 {side} images, got {n}; call update() first")
    total = states[f"{side}_features_sum"].double()
    mean = total / n
    cov = (states[f"{side}_features_cov_sum"].double() - n * torch.outer(mean, mean)) / (n - 1)
    return mean.cpu(), cov.cpu()
