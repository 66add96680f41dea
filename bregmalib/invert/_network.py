"""Whole-network inversion and certificates, layer by layer, and adapters for `bregmalib.nn`.

A stack of square Bregman layers is, in dual coordinates, u_k = u_{k−1} + W_kσ(u_{k−1}) + b_k;
its inverse solves the layers from the last to the first, u_{k−1} = F_k⁻¹(u_k) (Frecon et al.,
ICML 2022).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import equinox as eqx
import jax.numpy as jnp
from jax import Array
from jax.typing import ArrayLike

from bregmalib.invert._certificates import Certificate, certify
from bregmalib.invert._solve import InversionResult, dual_forward, solve_dual
from bregmalib.legendre import LegendrePair

LayerArrays = tuple[ArrayLike, ArrayLike]


class NetworkInversion(eqx.Module):
    """The inverse of a stack of square Bregman layers: ``dual`` is u_0 and ``primal`` σ(u_0);
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


def network_dual_forward(
    layers: Sequence[LayerArrays], pair: LegendrePair, u: ArrayLike
) -> Array:
    """u_L for u_k = u_{k−1} + W_kσ(u_{k−1}) + b_k."""
    u = jnp.asarray(u)
    for weight, bias in layers:
        u = dual_forward(weight, bias, pair, u)
    return u


def invert_network_dual(
    layers: Sequence[LayerArrays], pair: LegendrePair, v: ArrayLike, **options: Any
) -> NetworkInversion:
    """u_0 with network_dual_forward(layers, pair, u_0) = v, solved layer by layer from the last
    (``options`` go to `solve_dual`; every layer raises on non-convergence unless throw=False)."""
    if not layers:
        raise ValueError("need at least one layer (W, b)")
    u = jnp.asarray(v)
    results: list[InversionResult] = []
    for weight, bias in reversed(layers):
        result = solve_dual(weight, bias, pair, u, **options)
        results.append(result)
        u = result.dual
    return NetworkInversion(dual=u, layers=tuple(reversed(results)), pair=pair)


def invert_network(
    layers: Sequence[LayerArrays], pair: LegendrePair, y: ArrayLike, **options: Any
) -> NetworkInversion:
    """x_0 with the primal network mapping x_0 to y ∈ Iⁿ (through `invert_network_dual`)."""
    return invert_network_dual(layers, pair, pair.inverse_checked(jnp.asarray(y)), **options)


def dense_arrays(layer: Any) -> tuple[Array, Array, LegendrePair]:
    """(W, b, pair) of a square Bregman `bregmalib.nn.Dense` with V = I; a clear error otherwise."""
    for attribute in ("weight", "bias", "pair", "version"):
        if not hasattr(layer, attribute):
            raise TypeError(f"expected a bregmalib.nn.Dense layer, got {type(layer).__name__}")
    if layer.version != "bregman":
        raise ValueError(f"only Bregman layers are inverted here, got version {layer.version!r}")
    weight = jnp.asarray(layer.weight)
    mixing = layer.mixing() if callable(getattr(layer, "mixing", None)) else None
    if weight.shape[0] != weight.shape[1] or mixing is not None:
        raise ValueError(
            f"layer of shape {weight.shape} is not square with V = I: it cannot be a bijection"
        )
    return weight, jnp.asarray(layer.bias), layer.pair


def _hidden_arrays(model: Any) -> tuple[list[LayerArrays], LegendrePair]:
    if not hasattr(model, "hidden"):
        raise TypeError(f"expected a bregmalib.nn.MLP, got {type(model).__name__}")
    arrays = [dense_arrays(layer) for layer in model.hidden]
    return [(w, b) for w, b, _ in arrays], model.pair


def invert_mlp_features(model: Any, features: ArrayLike, **options: Any) -> NetworkInversion:
    """The input x of an MLP whose hidden layers are all square Bregman layers (V = I), from its
    primal ``model.features(x)``."""
    layers, pair = _hidden_arrays(model)
    return invert_network(layers, pair, features, **options)


def certify_dense(layer: Any, **options: Any) -> dict[str, Certificate]:
    """The three certificates of a square Bregman `Dense` layer (see `certify`)."""
    weight, _, pair = dense_arrays(layer)
    return certify(weight, pair, **options)


def certify_mlp(model: Any, **options: Any) -> list[dict[str, Any]]:
    """Certificates of every hidden layer of an MLP; non-square or non-Bregman layers are listed
    with the reason they cannot be bijections."""
    if not hasattr(model, "hidden"):
        raise TypeError(f"expected a bregmalib.nn.MLP, got {type(model).__name__}")
    report: list[dict[str, Any]] = []
    for index, layer in enumerate(model.hidden):
        shape = tuple(int(s) for s in jnp.shape(layer.weight))
        try:
            certificates = certify_dense(layer, **options)
        except ValueError as error:
            report.append({"layer": index, "shape": shape, "skipped": str(error)})
            continue
        report.append({"layer": index, "shape": shape, "certificates": certificates})
    return report
