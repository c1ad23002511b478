"""Nearest-neighbour matching losses (IMLE, Li & Malik 2018; the study notes' repulsive variant).

Distances are exact and differentiable through the selected pairs (fastgan.ops.knn), squared
and divided by the dimension, so they read as a mean squared error per coordinate whatever
the sample size.
"""
import torch

from ..ops import knn


def nearest_sq(query, ref):
    """[Q] squared distance of each row of `query` to its nearest row of `ref`, per coordinate.

    Args:
        query: [Q, *shape]; ref: [M, *shape] (flattened to vectors).
    """
    q, r = query.flatten(1).float(), ref.flatten(1).float()
    dist, _ = knn(q, r, k=1)
    return dist[:, 0].square() / q.shape[1]


def imle_loss(real, fake):
    """IMLE: each real sample's squared distance to its nearest generated sample, averaged.

    Args:
        real: [M, *shape] data; fake: [N, *shape] generated, N >= 1 (usually several times M).

    Returns:
        0-dim loss; gradients reach `fake` through the selected nearest samples only.
    """
    return nearest_sq(real, fake).mean()


def repulsive_imle_loss(real, fake, other_fake, margin=None):
    """The notes' variant: each fake moves to its nearest real and away from its nearest other fake.

    loss = mean_i [ d(f_i, reals) - d(f_i, others) ], or with a margin m
    mean_i [ d(f_i, reals) + relu(m - d(f_i, others)) ] (the fake-fake term then only pushes
    fakes closer than m apart), d a squared per-coordinate nearest distance. Two fake batches
    are needed: within one batch each fake's nearest fake is itself.

    Args:
        real: [M, *shape]; fake: [N, *shape]; other_fake: [K, *shape] a second generated batch.
        margin: m, or None for the plain difference.
    """
    attract = nearest_sq(fake, real)
    repel = nearest_sq(fake, other_fake)
    if margin is None:
        return (attract - repel).mean()
    return (attract + torch.relu(margin - repel)).mean()
