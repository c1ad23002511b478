"""Adaptive instance normalisation (Huang & Belongie, 2017) and StyleGAN's styled AdaIN.

``adain(x, y) = sigma(y) * (x - mu(x)) / sigma(x) + mu(y)`` with per-sample,
per-channel statistics over the spatial positions: the output carries the style's
channel means and standard deviations. StyleGAN predicts them from the intermediate
latent w with a learned affine map instead (`AdaIN`).
"""
import torch
from torch import nn


def channel_statistics(x, eps=1e-5):
    """Per-sample, per-channel mean and std over spatial dims of [B, C, ...]: two [B, C, 1, ...] tensors.

    The std is the biased one (population), sqrt(var + eps).
    """
    if x.dim() < 3:
        raise ValueError(f"expected [B, C, spatial...], got shape {tuple(x.shape)}")
    dims = tuple(range(2, x.dim()))
    var, mean = torch.var_mean(x, dim=dims, keepdim=True, unbiased=False)
    return mean, (var + eps).sqrt()


def adaptive_instance_norm(content, style_mean, style_std, eps=1e-5):
    """Normalise `content` per sample and channel, then scale by style_std and shift by style_mean.

    Args:
        content: [B, C, ...] features.
        style_mean, style_std: broadcastable to [B, C, 1, ...] (e.g. [B, C, 1, 1]).
        eps: added to the content's variance.
    """
    mean, std = channel_statistics(content, eps)
    return (content - mean) / std * style_std + style_mean


def adain(content, style, eps=1e-5):
    """Huang & Belongie's AdaIN: content [B, C, ...] takes the channel statistics of style [B, C, ...]."""
    if content.shape[:2] != style.shape[:2]:
        raise ValueError(f"content and style must agree in [B, C], got {tuple(content.shape)} and {tuple(style.shape)}")
    style_mean, style_std = channel_statistics(style, eps)
    return adaptive_instance_norm(content, style_mean, style_std, eps)


class AdaIN(nn.Module):
    """StyleGAN's AdaIN: instance norm, then a per-channel scale and bias from w.

    Args:
        channels: C of the [B, C, H, W] input.
        style_dim: size of the latent w.
        eps: added to the instance variance.

    The style affine is a linear map w -> (scale, bias) whose bias starts at
    (1, 0), so at initialisation the layer is plain instance normalisation.
    """

    def __init__(self, channels, style_dim, eps=1e-5):
        super().__init__()
        self.channels = channels
        self.eps = eps
        self.style = nn.Linear(style_dim, 2 * channels)
        with torch.no_grad():
            self.style.bias[:channels].fill_(1.0)
            self.style.bias[channels:].zero_()

    def forward(self, x, w):
        """x [B, C, H, W], w [B, style_dim] -> [B, C, H, W]."""
        style = self.style(w)[:, :, None, None]
        scale, bias = style[:, : self.channels], style[:, self.channels :]
        return adaptive_instance_norm(x, bias, scale, self.eps)
