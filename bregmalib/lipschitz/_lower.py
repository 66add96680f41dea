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
import functools
import time
from collections.abc import Callable
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
    gram_vector_product,
    input_from_coordinates,
    jacobian_vector_product,
    network_jacobian,
    network_output,
)

DENSE_WIDTH = 256
#: half-widths of the nested boxes (in ascent coordinates) searched on unbounded domains; the
#: widest reaches the tails where the slope ratios of a Bregman layer approach R_σ(Δ)
NESTED_SCALES = (2.0, 6.0, 30.0)
_TINY = 1e-300
#: the stand-in for ±∞ along an infinite side of the coordinate box (dual coordinates of inputs
#: at the ends of I): beyond every shift of a trained network, so that each slope ratio
#: σ′(u + δ)/σ′(u) there is its limit as u → ±∞, the edge value the supremum often is
FAR = 1000.0
#: coordinates tried at each sweep of the corner search, and sweeps
CORNER_MOVES = 16
CORNER_SWEEPS = 12
#: power-iteration steps of ‖J(x)‖ beyond `DENSE_WIDTH`
POWER_STEPS = 60


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


def _dense_norms(net: Network, points: Array, columns: Array) -> Array:
    def one(t: Array) -> Array:
        return jnp.linalg.norm(network_jacobian(net, t, columns=columns), ord=2)

    return jax.lax.map(one, points, batch_size=16)


def _power_gain(
    net: Network, t: Array, v: Array, columns: Array, iterations: int
) -> tuple[Array, Array]:
    """‖J(x)v‖ after ``iterations`` steps of power iteration on JᵀJ from v, and the final unit
    v: a lower bound of ‖J(x)‖ (−inf where it is not finite)."""

    def body(v: Array, _: None) -> tuple[Array, None]:
        v = gram_vector_product(net, t, v, columns=columns)[1]
        return v / (jnp.linalg.norm(v) + _TINY), None

    v, _ = jax.lax.scan(body, v / (jnp.linalg.norm(v) + _TINY), None, length=iterations)
    gain = jnp.linalg.norm(jacobian_vector_product(net, t, v, columns=columns))
    return jnp.where(jnp.isfinite(gain), gain, -jnp.inf), v


def _norms(
    net: Network, points: Array, columns: Array, key: Array, iterations: int = POWER_STEPS
) -> Array:
    """‖J(x)‖₂ at each row of ``points`` (−inf where not finite): exact (SVD) when every width
    is at most `DENSE_WIDTH`, else ``iterations`` steps of power iteration (a lower bound)."""
    if max(*net.widths, net.output_dim) <= DENSE_WIDTH:
        norms = _dense_norms(net, points, columns)
    else:
        start = jax.random.normal(key, points.shape, points.dtype)
        norms = jax.vmap(lambda t, v: _power_gain(net, t, v, columns, iterations)[0])(points, start)
    return jnp.where(jnp.isfinite(norms), norms, -jnp.inf)


@eqx.filter_jit
def _jitted_norms(
    net: Network, points: Array, columns: Array, key: Array, iterations: int
) -> Array:
    return _norms(net, points, columns, key, iterations)


def jacobian_norms(
    net: Network,
    points: Array,
    *,
    columns: Any = None,
    iterations: int = POWER_STEPS,
    key: Array | None = None,
) -> Array:
    """‖J(x)‖₂ at a batch of ascent coordinates (n_points, n): exact (SVD) when every width is at
    most 256, else power iteration on JᵀJ (each value ‖J(x)v‖, ‖v‖ = 1, is a lower bound);
    −inf where the value is not finite."""
    points = jnp.atleast_2d(jnp.asarray(points, net.head_weight.dtype))
    key = jax.random.key(0) if key is None else key
    return _jitted_norms(net, points, _mask(net, columns, points.dtype), key, iterations)


# ----- sharding


def shard_restarts(batch: Array) -> Array:
    """Place a batch of restarts across all devices along its first axis (no-op on one device or
    when the batch does not divide evenly); inside ``jit`` a sharding constraint."""
    devices = jax.devices()
    if len(devices) == 1 or batch.shape[0] % len(devices):
        return batch
    sharding = NamedSharding(Mesh(np.array(devices), ("restarts",)), PartitionSpec("restarts"))
    if isinstance(batch, jax.core.Tracer):
        return jax.lax.with_sharding_constraint(batch, sharding)
    return jax.device_put(batch, sharding)


