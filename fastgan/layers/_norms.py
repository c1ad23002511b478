"""The normalisation choices of the Pix2Pix/CycleGAN networks."""
from torch import nn

NORMS = ("batch", "instance", "none")


def norm_layer(kind, channels):
    """BatchNorm2d (affine), InstanceNorm2d (no affine, no running stats) or Identity."""
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"norm must be one of {NORMS}, got {kind!r}")


def conv_bias(kind):
    """A convolution followed by batch norm needs no bias: the norm's shift replaces it."""
    return kind != "batch"
