"""Input domains, interval propagation through the layers, and ranges of σ′ on intervals.

Interval arithmetic (Moore 1966): for x in a box [l, h], Wx + b lies in [W⁺l + W⁻h + b,
W⁺h + W⁻l + b] with W± the positive and negative parts of W. Every interval is computed in
float64 and rounded outwards by `bregmalib._certified`, whatever the network's dtype.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import jax
import numpy as np
from jax.typing import ArrayLike

from bregmalib._certified import (
    add_intervals,
    affine_interval,
    as_float64,
    enclose,
    evaluate,
    round_down,
    round_up,
)
from bregmalib.legendre import LegendrePair
from bregmalib.nn import Network


@dataclasses.dataclass(frozen=True)
class Box:
    """A box [lower, upper] of primal inputs (ends may be ±inf)."""

    lower: np.ndarray
    upper: np.ndarray

    @property
    def is_global(self) -> bool:
        """True when no end is finite in any coordinate."""
        return bool(np.all(~np.isfinite(self.lower)) and np.all(~np.isfinite(self.upper)))


def natural_box(net: Network) -> Box:
    """The natural input domain: ℝⁿ (standard) or the closure of Iⁿ (Bregman, Euclidean)."""
    n = net.input_dim
    if net.dual_input:
        c = net.pair
        return Box(np.full(n, c.lower), np.full(n, c.upper))
    return Box(np.full(n, -np.inf), np.full(n, np.inf))


def make_box(net: Network, domain: Any = None) -> Box:
    """A `Box` from ``None`` (the natural domain), a `Box`, or a pair (lower, upper) of scalars
    or arrays of the input dimension. Raises ValueError when it leaves the natural domain."""
    natural = natural_box(net)
    if domain is None:
        return natural
    if isinstance(domain, Box):
        lower, upper = domain.lower, domain.upper
    else:
        try:
            lower, upper = domain
        except (TypeError, ValueError) as error:
            raise ValueError(
                "domain must be None, a Box, or a pair (lower, upper) of scalars or arrays"
            ) from error
    n = net.input_dim
    lower = np.broadcast_to(np.asarray(lower, np.float64), (n,)).copy()
    upper = np.broadcast_to(np.asarray(upper, np.float64), (n,)).copy()
    if np.any(np.isnan(lower)) or np.any(np.isnan(upper)) or np.any(lower > upper):
        raise ValueError("domain: need lower <= upper in every coordinate (no NaN)")
    if np.any(lower < natural.lower) or np.any(upper > natural.upper):
        raise ValueError(
            f"domain leaves the natural input domain [{natural.lower[0]:g}, {natural.upper[0]:g}]"
            f" of this {net.version} network ({net.pair.name})"
        )
    return Box(lower, upper)


def coordinate_box(net: Network, box: Box) -> tuple[np.ndarray, np.ndarray]:
    """The box in ascent coordinates: σ⁻¹ of its ends (inputs in Iⁿ) or the box itself."""
    if not net.dual_input:
        return box.lower, box.upper
    return dual_of(net.pair, box.lower), dual_of(net.pair, box.upper)


@functools.lru_cache(maxsize=256)
def compiled(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``function`` (σ, σ′ or σ⁻¹ of a pair) under ``jax.jit``: one compilation per shape
    instead of one per primitive operation on a first call."""
    return jax.jit(function)


def dual_of(pair: LegendrePair, x: np.ndarray) -> np.ndarray:
    """σ⁻¹(x) elementwise on the closed interval, the ends of I (and beyond) mapped to the ends
    of the dual domain D."""
    x = as_float64(x)
    values = evaluate(compiled(pair.inverse), x)
    values = np.where(x <= pair.lower, pair.dual_lower, values)
    return np.where(x >= pair.upper, pair.dual_upper, values)


# ----- σ′ on an interval


def unimodality_assumption(pair: LegendrePair) -> str:
    """The assumption `slope_range` uses, in words."""
    c = pair
    return (
        f"σ′ of {pair.name} is unimodal with its maximum L_σ = {c.lipschitz:g} at "
        f"u = {c.lipschitz_point:g} (on the dual domain for restricted pairs)"
    )


