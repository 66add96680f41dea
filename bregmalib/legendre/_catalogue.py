"""The catalogue of Legendre activation pairs of the official BregmaNet package, numeric half.

Each pair is defined once: its SymPy expressions for σ, σ⁻¹ = ∇φ, φ and φ* are in
`bregmalib.legendre._expressions` (imported only for symbolic work), its stable JAX code for σ,
σ⁻¹, σ′ and log σ′ (tested against those expressions) and its parameters' defaults here. The
interval I = σ(D), L_σ = sup σ′ and the dual domain D, derived from σ by
`bregmalib.legendre._derive`, are rendered once into `_constant_table` as functions of the
parameters, so that no SymPy runs to build or use a pair.
Pairs: Frecon, Gasso, Pontil, Salzo, "Bregman Neural Networks", ICML 2022, Table 1.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import jax
import jax.numpy as jnp

from bregmalib.legendre import _stable as st
from bregmalib.legendre._pair import NumericFunctions


@dataclasses.dataclass(frozen=True)
class PairDefinition:
    """The numeric definition of a pair: default parameter values (by name, in the order the
    builder takes them) and a builder of the stable JAX functions from parameter values; its
    expressions are ``_expressions.EXPRESSIONS[name]``."""

    name: str
    defaults: tuple[tuple[str, float], ...]
    numeric: Callable[..., NumericFunctions]
    legendre: bool = True
    note: str = ""


def _sigmoid() -> NumericFunctions:
    return NumericFunctions(
        sigma=jax.nn.sigmoid,
        inverse=st.logit,
        derivative=lambda u: jax.nn.sigmoid(u) * jax.nn.sigmoid(-u),
        log_derivative=lambda u: jax.nn.log_sigmoid(u) + jax.nn.log_sigmoid(-u),
        phi=st.neg_entropy_binary,
        phi_conj=jax.nn.softplus,
    )


def _tanh() -> NumericFunctions:
    return NumericFunctions(
        sigma=jnp.tanh,
        inverse=st.atanh_stable,
        derivative=lambda u: jnp.exp(st.log_sech_squared(u)),
        log_derivative=st.log_sech_squared,
        phi=st.half_entropy_pm,
        phi_conj=st.log_cosh,
    )


def _scaled_tanh(a: float, b: float) -> NumericFunctions:
    base = _tanh()
    log_ab = math.log(a * b)
    return NumericFunctions(
        sigma=lambda u: a * jnp.tanh(b * u),
        inverse=lambda x: st.atanh_stable(x, a) / b,
        derivative=lambda u: a * b * jnp.exp(st.log_sech_squared(b * u)),
        log_derivative=lambda u: log_ab + st.log_sech_squared(b * u),
        phi=lambda x: (a / b) * base.phi(x / a),
        phi_conj=lambda u: (a / b) * st.log_cosh(b * u),
    )


def _atan() -> NumericFunctions:
    return NumericFunctions(
        sigma=jnp.arctan,
        inverse=st.tan_to_half_pi,
        derivative=lambda u: 1.0 / (1.0 + u * u),
        log_derivative=lambda u: -st.log1p_square(u),
        phi=lambda x: jnp.log(jnp.hypot(1.0, st.tan_to_half_pi(x))),
        phi_conj=lambda u: u * jnp.arctan(u) - 0.5 * st.log1p_square(u),
    )


def _isru() -> NumericFunctions:
    return NumericFunctions(
        sigma=lambda u: jnp.where(jnp.isinf(u), jnp.sign(u), u / jnp.hypot(1.0, u)),
        inverse=lambda x: x / jnp.sqrt((1.0 - x) * (1.0 + x)),
        derivative=lambda u: jnp.hypot(1.0, u) ** -3,
        log_derivative=lambda u: -1.5 * st.log1p_square(u),
        phi=lambda x: -jnp.sqrt((1.0 - x) * (1.0 + x)),
        phi_conj=lambda u: jnp.hypot(1.0, u),
    )


def _asinh() -> NumericFunctions:
    return NumericFunctions(
        sigma=jnp.arcsinh,
        inverse=jnp.sinh,
        derivative=lambda u: 1.0 / jnp.hypot(1.0, u),
        log_derivative=lambda u: -0.5 * st.log1p_square(u),
        phi=jnp.cosh,
        phi_conj=lambda u: u * jnp.arcsinh(u) - jnp.hypot(1.0, u),
    )


def _sin() -> NumericFunctions:
    half_pi = math.pi / 2

    def clipped(u):
        return jnp.clip(u, -half_pi, half_pi)

    return NumericFunctions(
        sigma=lambda u: jnp.sin(clipped(u)),
        inverse=lambda x: jnp.arctan2(x, jnp.sqrt((1.0 - x) * (1.0 + x))),
        derivative=lambda u: jnp.where(jnp.abs(u) <= half_pi, jnp.cos(clipped(u)), 0.0),
        log_derivative=lambda u: jnp.where(
            jnp.abs(u) <= half_pi, jnp.log(jnp.cos(clipped(u))), -jnp.inf
        ),
        phi=lambda x: (
            x * jnp.arctan2(x, jnp.sqrt((1.0 - x) * (1.0 + x))) + jnp.sqrt((1.0 - x) * (1.0 + x))
        ),
        phi_conj=lambda u: jnp.where(
            jnp.abs(u) <= half_pi, -jnp.cos(clipped(u)), jnp.abs(u) - half_pi
        ),
    )


def _softplus(beta: float) -> NumericFunctions:
    return NumericFunctions(
        sigma=lambda u: jax.nn.softplus(beta * u) / beta,
        inverse=lambda x: x + jnp.log(-jnp.expm1(-beta * x)) / beta,
        derivative=lambda u: jax.nn.sigmoid(beta * u),
        log_derivative=lambda u: jax.nn.log_sigmoid(beta * u),
        phi=lambda x: 0.5 * x * x + (st.dilog(jnp.exp(-beta * x)) - st.PI2_OVER_6) / beta**2,
        phi_conj=lambda u: st.softplus_dilog_conjugate(beta * u) / beta**2,
    )


def _bent_sigma(u):
    h = jnp.hypot(1.0, u)
    return jnp.where(u >= 0, 0.5 * (u + h), 0.5 / (h - jnp.where(u >= 0, 0.0, u)))


def _bent_log_derivative(u):
    """log σ′(u) = log σ(u) − log √(1+u²), → 0 as u → ∞ (both logs in one, for u = inf)."""
    h = jnp.hypot(1.0, u)
    ratio = jnp.where(jnp.isinf(u), 1.0, u / h)
    positive = st.log1p_accurate(jnp.where(u >= 0, ratio, 0.0)) - st.LOG2
    negative = jnp.log(_bent_sigma(u)) - jnp.log(h)
    return jnp.where(u >= 0, positive, negative)


def _bent_identity() -> NumericFunctions:
    return NumericFunctions(
        sigma=_bent_sigma,
        inverse=lambda x: x - 0.25 / x,
        derivative=lambda u: jnp.exp(_bent_log_derivative(u)),
        log_derivative=_bent_log_derivative,
        phi=lambda x: 0.5 * x * x - 0.25 * jnp.log(x) - 0.125 - 0.25 * st.LOG2,
        phi_conj=lambda u: 0.25 * u * u + 0.25 * (u * jnp.hypot(1.0, u) + jnp.arcsinh(u)),
    )


DEFINITIONS: dict[str, PairDefinition] = {
    d.name: d
    for d in (
        PairDefinition(
            "sigmoid",
            defaults=(),
            numeric=_sigmoid,
        ),
        PairDefinition(
            "tanh",
            defaults=(),
            numeric=_tanh,
        ),
        PairDefinition(
            "scaled_tanh",
            defaults=(("a", 1.7159), ("b", 0.6666)),
            numeric=_scaled_tanh,
            note="LeCun's scaled tanh a·tanh(b u), a = 1.7159, b = 0.6666 by default.",
        ),
        PairDefinition(
            "atan",
            defaults=(),
            numeric=_atan,
        ),
        PairDefinition(
            "isru",
            defaults=(),
            numeric=_isru,
            note="Inverse square root unit u/√(1+u²).",
        ),
        PairDefinition(
            "asinh",
            defaults=(),
            numeric=_asinh,
        ),
        PairDefinition(
            "sin",
            defaults=(),
            numeric=_sin,
            legendre=False,
            note=(
                "Restricted pair: sin is a bijection of (−π/2, π/2) onto (−1, 1) only, and "
                "φ(x) = x asin x + √(1−x²) has a bounded gradient at ±1, so φ is not of Legendre "
                "type and sin is no Legendre pair on ℝ (the official package uses sin on ℝ). "
                "Numerically σ = ∇φ* = sin∘clip to [−π/2, π/2]: constant ±1 with σ′ = 0 "
                "(log σ′ = −inf) outside, where σ⁻¹∘σ returns ±π/2, not u."
            ),
        ),
        PairDefinition(
            "softplus",
            defaults=(("beta", 1000.0),),
            numeric=_softplus,
            note="softplus log(1 + e^{βu})/β; β = 1000 by default, as in the official package.",
        ),
        PairDefinition(
            "bent_identity",
            defaults=(),
            numeric=_bent_identity,
            note=(
                "Smooth ReLU (bent identity) (u + √(u²+1))/2, whose inverse is x − 1/(4x) "
                "(the official package uses x + 1/x). Called 'relu' in the official package."
            ),
        ),
    )
}

ALIASES: dict[str, str] = {"smooth_relu": "bent_identity", "scaledtanh": "scaled_tanh"}
