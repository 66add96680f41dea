"""Invertibility of square Bregman layers and networks: certificates, parametrisations,
inversion, implicit differentiation and log-determinants (Frecon et al., "Bregman Neural
Networks", ICML 2022). A square layer x⁺ = σ(σ⁻¹(x) + Wx + b) with V = I is invertible exactly
when its dual form F(u) = u + Wσ(u) + b, u = σ⁻¹(x), is, since σ is a bijection of ℝ onto I.
Every function takes a `bregmalib.nn.Layer` (or `Dense`) or a network (`Network`, `MLP`; a
single layer is a depth-1 network) and evaluates it through `bregmalib.nn.functional`.

>>> import jax.numpy as jnp
>>> from bregmalib import legendre
>>> from bregmalib.invert import certify_invertibility
>>> from bregmalib.nn import Layer
>>> layer = Layer(jnp.array([[0.0, 3.0], [0.0, 0.0]]), jnp.zeros(2), None,
...               legendre.get("tanh"), "bregman")
>>> certify_invertibility(layer)["vertex"].verdict
'invertible'
"""

from bregmalib.invert._certificates import (
    EXACT_VERTEX_MAX_N,
    Certificate,
    certify_invertibility,
)
from bregmalib.invert._implicit import inverse_dual
from bregmalib.invert._logdet import SeriesEstimate, log_abs_det, series_log_det
from bregmalib.invert._network import NetworkInversion, invert
from bregmalib.invert._parametrize import (
    contractive_weight,
    monotone_weight,
    monotone_weight_with_norm,
)
from bregmalib.invert._solve import InversionError, InversionResult, solve_dual

__all__ = [
    "EXACT_VERTEX_MAX_N",
    "Certificate",
    "InversionError",
    "InversionResult",
    "NetworkInversion",
    "SeriesEstimate",
    "certify_invertibility",
    "contractive_weight",
    "inverse_dual",
    "invert",
    "log_abs_det",
    "monotone_weight",
    "monotone_weight_with_norm",
    "series_log_det",
    "solve_dual",
]
