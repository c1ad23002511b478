"""Shared argument handling of the adversarial losses."""
import torch


def check_scores(scores, name):
    """`scores` as a float tensor of per-sample critic outputs ([B] or [B, ...]); clear errors otherwise."""
    if not isinstance(scores, torch.Tensor):
        raise TypeError(f"{name} must be a torch tensor of critic outputs, got {type(scores).__name__}")
    if not scores.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {scores.dtype}")
    if scores.numel() == 0:
        raise ValueError(f"{name} is empty; the loss needs at least one score")
    return scores
