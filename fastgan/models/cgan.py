"""Conditional GAN (Mirza & Osindero, 2014): the label is given to both networks.

MLPs (points) take a one-hot label concatenated to z and to D's input; conv nets (images)
take a learned embedding appended to z and, for D, an embedding reshaped to an extra
input plane. The data's labels are required (`num_classes` > 0).
"""
from .adversarial import GANRecipe, adversarial_family
from .nets import adaptive_pair, is_image


def make(shape, num_classes, z_dim=None, width=None, depth=3):
    if num_classes < 1:
        raise ValueError("cgan needs labelled data: num_classes must be >= 1")
    image = is_image(shape)
    g, d = adaptive_pair(shape, num_classes, z_dim=z_dim, width=width, depth=depth,
                         g_norm="batch" if image else "none", d_norm="batch" if image else "none")
    opt = {"name": "adam", "lr": 2e-4 if image else 5e-4, "betas": [0.5, 0.999]}
    recipe = GANRecipe(loss="non_saturating", g_optimizer=dict(opt), d_optimizer=dict(opt),
                    batch_size=64 if image else 256, steps=2000)
    return g, d, recipe


FAMILY = adversarial_family("cgan", "conditional GAN (Mirza & Osindero, 2014): labels to both networks", make,
                            data="labelled")
