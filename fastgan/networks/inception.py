"""The FID Inception-v3: the TensorFlow 2015-12-05 graph that FID, KID and IS are defined on.

It is Inception-v3 with 1008 classes and four blocks that differ from the usual PyTorch
Inception: the average pools inside Mixed_5b-5d, 6b-6e and 7b leave the zero padding out of
the mean, and Mixed_7c pools its last branch with a max pool. Parameter names follow
pytorch-fid's port, so its published file ``pt_inception-2015-12-05-6726825d.pth`` loads as is.
"""
import copy

import torch
import torch.nn.functional as F
from torch import nn

from .preprocessing import to_unit_float, resize_images
from .weights import load_into, resolve_state_dict

__all__ = ["FIDInceptionV3"]

INPUT_SIZE = 299


class FIDInceptionV3(nn.Module):
    """Inception-v3 as used for FID; ``net(images)`` returns pool3 features and logits.

    Args:
        weights: ``"pytorch-fid"`` (the published file, downloaded once into the torch hub
            cache), a path to a file with the same keys, a state dict, or None (untrained,
            for tests that load their own weights).
        resize: how inputs reach 299x299: ``"bilinear"`` (pytorch-fid: bilinear,
            ``align_corners=False``, no antialiasing), ``"clean"`` (PIL-style antialiased bicubic
            on float pixels, clamped, as clean-fid does) or None (fed at their own size).

    The network is put in eval mode with gradients off for its parameters; gradients with
    respect to the input still flow.
    """

    def __init__(self, weights="pytorch-fid", resize="bilinear"):
        super().__init__()
        if resize not in ("bilinear", "clean", None):
            raise ValueError(f'resize must be "bilinear", "clean" or None, got {resize!r}')
        self.resize = resize
        self.Conv2d_1a_3x3 = _Conv(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = _Conv(32, 32, 3)
        self.Conv2d_2b_3x3 = _Conv(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = _Conv(64, 80, 1)
        self.Conv2d_4a_3x3 = _Conv(80, 192, 3)
        self.Mixed_5b = _BlockA(192, pool_channels=32)
        self.Mixed_5c = _BlockA(256, pool_channels=64)
        self.Mixed_5d = _BlockA(288, pool_channels=64)
        self.Mixed_6a = _BlockB(288)
        self.Mixed_6b = _BlockC(768, mid=128)
        self.Mixed_6c = _BlockC(768, mid=160)
        self.Mixed_6d = _BlockC(768, mid=160)
        self.Mixed_6e = _BlockC(768, mid=192)
        self.Mixed_7a = _BlockD(768)
        self.Mixed_7b = _BlockE(1280, pool="avg")
        self.Mixed_7c = _BlockE(2048, pool="max")
        self.fc = nn.Linear(2048, 1008)
        state = resolve_state_dict(weights, {"pytorch-fid": "pytorch-fid"})
        if state is not None:
            load_into(self, state, source=f"weights={weights!r}" if not isinstance(weights, dict) else "state dict")
        self.eval()
        self.requires_grad_(False)

    def forward(self, images):
        """Features of a batch of images.

        Args:
            images: uint8 [N,3,H,W] in 0..255, or float [N,3,H,W] in [0,1] (tensor or NumPy);
                moved to the network's device.
        Returns:
            dict with ``pool3`` [N,2048] (FID/KID features), ``logits`` [N,1008] and
            ``logits_unbiased`` [N,1008] (the fc layer without its bias, as torch-fidelity's IS uses).
        """
        x = self.preprocess(images)
        pool3 = self.pool3(x)
        logits_unbiased = pool3 @ self.fc.weight.t()
        return {"pool3": pool3, "logits": logits_unbiased + self.fc.bias, "logits_unbiased": logits_unbiased}

    def fused(self, channels_last=True):
        """A copy for fast inference: every BatchNorm folded into its convolution.

        Each conv + BatchNorm + ReLU becomes one convolution with a bias and an in-place ReLU,
        saving two passes over every activation; ``channels_last`` also switches the memory
        layout (faster on CPUs with oneDNN and on tensor-core GPUs). Outputs equal this
        network's up to float rounding (~1e-6 relative). The copy's parameter names differ
        (no ``bn`` entries), so load weights before fusing; this network is left unchanged.
        """
        net = copy.deepcopy(self)
        for module in list(net.modules()):
            for name, child in list(module.named_children()):
                if isinstance(child, _Conv):
                    setattr(module, name, child.folded())
        if channels_last:
            net = net.to(memory_format=torch.channels_last)
        return net

    def preprocess(self, images):
        """uint8/[0,1] images -> the network's input: resized as configured, mapped to [-1,1]."""
        param = self.fc.weight
        x = to_unit_float(images, "images", device=param.device, dtype=param.dtype)
        if self.resize is not None:
            x = resize_images(x, INPUT_SIZE, self.resize)
        elif min(x.shape[-2:]) < 75:
            raise ValueError(f"images of {tuple(x.shape[-2:])} pixels are too small for Inception without "
                             f"resizing (at least 75x75); use resize='bilinear'")
        return 2 * x - 1

    def pool3(self, x):
        """The 2048 pool3 features [N,2048] of an already preprocessed input in [-1,1]."""
        x = self.Conv2d_1a_3x3(x)
        x = self.Conv2d_2a_3x3(x)
        x = self.Conv2d_2b_3x3(x)
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        x = self.Conv2d_3b_1x1(x)
        x = self.Conv2d_4a_3x3(x)
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        for block in (self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a, self.Mixed_6b,
                      self.Mixed_6c, self.Mixed_6d, self.Mixed_6e, self.Mixed_7a, self.Mixed_7b, self.Mixed_7c):
            x = block(x)
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)


class _Conv(nn.Module):
    """Convolution without bias, BatchNorm (eps 1e-3, as in the TF graph), ReLU."""

    def __init__(self, cin, cout, kernel, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))

    def folded(self):
        """The same inference function as one biased convolution + ReLU (folded in float64)."""
        bn, conv = self.bn, self.conv
        scale = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
        out = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, stride=conv.stride,
                        padding=conv.padding, bias=True, device=conv.weight.device, dtype=conv.weight.dtype)
        with torch.no_grad():
            out.weight.copy_(conv.weight.double() * scale.view(-1, 1, 1, 1))
            out.bias.copy_(bn.bias.double() - bn.running_mean.double() * scale)
        out.requires_grad_(False)
        return _FoldedConv(out)


