"""A tiny seeded stand-in for the FID Inception and the small uint8 image sets fed to it,
shared by tests/test_evaluate.py and the shim tests in tests/compat."""
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from fastgan.networks.weights import load_seeded


class TinyNet(nn.Module):
    """A small seeded feature network returning pool3-like features [N, 32] and logits [N, 10],
    as FIDInceptionV3 does. `calls` counts its forward passes."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, stride=2)
        self.fc = nn.Linear(32, 10)
        load_seeded(self)
        self.calls = 0

    def forward(self, images):
        self.calls += 1
        x = images.float() / 255 if images.dtype == torch.uint8 else images.float()
        pool = F.adaptive_avg_pool2d(F.relu(self.conv(x)), 2).flatten(1)
        logits = self.fc(pool)
        return {"pool3": pool, "logits_unbiased": logits - self.fc.bias, "logits": logits}


def make_images(seed, n=12, size=32, shift=0):
    """`n` seeded uint8 images [n, 3, size, size], values in [0, 200) plus `shift`, clamped to 255."""
    g = torch.Generator().manual_seed(seed)
    base = torch.randint(0, 200, (n, 3, size, size), generator=g)
    return (base + shift).clamp(0, 255).to(torch.uint8)


def write_folder(folder, images, fmt="png"):
    """Save uint8 `images` [N, 3, H, W] as folder/000.<fmt>, 001.<fmt>, ...; returns `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, img in enumerate(images):
        Image.fromarray(img.permute(1, 2, 0).numpy()).save(folder / f"{i:03d}.{fmt}")
    return folder
