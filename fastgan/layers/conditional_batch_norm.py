"""Class-conditional batch normalisation with a shared class embedding (BigGAN).

Each layer normalises with batch statistics (no affine of its own) and then applies a
per-sample gain and bias predicted from a conditioning vector:
``y = (1 + W_gain c) * bn(x) + W_bias c``. In BigGAN the vector c is one class
embedding shared by every layer (`SharedClassEmbedding`), optionally concatenated
with a chunk of the latent z; each layer learns only its own projections.
"""
import torch
from torch import nn


class SharedClassEmbedding(nn.Embedding):
    """One embedding table [num_classes, dim] used by every conditional layer.

    Args:
        num_classes: the number of classes.
        dim: the embedding size.
    """

    def __init__(self, num_classes, dim):
        super().__init__(num_classes, dim)

    def forward(self, labels):
        """labels [B] (int64) -> [B, dim]; clear error for out-of-range labels."""
        if labels.dtype not in (torch.int64, torch.int32):
            raise TypeError(f"labels must be an integer tensor, got {labels.dtype}")
        if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= self.num_embeddings):
            raise ValueError(f"labels must lie in [0, {self.num_embeddings}), got [{int(labels.min())}, {int(labels.max())}]")
        return super().forward(labels)


class ConditionalBatchNorm2d(nn.Module):
    """Batch norm whose gain and bias are linear functions of a conditioning vector.

    Args:
        num_features: C of the [B, C, H, W] input.
        cond_dim: size of the conditioning vector (e.g. the shared embedding's dim,
            plus the z chunk's size in BigGAN).
        eps, momentum: as in nn.BatchNorm2d.

    The projections start at zero, so the layer starts as plain batch norm.
    """

    def __init__(self, num_features, cond_dim, eps=1e-5, momentum=0.1):
        super().__init__()
        self.bn = nn.BatchNorm2d(num_features, eps=eps, momentum=momentum, affine=False)
        self.gain = nn.Linear(cond_dim, num_features, bias=False)
        self.bias = nn.Linear(cond_dim, num_features, bias=False)
        nn.init.zeros_(self.gain.weight)
        nn.init.zeros_(self.bias.weight)

    def forward(self, x, cond):
        """x [B, C, H, W], cond [B, cond_dim] -> [B, C, H, W]."""
        if cond.dim() != 2 or cond.shape[0] != x.shape[0]:
            raise ValueError(f"cond must be [B, cond_dim] with B = {x.shape[0]}, got shape {tuple(cond.shape)}")
        gain = 1.0 + self.gain(cond)
        bias = self.bias(cond)
        return self.bn(x) * gain[:, :, None, None] + bias[:, :, None, None]
