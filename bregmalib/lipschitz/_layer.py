"""The certified Lipschitz bound of one Bregman layer T(x) = σ(σ⁻¹(Vx) + Wx + b) on a box.

Frecon, Gasso, Pontil, Salzo, "Bregman Neural Networks", ICML 2022. With u = σ⁻¹(Vx) and
z = u + Wx + b, J(x) = diag(σ′(z)/σ′(u)) V + diag σ′(z) W (`bregmalib.nn.functional.jacobian`);
since z_i − u_i = (Wx+b)_i, on a box B with Δ_i ≥ sup_B |(Wx+b)_i|,
Lip_B(T) ≤ max_i R_σ(Δ_i) ‖V‖₂ + L_σ ‖W‖₂, R_σ the slope ratio of `bregmalib.symbolic`.
A layer is a depth-1 network: its lower bounds come from `lower_bounds`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from bregmalib._certified import (
    ROUNDING_ASSUMPTION,
    add_up,
    affine_interval,
    as_float64,
    mul_up,
    round_up,
    spectral_norm_upper,
)
from bregmalib.lipschitz._domain import Box, make_box
from bregmalib.lipschitz._slope import slope_ratio_bound
from bregmalib.nn import Layer, Network, NetworkLike, as_network


@dataclasses.dataclass(frozen=True)
class LayerBound:
    """A certified upper bound on the ℓ₂ Lipschitz constant of one Bregman layer on a box:
    ``upper`` = ``ratio_term`` + ``weight_term`` = max_i R_σ(Δ_i)‖V‖₂ + L_σ‖W‖₂."""

    upper: float
    ratio_term: float
    weight_term: float
    delta: np.ndarray
    max_slope_ratio: float
    norm_v: float
    norm_w: float
    lipschitz_sigma: float
    box: Box
    slope_ratio_status: str
    assumptions: tuple[str, ...]


def _single_layer(model: NetworkLike) -> Layer:
    """The hidden layer of a `Layer` or of a depth-1 network whose head is the identity."""
    if isinstance(model, Layer):
        return model
    try:
        net = model if isinstance(model, Network) else as_network(model)
    except TypeError as error:
        raise TypeError(
            "layer_lipschitz_bound takes a bregmalib.nn.Layer or a depth-1 network, "
            f"got {type(model).__name__}"
        ) from error
    if net.depth != 1:
        raise TypeError(
            f"layer_lipschitz_bound takes a single layer, got a network of depth {net.depth} "
            "(use upper_bounds or lipschitz_report for networks)"
        )
    identity = np.eye(net.widths[-1])
    if not np.array_equal(net.head_weight, identity) or np.any(np.asarray(net.head_bias)):
        raise TypeError(
            "layer_lipschitz_bound bounds a hidden layer alone, got a network with a linear head "
            "(pass its layers[0], or use upper_bounds for the network)"
        )
    return net.layers[0]


def layer_lipschitz_bound(
    layer: NetworkLike, box: Box | tuple[Any, Any] | None = None
) -> LayerBound:
    """Certified Lip_B(T) ≤ max_i R_σ(Δ_i) ‖V‖₂ + L_σ ‖W‖₂ for a Bregman ``layer`` (a
    `bregmalib.nn.Layer`, a `Dense` or a depth-1 network with head H = I) on the box
    B = (lower, upper) of inputs (default: the closure of Iⁿ), with Δ_i = sup_B |(Wx+b)_i| by
    interval arithmetic, in float64 rounded outwards."""
    single = _single_layer(layer)
    if single.version != "bregman":
        raise ValueError(
            f"layer_lipschitz_bound bounds a Bregman layer, got a {single.version} layer "
            "(use upper_bounds)"
        )
    pair = single.pair
    domain = make_box(as_network(single, dtype=single.weight.dtype), box)
    weight = as_float64(single.weight)
    low, high = affine_interval(weight, single.bias, domain.lower, domain.upper)
    delta = np.maximum(np.abs(low), np.abs(high))
    ratio = slope_ratio_bound(pair)
    max_r = float(np.max(ratio(delta)))
    norm_v = 1.0 if single.mixing is None else spectral_norm_upper(single.mixing)
    norm_w = spectral_norm_upper(weight)
    lip = float(round_up(pair.lipschitz))
    ratio_term, weight_term = float(mul_up(max_r, norm_v)), float(mul_up(lip, norm_w))
    assumptions = (
        f"x in the box [lo, hi] inside the closure of I^n, I = ({pair.lower:g}, {pair.upper:g})",
        "V = I" if single.mixing is None else "V row-stochastic, so Vx stays in I^n",
        "Delta_i = sup over the box of |(Wx+b)_i| by interval arithmetic",
        f"{ratio.note}; L_sigma = {pair.lipschitz:g}",
        f"l2 norms; {ROUNDING_ASSUMPTION}",
    )
    return LayerBound(
        upper=float(add_up(ratio_term, weight_term)),
        ratio_term=ratio_term,
        weight_term=weight_term,
        delta=delta,
        max_slope_ratio=max_r,
        norm_v=norm_v,
        norm_w=norm_w,
        lipschitz_sigma=pair.lipschitz,
        box=domain,
        slope_ratio_status=ratio.status,
        assumptions=assumptions,
    )
