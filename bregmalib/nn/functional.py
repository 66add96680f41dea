"""The functional core of `bregmalib.nn`: pure functions of (layer parameters, input) for the
Bregman, standard and Euclidean layers, and of (network, input coordinates) for networks.

Frecon, Gasso, Pontil, Salzo, "Bregman Neural Networks", ICML 2022. A Bregman layer is
x⁺ = σ(σ⁻¹(Vx) + Wx + b), or u⁺ = u + Wσ(u) + b in dual coordinates u = σ⁻¹(x) when V = I; its
Jacobian is J(x) = diag(σ′(z)/σ′(ũ)) V + diag σ′(z) W with ũ = σ⁻¹(Vx), z = ũ + Wx + b. Models,
bounds, certificates, flows and attacks all evaluate layers through these functions.

>>> import jax.numpy as jnp
>>> from bregmalib import legendre
>>> from bregmalib.nn import Layer, functional as F
>>> layer = Layer(jnp.zeros((2, 2)), jnp.zeros(2), None, legendre.get("tanh"), "bregman")
>>> F.forward(layer, jnp.array([0.5, -0.25])).tolist()   # W = 0, b = 0: the identity
[0.5, -0.25]
"""

from bregmalib.nn._layer import (
    Point,
    ScaledTangent,
    dual_forward,
    dual_jacobian,
    dual_jvp,
    dual_log_abs_det,
    dual_point,
    dual_vjp,
    forward,
    jacobian,
    jacobian_at_dual,
    jvp,
    log_abs_det,
    log_abs_det_at_dual,
    point_dual_tangent,
    point_jacobian,
    point_jvp,
    point_scaled_dual_jvp,
    preactivation,
    primal_point,
    scaled_primal_tangent,
    slope_factor,
    vjp,
)
from bregmalib.nn._network import (
    coordinates_from_input,
    forward_trace,
    gram_vector_product,
    input_from_coordinates,
    jacobian_vector_product,
    network_jacobian,
    network_output,
    primal_trace,
    vector_jacobian_product,
)

__all__ = [
    "Point",
    "ScaledTangent",
    "coordinates_from_input",
    "dual_forward",
    "dual_jacobian",
    "dual_jvp",
    "dual_log_abs_det",
    "dual_point",
    "dual_vjp",
    "forward",
    "forward_trace",
    "gram_vector_product",
    "input_from_coordinates",
    "jacobian",
    "jacobian_at_dual",
    "jacobian_vector_product",
    "jvp",
    "log_abs_det",
    "log_abs_det_at_dual",
    "network_jacobian",
    "network_output",
    "point_dual_tangent",
    "point_jacobian",
    "point_jvp",
    "point_scaled_dual_jvp",
    "preactivation",
    "primal_point",
    "primal_trace",
    "scaled_primal_tangent",
    "slope_factor",
    "vector_jacobian_product",
    "vjp",
]
