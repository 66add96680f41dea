"""Lipschitz bounds of convolutional networks (`bregmalib.nn.ConvNet`): certified operator
norms of convolutions, per-stage bounds composed into a network bound, and lower bounds.

Operator norms. A stride-1 convolution with circular padding (2p = k − 1) on an N₁ × N₂ grid
is diagonalised by the 2-D DFT: ‖C‖₂ = max_ω ‖K̂(ω)‖₂ with K̂(ω) = Σ_{a,b} K[:, :, a, b]
e^{−2πi(aω₁/N₁ + bω₂/N₂)} (Sedghi, Gupta and Long, ICLR 2019). A zero-padded convolution is
the restriction of the circular one on the (H + 2p) × (W + 2p) grid to the padded input (an
isometry) and to the outputs that do not wrap, and stride s keeps every s-th output, so the
same maximum bounds its norm. Every K̂(ω) is formed directly from the k² taps, with the
rounding error of each entry bounded by γ Σ|K| (Higham 2002, §3.1), and its norm certified
as in `bregmalib._certified.spectral_norm_upper`. The lower bound is power iteration on the
convolution operator itself (x ↦ Cᵀ C x through JAX), which never exceeds ‖C‖₂.

Stages. ‖σ′‖∞ = L_σ for an activation, 1/k for k × k average pooling, ⌈k/s⌉ for max pooling
(`bregmalib.nn.MaxPool`), 1 for flattening. A
Bregman residual block x⁺ = σ(g(clamp Sx) + r(x)) has J = D_z(D_g S + J_r), so
Lip ≤ ρ‖S‖ + L_σ Lip(r), with ‖S‖ ≤ 1 for a subsampling shortcut and the certified ‖V‖₂ for a
matrix, ρ = R_σ(Δ) for g = σ⁻¹ (Frecon et al., ICML 2022, slope ratio σ′(ũ + δ)/σ′(ũ) for
|δ| ≤ Δ ≥ sup|r|) and ρ = L_σ sup|g′| otherwise, or the slope ratio of that g where the
`SkipMap` knows one; Lip(r) ≤ L_σ^{m−1} Π‖A_i‖. Euclidean:
L_σ(‖S‖ + Lip(r)); standard: L_σ Lip(r). The network bound is the product of its stages'
bounds.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array

from bregmalib._certified import (
    EPS,
    ROUNDING_ASSUMPTION,
    add_up,
    as_float64,
    certify_norm,
    mul_up,
    round_up,
    spectral_norm_upper,
)
from bregmalib.legendre import LegendrePair
from bregmalib.lipschitz._slope import slope_ratio_bound
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
    Stage,
)


def _frequency_matrices(kernel: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """K̂(ω) for every ω of the grid, shape (N₁, N₂, out, in)."""
    kh, kw = kernel.shape[2:]
    first = np.exp(-2j * np.pi * np.outer(np.arange(grid[0]), np.arange(kh)) / grid[0])
    second = np.exp(-2j * np.pi * np.outer(np.arange(grid[1]), np.arange(kw)) / grid[1])
    return np.einsum("oiab,xa,yb->xyoi", kernel, first, second)


def _entry_error(kernel: np.ndarray) -> np.ndarray:
    """A bound on |fl(K̂(ω))_{oi} − K̂(ω)_{oi}| for every ω: γ Σ_{a,b}|K_{oiab}| with γ covering
    the k² − 1 additions, the two products and the phases e^{iθ} (θ = 2πaω/N ≤ 2πk, its own
    rounding relative, cos and sin to 2 ulps)."""
    kh, kw = kernel.shape[2:]
    ulps = kh * kw + 4 * math.pi * (kh + kw) + 16
    return round_up(2.0 * ulps * EPS * np.abs(kernel).sum(axis=(2, 3)), 2)


def circular_grid(conv: Conv2d) -> tuple[int, int]:
    """The grid of the circular convolution whose norm bounds ``conv``'s: (H + 2p, W + 2p)
    for zero padding, (H, W) for circular padding with 2p = k − 1."""
    _, h, w = conv.in_shape
    if conv.mode == "circular":
        if (
            2 * conv.padding + 1 != conv.kernel.shape[2]
            or conv.kernel.shape[2] != conv.kernel.shape[3]
        ):
            raise ValueError(
                "a circular convolution is diagonalised by the DFT only with a square kernel of "
                f"odd size k and padding (k − 1)/2; got kernel {conv.kernel.shape[2:]}, "
                f"padding {conv.padding}"
            )
        return h, w
    return h + 2 * conv.padding, w + 2 * conv.padding


def conv_norm(conv: Conv2d) -> float:
    """max_ω ‖K̂(ω)‖₂ in float64 (uncertified): ‖C‖₂ itself for a stride-1 circular
    convolution with 2p = k − 1, an upper bound of it otherwise."""
    matrices = _frequency_matrices(as_float64(conv.kernel), circular_grid(conv))
    return float(np.linalg.svd(matrices, compute_uv=False).max())


def conv_norm_upper(conv: Conv2d) -> float:
    """A certified upper bound of ‖C‖₂ (see the module docstring): for each ω the largest
    singular value of fl(K̂(ω)), inflated as `certify_norm` does for its real 2·out × 2·in
    form, plus the Frobenius norm of the entries' error bound."""
    kernel = as_float64(conv.kernel)
    if not np.all(np.isfinite(kernel)):
        return math.inf
    matrices = _frequency_matrices(kernel, circular_grid(conv))
    top = float(np.linalg.svd(matrices, compute_uv=False).max())
    out, inp = kernel.shape[:2]
    error = float(round_up(np.sqrt(np.sum(_entry_error(kernel) ** 2)), 2))
    return float(add_up(certify_norm(top, (2 * out, 2 * inp)), error))


