"""Metrics of a generator against held-out data, in the feature space that fits the data.

- 2-D points: FID and PRDC on the points themselves, plus modes covered and the fraction
  of high-quality samples (within 3 sigma of a mode).
- digits, shapes: features of the data set's cached classifier
  (fastgan.data.classifier.FEATURE_CLASSIFIERS):
  FID, KID, PRDC, and for conditional models the fraction of samples classified as the
  requested label.
- image folders: 8x8 grey thumbnails as features (crude but network-free; use
  fastgan.metrics with Inception features for publishable numbers).
- images, every data set: `train_nn_l2`, the pixel distance (root mean square per pixel,
  images in [-1, 1]) from each sample to its nearest training image: 0 for copies; its
  baseline is the held-out images' value.
- a family's own metrics (Family.metrics), e.g. a VAE's held-out negative ELBO.

`Evaluator.baseline` holds the same metrics for real training data against the held-out
data: the value a perfect generator would get, for scale.
"""
import torch
import torch.nn.functional as F

from ..data.toy import mode_metrics
from ..evaluation import compute_on_features
from ..ops import knn

PRDC_K = 5
KID_SUBSETS, KID_SUBSET_SIZE = 50, 100  # capped by the set sizes


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
        from ..data.classifier import feature_classifier

        # Data sets with their own feature network (digits, shapes: data.classifier.FEATURE_CLASSIFIERS).
        self.classifier = feature_classifier(source.name, source.config.get("size"))
        self.real_features = self.features(source.heldout_x)
        gen = torch.Generator().manual_seed(0)
        idx = torch.randperm(len(source.x), generator=gen)[: self.num_samples]
        labels = source.y[idx] if source.y is not None else None
        self.baseline = self.score(source.x[idx], labels)
        if not self.points:
            # Copies of training images would score 0 here; held-out digits show what new ones score.
            self.baseline["train_nn_l2"] = self._train_nn_l2(source.heldout_x)

    @torch.no_grad()
    def _train_nn_l2(self, samples):
        """Mean pixel-space L2 distance (root mean square over pixels) to the nearest training sample."""
        flat = samples.detach().float().cpu().flatten(1)
        dist, _ = knn(flat, self.source.x.float().cpu().flatten(1), k=1)
        return float(dist[:, 0].mean() / flat.shape[1] ** 0.5)

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
        names = ("fid", "prdc") if self.points else ("fid", "kid", "prdc")
        scores = compute_on_features(names, self.real_features, fake, kid_subsets=KID_SUBSETS,
                                     kid_subset_size=KID_SUBSET_SIZE, prdc_k=PRDC_K)
        out = {"fid": scores["frechet_inception_distance"]}
        if not self.points:
            out["kid"], out["kid_std"] = scores["kernel_inception_distance_mean"], scores["kernel_inception_distance_std"]
        out.update({key: scores[key] for key in ("precision", "recall", "density", "coverage")})
        if self.points and self.source.centers is not None:
            modes = mode_metrics(samples, self.source.centers, self.source.std)
            out["modes_covered"] = modes["modes_covered"]
            out["high_quality"] = modes["high_quality"]
        if not self.points:
            out["train_nn_l2"] = self._train_nn_l2(samples)
        if self.classifier is not None and labels is not None:
            from ..data.classifier import classifier_accuracy

            out["label_accuracy"] = classifier_accuracy(self.classifier, samples.float().cpu(), labels)
        return out

    @torch.no_grad()
    def __call__(self, model, networks, device=None, seed=1234):
        """Sample `num_samples` from `model` with `networks` (its EMA copies, say) and score them.

        Args:
            model: the fastgan.models.Model (its family's sampler and metrics).
            networks: {name: network} to sample with.
            device: unused (the networks' device is used); kept for callers of the old signature.
            seed: seeds the prior draws.

        Returns:
            The metrics dict (see `score`), plus the family's own metrics (Family.metrics).
        """
        if not model.family.prior_samples:  # translations: their metrics compare outputs with targets
            return dict(model.family.metrics(networks, self.source, device))
        gen = torch.Generator().manual_seed(seed)
        samples, labels = [], []
        for start in range(0, self.num_samples, 500):
            n = min(500, self.num_samples - start)
            lab = (torch.arange(start, start + n) % model.num_classes) if model.num_classes else None
            samples.append(model.sample(n, generator=gen, labels=lab, networks=networks).float().cpu())
            if lab is not None:
                labels.append(lab)
        out = self.score(torch.cat(samples), torch.cat(labels) if labels else None)
        if model.family.metrics is not None:
            out.update(model.family.metrics(networks, self.source, device))
        return out
