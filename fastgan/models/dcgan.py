"""DCGAN (Radford et al., 2016): transposed convolutions, batch norm except at G's output
and D's input, LeakyReLU(0.2) in D, Adam(beta1=0.5), N(0, 0.02) initialisation.

Image recipe (measured on 16 px digits, see README): the paper's Adam(2e-4, beta1=0.5) for
G, 5e-5 for D, 96 channels in the last hidden layer (doubling towards 4x4), 2000 steps.
With width 32-64 nets and equal learning rates it plateaued at FID ~18 (width 32) and
~14 (width 64) in the digits-classifier space: D won too easily and the samples lacked
variety (lower recall and feature variance than real digits). A wider net and a slower
D closed most of the gap (D at 1e-4: 11.6 at 2000 steps; at 5e-5: 10.2). Minibatch
stddev in D (`minibatch_stddev=True`), one-sided label smoothing and layer norm in D
did not help there.

For 2-D points the same recipe runs on MLPs with batch norm.
"""
from .adversarial import GANRecipe, adversarial_family
from .nets import adaptive_pair, is_image


def make(shape, num_classes, z_dim=None, width=None, depth=3, g_norm="batch", d_norm="batch",
         minibatch_stddev=False):
    image = is_image(shape)
    if image:
        width = width or 96
    g, d = adaptive_pair(shape, z_dim=z_dim, width=width, depth=depth, g_norm=g_norm, d_norm=d_norm,
                         minibatch_stddev=minibatch_stddev)
    g_opt = {"name": "adam", "lr": 2e-4, "betas": [0.5, 0.999]}
    d_opt = {**g_opt, "lr": 5e-5} if image else dict(g_opt)
    recipe = GANRecipe(loss="non_saturating", g_optimizer=g_opt, d_optimizer=d_opt,
                    batch_size=64 if image else 256, steps=2000)
    return g, d, recipe


FAMILY = adversarial_family("dcgan", "DCGAN (Radford et al., 2016): transposed convolutions, batch norm", make)
