"""Perceptual path length (Karras et al. 2019, StyleGAN): how smoothly images change along latent paths.

For latent pairs (z0, z1) and t ~ U(0, 1):

    PPL = E[ d(G(path(t)), G(path(t + ε))) / ε² ]

with d = LPIPS-VGG, path = slerp of z (``space="z"``) or lerp of w = mapping(z)
(``space="w"``). Samples outside the [1%, 99%] percentiles are discarded before the
mean, as in the StyleGAN code (percentiles taken with "lower" / "higher" rounding).

As StyleGAN measures it: the generator (and mapping) run in eval mode, and the two
images of a pair see the same random noise inputs (each half of a batch is generated
from the same torch RNG state). The z-space slerp interpolates directions on the sphere
and keeps the interpolated norm, so a generator fed raw z (|z| ~ sqrt(D)) is measured
inside its training distribution; a generator that normalises z itself may declare
``normalizes_z = True`` to receive unit-norm latents, as StyleGAN's code feeds them.
Per-layer latents w [B, num_ws, D] are interpolated with one t per sample; one-channel
images are repeated to three channels for LPIPS.
"""

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .._modes import eval_mode

__all__ = ["perceptual_path_length", "slerp"]


def perceptual_path_length(generator, num_samples=10000, epsilon=1e-4, space="z", interpolation=None, resize=64,
                           crop=None, discard=(0.01, 0.99), *, batch_size=64, latent_dim=None, mapping=None,
                           lpips_model=None, image_range=(-1.0, 1.0), device=None, seed=0, verbose=False):
    """Perceptual path length of a generator, as (mean, std, distances).

    Args:
        generator: callable mapping latents [B, latent_dim] to float images [B,3,H,W] in
            `image_range`. With ``space="w"`` it maps w to images (or has ``.synthesis`` doing so).
        num_samples: latent pairs.
        epsilon: step along the path.
        space: "z" (interpolate latents) or "w" (interpolate mapped latents).
        interpolation: "slerp" or "lerp"; default slerp in z, lerp in w (as StyleGAN).
        resize: images are resized (area when shrinking, bilinear otherwise) to this square size
            before LPIPS; None keeps them.
        crop: (top, left, height, width) cropped before resizing (StyleGAN crops faces), or None.
        discard: (low, high) quantiles; distances outside are left out of mean and std. None keeps all.
        batch_size: pairs per generator/LPIPS pass.
        latent_dim: latent size when the generator has no latent_dim / z_dim attribute.
        mapping: z -> w network for ``space="w"`` (default ``generator.mapping``).
        lpips_model: an fastgan.networks.LPIPS("vgg") to use (default: the pretrained one).
        image_range: value range of the generator's output.
        device: where latents are made (default: the generator's parameters' device).
        seed: seed of the latents and of t.
        verbose: progress bar.

    Returns:
        (mean, std) of the kept distances as floats, and all distances [num_samples] as a
        float64 NumPy array (before discarding).
    """
    from ..evaluation.inputs import generator_device, generator_latent_dim

    if space not in ("z", "w"):
        raise ValueError(f'space must be "z" or "w", got {space!r}')
    interpolation = interpolation or ("slerp" if space == "z" else "lerp")
    if interpolation not in ("slerp", "lerp"):
        raise ValueError(f'interpolation must be "slerp" or "lerp", got {interpolation!r}')
    if not isinstance(num_samples, int) or num_samples < 1:
        raise ValueError(f"num_samples must be a positive integer, got {num_samples!r}")
    if not epsilon > 0:
        raise ValueError(f"epsilon must be positive, got {epsilon!r}")
    if discard is not None and not (0 <= discard[0] < discard[1] <= 1):
        raise ValueError(f"discard must be (low, high) quantiles with 0 <= low < high <= 1, got {discard!r}")
    if not callable(generator):
        raise TypeError(f"generator must be callable, got {type(generator).__name__}")
    synthesis = generator
    if space == "w":
        mapping = mapping if mapping is not None else getattr(generator, "mapping", None)
        if mapping is None:
            raise ValueError('space="w" needs a mapping network: pass mapping= or give the generator a .mapping')
        synthesis = getattr(generator, "synthesis", generator)
    dim = generator_latent_dim(mapping if space == "w" and latent_dim is None and
                               hasattr(mapping, "latent_dim") else generator, latent_dim)
    device = torch.device(device) if device is not None else generator_device(generator)
    if lpips_model is None:
        from .lpips import _pretrained

        lpips_model = _pretrained("vgg", str(device))
    elif getattr(lpips_model, "net", "vgg") != "vgg":
        raise ValueError("PPL is defined with LPIPS-VGG; pass an fastgan.networks.LPIPS('vgg')")
    rng = torch.Generator().manual_seed(seed)
    lo, hi = image_range
    keep_norm = not getattr(generator, "normalizes_z", False)
    distances = []
    with tqdm(total=num_samples, desc="ppl", unit="pair", disable=not verbose) as bar, \
            eval_mode(generator, mapping, synthesis):
        for start in range(0, num_samples, batch_size):
            n = min(batch_size, num_samples - start)
            z = torch.randn(2 * n, dim, generator=rng).to(device)
            t = torch.rand(n, generator=rng).to(device)
            noise_seed = int(torch.randint(0, 2**62, (1,), generator=rng))
            with torch.no_grad():
                if space == "w":
                    w = mapping(z)
                    a, b = w[:n], w[n:]
                else:
                    a, b = z[:n], z[n:]
                if interpolation == "slerp":
                    def mix(s):
                        return slerp(a, b, s, keep_norm=keep_norm and space == "z")
                else:
                    def mix(s):
                        return _lerp(a, b, s)
                first = _same_noise(synthesis, mix(t), noise_seed, device)
                second = _same_noise(synthesis, mix(t + epsilon), noise_seed, device)
                d = lpips_model(_prepare(first, lo, hi, crop, resize), _prepare(second, lo, hi, crop, resize))
            distances.append(d.double().cpu() / epsilon**2)
            bar.update(n)
    distances = torch.cat(distances).numpy()
    kept = distances
    if discard is not None:
        low = np.percentile(distances, 100 * discard[0], method="lower")
        high = np.percentile(distances, 100 * discard[1], method="higher")
        kept = distances[(distances >= low) & (distances <= high)]
    return float(kept.mean()), float(kept.std()), distances


