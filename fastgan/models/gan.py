"""The original GAN (Goodfellow et al., 2014): MLP generator and discriminator.

Non-saturating generator loss by default; ``loss="minimax"`` gives the paper's
minimax objective. Images are flattened (the MLP works on any sample shape).

2-D recipe (measured on ring8, see README): 256-unit MLPs, z of 2 dims, Adam(1e-4,
betas=(0.5, 0.9)) as in the WGAN-GP toy experiments, and no generator EMA: on a
mixture the weight average of a generator that still moves between modes lands
between them, so the raw generator is the one to sample and score.
"""
from .adversarial import GANRecipe, adversarial_family
from .nets import MLPDiscriminator, MLPGenerator, is_image


def make(shape, num_classes, z_dim=None, width=None, depth=3):
    image = is_image(shape)
    z_dim = z_dim or (64 if image else 2)
    width = width or 256
    g = MLPGenerator(shape, z_dim=z_dim, width=width, depth=depth, norm="none")
    d = MLPDiscriminator(shape, width=width, depth=depth, norm="none")
    opt = {"name": "adam", "lr": 2e-4, "betas": [0.5, 0.999]} if image else \
        {"name": "adam", "lr": 1e-4, "betas": [0.5, 0.9]}
    recipe = GANRecipe(loss="non_saturating", g_optimizer=dict(opt), d_optimizer=dict(opt),
                    batch_size=64 if image else 256, steps=3000, ema_decay=0.999 if image else 0.0)
    return g, d, recipe


FAMILY = adversarial_family("gan", "the original GAN (Goodfellow et al., 2014): MLPs, non-saturating loss", make)
