"""VGG16's convolutional part, with the parameter names of torchvision's ImageNet checkpoint."""
from torch import nn

from ._backbone import TappedFeatures

__all__ = ["VGG16Features"]

# Output channels of the 13 convolutions; "M" is a 2x2 max pool.
_LAYOUT = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")


class VGG16Features(TappedFeatures):
    """VGG16 ``features`` (``features.0.weight`` ... ``features.28.bias``).

    Args:
        weights: ``"torchvision"`` (``vgg16-397923af.pth``, fetched once into the torch hub
            cache, its classifier ignored), a path, a state dict, or None (untrained).

    ``taps(x)`` returns relu1_2, relu2_2, relu3_3, relu4_3 and relu5_3, the layers LPIPS uses.
    """

    TAPS = (4, 9, 16, 23, 30)
    CHANNELS = (64, 128, 256, 512, 512)
    MIN_SIZE = 16
    PUBLISHED = "torchvision-vgg16"

    def __init__(self, weights="torchvision"):
        super().__init__()
        layers, cin = [], 3
        for item in _LAYOUT:
            if item == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers += [nn.Conv2d(cin, item, kernel_size=3, padding=1), nn.ReLU()]
                cin = item
        self.features = nn.Sequential(*layers)
        self._load(weights)
