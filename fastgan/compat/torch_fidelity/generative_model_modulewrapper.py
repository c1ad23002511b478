"""``torch_fidelity.GenerativeModelModuleWrapper``: a plain generator module as a GenerativeModelBase."""
import copy

import torch

from .generative_model_base import Z_TYPES, GenerativeModelBase

__all__ = ["GenerativeModelModuleWrapper"]


class GenerativeModelModuleWrapper(GenerativeModelBase):
    """Wraps `module` for ``calculate_metrics(input1=..., ppl=True)``, as torch-fidelity's wrapper does.

    Args:
        module: an nn.Module mapping latents [B, z_size] (and labels [B] when conditional) to
            images [B,3,H,W] (uint8 for the default ``ppl_sample_similarity_dtype="uint8"``).
        z_size: latent size, a positive int.
        z_type: "normal", "unit" or "uniform_0_1".
        num_classes: classes of a conditional generator, 0 when unconditional.
        make_copy: wrap a deep copy of `module`.
        make_eval: put the module in eval mode now.
        cuda: True moves it to CUDA, False to the CPU, None leaves it.
    """

    def __init__(self, module, z_size, z_type, num_classes, make_copy=False, make_eval=True, cuda=None):
        super().__init__()
        if not isinstance(module, torch.nn.Module):
            raise ValueError(f"module must be a torch.nn.Module, got {type(module).__name__}")
        if type(z_size) is not int or z_size <= 0:
            raise ValueError(f"z_size must be a positive integer, got {z_size!r}")
        if z_type not in Z_TYPES:
            raise ValueError(f"z_type={z_type!r} is not one of {', '.join(Z_TYPES)}")
        if type(num_classes) is not int or num_classes < 0:
            raise ValueError(f"num_classes must be a non-negative integer, got {num_classes!r}")
        self.module = copy.deepcopy(module) if make_copy else module
        if make_eval:
            self.module.eval()
        if cuda is not None:
            self.module = self.module.cuda() if cuda else self.module.cpu()
        self._z_size, self._z_type, self._num_classes = z_size, z_type, num_classes

    @property
    def z_size(self):
        return self._z_size

    @property
    def z_type(self):
        return self._z_type

    @property
    def num_classes(self):
        return self._num_classes

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)
