"""WGAN (Arjovsky et al., 2017): a critic without sigmoid, weight clipping, RMSProp, n_critic = 5.

The critic has no batch norm here (clipping already constrains it, and it keeps critic
scores per sample). The paper's lr is 5e-5; the 2-D default is larger so that a run
fits in a few CPU minutes.
"""
from .nets import adaptive_pair, is_image
from .recipe import Recipe
from .registry import register


@register("wgan")
def make(shape, num_classes, z_dim=None, width=None, depth=3):
    image = is_image(shape)
    g, d = adaptive_pair(shape, z_dim=z_dim, width=width, depth=depth, g_norm="batch" if image else "none", d_norm="none")
    lr = 5e-5 if image else 5e-4
    recipe = Recipe(loss="wasserstein", g_optimizer={"name": "rmsprop", "lr": lr},
                    d_optimizer={"name": "rmsprop", "lr": lr}, n_critic=5, clip=0.01,
                    batch_size=64 if image else 256, steps=2000)
    return g, d, recipe
