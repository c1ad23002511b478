"""What VGG16Features and AlexNetFeatures share: a torchvision-named `features` stack with taps."""
import torch
from torch import nn

from .preprocessing import as_image_batch
from .weights import load_into, resolve_state_dict


class TappedFeatures(nn.Module):
    """``self.features`` is an ``nn.Sequential`` numbered like torchvision's ``features``.

    Subclasses set ``TAPS`` (the index *after* each ReLU whose output LPIPS compares) and
    ``CHANNELS`` (those outputs' channel counts), build ``features`` and call ``_load``.
    """

    TAPS = ()
    CHANNELS = ()
    PUBLISHED = ""

    def _load(self, weights):
        state = resolve_state_dict(weights, {"torchvision": self.PUBLISHED, self.PUBLISHED: self.PUBLISHED})
        if state is not None:
            # torchvision's files also hold the classifier, which these modules do not have.
            state = {k: v for k, v in state.items() if k.startswith("features.")}
            load_into(self, state, source=f"weights={weights!r}" if not isinstance(weights, dict) else "state dict")
        self.eval()
        self.requires_grad_(False)

    def forward(self, x):
        """The whole convolutional stack: float [N,3,H,W] (ImageNet-normalised) -> [N,C,h,w]."""
        return self.features(as_image_batch(x, "x"))

    def taps(self, x):
        """The activations after each tapped ReLU, as a list of len(TAPS) tensors [N,C_i,H_i,W_i]."""
        outs = []
        start = 0
        for stop in self.TAPS:
            for layer in self.features[start:stop]:
                x = layer(x)
            outs.append(x)
            start = stop
        return outs