def _power_norm(linear: Callable[[Array], Array], v0: Array, iterations: int) -> Array:
    """‖A v‖ for the unit v after ``iterations`` steps of power iteration on AᵀA, for the linear
    map A = ``linear`` (Aᵀ by its pullback): a lower bound of ‖A‖₂ up to rounding."""
    _, pullback = jax.vjp(linear, v0)

    def step(v: Array, _: None) -> tuple[Array, None]:
        v = v / jnp.linalg.norm(v)
        return pullback(linear(v))[0], None

    v, _ = jax.lax.scan(step, v0, None, length=iterations)
    return jnp.linalg.norm(linear(v / jnp.linalg.norm(v)))


def operator_norm_lower(
    operator: Conv2d | Matrix, *, iterations: int = 50, key: Array | None = None
) -> float:
    """‖A v‖ for the unit vector v after ``iterations`` steps of power iteration on AᵀA,
    through the operator itself (a lower bound of ‖A‖₂ up to float64 rounding)."""
    key = jax.random.key(0) if key is None else key
    dtype = jnp.float64 if jax.config.read("jax_enable_x64") else jnp.float32
    v0 = jax.random.normal(key, operator.in_shape, dtype)
    return float(_power_norm(operator, v0, iterations))


def affine_norm_upper(affine: Affine) -> float:
    """A certified upper bound of ‖A‖₂ for x ↦ Ax + b."""
    operator = affine.operator
    if isinstance(operator, Conv2d):
        return conv_norm_upper(operator)
    return spectral_norm_upper(operator.matrix)


def _infinity_norm(affine: Affine) -> float:
    """‖A‖_{∞→∞} rounded up: max over outputs of the row's absolute sum (for a convolution,
    Σ|K[o]| bounds every row; padding only removes terms), the sum's rounding covered by γ_n ≤
    2nu."""
    operator = affine.operator
    if isinstance(operator, Conv2d):
        rows = np.abs(as_float64(operator.kernel)).reshape(operator.kernel.shape[0], -1)
    else:
        rows = np.abs(as_float64(operator.matrix))
    return float(round_up(rows.sum(axis=1).max() * (1.0 + 2 * rows.shape[1] * EPS), 2))


def _affine_magnitude(affine: Affine, magnitude: float) -> float:
    """An upper bound of ‖Ax + b‖∞ given ‖x‖∞ ≤ magnitude."""
    bias = float(np.abs(as_float64(affine.bias)).max())
    return float(add_up(mul_up(_infinity_norm(affine), magnitude), bias))


def _pair_magnitude(pair: LegendrePair) -> float:
    """sup |σ| = max(|lo|, |hi|) of the interval I (+inf when unbounded)."""
    return max(abs(pair.lower), abs(pair.upper))


def _lipschitz_sigma(pair: LegendrePair) -> float:
    return float(round_up(pair.lipschitz, 2))


