"""LSGAN (Mao et al., 2017): least-squares losses with the 0-1 coding (a=0, b=c=1),
Adam(2e-4, beta1=0.5), DCGAN-style nets (MLPs for points).

2-D recipe (measured on ring8, see README): 256-unit MLPs, z of 2 dims, Adam(1e-4,
betas=(0.5, 0.9)), no generator EMA (it would average a mixture's modes together).
"""
from .adversarial import GANRecipe, adversarial_family
from .nets import adaptive_pair, is_image


def make(shape, num_classes, z_dim=None, width=None, depth=3):
    image = is_image(shape)
    if not image:
        z_dim, width = z_dim or 2, width or 256
    g, d = adaptive_pair(shape, z_dim=z_dim, width=width, depth=depth, g_norm="batch" if image else "none",
                         d_norm="batch" if image else "none")
    opt = {"name": "adam", "lr": 2e-4, "betas": [0.5, 0.999]} if image else \
        {"name": "adam", "lr": 1e-4, "betas": [0.5, 0.9]}
    recipe = GANRecipe(loss="least_squares", g_optimizer=dict(opt), d_optimizer=dict(opt),
                    batch_size=64 if image else 256, steps=2000 if image else 3000,
                    ema_decay=0.999 if image else 0.0)
    return g, d, recipe


FAMILY = adversarial_family("lsgan", "LSGAN (Mao et al., 2017): least-squares losses", make)
