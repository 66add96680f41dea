"""Outward-rounded (certified) float arithmetic: the one home of rounding for every certified
number of the package.

Every certified quantity is computed in float64, whatever the dtype of the network (float32
arrays convert exactly), and every rounded result is moved outwards so that the exact value
lies inside: for one operation rounded to nearest, |fl(a ∘ b) − a ∘ b| ≤ u|a ∘ b| with
u = 2⁻⁵³, so one ulp outwards suffices; a dot product of n terms is off by at most
γₙ Σ|aⱼbⱼ|, γₙ = nu/(1 − nu) (Higham, "Accuracy and Stability of Numerical Algorithms",
2002, §3.1). Elementary functions (σ, σ′, σ⁻¹, R_σ) are evaluated in float64, also when
``jax_enable_x64`` is off, and assumed accurate to `FUNCTION_ULPS` ulps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import scipy.linalg
from jax.typing import ArrayLike

EPS = float(np.finfo(np.float64).eps)
#: the smallest normal float64: an absolute slack that covers underflow in any one operation
TINY = float(np.finfo(np.float64).tiny)
#: the accuracy assumed of a float64 elementary function (σ, σ′, σ⁻¹, R_σ), in ulps
FUNCTION_ULPS = 16
#: matrices with both sides above this have their norm from the smaller Gram matrix
GRAM_THRESHOLD = 128
#: the assumption every certified number rests on, in words
ROUNDING_ASSUMPTION = (
    f"float64 arithmetic rounded outwards; elementary functions accurate to {FUNCTION_ULPS} ulps"
)


def as_float64(a: ArrayLike) -> np.ndarray:
    """``a`` as a float64 NumPy array (exact for float32 and float64 inputs)."""
    return np.asarray(a, np.float64)


def _step(x: ArrayLike, toward: float, ulps: int) -> np.ndarray:
    x = as_float64(x)
    out = x
    for _ in range(ulps):
        out = np.nextafter(out, toward)
    return np.where(np.isfinite(x), out, x)


def round_up(x: ArrayLike, ulps: int = 1) -> np.ndarray:
    """x moved ``ulps`` float64 ulps towards +∞ (infinities kept)."""
    return _step(x, np.inf, ulps)


def round_down(x: ArrayLike, ulps: int = 1) -> np.ndarray:
    """x moved ``ulps`` float64 ulps towards −∞ (infinities kept)."""
    return _step(x, -np.inf, ulps)


def widen(lo: ArrayLike, hi: ArrayLike, ulps: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The interval [lo, hi] moved outwards by ``ulps`` ulps at each end; a NaN end (an
    undefined ∞ − ∞) becomes the infinite end, which is always sound."""
    lo_w, hi_w = round_down(lo, ulps), round_up(hi, ulps)
    return np.where(np.isnan(lo_w), -np.inf, lo_w), np.where(np.isnan(hi_w), np.inf, hi_w)


