"""One evaluation pipeline: folders, arrays, datasets or generators -> features -> the metric registry.

    fastgan.evaluate("data/real", "samples/", metrics=("fid", "kid", "is", "prdc"))

Each input goes through each feature network once (the FID Inception by default: pool3, its
logits for the Inception Score, the spatial features of sFID; DINOv2 for FD-DINOv2; CLIP for
CMMD), and every metric that needs those features shares them. Metrics are registered
(`register_metric`), each with its own options dataclass.
"""
from .builtin import CMMDOptions, FIDInfinityOptions, ISOptions, KIDOptions, NoOptions, PRDCOptions, VendiOptions
from .extractors import EXTRACTORS, Extractor, NamedExtractor, register_extractor, state_fingerprint
from .features import FeatureSet, default_cache_dir, extract_features, extract_layers, folder_cache_key, load_features
from .image_metrics import LPIPSOptions, PPLOptions
from .inputs import generator_device, generator_latent_dim, latent_batches
from .pipeline import DEFAULT_METRICS, compute_on_features, evaluate
from .registry import EvaluationContext, Metric, Space, metric, metric_names, parse_metrics, register_metric

__all__ = [
    "evaluate", "compute_on_features", "DEFAULT_METRICS", "metric_names", "metric", "register_metric", "Metric", "Space",
    "EvaluationContext", "parse_metrics", "Extractor", "NamedExtractor", "EXTRACTORS", "register_extractor",
    "FeatureSet", "load_features", "extract_layers", "extract_features", "folder_cache_key", "default_cache_dir",
    "state_fingerprint", "generator_latent_dim", "generator_device", "latent_batches",
    "NoOptions", "KIDOptions", "ISOptions", "PRDCOptions", "CMMDOptions", "VendiOptions", "FIDInfinityOptions",
    "LPIPSOptions", "PPLOptions",
]
