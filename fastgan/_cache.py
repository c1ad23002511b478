"""The one folder fastgan caches things in: real-image features, the digits classifier."""
import os
from pathlib import Path


def default_cache_dir():
    """``$FASTGAN_CACHE_DIR``, else ``$XDG_CACHE_HOME/fastgan``, else ``~/.cache/fastgan`` (a Path)."""
    override = os.environ.get("FASTGAN_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "fastgan"
