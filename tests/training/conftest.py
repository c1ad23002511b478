"""Training tests run tiny models: one intra-op thread avoids OpenMP overhead on a busy CPU."""
import pytest


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every test in this folder runs under tests/conftest.py's `one_thread`."""
