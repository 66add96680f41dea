"""No upper bound is ever unsound and none ever crashes: over every pair × version × mixing
(identity, square V, non-square V) × domain (global, box) × dtype, every upper-bound method
returns a value at least a lower bound computed here, independently of the library's
lower-bound code, or +∞ with a reason. Lower bound: ‖J(x)‖₂ at sampled points and after a few
hill-climbing ascent steps (J by jax.jacfwd of the network's forward), and difference quotients
‖f(x) − f(y)‖/‖x − y‖ over sampled pairs, all in float64 on the network's exact weights.
On random boxes, every upper bound, global and local (and branch and bound's), is also at least
every lower bound the library computes, global and local."""

import itertools
import math
import zlib
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _networks import random_network
from hypothesis import given, settings
from hypothesis import strategies as st

from bregmalib import legendre
from bregmalib.lipschitz import box_lipschitz, box_region, branch_and_bound, local_lower
from bregmalib.lipschitz._domain import make_box
from bregmalib.lipschitz._lower import lower_bounds
from bregmalib.lipschitz._upper import upper_bounds
from bregmalib.nn import functional as F

#: the float64 rounding of the lower bound itself (a float32 rounding would be ~1e-7)
LOWER_SLACK = 1e-9
#: ascent coordinates are searched within ±FAR where the domain is unbounded
FAR = 6.0


def _coordinate_box(net, box) -> tuple[np.ndarray, np.ndarray]:
    """The box in input coordinates t (x = σ(t) for inputs in Iⁿ), clipped to ±FAR."""
    lo, hi = np.asarray(box.lower), np.asarray(box.upper)
    if net.dual_input:
        with np.errstate(divide="ignore", invalid="ignore"):
            lo = np.asarray(net.pair.inverse(jnp.asarray(lo)))
            hi = np.asarray(net.pair.inverse(jnp.asarray(hi)))
        lo = np.where(np.isnan(lo), -FAR, lo)
        hi = np.where(np.isnan(hi), FAR, hi)
        if not net.pair.legendre:
            lo, hi = np.maximum(lo, net.pair.dual_lower), np.minimum(hi, net.pair.dual_upper)
    lo, hi = np.clip(lo, -FAR, FAR), np.clip(hi, -FAR, FAR)
    return lo, np.maximum(hi, lo)


def _primal_jacobian_norm(net, t: jax.Array) -> jax.Array:
    """‖∂f/∂x‖₂ at x = σ(t): the coordinate Jacobian divided by σ′(t) columnwise."""
    jac = jax.jacfwd(lambda s: F.network_output(net, s))(t)
    if net.dual_input:
        jac = jac / net.pair.derivative(t)[None, :]
    return jnp.linalg.norm(jac, 2)


@eqx.filter_jit
def _norms_after_ascent(net, t: jax.Array, lo: jax.Array, hi: jax.Array, signs: jax.Array):
    """‖J‖ at the points t and after hill-climbing steps (per step a move of ±5 % of the box
    along each coordinate, the signs given, kept where it increases ‖J‖), and f at the points t;
    one compilation per structure (the steps are a scan, so the program holds one step)."""
    norm = jax.vmap(lambda s: _primal_jacobian_norm(net, s))

    def climb(carry: tuple[jax.Array, jax.Array], sign: jax.Array):
        best, points = carry
        trial = jnp.clip(points + sign * 0.05 * (hi - lo), lo, hi)
        value = norm(trial)
        better = value > best
        return (jnp.where(better, value, best), jnp.where(better[:, None], trial, points)), None

    (best, _), _ = jax.lax.scan(climb, (norm(t), t), signs)
    return best, jax.vmap(lambda s: F.network_output(net, s))(t)


