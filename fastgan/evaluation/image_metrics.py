"""Built-in metrics that read images or sample a generator themselves: LPIPS and PPL."""
from dataclasses import dataclass, field
from typing import Optional

import torch

from .inputs import image_batches
from .registry import Metric, register_metric


@dataclass(frozen=True)
class LPIPSOptions:
    """LPIPS between aligned pairs (real[i], fake[i]) with the `net` backbone ("alex", "vgg", "squeeze");
    `model`: an fastgan.networks.LPIPS to use instead of the pretrained one."""

    net: str = "alex"
    model: object = field(default=None, metadata={"cli": False})


def _lpips(real, fake, o, context):
    from ..metrics.lpips import lpips

    pairs = [_images(context, side) for side in ("real", "fake")]
    (a_batches, a_count), (b_batches, b_count) = pairs
    if a_count != b_count:
        raise ValueError(f"LPIPS compares aligned pairs: real holds {a_count} images and fake {b_count}")
    total, square, n = 0.0, 0.0, 0
    for a, b in zip(_rebatch(a_batches, context.batch_size), _rebatch(b_batches, context.batch_size)):
        if a.shape != b.shape:
            raise ValueError(f"LPIPS pairs must have the same size, got {tuple(a.shape[1:])} and {tuple(b.shape[1:])}")
        d = lpips(a.float() / 255, b.float() / 255, net=o.net, normalize=True, model=o.model).double().flatten()
        total, square, n = total + float(d.sum()), square + float((d * d).sum()), n + d.numel()
    mean = total / n
    return {"lpips": mean, "lpips_std": max(square / n - mean * mean, 0.0) ** 0.5}


def _images(context, side):
    """(image batches, count) of one side; `evaluate` has prechecked folders already."""
    source = getattr(context, side)
    if isinstance(source, (str, bytes)) or hasattr(source, "__fspath__"):
        from torch.utils.data import DataLoader

        from ..data.images import ImageFolder

        dataset = ImageFolder(source, on_error=context.on_error)
        return DataLoader(dataset, batch_size=context.batch_size, collate_fn=dataset.collate), len(dataset)
    return image_batches(source, side, context.batch_size, context.num_samples, context.latent_dim, context.seed,
                         context.image_range)


def _rebatch(batches, size):
    """Batches of exactly `size` images (the last one shorter), whatever sizes come in."""
    buffer = []
    held = 0
    for batch in batches:
        buffer.append(batch)
        held += batch.shape[0]
        while held >= size:
            joined = torch.cat(buffer)
            yield joined[:size]
            buffer, held = [joined[size:]], held - size
    if held:
        yield torch.cat(buffer)


register_metric(Metric("lpips", "mean LPIPS distance between aligned real/fake pairs (torchmetrics' numbers)",
                       ("lpips", "lpips_std"), LPIPSOptions, _lpips, real="images", fake="images",
                       sharded=_lpips))  # every process reads all pairs: the same numbers everywhere


@dataclass(frozen=True)
class PPLOptions:
    """Perceptual path length: `samples` latent pairs, step `epsilon`, in `space` "z" or "w";
    `options`: more keyword arguments of fastgan.metrics.perceptual_path_length (resize,
    interpolation, crop, discard, lpips_model, mapping, ...)."""

    samples: int = 10000
    epsilon: float = 1e-4
    space: str = "z"
    options: Optional[dict] = None


def _ppl(real, fake, o, context):
    from ..metrics.ppl import perceptual_path_length

    extra = {"epsilon": o.epsilon, "space": o.space, **(o.options or {})}  # `options` may set them too
    mean, std, _ = perceptual_path_length(context.fake, num_samples=o.samples, latent_dim=context.latent_dim,
                                          seed=context.seed, image_range=context.image_range,
                                          batch_size=context.batch_size, verbose=context.verbose, **extra)
    return {"perceptual_path_length_mean": mean, "perceptual_path_length_std": std}


register_metric(Metric("ppl", "perceptual path length of a generator (LPIPS-VGG, torch-fidelity's keys)",
                       ("perceptual_path_length_mean", "perceptual_path_length_std"), PPLOptions, _ppl,
                       real=None, fake="generator", sharded=_ppl))  # seeded: the same on every process
