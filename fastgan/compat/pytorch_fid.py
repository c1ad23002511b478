"""Drop-in replacement for pytorch-fid (`pytorch_fid.fid_score` and `pytorch_fid.inception`).

    from fastgan.compat.pytorch_fid import calculate_fid_given_paths, InceptionV3

Same functions, arguments and results as pytorch-fid 0.3, over fastgan's FID Inception
(fastgan.networks.FIDInceptionV3, which loads pytorch-fid's published weights file) and
fastgan.metrics (exact float64 statistics and Fréchet distance). One addition: the
path-level functions take ``model=`` so an already built network can be reused.
"""
import os
import pathlib
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset

from ..metrics.fid import frechet_distance
from ..metrics.stats import FeatureStats

__all__ = [
    "InceptionV3",
    "IMAGE_EXTENSIONS",
    "calculate_frechet_distance",
    "get_activations",
    "calculate_activation_statistics",
    "compute_statistics_of_path",
    "calculate_fid_given_paths",
    "save_fid_stats",
]

# pytorch-fid's list; folders are searched without recursion, as it does.
IMAGE_EXTENSIONS = {"bmp", "jpg", "jpeg", "pgm", "png", "ppm", "tif", "tiff", "webp"}


class InceptionV3(nn.Module):
    """pytorch-fid's ``InceptionV3``: the FID Inception returning the outputs of chosen blocks.

    Args:
        output_blocks: indices of the blocks whose outputs are returned, sorted: 0 (64 channels,
            after the first max pool), 1 (192, after the second), 2 (768, after Mixed_6e),
            3 (2048, the final average pool, [N,2048,1,1]).
        resize_input: bilinearly resize inputs to 299x299 (``align_corners=False``).
        normalize_input: map inputs from [0,1] to [-1,1].
        requires_grad: let the parameters require gradients.
        use_fid_inception: must be True (fastgan has only the FID Inception).
        weights: fastgan extension, the ``weights=`` of FIDInceptionV3 (default: pytorch-fid's
            published file; a path, a state dict, or None for untrained).

    ``model(x)`` takes float [N,3,H,W] in [0,1] and returns the list of block outputs.
    """

    DEFAULT_BLOCK_INDEX = 3
    BLOCK_INDEX_BY_DIM = {64: 0, 192: 1, 768: 2, 2048: 3}

    def __init__(self, output_blocks=(DEFAULT_BLOCK_INDEX,), resize_input=True, normalize_input=True,
                 requires_grad=False, use_fid_inception=True, weights="pytorch-fid"):
        super().__init__()
        from ..networks.inception import FIDInceptionV3

        if not use_fid_inception:
            raise ValueError("use_fid_inception=False (torchvision's Inception) is not available in fastgan; "
                             "FID is defined on the FID Inception, use_fid_inception=True")
        self.output_blocks = sorted(output_blocks)
        if not self.output_blocks or self.output_blocks[0] < 0 or self.output_blocks[-1] > 3:
            raise ValueError(f"output_blocks must be indices in 0..3, got {list(output_blocks)}")
        self.last_needed_block = self.output_blocks[-1]
        self.resize_input = resize_input
        self.normalize_input = normalize_input
        self.net = FIDInceptionV3(weights=weights, resize=None)
        self.requires_grad_(requires_grad)

    def _blocks(self):
        n = self.net
        return [
            [n.Conv2d_1a_3x3, n.Conv2d_2a_3x3, n.Conv2d_2b_3x3, _MaxPool()],
            [n.Conv2d_3b_1x1, n.Conv2d_4a_3x3, _MaxPool()],
            [n.Mixed_5b, n.Mixed_5c, n.Mixed_5d, n.Mixed_6a, n.Mixed_6b, n.Mixed_6c, n.Mixed_6d, n.Mixed_6e],
            [n.Mixed_7a, n.Mixed_7b, n.Mixed_7c, nn.AdaptiveAvgPool2d((1, 1))],
        ]

    def forward(self, inp):
        """List of the requested block outputs [N,C,H',W'] for float images [N,3,H,W] in [0,1]."""
        x = inp.to(self.net.fc.weight.device, self.net.fc.weight.dtype)
        if self.resize_input:
            x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
        if self.normalize_input:
            x = 2 * x - 1
        outputs = []
        for idx, block in enumerate(self._blocks()):
            for layer in block:
                x = layer(x)
            if idx in self.output_blocks:
                outputs.append(x)
            if idx == self.last_needed_block:
                break
        return outputs


class _MaxPool(nn.Module):
    def forward(self, x):
        return F.max_pool2d(x, kernel_size=3, stride=2)


class _ImagePathDataset(Dataset):
    """Files -> float [3,H,W] in [0,1], decoded like pytorch-fid (PIL, convert("RGB"))."""

    def __init__(self, files):
        self.files = files

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        from PIL import Image

        with Image.open(self.files[i]) as img:
            rgb = np.array(img.convert("RGB"), dtype=np.uint8)
        return torch.from_numpy(rgb).permute(2, 0, 1).float() / 255


def get_activations(files, model, batch_size=50, dims=2048, device="cpu", num_workers=1):
    """Block activations of image files, [N, dims] float32 NumPy (spatial outputs average-pooled)."""
    model.eval()
    if batch_size > len(files):
        warnings.warn("Warning: batch size is bigger than the data size. Setting batch size to data size")
        batch_size = len(files)
    if len(files) == 0:
        raise ValueError("no image files given")
    loader = DataLoader(_ImagePathDataset(files), batch_size=batch_size, shuffle=False, drop_last=False,
                        num_workers=num_workers)
    out = np.empty((len(files), dims), dtype=np.float32)
    start = 0
    for batch in loader:
        with torch.no_grad():
            pred = model(batch.to(device))[0]
        if pred.shape[2] != 1 or pred.shape[3] != 1:
            pred = F.adaptive_avg_pool2d(pred, output_size=(1, 1))
        pred = pred.squeeze(3).squeeze(2).cpu().numpy()
        if pred.shape[1] != dims:
            raise ValueError(f"the model returns {pred.shape[1]} features but dims={dims}")
        out[start:start + pred.shape[0]] = pred
        start += pred.shape[0]
    return out


