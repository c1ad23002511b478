"""Drop-in replacement for clean-fid 0.1.35, with its module layout.

    from fastgan.compat.cleanfid import fid          # was: from cleanfid import fid
    fid.compute_fid("gen/", "real/", mode="clean")  # also "legacy_pytorch", "legacy_tensorflow"
    fid.compute_kid("gen/", "real/")
    fid.make_custom_stats("mydata", "real/"); fid.compute_fid("gen/", dataset_name="mydata",
                                                              dataset_split="custom")

Modules: ``fid`` (compute_fid, compute_kid, make_custom_stats, remove_custom_stats,
test_stats_exists, ...), ``resize`` (build_resizer: clean-fid's resizers, batched in torch) and
``features`` (build_feature_extractor, get_reference_statistics). Named dataset statistics are
never downloaded: see ``features.get_reference_statistics`` for where to put them.
"""
from . import features, fid, resize

__version__ = "0.1.35"

__all__ = ["fid", "resize", "features"]
