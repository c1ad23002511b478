"""PNG writers: image grids, scatter plots, metric curves."""
import math

import numpy as np
import pytest
import torch
from PIL import Image

from fastgan.training.pictures import REFERENCE_COLOUR, save_curves, save_image_grid, save_scatter


def _history(values, key="fid"):
    return [{"step": 100 * (i + 1), key: v} for i, v in enumerate(values)]


def test_image_grid_places_each_image_in_its_tile(tmp_path):
    images = -torch.ones(5, 1, 8, 8)
    images[3] = 1.0  # the fourth tile is white, the others black
    path = save_image_grid(images, tmp_path / "grid.png", nrow=3, padding=2, scale=1)
    pixels = np.asarray(Image.open(path))
    assert pixels.shape == (2 * 10 + 2, 3 * 10 + 2)
    assert (pixels[12:20, 2:10] == 255).all()  # row 1, column 0
    assert (pixels[2:10, 2:10] == 0).all()


def test_scatter_draws_points_where_they_are(tmp_path):
    path = save_scatter(torch.tensor([[0.0, 0.0]]), tmp_path / "s.png", extent=1.0, size=100)
    pixels = np.asarray(Image.open(path).convert("RGB"))
    assert tuple(pixels[50, 50]) == (30, 90, 200)
    assert (pixels.sum(-1) == 3 * 255).mean() > 0.99


def test_curves_draw_one_panel_per_metric_and_the_reference_line(tmp_path):
    points = ((100, 200.0, 0.2), (200, 20.0, 0.5), (300, 8.0, 0.8))
    history = [{"step": s, "fid": f, "precision": p} for s, f, p in points]
    path = save_curves(history, ("fid", "kid", "precision"), tmp_path / "c.png", reference={"fid": 4.0},
                       width=300, height=120)
    img = np.asarray(Image.open(path).convert("RGB"))
    assert img.shape[:2] == (2 * 120, 300)  # kid is absent from the history: no panel
    reference_pixels = (img == REFERENCE_COLOUR).all(-1)
    assert reference_pixels[:120].any() and not reference_pixels[120:].any()  # the dashed reference only in the fid panel


def test_curves_use_a_log_axis_for_values_spanning_orders_of_magnitude(tmp_path):
    # On a log axis 10 lies halfway between 1 and 100; on a linear one it would sit 9% up.
    def middle_point_height(values):
        path = save_curves(_history(values), ("fid",), tmp_path / "c.png", width=300, height=220)
        img = np.asarray(Image.open(path).convert("RGB"))
        blue = (img == (30, 90, 200)).all(-1)
        column = blue[:, 50 + (300 - 60) // 2]
        rows = np.flatnonzero(column)
        return rows.mean()

    top, bottom = 10, 220 - 25  # the plot area of a 220-pixel panel
    log_row = middle_point_height([100.0, 10.0, 1.0])
    assert abs(log_row - (top + bottom) / 2) < 12
    linear_row = middle_point_height([3.0, 2.0, 1.0])
    assert abs(linear_row - (top + bottom) / 2) < 12  # equally spaced values: the middle either way
    assert not math.isclose(log_row, bottom, abs_tol=20)


def test_curves_skip_non_finite_values_and_booleans(tmp_path):
    history = _history([float("nan"), 5.0, 4.0]) + [{"step": 400, "fid": 3.0, "diverged": True}]
    path = save_curves(history, ("fid", "diverged"), tmp_path / "c.png", width=300, height=120)
    assert np.asarray(Image.open(path)).shape[0] == 120


@pytest.mark.parametrize("reference", [None, {"fid": float("nan")}])
def test_curves_without_a_usable_reference(tmp_path, reference):
    path = save_curves(_history([3.0, 2.0]), ("fid",), tmp_path / "c.png", reference=reference, width=300, height=120)
    assert not (np.asarray(Image.open(path).convert("RGB")) == REFERENCE_COLOUR).all(-1).any()
