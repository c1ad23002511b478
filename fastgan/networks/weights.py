"""Published weight files: one registry, a shared cache, verified downloads, clear offline errors.

The cache is torch hub's checkpoint folder (``torch.hub.get_dir()/checkpoints``), the same
folder pytorch-fid and torchvision download into, so a file either of them already fetched
is reused as it is. ``FASTGAN_WEIGHTS_DIR`` names another folder: it is searched first and
new downloads go there. ``FASTGAN_OFFLINE=1`` forbids downloading.

Files are verified by SHA-256. Where the publisher embeds a hash prefix in the file name
(torchvision, pytorch-fid: ``name-<first 8 hex of sha256>.pth``) the registry holds that
prefix, which is what ``torch.hub`` itself checks; files whose full digest is known carry it
(OpenAI publishes CLIP's in its download URLs). Meta publishes no digest for the DINOv2
checkpoints: that entry has ``sha256=None`` and is checked only by loading it (its keys and
shapes must be the network's, see ``load_into``).
"""
import hashlib
import importlib.util
import math
import os
import tempfile
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

import torch

__all__ = [
    "PublishedWeights",
    "REGISTRY",
    "WeightsNotFoundError",
    "WeightsHashError",
    "weights_dir",
    "search_dirs",
    "weights_path",
    "load_state_dict",
    "resolve_state_dict",
    "load_into",
    "seeded_state_dict",
    "load_seeded",
]


@dataclass(frozen=True)
class PublishedWeights:
    """One published file.

    Attributes:
        filename: name in the cache folder (the publisher's own, so other libraries' caches are reused).
        url: where it is downloaded from.
        sha256: the full hex digest, or the hex prefix the publisher embedded in the file name, or
            None where the publisher gives no digest (the file is then not hash-checked).
        description: what the file is, for error messages.
        package_file: (package, relative path) of a copy that an installed package bundles,
            used when present and its hash matches (the lpips wheel ships its linear layers).
        extra_dirs: further folders (``~`` expanded) searched after the usual ones: the cache
            of the publisher's own loader when it is not torch hub's (CLIP's ``~/.cache/clip``).
    """

    filename: str
    url: str
    sha256: str
    description: str = ""
    package_file: tuple = ()
    extra_dirs: tuple = ()


def _hub_file(url, description):
    """A file named ``name-<first 8 hex of its sha256>.pth`` (torch hub's convention), cached
    under that name: the prefix in the name is the digest it is verified against."""
    filename = url.rsplit("/", 1)[-1]
    return PublishedWeights(filename=filename, url=url, sha256=filename.rsplit("-", 1)[-1].split(".")[0],
                            description=description)


def _lpips_linear_layers(net, sha256, description):
    """The LPIPS v0.1 linear layers of backbone `net`; the lpips wheel bundles a copy."""
    relative = f"weights/v0.1/{net}.pth"
    return PublishedWeights(
        filename=f"lpips-v0.1-{net}-{sha256[:8]}.pth",
        url=f"https://github.com/richzhang/PerceptualSimilarity/raw/master/lpips/{relative}",
        sha256=sha256,
        description=description,
        package_file=("lpips", relative),
    )


REGISTRY = {
    "pytorch-fid": _hub_file(
        "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth",
        "FID Inception-v3 (TF graph 2015-12-05, ported by pytorch-fid)",
    ),
    "torchvision-vgg16": _hub_file("https://download.pytorch.org/models/vgg16-397923af.pth",
                                   "torchvision VGG16 ImageNet weights"),
    "torchvision-alexnet": _hub_file("https://download.pytorch.org/models/alexnet-owt-7be5be79.pth",
                                     "torchvision AlexNet ImageNet weights"),
    # The lpips package ships these two files inside its wheel; they are tiny.
    "lpips-v0.1-alex": _lpips_linear_layers(
        "alex", "df73285e35b22355a2df87cdb6b70b343713b667eddbda73e1977e0c860835c0",
        "LPIPS v0.1 linear layers for AlexNet"),
    "lpips-v0.1-vgg": _lpips_linear_layers(
        "vgg", "a78928a0af1e5f0fcb1f3b9e8f8c3a2a5a3de244d830ad5c1feddc79b8432868",
        "LPIPS v0.1 linear layers for VGG16"),
    # torch.hub.load("facebookresearch/dinov2", "dinov2_vitl14") caches this file under its own
    # name in torch hub's checkpoints folder. Meta publishes no SHA-256 for it (see above).
    "dinov2-vitl14": PublishedWeights(
        filename="dinov2_vitl14_pretrain.pth",
        url="https://dl.fbaipublicfiles.com/dinov2/dinov2_vitl14/dinov2_vitl14_pretrain.pth",
        sha256=None,
        description="DINOv2 ViT-L/14 backbone (facebookresearch/dinov2 hub model dinov2_vitl14)"),
    # clip.load("ViT-L/14@336px") downloads into ~/.cache/clip; the URL carries the SHA-256.
    "clip-vit-l-14-336px": PublishedWeights(
        filename="ViT-L-14-336px.pt",
        url="https://openaipublic.azureedge.net/clip/models/"
            "3035c92b350959924f9f00213499208652fc7ea050643e8b385c2dac08641f02/ViT-L-14-336px.pt",
        sha256="3035c92b350959924f9f00213499208652fc7ea050643e8b385c2dac08641f02",
        description="OpenAI CLIP ViT-L/14 at 336 px (a TorchScript archive; fastgan uses its visual.* part)",
        extra_dirs=("~/.cache/clip",)),
}


