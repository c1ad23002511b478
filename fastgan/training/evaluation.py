"""Metrics of a generator against held-out data, in the feature space that fits the data.

- 2-D points: FID and PRDC on the points themselves, plus modes covered and the fraction
  of high-quality samples (within 3 sigma of a mode).
- digits: features of the cached digits classifier (fastgan.data.digits_classifier):
  FID, KID, PRDC, and for conditional models the fraction of samples classified as the
  requested label.
- image folders: 8x8 grey thumbnails as features (crude but network-free; use
  fastgan.metrics with Inception features for publishable numbers).

`Evaluator.baseline` holds the same metrics for real training data against the held-out
data: the value a perfect generator would get, for scale.
"""
import torch
import torch.nn.functional as F

from ..data.toy import mode_metrics
from ..metrics import prdc
from . import _metrics

PRDC_K = 5


class Evaluator:
    """Computes metrics of generated samples against `source`'s held-out set.

    Args:
        source: a fastgan.data.DataSource.
        num_samples: generated samples per evaluation (default: 2500 points, 1000 images).
    """

    def __init__(self, source, num_samples=None):
        self.source = source
        self.points = source.kind == "points"
        self.num_samples = int(num_samples or (2500 if self.points else 1000))
        self.classifier = None
        if source.name == "digits":
            from ..data.classifier import digits_classifier

            self.classifier = digits_classifier(source.config.get("size", 16))
        self.real_features = self.features(source.heldout_x)
        gen = torch.Generator().manual_seed(0)
        idx = torch.randperm(len(source.x), generator=gen)[: self.num_samples]
        labels = source.y[idx] if source.y is not None else None
        self.baseline = self.score(source.x[idx], labels)

    @torch.no_grad()
    def features(self, samples):
        """[N, *shape] samples -> [N, D] features on the CPU."""
        samples = samples.detach().float().cpu()
        if self.points:
            return samples.reshape(len(samples), -1)
        if self.classifier is not None:
            return torch.cat([self.classifier.features(b) for b in samples.split(500)])
        grey = samples.mean(1, keepdim=True)
        return F.adaptive_avg_pool2d(grey, 8).flatten(1)

    def score(self, samples, labels=None):
        """Metrics dict of `samples` (with their requested `labels`, if conditional)."""
        fake = self.features(samples)
        if not torch.isfinite(fake).all():
            return {"fid": float("nan"), "diverged": True}
        out = {"fid": _metrics.fid(self.real_features, fake)}
        if not self.points:
            out["kid"], out["kid_std"] = _metrics.kid(self.real_features, fake)
        out.update(prdc(self.real_features, fake, nearest_k=PRDC_K))
        if self.points and self.source.centers is not None:
            modes = mode_metrics(samples, self.source.centers, self.source.std)
            out["modes_covered"] = modes["modes_covered"]
            out["high_quality"] = modes["high_quality"]
        if self.classifier is not None and labels is not None:
            from ..data.classifier import classifier_accuracy

            out["label_accuracy"] = classifier_accuracy(self.classifier, samples.float().cpu(), labels)
        return out

    @torch.no_grad()
    def __call__(self, model, generator_module, device, seed=1234):
        """Sample `num_samples` from `generator_module` (model's latent layout) and score them."""
        gen = torch.Generator().manual_seed(seed)
        samples, labels = [], []
        for start in range(0, self.num_samples, 500):
            n = min(500, self.num_samples - start)
            lab = (torch.arange(start, start + n) % model.num_classes) if model.num_classes else None
            z, lab = model.sample_latent(n, generator=gen, device=device, labels=lab)
            samples.append(generator_module(z, lab).float().cpu())
            if lab is not None:
                labels.append(lab.cpu())
        return self.score(torch.cat(samples), torch.cat(labels) if labels else None)
