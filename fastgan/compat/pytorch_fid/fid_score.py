"""pytorch-fid's ``pytorch_fid.fid_score``: the path-level FID functions and its command line.

    from fastgan.compat.pytorch_fid import fid_score     # was: from pytorch_fid import fid_score
    python -m fastgan.compat.pytorch_fid path1 path2      # was: python -m pytorch_fid path1 path2

Same functions, arguments, results and output as pytorch-fid 0.3, over fastgan's FID
Inception and fastgan.metrics (exact float64 statistics and Fréchet distance). The
functions look each other up through this module, as pytorch-fid's do, so tests that
mock ``fid_score.compute_statistics_of_path`` keep working. Additions: the path-level
functions take ``model=`` to reuse a built network, and the default network is only
built (and its weights loaded) when images, not .npz statistics, need it.
"""
import os
import pathlib
import warnings
from argparse import ArgumentDefaultsHelpFormatter, ArgumentParser

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset

from ...metrics.fid import frechet_distance
from ...metrics.stats import FeatureStats
from .inception import InceptionV3

__all__ = [
    "IMAGE_EXTENSIONS",
    "ImagePathDataset",
    "calculate_frechet_distance",
    "get_activations",
    "calculate_activation_statistics",
    "compute_statistics_of_path",
    "calculate_fid_given_paths",
    "save_fid_stats",
]

# pytorch-fid's list; folders are searched without recursion, as it does.
IMAGE_EXTENSIONS = {"bmp", "jpg", "jpeg", "pgm", "png", "ppm", "tif", "tiff", "webp"}


class ImagePathDataset(Dataset):
    """pytorch-fid's dataset: image files decoded with PIL and converted to RGB.

    Args:
        files: list of image paths.
        transforms: callable applied to each PIL image; None returns the PIL image.
    """

    def __init__(self, files, transforms=None):
        self.files = files
        self.transforms = transforms

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        from PIL import Image

        with Image.open(self.files[i]) as img:
            img = img.convert("RGB")
        return self.transforms(img) if self.transforms is not None else img


def to_tensor(img):
    """PIL image -> float [3,H,W] in [0,1], as torchvision's ToTensor does for 8-bit RGB."""
    rgb = np.array(img, dtype=np.uint8)
    return torch.from_numpy(rgb).permute(2, 0, 1).float() / 255


def get_activations(files, model, batch_size=50, dims=2048, device="cpu", num_workers=1):
    """Block activations of image files, [N, dims] float32 NumPy (spatial outputs average-pooled)."""
    if isinstance(model, _DeferredInception):
        model.build()  # before any file is read: a missing weights file is the first error
    model.eval()
    if batch_size > len(files):
        warnings.warn("Warning: batch size is bigger than the data size. Setting batch size to data size")
        batch_size = len(files)
    if len(files) == 0:
        raise ValueError("no image files given")
    loader = DataLoader(ImagePathDataset(files, transforms=to_tensor), batch_size=batch_size, shuffle=False, drop_last=False,
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
        return _DeferredInception([InceptionV3.BLOCK_INDEX_BY_DIM[dims]], device)
    return model.to(device)


class _DeferredInception(nn.Module):
    """pytorch-fid's default network, built with its published weights on first use."""

    def __init__(self, output_blocks, device):
        super().__init__()
        self.output_blocks = output_blocks
        self.device = device
        self.net = None

    def build(self):
        if self.net is None:
            self.net = InceptionV3(self.output_blocks).to(self.device).eval()
        return self.net

    def forward(self, x):
        return self.build()(x)


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


def _parser():
    parser = ArgumentParser(prog="python -m fastgan.compat.pytorch_fid", formatter_class=ArgumentDefaultsHelpFormatter)
    parser.add_argument("--batch-size", type=int, default=50, help="Batch size to use")
    parser.add_argument(
        "--num-workers", type=int, help="Number of processes to use for data loading. Defaults to `min(8, num_cpus)`"
    )
    parser.add_argument("--device", type=str, default=None, help="Device to use. Like cuda, cuda:0 or cpu")
    parser.add_argument(
        "--dims",
        type=int,
        default=2048,
        choices=list(InceptionV3.BLOCK_INDEX_BY_DIM),
        help="Dimensionality of Inception features to use. By default, uses pool3 features",
    )
    parser.add_argument(
        "--save-stats",
        action="store_true",
        help="Generate an npz archive from a directory of samples. The first path is used as input and the second as output.",
    )
    parser.add_argument("path", type=str, nargs=2, help="Paths to the generated images or to .npz statistic files")
    return parser


parser = _parser()


def main(argv=None):
    """pytorch-fid's command line: prints ``FID:  <value>``, or writes statistics with --save-stats."""
    args = parser.parse_args(argv)
    device = _device(args.device)
    if args.num_workers is None:
        try:
            cpus = len(os.sched_getaffinity(0))
        except AttributeError:  # not on every platform
            cpus = os.cpu_count()
        num_workers = min(cpus, 8) if cpus is not None else 0
    else:
        num_workers = args.num_workers
    if args.save_stats:
        save_fid_stats(args.path, args.batch_size, device, args.dims, num_workers)
        return
    fid_value = calculate_fid_given_paths(args.path, args.batch_size, device, args.dims, num_workers)
    print("FID: ", fid_value)


if __name__ == "__main__":
    main()
