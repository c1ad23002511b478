"""Self-attention over spatial positions (SAGAN, Zhang et al., 2019).

For a feature map x [B, C, H, W] with N = H * W positions:
``attention[b, j, i] = softmax_i( q(x)_j . k(x)_i )`` and
``out = x + gamma * o(sum_i attention[b, j, i] v(x)_i)``, with 1x1 convolutions q, k
(C -> C/8), v (C -> C/2) and o (C/2 -> C). gamma starts at 0, so the block begins as
the identity and learns how much non-local evidence to add.
"""
import torch
from torch import nn

from .spectral_norm import spectral_norm as _spectral_norm


class SelfAttention2d(nn.Module):
    """SAGAN's self-attention block.

    Args:
        channels: C, the input and output channels.
        key_channels: channels of queries and keys (default max(C // 8, 1)).
        value_channels: channels of the values (default max(C // 2, 1)).
        spectral_norm: spectral-normalise the four 1x1 convolutions (as SAGAN does).
    """

    def __init__(self, channels, key_channels=None, value_channels=None, spectral_norm=False):
        super().__init__()
        key_channels = key_channels or max(channels // 8, 1)
        value_channels = value_channels or max(channels // 2, 1)
        self.query = nn.Conv2d(channels, key_channels, 1, bias=False)
        self.key = nn.Conv2d(channels, key_channels, 1, bias=False)
        self.value = nn.Conv2d(channels, value_channels, 1, bias=False)
        self.out = nn.Conv2d(value_channels, channels, 1, bias=False)
        if spectral_norm:
            for conv in (self.query, self.key, self.value, self.out):
                _spectral_norm(conv)
        self.gamma = nn.Parameter(torch.zeros(()))

    def forward(self, x, return_attention=False):
        """x [B, C, H, W] -> [B, C, H, W] (and the attention [B, N, N] when asked)."""
        if x.dim() != 4:
            raise ValueError(f"SelfAttention2d expects [B, C, H, W], got shape {tuple(x.shape)}")
        b, c, h, w = x.shape
        q = self.query(x).flatten(2)  # [B, Ck, N]
        k = self.key(x).flatten(2)
        v = self.value(x).flatten(2)  # [B, Cv, N]
        attention = torch.softmax(q.transpose(1, 2) @ k, dim=-1)  # [B, N(query j), N(key i)]
        attended = (v @ attention.transpose(1, 2)).reshape(b, -1, h, w)
        out = x + self.gamma * self.out(attended)
        return (out, attention) if return_attention else out
