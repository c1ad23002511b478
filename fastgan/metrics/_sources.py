"""Feature sets as chunks: tensors, NumPy arrays, memory maps and .npy/.npz files.

Metrics read features through FeatureSource so that sets larger than memory can
be streamed from a `.npy` memory map in chunks of bounded size.
"""
import os

import numpy as np
import torch

from ..ops._inputs import check_finite

# Rows per chunk are chosen so one chunk (in the computation dtype) stays below this.
DEFAULT_CHUNK_BYTES = 512 * 2**20


class FeatureSource:
    """A [N, D] feature set that yields torch chunks on a device in a given dtype.

    Args:
        features: torch tensor, NumPy array / np.memmap, or a path to a .npy
            (memory-mapped) or .npz file (its only array, or "features").
        name: used in error messages ("real", "fake").
    """

    def __init__(self, features, name):
        self.name = name
        self.data = _open(features, name)
        if self.data.ndim != 2:
            raise ValueError(f"{name} features must be a 2-D array [N, D], got shape {tuple(self.data.shape)}")
        if not _is_numeric(self.data):
            raise TypeError(f"{name} features must be numeric, got dtype {self.data.dtype}")

    @property
    def rows(self):
        return int(self.data.shape[0])

    @property
    def dims(self):
        return int(self.data.shape[1])

    @property
    def is_float32(self):
        return self.data.dtype in (torch.float32, np.float32)

    @property
    def device(self):
        return self.data.device if isinstance(self.data, torch.Tensor) else torch.device("cpu")

    def chunk_rows(self, dtype, chunk_bytes=DEFAULT_CHUNK_BYTES, minimum=1):
        """Rows per chunk so a chunk of `dtype` stays under chunk_bytes (at least `minimum`)."""
        itemsize = torch.empty((), dtype=dtype).element_size()
        return max(minimum, chunk_bytes // max(1, self.dims * itemsize))

    def chunks(self, rows, dtype, device):
        """Yield (start, tensor [rows', D]) chunks converted to dtype on device, checked for NaN/Inf."""
        for start in range(0, self.rows, rows):
            yield start, self.load(start, start + rows, dtype, device)

    def load(self, start, stop, dtype, device):
        """Rows [start, stop) as a contiguous tensor of dtype on device."""
        part = self.data[start:stop]
        if isinstance(part, np.ndarray):
            # Memory-mapped chunks are read-only views: copy them into memory (torch needs writable arrays).
            part = torch.from_numpy(np.ascontiguousarray(part) if part.flags.writeable else np.array(part))
        part = part.to(device=device, dtype=dtype).contiguous()
        check_finite(part, self.name, row_offset=start)
        return part


def _is_numeric(data):
    if isinstance(data, torch.Tensor):
        return data.dtype != torch.bool and not data.is_complex()
    return np.issubdtype(data.dtype, np.number) and not np.issubdtype(data.dtype, np.complexfloating)


def _open(features, name):
    if isinstance(features, torch.Tensor):
        return features.detach()
    if isinstance(features, np.ndarray):
        return features
    if isinstance(features, (str, os.PathLike)):
        return _open_file(os.fspath(features), name)
    try:
        return np.asarray(features)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} features must be a tensor, an array or a .npy/.npz path, got {type(features).__name__}") from exc


def _open_file(path, name):
    if not os.path.exists(path):
        raise FileNotFoundError(f"{name} features: no such file {path!r}")
    if path.endswith(".npy"):
        return np.load(path, mmap_mode="r")
    if path.endswith(".npz"):
        with np.load(path) as archive:
            keys = list(archive.keys())
            key = "features" if "features" in keys else (keys[0] if len(keys) == 1 else None)
            if key is None:
                raise ValueError(f"{path} holds several arrays {keys}; save the features alone or under the key 'features'")
            return archive[key]
    raise ValueError(f"{name} features: {path!r} is neither a .npy nor a .npz file")
