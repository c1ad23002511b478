"""DINOv2 ViT-L/14, the feature network of FD-DINOv2 (dgm-eval), with dgm-eval's preprocessing.

The architecture is facebookresearch/dinov2's ``dinov2_vitl14`` (torch hub): 14-pixel patches,
1024-d tokens, 24 pre-norm blocks with LayerScale, LayerNorm eps 1e-6, exact GELU, learned
position embeddings for a 37x37 grid (518 px) that are resized to the input's grid by bicubic
interpolation with DINOv2's scale factor ``(grid + 0.1) / 37``. The feature is the class token
after the final norm (what the hub model returns), 1024-d. Parameter names are the hub
checkpoint's (``cls_token``, ``pos_embed``, ``blocks.0.attn.qkv.weight``, ...), so the published
``dinov2_vitl14_pretrain.pth`` loads as is.

dgm-eval feeds it ``Image.open(path).convert("RGB")`` through torchvision's
``Resize((224, 224), BICUBIC)`` (PIL's 8-bit bicubic on the PIL image), ``ToTensor`` (/255)
and ``Normalize`` with the ImageNet mean and std; ``--clean_resize`` instead resizes each
channel as a float image with PIL and clips to 0..255. Both are reproduced here.
"""
import torch
import torch.nn.functional as F
from torch import nn

from ._vit import ViTArch, fused_attention, normalize_channels, patch_tokens
from .preprocessing import as_image_batch, to_pixel_float, to_unit_float
from .resize import resize_pil_bicubic, resize_pil_bicubic_uint8
from .weights import load_into, resolve_state_dict

__all__ = ["DINOv2", "DINOV2_VITL14"]

DINOV2_VITL14 = ViTArch(patch=14, width=1024, depth=24, heads=16, mlp=4096, grid=37)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
INPUT_SIZE = 224  # dgm-eval's
# DINOv2's interpolation offset (interpolate_offset=0.1 in the hub models): the position grid
# is scaled by (grid + 0.1) / M, not to the exact size, which changes the sampling positions.
_INTERPOLATE_OFFSET = 0.1
_PUBLISHED = {"dinov2_vitl14": "dinov2-vitl14", "dinov2-vitl14": "dinov2-vitl14"}


