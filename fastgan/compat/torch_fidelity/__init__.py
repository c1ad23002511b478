"""Drop-in replacement for ``torch_fidelity.calculate_metrics`` (torch-fidelity 0.4).

    from fastgan.compat.torch_fidelity import calculate_metrics
    scores = calculate_metrics(input1="samples/", input2="data/real", fid=True, isc=True, kid=True)

Same keyword arguments, defaults and result keys, and torch-fidelity's numbers, because every
step that shapes them is torch-fidelity's:

- Inception input: uint8 pixels cast to float, resized to 299x299 with torch-fidelity's
  TF1-compatible bilinear interpolation (``fastgan.networks.resize.resize_tf1_bilinear``,
  bit-identical), mapped by ``(x - 128) / 128``; features ``2048`` (pool3) and
  ``logits_unbiased`` (fc without its bias) of the FID Inception weights.
- IS: logits of ``input1`` permuted by ``RandomState(rng_seed).permutation(N)`` (when
  ``samples_shuffle``), then split as ``i*N//splits``; mean and population std.
- FID: mean in float32 and ``np.cov`` (float64) of the float32 features, as torch-fidelity
  computes its statistics, then ``fastgan.metrics.frechet_distance``.
- KID: ``RandomState(rng_seed)`` draws a subset of ``input1`` (the generated set) and then one of
  ``input2``, per subset; unbiased MMD² with the polynomial kernel; mean and population std.

PPL (``ppl=True``) is torch-fidelity's estimator on the generator ``input1`` (``metric_ppl.py``).

``input1`` is the generated set (the Inception Score is computed on it), ``input2`` the
reference. ``feature_extractor_weights_path`` loads a local weights file (torch-fidelity's or
pytorch-fid's ``*-2015-12-05-6726825d.pth``, same keys), which works offline; without it the
published FID Inception weights are used (``fastgan.networks.weights``: cached, or a clear error
saying where to put the file). Precision/recall (``prc``) use fastgan's exact k-NN on the
Inception pool3 features (torch-fidelity uses VGG16 fc2 features there) with
k = ``prc_neighborhood``; ``f_score`` is their harmonic mean.
"""
import sys
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ...evaluation import Extractor, load_features
from ...metrics.fid import frechet_distance
from ...metrics.inception_score import inception_score
from ...metrics.kid import kid
from ...metrics.prdc import prdc
from ...networks.inception import FIDInceptionV3
from ...networks.preprocessing import tf_pixel_mapping, to_pixel_float
from ...networks.resize import resize_tf1_bilinear
from .defaults import DEFAULTS, DEPRECATED
from .generative_model_base import GenerativeModelBase
from .generative_model_modulewrapper import GenerativeModelModuleWrapper
from .metric_ppl import KEY_METRIC_PPL_MEAN, KEY_METRIC_PPL_RAW, KEY_METRIC_PPL_STD, calculate_ppl
from .sample_similarity_lpips import SampleSimilarityLPIPS

__all__ = ["calculate_metrics", "calculate_ppl", "TorchFidelityInceptionV3", "GenerativeModelBase",
           "GenerativeModelModuleWrapper", "SampleSimilarityLPIPS", "KEY_METRIC_ISC_MEAN", "KEY_METRIC_ISC_STD",
           "KEY_METRIC_FID", "KEY_METRIC_KID_MEAN", "KEY_METRIC_KID_STD", "KEY_METRIC_PRECISION",
           "KEY_METRIC_RECALL", "KEY_METRIC_F_SCORE", "KEY_METRIC_PPL_MEAN", "KEY_METRIC_PPL_STD",
           "KEY_METRIC_PPL_RAW"]

KEY_METRIC_ISC_MEAN = "inception_score_mean"
KEY_METRIC_ISC_STD = "inception_score_std"
KEY_METRIC_FID = "frechet_inception_distance"
KEY_METRIC_KID_MEAN = "kernel_inception_distance_mean"
KEY_METRIC_KID_STD = "kernel_inception_distance_std"
KEY_METRIC_PRECISION = "precision"
KEY_METRIC_RECALL = "recall"
KEY_METRIC_F_SCORE = "f_score"

