"""vae, imle, glo, glann: what each family's declaration promises, on tiny runs."""
import math

import pytest
import torch

from fastgan.data import load_data
from fastgan.models import build
from fastgan.models.vae import negative_elbo
from fastgan.training import Trainer


@pytest.fixture(scope="module")
def digits16():
    return load_data("digits", size=16)


def test_negative_elbo_is_the_gaussian_nll_plus_kl():
    class Encoder(torch.nn.Module):
        def forward(self, x):
            return torch.zeros(len(x), 8)  # mu = 0, log-variance = 0: q(z|x) = N(0, I), KL = 0

    class Decoder(torch.nn.Module):
        log_scale = torch.tensor(math.log(0.5))

        def forward(self, z):
            return torch.zeros(len(z), 1, 2, 2)

    x = torch.full((3, 1, 2, 2), 0.5)
    nelbo, kl = negative_elbo(Encoder(), Decoder(), x, torch.randn(3, 4))
    per_pixel = 0.5 * (0.5 / 0.5) ** 2 + math.log(0.5) + 0.5 * math.log(2 * math.pi)
    torch.testing.assert_close(nelbo, torch.full((3,), 4 * per_pixel))
    assert torch.equal(kl, torch.zeros(3))


def test_vae_reports_the_heldout_negative_elbo_and_samples_from_the_prior(digits16):
    torch.manual_seed(0)
    model = build("vae", shape=digits16.shape, batch_size=16)
    trainer = Trainer(model, digits16, progress=False, eval_samples=100)
    record = trainer.train_step()
    assert {"vae_loss", "vae_nelbo", "vae_kl"} <= set(record)
    metrics = trainer.evaluate()
    assert math.isfinite(metrics["heldout_nelbo"]) and "fid" in metrics
    assert model.sample(3).shape == (3, 1, 16, 16)


def test_imle_pulls_generated_samples_to_the_data():
    points = load_data("ring8")
    torch.manual_seed(0)
    model = build("imle", shape=points.shape, batch_size=64)
    trainer = Trainer(model, points, progress=False)
    first = [trainer.train_step()["imle_loss"] for _ in range(5)]
    for _ in range(60):
        last = trainer.train_step()["imle_loss"]
    assert last < min(first)


def test_imle_repulsive_variant_trains(digits16):
    torch.manual_seed(0)
    model = build("imle", shape=digits16.shape, batch_size=4, samples_per_real=2, variant="repulsive", margin=0.05)
    record = Trainer(model, digits16, progress=False).train_step()
    assert math.isfinite(record["imle_loss"])


def test_glo_codes_stay_on_the_sphere_and_only_the_batch_codes_move(digits16):
    torch.manual_seed(0)
    model = build("glo", shape=digits16.shape, num_items=len(digits16.x), batch_size=8)
    trainer = Trainer(model, digits16, progress=False)
    before = model.codes.table.detach().clone()
    torch.testing.assert_close(before.norm(dim=1), torch.ones(len(before)))
    state = trainer.data_gen.get_state()
    index = torch.randint(len(digits16.x), (8,), generator=torch.Generator().set_state(state))
    trainer.train_step()
    after = model.codes.table.detach()
    torch.testing.assert_close(after.norm(dim=1), torch.ones(len(after)))
    moved = (after != before).any(1).nonzero().flatten()
    assert set(moved.tolist()) == set(index.tolist())
    assert trainer.evaluate()["recon_l2"] > 0


def test_glo_loss_options(digits16):
    torch.manual_seed(0)
    losses = {}
    for weights in ({"l2": 1.0, "laplacian_l1": 0.0}, {"l2": 1.0, "laplacian_l1": 1.0}):
        model = build("glo", shape=digits16.shape, num_items=len(digits16.x), batch_size=8, **weights)
        losses[weights["laplacian_l1"]] = Trainer(model, digits16, progress=False).train_step()["glo_loss"]
    assert losses[1.0] > losses[0.0]
    with pytest.raises(ValueError, match="loss weights"):
        build("glo", shape=digits16.shape, num_items=5, l2=0.0, laplacian_l1=0.0)


def test_glann_trains_glo_first_then_only_the_mapping(digits16):
    torch.manual_seed(0)
    model = build("glann", shape=digits16.shape, num_items=len(digits16.x), batch_size=8, glo_fraction=0.5)
    trainer = Trainer(model, digits16, steps=4, progress=False)
    steps = [set(trainer.train_step()) for _ in range(2)]
    assert steps == [{"glo_loss"}] * 2
    generator = {k: v.clone() for k, v in model.generator.state_dict().items()}
    mapping = {k: v.clone() for k, v in model.mapping.state_dict().items()}
    assert set(trainer.train_step()) == {"mapping_loss"}
    assert all(torch.equal(v, model.generator.state_dict()[k]) for k, v in generator.items())
    assert any(not torch.equal(v, model.mapping.state_dict()[k]) for k, v in mapping.items())
    codes = model.mapping(torch.randn(5, model.mapping.z_dim))
    torch.testing.assert_close(codes.norm(dim=1), torch.ones(5))  # T maps onto the sphere of the codes
