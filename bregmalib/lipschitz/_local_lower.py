"""Lower bounds of the local Lipschitz constant: ‖J(x)‖ at points of the region found by
projected gradient ascent.

On a convex region, Lip(f) = sup_x ‖J(x)‖ (in the region's norm), so the norm of the Jacobian
at any point of the region is a lower bound. The points come from the one ascent engine
(`bregmalib.lipschitz._lower.projected_ascent`): multi-start Adam ascent of log‖J(x)v‖_p/‖v‖_p
jointly in (x, v), x projected onto the region after every step (onto the ball, then clipped to
[lower, upper], which keeps it in the ball since the centre lies in the box); the bound is the
exact norm (SVD for ℓ₂, largest row ℓ₁ norm for ℓ∞) at the best points.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array

from bregmalib.lipschitz._local import LocalNorm, Region, _check_norm
from bregmalib.lipschitz._lower import log_gain, projected_ascent
from bregmalib.nn import Network, NetworkLike, as_network
from bregmalib.nn.functional import coordinates_from_input, network_jacobian

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


@functools.partial(jax.jit, static_argnames=("regions", "restarts", "n", "dtype"))
def _ascent_draws(
    key: Array, regions: int, restarts: int, n: int, dtype: Any
) -> tuple[Array, Array]:
    """The random inputs of `_ascend_batch`, per region: ``restarts`` offsets uniform on
    [−1, 1]ⁿ and ``restarts`` + 1 directions N(0, I). A program of its own, compiled once per
    shape and not again for every network."""

    def one(key: Array) -> tuple[Array, Array]:
        k1, k2 = jax.random.split(key)
        noise = jax.random.uniform(k1, (restarts, n), dtype, -1.0, 1.0)
        return noise, jax.random.normal(k2, (restarts + 1, n), dtype)

    return jax.vmap(one)(jax.random.split(key, regions))


@functools.partial(jax.jit, static_argnames=("dual", "lip", "steps"))
def _ascend_batch(
    net: Network,
    region: Bounds,
    draws: tuple[Array, Array],
    dual: int,
    lip: int,
    steps: int,
) -> Array:
    """For each region: the best ‖J‖ over its centre and the best points of `projected_ascent`
    of log‖J(x)v‖_p/‖v‖_p (p = 2 or ∞) from the centre and the random points x₀ + h·e (``draws``:
    offsets e and initial directions, `_ascent_draws`), x projected onto the region
    (`_project`), learning rate 5 % of the region's largest scale."""
    p = 2 if lip == 2 else jnp.inf

    def one(
        center: Array, scale: Array, lower: Array, upper: Array, noise: Array, directions: Array
    ) -> Array:
        bounds: Bounds = (center, scale, lower, upper)
        starts = jnp.concatenate(
            [center[None], jax.vmap(lambda e: _project(center + scale * e, bounds, dual))(noise)]
        )
        columns = jnp.ones_like(center)
        _, best, _ = projected_ascent(
            lambda x, v: log_gain(net, coordinates_from_input(net, x), v, columns, p),
            lambda x, v: (_project(x, bounds, dual), v),
            starts,
            directions,
            steps,
            0.05 * jnp.max(scale),
        )
        found = jax.vmap(lambda x: _jacobian_norm(net, x, lip))(
            jnp.concatenate([center[None], best])
        )
        return jnp.max(found)

    return jax.vmap(one)(*region, *draws)


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
    count, n = center.shape
    draws = _ascent_draws(key, count, restarts, n, arrays[0].dtype)
    values = _ascend_batch(net, arrays, draws, region.dual, lip, steps)
    return np.asarray(values, np.float64)
