"""What the PPL shims share: the anchors' latent step, their LPIPS resize and their batched loop.

torch-fidelity's estimator (``metric_ppl``, ``noise.py``, ``SampleSimilarityLPIPS.resize``) is the
one torchmetrics copied, so both shims step latents, resize images and walk the pairs the same
way; they differ in their RNG, in how images reach the similarity network and in how the
distances are reduced, which stays in each shim.
"""
import torch
import torch.nn.functional as F

__all__ = ["INTERPOLATIONS", "interpolate", "normalize_last_dim", "resize_for_lpips", "step_distances"]

INTERPOLATIONS = ("lerp", "slerp_any", "slerp_unit")


def interpolate(a, b, t, method, eps=1e-7):
    """The latents a step `t` from `a` towards `b`, as the anchors move them.

    Args:
        a, b: latents [N, ..., D] of the same shape.
        t: the step, a float.
        method: "lerp", "slerp_any" (on the great circle through the directions, lerp where a or
            b is zero or they are (anti)parallel) or "slerp_unit" (slerp_any, then unit norm).
        eps: the anchors' guard against zero norms.
    Returns:
        latents of the shape of `a`.
    """
    if a.shape != b.shape:
        raise ValueError("Latents must have the same shape.")
    if method == "lerp":
        return a + (b - a) * t
    if method == "slerp_unit":
        return normalize_last_dim(interpolate(a, b, t, "slerp_any", eps), eps)
    if method != "slerp_any":
        raise ValueError(f"interpolation must be one of {', '.join(INTERPOLATIONS)}, got {method!r}")
    unit_a, unit_b = normalize_last_dim(a, eps), normalize_last_dim(b, eps)
    cos = (unit_a * unit_b).sum(dim=-1, keepdim=True)
    degenerate = (unit_a.norm(dim=-1, keepdim=True) < eps) | (unit_b.norm(dim=-1, keepdim=True) < eps) | \
        (cos > 1 - eps) | (cos < -1 + eps)
    omega = cos.acos()
    denom = omega.sin().clamp_min(eps)
    out = ((1 - t) * omega).sin() / denom * a + (t * omega).sin() / denom * b
    return torch.where(degenerate.expand_as(out), a + (b - a) * t, out)


def resize_for_lpips(x, size):
    """The anchors' LPIPS resize to `size` x `size`: area when both sides shrink, bilinear
    (align_corners=False) otherwise. x: float [N,C,H,W]."""
    if x.shape[-1] > size and x.shape[-2] > size:
        return F.interpolate(x, (size, size), mode="area")
    return F.interpolate(x, (size, size), mode="bilinear", align_corners=False)


def step_distances(generator, first, second, labels, batch_size, distance, epsilon, device):
    """``distance(G(first[i]), G(second[i])) / epsilon**2`` for every pair, `batch_size` pairs at a time.

    As both anchors run it: per batch, one generator call on the two ends concatenated (with the
    labels repeated when conditional), its output split in halves.

    Args:
        generator: called as ``generator(z)`` or ``generator(z, labels)``.
        first, second: latents [N, ...]; labels: int [N] or None.
        distance: ``distance(images_a, images_b)`` -> [B] for two halves of the generator's output.
        epsilon: the step the distances are divided by (squared).
        device: where latents and labels go.
    Returns:
        the distances [N], concatenated on the device `distance` returns them on.
    """
    out = []
    with torch.inference_mode():
        for start in range(0, first.shape[0], batch_size):
            rows = slice(start, start + batch_size)
            z = torch.cat((first[rows], second[rows])).to(device)
            if labels is None:
                images = generator(z)
            else:
                y = labels[rows].to(device)
                images = generator(z, torch.cat((y, y)))
            a, b = images.chunk(2, dim=0)
            out.append(distance(a, b) / epsilon**2)
    return torch.cat(out)


def normalize_last_dim(v, eps=1e-7):
    """v [..., D] scaled to unit norm along D, zero vectors kept zero (the anchors' guard `eps`)."""
    return v / (v**2).sum(dim=-1, keepdim=True).sqrt().clamp_min(eps)
