"""Improved precision/recall (Kynkäänniemi et al. 2019) and density/coverage (Naeem et al. 2020).

With real radii r_i (distance to the k-th nearest other real) and fake radii s_j:

    precision = fraction of fakes inside at least one real ball     d(r_i, f_j) < r_i
    recall    = fraction of reals inside at least one fake ball     d(r_i, f_j) < s_j
    density   = (1 / k) * mean over fakes of the number of real balls containing it
    coverage  = fraction of reals whose ball contains at least one fake

Numbers are those of the `prdc` package: distances are float64-accurate, rounded to
float32 when both inputs are float32 (as scikit-learn returns them; float64 otherwise),
and membership is strict. Nothing of size N x M is ever stored: the k-NN and
ball-counting kernels work in tiles, and inputs larger than memory (.npy memory
maps) are streamed in chunks.
"""
import numpy as np
import torch
from tqdm.auto import tqdm

from ..ops.ball_counts import ball_statistics
from ..ops.knn import knn
from ._sources import DEFAULT_CHUNK_BYTES, FeatureSource


def prdc(real, fake, nearest_k=5, inclusive=False, per_sample=False, device=None, chunk_bytes=DEFAULT_CHUNK_BYTES,
         verbose=False, impl="auto"):
    """Precision, recall, density and coverage of `fake` against `real`.

    Args:
        real: [N, D] real features: torch tensor (any device), NumPy array, np.memmap,
            or a path to a .npy/.npz file.
        fake: [M, D] generated features, same forms.
        nearest_k: k of the k-NN radii (N and M must exceed k).
        inclusive: count a distance equal to the radius as inside (default strict, as prdc).
        per_sample: also return per-sample arrays (see Returns).
        device: where to compute; default the CUDA device of a CUDA input, else the CPU.
        chunk_bytes: largest chunk of one set held at once; bigger sets are streamed.
        verbose: show a progress bar.
        impl: "auto", "compiled" or "reference" (see fastgan.ops).

    Returns:
        dict with float "precision", "recall", "density", "coverage"; with per_sample,
        also NumPy arrays "real_radii" [N], "fake_radii" [M], "fake_real_balls" [M]
        (real balls containing each fake; > 0 means counted as precise),
        "real_covered" [N] bool, "real_recalled" [N] bool and "realism" [M] (the
        realism score of Kynkäänniemi et al.: max over the real balls of radius at most
        the median of r_i / d, > 1 inside a ball).
    """
    real_set = FeatureSource(real, "real")
    fake_set = FeatureSource(fake, "fake")
    _check_sets(real_set, fake_set, nearest_k)
    nearest_k = int(nearest_k)
    device = torch.device(device) if device is not None else _default_device(real_set, fake_set)
    # prdc (scikit-learn) works in float32 only when both sets are float32.
    dtype = torch.float32 if real_set.is_float32 and fake_set.is_float32 else torch.float64
    real_rows = real_set.chunk_rows(dtype, chunk_bytes, minimum=nearest_k + 1)
    fake_rows = fake_set.chunk_rows(dtype, chunk_bytes, minimum=nearest_k + 1)
    steps = _knn_steps(real_set.rows, real_rows) + _knn_steps(fake_set.rows, fake_rows)
    steps += -(-real_set.rows // real_rows) * -(-fake_set.rows // fake_rows)
    with tqdm(total=steps, desc="prdc", unit="block", disable=not verbose) as bar:
        real_r2 = kth_neighbour_squared(real_set, nearest_k, real_rows, dtype, device, impl, bar)
        fake_r2 = kth_neighbour_squared(fake_set, nearest_k, fake_rows, dtype, device, impl, bar)
        real_thresholds = membership_thresholds(real_r2, dtype, inclusive)
        fake_thresholds = membership_thresholds(fake_r2, dtype, inclusive)
        weights = _realism_weights(real_r2) if per_sample else None
        fake_in_real, real_hits, real_in_fake, realism = _cross_counts(
            real_set, fake_set, real_rows, fake_rows, real_thresholds, fake_thresholds, weights, dtype, device, impl, bar
        )
    result = {
        "precision": float((fake_in_real > 0).double().mean()),
        "recall": float((real_in_fake > 0).double().mean()),
        # prdc multiplies by 1/k after the mean; the same order gives the same last digit.
        "density": float((1.0 / float(nearest_k)) * fake_in_real.double().mean()),
        "coverage": float((real_hits > 0).double().mean()),
    }
    if per_sample:
        result.update(
            real_radii=_radii(real_r2, dtype),
            fake_radii=_radii(fake_r2, dtype),
            fake_real_balls=fake_in_real.cpu().numpy(),
            real_covered=(real_hits > 0).cpu().numpy(),
            real_recalled=(real_in_fake > 0).cpu().numpy(),
            realism=realism.sqrt().cpu().numpy(),
        )
    return result


def kth_neighbour_squared(source, k, rows, dtype, device, impl="auto", bar=None):
    """Exact float64 squared distance of every row of `source` to its k-th nearest other row.

    One chunk: the symmetric k-NN kernel. Several: every chunk against every chunk,
    keeping the k smallest per row (exact, so the merge is exact too).
    """
    chunks = list(range(0, source.rows, rows))
    radii = torch.empty(source.rows, dtype=torch.float64, device=device)
    for start in chunks:
        block = source.load(start, start + rows, dtype, device)
        best = []
        if block.shape[0] > 1:
            d2, _ = knn(block, None, min(k, block.shape[0] - 1), float64_squared=True, impl=impl)
            best.append(d2)
        for other in chunks:
            if other != start:
                ref = source.load(other, other + rows, dtype, device)
                d2, _ = knn(block, ref, min(k, ref.shape[0]), float64_squared=True, impl=impl)
                best.append(d2)
            if bar is not None and (other == start or len(chunks) > 1):
                bar.update(1)
        merged = torch.cat(best, dim=1).sort(dim=1).values
        radii[start : start + block.shape[0]] = merged[:, k - 1]
    return radii


def membership_thresholds(radii2, dtype, inclusive=False):
    """Float64 thresholds t with: point inside ball <=> exact d^2 < t, under prdc's rounding.

    float64: prdc compares float64 distances, so t = r^2. float32: scikit-learn rounds
    d^2 to float32 and takes a float32 sqrt, so `inside` means
    sqrt32(fl32(d^2)) < r32 with r32 = sqrt32(fl32(r^2)); that monotone rounding is
    folded into the threshold, exactly, so the kernels compare float64 values only.
    """
    if dtype == torch.float64:
        thresholds = radii2.clone()
        if inclusive:
            thresholds = torch.nextafter(thresholds, torch.full_like(thresholds, float("inf")))
        return thresholds
    radius32 = radii2.cpu().numpy().astype(np.float32)
    np.sqrt(radius32, out=radius32)
    if inclusive:
        radius32 = np.nextafter(radius32, np.float32(np.inf))
    return torch.from_numpy(float32_sqrt_threshold(radius32)).to(radii2.device)


def float32_sqrt_threshold(radius32):
    """For float32 radii r, the float64 t such that sqrt32(fl32(x)) < r <=> x < t, for x >= 0."""
    r = np.asarray(radius32, dtype=np.float32)
    inf32 = np.float32(np.inf)
    # sqrt of the predecessor of 0 is NaN (compares False), which is the right answer there.
    with np.errstate(invalid="ignore"):
        return _sqrt_threshold(r, inf32)


def _sqrt_threshold(r, inf32):
    # s: the smallest float32 whose float32 sqrt reaches r (start near r^2, then step).
    s = (r.astype(np.float64) ** 2).astype(np.float32)
    for _ in range(64):
        below = np.nextafter(s, -inf32)
        step_down = (s > 0) & (np.sqrt(below) >= r)
        step_up = np.sqrt(s) < r
        if not (step_down.any() or step_up.any()):
            break
        s = np.where(step_down, below, np.where(step_up, np.nextafter(s, inf32), s))
    else:  # pragma: no cover - the start is within a few ulps
        raise RuntimeError("float32 threshold search did not converge")
    # x rounds to a float32 below s exactly when x is below the midpoint of s and its
    # predecessor; at the midpoint itself, round-half-even picks the even neighbour.
    below = np.nextafter(s, -inf32)
    midpoint = (below.astype(np.float64) + s.astype(np.float64)) / 2
    below_is_even = (below.view(np.int32) & 1) == 0
    thresholds = np.where(below_is_even, np.nextafter(midpoint, np.inf), midpoint)
    return np.where(s > 0, thresholds, 0.0)


def _cross_counts(real_set, fake_set, real_rows, fake_rows, real_thr, fake_thr, weights, dtype, device, impl, bar):
    fake_in_real = torch.zeros(fake_set.rows, dtype=torch.int64, device=device)
    real_hits = torch.zeros(real_set.rows, dtype=torch.int64, device=device)
    real_in_fake = torch.zeros(real_set.rows, dtype=torch.int64, device=device)
    realism = torch.zeros(fake_set.rows if weights is not None else 0, dtype=torch.float64, device=device)
    for r0 in range(0, real_set.rows, real_rows):
        real = real_set.load(r0, r0 + real_rows, dtype, device)
        r1 = r0 + real.shape[0]
        for f0 in range(0, fake_set.rows, fake_rows):
            fake = fake_set.load(f0, f0 + fake_rows, dtype, device)
            f1 = f0 + fake.shape[0]
            y_in_x, x_hits, x_in_y, ratio = ball_statistics(
                real, fake, real_thr[r0:r1], fake_thr[f0:f1], None if weights is None else weights[r0:r1],
                x_in_y_any=True, impl=impl,
            )
            fake_in_real[f0:f1] += y_in_x
            real_hits[r0:r1] += x_hits
            real_in_fake[r0:r1] += x_in_y
            if weights is not None:
                realism[f0:f1] = torch.maximum(realism[f0:f1], ratio)
            if bar is not None:
                bar.update(1)
    return fake_in_real, real_hits, real_in_fake, realism


def _realism_weights(real_r2):
    # Kynkäänniemi et al. use only the real balls no larger than the median, so that
    # a few huge outlier balls do not make everything look realistic.
    median = real_r2.median()
    return torch.where(real_r2 <= median, real_r2, torch.zeros_like(real_r2)).contiguous()


def _radii(radii2, dtype):
    if dtype == torch.float32:
        return np.sqrt(radii2.cpu().numpy().astype(np.float32))
    return radii2.sqrt().cpu().numpy()


def _knn_steps(rows, chunk):
    chunks = -(-rows // chunk)
    return chunks * chunks if chunks > 1 else 1


def _check_sets(real_set, fake_set, k):
    if real_set.dims != fake_set.dims:
        raise ValueError(f"feature sizes differ: real has {real_set.dims} features per sample, fake has {fake_set.dims}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"nearest_k must be a positive integer, got {k!r}")
    for source in (real_set, fake_set):
        if source.rows <= k:
            raise ValueError(
                f"nearest_k={k} needs more than {k} {source.name} samples (each radius is the distance to the "
                f"k-th nearest other sample), got {source.rows}; use a smaller nearest_k or more samples"
            )


def _default_device(*sources):
    for source in sources:
        if source.device.type == "cuda":
            return source.device
    return torch.device("cpu")
