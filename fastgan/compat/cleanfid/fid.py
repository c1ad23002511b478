"""Drop-in replacement for ``cleanfid.fid`` (clean-fid 0.1.35).

    from fastgan.compat.cleanfid import fid        # was: from cleanfid import fid
    score = fid.compute_fid("gen/", "real/", mode="clean")
    kid = fid.compute_kid("gen/", "real/")

Same functions, arguments and defaults; clean-fid's numbers, because each step that shapes
them is clean-fid's: its file list (sorted recursive glob of its extensions, or a zip's
members), its decoding (PIL ``convert("RGB")``, ``.npy`` as is), its resize per mode (batched in
torch: ``fastgan.compat.cleanfid.resize``), its network input (``features``), its statistics
(float32 mean, ``np.cov``), and its KID (``kernel_distance``: per subset, rows of the second
set then of the first drawn from NumPy's *global* random state, unbiased MMD² with the cubic
kernel, mean over subsets). FID and KID are computed by ``fastgan.metrics``.

fastgan extension: every function that builds the network takes ``inception_weights=``
("pytorch-fid", a file or a state dict) for the FID Inception weights. ``device`` defaults to
CUDA when available (clean-fid's default, CUDA, fails on machines without it).
"""
import glob
import os
import random
import zipfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm.auto import tqdm

from ...metrics.fid import frechet_distance as _frechet_distance
from ...metrics.kid import kid as _kid
from .features import (StatisticsNotFoundError, build_feature_extractor, find_statistics, get_reference_statistics,
                       reference_file_name, stats_dir)
from .resize import MODES, build_resizer, resize_batch

__all__ = ["compute_fid", "compute_kid", "make_custom_stats", "remove_custom_stats", "test_stats_exists",
           "frechet_distance", "kernel_distance", "fid_from_feats", "get_folder_features", "get_files_features",
           "get_model_features", "get_batch_features", "EXTENSIONS"]

# clean-fid's image extensions (cleanfid.utils.EXTENSIONS).
EXTENSIONS = {"bmp", "jpg", "jpeg", "pgm", "png", "ppm", "tif", "tiff", "webp", "npy", "JPEG", "JPG", "PNG"}


def frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """Fréchet distance between two Gaussians (fastgan.metrics.frechet_distance).

    Args:
        mu1, mu2: [D] means; sigma1, sigma2: [D, D] covariances (NumPy or torch).
        eps: accepted for clean-fid compatibility; fastgan's trace term is exact for singular
            covariances, so no offset is ever added.
    Returns:
        float.
    """
    mu1, mu2 = np.atleast_1d(mu1), np.atleast_1d(mu2)
    sigma1, sigma2 = np.atleast_2d(sigma1), np.atleast_2d(sigma2)
    return float(_frechet_distance(mu1, sigma1, mu2, sigma2))


def kernel_distance(feats1, feats2, num_subsets=100, max_subset_size=1000):
    """clean-fid's KID: mean unbiased MMD² over `num_subsets` random subsets.

    Args:
        feats1: [N1, D], feats2: [N2, D] features.
        num_subsets: subsets drawn; max_subset_size: rows per subset at most
            (``min(N1, N2, max_subset_size)`` are used).
    Returns:
        float, the mean MMD² (kernel ``(x.y / D + 1)^3``).

    Subsets are drawn as clean-fid draws them: from NumPy's global random state
    (``np.random.choice``, without replacement), the rows of `feats2` first, then those of
    `feats1`; seed it with ``np.random.seed`` to reproduce a run. The sums are float64.
    """
    feats1, feats2 = np.asarray(feats1), np.asarray(feats2)
    m = min(feats1.shape[0], feats2.shape[0], max_subset_size)
    if m < 2:
        raise ValueError(f"KID needs at least 2 samples per set, got {feats1.shape[0]} and {feats2.shape[0]}")
    mean, _ = _kid(feats2, feats1, subsets=num_subsets, subset_size=m, seed=np.random.mtrand._rand)
    return float(mean)


def fid_from_feats(feats1, feats2):
    """FID between two feature sets [N, D], with clean-fid's statistics."""
    mu1, sig1 = _statistics(feats1)
    mu2, sig2 = _statistics(feats2)
    return frechet_distance(mu1, sig1, mu2, sig2)


def get_batch_features(batch, model, device):
    """Features of one batch as a float32 NumPy array [B, D]."""
    with torch.no_grad():
        feat = model(batch.to(device))
    return feat.detach().cpu().numpy()


