"""The metric registry behind fastgan.evaluate: names, options, feature spaces, the new metrics, errors."""
import dataclasses
import json

import numpy as np
import pytest
import torch

import fastgan
from fastgan import evaluation, metrics
from fastgan.cli import main
from fastgan.evaluation import KIDOptions, Metric, NoOptions, Space
from seeded import seeded_inception


@pytest.fixture(scope="module")
def feature_files(tmp_path_factory):
    """Two .npy feature files [N, 16] of different distributions."""
    folder = tmp_path_factory.mktemp("features")
    gen = np.random.default_rng(4)
    real, fake = gen.normal(size=(60, 16)), 1.3 * gen.normal(size=(45, 16)) + 0.2
    np.save(folder / "real.npy", real.astype(np.float32))
    np.save(folder / "fake.npy", fake.astype(np.float32))
    return folder / "real.npy", folder / "fake.npy", torch.from_numpy(real).float(), torch.from_numpy(fake).float()


def test_every_promised_name_is_registered():
    for name in ("fid", "kid", "is", "prdc", "ppl", "lpips", "sfid", "fd_dinov2", "cmmd", "vendi", "fid_inf", "is_inf",
                 "authpct"):
        m = evaluation.metric(name)
        assert m.name == name and m.keys and dataclasses.is_dataclass(m.options)
    with pytest.raises(ValueError, match="unknown metric 'fdd'.*fid"):
        evaluation.metric("fdd")


def test_the_module_and_the_function_no_longer_share_a_name():
    import fastgan.evaluation as module

    assert callable(fastgan.evaluate) and fastgan.evaluate is module.evaluate
    assert not callable(module)


def test_feature_metrics_on_given_features_equal_the_functions(feature_files):
    real_path, fake_path, real, fake = feature_files
    out = fastgan.evaluate(real_path, fake_path, metrics="vendi,authpct,fid_inf,fid", verbose=False,
                           fid_inf_min_n=20, fid_inf_num_points=4, vendi_q=2.0)
    out.update(fastgan.evaluate(real_path, fake_path, metrics="cmmd", verbose=False, cmmd_sigma=3.0))
    assert out["vendi_score"] == pytest.approx(metrics.vendi_score(fake, q=2.0), rel=1e-12)
    assert out["cmmd"] == pytest.approx(metrics.cmmd(real, fake, sigma=3.0), rel=1e-12)
    assert out["authpct"] == pytest.approx(metrics.authpct(real, fake), rel=1e-12)
    assert out["fid_infinity"] == pytest.approx(metrics.fid_infinity(real, fake, min_n=20, num_points=4), rel=1e-12)
    assert out["frechet_inception_distance"] == pytest.approx(metrics.fid_from_features(real, fake), rel=1e-12)


def test_options_as_dataclasses_dicts_or_keywords_agree(feature_files):
    real_path, fake_path, *_ = feature_files
    a = fastgan.evaluate(real_path, fake_path, metrics="kid", verbose=False, kid_subsets=7, kid_subset_size=20)
    b = fastgan.evaluate(real_path, fake_path, metrics="kid", verbose=False,
                         options={"kid": KIDOptions(subsets=7, subset_size=20)})
    c = fastgan.evaluate(real_path, fake_path, metrics="kid", verbose=False, options={"kid": {"subsets": 7}},
                         kid_subset_size=20)
    assert a == b == c
    d = fastgan.evaluate(real_path, fake_path, metrics="kid", verbose=False, kid_subsets=7, kid_subset_size=20,
                         kid_seed=3)
    assert d != a  # the seed is an option like the others


def test_unknown_options_are_refused(feature_files):
    real_path, fake_path, *_ = feature_files
    with pytest.raises(TypeError, match="kid_subset.*<metric>_<field>"):
        fastgan.evaluate(real_path, fake_path, metrics="kid", kid_subset=3)
    with pytest.raises(TypeError, match="kid options"):
        fastgan.evaluate(real_path, fake_path, metrics="kid", options={"kid": {"subset": 3}})
    with pytest.raises(ValueError, match="unknown metrics"):
        fastgan.evaluate(real_path, fake_path, metrics="kid", options={"kidd": {}})


def test_one_file_of_features_cannot_stand_for_two_feature_spaces(feature_files):
    real_path, fake_path, *_ = feature_files
    with pytest.raises(ValueError, match="one feature space.*dinov2"):
        fastgan.evaluate(real_path, fake_path, metrics="fid,fd_dinov2", verbose=False)
    with pytest.raises(ValueError, match="one feature space.*clip"):
        fastgan.evaluate(real_path, fake_path, metrics="vendi,cmmd", verbose=False)  # CLIP or Inception features?


