"""Spectral normalisation (Miyato et al., 2018): W / sigma_max(W), sigma by power iteration.

Implemented as a torch parametrization, so `module.weight` is the normalised weight
and `module.parametrizations.weight.original` the trained one. One power iteration
per training forward pass refines the singular vectors u, v kept as buffers (as in
the paper); in eval mode they are frozen, so evaluation is deterministic.
"""
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize


class SpectralNorm(nn.Module):
    """The parametrization W -> W / sigma(W) for a weight of any rank.

    Args:
        weight: the weight it will normalise (for the shapes of u and v).
        n_power_iterations: power iterations per training forward pass (>= 1).
        eps: added to norms when normalising u and v.
        dim: the output dimension (0; 1 for transposed convolutions). The weight is
            viewed as a matrix [weight.shape[dim], everything else].
    """

    def __init__(self, weight, n_power_iterations=1, eps=1e-12, dim=0):
        super().__init__()
        if weight.dim() < 2:
            raise ValueError(f"spectral norm needs a weight with >= 2 dimensions, got shape {tuple(weight.shape)}")
        if n_power_iterations < 1:
            raise ValueError(f"n_power_iterations must be >= 1, got {n_power_iterations}")
        self.n_power_iterations = int(n_power_iterations)
        self.eps = float(eps)
        self.dim = dim % weight.dim()
        matrix = self._matrix(weight.detach())
        gen = torch.Generator(device="cpu").manual_seed(0)
        u = torch.randn(matrix.shape[0], generator=gen, dtype=matrix.dtype).to(matrix.device)
        v = torch.randn(matrix.shape[1], generator=gen, dtype=matrix.dtype).to(matrix.device)
        self.register_buffer("u", F.normalize(u, dim=0, eps=self.eps))
        self.register_buffer("v", F.normalize(v, dim=0, eps=self.eps))
        # Start from converged vectors, so sigma is accurate from the first step.
        self._power_iterations(matrix, 15)

    def _matrix(self, weight):
        if self.dim != 0:
            weight = weight.movedim(self.dim, 0)
        return weight.flatten(1)

    @torch.no_grad()
    def _power_iterations(self, matrix, steps):
        for _ in range(steps):
            self.v.copy_(F.normalize(matrix.t() @ self.u, dim=0, eps=self.eps))
            self.u.copy_(F.normalize(matrix @ self.v, dim=0, eps=self.eps))

    def forward(self, weight):
        matrix = self._matrix(weight)
        if self.training:
            self._power_iterations(matrix.detach(), self.n_power_iterations)
        # Clones: u and v change in place at the next step, after autograd saved them.
        sigma = torch.dot(self.u.clone(), matrix @ self.v.clone())
        return weight / sigma

    def sigma(self, weight):
        """The current estimate of weight's largest singular value (no iteration)."""
        return torch.dot(self.u, self._matrix(weight) @ self.v)


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Register spectral normalisation on `module.<name>` and return the module.

    Args:
        module: e.g. nn.Linear, nn.Conv2d, nn.ConvTranspose2d, nn.Embedding.
        name: the parameter to normalise.
        n_power_iterations: power iterations per training forward pass.
        eps: numerical floor of the vector normalisation.
        dim: output dimension; default 1 for transposed convolutions, else 0.
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, torch.Tensor):
        raise ValueError(f"{type(module).__name__} has no parameter or buffer named {name!r}")
    if dim is None:
        dim = 1 if isinstance(module, (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)) else 0
    parametrize.register_parametrization(module, name, SpectralNorm(weight, n_power_iterations, eps, dim))
    return module
