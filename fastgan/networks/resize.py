"""Batched image resizers that reproduce, number for number, the resize each anchor applies
before its Inception network.

All functions take float images [N, C, H, W] (any values; pixel units are the caller's), run on
the images' device in one batched pass, and return [N, C, size_h, size_w]:

- ``resize_tf1_bilinear``: TensorFlow 1.x ``resize_bilinear(align_corners=False)`` as
  torch-fidelity 0.4 computes it (its ``interpolate_bilinear_2d_like_tensorflow1x``, default
  "slow" method): source coordinate ``dst * in / out`` (no half-pixel shift), weights in the
  input dtype from a float32 scale, two linear interpolations ``a + (b - a) * t``. Bit-identical
  to torch-fidelity on the CPU.
- ``resize_tf1_bilinear_grid``: the same TF1 resize as the TorchScript Inception
  ``inception-2015-12-05.pt`` (NVIDIA's, used by clean-fid's "legacy_tensorflow" mode and
  StyleGAN2-ADA) does it: a float32 affine grid shifted by ``1/in - 1/out`` and
  ``grid_sample(bilinear, border, align_corners=False)``. It differs from the former by float
  rounding of the sampling positions (~1e-5 of the pixel range).
- ``resize_pil_bicubic``: PIL's ``Image.resize(..., BICUBIC)`` on 32-bit float ('F') images,
  as clean-fid's "clean" mode calls it per channel: Keys cubic (a = -0.5) widened by the scale
  when shrinking (antialiasing), PIL's tap bounds and normalisation, sums in float64, a float32
  intermediate image after the horizontal pass. Equal to PIL to float32 rounding.
- ``resize_torch_bilinear``: ``F.interpolate(bilinear, align_corners=False)`` (pytorch-fid,
  clean-fid's "legacy_pytorch").
- ``resize_pil_bicubic_uint8``: PIL's ``Image.resize(..., BICUBIC)`` on 8-bit RGB images, as
  torchvision's ``Resize`` applies it to PIL images (dgm-eval's DINOv2 transform) and as the
  CMMD reference resizes its inputs: the same taps in PIL's 22-bit fixed point, an 8-bit
  intermediate image. Bit-identical to PIL.
"""
import math

import torch
import torch.nn.functional as F

__all__ = ["resize_tf1_bilinear", "resize_tf1_bilinear_grid", "resize_pil_bicubic", "resize_torch_bilinear",
           "resize_pil_bicubic_uint8"]

# PIL's bicubic filter: Keys' cubic convolution with a = -0.5, support 2 input pixels.
_BICUBIC_A = -0.5
_BICUBIC_SUPPORT = 2.0
# Float64 working memory of one PIL pass (two buffers) per chunk of images.
_CHUNK_BYTES = 256 * 2**20


def resize_tf1_bilinear(x, size):
    """TF1 bilinear resize (``align_corners=False``), as torch-fidelity 0.4 computes it.

    Args:
        x: float tensor [N, C, H, W] (torch-fidelity feeds uint8 pixels cast to float, 0..255).
        size: output size, an int (square) or (height, width).
    Returns:
        [N, C, height, width] in x's dtype and device. Applied even at the input size (where it
        is the identity, as in torch-fidelity).

    Output pixel (i, j) reads input rows floor(i*H/h) and the next (clamped at the border) and
    likewise for columns; the interpolation weights are ``i * float32(H/h) - floor(...)``. The
    horizontal interpolation is done once per input row and then shared by the output rows that
    read it; element for element these are the operations torch-fidelity performs, in its order.
    """
    x = _check_float_images(x, "x")
    out_h, out_w = _size_pair(size)
    rows_lo, rows_hi, dy = _tf1_axis(x.shape[2], out_h, x)
    cols_lo, cols_hi, dx = _tf1_axis(x.shape[3], out_w, x)
    left = x.index_select(3, cols_lo)
    across = left + (x.index_select(3, cols_hi) - left) * dx.view(1, 1, 1, out_w)  # [N, C, H, out_w]
    top = across.index_select(2, rows_lo)
    return top + (across.index_select(2, rows_hi) - top) * dy.view(1, 1, out_h, 1)


