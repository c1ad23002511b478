"""Streaming, mergeable feature statistics: mean and covariance in float64.

The covariance is accumulated as a sum of outer products, by GEMM on the features'
device. Summing raw outer products x xᵀ and subtracting n·μμᵀ at the end cancels
catastrophically when the mean is large next to the spread (Inception features
are non-negative, with means of the order of their standard deviations), so every
sample is first shifted by a fixed vector close to the mean: the mean of the first
batch. The shift cancels exactly in the formulas, and changing it (when merging)
is exact algebra:

    S = Σ (x - s),   Q = Σ (x - s)(x - s)ᵀ,   μ = s + S/n,   Σ̂ = (Q - S Sᵀ/n) / (n - 1)
"""
import os

import numpy as np
import torch

from ..ops._inputs import as_tensor, check_finite
from ..ops.sqrtm import _mirror_lower_  # tiled, cache-friendly symmetric completion

# Rows per GEMM in update(): bounds the float64 copy of a large batch (4096 x 2048
# doubles = 64 MiB) while keeping the GEMMs large enough to run at full speed.
CHUNK_ROWS = 4096

# From this many features on, only the lower block triangle of Σ (x - s)(x - s)ᵀ is
# accumulated (GEMMs on column blocks): ~56% of the flops of the full product, which
# torch cannot do as a symmetric rank-k update (np.cov gets BLAS syrk through numpy).
BLOCKED_MIN_FEATURES = 512
BLOCK = 256