def get_files_features(l_files, model=None, num_workers=12, batch_size=128, device=None, mode="clean",
                       custom_fn_resize=None, description="", fdir=None, verbose=True, custom_image_tranform=None,
                       inception_weights="pytorch-fid"):
    """Features [N, 2048] (float32 NumPy) of image files, in order, as clean-fid computes them.

    Args:
        l_files: file paths (or zip member names when `fdir` is a .zip).
        model: a feature function (default: clean-fid's network for `mode`).
        num_workers: processes that decode the files (0: in this process).
        batch_size: images per network pass. device: where it runs.
        mode: "clean", "legacy_pytorch" or "legacy_tensorflow".
        custom_fn_resize: per-image function replacing the mode's resizer (HxWx3 -> HxWx3).
        custom_image_tranform: per-image function applied before resizing (HxWx3 -> HxWx3).
        fdir: the folder or .zip the files come from. description, verbose: progress bar.
    """
    _check_mode(mode)
    device = _device(device)
    if model is None:
        model = build_feature_extractor(mode, device, weights=inception_weights)
    if len(l_files) == 0:
        raise ValueError(f"no images found{f' in {fdir}' if fdir else ''} (extensions: {sorted(EXTENSIONS)})")
    dataset = _FileImages(l_files, fdir)
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=False, drop_last=False,
                                         num_workers=num_workers, collate_fn=list)
    feats = []
    for images in tqdm(loader, desc=description, disable=not verbose):
        batch = _prepare(images, mode, custom_image_tranform, custom_fn_resize, uint8_roundtrip=True)
        feats.append(get_batch_features(batch, model, device))
    return np.concatenate(feats)


def get_folder_features(fdir, model=None, num_workers=12, num=None, shuffle=False, seed=0, batch_size=128,
                        device=None, mode="clean", custom_fn_resize=None, description="", verbose=True,
                        custom_image_tranform=None, inception_weights="pytorch-fid"):
    """Features of every image in a folder (recursively) or a .zip, in clean-fid's file order.

    `num` keeps the first `num` files (after a ``random.seed(seed)`` shuffle when `shuffle`).
    Other arguments as ``get_files_features``. Returns float32 NumPy [N, 2048].
    """
    files = _list_files(fdir)
    if verbose:
        print(f"Found {len(files)} images in the folder {fdir}")
    if num is not None:
        if shuffle:
            random.seed(seed)
            random.shuffle(files)
        files = files[:num]
    return get_files_features(files, model, num_workers=num_workers, batch_size=batch_size, device=device,
                              mode=mode, custom_fn_resize=custom_fn_resize,
                              custom_image_tranform=custom_image_tranform, description=description, fdir=fdir,
                              verbose=verbose, inception_weights=inception_weights)


def get_model_features(G, model, mode="clean", z_dim=512, num_gen=50_000, batch_size=128, device=None,
                       desc="FID model: ", verbose=True, return_z=False, custom_image_tranform=None,
                       custom_fn_resize=None, inception_weights="pytorch-fid"):
    """Features of `num_gen` images of generator `G`, as clean-fid samples them.

    Args:
        G: callable z [batch_size, z_dim] -> images [batch_size, 3, H, W] in 0..255 (float or uint8).
        model: a feature function (None: clean-fid's network for `mode`).
        z_dim: latent size; z is ``torch.randn((batch_size, z_dim))`` from torch's global
            generator, whole batches (``ceil(num_gen / batch_size)`` of them), features cut to
            `num_gen` rows.
        return_z: also return the latents [batches * batch_size, z_dim].
    Returns:
        float32 NumPy [num_gen, 2048] (and the latents when `return_z`).
    """
    _check_mode(mode)
    device = _device(device)
    if model is None:
        model = build_feature_extractor(mode, device, weights=inception_weights)
    num_iters = int(np.ceil(num_gen / batch_size))
    feats, latents = [], []
    for _ in tqdm(range(num_iters), desc=desc, disable=not verbose):
        with torch.no_grad():
            z = torch.randn((batch_size, z_dim)).to(device)
            if return_z:
                latents.append(z)
            images = G(z)
            if mode == "legacy_tensorflow":
                batch = images  # clean-fid hands generated batches to that network unchanged (no hooks)
            else:
                batch = _prepare(list(images.detach().cpu().numpy().transpose(0, 2, 3, 1)), mode,
                                 custom_image_tranform, custom_fn_resize, uint8_roundtrip=False)
            feats.append(get_batch_features(batch, model, device))
    feats = np.concatenate(feats)[:num_gen]
    if return_z:
        return feats, torch.cat(latents, 0)
    return feats


