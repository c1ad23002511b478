"""The shapes feature space: a small network trained once on the shapes training split.

Inception features mean little for 32x32 synthetic scenes; this network defines the space
FID/KID/PRDC are measured in on `--data shapes`. It is trained on the training split only
(never on held-out scenes) to predict the shape class (its logits give the label
accuracy of conditional models) and to regress the other ground-truth factors (size,
position, both colours), so its features respond to every factor a generator must get
right, not only to the class. Trained with a fixed seed, cached like the digits
classifier (fastgan.data.classifier.cached_network).
"""
import torch
import torch.nn.functional as F
from torch import nn

from .classifier import cached_network
from .shapes import FACTORS, SHAPES, shapes

SHAPES_CLASSIFIER_SEED = 0
SHAPES_CLASSIFIER_VERSION = 1  # bump when the architecture or training changes: invalidates the cache
SIZE = 32


class ShapesClassifier(nn.Module):
    """Conv net for [B, 3, S, S] scenes in [-1, 1]; `features(x)` is its 64-d penultimate layer.

    `forward(x)` gives the class logits [B, len(SHAPES)], `factors(x)` the regressed
    factors [B, len(FACTORS) - 1] (every factor but the class). Other sizes are resized
    to 32x32 first.
    """

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1, stride=2), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1, stride=2), nn.ReLU(),
            nn.Conv2d(32, 32, 3, padding=1, stride=2), nn.ReLU(),
            nn.Flatten(),
            nn.Linear(32 * (SIZE // 8) ** 2, 64), nn.ReLU(),
        )
        self.head = nn.Linear(64, len(SHAPES))
        self.regressor = nn.Linear(64, len(FACTORS) - 1)

    def features(self, x):
        """[B, 3, S, S] -> [B, 64] features."""
        if x.shape[-1] != SIZE:
            x = F.interpolate(x, size=(SIZE, SIZE), mode="area" if x.shape[-1] > SIZE else "bilinear")
        return self.body(x)

    def forward(self, x):
        return self.head(self.features(x))

    def factors(self, x):
        """[B, 3, S, S] -> [B, 9] predicted size, x, y and colours."""
        return self.regressor(self.features(x))


def train_shapes_classifier(epochs=20, seed=SHAPES_CLASSIFIER_SEED):
    """Train a ShapesClassifier on the training split: cross-entropy on the class plus the
    mean squared error of the other factors (scaled to unit variance over the set)."""
    x, y, factors = shapes(SIZE, "train")
    targets = factors[:, 1:]
    targets = (targets - targets.mean(0)) / targets.std(0)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = ShapesClassifier()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=gen)
        for start in range(0, len(x), 64):
            idx = perm[start:start + 64]
            feats = model.features(x[idx])
            loss = F.cross_entropy(model.head(feats), y[idx]) + F.mse_loss(model.regressor(feats), targets[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return model


def shapes_classifier(size=None, cache=True):
    """The cached shapes feature network (trained on first use, ~half a minute on one CPU thread).

    Args:
        size: accepted for symmetry with the data; every size shares the 32x32 network.
        cache: keep it under fastgan's cache folder (and reuse it from there).

    Returns:
        A ShapesClassifier in eval mode on the CPU, without gradients.
    """
    return cached_network(f"shapes_classifier_v{SHAPES_CLASSIFIER_VERSION}_{SIZE}px", ShapesClassifier,
                          train_shapes_classifier, cache=cache)
