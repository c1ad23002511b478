"""fastgan.layers.UNetGenerator: Pix2Pix's U-Net with skip connections."""
import pytest
import torch

from fastgan.layers import UNetGenerator


@pytest.mark.parametrize("norm", ["batch", "instance", "none"])
def test_shape_and_range(norm):
    torch.manual_seed(0)
    net = UNetGenerator(3, 2, num_downs=3, ngf=4, norm=norm)
    x = torch.randn(2, 3, 16, 8)
    out = net(x)
    assert out.shape == (2, 2, 16, 8)
    assert out.detach().abs().max().item() < 1.0


def test_skip_connections_bypass_the_bottleneck():
    # With the bottleneck's output zeroed, the output still depends on the input only
    # through the skips; without skips it would be constant.
    torch.manual_seed(1)
    net = UNetGenerator(1, 1, num_downs=3, ngf=4, norm="none").eval()
    net.encoder[-1].register_forward_hook(lambda module, args, out: torch.zeros_like(out))
    a, b = torch.randn(1, 1, 8, 8), torch.randn(1, 1, 8, 8)
    assert not torch.allclose(net(a), net(b))
    # The decoder takes [skip, upsampled] concatenated: twice the channels.
    assert net.decoder[0][1].in_channels == 2 * 4


def test_pix2pix_256_layout():
    net = UNetGenerator(3, 3, num_downs=8, ngf=64, dropout=True)
    assert [block[-2].out_channels if len(block) > 2 else block[-1].out_channels for block in net.encoder][:4] == [64, 128, 256, 512]
    dropouts = sum(isinstance(m, torch.nn.Dropout) for m in net.modules())
    assert dropouts == 3  # the three 512-channel decoder blocks next to the innermost
    # Norms: encoder levels 1..6 and decoder levels 1..7; no conv bias under batch norm but the output's.
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules()) == 6 + 7
    assert [name for name, _ in net.named_parameters() if name.endswith("1.bias") and "decoder.0" in name] == ["decoder.0.1.bias"]
    assert net(torch.zeros(1, 3, 256, 256)).shape == (1, 3, 256, 256)


def test_bad_sizes():
    with pytest.raises(ValueError, match="divisible by 8"):
        UNetGenerator(num_downs=3, ngf=4)(torch.zeros(1, 3, 12, 16))
    with pytest.raises(ValueError, match="norm must be one of"):
        UNetGenerator(norm="layer")


@pytest.mark.parametrize("inject", ["input", "all"])
def test_a_latent_code_changes_the_output(inject):
    torch.manual_seed(2)
    net = UNetGenerator(1, 1, num_downs=3, ngf=4, norm="none", z_dim=3, inject=inject)
    x = torch.randn(2, 1, 8, 8)
    assert not torch.allclose(net(x, torch.zeros(2, 3)), net(x, torch.ones(2, 3)))
    widened = [block[-1].in_channels if isinstance(block[-1], torch.nn.Conv2d) else block[-2].in_channels
               for block in net.encoder]
    assert widened == ([1 + 3, 4, 8] if inject == "input" else [1 + 3, 4 + 3, 8 + 3])
    with pytest.raises(ValueError, match=r"latent code z of shape \[2, 3\], got None"):
        net(x)


def test_no_code_is_the_plain_unet_with_the_same_initialisation():
    torch.manual_seed(3)
    plain = UNetGenerator(1, 1, num_downs=3, ngf=4)
    torch.manual_seed(3)
    zero = UNetGenerator(1, 1, num_downs=3, ngf=4, z_dim=0, inject="all")
    for (name, p), (_, q) in zip(plain.state_dict().items(), zero.state_dict().items()):
        assert torch.equal(p, q), name
    with pytest.raises(ValueError, match="takes no latent code"):
        zero(torch.zeros(1, 1, 8, 8), torch.zeros(1, 2))
    with pytest.raises(ValueError, match="inject must be one of"):
        UNetGenerator(z_dim=2, inject="middle")
