"""Load modules of the installed anchors (torch-fidelity, clean-fid) without their package
``__init__``, which imports torchvision (not installable here).

A stand-in package module whose ``__path__`` is the installed folder goes into sys.modules, so
``importlib.import_module("torch_fidelity.metric_kid")`` runs only that module and the ones it
imports. Imports that need what is missing (torchvision, requests, torch-fidelity's utils) get
small stand-ins; each is named where it is made. Everything is undone when the context exits.
"""
import contextlib
import importlib
import os
import importlib.util
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch


# make install puts the anchors here, off sys.path (see the Makefile); a venv that has them
# in site-packages works too.
ANCHORS_DIR = Path(os.environ.get("FASTGAN_ANCHORS_DIR", Path(__file__).resolve().parents[2] / ".venv" / "anchors"))


def _installed_folder(name):
    if (ANCHORS_DIR / name / "__init__.py").is_file():
        return str(ANCHORS_DIR / name)
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return list(spec.submodule_search_locations)[0]


@contextlib.contextmanager
def anchor_modules(package, stubs=None):
    """Context: (import function for `package`'s modules); skips the test when not installed.

    Args:
        package: "torch_fidelity" or "cleanfid".
        stubs: {module name: module} placed in sys.modules for the duration.
    """
    folder = _installed_folder(package)
    if folder is None:
        pytest.skip(f"{package} is not installed (make install puts it in the venv with --no-deps)")
    saved = {k: v for k, v in sys.modules.items() if k == package or k.startswith(package + ".")}
    for k in saved:
        del sys.modules[k]
    pkg = types.ModuleType(package)
    pkg.__path__ = [folder]
    pkg.__file__ = f"{folder}/__init__.py"
    added = {package: pkg, **(stubs or {})}
    previous = {k: sys.modules.get(k) for k in added}
    sys.modules.update(added)
    try:
        yield lambda name: importlib.import_module(f"{package}.{name}")
    finally:
        for k in [k for k in sys.modules if k == package or k.startswith(package + ".")]:
            del sys.modules[k]
        for k, v in previous.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
        sys.modules.update(saved)


def torch_fidelity_stubs():
    """torch_fidelity.utils imports torchvision; the metric modules only import names from it."""
    utils = types.ModuleType("torch_fidelity.utils")
    for name in ("create_feature_extractor", "extract_featuresdict_from_input_id_cached",
                 "resolve_feature_extractor", "resolve_feature_layer_for_metric", "get_cacheable_input_name",
                 "extract_featuresdict_from_input_id", "cache_lookup_one_recompute_on_miss",
                 "cache_lookup_group_recompute_all_on_any_miss"):
        setattr(utils, name, None)
    return {"torch_fidelity.utils": utils}


class _ToTensor:
    """torchvision.transforms.ToTensor on NumPy HWC arrays, the only use clean-fid makes of
    torchvision: uint8 -> float32 / 255, other dtypes unchanged; HWC -> CHW."""

    def __call__(self, pic):
        img = torch.from_numpy(np.ascontiguousarray(pic.transpose((2, 0, 1))))
        if img.dtype == torch.uint8:
            return img.to(torch.get_default_dtype()).div(255)
        return img


def cleanfid_stubs():
    """clean-fid imports torchvision (ToTensor; its pytorch-fid port subclasses torchvision's
    Inception blocks) and requests (Google Drive downloads). The port is replaced as a whole:
    tests feed clean-fid a network of their own."""
    torchvision = types.ModuleType("torchvision")
    torchvision.transforms = types.ModuleType("torchvision.transforms")
    torchvision.transforms.ToTensor = _ToTensor
    port = types.ModuleType("cleanfid.inception_pytorch")
    port.InceptionV3 = None
    return {"torchvision": torchvision, "torchvision.transforms": torchvision.transforms,
            "requests": types.ModuleType("requests"), "cleanfid.inception_pytorch": port}


def torchvision_stub(vgg16=None):
    """A stand-in ``torchvision`` under which torch-fidelity's whole package imports.

    torch-fidelity touches torchvision at import time only for names (datasets, transforms,
    models); at run time its LPIPS-VGG16 calls ``torchvision.models.vgg16(weights=...)`` for the
    ImageNet backbone, which here returns ``vgg16()`` (a module with torchvision's ``features``),
    or fails clearly when the test gave none.

    Returns:
        {module name: module} for ``anchor_modules(stubs=...)``.
    """
    def _vgg16(*args, **kwargs):
        if vgg16 is None:
            raise RuntimeError("torchvision is a stand-in here: the test gave no VGG16")
        return vgg16()

    tv = types.ModuleType("torchvision")
    parts = {name: types.ModuleType(f"torchvision.{name}")
             for name in ("datasets", "transforms", "transforms.functional", "models")}
    for name in ("CIFAR10", "CIFAR100", "STL10"):  # torch-fidelity subclasses them
        setattr(parts["datasets"], name, type(name, (), {}))
    parts["models"].vgg16 = _vgg16
    parts["models"].VGG16_Weights = types.SimpleNamespace(IMAGENET1K_V1="IMAGENET1K_V1")
    tv.datasets, tv.transforms, tv.models = parts["datasets"], parts["transforms"], parts["models"]
    parts["transforms"].functional = parts["transforms.functional"]
    return {"torchvision": tv, **{f"torchvision.{name}": module for name, module in parts.items()}}


def run_package_init(package):
    """Run the stand-in `package`'s real ``__init__`` (inside ``anchor_modules``), so its
    top-level API (``torch_fidelity.calculate_metrics`` ...) is the installed one; returns it."""
    pkg = sys.modules[package]
    with open(pkg.__file__) as f:
        exec(compile(f.read(), pkg.__file__, "exec"), pkg.__dict__)
    return pkg