def compute_fid(fdir1=None, fdir2=None, gen=None, mode="clean", model_name="inception_v3", num_workers=12,
                batch_size=32, device=None, dataset_name="FFHQ", dataset_res=1024, dataset_split="train",
                num_gen=50_000, z_dim=512, custom_feat_extractor=None, verbose=True, custom_image_tranform=None,
                custom_fn_resize=None, use_dataparallel=True, inception_weights="pytorch-fid"):
    """clean-fid's ``compute_fid``: FID between two folders, a folder and named statistics, a
    generator and a folder, or a generator and named statistics.

    Args:
        fdir1, fdir2: image folders (or .zip files). gen: a generator (see get_model_features).
        mode: "clean" (PIL bicubic on float pixels), "legacy_pytorch" or "legacy_tensorflow".
        model_name: "inception_v3" ("clip_vit_b_32" is not supported here).
        num_workers, batch_size, device: decoding processes, images per pass, device.
        dataset_name, dataset_res, dataset_split: named reference statistics (used when only
            one of fdir1 / gen is given; the file must be on this machine, see
            ``features.get_reference_statistics``). num_gen, z_dim: generator sampling.
        custom_feat_extractor: a feature function replacing the network (batch -> [B, D]).
        custom_image_tranform, custom_fn_resize: per-image hooks as in clean-fid.
        use_dataparallel: accepted; one device is used.
    Returns:
        the FID, a float.
    """
    _check_mode(mode)
    device = _device(device)
    model = _model(custom_feat_extractor, model_name, mode, device, inception_weights)
    common = dict(num_workers=num_workers, batch_size=batch_size, device=device, mode=mode, verbose=verbose,
                  custom_image_tranform=custom_image_tranform, custom_fn_resize=custom_fn_resize)
    if fdir1 is not None and fdir2 is not None:
        if verbose:
            print("compute FID between two folders")
        feats1 = get_folder_features(fdir1, model, description=f"FID {os.path.basename(fdir1)} : ", **common)
        feats2 = get_folder_features(fdir2, model, description=f"FID {os.path.basename(fdir2)} : ", **common)
        return fid_from_feats(feats1, feats2)
    if fdir1 is not None:
        if verbose:
            print(f"compute FID of a folder with {dataset_name} statistics")
        ref_mu, ref_sigma = get_reference_statistics(dataset_name, dataset_res, mode=mode, model_name=model_name,
                                                     seed=0, split=dataset_split)
        feats = get_folder_features(fdir1, model, description=f"FID {os.path.basename(fdir1)} : ", **common)
        mu, sigma = _statistics(feats)
        return frechet_distance(mu, sigma, ref_mu, ref_sigma)
    if gen is not None:
        gen_args = dict(mode=mode, z_dim=z_dim, num_gen=num_gen, batch_size=batch_size, device=device,
                        verbose=verbose, custom_image_tranform=custom_image_tranform,
                        custom_fn_resize=custom_fn_resize)
        if fdir2 is not None:
            if verbose:
                print("compute FID of a model, using references in fdir2")
            feats2 = get_folder_features(fdir2, model, description=f"FID {os.path.basename(fdir2)} : ", **common)
            ref_mu, ref_sigma = _statistics(feats2)
        else:
            if verbose:
                print(f"compute FID of a model with {dataset_name}-{dataset_res} statistics")
            ref_mu, ref_sigma = get_reference_statistics(dataset_name, dataset_res, mode=mode,
                                                         model_name=model_name, seed=0, split=dataset_split)
        mu, sigma = _statistics(get_model_features(gen, model, **gen_args))
        return frechet_distance(mu, sigma, ref_mu, ref_sigma)
    raise ValueError("invalid combination of directories and models entered")


