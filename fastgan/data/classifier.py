"""A small digits classifier: the feature space for FID/KID/PRDC on digits, and label accuracy.

Inception features mean little for 16x16 greyscale digits; a classifier trained on the
train split (never on held-out digits) gives a feature space where digit identity and
stroke shape matter. It is trained once per size with a fixed seed and cached as a plain
state_dict under fastgan's cache folder (``$FASTGAN_CACHE_DIR`` or ``$XDG_CACHE_HOME/fastgan``
or ``~/.cache/fastgan``).

The same mechanism serves every data set that defines its own feature space:
`cached_network(name, make, train)` trains once under a private RNG state and caches the
state_dict; `FEATURE_CLASSIFIERS` maps a data name to the function returning its network,
and `feature_classifier(name, size)` is what the Trainer's metrics call.
"""
import importlib
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
    return cached_network(f"digits_classifier_v{CLASSIFIER_VERSION}_{size}px", lambda: DigitsClassifier(size),
                          lambda: train_classifier(size), cache=cache)


def cached_network(name, make, train, cache=True):
    """A network trained once and cached as a state_dict (``cache_dir()/NAME.pt``).

    Args:
        name: file stem; put a version in it, so a changed architecture or training retrains.
        make: ``make() -> nn.Module``, the untrained network (to load the cache into).
        train: ``train() -> nn.Module``, the seeded training; it runs under a private RNG
            state so that callers' seeded runs stay reproducible.
        cache: read and write the cache file (False: train in memory, once per process).

    Returns:
        The network in eval mode on the CPU, without gradients (one instance per name).
    """
    if name in _LOADED:
        return _LOADED[name]
    path = os.path.join(cache_dir(), f"{name}.pt") if cache else None
    model = None
    if path and os.path.exists(path):
        try:
            model = make()
            model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
            model.eval().requires_grad_(False)
        except Exception:  # a corrupt cache file: retrain
            model = None
    if model is None:
        with torch.random.fork_rng(devices=[]):
            model = train().eval().requires_grad_(False)
        if path:
            tmp = f"{path}.{os.getpid()}.tmp"
            torch.save(model.state_dict(), tmp)
            os.replace(tmp, path)
    _LOADED[name] = model
    return model


# Data name -> "module:function" returning its feature network (called with the image size);
# its `features(x)` define FID/KID/PRDC and its logits the label accuracy.
FEATURE_CLASSIFIERS = {
    "digits": "fastgan.data.classifier:digits_classifier",
    "shapes": "fastgan.data.shapes_classifier:shapes_classifier",
}


def feature_classifier(name, size=None):
    """The feature network of the data set `name` (FEATURE_CLASSIFIERS), or None when it has none."""
    target = FEATURE_CLASSIFIERS.get(name)
    if target is None:
        return None
    module, function = target.split(":")
    loader = getattr(importlib.import_module(module), function)
    return loader(size) if size is not None else loader()


@torch.no_grad()
def classifier_accuracy(model, images, labels, batch_size=500):
    """Fraction of `images` that `model` classifies as `labels`."""
    correct = 0
    for start in range(0, len(images), batch_size):
        pred = model(images[start:start + batch_size].float().cpu()).argmax(1)
        correct += int((pred == labels[start:start + batch_size].cpu()).sum())
    return correct / len(images)
