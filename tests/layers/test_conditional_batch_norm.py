"""fastgan.layers.ConditionalBatchNorm2d with a shared class embedding (BigGAN)."""
import pytest
import torch
import torch.nn.functional as F

from fastgan.layers import ConditionalBatchNorm2d, SharedClassEmbedding


def test_per_sample_affine_from_the_condition():
    torch.manual_seed(0)
    embed = SharedClassEmbedding(3, 4).double()
    layer = ConditionalBatchNorm2d(5, 4).double()
    torch.nn.init.normal_(layer.gain.weight)
    torch.nn.init.normal_(layer.bias.weight)
    x = torch.randn(6, 5, 3, 3, dtype=torch.float64)
    labels = torch.tensor([0, 1, 2, 0, 1, 2])
    e = embed(labels)
    out = layer(x, e)
    normalised = F.batch_norm(x, None, None, training=True, eps=1e-5)
    gain = 1 + e @ layer.gain.weight.t()
    bias = e @ layer.bias.weight.t()
    torch.testing.assert_close(out, normalised * gain[:, :, None, None] + bias[:, :, None, None])
    # Same class, same affine: the normalised-to-output map of samples 0 and 3 coincide.
    torch.testing.assert_close(gain[0], gain[3])
    assert not torch.allclose(gain[0], gain[1])


def test_starts_as_plain_batch_norm():
    layer = ConditionalBatchNorm2d(3, 2)
    x = torch.randn(4, 3, 2, 2)
    torch.testing.assert_close(layer(x, torch.randn(4, 2)), F.batch_norm(x, None, None, training=True, eps=1e-5))


def test_one_embedding_shared_by_layers_receives_both_gradients():
    torch.manual_seed(1)
    embed = SharedClassEmbedding(4, 3)
    layers = [ConditionalBatchNorm2d(2, 3), ConditionalBatchNorm2d(2, 3)]
    for layer in layers:
        torch.nn.init.normal_(layer.gain.weight)
    labels = torch.tensor([1, 3])
    x = torch.randn(2, 2, 3, 3)
    e = embed(labels)
    layers[1](layers[0](x, e), e).square().sum().backward()
    grad = embed.weight.grad
    assert float(grad[1].abs().sum()) > 0 and float(grad[3].abs().sum()) > 0
    assert float(grad[0].abs().sum()) == 0 and float(grad[2].abs().sum()) == 0
    assert sum(p is embed.weight for layer in layers for p in layer.parameters()) == 0  # not copied into layers


def test_bad_inputs():
    with pytest.raises(ValueError, match="labels must lie in"):
        SharedClassEmbedding(3, 2)(torch.tensor([3]))
    with pytest.raises(TypeError, match="integer"):
        SharedClassEmbedding(3, 2)(torch.tensor([0.0]))
    with pytest.raises(ValueError, match="cond must be"):
        ConditionalBatchNorm2d(3, 2)(torch.randn(4, 3, 2, 2), torch.randn(3, 2))