class WeightsNotFoundError(FileNotFoundError):
    """A published file is neither cached nor downloadable (offline, or downloads disabled)."""


class WeightsHashError(ValueError):
    """A file's SHA-256 does not match the registry."""


def weights_dir():
    """The folder new downloads go to: ``$FASTGAN_WEIGHTS_DIR`` or torch hub's ``checkpoints``."""
    override = os.environ.get("FASTGAN_WEIGHTS_DIR")
    if override:
        return Path(override).expanduser()
    return Path(torch.hub.get_dir()) / "checkpoints"


def search_dirs():
    """Folders searched for cached files, in order (the override first, then torch hub's)."""
    dirs = [weights_dir(), Path(torch.hub.get_dir()) / "checkpoints"]
    unique = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


def weights_path(name, download=None, progress=True):
    """Local path of a verified published file, downloading it once if needed.

    Args:
        name: a key of ``REGISTRY`` or a ``PublishedWeights``.
        download: allow downloading; ``None`` means yes unless ``FASTGAN_OFFLINE=1``.
        progress: show a progress bar while downloading.
    Returns:
        ``pathlib.Path`` of a file whose hash matched.
    Raises:
        WeightsNotFoundError: not cached and not downloadable; the message names the file,
            its URL and the folder to put it in.
        WeightsHashError: a cached or downloaded file has the wrong hash.
    """
    entry = _entry(name)
    for folder in search_dirs() + [Path(d).expanduser() for d in entry.extra_dirs]:
        candidate = folder / entry.filename
        if candidate.is_file():
            _verify(candidate, entry)
            return candidate
    bundled = _package_copy(entry)
    if bundled is not None:
        return bundled
    if download is None:
        download = os.environ.get("FASTGAN_OFFLINE", "") not in ("1", "true", "yes")
    target = weights_dir() / entry.filename
    if not download:
        raise _not_found(entry, target.parent, "downloads are disabled (download=False or FASTGAN_OFFLINE=1)")
    try:
        _download(entry, target, progress)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise _not_found(entry, target.parent, f"the download failed: {exc}") from exc
    return target


def load_state_dict(path):
    """Read a checkpoint file on the CPU (tensors only; ``weights_only=True``)."""
    return torch.load(str(path), map_location="cpu", weights_only=True)


def resolve_state_dict(weights, names):
    """Turn a ``weights=`` argument into a state dict, or None for random initialisation.

    Args:
        weights: None; a published name (a key of `names`); a path to a checkpoint file;
            a ``PublishedWeights``; or a state dict (returned as is).
        names: accepted published names -> their ``REGISTRY`` keys.
    """
    if weights is None:
        return None
    if isinstance(weights, dict):
        return weights
    if isinstance(weights, PublishedWeights):
        return load_state_dict(weights_path(weights))
    if isinstance(weights, (str, os.PathLike)):
        key = str(weights)
        if key in names:
            return load_state_dict(weights_path(names[key]))
        path = Path(weights).expanduser()
        if path.is_file():
            return load_state_dict(path)
        choices = ", ".join(repr(k) for k in names)
        raise FileNotFoundError(f"weights={key!r} is neither a published name ({choices}) nor an existing file")
    raise TypeError(f"weights must be None, a name, a file path or a state dict, got {type(weights).__name__}")


def load_into(module, state_dict, source="state dict"):
    """Load `state_dict` into `module`, requiring the same keys and shapes.

    Only the BatchNorm ``num_batches_tracked`` counters may be missing (older checkpoints lack
    them; they do not affect inference). Any other mismatch raises ValueError listing it.
    """
    own = module.state_dict()
    missing = [k for k in own if k not in state_dict and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in state_dict if k not in own]
    wrong = [f"{k}: file {tuple(state_dict[k].shape)} vs network {tuple(own[k].shape)}"
             for k in own if k in state_dict and tuple(state_dict[k].shape) != tuple(own[k].shape)]
    if missing or unexpected or wrong:
        parts = []
        for label, items in (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong)):
            if items:
                shown = ", ".join(items[:5]) + (f" ... ({len(items)} in all)" if len(items) > 5 else "")
                parts.append(f"{label}: {shown}")
        raise ValueError(f"{source} does not fit {type(module).__name__}; " + "; ".join(parts))
    module.load_state_dict(state_dict, strict=False)
    return module


