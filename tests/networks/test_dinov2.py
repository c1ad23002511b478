"""fastgan.networks.DINOv2 (FD-DINOv2's network) against transformers' Dinov2Model with seeded
weights, and its preprocessing against dgm-eval's recipe computed with PIL."""
import numpy as np
import pytest
import torch
from PIL import Image

from fastgan.networks import DINOv2
from fastgan.networks import weights as W
from fastgan.networks._vit import ViTArch
from fastgan.networks.dinov2 import DINOV2_VITL14, IMAGENET_MEAN, IMAGENET_STD
from fastgan.networks.resize import resize_pil_bicubic_uint8
from fastgan.networks.weights import load_seeded, seeded_state_dict
from seeded import relative_error
from vit_reference import dinov2_hub_interpolation, dinov2_reference, use_hub_interpolation

TOL = 1e-5  # relative to the largest feature
SMALL = ViTArch(patch=14, width=64, depth=3, heads=4, mlp=256, grid=5)  # 70 px native


@pytest.fixture(scope="module")
def small():
    return load_seeded(DINOv2(weights=None, resize=None, arch=SMALL))


def _images(shape, seed):
    return torch.randint(0, 256, shape, generator=torch.Generator().manual_seed(seed), dtype=torch.uint8)


def test_state_dict_has_the_hub_checkpoint_layout():
    with torch.device("meta"):
        state = DINOv2(weights=None).state_dict()
    block = ["norm1.weight", "norm1.bias", "attn.qkv.weight", "attn.qkv.bias", "attn.proj.weight", "attn.proj.bias",
             "ls1.gamma", "norm2.weight", "norm2.bias", "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight",
             "mlp.fc2.bias", "ls2.gamma"]
    expected = (["cls_token", "pos_embed", "mask_token", "patch_embed.proj.weight", "patch_embed.proj.bias"]
                + [f"blocks.{i}.{k}" for i in range(24) for k in block] + ["norm.weight", "norm.bias"])
    assert list(state) == expected
    shapes = {k: tuple(v.shape) for k, v in state.items()}
    assert shapes["cls_token"] == (1, 1, 1024) and shapes["pos_embed"] == (1, 37 * 37 + 1, 1024)
    assert shapes["mask_token"] == (1, 1024) and shapes["patch_embed.proj.weight"] == (1024, 3, 14, 14)
    assert shapes["blocks.23.attn.qkv.weight"] == (3072, 1024) and shapes["blocks.23.mlp.fc1.weight"] == (4096, 1024)
    assert shapes["blocks.0.ls1.gamma"] == (1024,)


