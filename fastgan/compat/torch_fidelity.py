"""Drop-in replacement for ``torch_fidelity.calculate_metrics``, over fastgan.evaluate.

    from fastgan.compat.torch_fidelity import calculate_metrics
    scores = calculate_metrics(input1="samples/", input2="data/real", fid=True, isc=True, kid=True)

Same keyword arguments (the main ones) and result keys. torch-fidelity's convention holds:
``input1`` is the generated set (the Inception Score is computed on it), ``input2`` the
reference. KID subsets and the IS shuffle use torch-fidelity's RandomState(rng_seed) sampling.
Precision/recall (``prc``) use fastgan's exact k-NN on the same features as FID (torch-fidelity
uses VGG16 fc2 features there), with k = ``prc_neighborhood``; ``f_score`` is their harmonic mean.
"""
import torch

from ..evaluate import Extractor, compute_metrics, load_features

__all__ = ["calculate_metrics"]

_DEFAULTS = dict(
    input1=None, input2=None, cuda=True, batch_size=64, isc=False, fid=False, kid=False, prc=False, ppl=False,
    feature_extractor=None, feature_layer_isc="logits_unbiased", feature_layer_fid="2048",
    feature_layer_kid="2048", isc_splits=10, kid_subsets=100, kid_subset_size=1000, kid_degree=3,
    kid_gamma=None, kid_coef0=1, prc_neighborhood=3, prc_batch_size=10000, verbose=True, cache=True,
    cache_root=None, rng_seed=2020, samples_shuffle=True, samples_find_deep=False, save_cpu_ram=False,
    input1_model_z_type="normal", input1_model_z_size=None, input1_model_num_samples=None,
    input1_cache_name=None, input2_cache_name=None, datasets_root=None, datasets_download=True,
)
# Accepted for compatibility; they change torch-fidelity's bookkeeping, not the numbers.
_IGNORED = {"prc_batch_size", "save_cpu_ram", "datasets_root", "datasets_download", "input1_cache_name",
            "input2_cache_name", "samples_find_deep"}


def calculate_metrics(**kwargs):
    """torch-fidelity's ``calculate_metrics``: a dict of the requested metrics.

    Keyword args (torch-fidelity's names and defaults):
        input1: the generated set: a folder, images [N,3,H,W] (uint8), a Dataset, or a generator
            (with ``input1_model_z_size`` and ``input1_model_num_samples``).
        input2: the reference set (folder, images, Dataset, .npz statistics for FID).
        isc, fid, kid, prc: which metrics. ppl is not supported here (use
            fastgan.metrics.perceptual_path_length).
        cuda: run on CUDA when available. batch_size: images per pass.
        isc_splits, kid_subsets, kid_subset_size, kid_degree, kid_gamma, kid_coef0,
        prc_neighborhood, rng_seed, samples_shuffle (IS shuffle), verbose, cache, cache_root.
        feature_extractor: None (FID Inception) or, as a fastgan extension, an nn.Module/callable
            accepted by fastgan.evaluate.
    Returns:
        dict with ``inception_score_mean/std``, ``frechet_inception_distance``,
        ``kernel_inception_distance_mean/std``, ``precision``, ``recall``, ``f_score`` for the
        metrics asked.
    """
    unknown = set(kwargs) - set(_DEFAULTS)
    if unknown:
        raise TypeError(f"calculate_metrics got unsupported arguments {sorted(unknown)}")
    a = {**_DEFAULTS, **kwargs}
    if a["ppl"]:
        raise ValueError("ppl=True is not supported by this shim; use fastgan.metrics.perceptual_path_length")
    if not (a["isc"] or a["fid"] or a["kid"] or a["prc"]):
        raise ValueError("no metric requested: pass isc=True, fid=True, kid=True or prc=True")
    if a["input1"] is None:
        raise ValueError("input1 (the generated set) is required")
    two_sided = a["fid"] or a["kid"] or a["prc"]
    if two_sided and a["input2"] is None:
        raise ValueError("fid, kid and prc need input2 (the reference set)")
    for key, default in (("feature_layer_isc", "logits_unbiased"), ("feature_layer_fid", "2048"),
                         ("feature_layer_kid", "2048")):
        if a[key] != default:
            raise ValueError(f"{key}={a[key]!r} is not supported; only {default!r}")
    if a["kid_degree"] != 3 or a["kid_gamma"] is not None or a["kid_coef0"] != 1:
        raise ValueError("only KID's default kernel (degree 3, gamma None, coef0 1) is supported")
    device = "cuda" if a["cuda"] and torch.cuda.is_available() else "cpu"
    spec = a["feature_extractor"] if a["feature_extractor"] is not None else "inception"
    extractor = Extractor(spec, device=device if spec == "inception" else None)
    options = dict(batch_size=a["batch_size"], verbose=a["verbose"], latent_dim=a["input1_model_z_size"],
                   seed=a["rng_seed"])
    if a["input1_model_z_type"] != "normal":
        raise ValueError("only input1_model_z_type='normal' is supported")
    fake = load_features(a["input1"], "input1", extractor, cache=False, need_logits=a["isc"],
                         num_samples=a["input1_model_num_samples"], **options)
    real = None
    if two_sided:
        real = load_features(a["input2"], "input2", extractor, cache=a["cache"], cache_dir=a["cache_root"],
                             **options)
    wanted = {name for name, flag in (("is", a["isc"]), ("fid", a["fid"]), ("kid", a["kid"]), ("prdc", a["prc"]))
              if flag}
    out = compute_metrics(real, fake, wanted, kid_subsets=a["kid_subsets"], kid_subset_size=a["kid_subset_size"],
                          is_splits=a["isc_splits"], is_shuffle_seed=a["rng_seed"] if a["samples_shuffle"] else None,
                          prdc_k=a["prc_neighborhood"], verbose=False, kid_seed=a["rng_seed"])
    if a["prc"]:
        p, r = out.pop("precision"), out.pop("recall")
        out.pop("density"), out.pop("coverage")
        out.update(precision=p, recall=r, f_score=2 * p * r / (p + r) if p + r > 0 else 0.0)
    return out
