"""Exact squared distances in float64, in row chunks: the references' building block."""
import torch

# Rows of `a` per chunk: bounds the [chunk, M, D] difference tensor of the references.
_CHUNK_ELEMENTS = 1 << 24


def exact_squared_distances(a, b):
    """sum((a_i - b_j)^2) in float64 for every pair. a: [N, D], b: [M, D] -> [N, M] float64.

    Differences are formed explicitly (no GEMM form), so there is no cancellation;
    float32 inputs are differenced exactly in float64.
    """
    a = a.double()
    b = b.double()
    out = torch.empty(a.shape[0], b.shape[0], dtype=torch.float64, device=a.device)
    per_row = max(1, b.shape[0] * max(1, a.shape[1]))
    chunk = max(1, _CHUNK_ELEMENTS // per_row)
    for start in range(0, a.shape[0], chunk):
        diff = a[start : start + chunk, None, :] - b[None, :, :]
        out[start : start + chunk] = diff.square().sum(-1)
    return out
