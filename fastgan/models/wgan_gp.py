"""WGAN-GP (Gulrajani et al., 2017): Wasserstein loss with the gradient penalty (lambda = 10),
Adam(lr=1e-4, betas=(0, 0.9)), n_critic = 5, a critic without batch norm (layer norm for images).

The penalty is fastgan's fused `fastgan.ops.gradient_penalty`.

2-D recipe (measured on ring8, see README): lambda = 1 (the paper's toy experiments use
0.1; 10 with radius-2 modes kept the critic flat and the samples diffuse), Adam(5e-4,
betas=(0.5, 0.9)), z of 2 dims, 128-unit MLPs, 2000 steps, and a short generator EMA
(decay 0.99, ~100 steps): it smooths the step-to-step jitter around the modes once all
are covered, while 0.999 would still average the early mode-hopping generators.
"""
from .adversarial import GANRecipe, adversarial_family
from .nets import adaptive_pair, is_image


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
    recipe = GANRecipe(loss="wasserstein", g_optimizer=dict(opt), d_optimizer=dict(opt), n_critic=5,
                    gradient_penalty=10.0 if image else 1.0, batch_size=64 if image else 256,
                    steps=2000, ema_decay=0.999 if image else 0.99)
    return g, d, recipe


FAMILY = adversarial_family("wgan-gp", "WGAN-GP (Gulrajani et al., 2017): Wasserstein loss with the gradient penalty",
                            make)
