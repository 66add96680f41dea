"""Parameter initialisation from a JAX key without compiling anything.

Parameters are drawn with a NumPy ``Generator`` seeded by the key's data: the draw is a pure,
reproducible function of the key (as with ``jax.random``) but needs no XLA compilation, which
dominates model construction on a small CPU machine.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array


def numpy_rng(key: Array) -> np.random.Generator:
    """A NumPy generator seeded by the data of a JAX PRNG key (raw or typed)."""
    try:
        data = np.asarray(jax.random.key_data(key))
    except (TypeError, ValueError):
        raise TypeError(f"key must be a JAX PRNG key, got {key!r}") from None
    return np.random.default_rng(data.ravel().tolist())


def uniform(rng: np.random.Generator, shape: tuple[int, ...], limit: float, dtype: Any) -> Array:
    """U(−limit, limit) entries of the given shape and dtype."""
    return jnp.asarray(rng.uniform(-limit, limit, size=shape), dtype)


def normal(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> Array:
    """N(0, 1) entries of the given shape and dtype."""
    return jnp.asarray(rng.standard_normal(size=shape), dtype)
