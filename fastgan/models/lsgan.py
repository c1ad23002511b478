"""LSGAN (Mao et al., 2017): least-squares losses with the 0-1 coding (a=0, b=c=1),
Adam(2e-4, beta1=0.5), DCGAN-style nets (MLPs for points).
"""
from .nets import adaptive_pair, is_image
from .recipe import Recipe
from .registry import register


@register("lsgan")
def make(shape, num_classes, z_dim=None, width=None, depth=3):
    image = is_image(shape)
    g, d = adaptive_pair(shape, z_dim=z_dim, width=width, depth=depth, g_norm="batch" if image else "none",
                         d_norm="batch" if image else "none")
    opt = {"name": "adam", "lr": 2e-4 if image else 5e-4, "betas": [0.5, 0.999]}
    recipe = Recipe(loss="least_squares", g_optimizer=dict(opt), d_optimizer=dict(opt),
                    batch_size=64 if image else 256, steps=2000)
    return g, d, recipe
