"""ring8 / grid25 mixtures and the mode metrics."""
import math

import numpy as np
import pytest
import torch

from fastgan.data import grid25, mode_metrics, ring8
from fastgan.data.toy import grid25_centers, ring8_centers


def test_ring8_points_sit_on_their_modes():
    x, modes = ring8(4000, seed=1)
    centers = ring8_centers()
    assert x.shape == (4000, 2) and modes.shape == (4000,)
    assert torch.allclose(centers.norm(dim=1), torch.full((8,), 2.0))
    err = (x - centers[modes]).std()
    assert abs(float(err) - 0.05) < 0.005
    assert torch.bincount(modes, minlength=8).min() > 400


def test_grid25_centres_and_seed():
    assert grid25_centers().shape == (25, 2)
    assert set(grid25_centers()[:, 0].tolist()) == {-4.0, -2.0, 0.0, 2.0, 4.0}
    a, _ = grid25(100, seed=5)
    b, _ = grid25(100, seed=5)
    c, _ = grid25(100, seed=6)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_mode_metrics_on_real_data_and_on_a_collapse():
    x, _ = ring8(2500, seed=2)
    full = mode_metrics(x, ring8_centers(), 0.05)
    assert full["modes_covered"] == 8 and full["high_quality"] > 0.98  # 3 sigma in 2-D holds ~98.9%
    collapsed = ring8_centers()[:3].repeat(100, 1)
    stats = mode_metrics(collapsed, ring8_centers(), 0.05)
    assert stats["modes_covered"] == 3 and stats["high_quality"] == 1.0
    far = mode_metrics(np.zeros((50, 2)), ring8_centers(), 0.05)
    assert far["modes_covered"] == 0 and far["high_quality"] == 0.0


def test_mode_metrics_ignores_a_few_strays():
    x = torch.cat([ring8_centers()[:1].repeat(1000, 1), ring8_centers()[1:2]])
    assert mode_metrics(x, ring8_centers(), 0.05)["modes_covered"] == 1


def test_mode_metrics_refuses_nan_and_empty():
    with pytest.raises(ValueError, match="NaN"):
        mode_metrics(torch.tensor([[math.nan, 0.0]]), ring8_centers(), 0.05)
    with pytest.raises(ValueError, match="at least one"):
        mode_metrics(torch.zeros(0, 2), ring8_centers(), 0.05)


def test_unknown_mixture_and_bad_n():
    from fastgan.data.toy import sample_mixture

    with pytest.raises(ValueError, match="unknown mixture"):
        sample_mixture("ring9", 10)
    with pytest.raises(ValueError, match="n must be"):
        ring8(0)