class _FoldedConv(nn.Module):
    """A _Conv with its BatchNorm folded in (see FIDInceptionV3.fused)."""

    def __init__(self, conv):
        super().__init__()
        self.conv = conv

    def forward(self, x):
        # In place is safe under autograd: a convolution's backward does not need its output.
        return F.relu_(self.conv(x))


def _avg_pool_3x3(x):
    # The TF graph averages over the valid pixels only at the borders.
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class _BlockA(nn.Module):
    """Mixed_5b-5d: 1x1, 5x5, double 3x3 and pooled branches (64+64+96+pool channels)."""

    def __init__(self, cin, pool_channels):
        super().__init__()
        self.branch1x1 = _Conv(cin, 64, 1)
        self.branch5x5_1 = _Conv(cin, 48, 1)
        self.branch5x5_2 = _Conv(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = _Conv(cin, 64, 1)
        self.branch3x3dbl_2 = _Conv(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = _Conv(96, 96, 3, padding=1)
        self.branch_pool = _Conv(cin, pool_channels, 1)

    def forward(self, x):
        return torch.cat([
            self.branch1x1(x),
            self.branch5x5_2(self.branch5x5_1(x)),
            self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
            self.branch_pool(_avg_pool_3x3(x)),
        ], 1)


class _BlockB(nn.Module):
    """Mixed_6a: grid reduction 35 -> 17 (384 + 96 + cin channels)."""

    def __init__(self, cin):
        super().__init__()
        self.branch3x3 = _Conv(cin, 384, 3, stride=2)
        self.branch3x3dbl_1 = _Conv(cin, 64, 1)
        self.branch3x3dbl_2 = _Conv(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = _Conv(96, 96, 3, stride=2)

    def forward(self, x):
        return torch.cat([
            self.branch3x3(x),
            self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
            F.max_pool2d(x, kernel_size=3, stride=2),
        ], 1)


class _BlockC(nn.Module):
    """Mixed_6b-6e: factorised 7x7 branches (4 x 192 channels)."""

    def __init__(self, cin, mid):
        super().__init__()
        self.branch1x1 = _Conv(cin, 192, 1)
        self.branch7x7_1 = _Conv(cin, mid, 1)
        self.branch7x7_2 = _Conv(mid, mid, (1, 7), padding=(0, 3))
        self.branch7x7_3 = _Conv(mid, 192, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = _Conv(cin, mid, 1)
        self.branch7x7dbl_2 = _Conv(mid, mid, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = _Conv(mid, mid, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = _Conv(mid, mid, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = _Conv(mid, 192, (1, 7), padding=(0, 3))
        self.branch_pool = _Conv(cin, 192, 1)

    def forward(self, x):
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d = x
        for conv in (self.branch7x7dbl_1, self.branch7x7dbl_2, self.branch7x7dbl_3,
                     self.branch7x7dbl_4, self.branch7x7dbl_5):
            d = conv(d)
        return torch.cat([self.branch1x1(x), b7, d, self.branch_pool(_avg_pool_3x3(x))], 1)


class _BlockD(nn.Module):
    """Mixed_7a: grid reduction 17 -> 8 (320 + 192 + cin channels)."""

    def __init__(self, cin):
        super().__init__()
        self.branch3x3_1 = _Conv(cin, 192, 1)
        self.branch3x3_2 = _Conv(192, 320, 3, stride=2)
        self.branch7x7x3_1 = _Conv(cin, 192, 1)
        self.branch7x7x3_2 = _Conv(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = _Conv(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = _Conv(192, 192, 3, stride=2)

    def forward(self, x):
        b7 = x
        for conv in (self.branch7x7x3_1, self.branch7x7x3_2, self.branch7x7x3_3, self.branch7x7x3_4):
            b7 = conv(b7)
        return torch.cat([self.branch3x3_2(self.branch3x3_1(x)), b7, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class _BlockE(nn.Module):
    """Mixed_7b/7c: expanded 3x3 branches (320 + 768 + 768 + 192 = 2048 channels).

    ``pool="max"`` is Mixed_7c of the TF graph, which max-pools where the paper says average.
    """

    def __init__(self, cin, pool):
        super().__init__()
        self.pool = pool
        self.branch1x1 = _Conv(cin, 320, 1)
        self.branch3x3_1 = _Conv(cin, 384, 1)
        self.branch3x3_2a = _Conv(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = _Conv(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = _Conv(cin, 448, 1)
        self.branch3x3dbl_2 = _Conv(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = _Conv(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = _Conv(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = _Conv(cin, 192, 1)

    def forward(self, x):
        b3 = self.branch3x3_1(x)
        d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        if self.pool == "max":
            pooled = F.max_pool2d(x, kernel_size=3, stride=1, padding=1)
        else:
            pooled = _avg_pool_3x3(x)
        return torch.cat([
            self.branch1x1(x),
            self.branch3x3_2a(b3), self.branch3x3_2b(b3),
            self.branch3x3dbl_3a(d), self.branch3x3dbl_3b(d),
            self.branch_pool(pooled),
        ], 1)
