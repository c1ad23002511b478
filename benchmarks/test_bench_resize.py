"""Resizing a batch of uint8 images to the Inception's 299x299, each anchor's way:

- clean-fid "clean": its own per-image, per-channel PIL float bicubic (``cleanfid.resize``
  ``make_resizer("PIL", False, "bicubic", (299, 299))``) vs fastgan's batched
  ``resize_pil_bicubic`` (same numbers to float32 rounding);
- torch-fidelity: its ``interpolate_bilinear_2d_like_tensorflow1x`` vs fastgan's
  ``resize_tf1_bilinear`` (bit-identical).

The anchors' modules are loaded without their package ``__init__`` (which imports torchvision);
a case skips when its anchor is not installed. Sizes: ``FASTGAN_BENCH_RESIZE_N`` images
(default 32) of 64x64 and 256x256, on the CPU and, where present, CUDA (fastgan only: the
anchors' CPU paths are what users run).
"""
import importlib
import importlib.util
import os
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch

from _harness import peak_memory_mb, record

from fastgan.networks.resize import resize_pil_bicubic, resize_tf1_bilinear

N = int(os.environ.get("FASTGAN_BENCH_RESIZE_N", "32"))
SIZES = [64, 256]
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


# make install puts torch-fidelity and clean-fid here, off sys.path (torchmetrics imports
# torch-fidelity whenever it can find it); a venv with them in site-packages works too.
ANCHORS_DIR = Path(os.environ.get("FASTGAN_ANCHORS_DIR", Path(__file__).resolve().parents[1] / ".venv" / "anchors"))


def _anchor_module(package, module):
    """`package.module` of an installed anchor, imported without the package's __init__."""
    if not hasattr(sys.modules.get(package), "__path__"):
        if (ANCHORS_DIR / package / "__init__.py").is_file():
            locations = [str(ANCHORS_DIR / package)]
        else:
            spec = importlib.util.find_spec(package)
            if spec is None or not spec.submodule_search_locations:
                pytest.skip(f"{package} is not installed (make install puts it in {ANCHORS_DIR})")
            locations = list(spec.submodule_search_locations)
        pkg = types.ModuleType(package)
        pkg.__path__ = locations
        sys.modules[package] = pkg
    return importlib.import_module(f"{package}.{module}")


def _images(size):
    g = torch.Generator().manual_seed(size)
    return torch.randint(0, 256, (N, 3, size, size), dtype=torch.uint8, generator=g)


def _sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


@pytest.mark.parametrize("size", SIZES)
def test_cleanfid_pil_resize_anchor(benchmark, size):
    resizer = _anchor_module("cleanfid", "resize").make_resizer("PIL", False, "bicubic", (299, 299))
    images = [img.permute(1, 2, 0).numpy() for img in _images(size)]

    def run():
        return np.stack([resizer(img) for img in images])

    _, peak = peak_memory_mb(run)
    benchmark.group = f"clean-fid resize {N}x{size}x{size} -> 299"
    benchmark.pedantic(run, rounds=3, warmup_rounds=0)
    record(benchmark, benchmark.group, "clean-fid per-channel PIL (cpu)", peak, anchor=True)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("size", SIZES)
def test_cleanfid_pil_resize_fastgan(benchmark, size, device):
    x = _images(size).to(device).float()

    def run():
        out = resize_pil_bicubic(x, 299).clamp_(0, 255)
        _sync(device)
        return out

    _, peak = peak_memory_mb(run)
    benchmark.group = f"clean-fid resize {N}x{size}x{size} -> 299"
    benchmark.pedantic(run, rounds=3, warmup_rounds=1)
    record(benchmark, benchmark.group, f"fastgan resize_pil_bicubic ({device})", peak)


@pytest.mark.parametrize("size", SIZES)
def test_torch_fidelity_tf1_resize_anchor(benchmark, size):
    interp = _anchor_module("torch_fidelity", "interpolate_compat_tensorflow").interpolate_bilinear_2d_like_tensorflow1x
    x = _images(size).float()

    def run():
        return interp(x, size=(299, 299), align_corners=False)

    _, peak = peak_memory_mb(run)
    benchmark.group = f"torch-fidelity TF1 resize {N}x{size}x{size} -> 299"
    benchmark.pedantic(run, rounds=3, warmup_rounds=0)
    record(benchmark, benchmark.group, "torch-fidelity interpolate (cpu)", peak, anchor=True)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("size", SIZES)
def test_torch_fidelity_tf1_resize_fastgan(benchmark, size, device):
    x = _images(size).to(device).float()

    def run():
        out = resize_tf1_bilinear(x, 299)
        _sync(device)
        return out

    _, peak = peak_memory_mb(run)
    benchmark.group = f"torch-fidelity TF1 resize {N}x{size}x{size} -> 299"
    benchmark.pedantic(run, rounds=3, warmup_rounds=1)
    record(benchmark, benchmark.group, f"fastgan resize_tf1_bilinear ({device})", peak)
