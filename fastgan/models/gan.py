"""The original GAN (Goodfellow et al., 2014): MLP generator and discriminator.

Non-saturating generator loss by default; ``loss="minimax"`` gives the paper's
minimax objective. Images are flattened (the MLP works on any sample shape).
"""
from .nets import MLPDiscriminator, MLPGenerator, is_image
from .recipe import Recipe
from .registry import register


@register("gan")
def make(shape, num_classes, z_dim=None, width=None, depth=3):
    image = is_image(shape)
    z_dim = z_dim or (64 if image else 8)
    width = width or (256 if image else 128)
    g = MLPGenerator(shape, z_dim=z_dim, width=width, depth=depth, norm="none")
    d = MLPDiscriminator(shape, width=width, depth=depth, norm="none")
    opt = {"name": "adam", "lr": 2e-4 if image else 5e-4, "betas": [0.5, 0.999]}
    recipe = Recipe(loss="non_saturating", g_optimizer=dict(opt), d_optimizer=dict(opt),
                    batch_size=64 if image else 256, steps=3000 if image else 3000)
    return g, d, recipe
