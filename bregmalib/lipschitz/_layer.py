"""Single Bregman layer T(x) = σ(σ⁻¹(Vx) + Wx + b): Jacobian, certified Lipschitz upper bound on a
box of inputs, and a lower bound by multi-start gradient ascent (Frecon et al., ICML 2022).

Jacobian: J(x) = diag(σ′(z)/σ′(u)) V + diag(σ′(z)) W with u = σ⁻¹(Vx), z = u + Wx + b.
Bound: on a box B, with Δ_i ≥ sup_B |(Wx+b)_i|, Lip_B(T) ≤ max_i R_σ(Δ_i) ‖V‖₂ + L_σ ‖W‖₂, where
R_σ is the slope ratio of `bregmalib.symbolic.slope_ratio`.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.typing import ArrayLike

from bregmalib.legendre import LegendrePair

#: relative inflation applied to floating-point norms, interval sums and R evaluations, so that
#: the returned upper bound dominates the exact one despite rounding
ROUNDING = 1e-12
#: dual coordinates are searched in [-DUAL_CLIP, DUAL_CLIP] where the box is unbounded
DUAL_CLIP = 30.0


@dataclasses.dataclass(frozen=True)
class LayerBound:
    """A certified upper bound on the Lipschitz constant (ℓ₂) of one layer on a box, its terms
    and the assumptions it used."""

    upper: float
    ratio_term: float
    weight_term: float
    delta: np.ndarray
    max_slope_ratio: float
    norm_v: float
    norm_w: float
    lipschitz_sigma: float
    box: tuple[np.ndarray, np.ndarray]
    slope_ratio_status: str
    assumptions: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class LayerLower:
    """A lower bound max ‖J(x)‖₂ over the points visited by multi-start gradient ascent."""

    value: float
    x: np.ndarray
    u: np.ndarray


def _arrays(
    W: ArrayLike, b: ArrayLike, V: ArrayLike | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    W = np.asarray(W, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if W.ndim != 2 or b.shape != (W.shape[0],):
        raise ValueError(f"W must be (out, in) and b (out,), got {W.shape} and {b.shape}")
    if V is None:
        if W.shape[0] != W.shape[1]:
            raise ValueError(f"V is required when in != out (W has shape {W.shape})")
        return W, b, None
    V = np.asarray(V, dtype=np.float64)
    if V.shape != W.shape:
        raise ValueError(f"V must have the shape of W {W.shape}, got {V.shape}")
    if np.any(V < 0) or not np.allclose(V.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError("V must be row-stochastic (non-negative rows summing to 1)")
    return W, b, V


def input_box(
    pair: LegendrePair, n: int, box: tuple[ArrayLike, ArrayLike] | None
) -> tuple[np.ndarray, np.ndarray]:
    """The box of inputs as two (n,) arrays inside the closure of Iⁿ (None: Iⁿ itself)."""
    if box is None:
        return np.full(n, pair.lower), np.full(n, pair.upper)
    lo = np.broadcast_to(np.asarray(box[0], dtype=np.float64), (n,)).copy()
    hi = np.broadcast_to(np.asarray(box[1], dtype=np.float64), (n,)).copy()
    if np.any(lo > hi):
        raise ValueError("box lower ends must not exceed upper ends")
    c = pair
    if np.any(lo < c.lower) or np.any(hi > c.upper):
        raise ValueError(f"box must lie in the closure of I = ({c.lower:g}, {c.upper:g})")
    return lo, hi


def affine_range(
    W: np.ndarray, b: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Exact range [low, high] of Wx + b over the box [lo, hi] (interval arithmetic), rounded
    outwards by a dot-product error bound; infinite where a nonzero weight meets an infinite end."""
    with np.errstate(invalid="ignore"):
        a, c = W * lo[None, :], W * hi[None, :]
    a, c = np.where(W == 0, 0.0, a), np.where(W == 0, 0.0, c)
    low = np.minimum(a, c).sum(axis=1) + b
    high = np.maximum(a, c).sum(axis=1) + b
    scale = np.maximum(np.abs(a), np.abs(c)).sum(axis=1) + np.abs(b)
    slack = (W.shape[1] + 2) * np.finfo(np.float64).eps * scale
    return low - slack, high + slack


