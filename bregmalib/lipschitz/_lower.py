"""Lower bounds on the Lipschitz constant: Jacobian norms at points found by gradient ascent.

For a convex domain with nonempty interior, Lip(f) = sup‖J(x)‖₂, so ‖J(x)v‖ for any point x
of the domain and any unit v is a lower bound. ‖J(x)‖ is computed exactly (SVD) up to width
256 and otherwise by power iteration on JᵀJ with ``jax.jvp``/``jax.vjp``, never forming J.
The points are found by multi-start Adam ascent of log‖J(x)v‖/‖v‖ jointly in (x, v), in dual
coordinates x = σ(t) for inputs in Iⁿ (so that the edges of I, where the supremum of a
Bregman network often lies, are reached as t → ±∞), and by ascent of ‖f(x) − f(y)‖/‖x − y‖
over pairs. Restarts are vmapped and sharded over the available devices.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import Array
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from bregmalib.lipschitz._domain import Box, coordinate_box, make_box
from bregmalib.nn import Network, NetworkLike, as_network
from bregmalib.nn.functional import (
    input_from_coordinates,
    jacobian_vector_product,
    network_jacobian,
    network_output,
    vector_jacobian_product,
)

DENSE_WIDTH = 256
#: half-widths of the nested boxes (in ascent coordinates) searched on unbounded domains; the
#: widest reaches the tails where the slope ratios of a Bregman layer approach R_σ(Δ)
NESTED_SCALES = (2.0, 6.0, 30.0)
#: the Adam step in a nested box, as a fraction of its width (a step of 0.05 in coordinates
#: normalised to [0, 1], so that a wide box is crossed in tens of steps)
NESTED_STEP = 0.05
_TINY = 1e-300


@dataclasses.dataclass(frozen=True)
class LowerBound:
    """A lower bound: ‖J(x)v‖ (or a difference quotient) attained at ``point`` (primal)."""

    value: float
    method: str
    point: np.ndarray
    seconds: float


# ----- the norm of the Jacobian at a point


def _mask(net: Network, columns: Any, dtype: Any) -> Array:
    if columns is None:
        return jnp.ones(net.input_dim, dtype)
    return jnp.asarray(columns, dtype)


@eqx.filter_jit
def _dense_norms(net: Network, points: Array, columns: Array) -> Array:
    def one(t: Array) -> Array:
        return jnp.linalg.norm(network_jacobian(net, t, columns=columns), ord=2)

    return jax.lax.map(one, points, batch_size=16)


@eqx.filter_jit
def _power_norms(
    net: Network, points: Array, start: Array, columns: Array, iterations: int
) -> Array:
    def one(t: Array, v: Array) -> Array:
        def body(v: Array, _: None) -> tuple[Array, None]:
            w = jacobian_vector_product(net, t, v, columns=columns)
            v = vector_jacobian_product(net, t, w, columns=columns)
            return v / (jnp.linalg.norm(v) + _TINY), None

        v, _ = jax.lax.scan(body, v / jnp.linalg.norm(v), None, length=iterations)
        return jnp.linalg.norm(jacobian_vector_product(net, t, v, columns=columns))

    return jax.vmap(one)(points, start)


def jacobian_norms(
    net: Network,
    points: Array,
    *,
    columns: Any = None,
    iterations: int = 60,
    key: Array | None = None,
) -> Array:
    """‖J(x)‖₂ at a batch of ascent coordinates (n_points, n): exact (SVD) when every width is at
    most 256, else power iteration on JᵀJ (each value ‖J(x)v‖, ‖v‖ = 1, is a lower bound)."""
    points = jnp.atleast_2d(jnp.asarray(points, net.head_weight.dtype))
    mask = _mask(net, columns, points.dtype)
    if max(*net.widths, net.output_dim) <= DENSE_WIDTH:
        return _dense_norms(net, points, mask)
    key = jax.random.key(0) if key is None else key
    start = jax.random.normal(key, points.shape, points.dtype)
    return _power_norms(net, points, start, mask, iterations)


# ----- sharding


def shard_restarts(batch: Array) -> Array:
    """Place a batch of restarts across all devices along its first axis (no-op on one device or
    when the batch does not divide evenly)."""
    devices = jax.devices()
    if len(devices) == 1 or batch.shape[0] % len(devices):
        return batch
    mesh = Mesh(np.array(devices), ("restarts",))
    return jax.device_put(batch, NamedSharding(mesh, PartitionSpec("restarts")))


# ----- starting points


def starting_points(
    net: Network, box: Box, restarts: int, key: Array, *, scale: float = 3.0
) -> Array:
    """Ascent coordinates: uniform inside the finite part of the coordinate box, normal with
    standard deviation ``scale``·(1/4, 1, 2) (cycling over restarts) along infinite sides, and
    for one restart in four a random corner (at ±4·scale along infinite sides, where the edge
    limits of Bregman networks live)."""
    lo, hi = coordinate_box(net, box)
    dtype = net.head_weight.dtype
    k1, k2, k3 = jax.random.split(key, 3)
    shape = (restarts, net.input_dim)
    uniform = jax.random.uniform(k1, shape, dtype)
    spread = jnp.asarray([0.25, 1.0, 2.0], dtype)[jnp.arange(restarts) % 3][:, None]
    normal = scale * spread * jax.random.normal(k2, shape, dtype)
    finite = np.isfinite(lo) & np.isfinite(hi)
    lo_f, hi_f = np.where(finite, lo, 0.0), np.where(finite, hi, 1.0)
    inner = jnp.where(finite, lo_f + (hi_f - lo_f) * uniform, normal)
    corner_bits = jax.random.bernoulli(k3, 0.5, shape)
    far = 4.0 * scale
    corner = jnp.where(
        corner_bits, jnp.where(np.isfinite(hi), hi, far), jnp.where(np.isfinite(lo), lo, -far)
    )
    is_corner = (jnp.arange(restarts) % 4 == 3)[:, None]
    points = jnp.where(is_corner, corner, inner)
    return jnp.clip(points, lo, hi).astype(dtype)


# ----- ascent


def _log_gain(net: Network, t: Array, v: Array, columns: Array) -> Array:
    jv = jacobian_vector_product(net, t, v, columns=columns)
    return 0.5 * (jnp.log(jnp.sum(jv**2) + _TINY) - jnp.log(jnp.sum((v * columns) ** 2) + _TINY))


def _log_quotient(net: Network, t: Array, s: Array, columns: Array) -> Array:
    s = jnp.where(columns > 0, s, t)
    difference = network_output(net, t) - network_output(net, s)
    step = input_from_coordinates(net, t) - input_from_coordinates(net, s)
    return 0.5 * (jnp.log(jnp.sum(difference**2) + _TINY) - jnp.log(jnp.sum(step**2) + _TINY))


@eqx.filter_jit
def _ascend(
    net: Network,
    objective: Any,
    first: Array,
    second: Array,
    bounds: tuple[Array, Array, Array, Array],
    columns: Array,
    steps: int,
    learning_rate: Array,
) -> tuple[Array, Array, Array]:
    optimiser = optax.adam(learning_rate)
    lo1, hi1, lo2, hi2 = bounds

    def single(a: Array, b: Array) -> tuple[Array, Array, Array]:
        def loss(params: tuple[Array, Array]) -> Array:
            return -objective(net, params[0], params[1], columns)

        def step(carry: Any, _: None) -> tuple[Any, None]:
            params, state, best = carry
            value, grads = jax.value_and_grad(loss)(params)
            grads = jax.tree_util.tree_map(lambda g: jnp.where(jnp.isfinite(g), g, 0.0), grads)
            better = jnp.isfinite(value) & (-value > best[0])
            best = jax.tree_util.tree_map(
                lambda new, old: jnp.where(better, new, old), (-value, *params), best
            )
            updates, state = optimiser.update(grads, state)
            a, b = optax.apply_updates(params, updates)
            params = (jnp.clip(a, lo1, hi1), jnp.clip(b, lo2, hi2))
            return (params, state, best), None

        params = (a, b)
        start = (jnp.asarray(-jnp.inf, a.dtype), a, b)
        (_, _, best), _ = jax.lax.scan(
            step, (params, optimiser.init(params), start), None, length=steps
        )
        return best

    return jax.vmap(single)(first, second)


def ascend_jacobian(
    net: Network,
    box: Box,
    *,
    restarts: int = 16,
    steps: int = 200,
    learning_rate: float = 0.05,
    columns: Any = None,
    key: Array | None = None,
) -> LowerBound:
    """Multi-start Adam ascent of log‖J(x)v‖/‖v‖ over (x, v), x in the box in ascent coordinates;
    the value is the exact (or power-iteration) ‖J‖ at the best point found."""
    start_time = time.perf_counter()
    key = jax.random.key(0) if key is None else key
    k1, k2 = jax.random.split(key)
    lo, hi = coordinate_box(net, box)
    dtype = net.head_weight.dtype
    mask = _mask(net, columns, dtype)
    points = shard_restarts(starting_points(net, box, restarts, k1))
    directions = shard_restarts(jax.random.normal(k2, points.shape, dtype))
    inf = jnp.full(net.input_dim, jnp.inf, dtype)
    bounds = (jnp.asarray(lo, dtype), jnp.asarray(hi, dtype), -inf, inf)
    rate = jnp.asarray(learning_rate, dtype)
    _, best_t, _ = _ascend(net, _log_gain, points, directions, bounds, mask, steps, rate)
    candidates = jnp.concatenate([best_t, points])
    edges = edge_points(best_t, lo, hi, jax.random.fold_in(key, 1))
    candidates = jnp.concatenate([candidates, edges])
    norms = np.concatenate(
        [
            np.asarray(jacobian_norms(net, c, columns=columns), np.float64)
            for c in (candidates[: 2 * restarts], candidates[2 * restarts :])
        ]
    )
    norms = np.where(np.isfinite(norms), norms, -np.inf)
    i = int(np.argmax(norms))
    point = np.asarray(input_from_coordinates(net, candidates[i]))
    return LowerBound(float(norms[i]), "jacobian-ascent", point, time.perf_counter() - start_time)


def edge_points(
    points: Array, lo: np.ndarray, hi: np.ndarray, key: Array, far: float = 40.0
) -> Array:
    """Two variants of each point with a random third of its coordinates pushed to an end of the
    coordinate box (to ±``far`` along infinite sides): the slope ratios σ′(u+δ)/σ′(u) of a Bregman
    network approach their suprema R_σ(Δ) there (as limits |u| → ∞) and gradient ascent stalls."""
    k1, k2 = jax.random.split(key)
    doubled = jnp.concatenate([points, points])
    pushed = jax.random.bernoulli(k1, 1 / 3, doubled.shape)
    upward = jax.random.bernoulli(k2, 0.5, doubled.shape)
    top = jnp.where(np.isfinite(hi), hi, far).astype(points.dtype)
    bottom = jnp.where(np.isfinite(lo), lo, -far).astype(points.dtype)
    return jnp.where(pushed, jnp.where(upward, top, bottom), doubled)


def ascend_pairs(
    net: Network,
    box: Box,
    *,
    restarts: int = 16,
    steps: int = 200,
    learning_rate: float = 0.05,
    columns: Any = None,
    key: Array | None = None,
) -> LowerBound:
    """Multi-start Adam ascent of ‖f(x) − f(y)‖/‖x − y‖ over pairs in the box (ascent
    coordinates); the value is the best quotient, evaluated again in float64 arithmetic."""
    start_time = time.perf_counter()
    key = jax.random.key(1) if key is None else key
    k1, k2 = jax.random.split(key)
    lo, hi = coordinate_box(net, box)
    dtype = net.head_weight.dtype
    mask = _mask(net, columns, dtype)
    first = starting_points(net, box, restarts, k1)
    second = jnp.clip(first + 0.5 * jax.random.normal(k2, first.shape, dtype), lo, hi)
    lo_a, hi_a = jnp.asarray(lo, dtype), jnp.asarray(hi, dtype)
    _, a, b = _ascend(
        net,
        _log_quotient,
        shard_restarts(first),
        shard_restarts(second),
        (lo_a, hi_a, lo_a, hi_a),
        mask,
        steps,
        jnp.asarray(learning_rate, dtype),
    )
    quotients = _quotients(net, a, jnp.where(mask > 0, b, a))
    i = int(np.argmax(quotients))
    point = np.asarray(input_from_coordinates(net, a[i]))
    return LowerBound(float(quotients[i]), "pair-ascent", point, time.perf_counter() - start_time)


def _quotients(net: Network, a: Array, b: Array) -> np.ndarray:
    """‖f(x) − f(y)‖/‖x − y‖ for rows of coordinates, −inf where ‖x − y‖ is too small
    (below 1e-6·max(1, ‖x‖)) for the quotient to be free of rounding noise."""
    x = np.asarray(jax.vmap(lambda t: input_from_coordinates(net, t))(a), np.float64)
    y = np.asarray(jax.vmap(lambda t: input_from_coordinates(net, t))(b), np.float64)
    fx = np.asarray(jax.vmap(lambda t: network_output(net, t))(a), np.float64)
    fy = np.asarray(jax.vmap(lambda t: network_output(net, t))(b), np.float64)
    step = np.linalg.norm(x - y, axis=1)
    enough = step > 1e-6 * np.maximum(1.0, np.linalg.norm(x, axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        quotient = np.linalg.norm(fx - fy, axis=1) / step
    return np.where(enough & np.isfinite(quotient), quotient, -np.inf)


def lower_bounds(
    model: NetworkLike,
    domain: Box | tuple[Any, Any] | None = None,
    *,
    restarts: int = 16,
    steps: int = 200,
    columns: Any = None,
    key: Array | None = None,
) -> dict[str, LowerBound]:
    """Jacobian ascent and pair ascent, by method name, for ``model`` (a `Network`, kept in its
    dtype, or a model `as_network` converts; a `Layer` is a depth-1 network) on ``domain``
    (see `make_box`; None: the natural domain); on a domain that is unbounded in ascent
    coordinates also Jacobian ascent on the nested boxes |t| ≤ s, s in `NESTED_SCALES`, with
    steps of `NESTED_STEP`·2s (projected ascent sticks to their corners and edges, which
    unconstrained ascent rarely visits)."""
    net = model if isinstance(model, Network) else as_network(model)
    box = make_box(net, domain)
    key = jax.random.key(0) if key is None else key
    k1, k2, k3 = jax.random.split(key, 3)
    options = dict(restarts=restarts, steps=steps, columns=columns)
    found = {
        "jacobian-ascent": ascend_jacobian(net, box, key=k1, **options),
        "pair-ascent": ascend_pairs(net, box, key=k2, **options),
    }
    lo, hi = coordinate_box(net, box)
    if np.all(np.isfinite(lo)) and np.all(np.isfinite(hi)):
        return found
    for scale, k in zip(NESTED_SCALES, jax.random.split(k3, len(NESTED_SCALES)), strict=True):
        t_lo, t_hi = np.maximum(lo, -scale), np.minimum(hi, scale)
        inner = Box(
            *(np.asarray(input_from_coordinates(net, jnp.asarray(t))) for t in (t_lo, t_hi))
        )
        nested = ascend_jacobian(net, inner, key=k, **options)
        found[f"jacobian-ascent |t|<={scale:g}"] = dataclasses.replace(
            nested, method=f"jacobian-ascent |t|<={scale:g}"
        )
    return found


def best_lower(lowers: dict[str, LowerBound]) -> LowerBound:
    """The largest of several lower bounds."""
    return max(lowers.values(), key=lambda b: b.value)
