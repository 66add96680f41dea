"""Local Lipschitz bounds of convolutional networks (`bregmalib.nn.ConvNet`, the converted
bregmanet models included) on ℓ₂ or ℓ∞ balls and boxes of inputs, and their lower bounds.

Upper bound. Interval bound propagation carries [lo, hi] for every unit through the stages
(affine maps in centre–radius form, c ± |A|r; σ, clamps, pooling and σ⁻¹ are monotone; a
skip g that is not σ⁻¹ is enclosed by g(m) ± sup|g′|·r by the mean value theorem). On an ℓ₂
ball the first affine map gets the tighter Ax₀ + b ± ‖rows of A diag h‖₂ (the dual norm). On
those intervals each stage's Jacobian is bounded as in `bregmalib.lipschitz._conv` with the
constants replaced by their local values: ‖diag σ′‖ ≤ max σ′ over the interval (σ′ is
unimodal), and for a residual block x⁺ = σ(g(clamp Sx) + r(x)), J = D_z(D_g S + J_r) with

    ‖J‖ ≤ max_i σ̄′(z_i) ḡ′_i · ‖S‖ + max_i σ̄′(z_i) · ‖A_m‖ Π_{k<m} max σ̄′(y_k) ‖A_k‖,

σ̄′ the largest σ′ on a unit's interval, ḡ′ the largest |g′| on its clamped skip interval
(1/σ′ at the ends of the ũ interval for g = σ⁻¹). The local slope ratio σ̄′(z)ḡ′ replaces
R_σ(Δ) of the global bound, which grows exponentially with Δ (Frecon, Gasso, Pontil, Salzo,
ICML 2022). The network bound is the product, and at most the global stage product on the
region's box. Operator norms are certified (`affine_norm_upper`, or row sums for ℓ∞).

Lower bound: ‖J(x)‖ at the centre and at random points of the region (power iteration for
ℓ₂, the exact row sums of the dense Jacobian for ℓ∞), never above the local constant.

Rounding: the intervals are widened by γ(|A|(|c| + r)) after every affine map and by
`FUNCTION_ULPS` ulps after every function, the norms are certified and the product rounded up;
the float64 evaluation of the interval arithmetic is otherwise taken as exact.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array

from bregmalib._certified import (
    EPS,
    FUNCTION_ULPS,
    ROUNDING_ASSUMPTION,
    add_up,
    mul_up,
    round_up,
)
from bregmalib._xla_flags import long_run_options
from bregmalib.legendre import LegendrePair
from bregmalib.lipschitz._conv import (
    _infinity_norm,
    affine_norm_upper,
    convnet_upper,
    jacobian_norm_lower,
    shortcut_norm_upper,
)
from bregmalib.nn import (
    Activation,
    Affine,
    AvgPool,
    Conv2d,
    ConvNet,
    Flatten,
    Matrix,
    MaxPool,
    ResidualBlock,
    Shortcut,
    SkipMap,
    Stage,
)

Interval = tuple[Array, Array]
#: relative widening of every evaluated function
_SLACK = 4 * FUNCTION_ULPS * EPS


def _widen(lo: Array, hi: Array) -> Interval:
    """[lo, hi] widened by `_SLACK` of the larger magnitude (covers a function's rounding)."""
    pad = _SLACK * jnp.maximum(jnp.abs(lo), jnp.abs(hi))
    return lo - pad, hi + pad


def _absolute(affine: Affine, power: int) -> Callable[[Array], Array]:
    """x ↦ |A|^∘power x: the operator with its entries' absolute values (or squares)."""
    operator = affine.operator
    if isinstance(operator, Conv2d):
        kernel = jnp.abs(operator.kernel) ** power
        return Conv2d(kernel, operator.in_shape, operator.stride, operator.padding, operator.mode)
    return Matrix(jnp.abs(operator.matrix) ** power)


def _affine_interval(affine: Affine, box: Interval) -> Interval:
    """c ± |A|r around Ac + b, widened by γ|A|(|c| + r) for the rounding of the sums."""
    lo, hi = box
    mid, rad = (lo + hi) / 2, (hi - lo) / 2
    absolute = _absolute(affine, 1)
    center = affine(mid)
    operator = affine.operator
    terms = operator.matrix.shape[1] if isinstance(operator, Matrix) else operator.kernel[0].size
    gamma = 2.0 * (terms + 2) * EPS
    radius = absolute(rad) * (1 + gamma) + gamma * (absolute(jnp.abs(mid)) + jnp.abs(center))
    return center - radius, center + radius


def _ball_interval(affine: Affine, center: Array, scale: Array) -> Interval:
    """Ax₀ + b ± ‖rows of A diag h‖₂ on the ℓ₂ ball x₀ + diag(h)v, ‖v‖₂ ≤ 1."""
    mid = affine(center)
    radius = jnp.sqrt(_absolute(affine, 2)(scale**2)) * (1 + 1e-12) + 1e-300
    return mid - radius, mid + radius


def _slope_top(pair: LegendrePair, box: Interval) -> Array:
    """max σ′ on each interval (σ′ unimodal, peak at ``lipschitz_point``), widened."""
    lo, hi = box
    return pair.derivative(jnp.clip(pair.lipschitz_point, lo, hi)) * (1 + _SLACK)


def _slope_bottom(pair: LegendrePair, box: Interval) -> Array:
    """min σ′ on each interval (at an end), narrowed."""
    lo, hi = box
    return jnp.minimum(pair.derivative(lo), pair.derivative(hi)) * (1 - _SLACK)


def _sigma_interval(pair: LegendrePair, box: Interval) -> Interval:
    return _widen(pair.sigma(box[0]), pair.sigma(box[1]))


def _shortcut_interval(block: ResidualBlock, box: Interval) -> Interval:
    if isinstance(block.shortcut, Shortcut):
        return block.shortcut(box[0]), block.shortcut(box[1])
    return _affine_interval(Affine(block.shortcut, jnp.zeros(block.out_shape)), box)


def _skip_interval(skip: SkipMap, pair: LegendrePair, box: Interval) -> tuple[Interval, Array]:
    """The interval of ũ = g(clamp s) and ḡ′ ≥ sup |g′| on the clamped interval of s."""
    a, b = jnp.clip(box[0], skip.lo, skip.hi), jnp.clip(box[1], skip.lo, skip.hi)
    if skip.function is None:
        skip_box = _widen(skip(pair, a), skip(pair, b))
        return skip_box, 1.0 / _slope_bottom(pair, skip_box)
    if skip.local_slope is None:
        slope = jnp.full_like(a, skip.slope)
    else:
        slope = skip.local_slope(a, b) * (1 + _SLACK)
    middle = skip.function((a + b) / 2)
    reach = slope * (b - a) / 2
    return _widen(middle - reach, middle + reach), slope


def _branch(block: ResidualBlock, box: Interval) -> tuple[Interval, list[Array]]:
    """The interval of r(x) and max σ′ over each inner pre-activation."""
    current = _affine_interval(block.branch[0], box)
    tops = []
    for affine in block.branch[1:]:
        tops.append(jnp.max(_slope_top(block.pair, current)))
        current = _affine_interval(affine, _sigma_interval(block.pair, current))
    return current, tops


def _block_local(block: ResidualBlock, box: Interval) -> tuple[Interval, dict[str, Any]]:
    """The output interval of a block and its local factors (skip term, max σ′(z), branch)."""
    pair = block.pair
    (r_lo, r_hi), tops = _branch(block, box)
    if block.version == "bregman":
        (u_lo, u_hi), g_top = _skip_interval(block.skip, pair, _shortcut_interval(block, box))
    elif block.version == "euclidean":
        (u_lo, u_hi), g_top = _shortcut_interval(block, box), jnp.ones_like(r_lo)
    else:
        (u_lo, u_hi), g_top = (jnp.zeros_like(r_lo), jnp.zeros_like(r_lo)), jnp.zeros_like(r_lo)
    z_box = (u_lo + r_lo, u_hi + r_hi)
    z_top = _slope_top(pair, z_box)
    factors = {"skip": jnp.max(z_top * g_top), "slope": jnp.max(z_top), "branch": tops}
    return _sigma_interval(pair, z_box), factors


def _stage_local(stage: Stage, box: Interval) -> tuple[Interval, dict[str, Any]]:
    """The output interval of a stage and what its local bound needs of the region."""
    if isinstance(stage, Affine):
        return _affine_interval(stage, box), {}
    if isinstance(stage, Activation):
        return _sigma_interval(stage.pair, box), {"slope": jnp.max(_slope_top(stage.pair, box))}
    if isinstance(stage, ResidualBlock):
        return _block_local(stage, box)
    return (stage(box[0]), stage(box[1])), {}


def _local_factors(
    net: ConvNet, center: Array, scale: Array, lower: Array, upper: Array, dual: int
) -> list[dict[str, Any]]:
    """Each stage's local factors on one region (flattened arrays)."""
    shape = net.in_shape
    lo, hi = jnp.maximum(center - scale, lower), jnp.minimum(center + scale, upper)
    box = (lo.reshape(shape), hi.reshape(shape))
    factors = []
    for k, stage in enumerate(net.stages):
        out = _stage_local(stage, box)
        if k == 0 and dual == 2 and isinstance(stage, Affine):
            ball = _ball_interval(stage, center.reshape(shape), scale.reshape(shape))
            out = ((jnp.maximum(out[0][0], ball[0]), jnp.minimum(out[0][1], ball[1])), out[1])
        box, local = out
        factors.append(local)
    return factors


_local_batch = jax.jit(
    jax.vmap(_local_factors, in_axes=(None, 0, 0, 0, 0, None)), static_argnums=(5,)
)


def _operator_norm(affine: Affine, lip: int) -> float:
    return affine_norm_upper(affine) if lip == 2 else _infinity_norm(affine)


def _shortcut_norm(block: ResidualBlock, lip: int) -> float:
    if lip == 2 or isinstance(block.shortcut, Shortcut):
        return shortcut_norm_upper(block)
    return _infinity_norm(Affine(block.shortcut, jnp.zeros(block.out_shape)))


def _pool_norm(stage: AvgPool | MaxPool | Flatten, lip: int) -> float:
    """1/k (average) and ⌈k/s⌉ (max) for ℓ₂, 1 for ℓ∞; flattening 1."""
    if lip == 1 or isinstance(stage, Flatten):
        return 1.0
    if isinstance(stage, AvgPool):
        return float(round_up(1.0 / stage.size, 1))
    return float(-(-stage.size // stage.stride))


def _block_bound(block: ResidualBlock, local: dict[str, Any], lip: int) -> np.ndarray:
    """max σ̄′ḡ′‖S‖ + max σ̄′ ‖A_m‖ Π max σ̄′_k‖A_k‖ (module docstring), per region."""
    branch = np.full_like(local["slope"], _operator_norm(block.branch[0], lip))
    for affine, top in zip(block.branch[1:], local["branch"], strict=True):
        branch = mul_up(mul_up(branch, top), _operator_norm(affine, lip))
    branch = mul_up(local["slope"], branch)
    skip = mul_up(local["skip"], _shortcut_norm(block, lip))
    return np.asarray(add_up(skip, branch))


def _stage_bound(stage: Stage, local: dict[str, Any], lip: int, count: int) -> np.ndarray:
    if isinstance(stage, Affine):
        return np.full(count, _operator_norm(stage, lip))
    if isinstance(stage, Activation):
        return np.asarray(local["slope"], np.float64)
    if isinstance(stage, ResidualBlock):
        return _block_bound(stage, local, lip)
    return np.full(count, _pool_norm(stage, lip))


def convnet_local_upper(
    net: ConvNet,
    center: np.ndarray,
    scale: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    dual: int,
    lip: int,
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Certified bounds of sup ‖J(x)‖ (ℓ₂ for ``lip`` = 2, ‖·‖_{∞→∞} for 1) on each region
    (rows of the flattened arrays), and the assumptions (module docstring)."""
    arrays = (center, scale, lower, upper)
    factors = _local_batch(net, *(jnp.asarray(a, jnp.float64) for a in arrays), dual)
    factors = jax.tree_util.tree_map(np.asarray, factors)
    value = np.ones(center.shape[0])
    for stage, local in zip(net.stages, factors, strict=True):
        value = mul_up(value, _stage_bound(stage, local, lip, center.shape[0]))
    if lip == 2:
        ends = np.maximum(center - scale, lower), np.minimum(center + scale, upper)
        value = np.minimum(value, convnet_upper(net, float(np.abs(ends).max()))[0])
    value = np.where(np.isfinite(value), value, np.inf)
    assumptions = (
        "σ′ unimodal with its peak at the pair's lipschitz_point",
        "float64 interval arithmetic widened by γ|A|(|c| + r) per affine map",
        ROUNDING_ASSUMPTION,
    )
    return np.asarray(value, np.float64), assumptions


def _region_points(
    key: Array, center: Array, scale: Array, lower: Array, upper: Array, dual: int, count: int
) -> Array:
    """The centre and ``count`` random points of {x₀ + diag(h)v, ‖v‖_p ≤ 1} ∩ [lower, upper]."""
    v = jax.random.uniform(key, (count, center.shape[0]), center.dtype, -1.0, 1.0)
    if dual == 2:
        v = v / jnp.maximum(1.0, jnp.linalg.norm(v, axis=1, keepdims=True))
    points = jnp.clip(center + scale * v, lower, upper)
    return jnp.concatenate([jnp.clip(center, lower, upper)[None], points])


def _jacobian_norm(net: ConvNet, x: Array, lip: int, iterations: int) -> Array:
    if lip == 2:
        return jacobian_norm_lower(net, x.reshape(net.in_shape), iterations=iterations)
    jacobian = jax.jacfwd(net)(x.reshape(net.in_shape)).reshape(-1, x.size)
    return jnp.max(jnp.sum(jnp.abs(jacobian), axis=1))


def convnet_local_lower(
    net: ConvNet,
    center: np.ndarray,
    scale: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    dual: int,
    lip: int,
    *,
    points: int = 8,
    iterations: int = 20,
    key: Array | None = None,
) -> np.ndarray:
    """Lower bounds of sup ‖J(x)‖ over each region: the largest estimate of ‖J(x)‖ at its
    centre and ``points`` random points of it (module docstring)."""
    key = jax.random.key(0) if key is None else key

    def one(key: Array, c: Array, h: Array, lo: Array, hi: Array) -> Array:
        xs = _region_points(key, c, h, lo, hi, dual, points)
        return jnp.max(jax.vmap(lambda x: _jacobian_norm(net, x, lip, iterations))(xs))

    keys = jax.random.split(key, center.shape[0])
    arrays = (jnp.asarray(a, jnp.float64) for a in (center, scale, lower, upper))
    batch = jax.jit(jax.vmap(one), compiler_options=long_run_options())
    return np.asarray(batch(keys, *arrays), np.float64)