def add_intervals(
    a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """[a₀ + b₀, a₁ + b₁] rounded outwards."""
    with np.errstate(invalid="ignore"):
        return widen(as_float64(a[0]) + b[0], as_float64(a[1]) + b[1])


def _times(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """w·x elementwise with 0·(±∞) = 0 (an exact zero weight ignores an unbounded input)."""
    with np.errstate(invalid="ignore"):
        return np.where(w == 0, 0.0, w * x)


def affine_interval(
    w: ArrayLike, b: ArrayLike | None, lo: ArrayLike, hi: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """[min, max] of Wx + b over lo ≤ x ≤ hi, [W⁺lo + W⁻hi + b, W⁺hi + W⁻lo + b] (Moore 1966),
    rounded outwards by the dot-product bound γₙ₊₂ (Σⱼ|Wᵢⱼxⱼ| + |bᵢ|) plus (n + 2)·TINY for
    underflow; infinite where a nonzero weight meets an infinite end, never NaN."""
    w, lo, hi = as_float64(w), as_float64(lo), as_float64(hi)
    b = np.zeros(w.shape[0]) if b is None else as_float64(b)
    a, c = _times(w, lo[None, :]), _times(w, hi[None, :])
    with np.errstate(invalid="ignore", over="ignore"):
        low = np.minimum(a, c).sum(axis=1) + b
        high = np.maximum(a, c).sum(axis=1) + b
        scale = np.maximum(np.abs(a), np.abs(c)).sum(axis=1) + np.abs(b)
    n = w.shape[1] + 2
    slack = round_up(round_up(n * EPS / (1 - n * EPS)) * scale + n * TINY, 2)
    with np.errstate(invalid="ignore"):
        return widen(low - slack, high + slack)


def midpoint_radius(lo: ArrayLike, hi: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """(m, r) with [lo, hi] ⊆ [m − r, m + r]: m = fl((lo + hi)/2), r = (hi − lo)/2 + u|m|
    rounded up (the rounding of m is absorbed into r)."""
    lo, hi = as_float64(lo), as_float64(hi)
    mid = (lo + hi) / 2
    return mid, round_up((hi - lo) / 2 + EPS * np.abs(mid), 2)


def mul_up(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """An upper bound of a·b for nonnegative upper bounds a, b: 0 where either is 0 (the other
    being some finite, if unknown, number), +∞ on overflow."""
    a, b = as_float64(a), as_float64(b)
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where((a == 0) | (b == 0), 0.0, round_up(a * b))


def add_up(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """An upper bound of a + b, rounded up."""
    with np.errstate(invalid="ignore", over="ignore"):
        return round_up(as_float64(a) + as_float64(b))


def spectral_norm_upper(matrix: ArrayLike) -> float:
    """A certified upper bound of ‖A‖₂, the largest singular value, in float64: by SVD, or as
    √λ_max of the smaller Gram matrix when both sides exceed `GRAM_THRESHOLD`, inflated by
    4(m + n)u relative to cover the backward error of either route and a relative rounding of
    A's entries (‖|E|‖₂ ≤ ‖E‖_F); +∞ when an entry is infinite or NaN."""
    a = as_float64(matrix)
    if a.size == 0:
        return 0.0
    if not np.all(np.isfinite(a)):
        return np.inf
    scale = float(np.max(np.abs(a)))
    if scale == 0.0:
        return 0.0
    a = a / scale
    if min(a.shape) <= GRAM_THRESHOLD:
        top = float(np.linalg.norm(a, 2))
    else:
        gram = a @ a.T if a.shape[0] <= a.shape[1] else a.T @ a
        last = gram.shape[0] - 1
        top_eig = float(scipy.linalg.eigvalsh(gram, subset_by_index=[last, last])[0])
        top = float(np.sqrt(max(top_eig, 0.0)))
    return float(mul_up(certify_norm(top, a.shape), scale))


def certify_norm(estimate: float, shape: tuple[int, ...]) -> float:
    """An upper bound of ‖A‖₂ from its float64 value computed by SVD or a Gram eigenvalue for
    an m × n matrix: estimate·(1 + 4(m + n)u), rounded up, plus TINY."""
    slack = 4.0 * sum(shape) * EPS
    return float(round_up(estimate * (1.0 + slack) + TINY, 2))


def evaluate(function: Callable[[Any], Any], x: ArrayLike) -> np.ndarray:
    """``function`` (an elementwise JAX function such as σ, σ′ or σ⁻¹) at the float64 points x,
    evaluated in float64 even when ``jax_enable_x64`` is off (a float32 evaluation would round
    the argument itself)."""
    with jax.enable_x64(True):
        return np.asarray(function(jnp.asarray(as_float64(x), jnp.float64)), np.float64)


def enclose(values: ArrayLike, absolute: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """[down, up] around the float64 value v of an elementary function: `FUNCTION_ULPS` ulps
    each way, and `FUNCTION_ULPS`·u·``absolute`` more for functions accurate only relative to
    a scale (σ⁻¹ near its zero); infinities and NaN kept, for the caller to map."""
    v = as_float64(values)
    slack = FUNCTION_ULPS * EPS * absolute
    with np.errstate(invalid="ignore"):
        return round_down(v - slack, FUNCTION_ULPS), round_up(v + slack, FUNCTION_ULPS)