# ----- starting points


def starting_points(
    net: Network, box: Box, restarts: int, key: Array, *, scale: float = 3.0
) -> Array:
    """`coordinate_starts` in the coordinate box of ``box``."""
    lo, hi = coordinate_box(net, box)
    dtype = net.head_weight.dtype
    return coordinate_starts(jnp.asarray(lo, dtype), jnp.asarray(hi, dtype), restarts, key, scale)


def coordinate_starts(lo: Array, hi: Array, restarts: int, key: Array, scale: float = 3.0) -> Array:
    """Ascent coordinates in [lo, hi]: uniform inside the finite part, normal with standard
    deviation ``scale``·(1/4, 1, 2) (cycling over restarts) along infinite sides, and for one
    restart in four a random corner (at ±4·``scale`` along infinite sides)."""
    k1, k2, k3 = jax.random.split(key, 3)
    shape = (restarts, lo.shape[0])
    uniform = jax.random.uniform(k1, shape, lo.dtype)
    spread = jnp.asarray([0.25, 1.0, 2.0], lo.dtype)[jnp.arange(restarts) % 3][:, None]
    normal = scale * spread * jax.random.normal(k2, shape, lo.dtype)
    finite = jnp.isfinite(lo) & jnp.isfinite(hi)
    lo_f, hi_f = jnp.where(finite, lo, 0.0), jnp.where(finite, hi, 1.0)
    inner = jnp.where(finite, lo_f + (hi_f - lo_f) * uniform, normal)
    corner_bits = jax.random.bernoulli(k3, 0.5, shape)
    low_end, high_end = corner_ends(lo, hi, 4.0 * scale)
    corner = jnp.where(corner_bits, high_end, low_end)
    is_corner = (jnp.arange(restarts) % 4 == 3)[:, None]
    return jnp.clip(jnp.where(is_corner, corner, inner), lo, hi)


def corner_ends(lo: Array, hi: Array, far: float = FAR) -> tuple[Array, Array]:
    """The ends of the coordinate box [lo, hi], with ±``far`` along infinite sides."""
    return jnp.where(jnp.isfinite(lo), lo, -far), jnp.where(jnp.isfinite(hi), hi, far)


# ----- ascent


def _log_norm(a: Array, p: float) -> Array:
    """log‖a‖_p for p = 2 or ∞, finite (log 1e-300) at a = 0."""
    if p == 2:
        return 0.5 * jnp.log(jnp.sum(a**2) + _TINY)
    return jnp.log(jnp.max(jnp.abs(a)) + _TINY)


def log_gain(net: Network, t: Array, v: Array, columns: Array, p: float = 2) -> Array:
    """log(‖J(x)v‖_p/‖v‖_p) at the input x with coordinates t, v restricted to ``columns``
    (p = 2 or ∞): sup over v is log‖J(x)‖_p, the quantity every Jacobian ascent climbs."""
    jv = jacobian_vector_product(net, t, v, columns=columns)
    return _log_norm(jv, p) - _log_norm(v * columns, p)


def _log_quotient(net: Network, t: Array, s: Array, columns: Array) -> Array:
    s = jnp.where(columns > 0, s, t)
    difference = network_output(net, t) - network_output(net, s)
    step = input_from_coordinates(net, t) - input_from_coordinates(net, s)
    return 0.5 * (jnp.log(jnp.sum(difference**2) + _TINY) - jnp.log(jnp.sum(step**2) + _TINY))


#: an objective of a pair of points (a, b), and the projection of (a, b) onto the feasible set
Objective = Callable[[Array, Array], Array]
Projection = Callable[[Array, Array], tuple[Array, Array]]


