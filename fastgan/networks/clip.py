"""OpenAI CLIP ViT-L/14 at 336 px, image tower: the embedding of CMMD, with the CMMD
reference's preprocessing.

The architecture is openai/CLIP's ``VisionTransformer`` for ``ViT-L/14@336px``: a 14-pixel
patch convolution without bias, a class embedding, learned position embeddings for the 24x24
grid (no interpolation: inputs are 336x336), ``ln_pre``, 24 residual attention blocks (LayerNorm
eps 1e-5, fused q/k/v attention with 16 heads, MLP with QuickGELU), ``ln_post`` on the class
token and the projection ``proj`` to 768. Parameter names are the release's ``visual.*`` keys,
so the visual part of ``ViT-L-14-336px.pt`` (a TorchScript archive holding the whole CLIP
model, in float16) loads as is.

The CMMD reference (google-research/google-research, ``cmmd/``) reads each image with PIL,
crops the largest centred square (offsets ``(h - side) // 2``, ``(w - side) // 2``), resizes it
to 336x336 with PIL's bicubic filter on the 8-bit image, divides by 255, applies the CLIP
normalisation ``(x - mean) / std`` and L2-normalises the image embeddings; its second, bicubic
resize to 336 is the identity at that size. All of that is done here.
"""
import warnings
import zipfile
from pathlib import Path

import torch
from torch import nn

from ._vit import ViTArch, fused_attention, normalize_channels, patch_tokens, quick_gelu
from .preprocessing import as_image_batch, to_unit_float
from .resize import resize_pil_bicubic_uint8
from .weights import PublishedWeights, load_into, weights_path

__all__ = ["CLIPImageEncoder", "CLIP_VITL14_336", "load_clip_state_dict", "center_crop_square"]

CLIP_VITL14_336 = ViTArch(patch=14, width=1024, depth=24, heads=16, mlp=4096, grid=24, output=768)
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
_PUBLISHED = {"ViT-L/14@336px": "clip-vit-l-14-336px", "clip-vit-l-14-336px": "clip-vit-l-14-336px"}


class CLIPImageEncoder(nn.Module):
    """CLIP's image tower; ``net(images)`` returns the image embeddings [N, output].

    Args:
        weights: ``"ViT-L/14@336px"`` (OpenAI's published file, found in torch hub's cache,
            ``~/.cache/clip`` or downloaded), a path to a CLIP checkpoint (the TorchScript
            release, or a ``torch.save``d state dict with ``visual.*`` keys or the visual keys
            alone), a state dict, or None (untrained, for tests that load their own weights).
        resize: ``"pil"`` (the CMMD reference: centre square crop, PIL's 8-bit bicubic resize to
            the network's size; uint8 input only) or None (images must already be square at
            the network's size, ``arch.image_size``).
        normalize: divide each embedding by its L2 norm, as the CMMD reference does.
        arch: the shape (``CLIP_VITL14_336``; smaller ``ViTArch`` values give test-sized
            networks with the same code); ``arch.output`` must be set.

    The network is put in eval mode with gradients off for its parameters.
    """

    def __init__(self, weights="ViT-L/14@336px", resize="pil", normalize=True, arch=CLIP_VITL14_336):
        super().__init__()
        if resize not in ("pil", None):
            raise ValueError(f'resize must be "pil" or None, got {resize!r}')
        if not isinstance(arch, ViTArch) or arch.output is None:
            raise ValueError("arch must be a ViTArch with an output size (CLIP projects the class token)")
        # Resolved first, so a missing file is reported before a large network is allocated.
        state, source = _resolve(weights)
        self.arch, self.resize, self.normalize = arch, resize, bool(normalize)
        self.visual = _VisionTransformer(arch)
        if state is not None:
            load_into(self, _visual_part(state), source=source)
        self.eval()
        self.requires_grad_(False)

    def forward(self, images):
        """Embeddings of a batch of images.

        Args:
            images: uint8 [N,3,H,W] in 0..255 (tensor or NumPy); with ``resize=None`` also float
                in [0,1]. Moved to the network's device.
        Returns:
            float [N, arch.output] (float32 unless the network was cast), unit length when
            ``normalize``.
        """
        return self.features(self.preprocess(images))

    def preprocess(self, images):
        """Images -> the network's input: cropped and resized as configured, /255, CLIP-normalised."""
        param = self.visual.class_embedding
        size = self.arch.image_size
        images = as_image_batch(images, "images")
        if self.resize == "pil":
            if images.dtype != torch.uint8:
                raise TypeError(f'resize="pil" resizes 8-bit images as the CMMD reference does (PIL); images must '
                                f'be uint8, got {images.dtype} (or pass {size}x{size} floats with resize=None)')
            x = resize_pil_bicubic_uint8(center_crop_square(images.to(param.device)), size)
            x = x.to(param.dtype) / 255
        else:
            if tuple(images.shape[2:]) != (size, size):
                raise ValueError(f"with resize=None the images must be {size}x{size}, got {tuple(images.shape[2:])}")
            x = to_unit_float(images, "images", device=param.device, dtype=param.dtype)
        return normalize_channels(x, CLIP_MEAN, CLIP_STD)

    def features(self, x):
        """Embeddings [N, output] of a preprocessed input [N,3,size,size] (normalised if configured)."""
        emb = self.visual(x)
        return emb / torch.linalg.vector_norm(emb, dim=-1, keepdim=True) if self.normalize else emb


