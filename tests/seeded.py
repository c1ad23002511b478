"""Seeded stand-ins for the published weights, for tests that must reproduce
shared/reference/networks.pt (recipe: shared/reference/README.md, implemented by
``fastgan.networks.weights.seeded_state_dict``).

Builders are cached: the returned networks are shared, treat them as read-only.
Any test can import this module (tests/ is on the import path); tests/conftest.py
builds its ``networks_ref`` and ``lpips_alex`` fixtures from it.
"""
import copy
import functools

import torch

from fastgan.networks import LPIPS, FIDInceptionV3
from fastgan.networks.weights import load_seeded


def relative_error(got, want):
    """max |got - want| / max |want|: the error measure the reference tolerances use."""
    return float((got.double() - want.double()).abs().max() / want.double().abs().max())


@functools.lru_cache(maxsize=None)
def reference_outputs(path):
    return torch.load(str(path), weights_only=True)


@functools.lru_cache(maxsize=None)
def seeded_inception(resize="bilinear"):
    """FID Inception with the seeded weights (as the reference was computed)."""
    if resize == "bilinear":
        return load_seeded(FIDInceptionV3(weights=None))
    net = copy.deepcopy(seeded_inception())  # copying is much cheaper than seeding again
    net.resize = resize
    return net


def seeded_lpips(net, linear_weights):
    """LPIPS with a seeded backbone and the given (real v0.1) linear layers."""
    lp = LPIPS(net, pretrained=False, linear_weights=linear_weights)
    load_seeded(lp.backbone)
    return lp
