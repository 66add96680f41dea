"""Lower bounds of the local Lipschitz constant: ‖J(x)‖ at points of the region found by
projected gradient ascent.

On a convex region, Lip(f) = sup_x ‖J(x)‖ (in the region's norm), so the norm of the Jacobian
at any point of the region is a lower bound. The points come from multi-start Adam ascent of
log‖J(x)v‖_p/‖v‖_p jointly in (x, v), x projected onto the region after every step (onto the
ball, then clipped to [lower, upper], which keeps it in the ball since the centre lies in the
box); the bound is the exact norm (SVD for ℓ₂, largest row ℓ₁ norm for ℓ∞) at the best point.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import Array

from bregmalib.lipschitz._local import LocalNorm, Region, _check_norm
from bregmalib.nn import Network, NetworkLike, as_network
from bregmalib.nn.functional import (
    coordinates_from_input,
    jacobian_vector_product,
    network_jacobian,
)

#: the ascent's points stay this fraction of the interval's width inside its ends (σ⁻¹ finite)
_INSIDE = 1e-9
#: one region as arrays (centre x₀, scale h, lower, upper)
Bounds = tuple[Array, Array, Array, Array]


def _project(x: Array, bounds: Bounds, dual: int) -> Array:
    """A point of {‖(x − x₀)/h‖_p ≤ 1} ∩ [lower, upper]: the ball projection, then clipping."""
    center, scale, lower, upper = bounds
    v = (x - center) / scale
    if dual == 2:
        v = v / jnp.maximum(1.0, jnp.linalg.norm(v))
    else:
        v = jnp.clip(v, -1.0, 1.0)
    return jnp.clip(center + scale * v, lower, upper)


def _jacobian_norm(net: Network, x: Array, lip: int) -> Array:
    """‖J(x)‖₂ (``lip`` = 2) or ‖J(x)‖_{∞→∞} (``lip`` = 1)."""
    jac = network_jacobian(net, coordinates_from_input(net, x))
    if lip == 2:
        return jnp.linalg.norm(jac, ord=2)
    return jnp.max(jnp.sum(jnp.abs(jac), axis=1))


def _ascend_one(
    net: Network,
    start: Array,
    region: Bounds,
    dual: int,
    lip: int,
    steps: int,
    key: Array,
) -> Array:
    """‖J‖ at the end of one projected ascent run from ``start``."""
    p = 2 if lip == 2 else jnp.inf
    v0 = jax.random.normal(key, start.shape, start.dtype)
    optimizer = optax.adam(0.05 * jnp.max(region[1]))

    def gain(x: Array, v: Array) -> Array:
        jv = jacobian_vector_product(net, coordinates_from_input(net, x), v)
        return jnp.log(jnp.linalg.norm(jv, ord=p) + 1e-300) - jnp.log(jnp.linalg.norm(v, ord=p))

    def step(carry: tuple[Array, Array, optax.OptState], _: None) -> tuple[tuple, None]:
        x, v, state = carry
        grads = jax.grad(lambda xv: -gain(*xv))((x, v))
        updates, state = optimizer.update(grads, state)
        x_new, v_new = optax.apply_updates((x, v), updates)
        return (_project(x_new, region, dual), v_new, state), None

    state = optimizer.init((start, v0))
    (x, _, _), _ = jax.lax.scan(step, (start, v0, state), None, length=steps)
    return _jacobian_norm(net, x, lip)


@functools.partial(jax.jit, static_argnames=("dual", "lip", "restarts", "steps"))
def _ascend_batch(
    net: Network,
    region: Bounds,
    key: Array,
    dual: int,
    lip: int,
    restarts: int,
    steps: int,
) -> Array:
    def one(center: Array, scale: Array, lower: Array, upper: Array, key: Array) -> Array:
        bounds: Bounds = (center, scale, lower, upper)
        noise = jax.random.uniform(key, (restarts, center.shape[0]), center.dtype, -1.0, 1.0)
        starts = jnp.concatenate(
            [center[None], jax.vmap(lambda e: _project(center + scale * e, bounds, dual))(noise)]
        )
        keys = jax.random.split(key, restarts + 1)
        ascend = jax.vmap(lambda s, k: _ascend_one(net, s, bounds, dual, lip, steps, k))
        return jnp.maximum(jnp.max(ascend(starts, keys)), _jacobian_norm(net, center, lip))

    keys = jax.random.split(key, region[0].shape[0])
    return jax.vmap(one)(*region, keys)


def _inner_ends(net: Network, region: Region) -> tuple[np.ndarray, np.ndarray]:
    """[lower, upper] moved `_INSIDE` of the interval's width inside the ends of I."""
    if not net.dual_input:
        return region.lower, region.upper
    lo, hi = net.pair.lower, net.pair.upper
    width = hi - lo if np.isfinite(hi - lo) else 1.0
    return (
        np.maximum(region.lower, lo + _INSIDE * width),
        np.minimum(region.upper, hi - _INSIDE * width),
    )


def region_lower(
    model: NetworkLike,
    region: Region,
    norm: LocalNorm = "l2",
    *,
    restarts: int = 4,
    steps: int = 50,
    key: Array | None = None,
) -> np.ndarray:
    """Lower bounds of sup ‖J(x)‖ (ℓ₂ operator norm or ‖·‖_{∞→∞}) over each region: the best
    ‖J‖ over the centre and ``restarts`` projected ascent runs of ``steps`` steps."""
    norm = _check_norm(norm)
    net = as_network(model, dtype=jnp.float64)
    key = jax.random.key(0) if key is None else key
    lower, upper = _inner_ends(net, region)
    center = np.clip(region.center, lower, upper)
    arrays: Bounds = (
        jnp.asarray(center),
        jnp.asarray(region.scale),
        jnp.asarray(lower),
        jnp.asarray(upper),
    )
    lip = 2 if norm == "l2" else 1
    values = _ascend_batch(net, arrays, key, region.dual, lip, restarts, steps)
    return np.asarray(values, np.float64)
