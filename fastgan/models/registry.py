"""The model registry: `available()` names the families, `build(name, ...)` makes a Model.

The registry imports the family modules it lists (FAMILY_MODULES), each of which declares
one `FAMILY` (a fastgan.models.Family) and imports nothing from here, so there is no
import cycle. `register(family)` adds a family defined elsewhere (user code).
"""
import importlib
import inspect

from .family import DataSpec, Model
from .nets import check_shape

# One module per family, each exposing FAMILY; listed here, imported on first use.
FAMILY_MODULES = ("gan", "dcgan", "cgan", "wgan", "wgan_gp", "lsgan", "vae", "imle", "glo", "glann", "sagan",
                  "biggan", "cogan", "progan", "stylegan")

FAMILY_MODULES += ("pix2pix", "cyclegan", "vae_gan", "bicyclegan")  # image-to-image translation, VAE-GAN

_FAMILIES = {}
_LOADED = False


def register(family):
    """Add a fastgan.models.Family to the registry (under `family.name`); returns it."""
    _FAMILIES[family.name] = family
    return family


def _load():
    global _LOADED
    if not _LOADED:
        for module in FAMILY_MODULES:
            register(importlib.import_module(f"{__package__}.{module}").FAMILY)
        _LOADED = True


def available():
    """Sorted names of the registered model families."""
    _load()
    return sorted(_FAMILIES)


def family(name):
    """The Family registered as `name`; ValueError listing the choices otherwise."""
    _load()
    try:
        return _FAMILIES[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; choose one of {sorted(_FAMILIES)}") from None


def arch_options(fam):
    """{keyword: default} of a family's architecture options (its build's keyword arguments)."""
    params = list(inspect.signature(fam.build).parameters.values())[1:]  # after the DataSpec
    return {p.name: p.default for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def build(name, shape=(2,), num_classes=0, num_items=0, **overrides):
    """Build the model family `name` for samples of `shape`.

    Args:
        name: one of `available()`.
        shape: (D,) for points, (C, S, S) with S in 16/32/64 for images.
        num_classes: number of labels (conditional families need > 0).
        num_items: training-set size (families with one learned code per image need it).
        overrides: fields of the family's recipe (`family(name).recipe`) and its architecture
            options (`arch_options(family(name))`); anything else is refused with both lists.

    Returns:
        A fastgan.models.Model.
    """
    fam = family(name)
    shape = check_shape(shape)
    kind = "images" if len(shape) == 3 else "points"
    if kind not in fam.samples:
        raise ValueError(f"{name} models {' or '.join(fam.samples)}, not {kind} of shape {shape}")
    recipe_fields = set(fam.recipe.field_names())
    arch_names = arch_options(fam)
    unknown = set(overrides) - recipe_fields - set(arch_names)
    if unknown:
        raise ValueError(f"model {name!r}: unknown options {sorted(unknown)}; recipe fields: {sorted(recipe_fields)}; "
                         f"architecture options: {sorted(arch_names)}")
    recipe_overrides = {k: v for k, v in overrides.items() if k in recipe_fields}
    arch = {k: v for k, v in overrides.items() if k not in recipe_fields}
    num_items = int(num_items) if fam.per_item else 0
    if fam.per_item and num_items < 1:
        raise ValueError(f"{name} learns one code per training sample: build it with num_items=len(training set)")
    spec = DataSpec(shape, int(num_classes), num_items)
    networks, recipe = fam.build(spec, **arch)
    recipe = recipe.updated(**recipe_overrides)
    if fam.complete_recipe is not None:
        recipe = fam.complete_recipe(recipe, networks, frozenset(recipe_overrides))
    if fam.check is not None:
        fam.check(recipe)
    if fam.check_networks is not None:
        fam.check_networks(networks, recipe)
    config = {"name": name, "shape": list(shape), "num_classes": int(num_classes), "num_items": num_items,
              "arch": arch, "recipe": recipe.to_dict()}
    return Model(fam, networks, recipe, config)
