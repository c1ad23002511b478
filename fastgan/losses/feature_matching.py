"""Feature matching (Salimans et al., 2016, section 3.1).

The generator matches the mean of an intermediate discriminator layer's features on
real and generated data: ``|| E f(x) - E f(G(z)) ||_2^2``.
"""
import torch


def feature_matching_loss(real_features, fake_features):
    """Squared L2 distance between the batch means of real and fake features.

    Args:
        real_features: [B, ...] features of D on real samples, or a list of such
            tensors from several layers (their losses are summed). Treated as
            constants (detached): the loss trains the generator.
        fake_features: the matching features on generated samples ([B', ...] each).

    Returns:
        0-dim tensor.
    """
    if isinstance(real_features, torch.Tensor):
        real_features, fake_features = [real_features], [fake_features]
    real_features, fake_features = list(real_features), list(fake_features)
    if len(real_features) != len(fake_features) or not real_features:
        raise ValueError(
            f"real_features and fake_features must list the same layers, got {len(real_features)} and {len(fake_features)}"
        )
    total = 0.0
    for i, (real, fake) in enumerate(zip(real_features, fake_features)):
        if real.shape[1:] != fake.shape[1:]:
            raise ValueError(
                f"layer {i}: real features {tuple(real.shape)} and fake features {tuple(fake.shape)} differ beyond the batch size"
            )
        if real.shape[0] == 0 or fake.shape[0] == 0:
            raise ValueError(f"layer {i}: feature matching needs at least one sample on each side")
        total = total + (real.detach().mean(0) - fake.mean(0)).square().sum()
    return total
