"""A small digits classifier: the feature space for FID/KID/PRDC on digits, and label accuracy.

Inception features mean little for 16x16 greyscale digits; a classifier trained on the
train split (never on held-out digits) gives a feature space where digit identity and
stroke shape matter. It is trained once per size with a fixed seed and cached as a plain
state_dict under fastgan's cache folder (``$FASTGAN_CACHE_DIR`` or ``$XDG_CACHE_HOME/fastgan``
or ``~/.cache/fastgan``).
"""
import os

import torch
import torch.nn.functional as F
from torch import nn

from .._cache import default_cache_dir
from .digits import digits

CLASSIFIER_SEED = 0
CLASSIFIER_VERSION = 2  # bump when the architecture or training changes: invalidates the cache


def cache_dir():
    """The folder the classifier is cached in (created on demand): fastgan's cache folder."""
    root = default_cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    return str(root)


class DigitsClassifier(nn.Module):
    """Conv classifier for [B, 1, S, S] digits in [-1, 1]; `features(x)` is its 64-d penultimate layer.

    It works at 16x16 (the digits hold 8x8 of information); other sizes are resized first.
    """

    def __init__(self, size=16):
        super().__init__()
        self.size = int(size)
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1, stride=2), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1, stride=2), nn.ReLU(),
            nn.Flatten(),
            nn.Linear(32 * (self.size // 4) ** 2, 64), nn.ReLU(),
        )
        self.head = nn.Linear(64, 10)

    def features(self, x):
        """[B, 1, S, S] -> [B, 64] features (resized to the classifier's size if needed)."""
        if x.shape[-1] != self.size:
            x = F.interpolate(x, size=(self.size, self.size), mode="area" if x.shape[-1] > self.size else "bilinear")
        return self.body(x)

    def forward(self, x):
        return self.head(self.features(x))


def train_classifier(size=16, epochs=20, seed=CLASSIFIER_SEED):
    """Train a DigitsClassifier on the train split (seeded, small random shifts as augmentation)."""
    x, y = digits(size, "train")
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = DigitsClassifier(size)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    pad = max(1, size // 8)
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=gen)
        for start in range(0, len(x), 64):
            idx = perm[start:start + 64]
            batch = F.pad(x[idx], (pad,) * 4, value=-1.0)
            dx, dy = torch.randint(0, 2 * pad + 1, (2,), generator=gen).tolist()
            batch = batch[..., dy:dy + size, dx:dx + size]
            loss = F.cross_entropy(model(batch), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return model.eval().requires_grad_(False)


_LOADED = {}


def digits_classifier(size=16, cache=True):
    """The cached digits classifier (trained on first use at 16x16, a few seconds on a CPU).

    Args:
        size: accepted for symmetry with the data; every size shares the 16x16 classifier
            (inputs are resized), so FIDs at different sizes use one feature space.
        cache: keep it under cache_dir() (and reuse it from there).

    Returns:
        A DigitsClassifier in eval mode on the CPU, without gradients.
    """
    size = 16
    if size in _LOADED:
        return _LOADED[size]
    path = os.path.join(cache_dir(), f"digits_classifier_v{CLASSIFIER_VERSION}_{size}px.pt") if cache else None
    model = None
    if path and os.path.exists(path):
        try:
            model = DigitsClassifier(size)
            model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
            model.eval().requires_grad_(False)
        except Exception:  # a corrupt cache file: retrain
            model = None
    if model is None:
        # Trained under a private RNG state so that callers' seeded runs stay reproducible.
        with torch.random.fork_rng(devices=[]):
            model = train_classifier(size)
        if path:
            tmp = f"{path}.{os.getpid()}.tmp"
            torch.save(model.state_dict(), tmp)
            os.replace(tmp, path)
    _LOADED[size] = model
    return model


@torch.no_grad()
def classifier_accuracy(model, images, labels, batch_size=500):
    """Fraction of `images` that `model` classifies as `labels`."""
    correct = 0
    for start in range(0, len(images), batch_size):
        pred = model(images[start:start + batch_size].float().cpu()).argmax(1)
        correct += int((pred == labels[start:start + batch_size].cpu()).sum())
    return correct / len(images)
