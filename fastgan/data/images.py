"""Images from a folder tree (or one file) as uint8 [3,H,W] tensors, in a deterministic order."""
import os
import warnings
import zipfile
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

__all__ = ["ImageFolder", "ImageReadError", "list_images", "IMAGE_EXTENSIONS", "ARRAY_EXTENSIONS"]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
ARRAY_EXTENSIONS = (".npy", ".npz")


class ImageReadError(OSError):
    """A file could not be read as an image; ``.path`` names it."""

    def __init__(self, path, reason):
        super().__init__(f"cannot read {path} as an image: {reason}")
        self.path = str(path)


def list_images(root, extensions=IMAGE_EXTENSIONS + ARRAY_EXTENSIONS):
    """All files under `root` with one of `extensions` (any case), sorted by relative path.

    Hidden files and folders (name starting with ".") are left out: they are usually editor
    or OS debris (macOS ``._x.png``) rather than images. Symlinked files are followed,
    symlinked folders are not (they could form cycles).
    """
    root = Path(root)
    if not root.exists():
        raise FileNotFoundError(f"image folder {root} does not exist")
    exts = tuple(e.lower() for e in extensions)
    if root.is_file():
        return [root]
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if not name.startswith(".") and name.lower().endswith(exts):
                found.append(Path(folder, name))
    # Sorting the POSIX relative path is the same on every OS and file system.
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


class ImageFolder(Dataset):
    """Map-style dataset of the images under a folder (recursively), or in one file.

    Each item is a uint8 tensor [3,H,W]: grey and palette images become RGB, the alpha channel
    of RGBA images is dropped (as ``PIL.Image.convert("RGB")`` does, which pytorch-fid uses).
    PNG, JPEG, WebP and BMP files are one image each. A ``.npy``/``.npz`` file holds uint8
    pixels: a 2-D array is one grey image, a 3-D array one image ([H,W,C] or [C,H,W], C in
    1, 3, 4), a 4-D array a batch ([N,H,W,C] or [N,C,H,W]) whose images are items in order.

    Args:
        root: a folder, or a single image/array file.
        extensions: file endings to include (case-insensitive).
        on_error: ``"raise"`` (default): an unreadable file raises ImageReadError naming it;
            ``"skip"``: it is left out with a warning. Image files are decoded lazily, so a
            skipped one yields None from ``__getitem__``; batch with ``loader()`` or
            ``collate_fn=ImageFolder.collate``, which drop those.
        npz_key: which array of an ``.npz`` file to read (default: its only array, or ``arr_0``).

    Items are independent of the order they are read in and the object pickles without open
    files, so DataLoader worker processes can share it. Arrays are memory-mapped (``.npy``) or
    kept while consecutive items come from the same file (``.npz``, which cannot be mapped).
    """

    def __init__(self, root, extensions=IMAGE_EXTENSIONS + ARRAY_EXTENSIONS, on_error="raise", npz_key=None):
        if on_error not in ("raise", "skip"):
            raise ValueError(f'on_error must be "raise" or "skip", got {on_error!r}')
        self.root = Path(root)
        self.on_error = on_error
        self.npz_key = npz_key
        self.files = list_images(self.root, extensions)
        # One entry per item: (file index, index inside an array batch or -1 for a whole file).
        self._items = []
        for f, path in enumerate(self.files):
            if path.suffix.lower() in ARRAY_EXTENSIONS:
                try:
                    count = _array_item_count(path, npz_key)
                except ImageReadError as exc:
                    self._fail(exc)
                    continue
                self._items += [(f, i) for i in range(count)] if count else [(f, -1)]
            else:
                self._items.append((f, -1))
        if not self._items:
            what = "readable images" if self.files else "images"
            raise ValueError(f"no {what} found in {self.root} (looked for files ending in {', '.join(extensions)})")
        self._cache = None

    def __len__(self):
        return len(self._items)

    def __getitem__(self, index):
        """uint8 [3,H,W] tensor of item `index`; None for a bad file with ``on_error="skip"``."""
        f, i = self._items[index]
        path = self.files[f]
        try:
            if path.suffix.lower() in ARRAY_EXTENSIONS:
                array = self._array(path)
                return _to_chw_uint8(array if i < 0 else array[i], path)
            return _read_picture(path)
        except ImageReadError as exc:
            self._fail(exc)
            return None

    def path(self, index):
        """The file item `index` comes from (``file.npz[i]`` for an item of an array batch)."""
        f, i = self._items[index]
        return str(self.files[f]) + (f"[{i}]" if i >= 0 else "")

    @staticmethod
    def collate(batch):
        """Stack items into uint8 [B,3,H,W], leaving out the Nones of skipped files."""
        items = [x for x in batch if x is not None]
        if not items:
            return torch.empty(0, 3, 0, 0, dtype=torch.uint8)
        shapes = {tuple(x.shape) for x in items}
        if len(shapes) > 1:
            raise ValueError(f"images in one batch differ in size ({sorted(shapes)[:3]}...); "
                             f"use batch_size=1 or resize the images to one size first")
        return torch.stack(items)

    def loader(self, batch_size=50, num_workers=0, **kwargs):
        """A DataLoader over this dataset in order (no shuffling) with ``collate``."""
        kwargs.setdefault("shuffle", False)
        return DataLoader(self, batch_size=batch_size, num_workers=num_workers, collate_fn=self.collate, **kwargs)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_cache"] = None  # memory maps and loaded arrays stay in their own process
        return state

    def _fail(self, exc):
        if self.on_error == "raise":
            raise exc
        warnings.warn(f"skipping {exc.path}: {exc}", stacklevel=3)

    def _array(self, path):
        if self._cache is not None and self._cache[0] == path:
            return self._cache[1]
        array = _load_array(path, self.npz_key)
        self._cache = (path, array)
        return array


