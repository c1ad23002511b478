"""WGAN (Arjovsky et al., 2017): a critic without sigmoid, weight clipping, RMSProp, n_critic = 5.

The critic has no batch norm here (clipping already constrains it, and it keeps critic
scores per sample). The paper's lr is 5e-5 with clip 0.01; on 2-D points that critic is
too flat to separate modes of sigma 0.05 within a few thousand steps, so the 2-D recipe
uses clip 0.05, RMSProp(2e-4), 256-unit MLPs, z of 2 dims, 3000 steps and a short
generator EMA (decay 0.99, ~100 steps) that averages out the step-to-step jitter the
clipped critic leaves around each mode (measured on ring8, see README: without it about
half the samples stay outside 3 sigma).
"""
from .adversarial import GANRecipe, adversarial_family
from .nets import adaptive_pair, is_image


def make(shape, num_classes, z_dim=None, width=None, depth=3):
    image = is_image(shape)
    if not image:
        z_dim, width = z_dim or 2, width or 256
    g, d = adaptive_pair(shape, z_dim=z_dim, width=width, depth=depth, g_norm="batch" if image else "none", d_norm="none")
    lr = 5e-5 if image else 2e-4
    recipe = GANRecipe(loss="wasserstein", g_optimizer={"name": "rmsprop", "lr": lr},
                    d_optimizer={"name": "rmsprop", "lr": lr}, n_critic=5, clip=0.01 if image else 0.05,
                    batch_size=64 if image else 256, steps=2000 if image else 3000,
                    ema_decay=0.999 if image else 0.99)
    return g, d, recipe


FAMILY = adversarial_family("wgan", "WGAN (Arjovsky et al., 2017): critic, weight clipping, RMSProp", make)
