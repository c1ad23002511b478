"""Feature extractors by name, and `Extractor`: a network with a stable identity for the cache.

A named extractor (``EXTRACTORS``) is one published network with its own preprocessing; each
gives named layers, e.g. the FID Inception gives "features" (pool3, 2048-d), "logits" (for the
Inception Score) and "spatial" (the ADM evaluator's sFID features). Metrics name the
extractor and the layer they need (fastgan.evaluation.registry); each input goes through each
extractor once, with every layer the metrics asked of it.
"""
import hashlib
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

__all__ = ["NamedExtractor", "EXTRACTORS", "register_extractor", "Extractor", "state_fingerprint"]

# Layer names of extractor outputs: dict keys a network may return for each.
_LAYER_KEYS = {
    "features": ("pool3", "features"),
    "logits": ("logits_unbiased", "logits"),
    "spatial": ("spatial",),
}


@dataclass(frozen=True)
class NamedExtractor:
    """A published feature network, selected by name.

    Attributes:
        name: e.g. "inception".
        description: what it is, for messages and `fastgan eval --help`.
        build: ``build(device) -> nn.Module`` mapping uint8 images [B,3,H,W] to a dict of layers.
        identity: ``identity() -> str``, changing whenever its features would (weights, preprocessing).
        layers: the layer names its outputs hold.
    """

    name: str
    description: str
    build: Callable
    identity: Callable
    layers: tuple = ("features",)


EXTRACTORS = {}


def register_extractor(extractor):
    """Add a NamedExtractor to the registry (refusing a second one of the same name); returns it."""
    if extractor.name in EXTRACTORS:
        raise ValueError(f"an extractor named {extractor.name!r} is registered already")
    EXTRACTORS[extractor.name] = extractor
    return extractor


class _InceptionWithSpatial(nn.Module):
    """The FID Inception, returning also the ADM evaluator's spatial features.

    sFID uses the TF graph's ``mixed_6/conv`` output (the 1x1 branch of Mixed_6d, after its
    ReLU), its first 7 channels at 17x17, flattened: 2023 features per image. The hook lives
    only during a call, so wrapping a user's network leaves it as it was.
    """

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, images):
        kept = []
        handle = self.net.Mixed_6d.branch1x1.register_forward_hook(lambda module, inputs, output: kept.append(output))
        try:
            out = dict(self.net(images))
        finally:
            handle.remove()
        # Channels last, as the TF graph lays them out (the order does not change a Fréchet distance).
        out["spatial"] = kept[0][:, :7].permute(0, 2, 3, 1).flatten(1)
        return out


def with_spatial_features(net):
    """`net` returning also "spatial" (sFID) when it is a FID Inception; other networks as they are."""
    from ..networks.inception import FIDInceptionV3

    return _InceptionWithSpatial(net) if isinstance(net, FIDInceptionV3) else net


def _build_inception(device):
    from ..networks.inception import FIDInceptionV3

    return with_spatial_features(FIDInceptionV3(weights="pytorch-fid").to(device))


def _inception_identity():
    from ..networks.weights import REGISTRY

    # The name and the published hash identify it without loading 100 MB of weights.
    return f"FIDInceptionV3:{REGISTRY['pytorch-fid'].sha256}:resize=bilinear"


register_extractor(NamedExtractor(
    "inception", "the FID Inception-v3 with pytorch-fid's published weights (pool3, logits, sFID's mixed_6/conv)",
    _build_inception, _inception_identity, ("features", "logits", "spatial")))


