"""Training: the Trainer, checkpoints, metrics callbacks, sample grids."""
from .checkpoint import load_generator, load_model, read_checkpoint, save_checkpoint
from .evaluation import Evaluator
from .context import Batch, StepContext
from .trainer import Trainer, check_data, prepare, train

__all__ = ["Batch", "Evaluator", "StepContext", "Trainer", "check_data", "load_generator", "load_model", "prepare",
           "read_checkpoint", "save_checkpoint", "train"]
