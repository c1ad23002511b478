"""A training run as one picture: the first row of its sample grid at chosen evaluations, top to bottom.

The Trainer draws every sample grid from the same seeded latents, so the rows show the same
samples as training goes on (ProGAN's fade-ins, a GAN's first shapes). Each row is labelled
with its step and any logged values asked for (e.g. resolution and alpha).
"""
import json
import math
import os

import numpy as np

GRID_SAMPLES = 64  # Trainer.save_samples' default
PADDING = 2


def _sample_grids(run_dir):
    """{step: path} of the run's samples/step_*.png."""
    folder = os.path.join(run_dir, "samples")
    names = os.listdir(folder) if os.path.isdir(folder) else []
    return {int(name[5:-4]): os.path.join(folder, name) for name in names
            if name.startswith("step_") and name.endswith(".png")}


def _image_size(run_dir):
    with open(os.path.join(run_dir, "config.json")) as f:
        shape = json.load(f)["model"]["shape"]
    if len(shape) != 3:
        raise ValueError(f"{run_dir} is a run on points, not images: it has no image grids to line up")
    return int(shape[-1])


def first_row(grid, image_size, samples=GRID_SAMPLES, padding=PADDING):
    """The top row of tiles of a sample-grid picture (H x W x C uint8, as save_image_grid writes it).

    Args:
        grid: the whole grid as an array.
        image_size: the side of one sample in pixels, before the grid's upscaling.
        samples: how many samples the grid holds (its rows are ceil(sqrt(samples)) wide).
    """
    per_row = math.ceil(math.sqrt(samples))
    rows = math.ceil(samples / per_row)
    scale = grid.shape[0] / (rows * (image_size + padding) + padding)
    if scale < 1 or abs(scale - round(scale)) > 1e-6:
        raise ValueError(f"a {grid.shape[0]} px high grid is not {rows} rows of {image_size} px samples")
    return grid[: int(round(scale)) * (image_size + 2 * padding)]


def timeline(run_dir, steps=None, label_keys=(), max_rows=12):
    """(picture H x W x 3 uint8, the steps shown) of a run's sample grids' first rows.

    Args:
        run_dir: a folder written by `fastgan train --out` (samples/step_*.png, metrics.jsonl).
        steps: evaluation steps to show (default: every one, thinned evenly to `max_rows`).
        label_keys: logged values printed beside the step (e.g. ("resolution", "alpha")).
        max_rows: the most rows when `steps` is not given.
    """
    from PIL import Image, ImageDraw

    from .plotting import read_run

    records = {int(r["step"]): r for r in read_run(run_dir).history}
    saved = _sample_grids(run_dir)
    if not saved:
        raise FileNotFoundError(f"{run_dir}/samples holds no step_*.png grids (they are written at each evaluation)")
    if steps is None:
        steps = sorted(saved)
        if len(steps) > max_rows:
            steps = [steps[round(i * (len(steps) - 1) / (max_rows - 1))] for i in range(max_rows)]
    missing = [s for s in steps if s not in saved]
    if missing:
        raise ValueError(f"no sample grid at step(s) {missing}; the run has grids at {sorted(saved)}")
    size = _image_size(run_dir)
    rows = [first_row(np.asarray(Image.open(saved[s]).convert("RGB")), size) for s in steps]
    labels = [_label(s, records.get(s, {}), label_keys) for s in steps]
    label_width = 8 + 5 * max(len(text) for text in labels)
    width = label_width + max(r.shape[1] for r in rows)
    canvas = Image.new("RGB", (width, sum(r.shape[0] for r in rows)), "white")
    draw = ImageDraw.Draw(canvas)
    top = 0
    for row, text in zip(rows, labels):
        canvas.paste(Image.fromarray(row), (label_width, top))
        draw.text((4, top + row.shape[0] // 2 - 5), text, fill="black")
        top += row.shape[0]
    return np.asarray(canvas), list(steps)


def _label(step, record, keys):
    parts = [f"step {step}"]
    for key in keys:
        if key in record:
            value = record[key]
            parts.append(f"{key} {value:.2f}" if isinstance(value, float) else f"{key} {value}")
    return ", ".join(parts)


def save_timeline(run_dir, path, steps=None, label_keys=(), max_rows=12, force=False):
    """Write `timeline(...)` to `path` (PNG); refuses to overwrite unless `force`. Returns the steps shown."""
    from PIL import Image

    from .pictures import refuse_overwrite

    refuse_overwrite(path, force)
    picture, shown = timeline(run_dir, steps=steps, label_keys=label_keys, max_rows=max_rows)
    Image.fromarray(picture).save(path)
    return shown