@dataclasses.dataclass(frozen=True)
class StageBound:
    """A certified upper bound of one stage's Lipschitz constant, and ``reason`` when +inf."""

    stage: str
    value: float
    reason: str = ""


def _branch_lipschitz(block: ResidualBlock) -> float:
    """L_σ^{m−1} Π ‖A_i‖, the bound of Lip(r)."""
    value = 1.0
    for affine in block.branch:
        value = float(mul_up(value, affine_norm_upper(affine)))
    activations = len(block.branch) - 1
    return float(mul_up(value, _lipschitz_sigma(block.pair) ** activations))


def _branch_magnitude(block: ResidualBlock, magnitude: float) -> float:
    """Δ ≥ sup ‖r(x)‖∞ given ‖x‖∞ ≤ magnitude: the last affine map sees σ(·) ∈ Iⁿ when the
    branch has an activation, else x."""
    last = block.branch[-1]
    entering = _pair_magnitude(block.pair) if len(block.branch) > 1 else magnitude
    return _affine_magnitude(last, entering)


def _skip_ratio(block: ResidualBlock, delta: float) -> tuple[float, str]:
    """ρ ≥ sup σ′(z)·g′(clamp s) (see the module docstring) and the reason when infinite."""
    pair = block.pair
    skip = block.skip
    if skip.function is not None:
        value = float(mul_up(_lipschitz_sigma(pair), skip.slope))
        if skip.ratio is not None and math.isfinite(delta):
            value = min(value, skip.ratio(delta))
        return value, "" if math.isfinite(value) else f"no bound on g′ for g = {skip.name}"
    if not math.isfinite(delta):
        return math.inf, "the branch output is unbounded (σ's interval is unbounded)"
    ratio = float(slope_ratio_bound(pair)(delta))
    return ratio, "" if math.isfinite(ratio) else f"R_σ({delta:.3g}) is unbounded"


def block_upper(block: ResidualBlock, magnitude: float = math.inf) -> StageBound:
    """A certified bound of a residual block's Lipschitz constant (module docstring), for
    inputs with ‖x‖∞ ≤ magnitude."""
    lip_sigma = _lipschitz_sigma(block.pair)
    branch = float(mul_up(lip_sigma, _branch_lipschitz(block)))
    if block.version == "standard":
        return StageBound("block", branch)
    if block.version == "euclidean":
        skip = float(mul_up(lip_sigma, shortcut_norm_upper(block)))
        return StageBound("block", float(add_up(skip, branch)))
    ratio, reason = _skip_ratio(block, _branch_magnitude(block, magnitude))
    skip = float(mul_up(ratio, shortcut_norm_upper(block)))
    return StageBound("block", float(add_up(skip, branch)), reason)


def shortcut_norm_upper(block: ResidualBlock) -> float:
    """A certified bound of ‖S‖₂: 1 for a subsampling shortcut (it selects coordinates and adds
    constants), the certified spectral norm of a matrix V."""
    if isinstance(block.shortcut, Shortcut):
        return 1.0
    return spectral_norm_upper(block.shortcut.matrix)


