"""fastgan.networks.CLIPImageEncoder (CMMD's network) against transformers'
CLIPVisionModelWithProjection with seeded weights, its preprocessing against the CMMD
reference's recipe computed with PIL, and loading of OpenAI's TorchScript release format."""
import hashlib
import warnings

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from fastgan.networks import CLIPImageEncoder
from fastgan.networks import weights as W
from fastgan.networks._vit import ViTArch
from fastgan.networks.clip import CLIP_MEAN, CLIP_STD, CLIP_VITL14_336, center_crop_square, load_clip_state_dict
from fastgan.networks.weights import load_seeded, seeded_state_dict
from seeded import relative_error
from vit_reference import clip_reference

TOL = 1e-5  # relative to the largest embedding entry
SMALL = ViTArch(patch=14, width=64, depth=3, heads=4, mlp=256, grid=4, output=32)  # 56 px


@pytest.fixture(scope="module")
def small():
    return load_seeded(CLIPImageEncoder(weights=None, resize=None, normalize=False, arch=SMALL))


def _images(shape, seed):
    return torch.randint(0, 256, shape, generator=torch.Generator().manual_seed(seed), dtype=torch.uint8)


def test_state_dict_has_the_release_layout():
    with torch.device("meta"):
        state = CLIPImageEncoder(weights=None).state_dict()
    block = ["attn.in_proj_weight", "attn.in_proj_bias", "attn.out_proj.weight", "attn.out_proj.bias", "ln_1.weight",
             "ln_1.bias", "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias", "ln_2.weight",
             "ln_2.bias"]
    expected = (["visual.class_embedding", "visual.positional_embedding", "visual.proj", "visual.conv1.weight",
                 "visual.ln_pre.weight", "visual.ln_pre.bias"]
                + [f"visual.transformer.resblocks.{i}.{k}" for i in range(24) for k in block]
                + ["visual.ln_post.weight", "visual.ln_post.bias"])
    assert list(state) == expected
    shapes = {k: tuple(v.shape) for k, v in state.items()}
    assert shapes["visual.conv1.weight"] == (1024, 3, 14, 14) and shapes["visual.class_embedding"] == (1024,)
    assert shapes["visual.positional_embedding"] == (24 * 24 + 1, 1024) and shapes["visual.proj"] == (1024, 768)
    assert shapes["visual.transformer.resblocks.23.attn.in_proj_weight"] == (3072, 1024)
    assert shapes["visual.transformer.resblocks.0.mlp.c_fc.weight"] == (4096, 1024)


