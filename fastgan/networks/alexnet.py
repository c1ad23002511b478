"""AlexNet's convolutional part, with the parameter names of torchvision's ImageNet checkpoint."""
from torch import nn

from ._backbone import TappedFeatures

__all__ = ["AlexNetFeatures"]


class AlexNetFeatures(TappedFeatures):
    """AlexNet ``features`` (``features.0.weight`` ... ``features.10.bias``), torchvision's variant.

    Args:
        weights: ``"torchvision"`` (``alexnet-owt-7be5be79.pth``, fetched once into the torch hub
            cache, its classifier ignored), a path, a state dict, or None (untrained).

    ``taps(x)`` returns the outputs of the five ReLUs (relu1 ... relu5), the layers LPIPS uses.
    """

    TAPS = (2, 5, 8, 10, 12)
    CHANNELS = (64, 192, 384, 256, 256)
    MIN_SIZE = 31
    PUBLISHED = "torchvision-alexnet"

    def __init__(self, weights="torchvision"):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(),
            nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self._load(weights)