def projected_ascent(
    objective: Objective,
    project: Projection,
    first: Array,
    second: Array,
    steps: int,
    learning_rate: Array | float,
) -> tuple[Array, Array, Array]:
    """Projected Adam ascent of ``objective(a, b)`` from each row pair (a, b) of (``first``,
    ``second``), (a, b) ← ``project``(a, b) after every step (a clip to a box in ascent
    coordinates, or a ball around a centre); non-finite gradients count as 0. Returns the best
    (value, a, b) met along each path (value −inf where none was finite)."""
    optimiser = optax.adam(learning_rate)

    def single(a: Array, b: Array) -> tuple[Array, Array, Array]:
        def step(carry: Any, _: None) -> tuple[Any, None]:
            params, state, best = carry
            value, grads = jax.value_and_grad(lambda ab: objective(*ab))(params)
            grads = jax.tree_util.tree_map(lambda g: jnp.where(jnp.isfinite(g), g, 0.0), grads)
            better = jnp.isfinite(value) & (value > best[0])
            best = jax.tree_util.tree_map(
                lambda new, old: jnp.where(better, new, old), (value, *params), best
            )
            updates, state = optimiser.update(jax.tree_util.tree_map(jnp.negative, grads), state)
            params = project(*optax.apply_updates(params, updates))
            return (params, state, best), None

        params = (a, b)
        start = (jnp.asarray(-jnp.inf, a.dtype), a, b)
        (_, _, best), _ = jax.lax.scan(
            step, (params, optimiser.init(params), start), None, length=steps
        )
        return best

    return jax.vmap(single)(first, second)


def _power_step(net: Network, t: Array, v: Array, columns: Array) -> tuple[Array, Array]:
    """‖J(x)v‖ (−inf where not finite) and the next power-iteration direction JᵀJv/‖JᵀJv‖."""
    jv, back = gram_vector_product(net, t, v, columns=columns)
    gain = jnp.linalg.norm(jv)
    return jnp.where(jnp.isfinite(gain), gain, -jnp.inf), back / (jnp.linalg.norm(back) + _TINY)


def _corner_search(
    net: Network,
    points: Array,
    directions: Array,
    ends: tuple[Array, Array],
    columns: Array,
    offsets: Array,
) -> Array:
    """Greedy search over the ends of the coordinate box from each point: each of
    `CORNER_SWEEPS` sweeps tries `CORNER_MOVES` cyclically consecutive coordinates from a
    random one (a row of ``offsets``, `corner_offsets`), each set to either end (``ends``,
    ±`FAR` standing in for ±∞) and keeps the best of the current point, the best single move and
    all improving moves at once, scored by ‖J(x)v‖ with v the power-iteration direction carried
    along. Gradients vanish where inputs saturate, so ascent alone rarely gets there."""
    lo_end, hi_end = ends
    n = points.shape[1]
    moves = min(n, CORNER_MOVES)

    def sweep(carry: tuple[Array, Array, Array], offset: Array) -> tuple[Any, None]:
        t, v, value = carry
        index = (offset + jnp.arange(moves)) % n
        targets = jnp.concatenate([lo_end[index], hi_end[index]])
        hits = jnp.tile(index, 2)[:, None] == jnp.arange(n)[None, :]
        tried = jnp.where(hits, targets[:, None], t[None, :])
        values, vs = jax.vmap(lambda s: _power_step(net, s, v, columns))(tried)
        upward = values[moves:] >= values[:moves]
        gains = jnp.maximum(values[:moves], values[moves:])
        chosen = jnp.where(upward, hi_end[index], lo_end[index])
        moved = jnp.zeros(n, bool).at[index].set(gains > value)
        combined = jnp.where(moved, jnp.zeros(n, t.dtype).at[index].set(chosen), t)
        combined_value, combined_v = _power_step(net, combined, v, columns)
        i = jnp.argmax(values)
        options = jnp.stack([value, values[i], combined_value])
        j = jnp.argmax(options)
        t = jnp.stack([t, tried[i], combined])[j]
        v = jnp.stack([v, vs[i], combined_v])[j]
        return (t, v, options[j]), None

    def single(t: Array, v: Array, offsets: Array) -> Array:
        value, v = _power_step(net, t, v / (jnp.linalg.norm(v) + _TINY), columns)
        (t, _, _), _ = jax.lax.scan(sweep, (t, v, value), offsets)
        return t

    return jax.vmap(single)(points, directions, offsets)


