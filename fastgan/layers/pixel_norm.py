"""ProGAN's pixelwise feature normalisation: each pixel's feature vector gets unit mean square.

``y[b, :, h, w] = x[b, :, h, w] / sqrt(mean_c x[b, c, h, w]^2 + eps)``; used in the
generator instead of batch norm, to stop feature magnitudes from escalating.
"""
from torch import nn


def pixel_norm(x, eps=1e-8):
    """Normalise over dim 1 of [B, C, ...] (or of a latent [B, D]) to unit mean square."""
    return x * (x.square().mean(dim=1, keepdim=True) + eps).rsqrt()


class PixelNorm(nn.Module):
    """Module form of `pixel_norm`.

    Args:
        eps: added to the mean square.
    """

    def __init__(self, eps=1e-8):
        super().__init__()
        self.eps = eps

    def forward(self, x):
        return pixel_norm(x, self.eps)
