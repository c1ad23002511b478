"""pytorch-fid's ``pytorch_fid.inception``: ``InceptionV3`` and the FID Inception.

    from fastgan.compat.pytorch_fid.inception import InceptionV3   # was: pytorch_fid.inception
"""
import torch.nn.functional as F
from torch import nn

from ...networks.weights import REGISTRY

__all__ = ["InceptionV3", "fid_inception_v3", "FID_WEIGHTS_URL"]

FID_WEIGHTS_URL = REGISTRY["pytorch-fid"].url


def fid_inception_v3():
    """The FID Inception with pytorch-fid's published weights (fastgan.networks.FIDInceptionV3)."""
    from ...networks.inception import FIDInceptionV3

    return FIDInceptionV3(weights="pytorch-fid", resize=None)


class InceptionV3(nn.Module):
    """pytorch-fid's ``InceptionV3``: the FID Inception returning the outputs of chosen blocks.

    Args:
        output_blocks: indices of the blocks whose outputs are returned, sorted: 0 (64 channels,
            after the first max pool), 1 (192, after the second), 2 (768, after Mixed_6e),
            3 (2048, the final average pool, [N,2048,1,1]).
        resize_input: bilinearly resize inputs to 299x299 (``align_corners=False``).
        normalize_input: map inputs from [0,1] to [-1,1].
        requires_grad: let the parameters require gradients.
        use_fid_inception: must be True (fastgan has only the FID Inception).
        weights: fastgan extension, the ``weights=`` of FIDInceptionV3 (default: pytorch-fid's
            published file; a path, a state dict, or None for untrained).

    ``model(x)`` takes float [N,3,H,W] in [0,1] and returns the list of block outputs.
    """

    DEFAULT_BLOCK_INDEX = 3
    BLOCK_INDEX_BY_DIM = {64: 0, 192: 1, 768: 2, 2048: 3}

    def __init__(self, output_blocks=(DEFAULT_BLOCK_INDEX,), resize_input=True, normalize_input=True,
                 requires_grad=False, use_fid_inception=True, weights="pytorch-fid"):
        super().__init__()
        from ...networks.inception import FIDInceptionV3

        if not use_fid_inception:
            raise ValueError("use_fid_inception=False (torchvision's Inception) is not available in fastgan; "
                             "FID is defined on the FID Inception, use_fid_inception=True")
        self.output_blocks = sorted(output_blocks)
        if not self.output_blocks or self.output_blocks[0] < 0 or self.output_blocks[-1] > 3:
            raise ValueError(f"output_blocks must be indices in 0..3, got {list(output_blocks)}")
        self.last_needed_block = self.output_blocks[-1]
        self.resize_input = resize_input
        self.normalize_input = normalize_input
        self.net = FIDInceptionV3(weights=weights, resize=None)
        self.requires_grad_(requires_grad)

    def _blocks(self):
        n = self.net
        return [
            [n.Conv2d_1a_3x3, n.Conv2d_2a_3x3, n.Conv2d_2b_3x3, _MaxPool()],
            [n.Conv2d_3b_1x1, n.Conv2d_4a_3x3, _MaxPool()],
            [n.Mixed_5b, n.Mixed_5c, n.Mixed_5d, n.Mixed_6a, n.Mixed_6b, n.Mixed_6c, n.Mixed_6d, n.Mixed_6e],
            [n.Mixed_7a, n.Mixed_7b, n.Mixed_7c, nn.AdaptiveAvgPool2d((1, 1))],
        ]

    def forward(self, inp):
        """List of the requested block outputs [N,C,H',W'] for float images [N,3,H,W] in [0,1]."""
        x = inp.to(self.net.fc.weight.device, self.net.fc.weight.dtype)
        if self.resize_input:
            x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
        if self.normalize_input:
            x = 2 * x - 1
        outputs = []
        for idx, block in enumerate(self._blocks()):
            for layer in block:
                x = layer(x)
            if idx in self.output_blocks:
                outputs.append(x)
            if idx == self.last_needed_block:
                break
        return outputs


class _MaxPool(nn.Module):
    def forward(self, x):
        return F.max_pool2d(x, kernel_size=3, stride=2)
