"""``torch_fidelity.SampleSimilarityLPIPS`` ("lpips-vgg16"): LPIPS-VGG16 on a generator's raw output.

torch-fidelity's order of operations, kept because PPL compares images a step 1e-4 apart, where
the rounding of another order shows: the dtype check, the 0..255 pixels scaled per channel in
float32 by ``(x - (1 + shift) * 255 / 2) * 2 / (scale * 255)`` (LPIPS v0.1's shift and scale),
then the resize (area when both sides shrink, bilinear otherwise), then fastgan's LPIPS on the
scaled images (``LPIPS.forward_scaled``).
"""
import torch
from torch import nn

from ...networks.lpips import LPIPS
from .._ppl import resize_for_lpips

__all__ = ["SampleSimilarityLPIPS", "DTYPES"]

# torch-fidelity 0.4's text_to_dtype: "float64" names float32 there too.
DTYPES = {"uint8": torch.uint8, "float32": torch.float32, "float64": torch.float32}


class SampleSimilarityLPIPS(nn.Module):
    """``sim(images_a, images_b)`` -> float32 [B] LPIPS-VGG16 distances, as torch-fidelity computes them.

    Args:
        lpips: an ``fastgan.networks.LPIPS("vgg")`` (e.g. with local weights); None loads the
            published VGG16 and v0.1 linear weights (cached, or an error naming the missing file).
        sample_similarity_resize: side the images are resized to, or None to keep them.
        sample_similarity_dtype: "uint8", "float32", "float64" (float32, as in torch-fidelity) or
            None: the dtype the images must have.
        device: where the published network is placed when `lpips` is None.

    The images are [B,3,H,W] pixels in 0..255 (uint8 or float), the generator's output as it is.
    """

    def __init__(self, lpips=None, sample_similarity_resize=None, sample_similarity_dtype=None, device="cpu"):
        super().__init__()
        if lpips is None:
            from ...metrics.lpips import _pretrained  # one per process and device

            lpips = _pretrained("vgg", str(torch.device(device)))
        if not isinstance(lpips, LPIPS) or lpips.net != "vgg":
            got = f"LPIPS({lpips.net!r})" if isinstance(lpips, LPIPS) else type(lpips).__name__
            raise ValueError(f"lpips-vgg16 needs an fastgan.networks.LPIPS('vgg'), got {got}")
        if sample_similarity_resize is not None and not (type(sample_similarity_resize) is int
                                                         and sample_similarity_resize > 0):
            raise ValueError(f"ppl_sample_similarity_resize must be a positive int or None, "
                             f"got {sample_similarity_resize!r}")
        if sample_similarity_dtype is not None and sample_similarity_dtype not in DTYPES:
            raise ValueError(f"ppl_sample_similarity_dtype must be one of {', '.join(DTYPES)} or None, "
                             f"got {sample_similarity_dtype!r}")
        self.lpips = lpips
        self.resize = sample_similarity_resize
        self.dtype = DTYPES.get(sample_similarity_dtype)
        self.dtype_name = sample_similarity_dtype

    def forward(self, in0, in1):
        for name, x in (("Input 0", in0), ("Input 1", in1)):
            if not torch.is_tensor(x) or x.dim() != 4 or x.shape[1] != 3:
                got = tuple(x.shape) if torch.is_tensor(x) else type(x).__name__
                raise ValueError(f"{name} is not Bx3xHxW: the generator must return RGB images [B,3,H,W], got {got}")
            if self.dtype is not None and x.dtype != self.dtype:
                raise ValueError(f"ppl_sample_similarity_dtype={self.dtype_name!r} expects {self.dtype} images, "
                                 f"the generator returned {x.dtype}: return pixels in 0..255 of that dtype, or "
                                 f"set ppl_sample_similarity_dtype to match (None skips the check)")
        a, b = self._scaled(in0), self._scaled(in1)
        if self.resize is not None:
            a, b = resize_for_lpips(a, self.resize), resize_for_lpips(b, self.resize)
        return self.lpips.forward_scaled(a, b)

    def _scaled(self, x):
        """0..255 pixels -> the backbone's input: LPIPS v0.1's shift and scale applied to x / 127.5 - 1
        in one step, with torch-fidelity's constants and rounding."""
        shift, scale = self.lpips.shift.float(), self.lpips.scale.float()
        mean = (1 + shift) * 255 / 2
        inv_std = 2 / (scale * 255)
        return ((x.float() - mean.to(x.device)) * inv_std.to(x.device)).to(self.lpips.lins[0].weight.dtype)
