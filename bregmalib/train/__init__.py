"""Training (optax; model selection and early stopping on a validation loss or any score; seeds),
models trained to a matched clean accuracy (`train_matched`), and checkpoints of bregmalib
models."""

from bregmalib.train._checkpoint import load, read_header, save
from bregmalib.train._loop import (
    TrainConfig,
    TrainResult,
    accuracy,
    cross_entropy,
    train,
    validation_set,
)
from bregmalib.train._match import MatchedModels, train_matched

__all__ = [
    "MatchedModels",
    "TrainConfig",
    "TrainResult",
    "accuracy",
    "cross_entropy",
    "load",
    "read_header",
    "save",
    "train",
    "train_matched",
    "validation_set",
]
