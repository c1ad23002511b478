"""Loads the compiled library fastgan._C and says what it was built with.

The library registers the ``torch.ops.fastgan.*`` operators when it is loaded.
If it is missing (a source checkout that was never built, or a build for another
torch), fastgan still works: every op falls back to its plain-PyTorch reference,
and a warning says so once.
"""
import glob
import os
import warnings

import torch

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_state = {"loaded": None, "error": None, "warned": False}


def _library_path():
    matches = sorted(glob.glob(os.path.join(_PACKAGE_DIR, "_C*.so")) + glob.glob(os.path.join(_PACKAGE_DIR, "_C*.pyd")))
    return matches[0] if matches else None


def _load():
    if _state["loaded"] is not None:
        return _state["loaded"]
    path = _library_path()
    if path is None:
        _state["error"] = "no compiled library fastgan/_C*.so (run `make install` or `pip install --no-build-isolation -e .`)"
        _state["loaded"] = False
        return False
    try:
        torch.ops.load_library(path)
    except (OSError, RuntimeError) as exc:  # built for another torch, missing symbols...
        _state["error"] = f"could not load {path}: {exc}"
        _state["loaded"] = False
        return False
    _state["loaded"] = True
    # Fake kernels, autograd and autocast of every op, registered as the library loads.
    from .ops import _library

    _library.register()
    return True


def available():
    """True when the compiled CPU kernels are loaded."""
    return _load()


def has_cuda():
    """True when the compiled library contains CUDA kernels and a CUDA device is usable."""
    return available() and bool(torch.ops.fastgan._compiled_with_cuda()) and torch.cuda.is_available()


def compiled_with_cuda():
    """True when the library was built with CUDA kernels (whether or not a GPU is present)."""
    return available() and bool(torch.ops.fastgan._compiled_with_cuda())


def build_info():
    """Dict of what the library was built with (compiler, OpenMP, CUDA), or {} without a build."""
    if not available():
        return {}
    return dict(item.split("=", 1) for item in torch.ops.fastgan._build_info().split(";"))


def load_error():
    """Why the library is not loaded, or None."""
    _load()
    return _state["error"]


def kernels_for(device):
    """True when compiled kernels exist for `device` (a torch.device); warns once when not.

    The warning names the reason, so that a user who expected the fast path knows
    why the reference implementation runs instead.
    """
    device = torch.device(device)
    if device.type == "cpu" and available():
        return True
    if device.type == "cuda" and has_cuda():
        return True
    if not _state["warned"]:
        _state["warned"] = True
        reason = load_error() or f"the library was built without {device.type.upper()} kernels"
        warnings.warn(
            f"fastgan: running the plain-PyTorch reference on {device} ({reason}); results are the same, only slower.",
            RuntimeWarning,
            stacklevel=3,
        )
    return False
