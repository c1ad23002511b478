"""cyclegan: two-domain batches through the Trainer, the fake pool, metrics both ways, resume, translate."""
import numpy as np
import pytest
import torch
from PIL import Image

from fastgan.cli import main
from fastgan.models.cyclegan import ImagePool
from fastgan.training import prepare

CFG = {"ngf": 8, "ndf": 8, "batch_size": 8}


def test_two_steps_update_all_four_networks_and_report_both_directions(tmp_path, one_thread):
    trainer = prepare("cyclegan", "digits-inverted", steps=2, out_dir=str(tmp_path), progress=False,
                      tensorboard=False, model_config={**CFG, "identity_weight": 0.5})
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    result = trainer.fit()
    after = trainer.model.state_dict()
    for net in ("g_ab", "g_ba", "d_a", "d_b"):
        assert any(not before[k].equal(after[k]) for k in after if k.startswith(net + "."))
    assert int(after["pool.count_a"]) == 16 and int(after["pool.count_b"]) == 16
    final = result["final"]
    for key in ("a2b_fid", "b2a_fid", "a2b_label_accuracy", "b2a_label_accuracy", "cycle_l1_a", "cycle_l1_b",
                "a2b_l1", "g_identity", "fid"):
        assert key in final, key
    assert final["fid"] == pytest.approx((final["a2b_fid"] + final["b2a_fid"]) / 2)
    assert Image.open(tmp_path / "samples.png").size == (4 * (8 * 18 + 2), 4 * (6 * 18 + 2))  # 6 rows of 8


def test_pool_fills_then_swaps_half_of_the_fakes():
    pool = ImagePool((1, 2, 2), size=4)
    gen = torch.Generator().manual_seed(0)
    first = torch.arange(4.0).reshape(4, 1, 1, 1).expand(4, 1, 2, 2)
    assert pool.query("a", first, gen).equal(first) and int(pool.count_a) == 4
    new = (torch.arange(400.0) + 100).reshape(400, 1, 1, 1).expand(400, 1, 2, 2)
    shown = pool.query("a", new, gen)
    swapped = shown[:, 0, 0, 0] != new[:, 0, 0, 0]
    assert 0.4 < swapped.float().mean() < 0.6  # half the time a stored (older) fake is shown instead
    assert (shown[swapped, 0, 0, 0] < new[swapped, 0, 0, 0]).all()  # and it is an older one
    assert int(pool.count_b) == 0
    assert ImagePool((1, 2, 2), size=0).query("a", new, gen) is new


def test_resume_restores_the_pool(tmp_path, one_thread):
    t = prepare("cyclegan", "digits-inverted", steps=2, progress=False, tensorboard=False, model_config=CFG)
    t.train_step()
    t.save(str(tmp_path / "c.pt"))
    r = prepare("cyclegan", "digits-inverted", steps=2, progress=False, tensorboard=False, model_config=CFG)
    r.resume(str(tmp_path / "c.pt"))
    assert r.model.pool.images_a.equal(t.model.pool.images_a) and int(r.model.pool.count_b) == 8
    t.train_step()
    r.train_step()
    for k, v in t.model.g_ab.state_dict().items():
        assert torch.allclose(v, r.model.g_ab.state_dict()[k], atol=1e-6), k


def test_needs_two_domains_and_translates_both_ways(tmp_path, one_thread):
    with pytest.raises(ValueError, match="needs two-domain data"):
        prepare("cyclegan", "digits", steps=1, progress=False, tensorboard=False, model_config=CFG)
    out = tmp_path / "run"
    assert main(["train", "cyclegan", "--data", "digits-inverted", "--steps", "1", "--out", str(out), "--quiet",
                 "--ngf", "8", "--ndf", "8", "--no-tensorboard"]) == 0
    img = tmp_path / "one.png"
    Image.fromarray(np.zeros((16, 16), dtype=np.uint8)).save(img)
    for flag in ([], ["--reverse"]):
        dest = tmp_path / f"out{len(flag)}.png"
        assert main(["translate", str(out / "last.pt"), str(img), str(dest), *flag]) == 0
        assert Image.open(dest).size == (16, 16)