def stage_upper(stage: Stage, magnitude: float = math.inf) -> StageBound:
    """A certified bound of one stage's Lipschitz constant (module docstring)."""
    if isinstance(stage, Affine):
        kind = "conv" if isinstance(stage.operator, Conv2d) else "linear"
        return StageBound(kind, affine_norm_upper(stage))
    if isinstance(stage, Activation):
        return StageBound("activation", _lipschitz_sigma(stage.pair))
    if isinstance(stage, AvgPool):
        return StageBound("pool", float(round_up(1.0 / stage.size, 1)))
    if isinstance(stage, MaxPool):
        return StageBound("max pool", float(-(-stage.size // stage.stride)))
    if isinstance(stage, Flatten):
        return StageBound("flatten", 1.0)
    return block_upper(stage, magnitude)


def _output_magnitude(stage: Stage, magnitude: float) -> float:
    """An upper bound of ‖stage(x)‖∞ given ‖x‖∞ ≤ magnitude."""
    if isinstance(stage, Affine):
        return _affine_magnitude(stage, magnitude)
    if isinstance(stage, Activation | ResidualBlock):
        return _pair_magnitude(stage.pair)
    return magnitude


def _jsonable(value: float) -> float | str:
    return value if math.isfinite(value) else str(value)


@dataclasses.dataclass(frozen=True)
class ConvBound:
    """Upper and lower bounds of a `ConvNet`'s ℓ₂ Lipschitz constant on a box of inputs,
    the stages' bounds, and the seconds each side took."""

    upper: float
    lower: float
    stages: tuple[StageBound, ...]
    upper_seconds: float
    lower_seconds: float
    assumptions: tuple[str, ...]

    @property
    def ratio(self) -> float:
        """upper / lower."""
        return self.upper / self.lower if self.lower > 0 else math.inf

    @property
    def reason(self) -> str:
        """Why the upper bound is +inf (empty when finite)."""
        return "; ".join(f"{s.stage}: {s.reason}" for s in self.stages if s.reason)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready summary (infinite values as the string "inf")."""
        return {
            "upper": _jsonable(self.upper),
            "lower": self.lower,
            "ratio": _jsonable(self.ratio),
            "upper_seconds": self.upper_seconds,
            "lower_seconds": self.lower_seconds,
            "stages": [{**dataclasses.asdict(s), "value": _jsonable(s.value)} for s in self.stages],
            "reason": self.reason,
            "assumptions": list(self.assumptions),
        }


def convnet_upper(
    net: ConvNet, magnitude: float = math.inf
) -> tuple[float, tuple[StageBound, ...]]:
    """Π of the stages' certified bounds, for inputs with ‖x‖∞ ≤ magnitude."""
    bounds = []
    for stage in net.stages:
        bounds.append(stage_upper(stage, magnitude))
        magnitude = _output_magnitude(stage, magnitude)
    value = 1.0
    for bound in bounds:
        value = float(mul_up(value, bound.value))
    return value, tuple(bounds)


def jacobian_norm_lower(net: ConvNet, x: Array, *, iterations: int = 20) -> Array:
    """‖J(x)v‖ for the unit v after power iteration on J(x)ᵀJ(x) (a lower bound of ‖J(x)‖₂,
    hence of the Lipschitz constant on any convex set containing x)."""
    v0 = jnp.ones_like(x) + 0.1 * jnp.sin(jnp.arange(x.size, dtype=x.dtype)).reshape(x.shape)
    return _power_norm(lambda v: jax.jvp(net, (x,), (v,))[1], v0, iterations)


def convnet_lower(
    net: ConvNet, box: tuple[float, float], *, points: int = 8, iterations: int = 20, key: Array
) -> float:
    """max over random points x of the box of the power-iteration estimate of ‖J(x)‖₂."""
    dtype = jnp.float64 if jax.config.read("jax_enable_x64") else jnp.float32
    x = jax.random.uniform(key, (points, *net.in_shape), dtype, box[0], box[1])
    norms = jax.jit(jax.vmap(lambda y: jacobian_norm_lower(net, y, iterations=iterations)))(x)
    return float(jnp.max(norms))


def convnet_bounds(
    net: ConvNet,
    box: tuple[float, float] = (-1.0, 1.0),
    *,
    points: int = 8,
    iterations: int = 20,
    key: Array | None = None,
) -> ConvBound:
    """Certified upper (valid on all inputs in the box; the box bounds ‖x‖∞) and power-iteration
    lower bounds of a `ConvNet`'s Lipschitz constant, timed."""
    start = time.perf_counter()
    upper, stages = convnet_upper(net, max(abs(box[0]), abs(box[1])))
    middle = time.perf_counter()
    key = jax.random.key(0) if key is None else key
    lower = convnet_lower(net, box, points=points, iterations=iterations, key=key)
    end = time.perf_counter()
    assumptions = (
        ROUNDING_ASSUMPTION,
        f"inputs in [{box[0]:g}, {box[1]:g}] (they bound the branch outputs Δ)",
    )
    return ConvBound(upper, lower, stages, middle - start, end - middle, assumptions)


def residual_contraction(block: ResidualBlock) -> float:
    """A certified bound of Lip(u ↦ r(σ(u))) = L_σ·Lip(r): below 1, the dual map
    u ↦ u + r(σ(u)) of a Bregman block with S = I and g = σ⁻¹ is invertible (Banach)."""
    return float(mul_up(_lipschitz_sigma(block.pair), _branch_lipschitz(block)))