_INCEPTION_NAMES = (None, "inception-v3-compat")
_LAYERS = {"isc": "logits_unbiased", "fid": "2048", "kid": "2048", "prc": "2048"}


def calculate_metrics(**kwargs):
    """torch-fidelity's ``calculate_metrics``: a dict of the requested metrics.

    Keyword args (torch-fidelity 0.4's names and defaults; the ones that only steer its
    bookkeeping, such as ``save_cpu_ram`` or ``prc_batch_size``, are accepted and have no effect):
        input1: the generated set: a folder, uint8 images [N,3,H,W], a Dataset of uint8 [3,H,W]
            tensors, or a generator module (with ``input1_model_z_size`` and
            ``input1_model_num_samples``). For ppl: a GenerativeModelBase (torch-fidelity's or
            this package's ``GenerativeModelModuleWrapper``) or a TorchScript ``.pth`` generator.
        input2: the reference set (same kinds; a fastgan ``.npz`` of statistics for FID alone).
        isc, fid, kid, prc, ppl: which metrics.
        cuda: run on CUDA when available. batch_size: images per pass.
        feature_extractor: None or "inception-v3-compat" (torch-fidelity's Inception), or, as a
            fastgan extension, an nn.Module/callable accepted by fastgan.evaluate.
        feature_extractor_weights_path: a local Inception weights file (offline use).
        feature_extractor_internal_dtype: "float32" (default) or "float64".
        isc_splits, samples_shuffle, kid_subsets, kid_subset_size, kid_kernel ("poly"),
        kid_kernel_poly_degree/gamma/coef0, prc_neighborhood, rng_seed, verbose, cache, cache_root.
        ppl_epsilon, ppl_reduction, ppl_sample_similarity, ppl_sample_similarity_resize,
        ppl_sample_similarity_dtype, ppl_discard_percentile_lower/higher, ppl_z_interp_mode,
        input1_model_num_samples/num_classes: as torch-fidelity (see ``metric_ppl.calculate_ppl``).
    Returns:
        dict with the keys torch-fidelity returns for the metrics asked, values Python floats:
        ``inception_score_mean/std``, ``frechet_inception_distance``,
        ``kernel_inception_distance_mean/std``, ``precision``, ``recall``, ``f_score``,
        ``perceptual_path_length_mean/std`` (and ``perceptual_path_length_raw``, a NumPy array, with
        ``ppl_reduction="none"``).
    Raises:
        TypeError for unknown arguments; ValueError for unsupported options (named) or missing
        inputs.
    """
    kwargs = dict(kwargs)
    for old, new in DEPRECATED.items():
        if old in kwargs:
            warnings.warn(f"calculate_metrics: {old} is deprecated since torch-fidelity 0.4.0, use {new}",
                          FutureWarning, stacklevel=2)
            kwargs.setdefault(new, kwargs.pop(old))
            kwargs.pop(old, None)
    unknown = set(kwargs) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"calculate_metrics got unsupported arguments {sorted(unknown)}")
    a = {**DEFAULTS, **kwargs}
    _check_options(a)
    out = {}
    if a["isc"] or a["fid"] or a["kid"] or a["prc"]:
        out.update(_feature_metrics(a))
    if a["ppl"]:  # last, as torch-fidelity computes it
        out.update(calculate_ppl(1, **a))
    if a["verbose"]:  # torch-fidelity reports on stderr
        for key, value in out.items():
            if isinstance(value, float):
                print(f"{key}: {value:.7g}", file=sys.stderr)
    return out


