"""Multilayer perceptrons of Bregman, standard and Euclidean hidden layers with a linear head.

Frecon et al., "Bregman Neural Networks", ICML 2022, §3: a BregmaNet MLP composes Bregman
layers x⁺ = σ(σ⁻¹(Vx) + Wx + b). Where V = I the forward pass runs in dual coordinates
u⁺ = u + Wσ(u) + b, so that σ⁻¹ is never evaluated on saturated values.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import equinox as eqx
import jax.numpy as jnp
from jax import Array

from bregmalib.legendre import LegendrePair
from bregmalib.nn._dense import Dense, dense_from_rng
from bregmalib.nn._head import Classifier, make_head
from bregmalib.nn._init import numpy_rng
from bregmalib.nn._layer import Version, check_version
from bregmalib.nn._network import Network, forward_trace, primal_trace
from bregmalib.nn._validate import (
    check_dtype,
    check_in_interval,
    check_vector,
    check_widths,
    resolve_pair,
)


class MLP(Classifier, eqx.Module):
    """Hidden layers (`Dense`) of one version followed by a linear head ``Hx + c``.

    For the Bregman version the input must lie in the open interval Iⁿ. It is converted once
    by a *checked* inverse, with the semantics of ``pair.inverse_checked`` (no clamping: an
    input outside I raises `DomainError` eagerly, an Equinox runtime error under ``jit``; it is
    never silently moved), and the dual coordinate u is then carried through every layer,
    u⁺ = u + Wσ(u) + b. A layer with V ≠ I takes σ(u) and returns its pre-activation
    σ⁻¹(Vσ(u)) + Wσ(u) + b (σ⁻¹ clamped there, see `Dense.preactivation`), which is again the
    dual coordinate of its output.
    """

    hidden: tuple[Dense, ...]
    head_weight: Array
    head_bias: Array
    pair: LegendrePair = eqx.field(static=True)
    version: Version = eqx.field(static=True)

    def __check_init__(self) -> None:
        check_version(self.version)
        for k, layer in enumerate(self.hidden):
            if layer.pair != self.pair or layer.version != self.version:
                raise ValueError(
                    f"hidden layer {k} is ({layer.pair.name}, {layer.version}); the MLP is "
                    f"({self.pair.name}, {self.version})"
                )
        self.network()

    @property
    def widths(self) -> tuple[int, ...]:
        """``(input_dim, hidden_1, ..., hidden_L)``."""
        return (self.hidden[0].in_features, *(layer.out_features for layer in self.hidden))

    def network(self) -> Network:
        """The functional-core `Network` of this MLP (V = softmax of the mixing logits)."""
        return Network(
            tuple(layer.layer() for layer in self.hidden), self.head_weight, self.head_bias
        )

    def dual_hidden(self, x: Array) -> Array:
        """σ⁻¹(features(x)) for a primal input x ∈ Iⁿ, computed in dual coordinates (Bregman
        version, any V): σ⁻¹ is evaluated only on x and, at layers with V ≠ I, on Vσ(u)."""
        if self.version != "bregman":
            raise ValueError(f"dual_hidden exists for Bregman MLPs only, not {self.version!r}")
        x = check_vector(x, self.widths[0], "MLP")
        x = check_in_interval(self.pair, x, "MLP")
        return primal_trace(self.network(), x)[-1][1]

    def features(self, x: Array) -> Array:
        """Output of the last hidden layer, in primal coordinates."""
        x = check_vector(x, self.widths[0], "MLP")
        if self.version == "bregman":
            x = check_in_interval(self.pair, x, "MLP")
        return self.pair.sigma(primal_trace(self.network(), x)[-1][1])

    def dual_features(self, u: Array) -> Array:
        """u ↦ σ⁻¹(features(σ(u))) of a Bregman MLP, through u_{k+1} = u_k + W_kσ(u_k) + b_k
        where V_k = I (σ⁻¹(V_kσ(u_k)) + W_kσ(u_k) + b_k elsewhere)."""
        if self.version != "bregman":
            raise ValueError(f"dual_features exists for Bregman MLPs only, not {self.version!r}")
        u = check_vector(u, self.widths[0], "MLP.dual_features")
        return forward_trace(self.network(), u)[-1][1]


def make_mlp(
    activation: str | LegendrePair,
    widths: Sequence[int],
    n_classes: int,
    version: Version,
    *,
    key: Array,
    init: str = "default",
    dtype: Any = jnp.float32,
    **activation_params: float,
) -> MLP:
    """An `MLP` with ``widths = (input_dim, hidden_1, ..., hidden_L)`` and ``n_classes`` logits.

    ``activation`` is a pair name (``bregmalib.legendre.names()``, parameters as keywords, e.g.
    ``beta=10`` for softplus) or a `LegendrePair`. ``init`` applies to the hidden layers (see
    `make_dense`; with ``"zero"`` and equal widths the Bregman hidden part is the identity); the
    head is always drawn as U(−1/√width, 1/√width).
    """
    pair = resolve_pair(activation, **activation_params)
    version = check_version(version)
    widths = check_widths(widths)
    dtype = check_dtype(dtype)
    rng = numpy_rng(key)
    hidden = tuple(
        dense_from_rng(pair, n_in, n_out, version, rng, init, dtype)
        for n_in, n_out in itertools.pairwise(widths)
    )
    head_weight, head_bias = make_head(rng, n_classes, widths[-1], dtype)
    return MLP(hidden, head_weight, head_bias, pair, version)
