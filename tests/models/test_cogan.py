"""CoGAN: shared layers, same z -> a pair, one Trainer step on two-domain data, and its refusals."""
import dataclasses

import pytest
import torch

from fastgan.data import load_data
from fastgan.models import build
from fastgan.models.cogan import sample_pairs
from fastgan.training import Trainer

SHAPE = (1, 16, 16)


@pytest.fixture(scope="module")
def two_domains():
    """Digits (A) and their inversions (B) as one two-domain DataSource, built here."""
    digits = load_data("digits")
    return dataclasses.replace(digits, name="test-two-domains", extra={"domain_b": -digits.x.flip(0)})


def test_generators_share_their_first_layers_and_discriminators_their_last():
    torch.manual_seed(0)
    model = build("cogan", shape=SHAPE)
    g, d = model.generator, model.discriminator
    shared = {id(p) for p in g.shared.parameters()}
    head_a, head_b = ({id(p) for p in g.heads[k].parameters()} for k in "ab")
    assert shared and not (head_a & head_b) and not (shared & (head_a | head_b))
    assert {id(p) for p in d.shared.parameters()} and not ({id(p) for p in d.inputs["a"].parameters()}
                                                          & {id(p) for p in d.inputs["b"].parameters()})
    g.eval()
    a, b = sample_pairs(model.networks, 3, torch.Generator().manual_seed(0))
    assert a.shape == b.shape == (3, *SHAPE) and not torch.allclose(a, b)
    z = torch.randn(3, g.z_dim)
    torch.testing.assert_close(g.pair(z)[1], g(z, domain="b"))
    assert d(a, "a").shape == (3,) and not torch.allclose(d(a, "a"), d(a, "b"))


def test_one_trainer_step_on_two_domains(two_domains):
    torch.manual_seed(0)
    model = build("cogan", shape=SHAPE, batch_size=8, width=8)
    record = Trainer(model, two_domains, steps=1, eval_every=0, progress=False).train_step()
    assert {"d_loss", "d_a", "d_b", "g_loss"} <= set(record)
    assert record["d_loss"] == pytest.approx(record["d_a"] + record["d_b"], rel=1e-5)


def test_refuses_data_without_a_second_domain_or_of_another_shape(two_domains):
    digits = load_data("digits")
    with pytest.raises(ValueError, match="cogan needs two-domain data"):
        Trainer(build("cogan", shape=SHAPE), digits, progress=False)
    wrong = dataclasses.replace(two_domains, extra={"domain_b": torch.zeros(10, 3, 16, 16)})
    trainer = Trainer(build("cogan", shape=SHAPE, batch_size=4, width=8), wrong, progress=False)
    with pytest.raises(ValueError, match="both domains at one image shape"):
        trainer.train_step()
    with pytest.raises(ValueError, match="cogan models images"):
        build("cogan", shape=(2,))
    with pytest.raises(ValueError, match="unknown options.*feature_matching"):
        build("cogan", shape=SHAPE, feature_matching=1.0)  # not an option of CoGAN's recipe


def test_shared_upsampling_leaves_only_a_full_resolution_layer_per_domain():
    torch.manual_seed(0)
    g = build("cogan", shape=SHAPE, width=8, shared_upsampling=True).generator.eval()
    z = torch.randn(2, g.z_dim)
    assert g.shared(z[:, :, None, None]).shape[-2:] == SHAPE[1:]  # the trunk reaches full resolution
    assert all(head[0].stride == (1, 1) for head in g.heads.values())
    a, b = g.pair(z)
    assert a.shape == b.shape == (2, *SHAPE) and not torch.allclose(a, b)
