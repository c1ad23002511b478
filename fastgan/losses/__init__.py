"""Adversarial losses and regularisers.

Every adversarial loss has the signature ``discriminator_loss(real_scores, fake_scores)``
/ ``generator_loss(fake_scores, real_scores=None)`` on raw critic outputs;
`adversarial_loss(name)` returns the pair. The gradient penalties live in
fastgan.ops (compiled kernels) and are re-exported here.
"""
from ..ops.gradient_penalty import gradient_penalty, penalty_from_gradients, r1_penalty
from .feature_matching import feature_matching_loss
from .hinge import hinge_discriminator_loss, hinge_generator_loss
from .historical_averaging import HistoricalAverage
from .label_smoothing import one_sided_label_smoothing_loss
from .laplacian import laplacian_l1_loss, laplacian_pyramid
from .lazy_regularization import LazyRegularizer
from .least_squares import least_squares_discriminator_loss, least_squares_generator_loss
from .nearest_neighbour import imle_loss, nearest_sq, repulsive_imle_loss
from .minimax import minimax_discriminator_loss, minimax_generator_loss
from .non_saturating import non_saturating_discriminator_loss, non_saturating_generator_loss
from .registry import ADVERSARIAL_LOSSES, AdversarialLoss, adversarial_loss
from .wasserstein import wasserstein_discriminator_loss, wasserstein_generator_loss
from .weight_clipping import clip_weights_after_step

__all__ = [
    "ADVERSARIAL_LOSSES",
    "AdversarialLoss",
    "HistoricalAverage",
    "LazyRegularizer",
    "adversarial_loss",
    "clip_weights_after_step",
    "feature_matching_loss",
    "gradient_penalty",
    "hinge_discriminator_loss",
    "hinge_generator_loss",
    "imle_loss",
    "laplacian_l1_loss",
    "laplacian_pyramid",
    "least_squares_discriminator_loss",
    "least_squares_generator_loss",
    "minimax_discriminator_loss",
    "minimax_generator_loss",
    "nearest_sq",
    "non_saturating_discriminator_loss",
    "non_saturating_generator_loss",
    "one_sided_label_smoothing_loss",
    "penalty_from_gradients",
    "r1_penalty",
    "repulsive_imle_loss",
    "wasserstein_discriminator_loss",
    "wasserstein_generator_loss",
]