def center_crop_square(images):
    """The largest centred square of each image [N,C,H,W] -> [N,C,s,s], s = min(H, W).

    The offsets are ``(H - s) // 2`` and ``(W - s) // 2``, as the CMMD reference crops.
    """
    h, w = images.shape[-2:]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    return images[..., top:top + side, left:left + side]


def load_clip_state_dict(path):
    """The state dict of a CLIP checkpoint file, on the CPU.

    OpenAI's release files are TorchScript archives (read with ``torch.jit.load``, as
    ``clip.load`` does); other files are read with ``torch.load(weights_only=True)``.
    """
    path = Path(path)
    if _is_torchscript(path):
        with warnings.catch_warnings():
            # torch marks TorchScript deprecated; it is still the only reader of this format.
            warnings.simplefilter("ignore", DeprecationWarning)
            return dict(torch.jit.load(str(path), map_location="cpu").state_dict())
    return torch.load(str(path), map_location="cpu", weights_only=True)


class _VisionTransformer(nn.Module):
    """openai/CLIP's VisionTransformer (parameters named and registered in its order)."""

    def __init__(self, arch):
        super().__init__()
        d = arch.width
        self.arch = arch
        self.conv1 = nn.Conv2d(3, d, arch.patch, stride=arch.patch, bias=False)
        self.class_embedding = nn.Parameter(torch.zeros(d))
        self.positional_embedding = nn.Parameter(torch.zeros(arch.grid * arch.grid + 1, d))
        self.ln_pre = nn.LayerNorm(d)
        self.transformer = _Transformer(arch)
        self.ln_post = nn.LayerNorm(d)
        self.proj = nn.Parameter(torch.zeros(d, arch.output))

    def forward(self, x):
        size = self.arch.image_size
        if tuple(x.shape[2:]) != (size, size):
            raise ValueError(f"CLIP's position embeddings are for {size}x{size} inputs, got {tuple(x.shape[2:])}")
        patches = patch_tokens(self.conv1, x, self.arch.patch)
        cls = self.class_embedding.to(patches.dtype).expand(patches.shape[0], 1, -1)
        tokens = self.ln_pre(torch.cat([cls, patches], dim=1) + self.positional_embedding)
        for block in self.transformer.resblocks:
            tokens = block(tokens)
        return self.ln_post(tokens[:, 0]) @ self.proj


class _Transformer(nn.Module):
    def __init__(self, arch):
        super().__init__()
        self.resblocks = nn.ModuleList(_ResidualAttentionBlock(arch.width, arch.heads, arch.mlp)
                                       for _ in range(arch.depth))


class _Attention(nn.Module):
    """``nn.MultiheadAttention``'s parameters (fused in-projection), batch-first computation."""

    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.in_proj_weight = nn.Parameter(torch.zeros(3 * width, width))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * width))
        self.out_proj = nn.Linear(width, width)

    def forward(self, x):
        return fused_attention(x, self.in_proj_weight, self.in_proj_bias, self.out_proj.weight,
                               self.out_proj.bias, self.heads)


class _Mlp(nn.Module):
    def __init__(self, width, hidden):
        super().__init__()
        self.c_fc = nn.Linear(width, hidden)
        self.c_proj = nn.Linear(hidden, width)

    def forward(self, x):
        return self.c_proj(quick_gelu(self.c_fc(x)))


class _ResidualAttentionBlock(nn.Module):
    """x + attn(ln_1(x)), then x + mlp(ln_2(x))."""

    def __init__(self, width, heads, hidden):
        super().__init__()
        self.attn = _Attention(width, heads)
        self.ln_1 = nn.LayerNorm(width)
        self.mlp = _Mlp(width, hidden)
        self.ln_2 = nn.LayerNorm(width)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


def _resolve(weights):
    """A ``weights=`` argument -> (state dict or None, its description for errors)."""
    if weights is None:
        return None, None
    if isinstance(weights, dict):
        return weights, "state dict"
    if isinstance(weights, PublishedWeights):
        return load_clip_state_dict(weights_path(weights)), f"weights={weights.filename!r}"
    if isinstance(weights, (str, Path)) or hasattr(weights, "__fspath__"):
        key = str(weights)
        if key in _PUBLISHED:
            return load_clip_state_dict(weights_path(_PUBLISHED[key])), f"weights={key!r}"
        path = Path(weights).expanduser()
        if path.is_file():
            return load_clip_state_dict(path), f"weights={key!r}"
        choices = ", ".join(repr(k) for k in _PUBLISHED)
        raise FileNotFoundError(f"weights={key!r} is neither a published name ({choices}) nor an existing file")
    raise TypeError(f"weights must be None, a name, a file path or a state dict, got {type(weights).__name__}")


def _visual_part(state):
    """The ``visual.*`` entries of a whole-CLIP state dict; a visual-only one gets the prefix."""
    visual = {k: v for k, v in state.items() if k.startswith("visual.")}
    if visual:
        return visual
    if "conv1.weight" in state:
        return {f"visual.{k}": v for k, v in state.items()}
    return dict(state)  # load_into then lists what is missing


def _is_torchscript(path):
    # torch.jit.save archives hold constants.pkl (and code/); torch.save archives do not.
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(name.endswith("/constants.pkl") or name == "constants.pkl" for name in archive.namelist())