def slope_range(pair: LegendrePair, lo: ArrayLike, hi: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Elementwise [min, max] of σ′ on [lo, hi], for σ′ unimodal with its peak at
    ``lipschitz_at``: max = σ′(clip(peak)), min = min(σ′(lo), σ′(hi)) with σ′(±∞) = 0 away
    from the peak, evaluated in float64 and rounded outwards. A restricted pair (sin) used
    outside its dual domain gets [−L_σ, L_σ]."""
    lo, hi = as_float64(lo), as_float64(hi)
    c = pair
    peak = c.lipschitz_point
    lip = float(round_up(c.lipschitz))

    def at(e: np.ndarray) -> np.ndarray:
        finite = np.isfinite(e)
        inner = evaluate(compiled(pair.derivative), np.where(finite, e, 0.0))
        return np.where(finite, inner, np.where(e == peak, lip, 0.0))

    at_peak, at_lo, at_hi = at(np.stack(np.broadcast_arrays(np.clip(peak, lo, hi), lo, hi)))
    top = enclose(at_peak)[1]
    bottom = enclose(np.minimum(at_lo, at_hi))[0]
    top = np.minimum(top, lip) if np.isfinite(lip) else top
    bottom = np.maximum(bottom, 0.0)
    if not pair.legendre:
        inside = (lo >= c.dual_lower) & (hi <= c.dual_upper)
        top = np.where(inside, top, lip)
        bottom = np.where(inside, bottom, -lip)
    return bottom, top


# ----- interval propagation


@dataclasses.dataclass(frozen=True)
class LayerIntervals:
    """Elementwise intervals at one hidden layer k.

    ``base``: ũₖ (the dual skip coordinate, Bregman) or uₖ; ``pre``: uₖ; ``shift``: Wₖxₖ₋₁ + bₖ;
    ``slope``: σ′(uₖ); ``base_slope``: σ′(ũₖ); ``out``: xₖ = σ(uₖ). Each is (lower, upper).
    """

    base: tuple[np.ndarray, np.ndarray]
    pre: tuple[np.ndarray, np.ndarray]
    shift: tuple[np.ndarray, np.ndarray]
    slope: tuple[np.ndarray, np.ndarray]
    base_slope: tuple[np.ndarray, np.ndarray]
    out: tuple[np.ndarray, np.ndarray]


def _sigma_interval(
    pair: LegendrePair, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """σ([lo, hi]) for increasing σ, rounded outwards and kept in the closure of I."""
    c = pair
    both = np.stack(np.broadcast_arrays(lo, hi))
    sigma_lo, sigma_hi = evaluate(compiled(pair.sigma), np.where(np.isfinite(both), both, 0.0))
    out_lo, out_hi = enclose(sigma_lo, 1.0)[0], enclose(sigma_hi, 1.0)[1]
    out_lo = np.where(lo == -np.inf, c.lower, np.where(lo == np.inf, c.upper, out_lo))
    out_hi = np.where(hi == np.inf, c.upper, np.where(hi == -np.inf, c.lower, out_hi))
    if not pair.legendre:
        inside = (lo >= c.dual_lower) & (hi <= c.dual_upper)
        out_lo = np.where(inside, out_lo, c.lower)
        out_hi = np.where(inside, out_hi, c.upper)
    ends = (float(round_down(c.lower)), float(round_up(c.upper)))
    return np.clip(out_lo, *ends), np.clip(out_hi, *ends)


def _inverse_interval(
    pair: LegendrePair, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """σ⁻¹([lo, hi]) for increasing σ⁻¹, rounded outwards (σ⁻¹ accurate relative to 1 + |σ⁻¹|)."""
    return enclose(dual_of(pair, lo), 1.0)[0], enclose(dual_of(pair, hi), 1.0)[1]


def propagate_intervals(net: Network, box: Box) -> list[LayerIntervals]:
    """Intervals of every hidden layer for inputs in ``box`` (the natural box gives the global
    intervals: for a bounded σ the shifts stay bounded although the inputs' duals do not).
    The skip term Vx of a mixed layer is an affine interval like Wx (V ≥ 0, rows summing to 1,
    is checked where the network is built); Euclidean layers use (V + W)x with V + W summed in
    float64 (`affine_interval` covers that one rounding)."""
    pair = net.pair
    x_lo, x_hi = as_float64(box.lower), as_float64(box.upper)
    t_lo, t_hi = coordinate_box(net, box)
    u_prev = _inverse_interval(pair, x_lo, x_hi) if net.dual_input else (t_lo, t_hi)
    layers = []
    for w, b, v in zip(net.weights, net.biases, net.mixings, strict=True):
        shift = affine_interval(w, b, x_lo, x_hi)
        if net.version == "bregman":
            base = (
                u_prev
                if v is None
                else _inverse_interval(pair, *affine_interval(v, None, x_lo, x_hi))
            )
            pre = add_intervals(base, shift)
        elif net.version == "euclidean":
            skip = np.eye(w.shape[0], w.shape[1]) if v is None else as_float64(v)
            pre = affine_interval(skip + as_float64(w), b, x_lo, x_hi)
            base = pre
        else:
            pre = shift
            base = pre
        slope = slope_range(pair, *pre)
        base_slope = slope if base is pre else slope_range(pair, *base)
        out = _sigma_interval(pair, *pre)
        layers.append(LayerIntervals(base, pre, shift, slope, base_slope, out))
        x_lo, x_hi = out
        u_prev = pre
    return layers
