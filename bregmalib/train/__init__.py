"""Training (optax; model selection and early stopping on a validation loss or any score; seeds)
and checkpoints of bregmalib models."""

from bregmalib.train._checkpoint import load, read_header, save
from bregmalib.train._loop import TrainConfig, TrainResult, accuracy, cross_entropy, train

__all__ = [
    "TrainConfig",
    "TrainResult",
    "accuracy",
    "cross_entropy",
    "load",
    "read_header",
    "save",
    "train",
]
