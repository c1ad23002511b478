"""``torchmetrics.image.lpip``: LearnedPerceptualImagePatchSimilarity."""
import torch

from ....metrics.lpips import lpips
from ....networks.lpips import LPIPS
from ..metric import MetricBase, states_of

__all__ = ["LearnedPerceptualImagePatchSimilarity"]

class LearnedPerceptualImagePatchSimilarity(MetricBase):
    """Drop-in for ``torchmetrics.image.lpip.LearnedPerceptualImagePatchSimilarity``.

    Args:
        net_type: ``"alex"`` (default) or ``"vgg"`` (``"squeeze"`` is not available).
        reduction: ``"mean"`` (default) or ``"sum"`` over all pairs seen.
        normalize: inputs are in [0,1] rather than [-1,1].
        model: fastgan extension: an ``fastgan.networks.LPIPS`` to use instead of the
            pretrained network (which downloads its weights the first time).

    ``update(img1, img2)`` takes float [N,3,H,W] pairs; ``compute()`` returns a scalar tensor;
    calling the metric updates it and returns the value of that batch alone.
    """

    is_differentiable = True
    higher_is_better = False
    full_state_update = False

    def __init__(self, net_type="alex", reduction="mean", normalize=False, model=None, **kwargs):
        super().__init__(**kwargs)
        if net_type not in ("alex", "vgg"):
            raise ValueError(f'net_type must be "alex" or "vgg" (fastgan has no "squeeze"), got {net_type!r}')
        if reduction not in ("mean", "sum"):
            raise ValueError(f'reduction must be "mean" or "sum", got {reduction!r}')
        if not isinstance(normalize, bool):
            raise ValueError(f"normalize must be a bool, got {normalize!r}")
        if model is not None and model.net != net_type:
            raise ValueError(f"model is LPIPS-{model.net} but net_type={net_type!r}")
        self.net_type = net_type
        self.reduction = reduction
        self.normalize = normalize
        self.net = model if model is not None else LPIPS(net_type, pretrained=True)
        # Accumulated in float64 so long evaluations do not drift.
        self.add_state("sum_scores", torch.zeros((), dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("total", torch.zeros((), dtype=torch.long), dist_reduce_fx="sum")

    def _scores(self, img1, img2):
        for name, img in (("img1", img1), ("img2", img2)):
            if not isinstance(img, torch.Tensor) or img.dim() != 4 or img.shape[1] != 3 or not img.is_floating_point():
                shape = tuple(img.shape) if isinstance(img, torch.Tensor) else type(img).__name__
                raise ValueError(f"{name} must be a float tensor [N,3,H,W] with values in "
                                 f"{'[0,1]' if self.normalize else '[-1,1]'}, got {shape}")
        return lpips(img1, img2, net=self.net_type, normalize=self.normalize, model=self.net).to(self.sum_scores.device)

    def update(self, img1, img2):
        """Add the distances of the pairs ``(img1[i], img2[i])``."""
        scores = self._scores(img1, img2)
        self.sum_scores += scores.double().sum()
        self.total += scores.numel()

    def compute(self):
        """The mean (or sum) distance over all pairs seen since the last reset, float32 scalar."""
        states = states_of(self)
        total, sum_scores = states["total"], states["sum_scores"]
        if int(total) == 0:
            raise ValueError("compute() was called before update(): no image pairs were seen")
        value = sum_scores / total if self.reduction == "mean" else sum_scores
        return value.float()
