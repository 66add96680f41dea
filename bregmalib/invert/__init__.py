"""Invertibility of Bregman layers and networks: certificates, parametrisations, inversion,
implicit differentiation and log-determinants (Frecon et al., "Bregman Neural Networks",
ICML 2022). A square layer x⁺ = σ(σ⁻¹(x) + Wx + b) is invertible exactly when its dual form
F(u) = u + Wσ(u) + b, u = σ⁻¹(x), is, since σ is a bijection of ℝ onto I.

>>> import jax.numpy as jnp
>>> from bregmalib import legendre
>>> from bregmalib.invert import certify, solve_dual
>>> pair = legendre.get("tanh")
>>> W = jnp.array([[0.0, 3.0], [0.0, 0.0]])
>>> certify(W, pair)["vertex"].verdict
'invertible'
"""

from bregmalib.invert._certificates import (
    EXACT_VERTEX_MAX_N,
    INCONCLUSIVE,
    INVERTIBLE,
    NOT_INVERTIBLE,
    Certificate,
    certify,
    contraction_certificate,
    monotone_certificate,
    p_matrix_certificate,
    pair_assumptions,
    principal_minors,
    vertex_certificate,
)
from bregmalib.invert._implicit import inverse_dual, inverse_primal
from bregmalib.invert._logdet import (
    SeriesEstimate,
    dual_log_abs_det,
    log_abs_det_from_dual,
    log_abs_det_jacobian,
    series_log_det,
)
from bregmalib.invert._network import (
    NetworkInversion,
    certify_dense,
    certify_mlp,
    dense_arrays,
    invert_mlp_features,
    invert_network,
    invert_network_dual,
    network_dual_forward,
)
from bregmalib.invert._parametrize import (
    contractive_weight,
    monotone_weight,
    monotone_weight_with_norm,
    spectral_norm,
)
from bregmalib.invert._solve import (
    InversionError,
    InversionResult,
    default_tolerance,
    dual_forward,
    invert_layer,
    layer_forward,
    solve_dual,
)

__all__ = [
    "EXACT_VERTEX_MAX_N",
    "INCONCLUSIVE",
    "INVERTIBLE",
    "NOT_INVERTIBLE",
    "Certificate",
    "InversionError",
    "InversionResult",
    "NetworkInversion",
    "SeriesEstimate",
    "certify",
    "certify_dense",
    "certify_mlp",
    "contraction_certificate",
    "contractive_weight",
    "default_tolerance",
    "dense_arrays",
    "dual_forward",
    "dual_log_abs_det",
    "inverse_dual",
    "inverse_primal",
    "invert_layer",
    "invert_mlp_features",
    "invert_network",
    "invert_network_dual",
    "layer_forward",
    "log_abs_det_from_dual",
    "log_abs_det_jacobian",
    "monotone_certificate",
    "monotone_weight",
    "monotone_weight_with_norm",
    "network_dual_forward",
    "p_matrix_certificate",
    "pair_assumptions",
    "principal_minors",
    "series_log_det",
    "solve_dual",
    "spectral_norm",
    "vertex_certificate",
]