def layer_lipschitz_bound(
    W: ArrayLike,
    b: ArrayLike,
    pair: LegendrePair,
    box: tuple[ArrayLike, ArrayLike] | None = None,
    V: ArrayLike | None = None,
) -> LayerBound:
    """Certified Lip_B(T) ≤ max_i R_σ(Δ_i) ‖V‖₂ + L_σ ‖W‖₂ on the box B = [lo, hi] of inputs
    (default: the closure of Iⁿ), with Δ_i = sup_B |(Wx+b)_i| by interval arithmetic."""
    from bregmalib.symbolic import slope_ratio

    W, b, V = _arrays(W, b, V)
    lo, hi = input_box(pair, W.shape[1], box)
    low, high = affine_range(W, b, lo, hi)
    delta = np.maximum(np.abs(low), np.abs(high))
    ratio = slope_ratio(pair)
    r = ratio.numpy(delta)
    max_r = float(np.max(r)) * (1 + ROUNDING) if r.size else 1.0
    norm_v = 1.0 if V is None else float(np.linalg.norm(V, 2)) * (1 + ROUNDING)
    norm_w = float(np.linalg.norm(W, 2)) * (1 + ROUNDING)
    c = pair
    L = c.lipschitz
    ratio_term, weight_term = max_r * norm_v, L * norm_w
    assumptions = (
        f"x in the box [lo, hi] inside the closure of I^n, I = ({c.lower:g}, {c.upper:g})",
        "V = I" if V is None else "V row-stochastic, so Vx stays in I^n",
        "Delta_i = sup over the box of |(Wx+b)_i| by interval arithmetic, rounded outwards",
        f"R_sigma by bregmalib.symbolic.slope_ratio ({'exact' if ratio.exact else 'upper bound'}, "
        f"{ratio.status}); L_sigma = {L:g}",
        "l2 norms; spectral norms by SVD inflated by a relative 1e-12",
    )
    return LayerBound(
        upper=float(ratio_term + weight_term),
        ratio_term=float(ratio_term),
        weight_term=float(weight_term),
        delta=delta,
        max_slope_ratio=max_r,
        norm_v=norm_v,
        norm_w=norm_w,
        lipschitz_sigma=L,
        box=(lo, hi),
        slope_ratio_status=ratio.status,
        assumptions=assumptions,
    )


def layer_jacobian(
    W: ArrayLike, b: ArrayLike, pair: LegendrePair, x: ArrayLike, V: ArrayLike | None = None
) -> Array:
    """J(x) = diag(σ′(z)/σ′(u)) V + diag(σ′(z)) W, u = σ⁻¹(Vx), z = u + Wx + b."""
    W, b, x = jnp.asarray(W), jnp.asarray(b), jnp.asarray(x)
    y = x if V is None else jnp.asarray(V) @ x
    u = pair.inverse(y)
    z = u + W @ x + b
    skip = jnp.exp(pair.log_derivative(z) - pair.log_derivative(u))
    mix = jnp.eye(W.shape[0], dtype=W.dtype) if V is None else jnp.asarray(V)
    return skip[:, None] * mix + pair.derivative(z)[:, None] * W


def layer_jacobian_dual(W: ArrayLike, b: ArrayLike, pair: LegendrePair, u: ArrayLike) -> Array:
    """J at x = σ(u) for V = I, from dual coordinates: no σ⁻¹ of saturated values."""
    W, b, u = jnp.asarray(W), jnp.asarray(b), jnp.asarray(u)
    z = u + W @ pair.sigma(u) + b
    skip = jnp.exp(pair.log_derivative(z) - pair.log_derivative(u))
    return jnp.diag(skip) + jnp.exp(pair.log_derivative(z))[:, None] * W


def layer_output(
    W: ArrayLike, b: ArrayLike, pair: LegendrePair, x: ArrayLike, V: ArrayLike | None = None
) -> Array:
    """T(x) = σ(σ⁻¹(Vx) + Wx + b)."""
    W, b, x = jnp.asarray(W), jnp.asarray(b), jnp.asarray(x)
    y = x if V is None else jnp.asarray(V) @ x
    return pair.sigma(pair.inverse(y) + W @ x + b)