def test_matches_transformers_at_the_native_grid(small):
    ref = dinov2_reference(small)
    x = torch.randn(2, 3, 70, 70, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        got, want = small.features(x), ref(pixel_values=x).pooler_output
    assert got.shape == (2, 64) and got.dtype == torch.float32
    assert relative_error(got, want) < TOL
    assert relative_error(got[0], got[1]) > 1e-2  # distinct inputs, distinct features


def test_matches_transformers_on_a_resized_position_grid(small, monkeypatch):
    """At 42x98 px (3x7 patches, from the 5x5 grid) with DINOv2's hub interpolation in the reference;
    transformers' own resize (exact size, no 0.1 offset) gives measurably different features."""
    ref = dinov2_reference(small)
    x = torch.randn(2, 3, 42, 98, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        transformers_default = ref(pixel_values=x).pooler_output
        use_hub_interpolation(ref, monkeypatch)
        want = ref(pixel_values=x).pooler_output
        got = small.features(x)
    assert relative_error(got, want) < TOL
    assert relative_error(transformers_default, want) > 1e-4


def test_position_embedding_resize_is_dinov2s(small):
    with torch.inference_mode():
        got = small.position_embedding(16, 16)
        want = dinov2_hub_interpolation(small.pos_embed, 14, 5, 224, 224)
        assert torch.equal(got, want) and got.shape == (1, 257, 64)
        assert small.position_embedding(5, 5) is small.pos_embed  # the native grid is used as is


def test_preprocess_pil_equals_dgm_eval_recipe():
    """torchvision Resize((224, 224), BICUBIC) on the PIL image (= PIL's resize), ToTensor, Normalize."""
    net = DINOv2(weights=None, resize="pil", arch=SMALL)
    mean = torch.tensor(IMAGENET_MEAN, dtype=torch.float32).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD, dtype=torch.float32).view(3, 1, 1)
    for shape, seed in (((2, 3, 64, 64), 0), ((1, 3, 256, 256), 1), ((1, 3, 224, 224), 2), ((1, 3, 150, 150), 3)):
        images = _images(shape, seed)
        got = net.preprocess(images)
        for i in range(shape[0]):
            pil = Image.fromarray(images[i].permute(1, 2, 0).numpy().copy(), mode="RGB")
            resized = torch.from_numpy(np.asarray(pil.resize((224, 224), Image.BICUBIC)).copy()).permute(2, 0, 1)
            want = (resized.float().div(255) - mean) / std
            assert torch.equal(got[i], want), shape


def test_preprocess_clean_equals_dgm_eval_clean_resize():
    """dgm-eval --clean_resize: each channel as a PIL 'F' image, bicubic, clipped to 0..255, /255."""
    net = DINOv2(weights=None, resize="clean", arch=SMALL)
    images = _images((1, 3, 80, 96), 4)
    got = net.preprocess(images)
    channels = []
    for c in range(3):
        pil = Image.fromarray(images[0, c].numpy().astype(np.float32), mode="F")
        channels.append(np.asarray(pil.resize((224, 224), Image.BICUBIC)).clip(0, 255))
    x = torch.from_numpy(np.stack(channels).astype(np.float32)) / 255
    mean = torch.tensor(IMAGENET_MEAN, dtype=torch.float32).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD, dtype=torch.float32).view(3, 1, 1)
    assert relative_error(got[0], (x - mean) / std) < 1e-6


@pytest.mark.parametrize("shape", [(16, 16, 224, 224), (64, 64, 224, 224), (256, 256, 224, 224), (512, 512, 224, 224),
                                   (300, 300, 336, 336), (31, 224, 224, 224), (224, 45, 224, 224), (40, 30, 100, 90)])
def test_uint8_resize_is_pils_bit_for_bit(shape):
    h, w, oh, ow = shape
    images = _images((2, 3, h, w), h * 1000 + w)
    images[1] = (images[1] > 127).to(torch.uint8) * 255  # hard edges: overshoot and clipping
    got = resize_pil_bicubic_uint8(images, (oh, ow))
    for i in range(2):
        pil = Image.fromarray(images[i].permute(1, 2, 0).numpy().copy(), mode="RGB").resize((ow, oh), Image.BICUBIC)
        assert torch.equal(got[i], torch.from_numpy(np.asarray(pil).copy()).permute(2, 0, 1)), shape


def test_features_of_uint8_images_end_to_end(monkeypatch):
    """The whole path, at 224 px (16x16 patches from the 5x5 grid), against PIL + transformers."""
    net = load_seeded(DINOv2(weights=None, resize="pil", arch=SMALL))
    ref = dinov2_reference(net)
    use_hub_interpolation(ref, monkeypatch)
    images = _images((2, 3, 96, 96), 5)
    with torch.inference_mode():
        got = net(images)
        want = ref(pixel_values=net.preprocess(images)).pooler_output
    assert got.shape == (2, 64) and relative_error(got, want) < TOL
    parts = torch.cat([net(images[:1]), net(images[1:])])
    assert relative_error(parts, got) < 1e-6


