"""A trainable hidden layer of a BregmaNet, or of its standard and Euclidean baselines.

Frecon, Gasso, Pontil, Salzo, "Bregman Neural Networks", ICML 2022, eq. (5): the Bregman layer
is x⁺ = σ(σ⁻¹(Vx) + Wx + b); its mathematics lives in the functional core
(`bregmalib.nn.functional`).
"""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax import Array

from bregmalib.legendre import LegendrePair
from bregmalib.nn._init import normal, numpy_rng, uniform
from bregmalib.nn._layer import (
    Layer,
    Version,
    check_finite,
    check_float_dtype,
    check_version,
    forward,
)
from bregmalib.nn._validate import check_dtype, check_vector

INITS: tuple[str, ...] = ("default", "zero", "small")


class Dense(eqx.Module):
    """A trainable hidden layer ``x ∈ ℝ^in ↦ x⁺ ∈ ℝ^out`` of one of three versions.

    - ``"bregman"``: x⁺ = σ(σ⁻¹(Vx) + Wx + b), x ∈ Iⁿ;
    - ``"standard"``: x⁺ = σ(Wx + b);
    - ``"euclidean"``: x⁺ = σ(Vx + Wx + b).

    V is the identity (``mix_logits is None``) when ``in == out``. Otherwise V is the
    row-stochastic matrix V = softmax(mix_logits, axis=1): a *softmax-per-row
    parametrisation*, so every row stays on the simplex throughout training (no projection
    step) and Vx ∈ Iᵒᵘᵗ whenever x ∈ Iⁱⁿ. `layer` gives the functional-core `Layer` that every
    computation goes through. Works in float32 and float64 (the dtype of the parameters).
    """

    weight: Array
    bias: Array
    mix_logits: Array | None
    pair: LegendrePair = eqx.field(static=True)
    version: Version = eqx.field(static=True)

    def __check_init__(self) -> None:
        logits = self.mix_logits
        if logits is not None:
            check_float_dtype(logits, "mix_logits")
            check_finite(logits, "mix_logits")
            if logits.shape != self.weight.shape or logits.ndim != 2 or len(set(logits.shape)) == 1:
                raise ValueError(
                    f"mix_logits must be None for a square {self.version} layer and of the "
                    f"weight's shape {self.weight.shape} otherwise, got {logits.shape}"
                )
        self.layer()

    @property
    def in_features(self) -> int:
        """Input width."""
        return int(self.weight.shape[1])

    @property
    def out_features(self) -> int:
        """Output width."""
        return int(self.weight.shape[0])

    def mixing(self) -> Array | None:
        """V = softmax(mix_logits, axis=1) (rows on the simplex), or None for V = I."""
        if self.mix_logits is None:
            return None
        return jax.nn.softmax(self.mix_logits, axis=1)

    def layer(self) -> Layer:
        """The functional-core `Layer` (W, b, V) of this layer."""
        return Layer(self.weight, self.bias, self.mixing(), self.pair, self.version)

    def __call__(self, x: Array) -> Array:
        """Primal forward pass x ↦ x⁺ (see the class docstring for the three versions)."""
        return forward(self.layer(), check_vector(x, self.in_features, "Dense"))


def make_dense(
    pair: LegendrePair,
    in_features: int,
    out_features: int,
    version: Version,
    *,
    key: Array,
    init: str = "default",
    dtype: Any = jnp.float32,
) -> Dense:
    """A `Dense` layer with initialised parameters.

    ``init``: ``"default"`` draws W, b ~ U(−1/√in, 1/√in) (PyTorch's rule); ``"small"`` the
    same divided by 10; ``"zero"`` sets W = 0, b = 0 (the Bregman layer is then x ↦ Vx, the
    identity when V = I). Mixing logits (when V ≠ I) are N(0, 1) except for ``"zero"``, where
    they are 0 (V averages the inputs). Draws come from a NumPy generator seeded by ``key``
    (`numpy_rng`): reproducible, and nothing is compiled.
    """
    return dense_from_rng(pair, in_features, out_features, version, numpy_rng(key), init, dtype)


def dense_from_rng(
    pair: LegendrePair,
    in_features: int,
    out_features: int,
    version: Version,
    rng: np.random.Generator,
    init: str,
    dtype: Any,
) -> Dense:
    """`make_dense` drawing from an existing NumPy generator (used by `make_mlp`)."""
    check_version(version)
    dtype = check_dtype(dtype)
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; expected one of {list(INITS)}")
    shape = (out_features, in_features)
    if init == "zero":
        weight = jnp.asarray(np.zeros(shape), dtype)
        bias = jnp.asarray(np.zeros(out_features), dtype)
    else:
        limit = (1.0 if init == "default" else 0.1) / np.sqrt(in_features)
        weight = uniform(rng, shape, limit, dtype)
        bias = uniform(rng, (out_features,), limit, dtype)
    mix_logits = None
    if in_features != out_features and version != "standard":
        mix_logits = (
            jnp.asarray(np.zeros(shape), dtype) if init == "zero" else normal(rng, shape, dtype)
        )
    return Dense(weight, bias, mix_logits, pair, version)
