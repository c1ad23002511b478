"""`fastgan translate CKPT INPUT OUT`: images through an image-to-image family's `translate`.

Generic: any family whose declaration has a `translate` function (fastgan.models.Family)
works; the command never names one. Each input image is centre-cropped and resized to the
model's side and channels as the training data was, translated, and written as
OUT/<name>.png (or OUT itself when INPUT is one file and OUT ends in .png). Existing files
are not overwritten unless `force`.
"""
import os
from pathlib import Path

import torch

from ..data.domain_images import to_model_images
from ..data.images import IMAGE_EXTENSIONS, ImageFolder, list_images


def run_translate(checkpoint, source, out, reverse=False, seed=0, use_ema=True, force=False):
    """Translate the image(s) at `source` with the model in `checkpoint`; returns the written paths.

    Args:
        checkpoint: a .pt file of a family that declares `translate`.
        source: one image file or a folder of images.
        out: output folder (or a .png path for a single input).
        reverse: the other direction (families with two, e.g. cyclegan's B -> A).
        seed: seeds the noise of stochastic translators.
        use_ema: translate with the EMA weights where the checkpoint has them.
        force: overwrite existing output files.
    """
    from ..models import available, family
    from .checkpoint import load_model
    from .pictures import save_image_grid

    model, _ = load_model(checkpoint, use_ema=use_ema)
    if model.family.translate is None:
        able = [n for n in available() if family(n).translate is not None]
        raise ValueError(f"{model.name} does not translate images; families that do: {', '.join(able)}")
    files = list_images(source, IMAGE_EXTENSIONS)
    if not files:
        raise ValueError(f"no images found in {source} (looked for {', '.join(IMAGE_EXTENSIONS)})")
    single = Path(source).is_file() and str(out).lower().endswith(".png")
    targets = [Path(out)] if single else [Path(out) / (Path(f).stem + ".png") for f in files]
    if len(set(targets)) != len(targets):
        raise ValueError(f"two inputs under {source} share a file name; outputs would overwrite each other")
    existing = [str(t) for t in targets if t.exists()]
    if existing and not force:
        raise ValueError(f"{existing[0]} exists ({len(existing)} output(s) would be overwritten); pass --force")
    channels, size, _ = model.shape
    gen = torch.Generator().manual_seed(seed)
    written = []
    for path, target in zip(files, targets):
        x = to_model_images(ImageFolder(path)[0].unsqueeze(0), size, channels)
        with torch.no_grad():
            y = model.family.translate(model.networks, x, gen, reverse=reverse)
        os.makedirs(target.parent, exist_ok=True)
        written.append(save_image_grid(y, str(target), nrow=1, padding=0, scale=1))
    return written
