"""Running networks in eval mode for a block, whatever mode they were in."""
from contextlib import contextmanager

import torch


@contextmanager
def eval_mode(*networks):
    """Every nn.Module among `networks` in eval mode for the block; their modes restored afterwards.

    Metrics that sample a generator use it, so batch-norm statistics and dropout do not
    change (or depend on the batch) while a model is being measured.
    """
    modules = {id(m): m for m in networks if isinstance(m, torch.nn.Module)}.values()
    modes = [(m, m.training) for m in modules]
    for m, _ in modes:
        m.eval()
    try:
        yield
    finally:
        for m, was_training in modes:
            m.train(was_training)
