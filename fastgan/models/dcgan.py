"""DCGAN (Radford et al., 2016): transposed convolutions, batch norm except at G's output
and D's input, LeakyReLU(0.2) in D, Adam(2e-4, beta1=0.5), N(0, 0.02) initialisation.

For 2-D points the same recipe runs on MLPs with batch norm.
"""
from .nets import adaptive_pair, is_image
from .recipe import Recipe
from .registry import register


@register("dcgan")
def make(shape, num_classes, z_dim=None, width=None, depth=3, g_norm="batch", d_norm="batch"):
    g, d = adaptive_pair(shape, z_dim=z_dim, width=width, depth=depth, g_norm=g_norm, d_norm=d_norm)
    opt = {"name": "adam", "lr": 2e-4, "betas": [0.5, 0.999]}
    recipe = Recipe(loss="non_saturating", g_optimizer=dict(opt), d_optimizer=dict(opt),
                    batch_size=64 if is_image(shape) else 256, steps=2000)
    return g, d, recipe