def seeded_state_dict(module):
    """Deterministic stand-in weights for `module`, keyed like its ``state_dict()``.

    The recipe of ``shared/reference/README.md``: each entry gets its own generator seeded
    with the CRC-32 of its name, so the values depend only on name and shape, not on the
    order or the number of other entries. BatchNorm statistics stay in a sane range
    (variance in [0.5, 1.5)), convolutions are He-scaled, so deep networks neither blow up
    nor vanish and their outputs are a sensitive check of every layer.
    """
    out = {}
    for name, value in module.state_dict().items():
        shape = tuple(value.shape)
        if name.endswith("num_batches_tracked"):
            out[name] = value.clone()
            continue
        g = torch.Generator().manual_seed(zlib.crc32(name.encode()))
        if name.endswith("running_var"):
            t = torch.rand(shape, generator=g) + 0.5
        elif name.endswith("running_mean"):
            t = torch.randn(shape, generator=g) * 0.1
        elif len(shape) == 1 and name.endswith("weight"):
            t = 1.0 + 0.1 * torch.randn(shape, generator=g)
        elif name.endswith("bias"):
            t = 0.1 * torch.randn(shape, generator=g)
        else:
            fan_in = math.prod(shape[1:])
            t = torch.randn(shape, generator=g) * math.sqrt(2.0 / fan_in)
        out[name] = t.to(value.dtype)
    return out


def load_seeded(module):
    """Load ``seeded_state_dict(module)`` into `module` in place; returns `module`."""
    module.load_state_dict(seeded_state_dict(module))
    return module


def _entry(name):
    if isinstance(name, PublishedWeights):
        return name
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown published weights {name!r}; known: {', '.join(sorted(REGISTRY))}") from None


def _package_copy(entry):
    """The copy an installed package bundles, if any and if its hash matches (never imports it)."""
    if not entry.package_file:
        return None
    package, relative = entry.package_file
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / relative
        if candidate.is_file():
            try:
                _verify(candidate, entry)
            except WeightsHashError:
                continue
            return candidate
    return None


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_VERIFIED = {}  # (path, size, mtime, expected) -> True: hash each cached file once per process


def _verify(path, entry):
    if entry.sha256 is None:  # the publisher gives no digest: nothing to compare with
        return
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns, entry.sha256.lower())
    if _VERIFIED.get(key):
        return
    digest = _sha256(path)
    if not digest.startswith(entry.sha256.lower()):
        raise WeightsHashError(
            f"{path} has SHA-256 {digest}, expected {'a digest starting with ' if len(entry.sha256) < 64 else ''}"
            f"{entry.sha256}: the file is damaged or not {entry.description or entry.filename}. "
            f"Delete it and run again to download it from {entry.url}")
    _VERIFIED[key] = True


def _not_found(entry, folder, reason):
    return WeightsNotFoundError(
        f"fastgan needs {entry.filename} ({entry.description}), which is not in {folder}, and {reason}. "
        f"Download {entry.url} on a connected machine and put it in {folder} "
        f"(or set FASTGAN_WEIGHTS_DIR to the folder that holds it, or pass weights=<path to the file>).")


def _open_url(url):
    """Indirection so tests can replace the network."""
    return urllib.request.urlopen(url, timeout=60)


def _download(entry, target, progress):
    """Stream to a temporary file beside `target`, check the hash, then rename atomically."""
    from tqdm.auto import tqdm

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".partial", dir=target.parent)
    try:
        h = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, _open_url(entry.url) as response:
            total = response.headers.get("Content-Length") if hasattr(response, "headers") else None
            with tqdm(total=int(total) if total else None, unit="B", unit_scale=True, unit_divisor=1024,
                      desc=entry.filename, disable=not progress) as bar:
                for chunk in iter(lambda: response.read(1 << 20), b""):
                    out.write(chunk)
                    h.update(chunk)
                    bar.update(len(chunk))
        digest = h.hexdigest()
        if entry.sha256 is not None and not digest.startswith(entry.sha256.lower()):
            raise WeightsHashError(
                f"the file downloaded from {entry.url} has SHA-256 {digest}, expected {entry.sha256}; "
                f"it was not kept. Retry, or download it by hand into {target.parent}")
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