def _read_picture(path):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.load()  # decode now, inside the try: truncated files fail here
            rgb = img.convert("RGB") if img.mode != "RGB" else img.copy()
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as exc:
        raise ImageReadError(path, exc) from exc
    return torch.from_numpy(np.array(rgb, dtype=np.uint8)).permute(2, 0, 1).contiguous()


def _npz_name(names, npz_key, path):
    if npz_key is not None:
        if npz_key not in names:
            raise ImageReadError(path, f"it has no array {npz_key!r} (it has {', '.join(sorted(names))})")
        return npz_key
    if len(names) == 1:
        return names[0]
    if "arr_0" in names:
        return "arr_0"
    raise ImageReadError(path, f"it holds several arrays ({', '.join(sorted(names))}); choose one with npz_key=")


def _array_item_count(path, npz_key):
    """Items in an array file, from its header only: 0 for a single image, N for a 4-D batch."""
    try:
        if path.suffix.lower() == ".npy":
            shape, dtype = _npy_header(path)
        else:
            with zipfile.ZipFile(path) as z:
                names = [n[:-4] for n in z.namelist() if n.endswith(".npy")]
                with z.open(_npz_name(names, npz_key, path) + ".npy") as f:
                    shape, dtype = _read_header(f)
    except ImageReadError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, KeyError) as exc:
        raise ImageReadError(path, exc) from exc
    if dtype != np.uint8:
        raise ImageReadError(path, f"arrays must hold uint8 pixels (0..255), this one is {dtype}; "
                                   f"convert with (x * 255).round().astype(np.uint8) for [0,1] floats")
    if len(shape) in (2, 3):
        return 0
    if len(shape) == 4:
        if shape[-1] not in (1, 3, 4) and shape[1] not in (1, 3, 4):
            raise ImageReadError(path, f"a 4-D array must be [N,H,W,C] or [N,C,H,W] with C in 1, 3, 4, got {shape}")
        return shape[0]
    raise ImageReadError(path, f"expected a 2-D, 3-D or 4-D array of pixels, got shape {shape}")


def _npy_header(path):
    with open(path, "rb") as f:
        return _read_header(f)


def _read_header(f):
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(f)
    else:
        shape, _, dtype = np.lib.format.read_array_header_2_0(f)
    return shape, dtype


def _load_array(path, npz_key):
    try:
        if path.suffix.lower() == ".npy":
            return np.load(path, mmap_mode="r", allow_pickle=False)
        with np.load(path, allow_pickle=False) as z:
            return z[_npz_name(list(z.files), npz_key, path)]
    except ImageReadError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, KeyError, EOFError) as exc:
        raise ImageReadError(path, exc) from exc


def _to_chw_uint8(array, path):
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3:
        raise ImageReadError(path, f"expected an image array, got shape {array.shape}")
    if array.shape[-1] not in (1, 3, 4):
        if array.shape[0] not in (1, 3, 4):
            raise ImageReadError(path, f"image arrays must be [H,W,C] or [C,H,W] with C in 1, 3, 4, got {array.shape}")
        array = array.transpose(1, 2, 0)
    channels = array.shape[-1]
    if channels == 1:
        array = np.repeat(array, 3, axis=-1)
    elif channels == 4:
        array = array[..., :3]
    # np.array copies: memory-mapped pages are read-only and must not outlive the map.
    return torch.from_numpy(np.array(array.transpose(2, 0, 1), dtype=np.uint8, order="C"))
