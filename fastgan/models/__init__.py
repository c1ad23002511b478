"""The GAN families on one API: `available()`, `build(name, shape=..., num_classes=..., **overrides)`.

Families: gan, dcgan, cgan, wgan, wgan-gp, lsgan. Each returns a GANModel (generator,
discriminator, recipe as data, JSON config).
"""
from .recipe import Recipe
from .registry import GANModel, available, build, register

__all__ = ["GANModel", "Recipe", "available", "build", "register"]
