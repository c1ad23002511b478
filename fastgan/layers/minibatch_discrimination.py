"""Minibatch discrimination (Salimans et al., 2016, section 3.2).

For features f(x_i) in R^A and a learned tensor T in R^{A x B x C}:
``M_i = f(x_i) T`` in R^{B x C}, ``c_b(x_i, x_j) = exp(-||M_i,b - M_j,b||_1)`` and
``o(x_i)_b = sum_j c_b(x_i, x_j)``, the sum over the whole minibatch (j = i included,
contributing 1, as in the paper). The layer outputs [f(x_i), o(x_i)], letting the
discriminator see how similar a sample is to the rest of its batch.
"""
import torch
from torch import nn


class MinibatchDiscrimination(nn.Module):
    """Appends B closeness statistics to each sample's A features.

    Args:
        in_features: A.
        num_kernels: B, the number of statistics appended.
        kernel_dim: C, the size of each projected row.
    """

    def __init__(self, in_features, num_kernels, kernel_dim):
        super().__init__()
        self.num_kernels = num_kernels
        self.kernel_dim = kernel_dim
        self.T = nn.Parameter(torch.randn(in_features, num_kernels * kernel_dim) * 0.1)

    def forward(self, x):
        """x [N, A] -> [N, A + B]."""
        if x.dim() != 2 or x.shape[1] != self.T.shape[0]:
            raise ValueError(f"MinibatchDiscrimination expects [N, {self.T.shape[0]}], got shape {tuple(x.shape)}")
        m = (x @ self.T).view(-1, self.num_kernels, self.kernel_dim)  # [N, B, C]
        l1 = (m.unsqueeze(0) - m.unsqueeze(1)).abs().sum(-1)  # [N, N, B]
        o = torch.exp(-l1).sum(1)  # [N, B]
        return torch.cat([x, o], dim=1)