def _feature_metrics(a):
    """IS, FID, KID and precision/recall, from the features of input1 (and input2)."""
    device = "cuda" if a["cuda"] and torch.cuda.is_available() else "cpu"
    extractor = _extractor(a, device)
    options = dict(batch_size=a["batch_size"], verbose=a["verbose"], latent_dim=a["input1_model_z_size"],
                   seed=a["rng_seed"])
    fake = load_features(a["input1"], "input1", extractor, cache=False, need_logits=a["isc"],
                         num_samples=a["input1_model_num_samples"], **options)
    real = None
    if a["fid"] or a["kid"] or a["prc"]:
        options["latent_dim"] = a["input2_model_z_size"]
        real = load_features(a["input2"], "input2", extractor, cache=a["cache"], cache_dir=a["cache_root"],
                             num_samples=a["input2_model_num_samples"], **options)
    out = {}
    if a["isc"]:
        out.update(_isc(fake, a["isc_splits"], a["samples_shuffle"], a["rng_seed"]))
    if a["fid"]:
        mu1, sigma1 = _fid_statistics(fake)
        mu2, sigma2 = _fid_statistics(real)
        out[KEY_METRIC_FID] = float(frechet_distance(mu1, sigma1, mu2, sigma2))
    if a["kid"]:
        f1, f2 = _features(fake, "KID"), _features(real, "KID")
        size = a["kid_subset_size"]
        if min(f1.shape[0], f2.shape[0]) < size:
            raise ValueError(f"KID subset size {size} is larger than the number of samples (input1: {f1.shape[0]}, "
                             f"input2: {f2.shape[0]}); pass kid_subset_size=<smaller>")
        # torch-fidelity draws input1's subset first, then input2's, from one RandomState.
        mean, std = kid(f1, f2, subsets=a["kid_subsets"], subset_size=size, degree=a["kid_kernel_poly_degree"],
                        gamma=a["kid_kernel_poly_gamma"], coef0=float(a["kid_kernel_poly_coef0"]),
                        seed=a["rng_seed"])
        out[KEY_METRIC_KID_MEAN], out[KEY_METRIC_KID_STD] = mean, std
    if a["prc"]:
        scores = prdc(_features(real, "precision/recall"), _features(fake, "precision/recall"),
                      nearest_k=a["prc_neighborhood"])
        p, r = float(scores["precision"]), float(scores["recall"])
        out.update({KEY_METRIC_PRECISION: p, KEY_METRIC_RECALL: r,
                    KEY_METRIC_F_SCORE: 2 * p * r / (p + r) if p + r > 0 else 0.0})
    return out


