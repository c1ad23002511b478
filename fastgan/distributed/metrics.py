"""Metrics of the whole data set from per-process shards, exact, without gathering features.

Each process passes its own shard of the real and generated features (disjoint rows,
uneven sizes allowed, in rank order: rank 0 holds the first rows); every process
returns the result of the whole set, the number a single process would compute:

- FID: float64 (count, sum, sum of outer products) about one common shift, reduced by
  one ``all_reduce``; never gathered.
- KID: the subsets of the single-process run (the same RandomState draws of global rows);
  each subset's kernel sums are computed shard against shard as the shards pass around
  a ring, then the per-subset sums are all-reduced.
- Inception Score: per-split sums (count, Σ p(y|x), Σ p log p) all-reduced.
- PRDC: the k-NN radii and ball counts of the whole set; shards pass around a ring and
  each process runs the tile engine on its block, holding its own shard, one visiting
  shard and one in flight: memory O(shard + tile).
"""
import numpy as np
import torch

from ..metrics.fid import frechet_distance
from ..metrics.kid import _kernel_gamma
from ..metrics.prdc import membership_thresholds
from ..metrics.stats import FeatureStats
from ..ops.ball_counts import ball_statistics
from ..ops.kernel_sum import kernel_sum
from ..ops.knn import knn
from ..metrics._features import feature_matrix
from .comm import all_gather_counts, all_reduce_sum, broadcast, ring, world


def feature_stats(shard, group=None):
    """FeatureStats of the whole set from this process's shard [n_rank, D] (every process gets them)."""
    x = feature_matrix(shard, "shard", min_rows=0)
    local = FeatureStats().update(x)
    dim, device = x.shape[1], x.device
    shift = local.state_dict()["shift"] if local.num_samples else torch.zeros(dim, dtype=torch.float64, device=device)
    # The first process with samples provides the common shift (broadcast from every rank, summed: one call).
    counts = all_gather_counts(local.num_samples, device, group)
    owner = int(torch.nonzero(counts)[0]) if bool(counts.any()) else 0
    common = shift.clone() if world(group)[0] == owner else torch.zeros_like(shift)
    broadcast(common, src=owner, group=group)
    packed = torch.zeros(1 + dim + dim * dim, dtype=torch.float64, device=device)
    if local.num_samples:
        state = local.state_dict()
        delta = state["shift"] - common
        total = state["sum"] + local.num_samples * delta
        outer = state["outer"] + torch.outer(state["sum"], delta) + torch.outer(delta, state["sum"])
        outer += local.num_samples * torch.outer(delta, delta)
        packed[0] = local.num_samples
        packed[1 : 1 + dim] = total
        packed[1 + dim :] = outer.reshape(-1)
    all_reduce_sum(packed, group)
    n = int(round(float(packed[0])))
    state = {"num_samples": n, "shift": common, "sum": packed[1 : 1 + dim], "outer": packed[1 + dim :].view(dim, dim)}
    return FeatureStats.from_state_dict(state)


def fid(real_shard, fake_shard, group=None):
    """FID of the whole sets from this process's shards; the same on every process."""
    real, fake = feature_stats(real_shard, group), feature_stats(fake_shard, group)
    for name, stats in (("real", real), ("fake", fake)):
        if stats.num_samples < 2:
            raise ValueError(f"{name} has {stats.num_samples} sample(s) over all processes; FID needs at least 2")
    return frechet_distance(real.mean, real.cov, fake.mean.to(real.device), fake.cov.to(real.device))


