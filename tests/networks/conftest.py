"""Fixtures for the feature-network tests: the reference outputs and seeded networks."""
import pytest

from seeded import reference_outputs, seeded_inception, seeded_lpips


@pytest.fixture(scope="session")
def networks_ref(reference_dir):
    """shared/reference/networks.pt: inputs, pytorch-fid and lpips outputs, real LPIPS linear layers."""
    return reference_outputs(reference_dir / "networks.pt")


@pytest.fixture(scope="session")
def inception():
    return seeded_inception()


@pytest.fixture(scope="session", params=["alex", "vgg"])
def lpips_net(request, networks_ref):
    """(net name, seeded LPIPS) for both backbones."""
    return request.param, seeded_lpips(request.param, networks_ref[f"lpips_{request.param}_lin"])
