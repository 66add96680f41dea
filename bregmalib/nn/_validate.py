"""Argument checks shared by the model constructors (one clear error per kind of bad input)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.core import Tracer

from bregmalib.legendre import DomainError, LegendrePair, get
from bregmalib.nn._layer import DTYPES


def resolve_pair(activation: str | LegendrePair, **params: float) -> LegendrePair:
    """A `LegendrePair` from a name (``bregmalib.legendre.get``) or a pair given directly."""
    if isinstance(activation, LegendrePair):
        if params:
            raise TypeError("activation parameters are only accepted with an activation name")
        return activation
    if not isinstance(activation, str):
        raise TypeError(
            f"activation must be a name or a LegendrePair, got {type(activation).__name__}"
        )
    return get(activation, **params)


def check_widths(widths: Sequence[int]) -> tuple[int, ...]:
    """``widths = (input_dim, hidden_1, ..., hidden_L)`` with L ≥ 1 and positive integers."""
    try:
        widths = tuple(widths)
    except TypeError:
        raise TypeError(f"widths must be a sequence of integers, got {widths!r}") from None
    if len(widths) < 2:
        raise ValueError(
            f"widths must be (input_dim, hidden_1, ..., hidden_L) with L >= 1, got {widths}"
        )
    for w in widths:
        if isinstance(w, bool) or not isinstance(w, int | jnp.integer) or w < 1:
            raise ValueError(f"widths must be positive integers, got {widths}")
    return tuple(int(w) for w in widths)


def check_dtype(dtype: Any) -> Any:
    """The dtype of a model's parameters: float32 or float64."""
    dt = jnp.dtype(dtype)
    if str(dt) not in DTYPES:
        raise TypeError(f"dtype must be float32 or float64, got {dt}")
    return dt


def check_vector(x: Array, size: int, what: str) -> Array:
    """``x`` as an array of shape ``(size,)``; raise ValueError on any other shape."""
    x = jnp.asarray(x)
    if x.shape != (size,):
        raise ValueError(
            f"{what} expects a single example of shape ({size},), got shape {x.shape}; "
            "use jax.vmap for batches"
        )
    return x


def check_in_interval(pair: LegendrePair, x: Array, what: str) -> Array:
    """``x`` unchanged if every entry lies in the open interval I of ``pair``.

    Raises `DomainError` (a ValueError) eagerly, or an Equinox runtime error under ``jit``.
    """
    outside = ~pair.contains(x)
    message = (
        f"{what}: inputs must lie in the open interval ({pair.lower:g}, {pair.upper:g}) of "
        f"the {pair.name} activation (scale the data, e.g. with bregmalib.data.fit_scaler)"
    )
    if isinstance(x, Tracer):
        return eqx.error_if(x, outside, message)
    bad = np.asarray(outside)
    if bad.any():
        examples = np.asarray(x)[bad].ravel()[:5].tolist()
        raise DomainError(f"{message}; offending values: {examples}")
    return x