def dual_box(pair: LegendrePair, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """σ⁻¹ of the primal box, clipped to [-DUAL_CLIP, DUAL_CLIP] and to the dual domain."""
    with jax.enable_x64(True):
        ulo = np.asarray(pair.inverse(jnp.asarray(lo, dtype=jnp.float64)))
        uhi = np.asarray(pair.inverse(jnp.asarray(hi, dtype=jnp.float64)))
    dlo = max(pair.dual_lower, -DUAL_CLIP)
    dhi = min(pair.dual_upper, DUAL_CLIP)
    return np.clip(np.nan_to_num(ulo, nan=dlo), dlo, dhi), np.clip(
        np.nan_to_num(uhi, nan=dhi), dlo, dhi
    )


def spectral_norm_estimate(J: Array, v: Array, iterations: int = 3) -> tuple[Array, Array]:
    """(‖J v′‖, v′) for v′ the unit vector after ``iterations`` power steps on JᵀJ from ``v``
    (v′ held constant for the gradient): a lower bound of ‖J‖₂ whose gradient is the top
    singular pair's. Warm-started along the ascent, a few steps per point suffice."""
    for _ in range(iterations):
        w = J.T @ (J @ v)
        v = w / (jnp.linalg.norm(w) + 1e-300)
    v = jax.lax.stop_gradient(v)
    return jnp.linalg.norm(J @ v), v


@functools.lru_cache(maxsize=32)
def _ascent(pair: LegendrePair, mixed: bool, steps: int):
    """jit-compiled ascent of ‖J‖₂ over dual coordinates w ∈ [ulo, ulo + width] (x = σ(w)),
    vmapped over starts then over layers; ``mask`` zeroes padded rows and columns. The best
    point of each start is re-evaluated with an exact SVD."""

    def jac(y, W, b, V, ulo, width, mask):
        w = ulo + width * y
        if mixed:
            J = layer_jacobian(W, b, pair, pair.sigma(w), V)
        else:
            J = layer_jacobian_dual(W, b, pair, w)
        return jnp.where(jnp.isfinite(J), J, 0.0) * mask

    def norm(y, v, *layer):
        return spectral_norm_estimate(jac(y, *layer), v)

    grad = jax.value_and_grad(norm, has_aux=True)

    def one(y0, *layer):
        def step(carry, t):
            y, v_prev, m, s, best_y, best = carry
            (val, v), g = grad(y, v_prev, *layer)
            g = jnp.where(jnp.isfinite(g), g, 0.0)
            better = val > best
            best, best_y = jnp.where(better, val, best), jnp.where(better, y, best_y)
            m = 0.9 * m + 0.1 * g
            s = 0.999 * s + 0.001 * g**2
            m_hat, s_hat = m / (1 - 0.9 ** (t + 1)), s / (1 - 0.999 ** (t + 1))
            y = jnp.clip(y + 0.05 * m_hat / (jnp.sqrt(s_hat) + 1e-12), 0.0, 1.0)
            return (y, v, m, s, best_y, best), None

        z = jnp.zeros_like(y0)
        v0 = jnp.ones(layer[0].shape[1], dtype=y0.dtype) / jnp.sqrt(layer[0].shape[1])
        init = (y0, v0, z, z, y0, jnp.asarray(-jnp.inf, y0.dtype))
        (_, _, _, _, best_y, _), _ = jax.lax.scan(step, init, jnp.arange(steps))
        exact = jnp.linalg.svd(jac(best_y, *layer), compute_uv=False)[0]
        return exact, best_y

    starts = jax.vmap(one, in_axes=(0, None, None, None, None, None, None))
    return jax.jit(jax.vmap(starts))


def _starts(n_real: int, n: int, starts: int, rng: np.random.Generator) -> np.ndarray:
    corners = rng.integers(0, 2, size=(starts // 2, n)).astype(np.float64)
    centre = np.full((1, n), 0.5)
    y0 = np.concatenate([corners, centre, rng.uniform(size=(starts - starts // 2 - 1, n))])
    y0[:, n_real:] = 0.5
    return y0


def layer_lipschitz_lower_many(
    layers: list[tuple[ArrayLike, ArrayLike]],
    pair: LegendrePair,
    boxes: list[tuple[ArrayLike, ArrayLike] | None] | None = None,
    *,
    starts: int = 16,
    steps: int = 150,
    seed: int = 0,
) -> list[LayerLower]:
    """`layer_lipschitz_lower` for many square (V = I) layers at once: padded to the largest width,
    compiled once, vmapped over layers and starts."""
    if not layers:
        return []
    boxes = [None] * len(layers) if boxes is None else boxes
    arrays = [_arrays(W, b, None)[:2] for W, b in layers]
    n = max(W.shape[0] for W, _ in arrays)
    rng = np.random.default_rng(seed)
    primal = [input_box(pair, W.shape[0], box) for (W, _), box in zip(arrays, boxes, strict=True)]
    cuts = np.cumsum([W.shape[0] for W, _ in arrays])[:-1]
    ulo_all, uhi_all = dual_box(
        pair, np.concatenate([lo for lo, _ in primal]), np.concatenate([hi for _, hi in primal])
    )
    duals = zip(np.split(ulo_all, cuts), np.split(uhi_all, cuts), strict=True)
    Ws, bs, ulos, widths, masks, y0s = [], [], [], [], [], []
    for (W, b), (ulo, uhi) in zip(arrays, duals, strict=True):
        k = W.shape[0]
        Ws.append(np.pad(W, ((0, n - k), (0, n - k))))
        bs.append(np.pad(b, (0, n - k)))
        ulos.append(np.pad(ulo, (0, n - k)))
        widths.append(np.pad(uhi - ulo, (0, n - k)))
        m = np.zeros(n)
        m[:k] = 1.0
        masks.append(np.outer(m, m))
        y0s.append(_starts(k, n, starts, rng))
    with jax.enable_x64(True):
        run = _ascent(pair, False, steps)
        eye = jnp.broadcast_to(jnp.eye(n, dtype=jnp.float64), (len(layers), n, n))
        best, best_y = run(
            *(jnp.asarray(np.stack(a)) for a in (y0s, Ws, bs)),
            eye,
            *(jnp.asarray(np.stack(a)) for a in (ulos, widths, masks)),
        )
        best, best_y = np.asarray(best), np.asarray(best_y)
        us = []
        for j, (W, _) in enumerate(arrays):
            i = int(np.argmax(best[j]))
            us.append((float(best[j, i]), (ulos[j] + widths[j] * best_y[j, i])[: W.shape[0]]))
        xs = np.split(np.asarray(pair.sigma(jnp.asarray(np.concatenate([u for _, u in us])))), cuts)
    found = [LayerLower(value=v, x=x, u=u) for (v, u), x in zip(us, xs, strict=True)]
    return found


def layer_lipschitz_lower(
    W: ArrayLike,
    b: ArrayLike,
    pair: LegendrePair,
    box: tuple[ArrayLike, ArrayLike] | None = None,
    V: ArrayLike | None = None,
    *,
    starts: int = 16,
    steps: int = 150,
    seed: int = 0,
) -> LayerLower:
    """max ‖J(x)‖₂ found by multi-start projected Adam ascent in dual coordinates w = σ⁻¹(x) on
    the box (corners, the centre and random points as starts; power-iteration norm): a lower
    bound of Lip_B(T)."""
    if V is None:
        return layer_lipschitz_lower_many(
            [(W, b)], pair, [box], starts=starts, steps=steps, seed=seed
        )[0]
    W, b, V = _arrays(W, b, V)
    lo, hi = input_box(pair, W.shape[1], box)
    ulo, uhi = dual_box(pair, lo, hi)
    n = W.shape[1]
    y0 = _starts(n, n, starts, np.random.default_rng(seed))
    with jax.enable_x64(True):
        run = _ascent(pair, True, steps)
        args = (W, b, V, ulo, uhi - ulo, np.ones(W.shape))
        best, best_y = run(jnp.asarray(y0)[None], *(jnp.asarray(a)[None] for a in args))
        best, best_y = np.asarray(best)[0], np.asarray(best_y)[0]
        i = int(np.argmax(best))
        u = ulo + (uhi - ulo) * best_y[i]
        x = np.asarray(pair.sigma(jnp.asarray(u)))
    return LayerLower(value=float(best[i]), x=x, u=u)
