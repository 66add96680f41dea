"""Loading a saved model for the commands that analyse one (``lipschitz``, ``invert``)."""

from __future__ import annotations

from typing import Any

import jax

from bregmalib.nn import MLP, ResNet
from bregmalib.train import load


def load_model(path: str) -> tuple[MLP | ResNet, dict[str, Any]]:
    """The model and metadata of the checkpoint at ``path`` (written by `bregmalib.train.save`),
    with float64 enabled first: the bounds and certificates are computed in double precision."""
    jax.config.update("jax_enable_x64", True)
    return load(path)


def load_mlp(path: str, command: str) -> tuple[MLP, dict[str, Any]]:
    """`load_model`, refusing a model that is not an MLP (the analyses read dense layers)."""
    model, meta = load_model(path)
    if not isinstance(model, MLP):
        raise ValueError(
            f"bregmalib {command} analyses MLPs; {path} holds a {type(model).__name__}, "
            "whose convolutional layers it does not bound or certify"
        )
    return model, meta