class TorchFidelityInceptionV3(nn.Module):
    """torch-fidelity's ``inception-v3-compat`` feature extractor on fastgan's FID Inception.

    Args:
        weights: a weights file (``feature_extractor_weights_path``), a state dict, or
            "pytorch-fid" (the published FID Inception weights, which torch-fidelity's default
            file also holds).
        dtype: torch.float32 (default) or torch.float64 (``feature_extractor_internal_dtype``).
        feature: 2048 (pool3 and the logits), or 64, 192 or 768: torch-fidelity's features of
            those names, the average-pooled output of the stem, of the second stem block and of
            Mixed_6e (what torchmetrics' FID with ``feature=64/192/768`` uses).

    ``net(images)`` takes uint8 images [N,3,H,W] (or floats in [0,1], taken as pixels x 255) and
    returns a dict: ``pool3`` [N,2048] and ``logits_unbiased`` / ``logits`` [N,1008], float32,
    computed as torch-fidelity does (TF1 bilinear resize of the 0..255 pixels to 299x299, then
    ``(x - 128) / 128``); for a block feature, ``features`` [N, feature].
    """

    # The layers run before each of torch-fidelity's block features, in order ("pool": 3x3/2 max pool).
    _STAGES = {64: ("Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "pool"),
               192: ("Conv2d_3b_1x1", "Conv2d_4a_3x3", "pool"),
               768: ("Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e")}

    def __init__(self, weights="pytorch-fid", dtype=torch.float32, feature=2048):
        super().__init__()
        if dtype not in (torch.float32, torch.float64):
            raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
        if feature not in (64, 192, 768, 2048):
            raise ValueError(f"feature must be 64, 192, 768 or 2048, got {feature!r}")
        self.feature = feature
        self.inception = FIDInceptionV3(weights=weights, resize=None).to(dtype)

    def forward(self, images):
        param = self.inception.fc.weight
        x = to_pixel_float(images, "images", device=param.device, dtype=param.dtype)
        x = tf_pixel_mapping(resize_tf1_bilinear(x, 299))
        if self.feature != 2048:
            return {"features": self._block_features(x).float()}
        pool3 = self.inception.pool3(x)
        logits_unbiased = pool3.mm(param.t())
        logits = logits_unbiased + self.inception.fc.bias.unsqueeze(0)
        return {"pool3": pool3.float(), "logits_unbiased": logits_unbiased.float(), "logits": logits.float()}

    def _block_features(self, x):
        for dims, stage in self._STAGES.items():
            for name in stage:
                x = F.max_pool2d(x, kernel_size=3, stride=2) if name == "pool" else getattr(self.inception, name)(x)
            if dims == self.feature:
                return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        raise AssertionError("unreachable: feature is checked in __init__")


def _check_options(a):
    """The feature metrics' options (ppl's are checked by calculate_ppl)."""
    if not (a["isc"] or a["fid"] or a["kid"] or a["prc"] or a["ppl"]):
        raise ValueError("no metric requested: pass isc=True, fid=True, kid=True, prc=True or ppl=True")
    if a["input1"] is None:
        raise ValueError("input1 (the generated set) is required")
    if not (a["isc"] or a["fid"] or a["kid"] or a["prc"]):
        return
    if (a["fid"] or a["kid"] or a["prc"]) and a["input2"] is None:
        raise ValueError("fid, kid and prc need input2 (the reference set)")
    for metric, layer in _LAYERS.items():
        value = a[f"feature_layer_{metric}"]
        if value is not None and value != layer:
            raise ValueError(f"feature_layer_{metric}={value!r} is not supported; only {layer!r}")
    if a["kid_kernel"] != "poly":
        raise ValueError(f"kid_kernel={a['kid_kernel']!r} is not supported; only 'poly'")
    for key in ("input1_model_z_type", "input2_model_z_type"):
        if a[key] != "normal":
            raise ValueError(f"{key}={a[key]!r} is not supported; only 'normal'")
    for key in ("input1_model_num_classes", "input2_model_num_classes"):
        if a[key]:
            raise ValueError(f"{key}={a[key]!r}: conditional generators are not supported by this shim")
    if a["samples_resize_and_crop"]:
        raise ValueError("samples_resize_and_crop is not supported; resize the images before evaluating")
    if a["feature_extractor_internal_dtype"] not in (None, "float32", "float64"):
        raise ValueError(f"feature_extractor_internal_dtype must be 'float32' or 'float64', "
                         f"got {a['feature_extractor_internal_dtype']!r}")
    if a["feature_extractor"] not in _INCEPTION_NAMES and isinstance(a["feature_extractor"], str):
        raise ValueError(f"feature_extractor={a['feature_extractor']!r} is not supported; use None or "
                         f"'inception-v3-compat' (or pass an nn.Module)")


def _extractor(a, device):
    spec = a["feature_extractor"]
    if spec in _INCEPTION_NAMES:
        weights = a["feature_extractor_weights_path"] or "pytorch-fid"
        dtype = torch.float64 if a["feature_extractor_internal_dtype"] == "float64" else torch.float32
        return Extractor(TorchFidelityInceptionV3(weights=weights, dtype=dtype), device=device)
    if a["feature_extractor_weights_path"] is not None:
        raise ValueError("feature_extractor_weights_path applies to the default Inception, not to a custom "
                         "feature_extractor module")
    return Extractor(spec)


def _features(feature_set, metric):
    if feature_set.features is None:
        raise ValueError(f"{metric} needs the features of {feature_set.name}, but it was given as statistics only")
    return feature_set.features


def _isc(feature_set, splits, shuffle, seed):
    logits = feature_set.logits
    if logits is None:
        raise ValueError("isc needs classifier logits of input1; give images (the feature extractor must return "
                         "'logits_unbiased' or 'logits')")
    if shuffle:
        order = np.random.RandomState(seed).permutation(logits.shape[0])
        logits = logits[torch.from_numpy(order)]
    mean, std = inception_score(logits, splits=splits)
    return {KEY_METRIC_ISC_MEAN: mean, KEY_METRIC_ISC_STD: std}


def _fid_statistics(feature_set):
    """(mu, sigma) as torch-fidelity computes them: np.mean of float32 features (a float32 mean)
    and np.cov (float64); statistics files are used as they are."""
    if feature_set.features is None:
        stats = feature_set.fid_stats()
        return stats.mean, stats.cov
    features = feature_set.features.cpu().numpy()
    return np.mean(features, axis=0), np.cov(features, rowvar=False)
