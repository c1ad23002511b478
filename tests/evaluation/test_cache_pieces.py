"""The feature cache holds the rows each run read: runs of any world size reuse each other's pieces."""
import pytest
import torch

from fastgan.evaluation import Extractor, load_features
from tiny_inception import TinyNet, make_images, write_folder


class _Counting(Extractor):
    """Counts the images it extracts (0 means: everything came from the cache)."""

    def __init__(self, net):
        super().__init__(net)
        self.images = 0

    def layers(self, images):
        self.images += images.shape[0]
        return super().layers(images)


@pytest.fixture
def folder(tmp_path):
    write_folder(tmp_path / "real", make_images(1, 23, 16))
    return tmp_path / "real"


def _load(folder, extractor, cache, shard=None, layers=("features",)):
    return load_features(folder, "real", extractor, layers=layers, cache=True, cache_dir=cache, batch_size=5,
                         verbose=False, shard=shard)


def test_shards_read_their_rows_from_a_single_process_cache(folder, tmp_path):
    torch.manual_seed(0)
    net = TinyNet()
    whole = _load(folder, _Counting(net), tmp_path / "c").features
    for world in (2, 3):
        for rank in range(world):
            extractor = _Counting(net)
            got = _load(folder, extractor, tmp_path / "c", shard=(rank, world)).features
            start, stop = 23 * rank // world, 23 * (rank + 1) // world
            assert extractor.images == 0 and torch.equal(got, whole[start:stop])


def test_one_process_assembles_the_pieces_of_sharded_runs(folder, tmp_path):
    torch.manual_seed(0)
    net = TinyNet()
    want = _load(folder, _Counting(net), tmp_path / "want").features
    for rank in range(3):
        _load(folder, _Counting(net), tmp_path / "c", shard=(rank, 3))
    assert len(list((tmp_path / "c" / "features").glob("*.npz"))) == 3
    extractor = _Counting(net)
    assert torch.equal(_load(folder, extractor, tmp_path / "c").features, want) and extractor.images == 0
    # World size 2 over pieces of world size 3: rows cross piece boundaries.
    extractor = _Counting(net)
    assert torch.equal(_load(folder, extractor, tmp_path / "c", shard=(1, 2)).features, want[11:])
    assert extractor.images == 0


def test_a_gap_or_a_missing_layer_is_extracted_again(folder, tmp_path):
    torch.manual_seed(0)
    net = TinyNet()
    _load(folder, _Counting(net), tmp_path / "c", shard=(0, 2))  # rows 0..10 only
    extractor = _Counting(net)
    _load(folder, extractor, tmp_path / "c")
    assert extractor.images == 23
    extractor = _Counting(net)
    got = _load(folder, extractor, tmp_path / "c", layers=("features", "logits"))
    assert extractor.images == 23 and got.logits.shape == (23, 10)
    extractor = _Counting(net)
    _load(folder, extractor, tmp_path / "c", layers=("logits",))
    assert extractor.images == 0  # the new piece kept the features beside the logits