def calculate_activation_statistics(files, model, batch_size=50, dims=2048, device="cpu", num_workers=1):
    """(mu [dims], sigma [dims, dims]) float64 NumPy of the activations of `files` (N-1 covariance)."""
    act = get_activations(files, model, batch_size, dims, device, num_workers)
    stats = FeatureStats().update(act)
    return stats.mean.numpy(), stats.cov.numpy()


def compute_statistics_of_path(path, model, batch_size, dims, device, num_workers=1):
    """Statistics of a .npz (its mu, sigma) or of the images directly inside a folder."""
    path = str(path)
    if path.endswith(".npz"):
        with np.load(path) as f:
            return f["mu"][:], f["sigma"][:]
    folder = pathlib.Path(path)
    files = sorted(file for ext in IMAGE_EXTENSIONS for file in folder.glob(f"*.{ext}"))
    if not files:
        raise ValueError(f"no images ({', '.join(sorted(IMAGE_EXTENSIONS))}) directly inside {path}")
    return calculate_activation_statistics(files, model, batch_size, dims, device, num_workers)


def calculate_fid_given_paths(paths, batch_size, device, dims, num_workers=1, model=None):
    """FID between two folders / .npz files, as pytorch-fid's ``calculate_fid_given_paths``.

    Args:
        paths: two folders of images or .npz statistics.
        batch_size, device, dims, num_workers: as pytorch-fid (device None: CUDA if available).
        model: fastgan extension, an InceptionV3 to use (default: built with the published weights).
    Returns:
        numpy.float64.
    """
    for p in paths:
        if not os.path.exists(p):
            raise RuntimeError(f"Invalid path: {p}")
    device = _device(device)
    if any(not str(p).endswith(".npz") for p in paths):  # two .npz files need no network
        model = _model(model, dims, device)
    m1, s1 = compute_statistics_of_path(paths[0], model, batch_size, dims, device, num_workers)
    m2, s2 = compute_statistics_of_path(paths[1], model, batch_size, dims, device, num_workers)
    return calculate_frechet_distance(m1, s1, m2, s2)


def save_fid_stats(paths, batch_size, device, dims, num_workers=1, model=None):
    """Write the statistics of the folder paths[0] to paths[1] (.npz with mu, sigma)."""
    if not os.path.exists(paths[0]):
        raise RuntimeError(f"Invalid path: {paths[0]}")
    if os.path.exists(paths[1]):
        raise RuntimeError(f"Existing output file: {paths[1]}")
    device = _device(device)
    model = _model(model, dims, device)
    m1, s1 = compute_statistics_of_path(paths[0], model, batch_size, dims, device, num_workers)
    np.savez_compressed(paths[1], mu=m1, sigma=s1)


def _device(device):
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def _model(model, dims, device):
    if dims not in InceptionV3.BLOCK_INDEX_BY_DIM:
        raise ValueError(f"dims must be one of {sorted(InceptionV3.BLOCK_INDEX_BY_DIM)}, got {dims}")
    if model is None:
        model = InceptionV3([InceptionV3.BLOCK_INDEX_BY_DIM[dims]])
    return model.to(device)


def calculate_frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """pytorch-fid's Fréchet distance, same signature and results, without its failures.

    pytorch-fid takes scipy.linalg.sqrtm of Σ1 Σ2 and, only when that result is not
    finite, retries with Σ + eps·I; it raises "Imaginary component" when the
    square root comes out complex. Wherever its sqrtm succeeds, this function
    returns the same number (the exact value, to ~1e-12 relative; pytorch-fid's own
    rounding is ~1e-10). Where it would fail, this returns the exact distance of the
    covariances given: singular covariances (N < D) are handled exactly, nothing is
    added to the diagonal, and no exception is raised. `eps` is therefore accepted
    for compatibility and not used (pytorch-fid's ε·I fallback biases FID upward,
    about +0.005 for eps=1e-6 on 2048-d Inception features).

    Args:
        mu1, mu2: means [D] (anything np.atleast_1d accepts).
        sigma1, sigma2: covariances [D, D] (anything np.atleast_2d accepts).
        eps: accepted for signature compatibility; must be a number >= 0.

    Returns:
        numpy.float64, like pytorch-fid.

    Raises:
        ValueError where pytorch-fid asserts (mismatched shapes), and for NaN/Inf or
        asymmetric covariances.
    """
    if not isinstance(eps, (int, float, np.floating)) or not eps >= 0:
        raise ValueError(f"eps must be a number >= 0, got {eps!r}")
    mu1, mu2 = np.atleast_1d(mu1), np.atleast_1d(mu2)
    sigma1, sigma2 = np.atleast_2d(sigma1), np.atleast_2d(sigma2)
    if mu1.shape != mu2.shape:
        raise ValueError(f"Training and test mean vectors have different lengths: {mu1.shape} vs {mu2.shape}")
    if sigma1.shape != sigma2.shape:
        raise ValueError(f"Training and test covariances have different dimensions: {sigma1.shape} vs {sigma2.shape}")
    return np.float64(frechet_distance(mu1, sigma1, mu2, sigma2))
