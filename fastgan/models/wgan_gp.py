"""WGAN-GP (Gulrajani et al., 2017): Wasserstein loss with the gradient penalty (lambda = 10),
Adam(lr=1e-4, betas=(0, 0.9)), n_critic = 5, a critic without batch norm (layer norm for images).

The penalty is fastgan's fused `fastgan.ops.gradient_penalty`.

2-D recipe (measured on ring8, see README): lambda = 1 (the paper's toy experiments use
0.1; 10 with radius-2 modes kept the critic flat and the samples diffuse), Adam(5e-4,
betas=(0.5, 0.9)), z of 2 dims, 128-unit MLPs, no generator EMA (it would average a
mixture's modes together).
"""
from .nets import adaptive_pair, is_image
from .recipe import Recipe
from .registry import register


@register("wgan-gp")
def make(shape, num_classes, z_dim=None, width=None, depth=3):
    image = is_image(shape)
    if not image:
        z_dim = z_dim or 2
    g, d = adaptive_pair(shape, z_dim=z_dim, width=width, depth=depth,
                         g_norm="batch" if image else "none", d_norm="layer" if image else "none")
    if image:
        opt = {"name": "adam", "lr": 1e-4, "betas": [0.0, 0.9]}
    else:
        opt = {"name": "adam", "lr": 5e-4, "betas": [0.5, 0.9]}
    recipe = Recipe(loss="wasserstein", g_optimizer=dict(opt), d_optimizer=dict(opt), n_critic=5,
                    gradient_penalty=10.0 if image else 1.0, batch_size=64 if image else 256,
                    steps=2000 if image else 1500, ema_decay=0.999 if image else 0.0)
    return g, d, recipe
