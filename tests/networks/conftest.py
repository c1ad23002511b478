"""Fixtures for the feature-network tests: seeded networks (networks_ref is in tests/conftest.py)."""
import pytest

from seeded import seeded_inception, seeded_lpips


@pytest.fixture(scope="session")
def inception():
    return seeded_inception()


@pytest.fixture(scope="session", params=["alex", "vgg"])
def lpips_net(request, networks_ref):
    """(net name, seeded LPIPS) for both backbones."""
    return request.param, seeded_lpips(request.param, networks_ref[f"lpips_{request.param}_lin"])
