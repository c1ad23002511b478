"""``torchmetrics.image.kid``: KernelInceptionDistance."""
import torch

from ....metrics.kid import kid, polynomial_mmd2
from ..metric import states_of
from ._base import _concatenated, _ImageFeatureMetric

__all__ = ["KernelInceptionDistance"]

class KernelInceptionDistance(_ImageFeatureMetric):
    """Drop-in for ``torchmetrics.image.kid.KernelInceptionDistance``.

    Args: feature, reset_real_features, normalize, feature_extractor_weights_path as
    FrechetInceptionDistance; subsets, subset_size, degree, gamma, coef0 as fastgan.metrics.kid.

    ``compute()`` returns (mean, std) float32 tensors; std uses ddof=0 as torchmetrics does.
    Subsets are drawn as torchmetrics draws them: per subset ``torch.randperm`` of the real
    features, then of the generated ones, from torch's global generator (seed it with
    ``torch.manual_seed``). fastgan extension: ``seed=<int>`` draws them instead with numpy's
    RandomState(seed), as fastgan.metrics.kid and torch-fidelity do. Each subset's MMD² is
    exact float64 (fastgan.metrics.polynomial_mmd2; torchmetrics uses the features' dtype).
    """

    higher_is_better = False

    def __init__(self, feature=2048, subsets=100, subset_size=1000, degree=3, gamma=None, coef0=1.0,
                 reset_real_features=True, normalize=False, feature_extractor_weights_path=None, seed=None,
                 **kwargs):
        super().__init__(feature, normalize, feature_extractor_weights_path, (64, 192, 768, 2048), **kwargs)
        for name, value in (("subsets", subsets), ("subset_size", subset_size)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        self.subsets, self.subset_size = subsets, subset_size
        self.degree, self.gamma, self.coef0, self.seed = degree, gamma, coef0, seed
        if not isinstance(reset_real_features, bool):
            raise ValueError(f"reset_real_features must be a bool, got {reset_real_features!r}")
        self.reset_real_features = reset_real_features
        self.add_state("real_features", [], dist_reduce_fx="cat")
        self.add_state("fake_features", [], dist_reduce_fx="cat")

    def update(self, imgs, real):
        """Add a batch of real (real=True) or generated images."""
        features, _ = self._outputs(imgs)
        (self.real_features if real else self.fake_features).append(features)

    def compute(self):
        """(KID mean, KID std) over random subsets of all images seen (by every process)."""
        states = states_of(self)
        real = _concatenated(states["real_features"], "real")
        fake = _concatenated(states["fake_features"], "fake")
        if self.seed is not None:
            mean, std = kid(real, fake, subsets=self.subsets, subset_size=self.subset_size, degree=self.degree,
                            gamma=self.gamma, coef0=self.coef0, seed=self.seed)
        else:
            mean, std = self._torchmetrics_subsets(real, fake)
        # torchmetrics' KID std is the population std (unbiased=False), unlike its IS std.
        return torch.tensor(mean, dtype=torch.float32), torch.tensor(std, dtype=torch.float32)

    def _torchmetrics_subsets(self, real, fake):
        for name, features in (("real", real), ("fake", fake)):
            if features.shape[0] < self.subset_size:
                raise ValueError(f"subset_size={self.subset_size} is larger than the {features.shape[0]} {name} "
                                 "samples; use a smaller subset_size or more samples")
        scores = []
        for _ in range(self.subsets):
            rows_real = torch.randperm(real.shape[0])[: self.subset_size]
            rows_fake = torch.randperm(fake.shape[0])[: self.subset_size]
            scores.append(polynomial_mmd2(real[rows_real], fake[rows_fake], degree=self.degree, gamma=self.gamma,
                                          coef0=self.coef0))
        scores = torch.tensor(scores, dtype=torch.float64)
        return float(scores.mean()), float(scores.std(unbiased=False))

    def reset(self):
        """Forget the generated images (and the real ones if reset_real_features)."""
        if self.reset_real_features:
            super().reset()
        else:
            self._reset_keeping(("real_features",))
