"""Feature networks with published weights: FID Inception-v3, VGG16, AlexNet, LPIPS, DINOv2
ViT-L/14 (FD-DINOv2) and the CLIP ViT-L/14@336px image tower (CMMD).

fastgan defines these networks itself (no torchvision); their parameter names are those of
the published checkpoints, so files that pytorch-fid, torchvision or lpips already downloaded
load unchanged (see ``fastgan.networks.weights``).
"""
from . import weights
from .alexnet import AlexNetFeatures
from .clip import CLIPImageEncoder
from .dinov2 import DINOv2
from .inception import FIDInceptionV3
from .lpips import LPIPS
from .vgg import VGG16Features

__all__ = ["FIDInceptionV3", "VGG16Features", "AlexNetFeatures", "LPIPS", "DINOv2", "CLIPImageEncoder", "weights"]