def compute_kid(fdir1=None, fdir2=None, gen=None, mode="clean", num_workers=12, batch_size=32, device=None,
                dataset_name="FFHQ", dataset_res=1024, dataset_split="train", num_gen=50_000, z_dim=512,
                verbose=True, use_dataparallel=True, inception_weights="pytorch-fid"):
    """clean-fid's ``compute_kid``: KID (mean MMD² over 100 subsets of up to 1000 rows).

    Same input combinations as ``compute_fid``. Subsets come from NumPy's global random state,
    as in clean-fid (call ``np.random.seed`` first to reproduce a value).

    Returns:
        the KID, a float.
    """
    _check_mode(mode)
    device = _device(device)
    model = build_feature_extractor(mode, device, use_dataparallel=use_dataparallel, weights=inception_weights)
    common = dict(num_workers=num_workers, batch_size=batch_size, device=device, mode=mode, verbose=verbose)
    if fdir1 is not None and fdir2 is not None:
        if verbose:
            print("compute KID between two folders")
        feats1 = get_folder_features(fdir1, model, description=f"KID {os.path.basename(fdir1)} : ", **common)
        feats2 = get_folder_features(fdir2, model, description=f"KID {os.path.basename(fdir2)} : ", **common)
        return kernel_distance(feats1, feats2)
    if fdir1 is not None:
        if verbose:
            print(f"compute KID of a folder with {dataset_name} statistics")
        ref_feats = get_reference_statistics(dataset_name, dataset_res, mode=mode, seed=0, split=dataset_split,
                                             metric="KID")
        feats = get_folder_features(fdir1, model, description=f"KID {os.path.basename(fdir1)} : ", **common)
        return kernel_distance(ref_feats, feats)
    if gen is not None:
        if fdir2 is not None:
            if verbose:
                print("compute KID of a model, using references in fdir2")
            ref_feats = get_folder_features(fdir2, model, description=f"KID {os.path.basename(fdir2)} : ",
                                            **common)
        else:
            if verbose:
                print(f"compute KID of a model with {dataset_name}-{dataset_res} statistics")
            ref_feats = get_reference_statistics(dataset_name, dataset_res, mode=mode, seed=0, split=dataset_split,
                                                 metric="KID")
        feats = get_model_features(gen, model, mode=mode, z_dim=z_dim, num_gen=num_gen, desc="KID model: ",
                                   batch_size=batch_size, device=device, verbose=verbose)
        return kernel_distance(ref_feats, feats)
    raise ValueError("invalid combination of directories and models entered")


def make_custom_stats(name, fdir, num=None, mode="clean", model_name="inception_v3", num_workers=0, batch_size=64,
                      device=None, verbose=True, inception_weights="pytorch-fid"):
    """Save FID (mu, sigma) and KID (features) statistics of a folder under `name`.

    Written to ``features.stats_dir()`` with clean-fid's file names
    (``{name}_{mode}_custom_na.npz`` and ``..._kid.npz``), then usable as
    ``compute_fid(fdir1, dataset_name=name, dataset_split="custom", mode=mode)``.
    `num` keeps the first `num` files. Raises if the statistics already exist.
    """
    _check_mode(mode)
    _check_model_name(model_name)
    out_fid = stats_dir() / reference_file_name(name, "na", mode, model_name, "custom", "FID")
    out_kid = stats_dir() / reference_file_name(name, "na", mode, model_name, "custom", "KID")
    if out_fid.exists():
        raise FileExistsError(f"The statistics file {name} already exists. "
                              "Use remove_custom_stats function to delete it first.")
    stats_dir().mkdir(parents=True, exist_ok=True)
    device = _device(device)
    model = build_feature_extractor(mode, device, weights=inception_weights)
    feats = get_folder_features(fdir, model, num_workers=num_workers, num=num, batch_size=batch_size,
                                device=device, verbose=verbose, mode=mode,
                                description=f"custom stats: {os.path.basename(fdir)} : ")
    mu, sigma = _statistics(feats)
    if verbose:
        print(f"saving custom FID stats to {out_fid}")
    np.savez_compressed(out_fid, mu=mu, sigma=sigma)
    if verbose:
        print(f"saving custom KID stats to {out_kid}")
    np.savez_compressed(out_kid, feats=feats)


def remove_custom_stats(name, mode="clean", model_name="inception_v3"):
    """Delete the custom statistics saved by ``make_custom_stats`` (FileNotFoundError if absent)."""
    for metric in ("FID", "KID"):
        path = stats_dir() / reference_file_name(name, "na", mode, model_name, "custom", metric)
        if not path.exists():
            raise FileNotFoundError(f"The stats file {name} does not exist ({path}).")
        path.unlink()


def test_stats_exists(name, mode, model_name="inception_v3", metric="FID"):
    """Whether custom statistics `name` exist for `mode` (clean-fid's check)."""
    return find_statistics(reference_file_name(name, "na", mode, model_name, "custom", metric)) is not None


test_stats_exists.__test__ = False  # a clean-fid API name, not a pytest test


