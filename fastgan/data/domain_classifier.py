"""A digit classifier per domain of the built-in image-to-image sets: label accuracy and FID features.

Content preservation of a translation A -> B is measured by classifying the translated
images with a classifier of domain B (trained on real B images only) and comparing with
the source image's label; FID per domain uses that classifier's 64-d penultimate features.
Each classifier is trained on the digits' train split rendered in its domain (never on
held-out digits), seeded, and cached under fastgan's cache folder.
"""
import os

import torch
import torch.nn.functional as F
from torch import nn

from .._cache import default_cache_dir
from .digits import digits

CLASSIFIER_SEED = 0
CLASSIFIER_VERSION = 1  # bump when the architecture, training or a domain's rendering changes


class DomainClassifier(nn.Module):
    """Conv classifier of [B, C, S, S] images in [-1, 1]; `features(x)` is its 64-d penultimate layer.

    Args:
        channels: image channels.
        size: image side it is trained at.
    """

    def __init__(self, channels=1, size=16):
        super().__init__()
        self.size = int(size)
        self.body = nn.Sequential(
            nn.Conv2d(channels, 32, 3, padding=1, stride=2), nn.ReLU(),
            nn.Conv2d(32, 64, 3, padding=1, stride=2), nn.ReLU(),
            nn.Flatten(), nn.Linear(64 * (self.size // 4) ** 2, 64), nn.ReLU(),
        )
        self.head = nn.Linear(64, 10)

    def features(self, x):
        """[B, C, S, S] -> [B, 64]."""
        return self.body(x)

    def forward(self, x):
        return self.head(self.features(x))


def domain_training_set(name, domain, size):
    """(images, labels) of the digits' train split rendered in `domain` ("a" or "b") of built-in set `name`."""
    from .paired import edge_map
    from .two_domain import TEXTURE_SEED, domain_transforms

    x, y = digits(size, "train")
    if name == "digits-edges":
        return (edge_map(x) if domain == "a" else x), y
    to_a, to_b = domain_transforms(name)
    # Another texture seed than the training images': the classifier sees other crops.
    return (to_a if domain == "a" else to_b)(x, seed=TEXTURE_SEED + 7), y


def train_domain_classifier(x, y, epochs=15, seed=CLASSIFIER_SEED):
    """A DomainClassifier trained on (x, y) with small random shifts as augmentation (seeded)."""
    size = x.shape[-1]
    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):  # callers' seeded runs stay reproducible
        torch.manual_seed(seed)
        model = DomainClassifier(x.shape[1], size)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    pad = max(1, size // 8)
    with torch.enable_grad():  # first use may come from inside an evaluation's no_grad block
        _fit(model, opt, x, y, epochs, pad, gen)
    return model.eval().requires_grad_(False)


def _fit(model, opt, x, y, epochs, pad, gen):
    size = x.shape[-1]
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=gen)
        for start in range(0, len(x), 64):
            idx = perm[start:start + 64]
            batch = F.pad(x[idx], (pad,) * 4, mode="replicate")
            dx, dy = torch.randint(0, 2 * pad + 1, (2,), generator=gen).tolist()
            loss = F.cross_entropy(model(batch[..., dy:dy + size, dx:dx + size]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()


_LOADED = {}


def domain_classifier(data, domain):
    """The cached classifier of `domain` ("a" or "b") of a built-in set's DataSource; None for other data.

    Args:
        data: a DataSource of a built-in image-to-image set (fastgan.data.translation).
        domain: "a" (inputs / domain A) or "b" (targets / domain B).

    Returns:
        A DomainClassifier in eval mode on the CPU, or None when the data has no labels to train one.
    """
    from .translation import TRANSLATION_SETS

    name, size = data.config.get("name"), int(data.config.get("size", 16))
    if name not in TRANSLATION_SETS or domain not in ("a", "b"):
        return None
    key = (name, domain, size)
    if key in _LOADED:
        return _LOADED[key]
    root = default_cache_dir()
    path = os.path.join(root, f"domain_classifier_v{CLASSIFIER_VERSION}_{name}_{domain}_{size}px.pt")
    x, y = domain_training_set(name, domain, size)
    model = DomainClassifier(x.shape[1], size)
    try:
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        model.eval().requires_grad_(False)
    except (OSError, RuntimeError, EOFError):  # absent or corrupt cache file: train it
        model = train_domain_classifier(x, y)
        root.mkdir(parents=True, exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        torch.save(model.state_dict(), tmp)
        os.replace(tmp, path)
    _LOADED[key] = model
    return model


@torch.no_grad()
def predict(model, images, batch_size=500):
    """[N] predicted labels of `images` (any device; computed on the CPU)."""
    return torch.cat([model(b.float().cpu()).argmax(1) for b in images.split(batch_size)])


@torch.no_grad()
def features(model, images, batch_size=500):
    """[N, 64] penultimate features of `images` on the CPU."""
    return torch.cat([model.features(b.float().cpu()) for b in images.split(batch_size)])