def test_a_missing_feature_network_is_named_for_image_inputs(monkeypatch):
    images = torch.randint(0, 255, (6, 3, 16, 16), dtype=torch.uint8)
    monkeypatch.delitem(evaluation.EXTRACTORS, "dinov2")
    with pytest.raises(ValueError, match="fd_dinov2 needs the 'dinov2' feature network.*npy"):
        fastgan.evaluate(images, images, metrics="fd_dinov2", verbose=False)


def test_missing_published_weights_of_a_named_network_say_where_to_put_them(tmp_path, monkeypatch):
    from fastgan.networks.weights import WeightsNotFoundError

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    monkeypatch.delenv("FASTGAN_WEIGHTS_DIR", raising=False)
    monkeypatch.setenv("FASTGAN_OFFLINE", "1")
    images = torch.randint(0, 255, (4, 3, 16, 16), dtype=torch.uint8)
    for name, filename in (("fd_dinov2", "dinov2_vitl14_pretrain.pth"), ("cmmd", "ViT-L-14-336px.pt")):
        with pytest.raises(WeightsNotFoundError, match=filename):
            fastgan.evaluate(images, images, metrics=name, verbose=False, device="cpu")


def test_dinov2_and_clip_metrics_run_one_pass_of_each_network(monkeypatch):
    """fd_dinov2 and cmmd through evaluate equal the metrics on each network's own features."""
    from fastgan.evaluation import NamedExtractor
    from fastgan.networks import CLIPImageEncoder, DINOv2
    from fastgan.networks._vit import ViTArch
    from fastgan.networks.weights import load_seeded

    dino = load_seeded(DINOv2(weights=None, arch=ViTArch(patch=14, width=32, depth=2, heads=4, mlp=64, grid=4),
                              image_size=56))
    clip = load_seeded(CLIPImageEncoder(weights=None, arch=ViTArch(patch=14, width=32, depth=2, heads=4, mlp=64,
                                                                   grid=4, output=16)))
    calls = {"dinov2": 0, "clip": 0}

    def counted(name, net):
        def build(device):
            def run(images):
                calls[name] += 1
                return net(images)
            return run
        return NamedExtractor(name, "test", build, lambda: None)

    monkeypatch.setitem(evaluation.EXTRACTORS, "dinov2", counted("dinov2", dino))
    monkeypatch.setitem(evaluation.EXTRACTORS, "clip", counted("clip", clip))
    gen = torch.Generator().manual_seed(5)
    real = torch.randint(0, 256, (9, 3, 40, 48), dtype=torch.uint8, generator=gen)
    fake = torch.randint(0, 180, (8, 3, 40, 48), dtype=torch.uint8, generator=gen)
    out = fastgan.evaluate(real, fake, metrics="fd_dinov2,cmmd", batch_size=20, verbose=False)
    assert calls == {"dinov2": 2, "clip": 2}  # one batch per set and network
    with torch.no_grad():
        assert out["fd_dinov2"] == pytest.approx(metrics.fid_from_features(dino(real), dino(fake)), rel=1e-6)
        assert out["cmmd"] == pytest.approx(metrics.cmmd(clip(real), clip(fake)), rel=1e-6)


def test_sfid_uses_mixed_6d_branch1x1_first_7_channels():
    net = seeded_inception()
    gen = torch.Generator().manual_seed(2)
    real = torch.randint(0, 256, (5, 3, 32, 32), dtype=torch.uint8, generator=gen)
    fake = torch.randint(0, 200, (4, 3, 32, 32), dtype=torch.uint8, generator=gen)
    out = fastgan.evaluate(real, fake, metrics="sfid,fid", feature_extractor=net, verbose=False)
    kept = []
    handle = net.Mixed_6d.branch1x1.register_forward_hook(lambda m, i, o: kept.append(o))
    with torch.no_grad():
        pool = [net(x)["pool3"] for x in (real, fake)]
    handle.remove()
    spatial = [k[:, :7].flatten(1) for k in kept]
    assert spatial[0].shape == (5, 7 * 17 * 17)  # 2023 features, as the ADM evaluator's
    assert out["sfid"] == pytest.approx(metrics.fid_from_features(*spatial), rel=1e-5)
    assert out["frechet_inception_distance"] == pytest.approx(metrics.fid_from_features(*pool), rel=1e-5)
    assert not net.Mixed_6d.branch1x1._forward_hooks  # the user's network is left as it was


def test_sfid_needs_a_network_with_spatial_features():
    class Flat(torch.nn.Module):
        def forward(self, x):
            return x.float().flatten(1)[:, :10]

    images = torch.randint(0, 255, (6, 3, 8, 8), dtype=torch.uint8)
    with pytest.raises(ValueError, match="sfid needs the 'spatial' layer of the real set.*FIDInceptionV3"):
        fastgan.evaluate(images, images, metrics="sfid", feature_extractor=Flat(), verbose=False)