class _FileImages(torch.utils.data.Dataset):
    """Decodes clean-fid's way: RGB via PIL (also inside a .zip), .npy arrays as stored."""

    def __init__(self, files, fdir):
        self.files = files
        self.fdir = fdir
        self._zip = None

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        path = str(self.files[i])
        if self.fdir is not None and ".zip" in str(self.fdir):
            if self._zip is None:
                self._zip = zipfile.ZipFile(self.fdir)
            with self._zip.open(path, "r") as f:
                return np.array(Image.open(f).convert("RGB"))
        if ".npy" in path:
            return np.load(path)
        with Image.open(path) as img:
            return np.array(img.convert("RGB"))


def _prepare(images, mode, custom_image_tranform, custom_fn_resize, uint8_roundtrip):
    """A list of HxWx3 images -> the float32 batch [N,3,299,299] (any size for legacy_tensorflow)
    that clean-fid hands to its network."""
    if custom_image_tranform is not None:
        images = [custom_image_tranform(x) for x in images]
    if custom_fn_resize is not None:
        return torch.stack([_to_tensor(custom_fn_resize(x), uint8_roundtrip) for x in images])
    out = []
    # Images of one size are resized together; a folder of mixed sizes becomes several passes.
    for group in _same_size_runs(images):
        batch = torch.from_numpy(np.ascontiguousarray(np.stack(group).transpose(0, 3, 1, 2)))
        if mode == "legacy_tensorflow" and uint8_roundtrip:
            # clean-fid: ToTensor() of the uint8 image (x / 255 in float32), times 255.
            out.append(batch.to(torch.float32).div(255).mul(255) if batch.dtype == torch.uint8
                       else batch.to(torch.float32))
        else:
            out.append(resize_batch(batch, mode))
    if mode == "legacy_tensorflow" and len({tuple(b.shape[-2:]) for b in out}) > 1:
        # The network resizes inside; run each size separately and let the caller concatenate.
        raise ValueError("mode 'legacy_tensorflow' needs images of one size per batch; pass batch_size=1 "
                         "for folders of mixed sizes")
    return torch.cat(out)


def _to_tensor(x, uint8_roundtrip):
    # Files: torchvision's ToTensor as clean-fid uses it: uint8 -> /255 (clean-fid then multiplies
    # by 255), float32 kept as is. Generated images: torch.tensor of the array, values unchanged.
    x = np.asarray(x)
    t = torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))
    if x.dtype == np.uint8 and uint8_roundtrip:
        return t.to(torch.float32).div(255).mul(255)
    return t.to(torch.float32)


def _same_size_runs(images):
    runs, current = [], []
    for x in images:
        x = np.asarray(x)
        if x.ndim != 3 or x.shape[2] != 3:
            raise ValueError(f"images must be HxWx3, got shape {x.shape}")
        if current and (x.shape != current[0].shape or x.dtype != current[0].dtype):
            runs.append(current)
            current = []
        current.append(x)
    if current:
        runs.append(current)
    return runs


def _list_files(fdir):
    fdir = str(fdir)
    if ".zip" in fdir:
        names = list(set(zipfile.ZipFile(fdir).namelist()))
        return [x for x in names if os.path.splitext(x)[1].lower()[1:] in EXTENSIONS]
    if not Path(fdir).is_dir():
        raise FileNotFoundError(f"{fdir} is not a folder (or a .zip of images)")
    return sorted(f for ext in EXTENSIONS for f in glob.glob(os.path.join(fdir, f"**/*.{ext}"), recursive=True))


def _statistics(feats):
    # clean-fid: np.mean of float32 features (a float32 mean) and np.cov (float64).
    feats = np.asarray(feats)
    return np.mean(feats, axis=0), np.cov(feats, rowvar=False)


def _model(custom_feat_extractor, model_name, mode, device, weights):
    if custom_feat_extractor is not None:
        return custom_feat_extractor
    _check_model_name(model_name)
    return build_feature_extractor(mode, device, weights=weights)


def _check_model_name(model_name):
    if model_name == "clip_vit_b_32":
        raise NotImplementedError("model_name='clip_vit_b_32' (CLIP features) is not supported by fastgan's "
                                  "clean-fid shim; use model_name='inception_v3' or custom_feat_extractor")
    if model_name != "inception_v3":
        raise ValueError(f"The entered model name - {model_name} was not recognized.")


def _check_mode(mode):
    if mode not in MODES:
        raise ValueError(f"Invalid mode {mode} specified; use one of {', '.join(MODES)}")


def _device(device):
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


__all__ += ["StatisticsNotFoundError", "build_resizer"]
