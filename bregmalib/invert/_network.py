"""Whole-network inversion, layer by layer, for networks of square Bregman layers with V = I.

In dual coordinates such a network's hidden part is u_k = F_k(u_{k−1}) = u_{k−1} +
W_kσ(u_{k−1}) + b_k; its inverse solves the layers from the last to the first,
u_{k−1} = F_k⁻¹(u_k) (Frecon et al., ICML 2022). A single layer is a depth-1 network.
"""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
from jax import Array
from jax.typing import ArrayLike

from bregmalib.invert._solve import InversionResult, dual_target, invertible_layer, solve_dual
from bregmalib.legendre import LegendrePair
from bregmalib.nn import Network, as_network


class NetworkInversion(eqx.Module):
    """The inverse of the hidden part of a network: ``dual`` is u_0 and ``primal`` σ(u_0);
    ``layers[k]`` is the solver result of layer k (in forward order)."""

    dual: Array
    layers: tuple[InversionResult, ...]
    pair: LegendrePair = eqx.field(static=True)

    @property
    def primal(self) -> Array:
        """x_0 = σ(u_0)."""
        return self.pair.sigma(self.dual)

    @property
    def converged(self) -> Array:
        """True when every layer's solve converged."""
        return jnp.all(jnp.stack([r.converged for r in self.layers]))

    @property
    def residual(self) -> Array:
        """The largest layer residual ‖F_k(u_{k−1}) − u_k‖_∞."""
        return jnp.max(jnp.stack([r.residual for r in self.layers]))


def network_of(model: Any) -> Network:
    """The `Network` of a Layer, Dense, MLP or Network, in the model's own dtype."""
    leaves = jax.tree_util.tree_leaves(eqx.filter(model, eqx.is_inexact_array))
    return as_network(model, dtype=leaves[0].dtype if leaves else None)


def invertible_network(model: Any) -> Network:
    """`network_of` a model whose hidden layers are all square Bregman layers with V = I; a
    one-line error naming the first layer that is not."""
    net = network_of(model)
    for k, layer in enumerate(net.layers):
        invertible_layer(layer, f"layer {k}")
    return net


def invert(model: Any, y: ArrayLike, *, dual: bool = False, **options: Any) -> NetworkInversion:
    """The input of a layer or network of square Bregman layers (V = I) whose hidden output
    (before any head) is y ∈ Iⁿ, or whose last pre-activation is y when ``dual``: u_L = σ⁻¹(y),
    then u_{k−1} = F_k⁻¹(u_k) from the last layer (``options`` go to `solve_dual`; every layer
    raises on non-convergence unless ``throw=False``)."""
    net = invertible_network(model)
    u = dual_target(net.layers[-1], y, "y")
    if not dual:
        u = net.pair.inverse_checked(u)
    results: list[InversionResult] = []
    for layer in reversed(net.layers):
        result = solve_dual(layer, u, **options)
        results.append(result)
        u = result.dual
    return NetworkInversion(dual=u, layers=tuple(reversed(results)), pair=net.pair)
