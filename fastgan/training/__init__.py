"""Training: the Trainer, checkpoints, metrics callbacks, sample grids."""
from .checkpoint import load_generator, read_checkpoint, save_checkpoint
from .evaluation import Evaluator
from .trainer import Trainer, train

__all__ = ["Trainer", "train", "Evaluator", "load_generator", "read_checkpoint", "save_checkpoint"]
