"""One hidden layer of a BregmaNet, or of its standard and Euclidean baselines.

Frecon, Gasso, Pontil, Salzo, "Bregman Neural Networks", ICML 2022, eq. (5):
the Bregman layer is x⁺ = σ(σ⁻¹(Vx) + Wx + b); with V = I and u = σ⁻¹(x) it reads
u⁺ = u + Wσ(u) + b in dual (mirror) coordinates.
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
from bregmalib.nn._validate import check_dtype, check_vector, check_version

INITS: tuple[str, ...] = ("default", "zero", "small")


class Dense(eqx.Module):
    """A hidden layer ``x ∈ ℝ^in ↦ x⁺ ∈ ℝ^out`` of one of three versions.

    - ``"bregman"``: x⁺ = σ(σ⁻¹(Vx) + Wx + b), x ∈ Iⁿ;
    - ``"standard"``: x⁺ = σ(Wx + b);
    - ``"euclidean"``: x⁺ = σ(Vx + Wx + b).

    V is the identity (``mix_logits is None``) when ``in == out``. Otherwise V is the
    row-stochastic matrix V = softmax(mix_logits, axis=1): a *softmax-per-row
    parametrisation*, so every row stays on the simplex throughout training (no projection
    step) and Vx ∈ Iᵒᵘᵗ whenever x ∈ Iⁱⁿ. Works in float32 and float64 (the dtype of the
    parameters).
    """

    weight: Array
    bias: Array
    mix_logits: Array | None
    pair: LegendrePair = eqx.field(static=True)
    version: str = eqx.field(static=True)

    def __check_init__(self) -> None:
        check_version(self.version)
        if not isinstance(self.pair, LegendrePair):
            raise TypeError(f"pair must be a LegendrePair, got {type(self.pair).__name__}")
        if self.weight.ndim != 2:
            raise ValueError(f"weight must have shape (out, in), got {self.weight.shape}")
        out_dim, in_dim = self.weight.shape
        if self.bias.shape != (out_dim,):
            raise ValueError(f"bias must have shape ({out_dim},), got {self.bias.shape}")
        needs_mixing = in_dim != out_dim and self.version != "standard"
        if needs_mixing and (self.mix_logits is None or self.mix_logits.shape != (out_dim, in_dim)):
            got = None if self.mix_logits is None else self.mix_logits.shape
            raise ValueError(
                f"a {self.version} layer from {in_dim} to {out_dim} needs mix_logits of shape "
                f"({out_dim}, {in_dim}), got {got}"
            )
        if not needs_mixing and self.mix_logits is not None:
            raise ValueError(
                f"mix_logits must be None for a {self.version} layer of shape {self.weight.shape}"
            )

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

    def _skip(self, x: Array) -> Array:
        v = self.mixing()
        return x if v is None else v @ x

    def preactivation(self, x: Array) -> Array:
        """z with x⁺ = σ(z): the output in dual coordinates, computed from the primal input.

        For the Bregman version σ⁻¹ is evaluated with ``pair.inverse_clamped`` (default margin,
        4 machine epsilons), which leaves every Vx inside I unchanged and keeps saturated
        values finite.
        """
        x = check_vector(x, self.in_features, "Dense")
        affine = self.weight @ x + self.bias
        if self.version == "bregman":
            return self.pair.inverse_clamped(self._skip(x)) + affine
        if self.version == "euclidean":
            return self._skip(x) + affine
        return affine

    def __call__(self, x: Array) -> Array:
        """Primal forward pass x ↦ x⁺ (see the class docstring for the three versions)."""
        return self.pair.sigma(self.preactivation(x))

    def dual(self, u: Array) -> Array:
        """Dual forward pass u⁺ = u + Wσ(u) + b, u = σ⁻¹(x); Bregman layers with V = I only."""
        if self.version != "bregman" or self.mix_logits is not None:
            raise ValueError(
                "the dual path u + Wσ(u) + b exists only for Bregman layers with V = I "
                f"(this layer: version={self.version!r}, shape {self.weight.shape})"
            )
        u = check_vector(u, self.in_features, "Dense.dual")
        return u + self.weight @ self.pair.sigma(u) + self.bias


def make_dense(
    pair: LegendrePair,
    in_features: int,
    out_features: int,
    version: str,
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
    version: str,
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
