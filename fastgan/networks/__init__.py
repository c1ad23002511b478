"""Feature networks with published weights: FID Inception-v3, VGG16, AlexNet and LPIPS.

fastgan defines these networks itself (no torchvision); their parameter names are those of
the published checkpoints, so files that pytorch-fid, torchvision or lpips already downloaded
load unchanged (see ``fastgan.networks.weights``).
"""
from . import weights
from .alexnet import AlexNetFeatures
from .inception import FIDInceptionV3
from .lpips import LPIPS
from .vgg import VGG16Features

__all__ = ["FIDInceptionV3", "VGG16Features", "AlexNetFeatures", "LPIPS", "weights"]