def independent_lower_bound(net, box, seed: int, points: int = 24, steps: int = 8) -> float:
    """max of sampled ‖J‖, of ‖J‖ after a few hill-climbing ascent steps, and of difference
    quotients over sampled pairs of points of the box."""
    net = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float64), net)
    rng = np.random.default_rng(seed)
    lo, hi = _coordinate_box(net, box)
    inner = lo + (hi - lo) * rng.uniform(size=(points, net.input_dim))
    corners = np.where(rng.uniform(size=inner.shape) < 0.5, lo, hi)
    t = jnp.asarray(np.concatenate([inner, corners]))
    signs = jnp.asarray(rng.choice([-1.0, 1.0], size=(steps, *t.shape)))
    norms, f = _norms_after_ascent(net, t, jnp.asarray(lo), jnp.asarray(hi), signs)
    best = float(np.nanmax(np.asarray(norms)))
    x = np.asarray(F.input_from_coordinates(net, t))
    f = np.asarray(f)
    dx = np.linalg.norm(x[:, None] - x[None], axis=-1)
    df = np.linalg.norm(f[:, None] - f[None], axis=-1)
    far_apart = dx > 1e-6 * (1.0 + np.abs(x).max())
    if np.any(far_apart):
        best = max(best, float(np.max(df[far_apart] / dx[far_apart])))
    return best


@st.composite
def cases(draw):
    activation = draw(st.sampled_from(legendre.names()))
    version = draw(st.sampled_from(["bregman", "standard", "euclidean"]))
    mixing = draw(st.sampled_from(["identity", "square", "non-square"]))
    depth = draw(st.integers(1, 2))
    first = draw(st.integers(1, 3))
    if mixing == "non-square":
        widths = [first] + [draw(st.integers(1, 3)) for _ in range(depth)]
        if all(a == b for a, b in itertools.pairwise(widths)):
            widths[-1] = widths[-1] % 3 + 1
    else:
        widths = [first] * (depth + 1)
    dtype = draw(st.sampled_from([jnp.float32, jnp.float64]))
    local = draw(st.booleans())
    scale = draw(st.sampled_from([0.5, 1.5]))
    seed = draw(st.integers(0, 2**16))
    return activation, version, mixing, tuple(widths), dtype, local, scale, seed


def _box(net, local: bool, seed: int):
    if not local:
        return make_box(net, None)
    rng = np.random.default_rng(seed)
    if net.dual_input:
        pair = net.pair
        lo, hi = max(pair.lower, -2.0), min(pair.upper, 2.0)
        a, b = np.sort(rng.uniform(lo, hi, size=2))
        return make_box(net, (a, b))
    a = rng.uniform(-3, 3)
    return make_box(net, (a, a + rng.uniform(1e-3, 2.0)))


def check_case(case) -> None:
    """Every upper bound of the case's network ≥ the independent lower bound, or +∞ with a
    reason; never NaN, never an exception."""
    activation, version, mixing, widths, dtype, local, scale, seed = case
    net = random_network(
        activation,
        version,
        widths,
        seed=seed,
        scale=scale,
        dtype=dtype,
        square_mixing=mixing == "square",
    )
    box = _box(net, local, seed)
    lower = independent_lower_bound(net, box, seed)
    assert np.isfinite(lower), case
    for name, bound in upper_bounds(net, box).items():
        assert not np.isnan(bound.value), (name, case)
        if np.isinf(bound.value):
            assert bound.reason, (name, case)
            continue
        assert bound.value >= lower * (1 - LOWER_SLACK), (name, bound.value, lower, case)


#: every pair × version × mixing (a standard layer has no V, so no square-V case)
COMBINATIONS = [
    (activation, version, mixing)
    for activation in legendre.names()
    for version in ("bregman", "standard", "euclidean")
    for mixing in ("identity", "square", "non-square")
    if not (version == "standard" and mixing == "square")
]


@pytest.mark.parametrize(("activation", "version", "mixing"), COMBINATIONS)
def test_every_combination_is_sound_on_both_domains_in_both_dtypes(
    activation: str, version: str, mixing: str
) -> None:
    """Each pair × version × mixing, on the global domain and on a box, in float32 and float64."""
    widths = (3, 2, 2) if mixing == "non-square" else (2, 2, 2)
    seed = zlib.crc32(f"{activation}/{version}/{mixing}".encode()) % 2**16
    for dtype in (jnp.float32, jnp.float64):
        for local in (False, True):
            check_case((activation, version, mixing, widths, dtype, local, 1.5, seed))