def corner_offsets(key: Array, restarts: int, n: int) -> Array:
    """The first coordinate each sweep of `_corner_search` tries, per restart: uniform on
    {0, …, n − 1}, shape (restarts, `CORNER_SWEEPS`)."""
    return jax.random.randint(key, (restarts, CORNER_SWEEPS), 0, n)


@functools.partial(jax.jit, static_argnames="restarts")
def _jacobian_draws(
    lo: Array, hi: Array, key: Array, restarts: int
) -> tuple[Array, Array, Array, Array]:
    """The random inputs of `_jacobian_search`: starts (`coordinate_starts`), directions
    N(0, I), corner offsets and the key of power iteration. Drawn in a program of their own, so
    that it is compiled once per input width and not again for every network."""
    k1, k2, k3, k4 = jax.random.split(key, 4)
    points = coordinate_starts(lo, hi, restarts, k1)
    directions = jax.random.normal(k2, points.shape, points.dtype)
    return points, directions, corner_offsets(k3, restarts, lo.shape[0]), k4


@eqx.filter_jit
def _jacobian_search(
    net: Network,
    lo: Array,
    hi: Array,
    columns: Array,
    draws: tuple[Array, Array, Array, Array],
    steps: int,
    learning_rate: Array,
) -> tuple[Array, Array]:
    """Candidates of the Jacobian ascent in [lo, hi] (ascent coordinates) from the random inputs
    ``draws`` (`_jacobian_draws`): the starts, the best points of the ascent and the corner search
    from them; their primal inputs and ‖J‖ there."""
    starts, initial_directions, offsets, power_key = draws
    points = shard_restarts(starts)
    directions = shard_restarts(initial_directions)
    _, best_t, best_v = projected_ascent(
        lambda t, v: log_gain(net, t, v, columns),
        lambda t, v: (jnp.clip(t, lo, hi), v),
        points,
        directions,
        steps,
        learning_rate,
    )
    cornered = _corner_search(net, best_t, best_v, corner_ends(lo, hi), columns, offsets)
    candidates = jnp.concatenate([best_t, cornered, points])
    inputs = jax.vmap(lambda t: input_from_coordinates(net, t))(candidates)
    return inputs, _norms(net, candidates, columns, power_key)


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
    """Multi-start Adam ascent of log‖J(x)v‖/‖v‖ over (x, v), x in the box in ascent coordinates,
    then a greedy search over the box's ends (`_corner_search`: at ±`FAR` along infinite sides,
    where the slope ratios of a Bregman network take their limits as u → ±∞); the value is the
    exact (or power-iteration) ‖J‖ at the best point found."""
    lo, hi = coordinate_box(net, box)
    return _coordinate_ascent(
        net,
        lo,
        hi,
        restarts=restarts,
        steps=steps,
        learning_rate=learning_rate,
        columns=columns,
        key=key,
    )


def _coordinate_ascent(
    net: Network,
    lo: np.ndarray,
    hi: np.ndarray,
    *,
    restarts: int,
    steps: int,
    learning_rate: float,
    columns: Any,
    key: Array | None,
) -> LowerBound:
    start_time = time.perf_counter()
    key = jax.random.key(0) if key is None else key
    dtype = net.head_weight.dtype
    lo_array, hi_array = jnp.asarray(lo, dtype), jnp.asarray(hi, dtype)
    inputs, found = _jacobian_search(
        net,
        lo_array,
        hi_array,
        _mask(net, columns, dtype),
        _jacobian_draws(lo_array, hi_array, key, restarts),
        steps,
        jnp.asarray(learning_rate, dtype),
    )
    norms = np.asarray(found, np.float64)
    i = int(np.argmax(norms))
    point = np.asarray(inputs[i], np.float64)
    return LowerBound(float(norms[i]), "jacobian-ascent", point, time.perf_counter() - start_time)


