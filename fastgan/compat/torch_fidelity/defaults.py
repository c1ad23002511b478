"""torch-fidelity 0.4's keyword arguments and their defaults (``torch_fidelity/defaults.py``)."""

__all__ = ["DEFAULTS", "DEPRECATED"]

DEFAULTS = dict(
    input1=None, input2=None, cuda=True, batch_size=64, isc=False, fid=False, kid=False, prc=False, ppl=False,
    feature_extractor=None, feature_layer_isc=None, feature_layer_fid=None, feature_layer_kid=None,
    feature_layer_prc=None, feature_extractor_weights_path=None, feature_extractor_internal_dtype=None,
    feature_extractor_compile=False, isc_splits=10, kid_subsets=100, kid_subset_size=1000, kid_kernel="poly",
    kid_kernel_poly_degree=3, kid_kernel_poly_gamma=None, kid_kernel_poly_coef0=1, kid_kernel_rbf_sigma=10,
    ppl_epsilon=1e-4, ppl_reduction="mean", ppl_sample_similarity="lpips-vgg16", ppl_sample_similarity_resize=64,
    ppl_sample_similarity_dtype="uint8", ppl_discard_percentile_lower=1, ppl_discard_percentile_higher=99,
    ppl_z_interp_mode="lerp", prc_neighborhood=3, prc_batch_size=10000, samples_shuffle=True,
    samples_find_deep=False, samples_find_ext="png,jpg,jpeg", samples_ext_lossy="jpg,jpeg",
    samples_resize_and_crop=0, datasets_root=None, datasets_download=True, cache_root=None, cache=True,
    input1_cache_name=None, input1_model_z_type="normal", input1_model_z_size=None, input1_model_num_classes=0,
    input1_model_num_samples=None, input2_cache_name=None, input2_model_z_type="normal", input2_model_z_size=None,
    input2_model_num_classes=0, input2_model_num_samples=None, rng_seed=2020, save_cpu_ram=False, verbose=True,
)
# Renamed in torch-fidelity 0.4; the old names still work there, with a warning.
DEPRECATED = {"kid_degree": "kid_kernel_poly_degree", "kid_gamma": "kid_kernel_poly_gamma",
              "kid_coef0": "kid_kernel_poly_coef0"}
