"""Fixtures for the shim tests: seeded Inception weights (built once) and small image folders."""
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from fastgan.networks import FIDInceptionV3
from fastgan.networks.weights import load_seeded, seeded_state_dict


@pytest.fixture(scope="session")
def seeded_inception_state():
    """The seeded stand-in for pytorch-fid's weights (shared/reference recipe)."""
    return seeded_state_dict(FIDInceptionV3(weights=None))


class TinyNet(nn.Module):
    """A small seeded feature network returning pool3-like features and logits, as FIDInceptionV3 does."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, stride=2)
        self.fc = nn.Linear(32, 10)
        load_seeded(self)

    def forward(self, images):
        x = images.float() / 255 if images.dtype == torch.uint8 else images.float()
        pool = F.adaptive_avg_pool2d(F.relu(self.conv(x)), 2).flatten(1)
        logits = self.fc(pool)
        return {"pool3": pool, "logits_unbiased": logits - self.fc.bias, "logits": logits}


@pytest.fixture
def tiny_net():
    return TinyNet()


def make_images(seed, n, size, shift=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randint(0, 200, (n, 3, size, size), generator=g) + shift).clamp(0, 255).to(torch.uint8)


def write_folder(folder, images):
    folder.mkdir(parents=True, exist_ok=True)
    for i, img in enumerate(images):
        Image.fromarray(img.permute(1, 2, 0).numpy()).save(folder / f"{i:03d}.png")
    return folder
