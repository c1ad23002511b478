"""IMLE's nearest-neighbour losses and GLO's Laplacian-pyramid L1."""
import torch

from fastgan.losses import imle_loss, laplacian_l1_loss, laplacian_pyramid, nearest_sq, repulsive_imle_loss


def test_nearest_sq_is_the_squared_distance_per_coordinate_to_the_closest_row(gen):
    query, ref = torch.randn(5, 3, 2, 2, generator=gen), torch.randn(9, 3, 2, 2, generator=gen)
    expected = torch.cdist(query.flatten(1).double(), ref.flatten(1).double()).min(1).values.square() / 12
    torch.testing.assert_close(nearest_sq(query, ref).double(), expected, rtol=1e-5, atol=1e-6)


def test_imle_gradient_reaches_only_the_selected_fakes():
    real = torch.tensor([[0.0, 0.0], [10.0, 0.0]])
    fake = torch.tensor([[0.5, 0.0], [9.0, 0.0], [100.0, 100.0]], requires_grad=True)
    loss = imle_loss(real, fake)
    torch.testing.assert_close(loss, torch.tensor((0.25 + 1.0) / 2 / 2))
    loss.backward()
    assert fake.grad[2].abs().sum() == 0  # nobody's nearest: no gradient
    assert fake.grad[0, 0] > 0 and fake.grad[1, 0] < 0  # pulled towards their real samples


def test_repulsive_variant_pushes_fakes_apart_and_the_margin_stops_the_push():
    real = torch.zeros(1, 2)
    fake = torch.tensor([[0.1, 0.0]], requires_grad=True)
    other = torch.tensor([[0.2, 0.0]])
    repulsive_imle_loss(real, fake, other).backward()
    plain_grad = fake.grad.clone()
    fake.grad = None
    repulsive_imle_loss(real, fake, other, margin=1e-4).backward()  # already farther apart than m
    # Without the margin the fake-fake term pushes away from `other` (towards -x), on top of the pull to 0.
    attract_only = 2 * 0.1 / 2
    torch.testing.assert_close(fake.grad[0, 0], torch.tensor(attract_only))
    assert plain_grad[0, 0] > attract_only


def test_laplacian_pyramid_bands_add_back_to_the_image(gen):
    x = torch.randn(2, 1, 16, 16, generator=gen)
    bands = laplacian_pyramid(x, levels=3)
    assert [b.shape[-1] for b in bands] == [16, 8, 4]
    assert laplacian_l1_loss(x, x) == 0
    assert laplacian_l1_loss(x, x + 0.1) > 0
    y = x.clone().requires_grad_(True)
    laplacian_l1_loss(y, torch.zeros_like(x)).backward()
    assert torch.isfinite(y.grad).all()
