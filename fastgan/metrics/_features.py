"""Feature-matrix arguments of the metrics on features: one place for their checks."""
from ..ops._inputs import as_features, check_feature_pair, check_feature_matrix


def feature_matrix(value, name, min_rows=1, dtype=None):
    """`value` ([N, D] NumPy or torch) as a checked tensor; at least `min_rows` rows.

    Args:
        value: the features.
        name: used in error messages.
        min_rows: the fewest rows the metric can use.
        dtype: cast to this dtype after the checks (e.g. torch.float64 for exact sums).
    """
    x = as_features(value, name)
    if x.dim() == 2 and not x.is_floating_point():
        x = x.double()
    check_feature_matrix(x, name)
    if x.shape[0] < min_rows:
        raise ValueError(f"{name} has {x.shape[0]} sample(s); this metric needs at least {min_rows}")
    return x if dtype is None else x.to(dtype)


def feature_pair(a, a_name, b, b_name, min_rows=1, dtype=None):
    """Two checked feature matrices with the same feature size and device (see `feature_matrix`)."""
    x = feature_matrix(a, a_name, min_rows)
    y = feature_matrix(b, b_name, min_rows)
    if dtype is not None:
        x, y = x.to(dtype), y.to(dtype)
    elif x.dtype != y.dtype:
        x, y = x.double(), y.double()
    check_feature_pair(x, a_name, y, b_name)
    return x, y