@eqx.filter_jit
def _pair_search(
    net: Network,
    lo: Array,
    hi: Array,
    columns: Array,
    starts: tuple[Array, Array],
    steps: int,
    learning_rate: Array,
) -> tuple[Array, Array, Array, Array]:
    """Pair ascent in [lo, hi] from the pairs ``starts`` (`_pair_draws`): the best pairs' inputs
    x, y and outputs f(x), f(y)."""
    first, second = starts
    _, a, b = projected_ascent(
        lambda a, b: _log_quotient(net, a, b, columns),
        lambda a, b: (jnp.clip(a, lo, hi), jnp.clip(b, lo, hi)),
        shard_restarts(first),
        shard_restarts(second),
        steps,
        learning_rate,
    )
    b = jnp.where(columns > 0, b, a)
    inputs = jax.vmap(lambda t: input_from_coordinates(net, t))
    outputs = jax.vmap(lambda t: network_output(net, t))
    return inputs(a), inputs(b), outputs(a), outputs(b)


@functools.partial(jax.jit, static_argnames="restarts")
def _pair_draws(lo: Array, hi: Array, key: Array, restarts: int) -> tuple[Array, Array]:
    """The starting pairs of `_pair_search`: a = `coordinate_starts`, b = a + N(0, I/4) clipped to
    [lo, hi]; a program of its own (see `_jacobian_draws`)."""
    k1, k2 = jax.random.split(key)
    first = coordinate_starts(lo, hi, restarts, k1)
    second = jnp.clip(first + 0.5 * jax.random.normal(k2, first.shape, first.dtype), lo, hi)
    return first, second


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
    coordinates); the value is the best quotient, its norms taken in float64."""
    start_time = time.perf_counter()
    key = jax.random.key(1) if key is None else key
    lo, hi = coordinate_box(net, box)
    dtype = net.head_weight.dtype
    lo_array, hi_array = jnp.asarray(lo, dtype), jnp.asarray(hi, dtype)
    x, y, fx, fy = (
        np.asarray(a, np.float64)
        for a in _pair_search(
            net,
            lo_array,
            hi_array,
            _mask(net, columns, dtype),
            _pair_draws(lo_array, hi_array, key, restarts),
            steps,
            jnp.asarray(learning_rate, dtype),
        )
    )
    quotients = _quotients(x, y, fx, fy)
    i = int(np.argmax(quotients))
    return LowerBound(float(quotients[i]), "pair-ascent", x[i], time.perf_counter() - start_time)


def _quotients(x: np.ndarray, y: np.ndarray, fx: np.ndarray, fy: np.ndarray) -> np.ndarray:
    """‖f(x) − f(y)‖/‖x − y‖ for rows, −inf where ‖x − y‖ is too small (below
    1e-6·max(1, ‖x‖)) for the quotient to be free of rounding noise."""
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
    """Jacobian ascent (with its corner search) and pair ascent, by method name, for ``model``
    (a `Network`, kept in its dtype, or a model `as_network` converts; a `Layer` is a depth-1
    network) on ``domain`` (see `make_box`; None: the natural domain); on a domain that is
    unbounded in ascent coordinates also Jacobian ascent on the nested boxes |t| ≤ s, s in
    `NESTED_SCALES` (projected ascent sticks to their corners and edges, which unconstrained
    ascent rarely visits)."""
    net = model if isinstance(model, Network) else as_network(model)
    box = make_box(net, domain)
    key = jax.random.key(0) if key is None else key
    k1, k2, k3 = jax.random.split(key, 3)
    options: dict[str, Any] = dict(restarts=restarts, steps=steps, columns=columns)
    found = {
        "jacobian-ascent": ascend_jacobian(net, box, key=k1, **options),
        "pair-ascent": ascend_pairs(net, box, key=k2, **options),
    }
    lo, hi = coordinate_box(net, box)
    if np.all(np.isfinite(lo)) and np.all(np.isfinite(hi)):
        return found
    for scale, k in zip(NESTED_SCALES, jax.random.split(k3, len(NESTED_SCALES)), strict=True):
        nested = _coordinate_ascent(
            net,
            np.maximum(lo, -scale),
            np.minimum(hi, scale),
            learning_rate=0.05,
            key=k,
            **options,
        )
        name = f"jacobian-ascent |t|<={scale:g}"
        found[name] = dataclasses.replace(nested, method=name)
    return found


def best_lower(lowers: dict[str, LowerBound]) -> LowerBound:
    """The largest of several lower bounds."""
    return max(lowers.values(), key=lambda b: b.value)
