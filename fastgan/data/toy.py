"""2-D Gaussian mixtures for GAN sanity checks: `ring8` and `grid25`, with mode metrics.

ring8: 8 modes on a circle of radius 2 (Metz et al., 2017, unrolled GANs);
grid25: a 5x5 grid of modes at {-4, -2, 0, 2, 4}^2 (Dumoulin et al., 2017; VEEGAN).
A sample is "high quality" when it lies within 3 sigma of its nearest mode; a mode is
"covered" when it holds enough high-quality samples (see `mode_metrics`).
"""
import math

import torch

RING8_RADIUS = 2.0
RING8_STD = 0.05
GRID25_STD = 0.05


def ring8_centers():
    """The 8 mode centres on the circle of radius 2, [8, 2] float32."""
    angles = torch.arange(8, dtype=torch.float64) * (2 * math.pi / 8)
    return (RING8_RADIUS * torch.stack([angles.cos(), angles.sin()], dim=1)).float()


def grid25_centers():
    """The 25 mode centres of the 5x5 grid, [25, 2] float32."""
    axis = torch.arange(-4.0, 5.0, 2.0)
    return torch.cartesian_prod(axis, axis).float()


MIXTURES = {"ring8": (ring8_centers, RING8_STD), "grid25": (grid25_centers, GRID25_STD)}


def mixture_spec(name):
    """(centers [K, 2], std) of the mixture called `name` ("ring8" or "grid25")."""
    try:
        centers, std = MIXTURES[name]
    except KeyError:
        raise ValueError(f"unknown mixture {name!r}; choose one of {sorted(MIXTURES)}") from None
    return centers(), std


def sample_mixture(name, n, seed=0, generator=None):
    """`n` points of the mixture `name`, equal mode weights.

    Args:
        name: "ring8" or "grid25".
        n: number of points (>= 1).
        seed: seed used when no `generator` is given.
        generator: a torch.Generator to draw from (overrides `seed`).

    Returns:
        (points [n, 2] float32, mode index [n] int64).
    """
    n = int(n)
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    centers, std = mixture_spec(name)
    if generator is None:
        generator = torch.Generator().manual_seed(int(seed))
    modes = torch.randint(len(centers), (n,), generator=generator)
    points = centers[modes] + std * torch.randn(n, 2, generator=generator)
    return points, modes


def ring8(n=10000, seed=0):
    """`n` points of the 8-mode ring (radius 2, std 0.05): (points [n, 2], modes [n])."""
    return sample_mixture("ring8", n, seed=seed)


def grid25(n=10000, seed=0):
    """`n` points of the 5x5 grid (spacing 2, std 0.05): (points [n, 2], modes [n])."""
    return sample_mixture("grid25", n, seed=seed)


def mode_metrics(samples, centers, std, min_fraction=0.1):
    """Modes covered and the fraction of high-quality samples.

    Args:
        samples: [N, 2] generated points (torch or NumPy).
        centers: [K, 2] mode centres.
        std: the modes' standard deviation; high quality means within 3 * std of a centre.
        min_fraction: a mode counts as covered when it holds at least
            ``min_fraction * N / K`` high-quality samples (10% of its fair share), so
            a few stray points do not count as covering it.

    Returns:
        dict with "modes_covered" (int), "num_modes" (int), "high_quality" (fraction in
        [0, 1]) and "mode_counts" (list of high-quality samples per mode).
    """
    samples = torch.as_tensor(samples, dtype=torch.float32).reshape(-1, 2)
    if samples.shape[0] == 0:
        raise ValueError("samples must hold at least one point")
    if not torch.isfinite(samples).all():
        raise ValueError("samples contain NaN or Inf: the generator diverged")
    centers = torch.as_tensor(centers, dtype=torch.float32)
    dist = torch.cdist(samples, centers)
    nearest_dist, nearest = dist.min(dim=1)
    good = nearest_dist <= 3.0 * std
    counts = torch.bincount(nearest[good], minlength=len(centers))
    threshold = max(1.0, min_fraction * samples.shape[0] / len(centers))
    return {
        "modes_covered": int((counts >= threshold).sum()),
        "num_modes": len(centers),
        "high_quality": float(good.float().mean()),
        "mode_counts": counts.tolist(),
    }