def kid(real_shard, fake_shard, subsets=100, subset_size=1000, degree=3, gamma=None, coef0=1.0, seed=2020,
        group=None):
    """KID (mean, std) of the whole sets, with the subsets of fastgan.metrics.kid's single-process run."""
    x = feature_matrix(real_shard, "real shard", min_rows=0, dtype=torch.float64)
    y = feature_matrix(fake_shard, "fake shard", min_rows=0, dtype=torch.float64)
    rank, size = world(group)
    real_counts = all_gather_counts(x.shape[0], x.device, group).tolist()
    fake_counts = all_gather_counts(y.shape[0], x.device, group).tolist()
    n_real, n_fake = sum(real_counts), sum(fake_counts)
    for name, total in (("real", n_real), ("fake", n_fake)):
        if total < subset_size:
            raise ValueError(f"{name} has {total} samples over all processes, fewer than subset_size={subset_size}")
    gamma = _kernel_gamma(gamma, degree, coef0, x.shape[1])
    rng = np.random.RandomState(seed)
    draws = [(rng.choice(n_real, subset_size, replace=False), rng.choice(n_fake, subset_size, replace=False))
             for _ in range(subsets)]
    real_start, fake_start = np.cumsum([0] + real_counts), np.cumsum([0] + fake_counts)
    params = dict(kernel="polynomial", gamma=gamma, coef0=coef0, degree=degree)

    def members(rows, starts, owner):
        picked = rows[(rows >= starts[owner]) & (rows < starts[owner + 1])] - starts[owner]
        return torch.from_numpy(np.sort(picked)).to(x.device)

    sums = torch.zeros(subsets, 3, dtype=torch.float64, device=x.device)  # within real, within fake, across
    # This process's members of every subset, gathered once (they meet every visiting shard).
    mine = [(x[members(rows_real, real_start, rank)], y[members(rows_fake, fake_start, rank)])
            for rows_real, rows_fake in draws]

    def visit(owner, packet):
        other_real, other_fake = packet
        for s, (rows_real, rows_fake) in enumerate(draws):
            mine_r, mine_f = mine[s]
            theirs_r = other_real[members(rows_real, real_start, owner)]
            theirs_f = other_fake[members(rows_fake, fake_start, owner)]
            if owner == rank:  # the within-set sums skip each sample against itself
                sums[s, 0] += kernel_sum(mine_r, **params) if mine_r.shape[0] > 1 else 0.0
                sums[s, 1] += kernel_sum(mine_f, **params) if mine_f.shape[0] > 1 else 0.0
            else:
                sums[s, 0] += _cross(mine_r, theirs_r, params)
                sums[s, 1] += _cross(mine_f, theirs_f, params)
            sums[s, 2] += _cross(mine_r, theirs_f, params)
        return packet

    ring([x, y], visit, group)
    all_reduce_sum(sums, group)
    m = subset_size
    values = (sums[:, 0] + sums[:, 1]) / (m * (m - 1)) - 2.0 * sums[:, 2] / (m * m)
    return float(values.mean()), float(values.std(correction=0))


def _cross(a, b, params):
    if a.shape[0] == 0 or b.shape[0] == 0:
        return 0.0
    return kernel_sum(a, b, **params)


