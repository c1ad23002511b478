"""WGAN-GP (Gulrajani et al., 2017): Wasserstein loss with the gradient penalty (lambda = 10),
Adam(lr=1e-4, betas=(0, 0.9)), n_critic = 5, a critic without batch norm (layer norm for images).

The penalty is fastgan's fused `fastgan.ops.gradient_penalty`.
"""
from .nets import adaptive_pair, is_image
from .recipe import Recipe
from .registry import register


@register("wgan-gp")
def make(shape, num_classes, z_dim=None, width=None, depth=3):
    image = is_image(shape)
    g, d = adaptive_pair(shape, z_dim=z_dim, width=width, depth=depth,
                         g_norm="batch" if image else "none", d_norm="layer" if image else "none")
    lr = 1e-4 if image else 5e-4
    opt = {"name": "adam", "lr": lr, "betas": [0.0, 0.9]}
    recipe = Recipe(loss="wasserstein", g_optimizer=dict(opt), d_optimizer=dict(opt), n_critic=5,
                    gradient_penalty=10.0, batch_size=64 if image else 256, steps=2000)
    return g, d, recipe
