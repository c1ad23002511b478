"""PNG output with pillow: image grids, 2-D scatter plots, and metric curves."""
import math

import numpy as np
import torch
from PIL import Image, ImageDraw

REFERENCE_COLOUR = (230, 120, 30)  # not a grey: text anti-aliasing produces greys


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


def save_curves(history, keys, path, reference=None, width=640, height=200):
    """Line plots of metrics over training (one panel per key) as a PNG.

    Args:
        history: list of dicts with "step" and the keys.
        keys: metric names to plot (missing ones are skipped).
        path: output PNG.
        reference: optional {key: value} drawn as a dashed orange line labelled "real", e.g. the
            real-vs-held-out metrics, so a curve can be read against what real data scores.

    A panel whose values (and reference) are all positive and span more than 20x uses a
    log scale: FID falls by orders of magnitude early on, which a linear axis flattens.
    """
    reference = reference or {}
    keys = [k for k in keys if any(_plottable(h.get(k)) for h in history)]
    img = Image.new("RGB", (width, max(1, len(keys)) * height), "white")
    draw = ImageDraw.Draw(img)
    for panel, key in enumerate(keys):
        pts = [(h["step"], h[key]) for h in history if _plottable(h.get(key))]
        ref = reference.get(key) if _plottable(reference.get(key)) else None
        top = panel * height
        values = [p[1] for p in pts] + ([ref] if ref is not None else [])
        log = min(values) > 0 and max(values) > 20 * min(values)
        draw.rectangle((50, top + 10, width - 10, top + height - 25), outline=(0, 0, 0))
        draw.text((55, top + 12), key + (" (log scale)" if log else ""), fill=(0, 0, 0))
        xs = [p[0] for p in pts]
        x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
        y0, y1 = min(values), max(values) if max(values) > min(values) else min(values) + 1
        draw.text((2, top + 10), f"{y1:.3g}", fill=(0, 0, 0))
        draw.text((2, top + height - 35), f"{y0:.3g}", fill=(0, 0, 0))
        draw.text((50, top + height - 22), f"step {x0}", fill=(0, 0, 0))
        draw.text((width - 90, top + height - 22), f"step {x1}", fill=(0, 0, 0))
        scale = math.log if log else (lambda v: v)

        def px(x, y):
            frac = (scale(y) - scale(y0)) / (scale(y1) - scale(y0))
            return 50 + (x - x0) / (x1 - x0) * (width - 60), top + height - 25 - frac * (height - 35)

        if ref is not None:
            _, y = px(x0, ref)
            for left in range(50, width - 10, 12):
                draw.line((left, y, min(left + 6, width - 10), y), fill=REFERENCE_COLOUR, width=1)
            draw.text((width - 130, y - 12), f"real {ref:.3g}", fill=REFERENCE_COLOUR)
        line = [px(x, y) for x, y in pts]
        if len(line) > 1:
            draw.line(line, fill=(30, 90, 200), width=2)
        for x, y in line:
            draw.ellipse((x - 2, y - 2, x + 2, y + 2), fill=(30, 90, 200))
    img.save(path)
    return path


def _plottable(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
