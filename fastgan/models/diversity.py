"""Diversity of a stochastic translator: mean LPIPS between its outputs for one input (BicycleGAN's measure).

Zhu et al. (2017) draw several outputs per held-out input with different latent codes and
average the LPIPS distance over pairs of them: 0 for a translator that ignores its noise,
larger for one whose outputs vary. LPIPS-VGG's published weights (torchvision's VGG16 and
the lpips v0.1 linear layers) are used when both are on this machine already; nothing is
downloaded during training. Otherwise the distance is a *proxy*: the same LPIPS-VGG with
seeded random weights (fastgan.networks.weights.load_seeded), as the PPL evidence uses;
`lpips_model()` says which. Grey images are repeated to three channels.
"""
import functools

import torch

DIVERSITY_INPUTS = 100  # held-out inputs per measurement
DIVERSITY_PAIRS = 2  # pairs of outputs per input (independent z per output)


def output_diversity(fn, x, generator, inputs=DIVERSITY_INPUTS, pairs=DIVERSITY_PAIRS, batch_size=200):
    """Mean LPIPS distance between pairs of outputs for the same input and different z.

    Args:
        fn: ``fn(x, generator) -> outputs``: the translator; it draws its own z from `generator`
            (a CPU torch.Generator) for each call, on the device of its networks.
        x: held-out inputs [N, C, S, S] (the first `inputs` are used).
        generator: seeds the latent codes (the same codes for the same seed).
        inputs: inputs measured.
        pairs: output pairs per input.
        batch_size: inputs per call of `fn`.

    Returns:
        float: the mean distance over inputs x pairs (0 when every output is the same).
    """
    model, _ = lpips_model()
    x = x[:inputs]
    total, count = 0.0, 0
    with torch.no_grad():
        for _ in range(pairs):
            for b in x.split(batch_size):
                a, c = fn(b, generator).float().cpu(), fn(b, generator).float().cpu()
                d = model(_rgb(a).clamp(-1, 1), _rgb(c).clamp(-1, 1))
                total, count = total + float(d.double().sum()), count + len(d)
    return total / count


@functools.lru_cache(maxsize=1)
def lpips_model():
    """(the LPIPS-VGG module on the CPU, "pretrained" or "proxy"): the published weights only when cached."""
    from ..networks import LPIPS
    from ..networks.weights import WeightsNotFoundError, load_seeded, weights_path

    try:
        for name in ("torchvision-vgg16", "lpips-v0.1-vgg"):
            weights_path(name, download=False)  # raises unless the file is already here
        return LPIPS("vgg"), "pretrained"
    except WeightsNotFoundError:
        return load_seeded(LPIPS("vgg", pretrained=False)), "proxy"


def _rgb(images):
    """[N, 1 or 3, S, S] -> [N, 3, S, S]."""
    return images.expand(-1, 3, -1, -1) if images.shape[1] == 1 else images
