"""Log-determinants of square Bregman layers and networks, and a power-series estimate.

For a square Bregman layer with V = I, T(x) = σ(z), z = F(u) = u + Wσ(u) + b, u = σ⁻¹(x):

    log|det J_T(x)| = Σ log σ′(z_i) − Σ log σ′(u_i) + log|det(I + W D)|,  D = diag σ′(u),

computed by the functional core (`bregmalib.nn.functional.log_abs_det_at_dual`); a network adds
the layers' terms along its dual trace. For large widths log det(I + A), A = W D, is estimated
by the power series Σ_k (−1)^{k+1} tr(A^k)/k with Hutchinson traces (Behrmann et al., ICML
2019), convergent when ‖A‖₂ < 1; A·ε = (∂F/∂u)ε − ε is the core's dual JVP minus the identity.
"""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
from jax import Array
from jax.typing import ArrayLike

from bregmalib.invert._network import invertible_network
from bregmalib.invert._solve import dual_target, invertible_layer
from bregmalib.nn import Dense, Layer
from bregmalib.nn import functional as F


def log_abs_det(model: Any, x: ArrayLike) -> Array:
    """log|det J(x)| of the hidden part x ↦ x_L of a network (or a layer) of square Bregman
    layers with V = I at a primal input x ∈ Iⁿ: Σ_k log|det J_k| along u_k = F_k(u_{k−1}),
    u_0 = σ⁻¹(x) (the head is not included)."""
    net = invertible_network(model)
    u = net.pair.inverse_checked(dual_target(net.layers[0], x, "x"))
    total = jnp.zeros((), u.dtype)
    for layer in net.layers:
        total = total + F.log_abs_det_at_dual(layer, u)
        u = F.dual_forward(layer, u)
    return total


class SeriesEstimate(eqx.Module):
    """A Hutchinson power-series estimate of log det(I + W diag σ′(u)).

    ``truncation_bound`` bounds the deterministic error of stopping at ``n_terms``:
    n q^{K+1} / ((K+1)(1 − q)) with q = ‖W diag σ′(u)‖₂ (inf when q ≥ 1: the series may diverge);
    ``standard_error`` is the Monte-Carlo standard error over probes.
    """

    estimate: Array
    standard_error: Array
    truncation_bound: Array
    contraction: Array
    n_terms: int = eqx.field(static=True)
    n_probes: int = eqx.field(static=True)


def series_log_det(
    layer: Layer | Dense,
    u: ArrayLike,
    key: Array,
    *,
    n_terms: int = 10,
    n_probes: int = 8,
) -> SeriesEstimate:
    """Σ_{k=1}^{K} (−1)^{k+1}/k · E[εᵀA^kε] with Rademacher probes ε and A = W diag σ′(u), the
    dual Jacobian minus I, of a square Bregman layer (V = I) at its dual input u.

    Uses only products ε ↦ Aε (`bregmalib.nn.functional.dual_jvp` minus ε); biased by the
    truncation at K = ``n_terms``.
    """
    if n_terms < 1 or n_probes < 1:
        raise ValueError(f"need n_terms ≥ 1 and n_probes ≥ 1, got {n_terms}, {n_probes}")
    layer = invertible_layer(layer)
    u = dual_target(layer, u, "u")
    n = u.shape[0]
    probes = jax.random.rademacher(key, (n_probes, n), dtype=u.dtype)

    def per_probe(probe: Array) -> Array:
        def step(vector: Array, k: Array) -> tuple[Array, Array]:
            vector = F.dual_jvp(layer, u, vector) - vector
            sign = jnp.where(k % 2 == 1, 1.0, -1.0).astype(u.dtype)
            return vector, sign * jnp.dot(probe, vector) / k

        _, terms = jax.lax.scan(step, probe, jnp.arange(1, n_terms + 1, dtype=u.dtype))
        return jnp.sum(terms)

    samples = jax.vmap(per_probe)(probes)
    q = jnp.linalg.norm(F.dual_jacobian(layer, u) - jnp.eye(n, dtype=u.dtype), ord=2)
    tail = n * q ** (n_terms + 1) / ((n_terms + 1) * (1.0 - q))
    return SeriesEstimate(
        estimate=jnp.mean(samples),
        standard_error=jnp.std(samples) / jnp.sqrt(n_probes),
        truncation_bound=jnp.where(q < 1.0, tail, jnp.inf),
        contraction=q,
        n_terms=n_terms,
        n_probes=n_probes,
    )