def test_matches_transformers(small):
    ref = clip_reference(small)
    x = torch.randn(3, 3, 56, 56, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        got, want = small.features(x), ref(pixel_values=x).image_embeds
    assert got.shape == (3, 32) and got.dtype == torch.float32
    assert relative_error(got, want) < TOL
    assert relative_error(got[0], got[1]) > 1e-2


def test_embeddings_are_l2_normalised_as_the_reference_does(small):
    unit = CLIPImageEncoder(weights=dict(small.state_dict()), resize=None, arch=SMALL)
    images = _images((2, 3, 56, 56), 1)
    with torch.inference_mode():
        raw, normed = small(images), unit(images)
    torch.testing.assert_close(normed, raw / raw.norm(dim=-1, keepdim=True), rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(normed.norm(dim=-1), torch.ones(2), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("size", [(56, 56), (80, 64), (64, 90), (30, 41)])
def test_preprocess_equals_the_cmmd_reference_recipe(size):
    """PIL crop of the centred square ((w - s) // 2, (h - s) // 2), PIL bicubic to 56, /255, CLIP mean/std."""
    net = CLIPImageEncoder(weights=None, resize="pil", arch=SMALL)
    images = _images((2, 3) + size, sum(size))
    got = net.preprocess(images)
    mean = torch.tensor(CLIP_MEAN, dtype=torch.float32).view(3, 1, 1)
    std = torch.tensor(CLIP_STD, dtype=torch.float32).view(3, 1, 1)
    for i in range(2):
        im = Image.fromarray(images[i].permute(1, 2, 0).numpy().copy(), mode="RGB")
        w, h = im.size
        side = min(w, h)
        top, left = (h - side) // 2, (w - side) // 2
        im = im.crop((left, top, left + side, top + side)).resize((56, 56), Image.BICUBIC)
        x = torch.from_numpy(np.asarray(im).astype(np.float32)).permute(2, 0, 1) / 255.0
        assert torch.equal(got[i], (x - mean) / std), size


def test_center_crop_square():
    x = torch.arange(5 * 8).view(1, 1, 5, 8)
    assert torch.equal(center_crop_square(x), x[..., :, 1:6])
    assert torch.equal(center_crop_square(x.transpose(2, 3)), x.transpose(2, 3)[..., 1:6, :])


def test_bad_input_is_refused():
    net = CLIPImageEncoder(weights=None, resize="pil", arch=SMALL)
    with pytest.raises(TypeError, match="uint8"):
        net(torch.rand(1, 3, 56, 56))
    raw = CLIPImageEncoder(weights=None, resize=None, arch=SMALL)
    with pytest.raises(ValueError, match="56x56"):
        raw(_images((1, 3, 70, 70), 0))
    with pytest.raises(ValueError, match="output size"):
        CLIPImageEncoder(weights=None, arch=ViTArch(patch=14, width=64, depth=1, heads=4, mlp=64, grid=2))


class _Holder(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def _torchscript_clip(state, path):
    """A TorchScript archive shaped like OpenAI's release: the whole model's parameters in
    float16 under their names (visual.*, text tower, logit_scale) and the int entries."""
    root = _Holder()
    for name, value in state.items():
        *parents, leaf = name.split(".")
        module = root
        for part in parents:
            if not hasattr(module, part):
                module.add_module(part, _Holder())
            module = getattr(module, part)
        module.register_parameter(leaf, nn.Parameter(value.detach().clone(), requires_grad=False))
    root.register_buffer("input_resolution", torch.tensor(56))
    with warnings.catch_warnings():  # TorchScript is deprecated, but it is the release format
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(torch.jit.script(root), str(path))


def test_loads_the_visual_part_of_a_torchscript_release_file(tmp_path, small):
    full = {k: v.half() for k, v in small.state_dict().items()}
    full["token_embedding.weight"] = torch.randn(10, 8).half()
    full["transformer.resblocks.0.attn.in_proj_weight"] = torch.randn(24, 8).half()
    full["logit_scale"] = torch.tensor(4.6).half()
    path = tmp_path / "ViT-tiny.pt"
    _torchscript_clip(full, path)
    assert "visual.conv1.weight" in load_clip_state_dict(path)
    net = CLIPImageEncoder(weights=path, resize=None, normalize=False, arch=SMALL)
    for k, v in net.state_dict().items():
        assert v.dtype == torch.float32 and torch.equal(v, full[k].float()), k
    # A torch.save'd visual-only state dict (no prefix) loads too.
    torch.save({k[len("visual."):]: v for k, v in small.state_dict().items()}, tmp_path / "visual.pth")
    net = CLIPImageEncoder(weights=tmp_path / "visual.pth", resize=None, arch=SMALL)
    assert torch.equal(net.visual.proj, small.visual.proj)


def test_missing_published_weights_name_the_file_and_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("FASTGAN_WEIGHTS_DIR", raising=False)
    monkeypatch.setenv("FASTGAN_OFFLINE", "1")
    with pytest.raises(W.WeightsNotFoundError) as err:
        CLIPImageEncoder()
    message = str(err.value)
    assert "ViT-L-14-336px.pt" in message and str(tmp_path / "hub" / "checkpoints") in message
    assert W.REGISTRY["clip-vit-l-14-336px"].url in message


def test_file_in_clips_own_cache_is_found_and_verified(tmp_path, monkeypatch, small):
    """clip.load() downloads into ~/.cache/clip; a file there is used after its SHA-256 check."""
    home = tmp_path / "home"
    cache = home / ".cache" / "clip"
    cache.mkdir(parents=True)
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("FASTGAN_WEIGHTS_DIR", raising=False)
    monkeypatch.setenv("FASTGAN_OFFLINE", "1")
    path = cache / "ViT-L-14-336px.pt"
    _torchscript_clip(dict(small.state_dict()), path)
    entry = W.REGISTRY["clip-vit-l-14-336px"]
    with pytest.raises(W.WeightsHashError, match=entry.sha256):
        W.weights_path("clip-vit-l-14-336px")  # a stand-in file is not OpenAI's
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    monkeypatch.setitem(W.REGISTRY, "clip-vit-l-14-336px", W.PublishedWeights(
        entry.filename, entry.url, digest, entry.description, extra_dirs=entry.extra_dirs))
    net = CLIPImageEncoder(weights="ViT-L/14@336px", resize=None, normalize=False, arch=SMALL)
    assert torch.equal(net.visual.positional_embedding, small.visual.positional_embedding)


@pytest.mark.slow
def test_full_vitl14_336_matches_transformers_on_one_image():
    """The published shape (ViT-L/14 at 336 px, 24 blocks, 768-d output) with seeded weights."""
    with torch.device("meta"):  # no default initialisation of 300M parameters: seeded values only
        net = CLIPImageEncoder(weights=None, resize="pil", normalize=False, arch=CLIP_VITL14_336)
    net.load_state_dict(seeded_state_dict(net), assign=True)
    ref = clip_reference(net)
    images = _images((1, 3, 300, 400), 7)
    with torch.inference_mode():
        got = net(images)
        want = ref(pixel_values=net.preprocess(images)).image_embeds
    assert got.shape == (1, 768)
    assert relative_error(got, want) < TOL
