"""fastgan.layers.SelfAttention2d: SAGAN's attention over positions."""
import torch

from fastgan.layers import SelfAttention2d


def test_starts_as_identity():
    torch.manual_seed(0)
    block = SelfAttention2d(16)
    x = torch.randn(2, 16, 5, 3)
    assert torch.equal(block(x), x)


def test_matches_the_formula_by_hand():
    torch.manual_seed(1)
    block = SelfAttention2d(8, key_channels=2, value_channels=4).double()
    with torch.no_grad():
        block.gamma.fill_(0.7)
    x = torch.randn(2, 8, 3, 4, dtype=torch.float64)
    out, attention = block(x, return_attention=True)
    n = 12
    flat = x.flatten(2)  # [B, C, N]
    for b in range(2):
        q = block.query.weight.view(2, 8) @ flat[b]  # [Ck, N]
        k = block.key.weight.view(2, 8) @ flat[b]
        v = block.value.weight.view(4, 8) @ flat[b]  # [Cv, N]
        for j in range(n):
            logits = torch.stack([q[:, j] @ k[:, i] for i in range(n)])
            beta = torch.softmax(logits, 0)
            torch.testing.assert_close(attention[b, j], beta)
            o = block.out.weight.view(8, 4) @ (v * beta).sum(1)
            torch.testing.assert_close(out[b].flatten(1)[:, j], flat[b, :, j] + 0.7 * o)
    torch.testing.assert_close(attention.sum(-1), torch.ones(2, n, dtype=torch.float64))


def test_permuting_positions_permutes_the_output():
    # No positional encoding: attention is equivariant to any reordering of positions.
    torch.manual_seed(2)
    block = SelfAttention2d(8, spectral_norm=True).eval()
    with torch.no_grad():
        block.gamma.fill_(1.0)
    x = torch.randn(1, 8, 4, 4)
    perm = torch.randperm(16)
    out = block(x).flatten(2)
    out_perm = block(x.flatten(2)[:, :, perm].reshape(1, 8, 4, 4)).flatten(2)
    torch.testing.assert_close(out_perm, out[:, :, perm], rtol=1e-5, atol=1e-6)
