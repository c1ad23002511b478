"""PNG output with pillow: image grids and 2-D scatter plots (metric curves: plotting.py)."""
import math
import os

import numpy as np
import torch
from PIL import Image, ImageDraw

def refuse_overwrite(path, force):
    """Raise FileExistsError when `path` exists and `force` is not set (nothing is overwritten silently)."""
    if os.path.exists(path) and not force:
        raise FileExistsError(f"{path} exists; pass --force to overwrite it")


def save_image_grid(images, path, nrow=None, padding=2, scale=None):
    """Tile [N, C, H, W] images in [-1, 1] into one PNG (grey for C=1, RGB for C=3).

    Args:
        images: tensor [N, C, H, W].
        path: output file.
        nrow: images per row (default: ceil(sqrt(N))).
        padding: pixels between tiles.
        scale: integer upscaling of the whole grid (default: so small images are >= 64 px).
    """
    images = images.detach().float().cpu().clamp(-1, 1)
    n, c, h, w = images.shape
    nrow = nrow or math.ceil(math.sqrt(n))
    rows = math.ceil(n / nrow)
    grid = torch.ones(c, rows * (h + padding) + padding, nrow * (w + padding) + padding)
    for i in range(n):
        r, col = divmod(i, nrow)
        top, left = padding + r * (h + padding), padding + col * (w + padding)
        grid[:, top:top + h, left:left + w] = images[i]
    pixels = ((grid + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()
    img = Image.fromarray(pixels[..., 0] if c == 1 else pixels[..., :3])
    scale = scale or max(1, 64 // h)
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    img.save(path)
    return path


def save_samples(samples, path, data=None, num_classes=0):
    """A scatter plot (2-D points, over `data`'s held-out points and mode centres) or an image grid.

    Args:
        samples: [N, 2] points or [N, C, H, W] images in [-1, 1].
        path: output PNG.
        data: the DataSource, for the held-out points and mixture centres behind a scatter plot.
        num_classes: conditional models: one row per label cycle (samples ordered 0..K-1, 0..K-1, ...).
    """
    if samples.dim() == 2:
        real = data.heldout_x[:1000] if data is not None else None
        return save_scatter(samples, path, real=real, centers=getattr(data, "centers", None))
    return save_image_grid(samples, path, nrow=num_classes or None)


def save_scatter(fake, path, real=None, centers=None, extent=None, size=400):
    """Scatter plot of 2-D points as a PNG: real in grey, generated in blue, mode centres as red crosses."""
    fake = torch.as_tensor(fake).detach().float().cpu()
    pts = [fake] + ([torch.as_tensor(real).float()] if real is not None else [])
    if extent is None:
        allpts = torch.cat(pts)
        allpts = allpts[torch.isfinite(allpts).all(1)]
        extent = float(allpts.abs().max()) * 1.1 + 1e-6 if len(allpts) else 1.0
        extent = min(extent, 50.0)
    img = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(img)

    def to_px(p):
        return ((p[:, 0] / extent + 1) * size / 2).numpy(), ((1 - p[:, 1] / extent) * size / 2).numpy()

    for points, colour in ((real, (180, 180, 180)), (fake, (30, 90, 200))):
        if points is None:
            continue
        xs, ys = to_px(torch.as_tensor(points).float())
        for x, y in zip(xs, ys):
            if np.isfinite(x) and np.isfinite(y):
                draw.point((float(x), float(y)), fill=colour)
    if centers is not None:
        xs, ys = to_px(torch.as_tensor(centers).float())
        for x, y in zip(xs, ys):
            draw.line((x - 4, y, x + 4, y), fill=(220, 30, 30))
            draw.line((x, y - 4, x, y + 4), fill=(220, 30, 30))
    img.save(path)
    return path