def test_bad_input_is_refused():
    net = DINOv2(weights=None, resize="pil", arch=SMALL)
    with pytest.raises(TypeError, match="uint8"):
        net(torch.rand(1, 3, 64, 64))
    raw = DINOv2(weights=None, resize=None, arch=SMALL)
    with pytest.raises(ValueError, match="multiple of the patch size 14"):
        raw(torch.rand(1, 3, 50, 56))
    with pytest.raises(ValueError, match=r"\[N,3,H,W\]"):
        raw(torch.rand(3, 56, 56))
    with pytest.raises(ValueError, match="resize"):
        DINOv2(weights=None, resize="bilinear", arch=SMALL)


def test_loads_weights_from_a_file_and_rejects_a_wrong_one(tmp_path, small):
    path = tmp_path / "dinov2_small.pth"
    torch.save(small.state_dict(), path)
    net = DINOv2(weights=path, resize=None, arch=SMALL)
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), small.state_dict().values()))
    assert not net.training and not any(p.requires_grad for p in net.parameters())
    wrong = {k: v for k, v in small.state_dict().items() if k != "mask_token"}
    torch.save(wrong, path)
    with pytest.raises(ValueError, match="missing: mask_token"):
        DINOv2(weights=path, resize=None, arch=SMALL)


def test_missing_published_weights_name_the_file_and_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    monkeypatch.delenv("FASTGAN_WEIGHTS_DIR", raising=False)
    monkeypatch.setenv("FASTGAN_OFFLINE", "1")
    with pytest.raises(W.WeightsNotFoundError) as err:
        DINOv2()
    message = str(err.value)
    assert "dinov2_vitl14_pretrain.pth" in message and str(tmp_path / "hub" / "checkpoints") in message
    assert "https://dl.fbaipublicfiles.com/dinov2/dinov2_vitl14/dinov2_vitl14_pretrain.pth" in message


def test_published_file_in_the_torch_hub_cache_is_used(tmp_path, monkeypatch):
    """The hub's cached file is found by its published name (no digest to check: Meta gives none)."""
    hub = tmp_path / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    monkeypatch.delenv("FASTGAN_WEIGHTS_DIR", raising=False)
    monkeypatch.setenv("FASTGAN_OFFLINE", "1")
    assert W.REGISTRY["dinov2-vitl14"].sha256 is None
    net = load_seeded(DINOv2(weights=None, resize=None, arch=SMALL))
    torch.save(net.state_dict(), hub / "dinov2_vitl14_pretrain.pth")
    # The published file is ViT-L; a small stand-in under its name shows the lookup and the strict load.
    loaded = DINOv2(weights=str(hub / "dinov2_vitl14_pretrain.pth"), resize=None, arch=SMALL)
    assert torch.equal(loaded.pos_embed, net.pos_embed)
    assert W.weights_path("dinov2-vitl14") == hub / "dinov2_vitl14_pretrain.pth"
    other = ViTArch(patch=14, width=32, depth=3, heads=4, mlp=256, grid=5)
    with pytest.raises(ValueError, match="wrong shape"):
        DINOv2(weights="dinov2_vitl14", resize=None, arch=other)  # found by its published name, loaded strictly


@pytest.mark.slow
def test_full_vitl14_matches_transformers_on_one_image(monkeypatch):
    """The published shape (ViT-L/14, 24 blocks, 1024-d) with seeded weights, one 224 px image."""
    with torch.device("meta"):  # no default initialisation of 300M parameters: seeded values only
        net = DINOv2(weights=None, resize="pil", arch=DINOV2_VITL14)
    net.load_state_dict(seeded_state_dict(net), assign=True)
    ref = dinov2_reference(net)
    use_hub_interpolation(ref, monkeypatch)
    images = _images((1, 3, 256, 256), 6)
    with torch.inference_mode():
        got = net(images)
        want = ref(pixel_values=net.preprocess(images)).pooler_output
    assert got.shape == (1, 1024)
    assert relative_error(got, want) < TOL
