"""AuthPct (Alaa et al., "How faithful is your synthetic data?", as dgm-eval computes it).

A generated sample g is *authentic* when its nearest training sample t is closer to
its own nearest other training sample than to g: d(t, NN_train(t)) < d(g, t). AuthPct
is the percentage of authentic generated samples; a memorising model copies training
images and scores low. Both nearest-neighbour searches are exact k-NN on the tile
engine (fastgan.ops.knn / knn_radii), never an N x M distance matrix; ties in the
nearest training sample go to the lower index, as torch's argmin does.
"""
import torch

from ..ops.knn import knn, knn_radii
from ._features import feature_pair


@torch.no_grad()
def authpct(train, fake, return_per_sample=False, impl="auto"):
    """Percentage of generated samples that are not closer to a training sample than its neighbours are.

    Args:
        train: [N, D] training-set features (N >= 2), NumPy or torch.
        fake: [M, D] generated features, same D and device.
        return_per_sample: also return the per-sample details.
        impl: "auto", "compiled" or "reference" (of the k-NN ops).

    Returns:
        float in [0, 100]; with return_per_sample, (authpct, dict) where the dict holds
        "nearest_train_distance" [M] (each generated sample's distance to its nearest
        training sample, the memorisation signal), "nearest_train_index" [M] int64 and
        "authentic" [M] bool.
    """
    t, g = feature_pair(train, "train", fake, "fake", min_rows=1)
    if t.shape[0] < 2:
        raise ValueError(f"train has {t.shape[0]} sample(s); AuthPct needs at least 2 (a nearest other one)")
    distance, index = knn(g, t, 1, impl=impl)
    distance, index = distance[:, 0], index[:, 0]
    train_radius = knn_radii(t, 1, impl=impl)
    authentic = train_radius[index] < distance
    value = 100.0 * float(authentic.double().mean())
    if not return_per_sample:
        return value
    return value, {"nearest_train_distance": distance, "nearest_train_index": index, "authentic": authentic}
