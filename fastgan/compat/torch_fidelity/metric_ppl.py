"""``torch_fidelity.metric_ppl``: Perceptual Path Length of a generator, as torch-fidelity 0.4 computes it.

Every step that shapes the number is torch-fidelity's:

- latents: ``RandomState(rng_seed)`` draws the first ends [N, z_size] from the generator's
  ``z_type`` ("normal": randn; "uniform_0_1": rand; "unit": rand scaled to unit norm), as float32,
  then the second ends, which move a step ``ppl_epsilon`` from the first towards them
  (``ppl_z_interp_mode``: lerp, slerp_any, slerp_unit); then, when
  ``input1_model_num_classes > 0``, the labels ``randint(0, generator.num_classes, N)``.
- images: ``batch_size`` pairs at a time, one generator call on both ends (labels repeated); its
  output as it is (uint8 for the default ``ppl_sample_similarity_dtype``) to LPIPS-VGG16 in
  torch-fidelity's order (``sample_similarity_lpips.py``).
- distances / epsilon² in float32; those below the ``ppl_discard_percentile_lower``-th
  percentile ("lower" rounding) and above the ``ppl_discard_percentile_higher``-th ("higher")
  dropped; NumPy's float32 mean and population std of the rest.

One difference: with only the higher percentile set (lower None), torch-fidelity 0.4 drops
every distance (its mask starts from None) and returns NaN; here only those above it go.
"""
import os

import numpy as np
import torch
from torch import nn

from ...networks.lpips import LPIPS
from .._ppl import INTERPOLATIONS, interpolate, normalize_last_dim, step_distances
from .defaults import DEFAULTS
from .generative_model_base import Z_TYPES, is_generative_model
from .generative_model_modulewrapper import GenerativeModelModuleWrapper
from .sample_similarity_lpips import SampleSimilarityLPIPS

__all__ = ["calculate_ppl", "KEY_METRIC_PPL_RAW", "KEY_METRIC_PPL_MEAN", "KEY_METRIC_PPL_STD"]

KEY_METRIC_PPL_RAW = "perceptual_path_length_raw"
KEY_METRIC_PPL_MEAN = "perceptual_path_length_mean"
KEY_METRIC_PPL_STD = "perceptual_path_length_std"


def calculate_ppl(input_id=1, **kwargs):
    """torch-fidelity's ``calculate_ppl``: PPL of the generator given as ``input{input_id}``.

    Args:
        input_id: 1 or 2, the input slot whose generator and ``input{id}_model_*`` options are used.
        kwargs: ``calculate_metrics``' keywords: ``input1`` (a GenerativeModelBase, torch-fidelity's
            or this package's, or the path of a TorchScript ``.pth`` generator with
            ``input1_model_z_size/z_type/num_classes``), ``input1_model_num_samples`` (pairs),
            ``input1_model_num_classes`` (> 0: conditional), ``ppl_epsilon``, ``ppl_reduction``
            ("mean" or "none"), ``ppl_sample_similarity`` ("lpips-vgg16"; or, as fastgan
            extensions, an ``fastgan.networks.LPIPS("vgg")`` used in its place, or an nn.Module
            called as ``sim(images_a, images_b) -> [B]``), ``ppl_sample_similarity_resize``,
            ``ppl_sample_similarity_dtype``, ``ppl_discard_percentile_lower/higher``,
            ``ppl_z_interp_mode``, ``batch_size``, ``cuda``, ``rng_seed``.
    Returns:
        dict: ``perceptual_path_length_mean`` and ``_std`` (floats); with ``ppl_reduction="none"``
        also ``perceptual_path_length_raw``, the kept distances (float32 NumPy array).
    Raises:
        ValueError: input1 is not a generator, or an option is out of range (named in the message).
    """
    a = {**DEFAULTS, **kwargs}
    if input_id not in (1, 2):
        raise ValueError(f"input_id must be 1 or 2, got {input_id!r}")
    slot = f"input{input_id}"
    model = _generator(a[slot], a, slot)
    num_samples = a[f"{slot}_model_num_samples"]
    conditional = _check(a, model, slot, num_samples)
    device = torch.device("cuda" if a["cuda"] and torch.cuda.is_available() else "cpu")
    if device.type == "cuda":
        model.cuda()  # torch-fidelity moves the generator too
    similarity = _similarity(a, device)
    epsilon = a["ppl_epsilon"]

    rng = np.random.RandomState(a["rng_seed"])
    shape = (num_samples, model.z_size)
    first = _noise(rng, shape, model.z_type)
    second = interpolate(first, _noise(rng, shape, model.z_type), epsilon, a["ppl_z_interp_mode"])
    labels = torch.from_numpy(rng.randint(0, model.num_classes, (num_samples,))) if conditional else None
    distances = step_distances(model, first, second, labels, a["batch_size"], similarity, epsilon, device)
    kept = _discard(distances.cpu().numpy(), a["ppl_discard_percentile_lower"], a["ppl_discard_percentile_higher"])

    out = {KEY_METRIC_PPL_MEAN: float(np.mean(kept)), KEY_METRIC_PPL_STD: float(np.std(kept))}
    if a["ppl_reduction"] == "none":
        out[KEY_METRIC_PPL_RAW] = kept
    return out