@settings(max_examples=20, deadline=None)
@given(cases())
def test_every_upper_bound_dominates_an_independent_lower_bound(case) -> None:
    """Random depths, widths, scales and seeds on top of the fixed combinations."""
    check_case(case)


def test_the_lower_bound_of_this_test_is_tight_on_a_linear_layer() -> None:
    """The test's own lower bound reaches ‖W‖ for a tanh layer near 0 with tiny weights
    (slopes ≈ 1), so it is not trivially small."""
    net = random_network("tanh", "standard", (3, 3), seed=1, scale=1e-4, bias_scale=0.0, head=None)
    box = make_box(net, (-1e-6, 1e-6))
    norm = float(np.linalg.norm(np.asarray(net.weights[0]), 2))
    assert independent_lower_bound(net, box, 0) >= norm * (1 - 1e-6)


# ----- every upper bound, global and local, against every lower bound on the same box


def _local_case_network(case):
    activation, version, mixing, widths, scale, seed = case
    return random_network(
        activation, version, widths, seed=seed, scale=scale, square_mixing=mixing == "square"
    )


def _all_bounds_on_a_box(net, box, seed: int) -> tuple[dict[str, float], dict[str, float], Any]:
    """Every upper bound (the global methods on the box, the local box bound, branch and bound)
    and every lower bound (the library's global ascents and local ascent, branch and bound's,
    this test's independent one) on the box; and the branch-and-bound result."""
    lo = np.full((1, net.input_dim), float(box.lower[0]))
    hi = np.full((1, net.input_dim), float(box.upper[0]))
    local = box_lipschitz(net, lo, hi)
    assert not np.isnan(local.upper[0]) and (np.isfinite(local.upper[0]) or local.reason)
    branch = branch_and_bound(net, lo[0], hi[0], budget=math.inf, target_ratio=1.0, max_leaves=3)
    uppers = {name: bound.value for name, bound in upper_bounds(net, box).items()}
    uppers |= {"box_lipschitz": float(local.upper[0])}
    uppers |= {f"branch-and-bound {i}": value for i, value in enumerate(branch.history)}
    found = lower_bounds(net, box, restarts=2, steps=10, key=jax.random.key(seed))
    lowers = {name: bound.value for name, bound in found.items()}
    lowers |= {"local_lower": float(local_lower(net, box_region(net, lo, hi), restarts=2)[0])}
    lowers |= {f"branch-and-bound {i}": value for i, value in enumerate(branch.lower_history)}
    lowers |= {"independent": independent_lower_bound(net, box, seed, points=8, steps=4)}
    return uppers, lowers, branch


@st.composite
def local_cases(draw):
    activation = draw(st.sampled_from(legendre.names()))
    version = draw(st.sampled_from(["bregman", "standard", "euclidean"]))
    mixing = draw(st.sampled_from(["identity", "square", "non-square"]))
    widths = (2, 3, 2) if mixing == "non-square" else (2, 2, 2)
    scale = draw(st.sampled_from([0.5, 1.5]))
    seed = draw(st.integers(0, 2**16))
    return activation, version, mixing, widths, scale, seed


@settings(max_examples=3, deadline=None)
@given(local_cases())
def test_every_upper_bound_dominates_every_lower_bound_global_and_local(case) -> None:
    """On a random box of a random network of any pair, version and mixing: the smallest of the
    global methods' bounds, the local box bound and every bound branch and bound held is at
    least the largest of the global and local ascents, branch and bound's lower bounds and the
    independent one; branch and bound's upper never increases and its lower never decreases."""
    net = _local_case_network(case)
    uppers, lowers, branch = _all_bounds_on_a_box(net, _box(net, True, case[-1]), case[-1])
    assert not any(np.isnan(v) for v in [*uppers.values(), *lowers.values()]), (uppers, lowers)
    assert np.all(np.diff(branch.history) <= 0) and np.all(np.diff(branch.lower_history) >= 0)
    upper_name = min(uppers, key=uppers.__getitem__)
    lower_name = max(lowers, key=lowers.__getitem__)
    assert uppers[upper_name] >= lowers[lower_name] * (1 - LOWER_SLACK), (
        upper_name,
        uppers[upper_name],
        lower_name,
        lowers[lower_name],
        case,
    )
