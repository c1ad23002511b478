"""Fixtures for the shim tests: seeded Inception weights (built once) and a tiny feature network.
Small image sets and folders come from tests/tiny_inception.py."""
import pytest

from fastgan.networks import FIDInceptionV3
from fastgan.networks.weights import seeded_state_dict
from tiny_inception import TinyNet


@pytest.fixture(scope="session")
def seeded_inception_state():
    """The seeded stand-in for pytorch-fid's weights (shared/reference recipe)."""
    return seeded_state_dict(FIDInceptionV3(weights=None))


@pytest.fixture
def tiny_net():
    return TinyNet()
