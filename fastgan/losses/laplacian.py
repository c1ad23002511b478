"""The Laplacian-pyramid L1 loss of GLO (Bojanowski et al., 2018).

Lap1(x, x') = sum_j 2^(-2j) |L^j(x) - L^j(x')|_1, with L^j the j-th level of a Laplacian
pyramid (each level a band: the image minus its blurred, upsampled half-size version).
Mismatches in coarse structure weigh as much as in fine detail, where a plain L2 mostly
sees edges and blurs.
"""
import torch
import torch.nn.functional as F

_KERNEL = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0  # binomial approximation of a Gaussian


def _blur(x):
    c = x.shape[1]
    k = (_KERNEL[:, None] * _KERNEL[None, :]).to(x)
    return F.conv2d(F.pad(x, (2, 2, 2, 2), mode="reflect"), k.expand(c, 1, 5, 5), groups=c)


def laplacian_pyramid(x, levels=3):
    """The bands of `x` [B, C, H, W], finest first, and the coarsest low-pass image last."""
    bands = []
    current = x
    for _ in range(levels - 1):
        if min(current.shape[-2:]) < 4:
            break
        down = F.avg_pool2d(_blur(current), 2)
        up = F.interpolate(down, size=current.shape[-2:], mode="bilinear", align_corners=False)
        bands.append(current - up)
        current = down
    bands.append(current)
    return bands


def laplacian_l1_loss(x, y, levels=3):
    """Mean over the batch of sum_j 2^(-2j) * mean |L^j(x) - L^j(y)| (per-pixel means, so sizes compare).

    Args:
        x, y: [B, C, H, W] images.
        levels: pyramid levels.

    Returns:
        0-dim loss.
    """
    total = 0.0
    for j, (a, b) in enumerate(zip(laplacian_pyramid(x, levels), laplacian_pyramid(y, levels))):
        total = total + 2.0 ** (-2 * j) * (a - b).abs().mean()
    return total