class DINOv2(nn.Module):
    """DINOv2 vision transformer; ``net(images)`` returns the class-token features [N, width].

    Args:
        weights: ``"dinov2_vitl14"`` (the published hub checkpoint, found in or downloaded into
            the torch hub cache), a path to a file with the same keys, a state dict, or None
            (untrained, for tests that load their own weights).
        resize: how images reach ``image_size``: ``"pil"`` (dgm-eval's default: PIL's bicubic
            resize of the 8-bit image; uint8 input only), ``"clean"`` (dgm-eval's
            ``--clean_resize``: PIL's bicubic on float pixels, clipped to 0..255) or None (fed at
            their own size, which must be a multiple of the patch size).
        arch: the shape (``DINOV2_VITL14``; smaller ``ViTArch`` values give test-sized networks
            with the same code).
        image_size: the side images are resized to (dgm-eval: 224).

    The network is put in eval mode with gradients off for its parameters.
    """

    def __init__(self, weights="dinov2_vitl14", resize="pil", arch=DINOV2_VITL14, image_size=INPUT_SIZE):
        super().__init__()
        if resize not in ("pil", "clean", None):
            raise ValueError(f'resize must be "pil", "clean" or None, got {resize!r}')
        if not isinstance(arch, ViTArch):
            raise TypeError(f"arch must be a ViTArch, got {type(arch).__name__}")
        if resize is not None and image_size % arch.patch:
            raise ValueError(f"image_size {image_size} is not a multiple of the patch size {arch.patch}")
        # Resolved first, so a missing file is reported before a large network is allocated.
        state = resolve_state_dict(weights, _PUBLISHED)
        self.arch, self.resize, self.image_size = arch, resize, image_size
        d = arch.width
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embed = nn.Parameter(torch.zeros(1, arch.grid * arch.grid + 1, d))
        # Used only by DINOv2's masked training; kept so the published state dict loads strictly.
        self.mask_token = nn.Parameter(torch.zeros(1, d))
        self.patch_embed = _PatchEmbed(arch.patch, d)
        self.blocks = nn.ModuleList(_Block(d, arch.heads, arch.mlp) for _ in range(arch.depth))
        self.norm = nn.LayerNorm(d, eps=1e-6)
        if state is not None:
            load_into(self, state, source=f"weights={weights!r}" if not isinstance(weights, dict) else "state dict")
        self.eval()
        self.requires_grad_(False)

    def forward(self, images):
        """Features of a batch of images.

        Args:
            images: uint8 [N,3,H,W] in 0..255 (tensor or NumPy); with ``resize="clean"`` or None
                also float [N,3,H,W] in [0,1]. Moved to the network's device.
        Returns:
            float [N, width] (float32 unless the network was cast): the normalised class token.
        """
        return self.features(self.preprocess(images))

    def preprocess(self, images):
        """Images -> the network's input: resized as configured, /255, ImageNet-normalised."""
        param = self.cls_token
        images = as_image_batch(images, "images")
        if self.resize == "pil":
            if images.dtype != torch.uint8:
                raise TypeError(f'resize="pil" resizes 8-bit images as dgm-eval does (PIL); images must be uint8, '
                                f'got {images.dtype} (use resize="clean" or None for float images in [0,1])')
            x = resize_pil_bicubic_uint8(images.to(param.device), self.image_size)
            x = x.to(param.dtype) / 255
        elif self.resize == "clean":
            x = to_pixel_float(images, "images", device=param.device, dtype=torch.float32)
            x = resize_pil_bicubic(x, self.image_size).clamp_(0, 255).to(param.dtype) / 255
        else:
            x = to_unit_float(images, "images", device=param.device, dtype=param.dtype)
        return normalize_channels(x, IMAGENET_MEAN, IMAGENET_STD)

    def features(self, x):
        """The class token after the final norm, [N, width], of a preprocessed input [N,3,H,W]."""
        tokens = self.tokens(x)
        for block in self.blocks:
            tokens = block(tokens)
        return self.norm(tokens[:, 0])

    def tokens(self, x):
        """The input tokens [N, 1 + patches, width]: class token, patches, position embeddings."""
        patches = patch_tokens(self.patch_embed.proj, x, self.arch.patch)
        tokens = torch.cat([self.cls_token.expand(patches.shape[0], -1, -1), patches], dim=1)
        return tokens + self.position_embedding(x.shape[2] // self.arch.patch, x.shape[3] // self.arch.patch,
                                                square=x.shape[2] == x.shape[3])

    def position_embedding(self, rows, cols, square=None):
        """The position embeddings [1, 1 + rows*cols, width] for a rows x cols patch grid.

        As DINOv2 does: unchanged when the grid has as many patches as the learned one and the
        image is square; otherwise the patch part is resized in float32 by ``F.interpolate``
        (bicubic, ``align_corners=False``, no antialiasing) with the scale factors
        ``(rows + 0.1) / grid`` and ``(cols + 0.1) / grid``, which also set the sampling positions.
        """
        m = self.arch.grid
        if square is None:
            square = rows == cols
        if rows * cols == m * m and square:
            return self.pos_embed
        pos = self.pos_embed.float()
        grid = pos[:, 1:].reshape(1, m, m, -1).permute(0, 3, 1, 2)
        scale = (float(rows + _INTERPOLATE_OFFSET) / m, float(cols + _INTERPOLATE_OFFSET) / m)
        grid = F.interpolate(grid, scale_factor=scale, mode="bicubic", antialias=False)
        if tuple(grid.shape[-2:]) != (rows, cols):
            raise ValueError(f"cannot resize the {m}x{m} position grid to {rows}x{cols}")
        patches = grid.permute(0, 2, 3, 1).reshape(1, rows * cols, -1)
        return torch.cat([pos[:, :1], patches], dim=1).to(self.pos_embed.dtype)


class _PatchEmbed(nn.Module):
    def __init__(self, patch, width):
        super().__init__()
        self.proj = nn.Conv2d(3, width, patch, stride=patch)


class _Attention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)

    def forward(self, x):
        return fused_attention(x, self.qkv.weight, self.qkv.bias, self.proj.weight, self.proj.bias, self.heads)


class _Mlp(nn.Module):
    def __init__(self, width, hidden):
        super().__init__()
        self.fc1 = nn.Linear(width, hidden)
        self.fc2 = nn.Linear(hidden, width)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class _LayerScale(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(width))

    def forward(self, x):
        return x * self.gamma


class _Block(nn.Module):
    """Pre-norm block: x + ls1(attn(norm1(x))), then x + ls2(mlp(norm2(x)))."""

    def __init__(self, width, heads, hidden):
        super().__init__()
        self.norm1 = nn.LayerNorm(width, eps=1e-6)
        self.attn = _Attention(width, heads)
        self.ls1 = _LayerScale(width)
        self.norm2 = nn.LayerNorm(width, eps=1e-6)
        self.mlp = _Mlp(width, hidden)
        self.ls2 = _LayerScale(width)

    def forward(self, x):
        x = x + self.ls1(self.attn(self.norm1(x)))
        return x + self.ls2(self.mlp(self.norm2(x)))
