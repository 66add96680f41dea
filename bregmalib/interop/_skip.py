"""bregmanet's Bregman skip, the one home of what both converters (`from_bregmanet` for MLPs,
`from_bresnet` for residual networks) put in place of σ⁻¹.

bregmanet 1.0.0 computes x⁺ = σ(g(clamp(s, lo + m, hi − m)) + r(x)) with s = Vx (MLP, m = 10⁻⁵)
or s = Sx (residual block, m = 2·10⁻⁵: its interval is shrunk by 10⁻⁵, then the block clamps by
10⁻⁵ again). Its g, the "offset", is σ⁻¹ except for ``sigmoid`` (g(s) = log(s/(1 + s)), not
the logit), ``relu`` (the bent identity, g(s) = s + 1/s, not s − 1/(4s)) and softplus (a series
log(βs)/β + s below βs = e⁻⁵, where g jumps). ``skip="model"`` keeps g as the package has it, so
that every bound is a bound on the trained model; ``skip="legendre"`` uses σ⁻¹, the network
the paper (Frecon, Gasso, Pontil, Salzo, ICML 2022) defines.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import jax.numpy as jnp
from jax import Array

from bregmalib._certified import round_up
from bregmalib.legendre import LegendrePair
from bregmalib.nn import SkipMap

#: bregmanet's margin: its interval is shrunk by it (the MLP clamps there), and a residual block
#: clamps by it once more
PACKAGE_MARGIN = 1e-5
#: the skip of a converted model: the package's g (``"model"``) or σ⁻¹ (``"legendre"``)
SKIPS = ("model", "legendre")


def _sigmoid_offset(s: Array) -> Array:
    return jnp.log(s / (1.0 + s))


def _sigmoid_slope(a: Array, b: Array) -> Array:
    """sup g′ on [a, b] for g(s) = log(s/(1 + s)): g′(s) = 1/(s(1 + s)) decreases."""
    del b
    return 1.0 / (a * (1.0 + a))


def _sigmoid_ratio(delta: float) -> float:
    """sup σ′(g(s) + δ) g′(s) ≤ e^Δ for the sigmoid and g(s) = log(s/(1 + s)): σ′(v) ≤ e^v and
    e^{g(s)} g′(s) = 1/(1 + s)² ≤ 1 for s > 0 (rounded up)."""
    return float(round_up(math.exp(delta), 4)) if delta < 700.0 else math.inf


def _bent_offset(s: Array) -> Array:
    return s + 1.0 / s


def _bent_slope(a: Array, b: Array) -> Array:
    """sup |g′| on [a, b] for g(s) = s + 1/s: |1 − 1/s²| is largest at an end."""
    return jnp.maximum(jnp.abs(1.0 - 1.0 / a**2), jnp.abs(1.0 - 1.0 / b**2))


def _softplus_offset(beta: float) -> Callable[[Array], Array]:
    """bregmanet's softplus g: log(βs)/β + s where βs < e⁻⁵, else log(1 − e^{−βs})/β + s (the
    two branches differ by about e⁻⁵/(2β) where they meet, so g jumps there)."""

    def offset(s: Array) -> Array:
        series = jnp.log(beta * s) / beta + s
        exact = jnp.log(-jnp.expm1(-beta * s)) / beta + s
        return jnp.where(s * beta < math.exp(-5.0), series, exact)

    return offset


def _softplus_slope(beta: float) -> Callable[[Array, Array], Array]:
    """sup g′ on [a, b]: both branches' slopes, 1 + 1/(βs) and 1 + 1/(e^{βs} − 1), decrease;
    +inf where [a, b] holds the jump at βs = e⁻⁵."""

    def slope(a: Array, b: Array) -> Array:
        jump = math.exp(-5.0) / beta
        value = 1.0 + jnp.maximum(1.0 / (beta * a), 1.0 / jnp.expm1(beta * a))
        return jnp.where((a < jump) & (b >= jump), jnp.inf, value)

    return slope


PackageSkip = tuple[
    str,
    Callable[[Array], Array],
    float,
    Callable[[Array, Array], Array],
    Callable[[float], float] | None,
]


def _package_inverse(name: str, pair: LegendrePair, lo: float) -> PackageSkip | None:
    """The package's g where it is not σ⁻¹ (None where it is): its label, g, sup |g′| on
    [lo, hi] (sigmoid 1/(lo(1 + lo)); bent identity max(1, 1/lo² − 1); softplus +inf, g jumps)
    sup |g′| on a sub-interval, and its slope ratio ρ(Δ) where one is known (sigmoid)."""
    if name == "sigmoid":
        slope = 1.0 / (lo * (1.0 + lo))
        return "log(s/(1+s))", _sigmoid_offset, slope, _sigmoid_slope, _sigmoid_ratio
    if name == "relu":
        return "s+1/s", _bent_offset, max(1.0, 1.0 / lo**2 - 1.0), _bent_slope, None
    if "softplus" in name:
        beta = pair.parameter_values["beta"]
        label = "bregmanet softplus offset (discontinuous)"
        return label, _softplus_offset(beta), math.inf, _softplus_slope(beta), None
    return None


def skip_map(
    name: str, pair: LegendrePair, skip: str, *, margin: float = 2 * PACKAGE_MARGIN
) -> SkipMap:
    """The Bregman skip of a bregmanet model built with activation ``name``: the package's
    clamp to [lo + margin, hi − margin] (2·10⁻⁵ in a residual block, 10⁻⁵ in an MLP), and its
    g (``skip="model"``) or σ⁻¹ (``"legendre"``)."""
    if skip not in SKIPS:
        raise ValueError(f"unknown skip {skip!r}; expected one of {list(SKIPS)}")
    lo = pair.lower + margin
    hi = pair.upper - margin
    wrong = _package_inverse(name.lower(), pair, lo)
    if skip == "model" and wrong is not None:
        label, function, slope, local_slope, ratio = wrong
        return SkipMap(function, lo, hi, label, float(round_up(slope, 4)), local_slope, ratio)
    return SkipMap(None, lo, hi)


def package_skip_differs(name: str) -> bool:
    """True when bregmanet's g for activation ``name`` is not σ⁻¹."""
    name = name.lower()
    return name in ("sigmoid", "relu") or "softplus" in name
