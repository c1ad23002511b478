"""calculate_metrics(ppl=True) against torch-fidelity 0.4's own calculate_metrics, same seeded LPIPS-VGG.

torch-fidelity's package imports torchvision (not installable here): it runs under a stand-in
torchvision (tests/compat/anchors.py) whose ``models.vgg16`` returns the seeded VGG16 features, and
its LPIPS linear layers come from a patched ``load_state_dict_from_url``: the weights of the
``fastgan.networks.LPIPS("vgg")`` the shim is given. Everything else (RNG, interpolation, the
generator calls, its LPIPS code, percentiles, reduction) is torch-fidelity's code running for real.
"""
import copy
import importlib

import numpy as np
import pytest
import torch
from torch import nn

from anchors import anchor_modules, run_package_init, torchvision_stub
from fastgan.compat import _ppl
from fastgan.compat.torch_fidelity import GenerativeModelModuleWrapper, calculate_metrics
from fastgan.networks import LPIPS
from fastgan.networks.weights import load_seeded


class Generator(nn.Module):
    """z [B, 8] (+ labels) -> images [B, 3, size, size] in 0..255, float32 or rounded to uint8."""

    def __init__(self, size, dtype, num_classes=0):
        super().__init__()
        torch.manual_seed(3)
        self.lin = nn.Linear(8 + num_classes, 3 * size * size)
        self.size, self.dtype, self.num_classes = size, dtype, num_classes

    def forward(self, z, labels=None):
        if self.num_classes:
            z = torch.cat([z, nn.functional.one_hot(labels, self.num_classes).float()], 1)
        x = (255 * torch.sigmoid(self.lin(z))).view(-1, 3, self.size, self.size)
        return x.round().to(torch.uint8) if self.dtype == torch.uint8 else x


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Small convolutions on a busy 2-core machine: one thread is faster."""


@pytest.fixture(scope="module")
def lpips_vgg():
    return load_seeded(LPIPS("vgg", pretrained=False))


@pytest.fixture
def tfid(lpips_vgg, monkeypatch):
    """torch-fidelity's package, its LPIPS-VGG16 built from (a copy of) `lpips_vgg`'s weights.

    torch-fidelity 0.4 calls ``np.percentile(..., interpolation=...)``, a keyword NumPy 2.4
    removed; its metric_ppl gets a NumPy whose percentile maps it to ``method=``.
    """
    features = copy.deepcopy(lpips_vgg.backbone.features)
    lins = {f"lin{i}.model.1.weight": lin.weight.clone() for i, lin in enumerate(lpips_vgg.lins)}
    with anchor_modules("torch_fidelity", torchvision_stub(lambda: _with_features(features))) as load:
        package = run_package_init("torch_fidelity")
        monkeypatch.setattr(load("sample_similarity_lpips"), "load_state_dict_from_url", lambda *a, **k: lins)
        monkeypatch.setattr(load("metric_ppl"), "np", _NumPyWithInterpolation())
        yield package


class _NumPyWithInterpolation:
    def __getattr__(self, name):
        return getattr(np, name)

    @staticmethod
    def percentile(a, q, interpolation="linear", **kwargs):
        return np.percentile(a, q, method=interpolation, **kwargs)


def _with_features(features):
    vgg = nn.Module()
    vgg.features = features
    return vgg


def _both(tfid, lpips_vgg, model, ours=None, **options):
    """(shim, torch-fidelity) results for `model` (`ours`, when given, goes to the shim instead)."""
    args = dict(ppl=True, cuda=False, verbose=False, **options)
    want = tfid.calculate_metrics(input1=model, **args)
    got = calculate_metrics(input1=model if ours is None else ours, ppl_sample_similarity=lpips_vgg, **args)
    return got, want


def _assert_agree(got, want, rel=1e-6):
    assert set(got) == set(want)
    for key in ("perceptual_path_length_mean", "perceptual_path_length_std"):
        assert type(got[key]) is float and got[key] == pytest.approx(want[key], rel=rel, abs=0), key
    if "perceptual_path_length_raw" in want:
        g, w = got["perceptual_path_length_raw"], want["perceptual_path_length_raw"]
        assert g.dtype == w.dtype == np.float32 and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=rel, atol=0)


# Every mode with both reductions and both kinds of generator; every (conditional, reduction) pair.
CASES = [("lerp", False, "mean"), ("lerp", True, "none"), ("slerp_any", False, "none"),
         ("slerp_any", True, "mean"), ("slerp_unit", False, "mean"), ("slerp_unit", True, "none")]


@pytest.mark.parametrize("mode,conditional,reduction", CASES)
def test_ppl_matches_torch_fidelity(tfid, lpips_vgg, mode, conditional, reduction):
    """uint8 images (the default dtype) with a step large enough to change pixels for "mean";
    float32 images at the default step 1e-4 for "none", where any other rounding order shows.
    12 pairs in batches of 5, 5 and 2."""
    dtype = torch.uint8 if reduction == "mean" else torch.float32
    classes = 3 if conditional else 0
    # 24x24 images shrink to 16 (area), 12x12 ones grow (bilinear): both resizes.
    generator = Generator(24 if conditional else 12, dtype, classes)
    model = tfid.GenerativeModelModuleWrapper(generator, 8, "normal", classes)
    # The shim takes torch-fidelity's wrapper as it is, or its own.
    ours = GenerativeModelModuleWrapper(generator, 8, "normal", classes) if conditional else None
    got, want = _both(tfid, lpips_vgg, model, ours, input1_model_num_samples=12, input1_model_num_classes=classes,
                      batch_size=5, ppl_z_interp_mode=mode, ppl_reduction=reduction,
                      ppl_epsilon=1e-2 if dtype == torch.uint8 else 1e-4, ppl_sample_similarity_resize=16,
                      ppl_sample_similarity_dtype="uint8" if dtype == torch.uint8 else "float32",
                      ppl_discard_percentile_lower=10, ppl_discard_percentile_higher=90, rng_seed=5)
    assert want["perceptual_path_length_mean"] > 0
    _assert_agree(got, want)
    if reduction == "none":  # the 10th ("lower") to 90th ("higher") percentiles of 12 distances
        assert got["perceptual_path_length_raw"].shape == (10,)


@pytest.mark.parametrize("z_type", ["unit", "uniform_0_1"])
def test_other_latent_types_and_a_torchscript_file(tfid, lpips_vgg, tmp_path, z_type):
    """"unit" from a TorchScript file (wrapped with the input1_model_* options), "uniform_0_1" from a module."""
    if z_type == "unit":
        model = tmp_path / "generator.pth"
        torch.jit.save(torch.jit.trace(Generator(24, torch.float32), torch.zeros(2, 8)), str(model))
        model = str(model)
    else:
        model = tfid.GenerativeModelModuleWrapper(Generator(24, torch.float32), 8, z_type, 0)
    got, want = _both(tfid, lpips_vgg, model, input1_model_z_size=8, input1_model_z_type=z_type,
                      input1_model_num_samples=6, ppl_sample_similarity_dtype=None, ppl_sample_similarity_resize=16,
                      ppl_epsilon=1e-3, ppl_discard_percentile_lower=None, ppl_discard_percentile_higher=None)
    _assert_agree(got, want)


def test_interpolation_is_torch_fidelitys_incl_degenerate_latents(tfid):
    noise = tfid.registry.INTERPOLATION_REGISTRY
    a, b = torch.randn(5, 4), torch.randn(5, 4)
    b[1] = 2 * a[1]  # parallel: lerp
    a[2] = 0  # zero: lerp
    for method in _ppl.INTERPOLATIONS:
        torch.testing.assert_close(_ppl.interpolate(a, b, 0.3, method), noise[method](a, b, 0.3), rtol=0, atol=0)


def test_only_the_higher_percentile_drops_what_is_above_it(lpips_vgg):
    """torch-fidelity 0.4 keeps nothing here (NaN); the shim keeps what is at or below it."""
    model = GenerativeModelModuleWrapper(Generator(24, torch.float32), 8, "normal", 0)
    args = dict(input1=model, ppl=True, cuda=False, verbose=False, input1_model_num_samples=8,
                ppl_sample_similarity=lpips_vgg, ppl_sample_similarity_dtype=None, ppl_sample_similarity_resize=16,
                ppl_reduction="none", ppl_discard_percentile_lower=None, ppl_discard_percentile_higher=None)
    everything = calculate_metrics(**args)["perceptual_path_length_raw"]
    kept = calculate_metrics(**{**args, "ppl_discard_percentile_higher": 50})["perceptual_path_length_raw"]
    np.testing.assert_array_equal(kept, everything[everything <= np.percentile(everything, 50, method="higher")])


def test_bad_inputs_and_options_are_named(lpips_vgg):
    model = GenerativeModelModuleWrapper(Generator(24, torch.float32), 8, "normal", 0)
    base = dict(input1=model, ppl=True, cuda=False, verbose=False, input1_model_num_samples=4,
                ppl_sample_similarity=lpips_vgg, ppl_sample_similarity_resize=16)
    for input1 in (torch.zeros(4, 3, 8, 8, dtype=torch.uint8), nn.Linear(8, 8), "no/such/generator.pth"):
        with pytest.raises(ValueError, match="ppl needs input1 to be a generator"):
            calculate_metrics(**{**base, "input1": input1})
    with pytest.raises(ValueError, match="ONNX"):
        calculate_metrics(**{**base, "input1": "generator.onnx"})
    cases = {"input1_model_num_samples": (None, "input1_model_num_samples"),
             "ppl_z_interp_mode": ("cubic", "ppl_z_interp_mode"), "ppl_reduction": ("sum", "ppl_reduction"),
             "ppl_epsilon": (1, "ppl_epsilon"), "ppl_discard_percentile_lower": (0, "percentile_lower"),
             "ppl_discard_percentile_higher": (0.5, "must be below"),
             "ppl_sample_similarity": ("lpips-alex", "lpips-vgg16"),
             "ppl_sample_similarity_dtype": ("int8", "ppl_sample_similarity_dtype"),
             "input1_model_num_classes": (3, "conditional PPL, but input1.num_classes is 0")}
    for key, (value, message) in cases.items():
        with pytest.raises(ValueError, match=message):
            calculate_metrics(**{**base, key: value})
    with pytest.raises(ValueError, match="lpips-vgg16 needs .*LPIPS\\('vgg'\\), got LPIPS\\('alex'\\)"):
        calculate_metrics(**{**base, "ppl_sample_similarity": LPIPS("alex", pretrained=False)})
    with pytest.raises(ValueError, match="ppl_sample_similarity_dtype='uint8' expects torch.uint8"):
        calculate_metrics(**{**base, "ppl_sample_similarity_dtype": "uint8"})
    with pytest.raises(TypeError, match="ppl_epsilonn"):
        calculate_metrics(**{**base, "ppl_epsilonn": 1e-4})


def test_missing_lpips_weights_name_the_file(tmp_path, monkeypatch):
    lpips_metric = importlib.import_module("fastgan.metrics.lpips")  # the package re-exports a function by that name
    monkeypatch.setenv("FASTGAN_OFFLINE", "1")
    monkeypatch.setenv("FASTGAN_WEIGHTS_DIR", str(tmp_path))
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    lpips_metric._pretrained.cache_clear()
    model = GenerativeModelModuleWrapper(Generator(24, torch.uint8), 8, "normal", 0)
    with pytest.raises(Exception, match="vgg16-397923af.pth"):
        calculate_metrics(input1=model, ppl=True, cuda=False, verbose=False, input1_model_num_samples=4)
    lpips_metric._pretrained.cache_clear()
