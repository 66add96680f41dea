"""Training (optax, early stopping, seeds) and checkpoints of bregmalib models."""

from bregmalib.train._checkpoint import load, model_spec, read_header, save
from bregmalib.train._loop import TrainConfig, TrainResult, accuracy, cross_entropy, train

__all__ = [
    "TrainConfig",
    "TrainResult",
    "accuracy",
    "cross_entropy",
    "load",
    "model_spec",
    "read_header",
    "save",
    "train",
]
