"""The reference implementations of the DINOv2 and CLIP vision transformers for the tests:
transformers' ``Dinov2Model`` and ``CLIPVisionModelWithProjection``, loaded with fastgan's
(published-name) weights through a key mapping.

transformers is a test-only extra installed without its dependencies into ``.venv/refnets``
(see the Makefile), off sys.path: in site-packages other packages (torchmetrics) would notice
it and import it. Tests skip when it is absent.
"""
import os
import sys
from pathlib import Path

import pytest
import torch

REFNETS_DIR = Path(os.environ.get("FASTGAN_REFNETS_DIR", Path(__file__).resolve().parents[2] / ".venv" / "refnets"))


def transformers_or_skip():
    """The transformers module, or skip the calling test when it is not installed."""
    if REFNETS_DIR.is_dir() and str(REFNETS_DIR) not in sys.path:
        sys.path.append(str(REFNETS_DIR))
    return pytest.importorskip("transformers", reason=f"transformers not installed (make install puts it in {REFNETS_DIR})")


def _hf_model(cls, config, state):
    """A transformers model built on the meta device (no random init) and given `state`."""
    with torch.device("meta"):
        model = cls(config)
    model.load_state_dict(state, strict=True, assign=True)
    # Non-persistent buffers (CLIP's position ids) are not in the state dict: rebuild them.
    for module in model.modules():
        for name, buf in list(module.named_buffers(recurse=False)):
            if buf.is_meta:
                if name != "position_ids":
                    raise AssertionError(f"unexpected meta buffer {name}")
                module.register_buffer(name, torch.arange(buf.shape[-1]).expand(buf.shape), persistent=False)
    return model.eval()


def dinov2_reference(net):
    """transformers' Dinov2Model with the weights of fastgan DINOv2 `net` (published key names)."""
    tf = transformers_or_skip()
    a = net.arch
    config = tf.Dinov2Config(hidden_size=a.width, num_hidden_layers=a.depth, num_attention_heads=a.heads,
                             mlp_ratio=a.mlp // a.width, image_size=a.grid * a.patch, patch_size=a.patch,
                             layerscale_value=1.0, layer_norm_eps=1e-6, hidden_act="gelu")
    sd = net.state_dict()
    out = {
        "embeddings.cls_token": sd["cls_token"],
        "embeddings.mask_token": sd["mask_token"],
        "embeddings.position_embeddings": sd["pos_embed"],
        "embeddings.patch_embeddings.projection.weight": sd["patch_embed.proj.weight"],
        "embeddings.patch_embeddings.projection.bias": sd["patch_embed.proj.bias"],
        "layernorm.weight": sd["norm.weight"],
        "layernorm.bias": sd["norm.bias"],
    }
    for i in range(a.depth):
        src, dst = f"blocks.{i}.", f"encoder.layer.{i}."
        for part, (w, b) in zip(("q_proj", "k_proj", "v_proj"),
                                zip(sd[src + "attn.qkv.weight"].chunk(3), sd[src + "attn.qkv.bias"].chunk(3))):
            out[dst + f"attention.{part}.weight"], out[dst + f"attention.{part}.bias"] = w, b
        for ours, theirs in (("attn.proj", "attention.o_proj"), ("norm1", "norm1"), ("norm2", "norm2"),
                             ("mlp.fc1", "mlp.fc1"), ("mlp.fc2", "mlp.fc2")):
            for t in ("weight", "bias"):
                out[f"{dst}{theirs}.{t}"] = sd[f"{src}{ours}.{t}"]
        out[dst + "layer_scale1.lambda1"] = sd[src + "ls1.gamma"]
        out[dst + "layer_scale2.lambda1"] = sd[src + "ls2.gamma"]
    return _hf_model(tf.Dinov2Model, config, {k: v.clone() for k, v in out.items()})


def clip_reference(net):
    """transformers' CLIPVisionModelWithProjection with the weights of fastgan CLIPImageEncoder `net`."""
    tf = transformers_or_skip()
    a = net.arch
    config = tf.CLIPVisionConfig(hidden_size=a.width, intermediate_size=a.mlp, num_hidden_layers=a.depth,
                                 num_attention_heads=a.heads, image_size=a.image_size, patch_size=a.patch,
                                 projection_dim=a.output, hidden_act="quick_gelu", layer_norm_eps=1e-5)
    sd = net.state_dict()
    v = "vision_model."
    out = {
        v + "embeddings.patch_embedding.weight": sd["visual.conv1.weight"],
        v + "embeddings.class_embedding": sd["visual.class_embedding"],
        v + "embeddings.position_embedding.weight": sd["visual.positional_embedding"],
        "visual_projection.weight": sd["visual.proj"].t(),
    }
    for ours, theirs in (("ln_pre", "pre_layrnorm"), ("ln_post", "post_layernorm")):
        for t in ("weight", "bias"):
            out[f"{v}{theirs}.{t}"] = sd[f"visual.{ours}.{t}"]
    for i in range(a.depth):
        src, dst = f"visual.transformer.resblocks.{i}.", f"{v}encoder.layers.{i}."
        for part, (w, b) in zip(("q_proj", "k_proj", "v_proj"),
                                zip(sd[src + "attn.in_proj_weight"].chunk(3), sd[src + "attn.in_proj_bias"].chunk(3))):
            out[dst + f"self_attn.{part}.weight"], out[dst + f"self_attn.{part}.bias"] = w, b
        for ours, theirs in (("attn.out_proj", "self_attn.out_proj"), ("ln_1", "layer_norm1"), ("ln_2", "layer_norm2"),
                             ("mlp.c_fc", "mlp.fc1"), ("mlp.c_proj", "mlp.fc2")):
            for t in ("weight", "bias"):
                out[f"{dst}{theirs}.{t}"] = sd[f"{src}{ours}.{t}"]
    return _hf_model(tf.CLIPVisionModelWithProjection, config, {k: v.clone() for k, v in out.items()})


def dinov2_hub_interpolation(embeddings, patch_embeddings_size, m, height, width):
    """DINOv2's own (torch hub) position-embedding resize, transcribed from its published
    definition for the test: bicubic ``F.interpolate`` with scale factors (grid + 0.1) / M."""
    import torch.nn.functional as F
    cls, patches = embeddings[:, :1], embeddings[:, 1:]
    rows, cols = height // patch_embeddings_size, width // patch_embeddings_size
    grid = patches.reshape(1, m, m, -1).permute(0, 3, 1, 2).float()
    grid = F.interpolate(grid, scale_factor=((rows + 0.1) / m, (cols + 0.1) / m), mode="bicubic", antialias=False)
    return torch.cat([cls, grid.permute(0, 2, 3, 1).reshape(1, rows * cols, -1)], dim=1)


def use_hub_interpolation(model, monkeypatch):
    """Make transformers' Dinov2 resize its position embeddings as DINOv2's hub code does
    (transformers resizes to the exact grid size, without DINOv2's 0.1 offset)."""
    emb = model.embeddings
    m = int(round((emb.position_embeddings.shape[1] - 1) ** 0.5))
    patch = emb.patch_embeddings.patch_size[0]

    def interpolate(embeddings, height, width):
        if (height // patch) * (width // patch) == m * m and height == width:
            return emb.position_embeddings
        return dinov2_hub_interpolation(emb.position_embeddings, patch, m, height, width)

    monkeypatch.setattr(emb, "interpolate_pos_encoding", interpolate)