class FeatureStats:
    """Running mean and covariance of feature vectors ([N, D] batches), in float64.

    Batches may be NumPy arrays or torch tensors of any float dtype; they are
    accumulated on the device of the first batch (or `device`). Two FeatureStats
    of the same feature size merge exactly, so batches, data-loader workers and
    processes can be combined in any order.

    Args:
        device: where to accumulate; default: the device of the first batch.
    """

    def __init__(self, device=None):
        self.device = None if device is None else torch.device(device)
        self.num_samples = 0
        self._shift = None  # [D] float64
        self._sum = None  # [D] float64, Σ (x - shift)
        self._outer = None  # [D, D] float64, Σ (x - shift)(x - shift)ᵀ: lower triangle only
        self._fixed = None  # (mean, cov) read from a file without a sample count

    @property
    def num_features(self):
        """D, or None before the first batch."""
        if self._fixed is not None:
            return self._fixed[0].shape[0]
        return None if self._shift is None else self._shift.shape[0]

    @torch.no_grad()
    def update(self, features):
        """Add a batch of feature vectors [B, D]; returns self.

        Raises ValueError / TypeError for a wrong shape, a feature size different
        from earlier batches, non-float data or NaN/Inf.
        """
        self._require_count("update")
        x = as_tensor(features, "features")
        if x.dim() != 2:
            raise ValueError(f"features must be a 2-D batch [B, D], got shape {tuple(x.shape)}")
        if not x.is_floating_point():
            raise TypeError(f"features must be floating point, got {x.dtype}; cast them first, e.g. features.float()")
        if self.num_features is not None and x.shape[1] != self.num_features:
            raise ValueError(f"features have {x.shape[1]} columns but earlier batches had {self.num_features}")
        check_finite(x, "features")
        if x.shape[0] == 0:
            return self
        if self.device is None:
            self.device = x.device
        for start in range(0, x.shape[0], CHUNK_ROWS):
            chunk = x[start : start + CHUNK_ROWS].to(device=self.device, dtype=torch.float64)
            if self._shift is None:
                dim = chunk.shape[1]
                self._shift = chunk.mean(0)
                self._sum = torch.zeros(dim, dtype=torch.float64, device=self.device)
                self._outer = torch.zeros(dim, dim, dtype=torch.float64, device=self.device)
            centred = chunk - self._shift
            self._sum += centred.sum(0)
            self._add_outer_products(centred)
            self.num_samples += chunk.shape[0]
        return self

    @torch.no_grad()
    def merge(self, other):
        """Add the samples summarised by `other` (another FeatureStats); returns self."""
        if not isinstance(other, FeatureStats):
            raise TypeError(f"can only merge another FeatureStats, got {type(other).__name__}")
        self._require_count("merge")
        other._require_count("merge")
        if other.num_samples == 0:
            return self
        if self.num_features is not None and other.num_features != self.num_features:
            raise ValueError(f"cannot merge statistics of {other.num_features} features into {self.num_features}")
        if self.device is None:
            self.device = other.device
        shift = other._shift.to(self.device)
        total = other._sum.to(self.device)
        outer = other._symmetric_outer().to(self.device)
        if self._shift is None:
            self._shift, self._sum, self._outer = shift.clone(), total.clone(), outer.clone()
        else:
            # Re-express other's sums about our shift: x - s = (x - s_o) + δ, δ = s_o - s.
            delta = shift - self._shift
            self._outer += outer + torch.outer(total, delta) + torch.outer(delta, total)
            self._outer += other.num_samples * torch.outer(delta, delta)
            self._sum += total + other.num_samples * delta
        self.num_samples += other.num_samples
        return self

    @property
    def mean(self):
        """μ, float64 [D] on the accumulation device."""
        if self._fixed is not None:
            return self._fixed[0]
        if self.num_samples == 0:
            raise ValueError("no samples yet: call update() with at least one batch first")
        return self._shift + self._sum / self.num_samples

    @property
    def cov(self):
        """Covariance (divides by N - 1, like np.cov), float64 [D, D], exactly symmetric."""
        if self._fixed is not None:
            return self._fixed[1]
        if self.num_samples < 2:
            raise ValueError(f"a covariance needs at least 2 samples, got {self.num_samples}")
        n = self.num_samples
        # One D x D temporary: Q - S Sᵀ/n (rank-1 update), / (n - 1), lower triangle
        # mirrored tile by tile (exactly symmetric, like np.cov's).
        cov = torch.addr(self._outer, self._sum, self._sum, alpha=-1.0 / n)
        return _mirror_lower_(cov.div_(n - 1))

    def save(self, path):
        """Write `mu` and `sigma` (float64) to a .npz that pytorch-fid reads; returns the path.

        The sample count is stored too (key `num_samples`, ignored by pytorch-fid), so
        that loaded statistics can still be merged and updated.
        """
        path = os.fspath(path)
        if not path.endswith(".npz"):
            path += ".npz"  # np.savez would add it anyway; pytorch-fid only reads *.npz
        payload = {"mu": self.mean.cpu().numpy(), "sigma": self.cov.cpu().numpy()}
        if self._fixed is None:
            payload["num_samples"] = np.int64(self.num_samples)
        np.savez(path, **payload)
        return path

    @classmethod
    def load(cls, path, device=None):
        """Read a .npz with `mu` and `sigma` (fastgan's or pytorch-fid's).

        Without a stored sample count (pytorch-fid's files) the statistics are usable
        for the Fréchet distance, but cannot be updated or merged.
        """
        with np.load(os.fspath(path)) as data:
            missing = {"mu", "sigma"} - set(data.files)
            if missing:
                raise ValueError(f"{path} lacks {sorted(missing)}: expected an .npz with 'mu' and 'sigma'")
            mu = torch.from_numpy(np.asarray(data["mu"], dtype=np.float64))
            sigma = torch.from_numpy(np.asarray(data["sigma"], dtype=np.float64))
            count = int(data["num_samples"]) if "num_samples" in data.files else None
        if mu.dim() != 1 or sigma.shape != (mu.shape[0], mu.shape[0]):
            raise ValueError(f"{path}: mu must be [D] and sigma [D, D], got {tuple(mu.shape)} and {tuple(sigma.shape)}")
        stats = cls(device=device)
        stats.device = torch.device("cpu") if device is None else torch.device(device)
        mu, sigma = mu.to(stats.device), sigma.to(stats.device)
        if count is None:
            stats._fixed = (mu, sigma)
            stats.num_samples = None  # unknown
            return stats
        if count < 2:
            raise ValueError(f"{path}: num_samples must be >= 2, got {count}")
        # Shifted by the mean itself: S = 0 and Q = (n - 1) Σ reproduce mu and sigma.
        stats.num_samples = count
        stats._shift = mu
        stats._sum = torch.zeros_like(mu)
        stats._outer = sigma * (count - 1)
        return stats

    def state_dict(self):
        """The raw accumulators (for gathering across processes; see from_state_dict)."""
        self._require_count("state_dict")
        outer = None if self._outer is None else self._symmetric_outer()
        return {"num_samples": self.num_samples, "shift": self._shift, "sum": self._sum, "outer": outer}

    @classmethod
    def from_state_dict(cls, state, device=None):
        """Rebuild statistics from state_dict() output (merge several to combine processes)."""
        stats = cls(device=device)
        if state["num_samples"] == 0:
            return stats
        stats.device = torch.device(device) if device is not None else state["shift"].device
        stats.num_samples = int(state["num_samples"])
        stats._shift = state["shift"].to(stats.device, torch.float64)
        stats._sum = state["sum"].to(stats.device, torch.float64)
        stats._outer = state["outer"].to(stats.device, torch.float64)
        return stats

    def _add_outer_products(self, centred):
        dim = centred.shape[1]
        if dim < BLOCKED_MIN_FEATURES:
            self._outer.addmm_(centred.T, centred)
            return
        for i0 in range(0, dim, BLOCK):
            i1 = min(i0 + BLOCK, dim)
            # Row block i of the lower triangle: columns 0 .. i1 (the diagonal block in full).
            self._outer[i0:i1, :i1].addmm_(centred[:, i0:i1].T, centred[:, :i1])

    def _symmetric_outer(self):
        return _mirror_lower_(self._outer.clone())

    def _require_count(self, action):
        if self._fixed is not None:
            raise ValueError(
                f"cannot {action}: these statistics were loaded without a sample count (a pytorch-fid file); "
                "recompute them from features with fastgan to merge or extend them"
            )

    def __repr__(self):
        return f"FeatureStats(num_samples={self.num_samples}, num_features={self.num_features}, device={self.device})"
