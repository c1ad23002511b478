"""PNG writers: image grids and scatter plots (metric curves: test_plotting.py)."""
import numpy as np
import torch
from PIL import Image

from fastgan.training.pictures import save_image_grid, save_scatter


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
