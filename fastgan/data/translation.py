"""Image-to-image data by name: the built-in sets and the folder layouts, for `load_data`.

`load_translation(name, ...)` returns a DataSource for

- "digits-edges" (paired), "digits-inverted" and "digits-m" (two domains), built from
  scikit-learn's digits and sample photographs (fastgan.data.paired / two_domain);
- "paired:ROOT" (side-by-side A|B images), a folder with A/ and B/ (paired by file name),
  "unpaired:ROOT" or a folder with trainA/ and trainB/ (two domains);

and None for any other name, so `load_data` goes on to its own sets and plain image folders.
"""
import os
from pathlib import Path

from .paired import digits_edges, side_by_side_folder, two_folder_pairs
from .two_domain import digits_inverted, digits_m, is_two_domain_folder, unpaired_folders

# Built-in sets: name -> (builder(size, conditional), data kind).
TRANSLATION_SETS = {
    "digits-edges": (digits_edges, "paired"),
    "digits-inverted": (digits_inverted, "two-domain"),
    "digits-m": (digits_m, "two-domain"),
}
PAIRED_PREFIX = "paired:"
UNPAIRED_PREFIX = "unpaired:"


def load_translation(name, size=16, channels=None, conditional=True):
    """The image-to-image DataSource `name`, or None when `name` is not one.

    Args:
        name: a built-in set (TRANSLATION_SETS), "paired:ROOT", "unpaired:ROOT", or a folder
            with A/+B/ (paired) or trainA/+trainB/ (two domains).
        size: image side (16, 32, 64).
        channels: folders: 1 or 3 (default 3); the built-in sets have their own.
        conditional: built-in sets: keep the digit labels.
    """
    name = str(name)
    if name in TRANSLATION_SETS:
        return TRANSLATION_SETS[name][0](size, conditional)
    if name.startswith(PAIRED_PREFIX):
        return side_by_side_folder(name[len(PAIRED_PREFIX):], size, channels or 3)
    if name.startswith(UNPAIRED_PREFIX):
        root = name[len(UNPAIRED_PREFIX):]
        if not is_two_domain_folder(root):
            raise ValueError(f"unpaired data {root}: expected a folder with trainA/ and trainB/ subfolders")
        return unpaired_folders(root, size, channels or 3)
    if os.path.isdir(name):
        if is_two_domain_folder(name):
            return unpaired_folders(name, size, channels or 3)
        if (Path(name) / "A").is_dir() and (Path(name) / "B").is_dir():
            return two_folder_pairs(name, size, channels or 3)
    return None


def translation_names():
    """The built-in image-to-image sets, with their data kinds: {name: kind}."""
    return {name: kind for name, (_, kind) in TRANSLATION_SETS.items()}
