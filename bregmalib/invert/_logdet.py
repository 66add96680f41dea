"""Log-determinants of the Jacobian of a square Bregman layer.

Primal layer T(x) = σ(z), z = u + Wx + b, u = σ⁻¹(x): J_T = diag σ′(z) (I + W D) D⁻¹ with
D = diag σ′(u), hence

    log|det J_T(x)| = Σ log σ′(z_i) − Σ log σ′(u_i) + log|det(I + W D)|,

and the dual layer F(u) = u + Wσ(u) + b has log|det J_F(u)| = log|det(I + W D)|. For large widths
the last term is estimated by the power series log det(I + A) = Σ_k (−1)^{k+1} tr(A^k)/k with
A = W D and Hutchinson traces (Behrmann et al., ICML 2019), convergent when ‖A‖₂ < 1.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
from jax import Array
from jax.typing import ArrayLike

from bregmalib.legendre import LegendrePair


def dual_log_abs_det(weight: ArrayLike, pair: LegendrePair, u: ArrayLike) -> Array:
    """log|det(I + W diag σ′(u))|, the dual layer's log-Jacobian (exact, through slogdet)."""
    u = jnp.asarray(u)
    weight = jnp.asarray(weight, u.dtype)
    jac = jnp.eye(u.shape[0], dtype=u.dtype) + weight * pair.derivative(u)[None, :]
    return jnp.linalg.slogdet(jac)[1]


def log_abs_det_from_dual(
    weight: ArrayLike, bias: ArrayLike, pair: LegendrePair, u: ArrayLike
) -> Array:
    """log|det J_T| at x = σ(u): Σ log σ′(z) − Σ log σ′(u) + log|det(I + W diag σ′(u))|,
    z = u + Wσ(u) + b. Taking u avoids σ⁻¹ at saturated x."""
    u = jnp.asarray(u)
    weight, bias = jnp.asarray(weight, u.dtype), jnp.asarray(bias, u.dtype)
    z = u + weight @ pair.sigma(u) + bias
    return (
        jnp.sum(pair.log_derivative(z))
        - jnp.sum(pair.log_derivative(u))
        + dual_log_abs_det(weight, pair, u)
    )


def log_abs_det_jacobian(
    weight: ArrayLike, bias: ArrayLike, pair: LegendrePair, x: ArrayLike
) -> Array:
    """log|det J_T(x)| = Σ log σ′(z_i) − Σ log σ′(u_i) + log|det(I + WD)| of the primal layer
    T(x) = σ(σ⁻¹(x) + Wx + b), u = σ⁻¹(x), z = u + Wx + b, D = diag σ′(u)."""
    return log_abs_det_from_dual(weight, bias, pair, pair.inverse(jnp.asarray(x)))


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
    weight: ArrayLike,
    pair: LegendrePair,
    u: ArrayLike,
    key: Array,
    *,
    n_terms: int = 10,
    n_probes: int = 8,
) -> SeriesEstimate:
    """Σ_{k=1}^{K} (−1)^{k+1}/k · E[εᵀ(W D)^k ε] with Rademacher probes ε, D = diag σ′(u).

    Uses only matrix-vector products ε ↦ W(Dε); biased by the truncation at K = ``n_terms``.
    """
    if n_terms < 1 or n_probes < 1:
        raise ValueError(f"need n_terms ≥ 1 and n_probes ≥ 1, got {n_terms}, {n_probes}")
    u = jnp.asarray(u)
    weight = jnp.asarray(weight, u.dtype)
    slopes = pair.derivative(u)
    n = u.shape[0]
    probes = jax.random.rademacher(key, (n_probes, n), dtype=u.dtype)

    def per_probe(probe: Array) -> Array:
        def step(vector: Array, k: Array) -> tuple[Array, Array]:
            vector = weight @ (slopes * vector)
            sign = jnp.where(k % 2 == 1, 1.0, -1.0).astype(u.dtype)
            return vector, sign * jnp.dot(probe, vector) / k

        _, terms = jax.lax.scan(step, probe, jnp.arange(1, n_terms + 1, dtype=u.dtype))
        return jnp.sum(terms)

    samples = jax.vmap(per_probe)(probes)
    q = jnp.linalg.norm(weight * slopes[None, :], ord=2)
    tail = n * q ** (n_terms + 1) / ((n_terms + 1) * (1.0 - q))
    return SeriesEstimate(
        estimate=jnp.mean(samples),
        standard_error=jnp.std(samples) / jnp.sqrt(n_probes),
        truncation_bound=jnp.where(q < 1.0, tail, jnp.inf),
        contraction=q,
        n_terms=n_terms,
        n_probes=n_probes,
    )