class Extractor:
    """A feature extractor with a stable identity for the cache.

    Args:
        spec: a registered name (``EXTRACTORS``: "inception", ...), an nn.Module or a callable
            mapping uint8 images [B,3,H,W] to features [B, D] or to a dict of layers ("pool3" or
            "features", "logits_unbiased" or "logits", "spatial").
        device: where a module runs (default: CUDA if available for a named extractor, else the
            module's device).

    ``identity`` is a string that changes whenever the features would: the published weights'
    hash for named extractors, a fingerprint of the state dict for modules; None for plain
    callables (their features are not cached unless they carry a ``cache_key`` attribute).
    """

    def __init__(self, spec, device=None):
        self.spec = spec
        self.device = torch.device(device) if device is not None else None
        self._net = None
        self._identity = None
        if isinstance(spec, str):
            if spec not in EXTRACTORS:
                raise ValueError(f"feature_extractor must be one of {', '.join(sorted(EXTRACTORS))}, an nn.Module "
                                 f"or a callable, got {spec!r}")
        elif not callable(spec):
            raise TypeError(f"feature_extractor must be one of {', '.join(sorted(EXTRACTORS))}, an nn.Module or a "
                            f"callable, got {type(spec).__name__}")

    @property
    def name(self):
        """The registered name, or "custom"."""
        return self.spec if isinstance(self.spec, str) else "custom"

    @property
    def identity(self):
        if self._identity is None:
            self._identity = self._compute_identity()
        return self._identity or None

    def _compute_identity(self):
        if isinstance(self.spec, str):
            return EXTRACTORS[self.spec].identity()
        key = getattr(self.spec, "cache_key", None)
        if key is not None:
            return f"custom:{key}"
        if isinstance(self.spec, nn.Module):
            return (f"{type(self.spec).__module__}.{type(self.spec).__qualname__}:{state_fingerprint(self.spec)}"
                    f":resize={getattr(self.spec, 'resize', None)}")
        return ""

    def net(self):
        """The callable, built (and moved to `device`) on first use."""
        if self._net is None:
            if isinstance(self.spec, str):
                device = self.device or torch.device("cuda" if torch.cuda.is_available() else "cpu")
                self._net = EXTRACTORS[self.spec].build(device)
            else:
                if self.device is not None and isinstance(self.spec, nn.Module):
                    self.spec.to(self.device)
                self._net = with_spatial_features(self.spec)
        return self._net

    def layers(self, images):
        """{layer name: [B, ...] float32 CPU tensor} of an image batch, for the layers the network gives."""
        net = self.net()
        if self.device is not None and not isinstance(net, nn.Module):
            images = images.to(self.device)
        with torch.no_grad():
            out = net(images)
        if isinstance(out, (tuple, list)):
            out = out[0]
        if not isinstance(out, dict):
            out = {"features": out}
        layers = {}
        for layer, keys in _LAYER_KEYS.items():
            value = next((out[k] for k in keys if k in out), None)
            if value is None:
                continue
            if not isinstance(value, torch.Tensor):
                raise TypeError(f"the feature extractor must return tensors, got {type(value).__name__} for {layer}")
            layers[layer] = value.reshape(value.shape[0], -1).float().cpu()
        if "features" not in layers:
            raise ValueError(f"the feature extractor returned a dict with keys {sorted(out)}; "
                             "it needs 'pool3' (or 'features')")
        return layers

    def __call__(self, images):
        """(features [B, D] float32 CPU, logits [B, C] float32 CPU or None) of an image batch."""
        layers = self.layers(images)
        return layers["features"], layers.get("logits")


def state_fingerprint(module):
    """SHA-256 (first 16 hex digits) of a module's state dict: names, dtypes, shapes and values."""
    h = hashlib.sha256()
    for name, value in module.state_dict().items():
        h.update(f"{name}:{value.dtype}:{tuple(value.shape)};".encode())
        h.update(value.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()[:16]


def _published_identity(network, entry, preprocessing):
    def identity():
        from ..networks.weights import REGISTRY

        weights = REGISTRY[entry]
        # DINOv2's publisher gives no digest: its file name stands for it.
        return f"{network}:{weights.sha256 or weights.filename}:{preprocessing}"

    return identity


def _build_dinov2(device):
    from ..networks.dinov2 import DINOv2

    return DINOv2().to(device)


def _build_clip(device):
    from ..networks.clip import CLIPImageEncoder

    return CLIPImageEncoder().to(device)


register_extractor(NamedExtractor(
    "dinov2", "DINOv2 ViT-L/14 class token (1024-d) with dgm-eval's preprocessing (PIL bicubic to 224, ImageNet norm)",
    _build_dinov2, _published_identity("DINOv2-ViT-L/14", "dinov2-vitl14", "resize=pil224")))
register_extractor(NamedExtractor(
    "clip", "CLIP ViT-L/14@336px image embeddings (768-d, unit length) with the CMMD reference's preprocessing",
    _build_clip, _published_identity("CLIP-ViT-L/14@336px", "clip-vit-l-14-336px", "crop+resize=pil336")))
