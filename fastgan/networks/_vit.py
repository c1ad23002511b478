"""What the DINOv2 and CLIP vision transformers share: their shape, patch tokens, attention.

The two networks name their parameters differently (each after its published checkpoint), so
each defines its own blocks; the computations they have in common live here as functions.
"""
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .preprocessing import as_image_batch

__all__ = ["ViTArch", "patch_tokens", "fused_attention", "quick_gelu", "normalize_channels"]


@dataclass(frozen=True)
class ViTArch:
    """The shape of a vision transformer.

    Attributes:
        patch: side of the square patches (the stride of the patch convolution).
        width: token dimension.
        depth: number of transformer blocks.
        heads: attention heads (``width`` must be a multiple).
        mlp: hidden size of each block's MLP.
        grid: side of the square grid of learned position embeddings (one per patch, plus
            one for the class token).
        output: size of the final projection, or None for none (DINOv2's CLS token is the
            feature itself; CLIP projects it).
    """

    patch: int
    width: int
    depth: int
    heads: int
    mlp: int
    grid: int
    output: int = None

    def __post_init__(self):
        for name in ("patch", "width", "depth", "heads", "mlp", "grid"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"ViTArch.{name} must be a positive int, got {value!r}")
        if self.width % self.heads:
            raise ValueError(f"ViTArch.width ({self.width}) must be a multiple of heads ({self.heads})")

    @property
    def image_size(self):
        """The input side whose patch grid equals the position-embedding grid."""
        return self.grid * self.patch


def patch_tokens(conv, x, patch):
    """Patch embedding: float [N,3,H,W] -> tokens [N, (H/patch)*(W/patch), width], row-major.

    Raises ValueError when H or W is not a multiple of `patch` (the published models reject
    such inputs too rather than dropping the border).
    """
    x = as_image_batch(x, "x")
    if x.shape[2] % patch or x.shape[3] % patch:
        raise ValueError(f"the image size {tuple(x.shape[2:])} is not a multiple of the patch size {patch}; "
                         f"resize the images first")
    return conv(x).flatten(2).transpose(1, 2)


def fused_attention(x, in_weight, in_bias, out_weight, out_bias, heads):
    """Multi-head self-attention with one fused q/k/v projection, as both published models do.

    Args:
        x: tokens [N, L, D].
        in_weight, in_bias: [3D, D] and [3D]: rows 0..D-1 give the queries, then keys, then values.
        out_weight, out_bias: [D, D] and [D]: the output projection.
        heads: number of heads; each attends over D/heads channels with scale (D/heads)^-1/2.
    Returns:
        [N, L, D].
    """
    n, length, dim = x.shape
    qkv = F.linear(x, in_weight, in_bias).view(n, length, 3, heads, dim // heads).permute(2, 0, 3, 1, 4)
    out = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])  # [N, heads, L, D/heads]
    return F.linear(out.transpose(1, 2).reshape(n, length, dim), out_weight, out_bias)


def quick_gelu(x):
    """CLIP's activation: ``x * sigmoid(1.702 x)``."""
    return x * torch.sigmoid(1.702 * x)


def normalize_channels(x, mean, std):
    """``(x - mean) / std`` per channel of float [N,3,H,W], in x's dtype (as torchvision's
    ``Normalize`` and NumPy compute it: the constants rounded to x's dtype first)."""
    mean = torch.tensor(mean, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
    std = torch.tensor(std, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
    return (x - mean) / std