def resize_tf1_bilinear_grid(x, size=299):
    """TF1 bilinear resize as the TorchScript FID Inception (``inception-2015-12-05.pt``) does it.

    clean-fid's "legacy_tensorflow" mode feeds 0..255 float images to that network, which
    resizes them inside to 299x299 with this function before mapping pixels by (x - 128) / 128.

    Args:
        x: float tensor [N, C, H, W].
        size: output size, an int (square) or (height, width); the network uses 299.
    Returns:
        [N, C, height, width] in x's dtype: ``grid_sample`` (bilinear, border padding,
        ``align_corners=False``) on an affine grid whose translation is
        ``1/in - 1/out`` per axis, computed in float32 as that network does (applied even at
        the input size, where it is the identity up to float rounding).
    """
    x = _check_float_images(x, "x")
    out_h, out_w = _size_pair(size)
    n, c, h, w = x.shape
    theta = torch.eye(2, 3, device=x.device)  # float32, as in the network
    one = theta[0, 0]
    # Tensor arithmetic in float32 on purpose: the shift must round as the network's does.
    theta[0, 2] += one / w - one / out_w
    theta[1, 2] += one / h - one / out_h
    theta = theta.to(x.dtype).unsqueeze(0).repeat(n, 1, 1)
    grid = F.affine_grid(theta, [n, c, out_h, out_w], align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def resize_pil_bicubic(x, size):
    """PIL's bicubic resize of float ('F' mode) images, batched: clean-fid's "clean" resize.

    Args:
        x: float tensor [N, C, H, W]; each channel is resized as one PIL 'F' image, so values
            are taken as float32 (float64 input is rounded to float32 first, as PIL stores it).
        size: output size, an int (square) or (height, width).
    Returns:
        float32 [N, C, height, width], not clipped (clean-fid clips to 0..255 afterwards). At
        the input size the input is returned unchanged (PIL returns a copy there).

    Like PIL: a horizontal pass (only when the width changes) into a float32 image, then a
    vertical pass (only when the height changes); each output value is a float64 sum of the
    input taps times float64 weights, taken in PIL's tap order and rounded once to float32. The
    result equals PIL's to float32 rounding (the sums are the same; only a last-bit rounding of
    the float64 weights by the compiler could differ).
    """
    x = _check_float_images(x, "x").to(torch.float32)
    out_h, out_w = _size_pair(size)
    if x.shape[3] != out_w:
        x = _pil_pass(x, 3, out_w)
    if x.shape[2] != out_h:
        x = _pil_pass(x, 2, out_h)
    return x


def resize_torch_bilinear(x, size):
    """``F.interpolate(x, size, mode="bilinear", align_corners=False)``, no antialiasing.

    The resize of pytorch-fid and of clean-fid's "legacy_pytorch" mode (which applies it to
    0..255 float pixels). Args and returns as ``resize_tf1_bilinear``.
    """
    x = _check_float_images(x, "x")
    return F.interpolate(x, size=_size_pair(size), mode="bilinear", align_corners=False)


def resize_pil_bicubic_uint8(x, size):
    """PIL's bicubic resize of 8-bit images (``Image.resize(..., BICUBIC)`` on mode "RGB"/"L").

    Args:
        x: uint8 tensor [N, C, H, W]; every channel is resized independently, as PIL does.
        size: output size, an int (square) or (height, width).
    Returns:
        uint8 [N, C, height, width], equal to PIL's result bit for bit. At the input size the
        input is returned unchanged (PIL returns a copy there).

    PIL's 8-bit path differs from its float path (``resize_pil_bicubic``): the normalised float64
    taps of ``pil_bicubic_taps`` are rounded to 22-bit fixed point (half away from zero), each
    output is ``(2**21 + sum of tap * pixel) >> 22`` clamped to 0..255, and the horizontal pass
    (run only when the width changes) writes an 8-bit image that the vertical pass reads. The
    sums are exact integers here (int64), so the order of the terms does not matter.
    """
    if not isinstance(x, torch.Tensor) or x.dtype != torch.uint8:
        raise TypeError(f"x must be a uint8 tensor [N,C,H,W], got "
                        f"{x.dtype if isinstance(x, torch.Tensor) else type(x).__name__}")
    if x.dim() != 4 or min(x.shape[2:]) < 1:
        raise ValueError(f"x must have shape [N,C,H,W] with H, W >= 1, got {tuple(x.shape)}")
    out_h, out_w = _size_pair(size)
    if x.shape[3] != out_w:
        x = _pil_pass_uint8(x, 3, out_w)
    if x.shape[2] != out_h:
        x = _pil_pass_uint8(x, 2, out_h)
    return x

def pil_bicubic_taps(in_size, out_size):
    """PIL's bicubic tap table for one axis.

    Args:
        in_size, out_size: input and output length (>= 1).
    Returns:
        (first [out] long, count [out] long, weights [out, K] float64): output pixel i is
        ``sum_{k < count[i]} weights[i, k] * input[first[i] + k]``, summed in that order; PIL's
        bounds, filter (a = -0.5, support widened by the scale when shrinking) and normalisation
        by the weights' sum. Weights past count[i] are 0.
    """
    if in_size < 1 or out_size < 1:
        raise ValueError(f"sizes must be >= 1, got in_size={in_size}, out_size={out_size}")
    scale = in_size / out_size
    filterscale = max(scale, 1.0)
    support = _BICUBIC_SUPPORT * filterscale
    ksize = int(math.ceil(support)) * 2 + 1
    inv = 1.0 / filterscale
    firsts, counts = [], []
    weights = torch.zeros(out_size, ksize, dtype=torch.float64)
    for i in range(out_size):
        center = (i + 0.5) * scale
        # Truncation toward zero of a possibly negative value, then clamping, as PIL rounds.
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), in_size)
        taps = [_bicubic((k + lo - center + 0.5) * inv) for k in range(hi - lo)]
        total = 0.0
        for t in taps:  # summed in order, as PIL does
            total += t
        if total != 0.0:
            taps = [t / total for t in taps]
        weights[i, :len(taps)] = torch.tensor(taps, dtype=torch.float64)
        firsts.append(lo)
        counts.append(hi - lo)
    first = torch.tensor(firsts, dtype=torch.long)
    count = torch.tensor(counts, dtype=torch.long)
    return first, count, weights


