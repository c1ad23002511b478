"""What the image-to-image families share: held-out metrics and input | output | target pictures.

Metrics compare translations of held-out inputs with the held-out images of the target
domain, in the feature space of that domain's digit classifier for the built-in sets
(fastgan.data.domain_classifier), else of 8x8 grey thumbnails (crude, network-free):
FID, L1 to aligned targets, and label accuracy of the translations under the target
domain's classifier (the source image's label should survive the translation).
"""
import torch
import torch.nn.functional as F

from ..data.domain_classifier import domain_classifier, features, predict
from ..metrics import fid_from_features

PICTURE_COLUMNS = 8


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
