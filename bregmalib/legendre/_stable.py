"""Numerically stable JAX building blocks shared by the catalogue's pairs.

Every function is elementwise, keeps its input's floating dtype and avoids overflow,
underflow and cancellation at the ends of the intervals (float32 and float64).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
from jax import Array
from jax.scipy.special import spence, xlog1py, xlogy

LOG2 = math.log(2.0)
PI2_OVER_6 = math.pi**2 / 6.0


def log1p_square(u: Array) -> Array:
    """log(1 + u²) = 2 log hypot(1, u), without overflow of u²."""
    return 2.0 * jnp.log(jnp.hypot(jnp.ones_like(u), u))


def log_cosh(u: Array) -> Array:
    """log cosh u = |u| + log1p(e^{−2|u|}) − log 2."""
    a = jnp.abs(u)
    return a + jnp.log1p(jnp.exp(-2.0 * a)) - LOG2


def log_sech_squared(u: Array) -> Array:
    """log(1 − tanh² u) = 2 (log 2 − |u| − log1p(e^{−2|u|}))."""
    a = jnp.abs(u)
    return 2.0 * (LOG2 - a - jnp.log1p(jnp.exp(-2.0 * a)))


def log1p_accurate(x: Array) -> Array:
    """log(1 + x) to a few ulps through log: log(w)·x / (w − 1) with w = 1 + x (Goldberg's
    trick; XLA's float64 log1p is off by up to ~128 ulps on the CPU)."""
    w = 1.0 + x
    d = w - 1.0
    trivial = (d == 0) | jnp.isinf(x)
    safe = jnp.where(trivial, 1.0, d)
    return jnp.where(trivial, jnp.where(jnp.isinf(x), jnp.log(w), x), jnp.log(w) * (x / safe))


def atanh_stable(x: Array, scale: float = 1.0) -> Array:
    """atanh(x / a) = log1p(2|x| / (a − |x|)) / 2 with the sign of x (a = ``scale``): a − |x| is
    exact near the ends (Sterbenz), so this is accurate near 0 and near ±a."""

    def positive(t: Array) -> Array:
        return 0.5 * log1p_accurate(2.0 * t / (scale - t))

    return jnp.where(x < 0, -positive(-x), positive(x))


def logit(x: Array) -> Array:
    """log(x / (1 − x)) on (0, 1): directly below 1/4, else 2 atanh(2x − 1) (2x − 1 exact)."""
    low = x < 0.25
    safe_low = jnp.where(low, x, 0.125)
    safe_high = jnp.where(low, 0.5, x)
    direct = jnp.log(safe_low / (1.0 - safe_low))
    return jnp.where(low, direct, 2.0 * atanh_stable(2.0 * safe_high - 1.0))


def neg_entropy_binary(x: Array) -> Array:
    """x log x + (1 − x) log(1 − x), with 0 log 0 = 0."""
    return xlogy(x, x) + xlog1py(1.0 - x, -x)


def half_entropy_pm(x: Array) -> Array:
    """((1 + x) log(1 + x) + (1 − x) log(1 − x)) / 2 on [−1, 1], with 0 log 0 = 0."""
    return 0.5 * (xlog1py(1.0 + x, x) + xlog1py(1.0 - x, -x))


def half_pi_split(dtype: np.dtype) -> tuple[float, float]:
    """π/2 = hi + lo with hi representable in ``dtype`` (a Cody–Waite split)."""
    hi = float(np.asarray(math.pi / 2, dtype=dtype))
    with mpmath.workdps(40):
        lo = float(mpmath.pi / 2 - mpmath.mpf(hi))
    return hi, lo


def tan_to_half_pi(x: Array) -> Array:
    """tan x on (−π/2, π/2), accurate near ±π/2: tan x = 1 / tan(π/2 − x) with π/2 − x
    formed in extended precision (the split of `half_pi_split`)."""
    hi, lo = half_pi_split(x.dtype)
    a = jnp.abs(x)
    near_edge = a > math.pi / 4
    safe_reflected = jnp.where(near_edge, (hi - a) + lo, 1.0)
    return jnp.where(near_edge, jnp.sign(x) / jnp.tan(safe_reflected), jnp.tan(x))


@jax.custom_jvp
def dilog(w: Array) -> Array:
    """The dilogarithm Li₂(w) = −∫₀^w log(1 − t)/t dt for w ≤ 1, through Spence's function
    (``spence(z) = Li₂(1 − z)``), with its derivative Li₂′(w) = −log(1 − w)/w."""
    return spence(1.0 - w)


@dilog.defjvp
def _dilog_jvp(primals: tuple[Array], tangents: tuple[Array]) -> tuple[Array, Array]:
    (w,), (dw,) = primals, tangents
    safe = jnp.where(w == 0, 1.0, w)
    slope = jnp.where(w == 0, 1.0, -log1p_accurate(-safe) / safe)
    return dilog(w), slope * dw


def softplus_dilog_conjugate(t: Array) -> Array:
    """−Li₂(−e^t), stable for large t by the inversion formula
    Li₂(−e^t) = −π²/6 − t²/2 − Li₂(−e^{−t})."""
    positive = t > 0
    s = jnp.where(positive, -t, t)
    tail = -dilog(-jnp.exp(s))
    return jnp.where(positive, PI2_OVER_6 + 0.5 * t * t - tail, tail)
