"""The inputs `fastgan.evaluate` accepts, as image batches: arrays, Datasets and generators.

Folders are read by fastgan.data.ImageFolder (see features.py); files of features or
statistics are recognised here without reading them whole.
"""
import os
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Subset

from .. import distributed
from .._modes import eval_mode

__all__ = ["image_batches", "generator_latent_dim", "generator_device", "latent_batches", "precheck",
           "is_stats_file", "is_feature_file", "rows_of", "is_generator", "as_feature_tensor"]


def is_generator(source):
    """True for a callable input that is not data (a generator of images from latents)."""
    return callable(source) and not isinstance(source, (Dataset, torch.Tensor, np.ndarray, str, os.PathLike))


def as_feature_tensor(value, name):
    """A [N, D] float32 CPU tensor of features given as a tensor or an array (clear error otherwise)."""
    tensor = torch.as_tensor(np.asarray(value) if not isinstance(value, torch.Tensor) else value)
    if tensor.dim() != 2:
        raise ValueError(f"{name} features must be [N, D], got shape {tuple(tensor.shape)}")
    return tensor.detach().float().cpu()


def rows_of(n, shard):
    """The rows [start, stop) of n that `shard` = (rank, world_size) reads; all of them for None."""
    return (0, n) if shard is None else distributed.shard_range(n, *shard)


def image_batches(source, name, batch_size, num_samples, latent_dim, seed, image_range, shard=None):
    """(iterable of image batches, number of images) for arrays, datasets and generators (of this shard)."""
    if isinstance(source, np.ndarray):
        source = torch.from_numpy(np.ascontiguousarray(source))
    if isinstance(source, torch.Tensor):
        if source.dim() != 4 or source.shape[1] != 3:
            raise ValueError(f"{name} images must be [N,3,H,W], got shape {tuple(source.shape)}")
        if source.shape[0] == 0:
            raise ValueError(f"{name} holds no images")
        start, stop = rows_of(source.shape[0], shard)
        return (source[i:min(i + batch_size, stop)] for i in range(start, stop, batch_size)), stop - start
    if isinstance(source, Dataset):
        if len(source) == 0:
            raise ValueError(f"{name} dataset is empty")
        rows = range(*rows_of(len(source), shard))
        loader = DataLoader(Subset(source, rows), batch_size=batch_size, collate_fn=_collate_images)
        return loader, len(rows)
    if callable(source):
        if num_samples is None or num_samples < 1:
            raise ValueError(f"{name} is a generator: pass num_samples= (how many images to draw)")
        rows = rows_of(num_samples, shard)
        return _generated(source, name, batch_size, num_samples, latent_dim, seed, image_range, rows), \
            rows[1] - rows[0]
    raise TypeError(f"{name} must be a folder, a .npz/.npy path, images [N,3,H,W], a Dataset or a generator, "
                    f"got {type(source).__name__}")


def _collate_images(items):
    images = [item[0] if isinstance(item, (tuple, list)) else item for item in items]
    images = [torch.as_tensor(x) for x in images]
    return torch.stack(images)


def generator_latent_dim(generator, latent_dim=None):
    """The latent size of a generator: `latent_dim`, or its latent_dim / z_dim / nz attribute."""
    if latent_dim is not None:
        return int(latent_dim)
    for attr in ("latent_dim", "z_dim", "nz"):
        value = getattr(generator, attr, None)
        if isinstance(value, int):
            return value
    raise ValueError("cannot tell the generator's latent size: pass latent_dim= (or give the generator a "
                     "latent_dim attribute)")


def generator_device(generator):
    """The device of a generator module's parameters (CPU for plain callables)."""
    if isinstance(generator, nn.Module):
        for p in generator.parameters():
            return p.device
    return torch.device("cpu")


def latent_batches(num_samples, dim, batch_size, seed, chunk=1024):
    """Standard normal latents [B, dim] in batches; the same rows whatever batch_size is.

    Drawn from torch.Generator().manual_seed(seed) in fixed chunks of `chunk` rows (torch's
    randn gives different numbers for one call of 10 rows than for calls of 4, 4 and 2).
    """
    rng = torch.Generator().manual_seed(seed)
    buffer = torch.empty(0, dim)
    drawn = 0
    for start in range(0, num_samples, batch_size):
        n = min(batch_size, num_samples - start)
        while buffer.shape[0] < n:
            rows = min(chunk, num_samples - drawn)
            buffer = torch.cat([buffer, torch.randn(rows, dim, generator=rng)])
            drawn += rows
        yield buffer[:n]
        buffer = buffer[n:]


def _generated(generator, name, batch_size, num_samples, latent_dim, seed, image_range, rows=None):
    dim = generator_latent_dim(generator, latent_dim)
    device = generator_device(generator)
    lo, hi = image_range
    start, stop = rows if rows is not None else (0, num_samples)
    # Every process draws the same latents (cheap) and runs the generator on its rows only,
    # so the samples are those of a single-process run. The generator runs in eval mode.
    with eval_mode(generator):
        yield from _generated_batches(generator, name, batch_size, num_samples, dim, seed, lo, hi, start, stop, device)


def _generated_batches(generator, name, batch_size, num_samples, dim, seed, lo, hi, start, stop, device):
    position = 0
    for z in latent_batches(num_samples, dim, batch_size, seed):
        first, position = position, position + z.shape[0]
        z = z[max(start - first, 0):max(min(stop - first, z.shape[0]), 0)]
        if z.shape[0] == 0:
            continue
        with torch.no_grad():
            images = generator(z.to(device))
        if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] not in (1, 3):
            got = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
            raise ValueError(f"{name} generator must return images [B,3,H,W] (or [B,1,H,W]), got {got}")
        if images.shape[1] == 1:
            images = images.expand(-1, 3, -1, -1)  # grey samples: the feature networks take RGB
        if images.dtype != torch.uint8:
            # Quantised like a saved PNG, so a generator and a folder of its samples score the same.
            images = ((images.float() - lo) / (hi - lo)).clamp(0, 1).mul(255).round().to(torch.uint8)
        yield images


def precheck(source, name):
    """Cheap checks of a path input before any extraction: it exists, and a folder holds images."""
    if not isinstance(source, (str, os.PathLike)):
        return
    from ..data.images import list_images

    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"{name}: {path} does not exist; give an image folder, a .npz of statistics "
                                "or a .npy of features")
    if path.is_dir() and not list_images(path):
        raise ValueError(f"{name}: no images found in {path}")


def is_stats_file(path):
    """True for a .npz holding `mu` and `sigma` (statistics of features)."""
    try:
        with np.load(path) as data:
            return {"mu", "sigma"} <= set(data.files)
    except (OSError, ValueError):
        return False


def is_feature_file(path):
    """True for a .npy of float features [N, D] (read from its header; uint8 arrays are images)."""
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, dtype = reader(f)
    except (OSError, ValueError):
        return False
    # uint8 arrays are images (ImageFolder reads them); float [N, D] arrays are features.
    return len(shape) == 2 and np.issubdtype(dtype, np.floating)


