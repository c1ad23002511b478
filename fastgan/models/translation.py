"""What the image-to-image families share: held-out metrics and input | output | target pictures.

Metrics compare translations of held-out inputs with the held-out images of the target
domain, in the feature space of that domain's digit classifier for the built-in sets
(fastgan.data.domain_classifier), else of 8x8 grey thumbnails (crude, network-free):
FID, L1 to aligned targets, and label accuracy of the translations under the target
domain's classifier (the source image's label should survive the translation).
Translators that take a latent code z (BicycleGAN, Pix2Pix with noise) draw it per call
(`latent_code`), show several outputs per input (`multimodal_rows`) and report the
diversity of their outputs (fastgan.models.diversity).
"""
import torch
import torch.nn.functional as F

from ..data.domain_classifier import domain_classifier, features, predict
from ..metrics import fid_from_features

PICTURE_COLUMNS = 8
PICTURE_OUTPUTS = 4  # output rows (one z each) of a stochastic translator's picture


@torch.no_grad()
def translated(fn, x, device, batch_size=500):
    """fn applied to x in batches on `device`; outputs on the CPU."""
    return torch.cat([fn(b.to(device)).float().cpu() for b in x.split(batch_size)])


def domain_features(data, domain, images):
    """[N, D] features of `images` of `domain` ("a"/"b"): its classifier's, or grey 8x8 thumbnails."""
    clf = domain_classifier(data, domain)
    if clf is not None:
        return features(clf, images)
    return F.adaptive_avg_pool2d(images.float().cpu().mean(1, keepdim=True), 8).flatten(1)


def translation_scores(data, domain, outputs, real, labels=None, targets=None, prefix=""):
    """{prefix+"fid", prefix+"label_accuracy", prefix+"l1"} of `outputs` translated into `domain`.

    Args:
        data: the DataSource (for the domain's classifier).
        domain: "a" or "b", the domain the outputs should belong to.
        outputs: [N, C, S, S] translations of held-out inputs.
        real: held-out images of that domain (the FID reference).
        labels: [N] labels of the source images (label accuracy), or None.
        targets: [N, ...] aligned true translations (mean absolute error per pixel), or None.
    """
    out = {prefix + "fid": float(fid_from_features(domain_features(data, domain, real),
                                                   domain_features(data, domain, outputs)))}
    clf = domain_classifier(data, domain)
    if clf is not None and labels is not None:
        out[prefix + "label_accuracy"] = float((predict(clf, outputs) == labels.cpu()).float().mean())
    if targets is not None:
        out[prefix + "l1"] = float((outputs - targets.float().cpu()).abs().mean())
    return out


def rows(*groups):
    """Images of several [n, C, S, S] groups as one grid, a group per row, grey made RGB where mixed."""
    channels = max(g.shape[1] for g in groups)
    groups = [g.float().cpu().expand(-1, channels, -1, -1) for g in groups]
    return torch.cat(groups), len(groups[0])


def latent_code(generator_net, n, generator=None):
    """[n, z_dim] codes z ~ N(0, I) on the network's device (None for a network with z_dim 0).

    Args:
        generator_net: a U-Net (fastgan.layers.UNetGenerator) with a `z_dim` attribute.
        n: number of codes.
        generator: CPU torch.Generator the codes are drawn from (None: the global RNG).
    """
    if not getattr(generator_net, "z_dim", 0):
        return None
    device = next(generator_net.parameters()).device
    return torch.randn(n, generator_net.z_dim, generator=generator).to(device)


def multimodal_rows(generator_net, x, targets, generator, outputs=PICTURE_OUTPUTS):
    """Rows: inputs | `outputs` rows of outputs, one z per row (shared by the row) | targets.

    Args:
        generator_net: a U-Net taking (x, z), with a `z_dim` attribute > 0.
        x, targets: [n, C, S, S] held-out inputs and their targets.
        generator: CPU torch.Generator the row codes are drawn from.
        outputs: output rows.
    Returns:
        (images [(outputs + 2) * n, C, S, S], n per row), as `rows`.
    """
    device = next(generator_net.parameters()).device
    groups = []
    for _ in range(outputs):
        z = latent_code(generator_net, 1, generator)
        groups.append(translated(lambda b, z=z: generator_net(b, z.expand(len(b), -1)), x, device))
    return rows(x, *groups, targets)


def stochastic_scores(generator_net, data, seed=1234):
    """`translation_scores` of outputs for random z, plus their diversity, on held-out pairs.

    Args:
        generator_net: a U-Net taking (x, z) with `z_dim` > 0 (BicycleGAN, Pix2Pix with noise).
        data: a paired DataSource (heldout_x, extra["heldout_target"], heldout_y).
        seed: seeds the codes, so evaluations of one network give one number.
    Returns:
        {"fid", "l1", "label_accuracy" (built-in sets), "diversity": mean LPIPS between outputs
        for one input, "diversity_pretrained": 1.0 with the published LPIPS-VGG, 0.0 with the
        seeded random-weight proxy (fastgan.models.diversity)}.
    """
    from .diversity import lpips_model, output_diversity

    gen = torch.Generator().manual_seed(seed)
    device = next(generator_net.parameters()).device

    def fn(x, generator):
        return generator_net(x.to(device), latent_code(generator_net, len(x), generator))

    targets = data.extra["heldout_target"]
    out = translated(lambda b: fn(b, gen), data.heldout_x, device)
    scores = translation_scores(data, "b", out, targets, labels=data.heldout_y, targets=targets)
    scores["diversity"] = output_diversity(fn, data.heldout_x, gen)
    scores["diversity_pretrained"] = float(lpips_model()[1] == "pretrained")
    return scores


def one_way_translate(family_name):
    """A family's `translate` for a U-Net "generator" that maps inputs to targets one way.

    The returned ``translate(nets, x, generator=None, reverse=False)`` maps x [N, C, S, S] to
    outputs; a U-Net with a latent code gets a new z ~ N(0, I) per image from `generator`.
    """
    def translate(nets, x, generator=None, reverse=False):
        """Inputs [N, C, S, S] -> outputs (one direction only; with a code, a new z per image from `generator`)."""
        if reverse:
            raise ValueError(f"{family_name} translates one way (input -> target); it has no reverse direction")
        G = nets["generator"]
        return G(x, latent_code(G, len(x), generator))

    return translate


def no_prior(family_name):
    """A family's `sample` that refuses: translators have no prior over images to sample from."""
    def sample(nets, n, generator, labels):
        raise ValueError(f"{family_name} has no prior to sample from: translate inputs with `fastgan translate`")

    return sample
