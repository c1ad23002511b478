"""Building blocks shared by the GAN models, one concern per module."""
from .adain import AdaIN, adain, adaptive_instance_norm, channel_statistics
from .conditional_batch_norm import ConditionalBatchNorm2d, SharedClassEmbedding
from .ema import GeneratorEMA
from .equalized_lr import EqualizedConv2d, EqualizedLinear
from .minibatch_discrimination import MinibatchDiscrimination
from .minibatch_stddev import MinibatchStdDev
from .noise_injection import NoiseInjection
from .patchgan import PatchDiscriminator, patch_size
from .pixel_norm import PixelNorm, pixel_norm
from .self_attention import SelfAttention2d
from .spectral_norm import SpectralNorm, spectral_norm
from .unet import UNetGenerator
from .virtual_batch_norm import VirtualBatchNorm2d, reference_pass

__all__ = [
    "AdaIN",
    "ConditionalBatchNorm2d",
    "EqualizedConv2d",
    "EqualizedLinear",
    "GeneratorEMA",
    "MinibatchDiscrimination",
    "MinibatchStdDev",
    "NoiseInjection",
    "PatchDiscriminator",
    "PixelNorm",
    "SelfAttention2d",
    "SharedClassEmbedding",
    "SpectralNorm",
    "UNetGenerator",
    "VirtualBatchNorm2d",
    "adain",
    "adaptive_instance_norm",
    "channel_statistics",
    "patch_size",
    "pixel_norm",
    "reference_pass",
    "spectral_norm",
]
