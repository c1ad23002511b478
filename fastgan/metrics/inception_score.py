"""Inception Score from classifier logits.

    IS = exp( E_x KL(p(y|x) || p(y)) ),  p(y) = mean of p(y|x) over the split

computed on consecutive splits, as in the original implementation (Salimans et al.
2016): split k holds rows floor(k N / s) to floor((k + 1) N / s) in the given order,
and the result is the mean and the population std (ddof=0) of the split scores.
"""
import numpy as np
import torch

from ..ops._inputs import as_tensor, check_finite


@torch.no_grad()
def inception_score(logits, splits=10):
    """Inception Score of [N, C] classifier logits, as (mean, std) over `splits` splits.

    Softmax and KL divergences are computed in float64 (log-softmax, so classes with
    vanishing probability contribute exactly 0). Rows are not shuffled: split k is
    rows floor(kN/s) .. floor((k+1)N/s) - 1, which equals np.array_split when
    splits divides N (the split sizes differ by one otherwise).

    Args:
        logits: [N, C] NumPy array or torch tensor (pre-softmax scores, e.g. the
            1008-way output of the FID Inception network), any float dtype and device.
        splits: number of consecutive splits (1 <= splits <= N).

    Returns:
        (mean, std) as floats.

    Raises:
        ValueError / TypeError for a wrong shape, non-float data, NaN/Inf or an
        invalid number of splits.
    """
    x = as_tensor(logits, "logits")
    if x.dim() != 2 or x.shape[1] < 1:
        raise ValueError(f"logits must be a 2-D matrix [N, C], got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"logits must be floating point, got {x.dtype}; cast them first, e.g. logits.float()")
    if not isinstance(splits, (int, np.integer)) or isinstance(splits, bool) or splits < 1:
        raise ValueError(f"splits must be an integer >= 1, got {splits!r}")
    n = x.shape[0]
    if n < splits:
        raise ValueError(f"logits has {n} rows, fewer than splits={splits}; pass splits <= {n}")
    check_finite(x, "logits")
    log_p = torch.log_softmax(x.double(), dim=1)
    p = log_p.exp()
    scores = []
    for k in range(splits):
        lo, hi = k * n // splits, (k + 1) * n // splits
        p_k, log_p_k = p[lo:hi], log_p[lo:hi]
        log_marginal = p_k.mean(0).log()
        # p log(p / p_y); where p underflowed to 0 the term is 0 (also when p_y is 0 too).
        kl = torch.where(p_k > 0, p_k * (log_p_k - log_marginal), torch.zeros_like(p_k)).sum(1)
        scores.append(kl.mean().exp())
    scores = torch.stack(scores)
    return float(scores.mean()), float(scores.std(correction=0))