def inception_score(logits_shard, splits=10, order=None, group=None):
    """Inception Score (mean, std) of the whole set of logits, split as fastgan.metrics.inception_score.

    order: optional global permutation [N] of the rows (e.g. torch-fidelity's seeded shuffle):
    the splits are then taken over logits[order], as a single process would after permuting.
    """
    x = feature_matrix(logits_shard, "logits shard", min_rows=0, dtype=torch.float64)
    rank, _ = world(group)
    counts = all_gather_counts(x.shape[0], x.device, group).tolist()
    n, start = sum(counts), sum(counts[:rank])
    if n < splits:
        raise ValueError(f"logits have {n} rows over all processes, fewer than splits={splits}")
    classes = x.shape[1]
    log_p = torch.log_softmax(x, dim=1)
    p = log_p.exp()
    plogp = torch.where(p > 0, p * log_p, torch.zeros_like(p)).sum(1)
    # Per split: count, Σ_x p(y|x) [C], Σ_x Σ_y p log p.
    positions = np.arange(start, start + x.shape[0])
    if order is not None:
        order = np.asarray(order)
        if order.shape != (n,) or not np.array_equal(np.sort(order), np.arange(n)):
            raise ValueError(f"order must be a permutation of the {n} rows")
        inverse = np.empty(n, dtype=np.int64)
        inverse[order] = np.arange(n)
        positions = inverse[positions]
    bounds = np.array([k * n // splits for k in range(1, splits)])
    split_of = torch.from_numpy(np.searchsorted(bounds, positions, side="right")).to(x.device)
    sums = torch.zeros(splits, classes + 2, dtype=torch.float64, device=x.device)
    sums[:, 0].index_add_(0, split_of, torch.ones(x.shape[0], dtype=torch.float64, device=x.device))
    sums[:, 1 : 1 + classes].index_add_(0, split_of, p)
    sums[:, -1].index_add_(0, split_of, plogp)
    all_reduce_sum(sums, group)
    count, marginal_sum, entropy_sum = sums[:, :1], sums[:, 1 : 1 + classes], sums[:, -1]
    log_marginal = (marginal_sum / count).log()
    cross = torch.where(marginal_sum > 0, marginal_sum * log_marginal, torch.zeros_like(marginal_sum)).sum(1)
    scores = ((entropy_sum - cross) / count[:, 0]).exp()
    return float(scores.mean()), float(scores.std(correction=0))


def prdc(real_shard, fake_shard, nearest_k=5, inclusive=False, group=None, impl="auto", piece_rows=None):
    """Precision, recall, density and coverage of the whole sets, exact, from this process's shards.

    Computed in float64 on the shards' device (prdc's float32 rounding rule applies when both
    shards are float32, as in fastgan.metrics.prdc). Shards travel the ring in pieces of
    `piece_rows` rows (default: PIECE_BYTES of features), so a process holds its own shards
    plus two pieces.
    """
    x = feature_matrix(real_shard, "real shard", min_rows=0)
    y = feature_matrix(fake_shard, "fake shard", min_rows=0)
    dtype = torch.float32 if x.dtype == torch.float32 and y.dtype == torch.float32 else torch.float64
    x, y = x.to(dtype), y.to(dtype)
    k = int(nearest_k)
    for name, shard in (("real", x), ("fake", y)):
        total = int(all_gather_counts(shard.shape[0], x.device, group).sum())
        if total <= k:
            raise ValueError(f"{name} has {total} samples over all processes; nearest_k={k} needs more than {k}")
    rows = int(piece_rows) if piece_rows is not None else piece_rows_of(x)
    real_thresholds = membership_thresholds(_kth_neighbour_squared(x, k, group, impl, rows), dtype, inclusive)
    fake_thresholds = membership_thresholds(_kth_neighbour_squared(y, k, group, impl, rows), dtype, inclusive)
    rank, _ = world(group)
    fake_in_real = torch.zeros(y.shape[0], dtype=torch.int64, device=x.device)

    def visit(owner, packet):
        centres, thresholds, hits, in_fake = packet
        if centres.shape[0] and y.shape[0]:
            y_in_x, x_hits, x_in_y, _ = ball_statistics(
                centres, y, thresholds, fake_thresholds, x_in_y_any=True, impl=impl
            )
            fake_in_real.add_(y_in_x)
            hits = hits + x_hits
            in_fake = in_fake + x_in_y
        return [centres, thresholds, hits, in_fake]

    zeros = torch.zeros(x.shape[0], dtype=torch.int64, device=x.device)
    _, _, real_hits, real_in_fake = ring([x, real_thresholds, zeros, zeros.clone()], visit, group, returning=(2, 3),
                                         piece_rows=rows)
    # Per-sample flags -> global means: sums of counts and of flags over processes.
    totals = torch.tensor([
        float((fake_in_real > 0).sum()), float(fake_in_real.sum()), float(y.shape[0]),
        float((real_in_fake > 0).sum()), float((real_hits > 0).sum()), float(x.shape[0]),
    ], dtype=torch.float64, device=x.device)
    all_reduce_sum(totals, group)
    precise, in_real_balls, fakes, recalled, covered, reals = totals.tolist()
    return {
        "precision": precise / fakes,
        "recall": recalled / reals,
        "density": (1.0 / float(k)) * (in_real_balls / fakes),
        "coverage": covered / reals,
    }


PIECE_BYTES = 16 << 20


def piece_rows_of(features):
    """Rows of the pieces a feature shard travels the ring in: at most PIECE_BYTES of features each.

    The ring then holds one's own shard plus two pieces, not three shards.
    """
    row_bytes = max(1, features.shape[1] * features.element_size())
    return max(1, PIECE_BYTES // row_bytes)


def _kth_neighbour_squared(shard, k, group, impl, piece_rows):
    """Exact float64 squared distance of each row of this shard to its k-th nearest other row of the whole set."""
    rank, _ = world(group)
    best = torch.full((shard.shape[0], k), float("inf"), dtype=torch.float64, device=shard.device)

    def visit(owner, packet):
        nonlocal best
        (other,) = packet
        if shard.shape[0] == 0:
            return packet
        if owner == rank:
            if other.shape[0] > 1:
                d2, _ = knn(shard, None, min(k, other.shape[0] - 1), float64_squared=True, impl=impl)
                best = torch.cat([best, d2], dim=1).sort(dim=1).values[:, :k]
        elif other.shape[0]:
            d2, _ = knn(shard, other, min(k, other.shape[0]), float64_squared=True, impl=impl)
            best = torch.cat([best, d2], dim=1).sort(dim=1).values[:, :k]
        return packet

    ring([shard], visit, group, piece_rows=piece_rows)
    return best[:, k - 1].contiguous()
