"""Input domains, interval propagation through the layers, and ranges of σ′ on intervals.

Interval arithmetic (Moore 1966): for x in a box [l, h], Wx + b lies in [W⁺l + W⁻h + b,
W⁺h + W⁻l + b] with W± the positive and negative parts of W. Every interval is widened by a
few ulps so that rounding in float64 cannot make it too narrow.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from bregmalib.legendre import LegendrePair
from bregmalib.lipschitz._network import Network

_WIDEN = 1e-12


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


def dual_of(pair: LegendrePair, x: np.ndarray) -> np.ndarray:
    """σ⁻¹(x) elementwise on the closed interval, the ends of I (and beyond) mapped to the ends
    of the dual domain D."""
    x = np.asarray(x, np.float64)
    values = np.asarray(pair.inverse(jnp.asarray(x)), np.float64)
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
    from the peak. A restricted pair (sin) used outside its dual domain gets [−L_σ, L_σ]."""
    lo = np.asarray(lo, np.float64)
    hi = np.asarray(hi, np.float64)
    c = pair
    peak, lip = c.lipschitz_point, c.lipschitz

    def at(e: np.ndarray) -> np.ndarray:
        finite = np.isfinite(e)
        inner = np.asarray(pair.derivative(jnp.asarray(np.where(finite, e, 0.0))), np.float64)
        limit = np.where(e == peak, lip, 0.0)
        return np.where(finite, inner, limit)

    top = at(np.clip(peak, lo, hi))
    bottom = np.minimum(at(lo), at(hi))
    top = np.minimum(top * (1 + _WIDEN), lip) if np.isfinite(lip) else top
    bottom = np.maximum(bottom * (1 - _WIDEN), 0.0)
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


def affine_interval(
    w: np.ndarray, b: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """[min, max] of Wx + b over lo ≤ x ≤ hi (ends may be infinite; 0·∞ counts as 0)."""
    with np.errstate(invalid="ignore"):
        a = np.where(w == 0, 0.0, w * lo[None, :])
        c = np.where(w == 0, 0.0, w * hi[None, :])
    out_lo = np.minimum(a, c).sum(axis=1) + b
    out_hi = np.maximum(a, c).sum(axis=1) + b
    return _widen(out_lo, out_hi)


def _widen(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore"):
        lo_w = np.where(np.isfinite(lo), lo - _WIDEN * (1.0 + np.abs(lo)), lo)
        hi_w = np.where(np.isfinite(hi), hi + _WIDEN * (1.0 + np.abs(hi)), hi)
    return lo_w, hi_w


def _sigma_interval(
    pair: LegendrePair, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    def image(e: np.ndarray) -> np.ndarray:
        return np.asarray(pair.sigma(jnp.asarray(e)), np.float64)

    out_lo, out_hi = image(lo), image(hi)
    c = pair
    out_lo = np.where(lo == -np.inf, c.lower, out_lo)
    out_hi = np.where(hi == np.inf, c.upper, out_hi)
    if not pair.legendre:
        inside = (lo >= c.dual_lower) & (hi <= c.dual_upper)
        out_lo = np.where(inside, out_lo, c.lower)
        out_hi = np.where(inside, out_hi, c.upper)
    return _widen(out_lo, out_hi)


def _inverse_interval(
    pair: LegendrePair, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    return _widen(dual_of(pair, lo), dual_of(pair, hi))


def propagate_intervals(net: Network, box: Box) -> list[LayerIntervals]:
    """Intervals of every hidden layer for inputs in ``box`` (the natural box gives the global
    intervals: for a bounded σ the shifts stay bounded although the inputs' duals do not)."""
    pair = net.pair
    x_lo, x_hi = box.lower, box.upper
    t_lo, t_hi = coordinate_box(net, box)
    u_prev = (t_lo, t_hi)
    layers = []
    for w, b, v in zip(net.weights, net.biases, net.mixings, strict=True):
        w, b = np.asarray(w, np.float64), np.asarray(b, np.float64)
        shift = affine_interval(w, b, x_lo, x_hi)
        if net.version == "bregman":
            if v is None:
                base = u_prev
            else:
                v_np = np.asarray(v, np.float64)
                base = _inverse_interval(pair, v_np @ x_lo, v_np @ x_hi)
            pre = _widen(base[0] + shift[0], base[1] + shift[1])
        elif net.version == "euclidean":
            skip = np.eye(*w.shape) if v is None else np.asarray(v, np.float64)
            pre = affine_interval(skip + w, b, x_lo, x_hi)
            base = pre
        else:
            pre = shift
            base = pre
        slope = slope_range(pair, *pre)
        base_slope = slope_range(pair, *base)
        out = _sigma_interval(pair, *pre)
        layers.append(LayerIntervals(base, pre, shift, slope, base_slope, out))
        x_lo, x_hi = out
        u_prev = pre
    return layers


def as_float64(a: Any) -> np.ndarray:
    """``a`` as a float64 NumPy array."""
    return np.asarray(a, np.float64)