def _bicubic(t):
    # Evaluated in PIL's operation order so the float64 weights are the same bits.
    a = _BICUBIC_A
    if t < 0.0:
        t = -t
    if t < 1.0:
        return ((a + 2.0) * t - (a + 3.0)) * t * t + 1
    if t < 2.0:
        return (((t - 5) * t + 8) * t - 4) * a
    return 0.0


def _pil_pass(x, dim, out_size):
    """One PIL bicubic pass along `dim` (2: rows, 3: columns) of float32 x; float32 result."""
    first, count, weights = pil_bicubic_taps(x.shape[dim], out_size)
    taps = weights.shape[1]
    # index[i, k]: the k-th input of output i (the last valid one repeated past count[i], with
    # weight 0: adding 0 * pixel leaves the float64 sum unchanged).
    index = first[:, None] + torch.minimum(torch.arange(taps)[None, :], count[:, None] - 1)
    index, weights = index.to(x.device), weights.to(x.device)
    # Gather whole rows: for the horizontal pass work on the transposed image, so every tap is
    # one index_select of contiguous rows (gathering single columns is several times slower).
    src = x.transpose(2, 3) if dim == 3 else x
    n, c, _, w = src.shape
    out = torch.empty(n, c, out_size, w, dtype=torch.float32, device=x.device)
    # Chunks of images keep the float64 buffers near _CHUNK_BYTES whatever the batch size.
    step = max(1, _CHUNK_BYTES // max(1, 2 * 8 * c * out_size * w))
    for lo in range(0, n, step):
        block = src[lo:lo + step].double().contiguous()
        acc = torch.zeros(block.shape[0], c, out_size, w, dtype=torch.float64, device=x.device)
        buf = torch.empty_like(acc)
        for k in range(taps):  # taps in PIL's order: a float64 sum term by term, as PIL adds them
            torch.index_select(block, 2, index[:, k], out=buf)
            acc.addcmul_(buf, weights[:, k].view(1, 1, out_size, 1))
        out[lo:lo + step] = acc
    return out.transpose(2, 3).contiguous() if dim == 3 else out


# PIL's fixed point for 8-bit images: PRECISION_BITS = 32 - 8 - 2.
_PIL_PRECISION_BITS = 22


def _pil_pass_uint8(x, dim, out_size):
    """One PIL 8-bit bicubic pass along `dim` (2: rows, 3: columns) of uint8 x; uint8 result."""
    first, count, weights = pil_bicubic_taps(x.shape[dim], out_size)
    # PIL's normalize_coeffs_8bpc: scale by 2**22 and round half away from zero (the C cast
    # truncates toward zero after adding +-0.5); the scaling by a power of two is exact.
    scaled = weights * float(1 << _PIL_PRECISION_BITS)
    fixed = torch.trunc(scaled + torch.where(scaled < 0, -0.5, 0.5)).to(torch.int64)
    taps = fixed.shape[1]
    index = first[:, None] + torch.minimum(torch.arange(taps)[None, :], count[:, None] - 1)
    fixed = torch.where(torch.arange(taps)[None, :] < count[:, None], fixed, 0)
    index, fixed = index.to(x.device), fixed.to(x.device)
    src = x.transpose(2, 3) if dim == 3 else x
    n, c, _, w = src.shape
    out = torch.empty(n, c, out_size, w, dtype=torch.uint8, device=x.device)
    step = max(1, _CHUNK_BYTES // max(1, 2 * 8 * c * out_size * w))
    for lo in range(0, n, step):
        block = src[lo:lo + step].to(torch.int64)
        # PIL starts each sum at half a unit of the fixed point (rounding), then adds the taps.
        acc = torch.full((block.shape[0], c, out_size, w), 1 << (_PIL_PRECISION_BITS - 1),
                         dtype=torch.int64, device=x.device)
        for k in range(taps):
            acc += block.index_select(2, index[:, k]) * fixed[:, k].view(1, 1, out_size, 1)
        # clip8: an arithmetic shift (floor), then clamping to 0..255.
        out[lo:lo + step] = torch.bitwise_right_shift(acc, _PIL_PRECISION_BITS).clamp_(0, 255).to(torch.uint8)
    return out.transpose(2, 3).contiguous() if dim == 3 else out

def _tf1_axis(in_size, out_size, x):
    # torch-fidelity: scale in/out rounded to float32; positions in the input dtype.
    scale = torch.tensor(in_size / out_size, dtype=torch.float32, device=x.device)
    pos = torch.arange(out_size, dtype=x.dtype, device=x.device) * scale
    lo = pos.long()
    hi = (lo + 1).clamp_max(in_size - 1)
    return lo, hi, pos - lo.float()


def _size_pair(size):
    if isinstance(size, int) and not isinstance(size, bool):
        size = (size, size)
    if (not isinstance(size, (tuple, list)) or len(size) != 2
            or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in size)):
        raise ValueError(f"size must be a positive int or a (height, width) pair of them, got {size!r}")
    return int(size[0]), int(size[1])


def _check_float_images(x, name):
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch tensor [N,C,H,W], got {type(x).__name__}")
    if x.dim() != 4:
        raise ValueError(f"{name} must have shape [N,C,H,W], got {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a float tensor (cast uint8 pixels with .float()), got {x.dtype}")
    if min(x.shape[2:]) < 1:
        raise ValueError(f"{name} has an empty image size {tuple(x.shape[2:])}")
    return x