def slerp(a, b, t, keep_norm=False):
    """Spherical interpolation between the directions of a and b [B, ..., D] at t [B] (or [B, 1]).

    Both ends are normalised first (as StyleGAN does); with keep_norm the result is scaled
    back to the linearly interpolated norm (1 - t)|a| + t|b|, else it has unit norm.
    """
    t = _per_sample(t, a)
    norm_a, norm_b = a.norm(dim=-1, keepdim=True), b.norm(dim=-1, keepdim=True)
    a = F.normalize(a, dim=-1)
    b = F.normalize(b, dim=-1)
    cos = (a * b).sum(-1, keepdim=True).clamp(-1, 1)
    angle = t * torch.acos(cos)
    ortho = F.normalize(b - cos * a, dim=-1)
    out = F.normalize(a * torch.cos(angle) + ortho * torch.sin(angle), dim=-1)
    return out * (norm_a + (norm_b - norm_a) * t) if keep_norm else out


def _lerp(a, b, t):
    return a + (b - a) * _per_sample(t, a)


def _per_sample(t, like):
    """t [B] or [B, 1] as [B, 1, ..., 1] broadcasting over every other dimension of `like`."""
    return t.reshape((like.shape[0],) + (1,) * (like.dim() - 1))


def _same_noise(synthesis, latents, seed, device):
    """synthesis(latents) with torch's RNG seeded by `seed`, so both ends of a pair draw the same noise."""
    devices = [device] if torch.device(device).type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        return synthesis(latents)


def _prepare(images, lo, hi, crop, resize):
    """Generator output -> LPIPS input in [-1, 1], cropped and resized."""
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] not in (1, 3):
        got = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"the generator must return images [B,3,H,W] (or [B,1,H,W]), got {got}")
    if images.shape[1] == 1:
        images = images.expand(-1, 3, -1, -1)  # grey images: LPIPS-VGG takes RGB
    x = (images.float() - lo) / (hi - lo) * 2 - 1
    if crop is not None:
        top, left, height, width = crop
        x = x[:, :, top:top + height, left:left + width]
    if resize is not None and tuple(x.shape[-2:]) != (resize, resize):
        shrinking = x.shape[-1] > resize and x.shape[-2] > resize
        x = F.interpolate(x, size=(resize, resize), mode="area" if shrinking else "bilinear",
                          **({} if shrinking else {"align_corners": False}))
    return x