def _generator(value, a, slot):
    """`value` as a GenerativeModelBase: as it is, or a TorchScript file wrapped with the slot's options."""
    if is_generative_model(value):
        return value
    hint = (f"ppl needs {slot} to be a generator: a torch_fidelity.GenerativeModelBase (e.g. "
            f"GenerativeModelModuleWrapper(module, z_size, z_type, num_classes), from torch_fidelity or "
            f"fastgan.compat.torch_fidelity) or the path of a TorchScript generator (.pth)")
    if isinstance(value, (str, os.PathLike)):
        path = os.fspath(value)
        if path.endswith(".onnx"):
            raise ValueError(f"{slot}={path!r}: ONNX generators are not supported by this shim (torch-fidelity "
                             f"runs them through onnxruntime); save the generator with torch.jit.save as .pth or "
                             f"pass the module wrapped in GenerativeModelModuleWrapper")
        if not (path.endswith(".pth") and os.path.isfile(path)):
            raise ValueError(f"{hint}; {path!r} is not a .pth file")
        z_size = a[f"{slot}_model_z_size"]
        if type(z_size) is not int or z_size <= 0:
            raise ValueError(f"{slot}={path!r} is a TorchScript generator: pass {slot}_model_z_size, its latent "
                             f"size (a positive int), got {z_size!r}")
        module = torch.jit.load(path, map_location="cpu")
        return GenerativeModelModuleWrapper(module, z_size, a[f"{slot}_model_z_type"],
                                            a[f"{slot}_model_num_classes"])
    raise ValueError(f"{hint}; got {type(value).__name__}")


def _check(a, model, slot, num_samples):
    """torch-fidelity's checks, with messages that name the option; returns whether to condition."""
    classes = a[f"{slot}_model_num_classes"]
    if type(classes) is not int or classes < 0:
        raise ValueError(f"{slot}_model_num_classes must be a non-negative int, got {classes!r}")
    if type(model.num_classes) is not int or model.num_classes < 0:
        raise ValueError(f"{slot}.num_classes must be 0 (unconditional) or positive, got {model.num_classes!r}")
    if classes > 0 and model.num_classes == 0:
        raise ValueError(f"{slot}_model_num_classes={classes} asks for conditional PPL, but {slot}.num_classes is 0")
    if type(model.z_size) is not int or model.z_size <= 0:
        raise ValueError(f"{slot}.z_size must be a positive int (the latent size), got {model.z_size!r}")
    if model.z_type not in Z_TYPES:
        raise ValueError(f"{slot}.z_type={model.z_type!r} is not one of {', '.join(Z_TYPES)}")
    if type(num_samples) is not int or num_samples <= 0:
        raise ValueError(f"ppl needs {slot}_model_num_samples, the number of latent pairs (a positive int), "
                         f"got {num_samples!r}")
    if type(a["batch_size"]) is not int or a["batch_size"] <= 0:
        raise ValueError(f"batch_size must be a positive int, got {a['batch_size']!r}")
    if type(a["ppl_epsilon"]) is not float or not a["ppl_epsilon"] > 0:
        raise ValueError(f"ppl_epsilon must be a small positive float, got {a['ppl_epsilon']!r}")
    if a["ppl_reduction"] not in ("none", "mean"):
        raise ValueError(f"ppl_reduction must be 'none' or 'mean', got {a['ppl_reduction']!r}")
    if a["ppl_z_interp_mode"] not in INTERPOLATIONS:
        raise ValueError(f"ppl_z_interp_mode must be one of {', '.join(INTERPOLATIONS)}, "
                         f"got {a['ppl_z_interp_mode']!r}")
    lower, higher = a["ppl_discard_percentile_lower"], a["ppl_discard_percentile_higher"]
    for name, p in (("lower", lower), ("higher", higher)):
        if p is not None and not (isinstance(p, (int, float)) and 0 < p < 100):
            raise ValueError(f"ppl_discard_percentile_{name} must be None or a percentile in (0, 100), got {p!r}")
    if lower is not None and higher is not None and not lower < higher:
        raise ValueError(f"ppl_discard_percentile_lower ({lower}) must be below ppl_discard_percentile_higher "
                         f"({higher})")
    return classes > 0


def _similarity(a, device):
    spec = a["ppl_sample_similarity"]
    options = dict(sample_similarity_resize=a["ppl_sample_similarity_resize"],
                   sample_similarity_dtype=a["ppl_sample_similarity_dtype"])
    if isinstance(spec, LPIPS):
        return SampleSimilarityLPIPS(spec, **options).to(device)
    if isinstance(spec, nn.Module):
        return spec.eval().to(device)
    if spec == "lpips-vgg16":
        return SampleSimilarityLPIPS(None, device=device, **options)
    raise ValueError(f"ppl_sample_similarity={spec!r} is not supported: use 'lpips-vgg16' (torch-fidelity's), an "
                     f"fastgan.networks.LPIPS('vgg') with the weights you want, or an nn.Module called as "
                     f"sim(images_a, images_b) -> [B]")


def _noise(rng, shape, z_type):
    """torch-fidelity's noise sources: float64 NumPy draws, as float32 tensors."""
    if z_type == "normal":
        return torch.from_numpy(rng.randn(*shape)).float()
    z = torch.from_numpy(rng.rand(*shape)).float()
    return normalize_last_dim(z) if z_type == "unit" else z


def _discard(distances, lower, higher):
    """The distances within torch-fidelity's percentiles ("lower" / "higher" rounding), in order."""
    keep = np.ones(distances.shape, dtype=bool)
    if lower is not None:
        keep &= np.percentile(distances, lower, method="lower") <= distances
    if higher is not None:
        keep &= distances <= np.percentile(distances, higher, method="higher")
    return distances[keep]
