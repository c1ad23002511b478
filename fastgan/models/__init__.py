"""The model families on one API: `available()`, `build(name, shape=..., num_classes=..., **overrides)`.

Adversarial: gan, dcgan, cgan, wgan, wgan-gp, lsgan, sagan, biggan, cogan (the improved techniques:
fastgan.models.techniques). Non-adversarial: vae, imle, glo, glann. Image-to-image and VAE-GAN:
pix2pix, cyclegan, vae-gan, bicyclegan. Progressive and style-based: progan, stylegan.
Each family is a fastgan.models.Family declaration (networks, optimisers, steps, data kind,
sampling); `build` returns a Model (its networks, recipe as data, JSON config).
"""
from .family import DATA_KINDS, DataSpec, Family, Model, Optimizer, Step
from .adversarial import GANRecipe, adversarial_family
from .recipe import Recipe, option
from .registry import arch_options, available, build, family, register

GANModel = Model  # the name of the model class before the general contract

__all__ = ["DATA_KINDS", "DataSpec", "Family", "GANModel", "GANRecipe", "Model", "adversarial_family", "Optimizer",
           "Recipe", "Step", "arch_options", "available", "build", "family", "option", "register"]
