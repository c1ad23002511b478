"""Training tests run tiny models: one intra-op thread avoids OpenMP overhead on a busy CPU."""
import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # for the CLI subprocesses
    yield
    torch.set_num_threads(threads)