def test_lpips_compares_aligned_pairs(networks_ref):
    from seeded import seeded_lpips

    model = seeded_lpips("alex", networks_ref["lpips_alex_lin"])
    gen = torch.Generator().manual_seed(3)
    a = torch.randint(0, 256, (7, 3, 32, 32), dtype=torch.uint8, generator=gen)
    b = torch.randint(0, 256, (7, 3, 32, 32), dtype=torch.uint8, generator=gen)
    out = fastgan.evaluate(a, b, metrics="lpips", batch_size=3, verbose=False, options={"lpips": {"model": model}})
    want = metrics.lpips(a.float() / 255, b.float() / 255, normalize=True, model=model).double()
    assert out["lpips"] == pytest.approx(float(want.mean()), rel=1e-6)
    assert out["lpips_std"] == pytest.approx(float(want.std(unbiased=False)), rel=1e-5)
    with pytest.raises(ValueError, match="aligned pairs"):
        fastgan.evaluate(a, b[:5], metrics="lpips", verbose=False, options={"lpips": {"model": model}})


def test_metrics_without_a_sharded_form_refuse_to_run_across_processes(feature_files, monkeypatch):
    real_path, fake_path, *_ = feature_files
    monkeypatch.setattr(evaluation.pipeline.distributed, "world", lambda group=None: (0, 2))
    with pytest.raises(ValueError, match="vendi, cmmd cannot run across processes"):
        fastgan.evaluate(real_path, fake_path, metrics="fid,vendi,cmmd")


def test_a_registered_metric_is_reachable_from_evaluate(feature_files, monkeypatch):
    real_path, fake_path, real, fake = feature_files

    @dataclasses.dataclass(frozen=True)
    class MeanGapOptions:
        power: float = 1.0

    def mean_gap(r, f, options, context):
        return {"mean_gap": float((r.features.mean(0) - f.features.mean(0)).abs().pow(options.power).sum())}

    monkeypatch.setitem(evaluation.registry._METRICS, "mean_gap",
                        Metric("mean_gap", "test", ("mean_gap",), MeanGapOptions, mean_gap))
    out = fastgan.evaluate(real_path, fake_path, metrics="mean_gap", mean_gap_power=2.0, verbose=False)
    assert out["mean_gap"] == pytest.approx(float((real.mean(0) - fake.mean(0)).pow(2).sum()), rel=1e-6)
    with pytest.raises(ValueError, match="registered already"):
        evaluation.register_metric(Metric("fid", "again", ("x",), NoOptions, mean_gap, real=Space()))


def test_the_command_line_takes_every_metric_option(feature_files, tmp_path, capsys):
    real_path, fake_path, real, fake = feature_files
    out_json = tmp_path / "scores.json"
    status = main(["eval", str(real_path), str(fake_path), "--metrics", "vendi,prdc", "--vendi-q", "2",
                   "--nearest-k", "3", "--json", str(out_json), "--quiet"])
    assert status == 0
    scores = json.loads(out_json.read_text())
    assert scores["vendi_score"] == pytest.approx(metrics.vendi_score(fake, q=2.0), rel=1e-9)
    assert scores["precision"] == metrics.prdc(real, fake, nearest_k=3)["precision"]
    with pytest.raises(SystemExit):
        main(["eval", str(real_path), str(fake_path), "--metrics", "kid", "--kid-subsets", "many"])


def test_is_infinity_reads_the_logits_of_the_one_inception_pass():
    from tiny_inception import TinyNet

    torch.manual_seed(0)
    net = TinyNet()
    images = torch.randint(0, 256, (30, 3, 16, 16), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    out = fastgan.evaluate(None, images, metrics="is,is_inf", feature_extractor=net, verbose=False,
                           is_inf_min_n=10, is_inf_num_points=3)
    with torch.no_grad():
        logits = net(images)["logits_unbiased"]
    assert out["inception_score_infinity"] == pytest.approx(metrics.is_infinity(logits, min_n=10, num_points=3))


def test_compute_on_features_is_the_registry_on_given_matrices(feature_files):
    """What the Trainer calls on its own feature space: the same functions, no networks."""
    from fastgan.evaluation import compute_on_features

    real_path, fake_path, real, fake = feature_files
    got = compute_on_features("fid,kid,prdc,vendi", real.numpy(), fake, kid_subsets=5, kid_subset_size=20, prdc_k=3)
    want = fastgan.evaluate(real_path, fake_path, metrics="fid,kid,prdc", verbose=False, kid_subsets=5,
                            kid_subset_size=20, prdc_k=3)
    assert {k: got[k] for k in want} == want
    assert got["vendi_score"] == pytest.approx(metrics.vendi_score(fake))
    with pytest.raises(ValueError, match="lpips reads images"):
        compute_on_features("lpips", real, fake)
    with pytest.raises(ValueError, match=r"\[N, D\]"):
        compute_on_features("fid", real[0], fake)
    with pytest.raises(ValueError, match="needs real features"):
        compute_on_features("fid", None, fake)
