"""fastgan.evaluate under torch.distributed (2 gloo processes): each reads its shard of an image
folder and of a generator's samples; every process gets the single-process result."""
import json
import multiprocessing
import os
import socket
import sys
from pathlib import Path

import pytest
import torch

import fastgan

TESTS = str(Path(__file__).resolve().parents[1])


def _inputs():
    sys.path.insert(0, TESTS)
    from tiny_inception import TinyNet, make_images

    torch.manual_seed(0)
    net = TinyNet()

    class Generator(torch.nn.Module):
        latent_dim = 8

        def __init__(self):
            super().__init__()
            self.proj = torch.nn.Linear(8, 3 * 16 * 16)

        def forward(self, z):
            return torch.tanh(self.proj(z)).view(-1, 3, 16, 16)

    return net, make_images(0, 41, 16), Generator()


def _evaluate(real, fake, net, **kwargs):
    return fastgan.evaluate(real, fake, metrics=("fid", "kid", "is", "prdc"), feature_extractor=net, batch_size=7,
                            verbose=False, kid_subsets=3, kid_subset_size=20, is_splits=4, prdc_k=3, **kwargs)


def _worker(rank, size, port, out_dir):
    import fastgan.distributed as fd

    torch.set_num_threads(1)
    # What torchrun sets; the context joins the group and leaves it cleanly (a process that
    # exits while its peer's gloo threads still talk to it is aborted).
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(size), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    with fd.process_group_from_env(timeout_s=30) as (got_rank, got_size):
        assert (got_rank, got_size) == (rank, size)
        net, _, generator = _inputs()  # the same seeded weights on every rank
        result = _evaluate(os.path.join(out_dir, "real"), generator, net, num_samples=37, seed=3,
                           cache_dir=os.path.join(out_dir, "cache"))
    with open(os.path.join(out_dir, f"{rank}.json"), "w") as f:
        json.dump(result, f)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("size", [2])
def test_evaluate_under_two_processes_equals_one(size, tmp_path, capsys):
    net, images, generator = _inputs()
    from tiny_inception import write_folder

    write_folder(tmp_path / "real", images)  # a folder of 41 PNGs: each rank decodes its files only
    want = _evaluate(str(tmp_path / "real"), generator, net, num_samples=37, seed=3, cache=False)
    ctx = multiprocessing.get_context("spawn")
    port = _free_port()
    procs = [ctx.Process(target=_worker, args=(r, size, port, str(tmp_path))) for r in range(size)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    results = [json.loads((tmp_path / f"{r}.json").read_text()) for r in range(size)]
    for got in results:
        assert got["world_size"] == size
        assert got["samples_per_rank"] == {"real": [20, 21], "fake": [18, 19]}
        for key, value in want.items():
            assert got[key] == pytest.approx(value, rel=1e-9), key
    assert results[0] == results[1]
    # Each process cached the rows it read; one process now reads them all from those pieces.
    assert sorted(p.name.split("-", 1)[1] for p in (tmp_path / "cache" / "features").glob("*.npz")) == \
        ["0-20.npz", "20-41.npz"]
    capsys.readouterr()
    again = fastgan.evaluate(str(tmp_path / "real"), generator, metrics="fid", feature_extractor=net, batch_size=7,
                             num_samples=37, seed=3, cache_dir=tmp_path / "cache")
    assert "real: features of" in capsys.readouterr().out
    assert again["frechet_inception_distance"] == pytest.approx(want["frechet_inception_distance"], rel=1e-9)
