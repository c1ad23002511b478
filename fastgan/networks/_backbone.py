"""What VGG16Features and AlexNetFeatures share: a torchvision-named `features` stack with taps."""
from torch import nn

from .preprocessing import as_image_batch
from .weights import load_into, resolve_state_dict


class TappedFeatures(nn.Module):
    """``self.features`` is an ``nn.Sequential`` numbered like torchvision's ``features``.

    Subclasses set ``MIN_SIZE``, ``TAPS`` (the index *after* each ReLU whose output LPIPS compares) and
    ``CHANNELS`` (those outputs' channel counts), build ``features`` and call ``_load``.
    """

    TAPS = ()
    CHANNELS = ()
    MIN_SIZE = 1  # smallest image side for which every tap has at least one pixel
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
        if min(x.shape[-2:]) < self.MIN_SIZE:
            raise ValueError(f"{type(self).__name__} needs images of at least {self.MIN_SIZE}x{self.MIN_SIZE} "
                             f"pixels, got {tuple(x.shape[-2:])}; upsample them first")
        outs = []
        start = 0
        for stop in self.TAPS:
            for layer in self.features[start:stop]:
                x = layer(x)
            outs.append(x)
            start = stop
        return outs
