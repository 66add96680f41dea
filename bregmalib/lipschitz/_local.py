"""Local Lipschitz bounds on an ℓ₂ or ℓ∞ ball (or a box) around an input, by bound propagation
through the Jacobian graph with the products of the centre factors kept exact.

Write the Jacobian of the pre-activations as a product J_{z_k}(x) = G_k(x) ⋯ G_1(x) with
G_k = ∂z_k/∂z_{k−1} (`bregmalib.nn.functional.dual_jacobian`; G_1 = ∂z_1/∂x) and the network's
J = H diag σ′(z_L) J_{z_L}. Each factor is its value C_k at the centre x₀ plus a perturbation
that is diagonal in the slopes (Shi, Wang, Zhang, Kolter and Hsieh, NeurIPS 2022, relax the
Jacobian graph the same way):

    G_k = C_k + M_k diag(δs_{k−1}) + diag(δτ_k) V_k diag(s_{k−1}),   |δs| ≤ ρs, |δτ| ≤ ρτ,

with s = σ′(z), M_k = W_k (standard; Bregman with V = I, where the slope ratio telescopes:
∂z_k/∂z_{k−1} = I + W_k diag s_{k−1}), V_k + W_k (Euclidean), diag(τ₀)V_k + W_k (Bregman with a
mixing V_k, τ = 1/σ′(ũ), ũ = σ⁻¹(V_k x_{k−1})). Unrolling J_{z_k} − C_k⋯C_1 gives

    J_{z_k}(x) = J⁰_k + Σ_{j≤k} P_{kj} [M_j diag δs_{j−1} + diag δτ_j V_j diag s_{j−1}] J_{z_{j−1}},

P_{kj} = C_k⋯C_{j+1} formed exactly at x₀, so only the perturbations are relaxed, never the
products (no wrapping effect). Two recursions follow:

- row norms N_k ≥ sup ‖e_iᵀ J_{z_k}(x) Y‖_q: N_k = ‖rows of J⁰_k Y‖_q
  + Σ_j |P_{kj}M_j|(ρs_{j−1}⊙N_{j−1}) + |P_{kj}|(ρτ_j⊙V_j(s̄_{j−1}⊙N_{j−1})). With Y = diag(h)
  and q the dual norm of the region's (q = 2 for an ℓ₂ ball, 1 for an ℓ∞ ball or a box) the
  mean value theorem gives z_k ∈ z_k(x₀) ± N_k over the region: the ℓ₂ ball is handled by its
  dual norm, not its bounding box. Those intervals give ρs_k (σ′ unimodal) and ρτ_k.
- operator norms φ_k ≥ sup ‖J_{z_k}(x)‖₂: φ_k = ‖J⁰_k‖₂ + Σ_j (‖P_{kj}M_j diag ρs_{j−1}‖₂
  + ‖P_{kj} diag ρτ_j‖₂‖V_j diag s̄_{j−1}‖₂) φ_{j−1} (the Combettes–Pesquet θ recursion around
  the centre); the ℓ₂ bound is φ_{L+1} of the head factor H diag σ′(z_L).
  The ℓ∞ bound (‖J‖_{∞→∞}) is max_i N_{L+1,i} with Y = I, q = 1.

The slope ratio σ′(z)/σ′(ũ) of a Bregman layer never appears as a product of two intervals:
with V = I it cancels exactly in the dual factor (its dependence on (ũ, z) is kept in full);
with a mixing V only τ = 1/σ′(ũ) is relaxed, on the interval of ũ.

Rounding: the recursions run in float64 under ``jax.jit`` (vmapped over inputs); the norms get
the slack of `bregmalib._certified.certify_norm` and the final sums and products are rounded
up with `bregmalib._certified`; the evaluations of σ′ and 1/σ′ are widened by
`FUNCTION_ULPS` ulps; the rounding of the exact centre products P_{kj} (relative γₙ of
|C_k||P|) is not tracked.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from typing import Any, Literal

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.typing import ArrayLike

from bregmalib._certified import (
    EPS,
    FUNCTION_ULPS,
    ROUNDING_ASSUMPTION,
    add_up,
    mul_up,
    round_up,
)
from bregmalib.legendre import LegendrePair
from bregmalib.lipschitz._conv_local import convnet_local_upper
from bregmalib.lipschitz._domain import make_box
from bregmalib.lipschitz._upper import (
    BREGMAN_METHODS,
    STANDARD_METHODS,
    Bound,
    best_bound,
    upper_bounds,
)
from bregmalib.nn import ConvNet, Layer, Network, NetworkLike, as_network
from bregmalib.nn.functional import dual_jacobian, preactivation, primal_trace

#: the norm of a region (a ball's) and of a Lipschitz constant: ℓ₂ or ℓ∞
LocalNorm = Literal["l2", "linf"]
#: the most regions `_propagate_batch` takes at once: one compiled program per power of two up to
#: it, whatever the number of regions
CHUNK = 64
#: relative widening of every evaluated σ′ and 1/σ′
_FUNCTION_SLACK = 4 * FUNCTION_ULPS * EPS


@dataclasses.dataclass(frozen=True)
class Region:
    """Inputs x = centre + diag(scale)·v with ‖v‖_p ≤ 1, intersected with [lower, upper]
    (rows: one region per input). ``dual`` is q, the dual exponent of p (2 for an ℓ₂ ball,
    1 for an ℓ∞ ball or a box)."""

    center: np.ndarray
    scale: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    dual: int


@dataclasses.dataclass(frozen=True)
class LocalBounds:
    """Certified upper bounds of the local Lipschitz constant, one per region, in ``norm``;
    +∞ where the region reaches an end of the activation's interval (with ``reason``)."""

    upper: np.ndarray
    norm: LocalNorm
    seconds: float
    assumptions: tuple[str, ...]
    reason: str = ""


def _check_norm(norm: object) -> LocalNorm:
    if norm == "l2" or norm == "linf":
        return norm
    raise ValueError(f"unknown norm {norm!r}; expected 'l2' or 'linf'")


def _natural_ends(net: Network | ConvNet) -> tuple[float, float]:
    if isinstance(net, ConvNet):
        return -np.inf, np.inf
    if net.dual_input:
        return net.pair.lower, net.pair.upper
    return -np.inf, np.inf


def _clip_ends(
    net: Network | ConvNet, domain: Any, shape: tuple[int, ...]
) -> tuple[np.ndarray, ...]:
    lo, hi = _natural_ends(net)
    if domain is not None:
        lo, hi = max(lo, float(np.min(domain[0]))), min(hi, float(np.max(domain[1])))
        lo_arr = np.maximum(np.broadcast_to(np.asarray(domain[0], np.float64), shape), lo)
        hi_arr = np.minimum(np.broadcast_to(np.asarray(domain[1], np.float64), shape), hi)
        return lo_arr, hi_arr
    return np.full(shape, lo), np.full(shape, hi)


def _rows(net: Network | ConvNet, points: ArrayLike) -> np.ndarray:
    """Inputs as rows; a `ConvNet`'s images (one, or a batch) flattened."""
    points = np.asarray(points, np.float64)
    if isinstance(net, ConvNet):
        return points.reshape(-1, math.prod(net.in_shape))
    return np.atleast_2d(points)


def ball_region(
    net: Network | ConvNet,
    centers: ArrayLike,
    radius: float,
    norm: LocalNorm = "l2",
    domain: Any = None,
) -> Region:
    """Balls ‖x − x₀‖_p ≤ ε around each row x₀ of ``centers`` (a `ConvNet`'s images flattened),
    intersected with ``domain`` (a pair (lower, upper) of scalars or arrays; None: the natural
    domain of the network, ℝⁿ for a `ConvNet`)."""
    centers = _rows(net, centers)
    if not radius > 0:
        raise ValueError(f"radius must be > 0, got {radius}")
    lower, upper = _clip_ends(net, domain, centers.shape)
    if np.any(centers < lower) or np.any(centers > upper):
        raise ValueError("every centre must lie in the domain")
    scale = np.full(centers.shape, float(radius))
    return Region(centers, scale, lower, upper, 2 if _check_norm(norm) == "l2" else 1)


def box_region(net: Network | ConvNet, lower: ArrayLike, upper: ArrayLike) -> Region:
    """Boxes [lower, upper] (rows: one box per input) inside the natural domain."""
    lower, upper = _rows(net, lower), _rows(net, upper)
    lo, hi = _natural_ends(net)
    if np.any(lower > upper) or np.any(lower < lo) or np.any(upper > hi):
        raise ValueError("need lower <= upper inside the natural domain")
    return Region((lower + upper) / 2, (upper - lower) / 2, lower, upper, 1)


# ----- ranges of σ′ and 1/σ′ on intervals (σ′ unimodal with its peak at lipschitz_point)


def _slope_deviation(pair: LegendrePair, z0: Array, radius: Array) -> tuple[Array, Array]:
    """(ρ, s̄) with |σ′(z) − σ′(z₀)| ≤ ρ and σ′(z) ≤ s̄ for |z − z₀| ≤ radius."""
    lo, hi = z0 - radius, z0 + radius
    s0 = pair.derivative(z0)
    top = pair.derivative(jnp.clip(pair.lipschitz_point, lo, hi))
    bottom = jnp.minimum(pair.derivative(lo), pair.derivative(hi))
    rho = jnp.maximum(top - s0, s0 - bottom) + _FUNCTION_SLACK * (top + s0)
    return rho, top * (1 + _FUNCTION_SLACK)


def _inverse_slope_deviation(pair: LegendrePair, skip0: Array, lower: Array, upper: Array) -> Array:
    """ρτ ≥ |1/σ′(ũ) − 1/σ′(ũ₀)| for ũ = σ⁻¹(y), y in [lower, upper] (1/σ′ is largest at an end
    of the interval, smallest at the peak of σ′); +∞ where it reaches an end of I."""
    inside = (lower > pair.lower) & (upper < pair.upper)
    fallback = pair.sigma(skip0)
    u_lo = jnp.minimum(pair.inverse(jnp.where(inside, lower, fallback)), skip0)
    u_hi = jnp.maximum(pair.inverse(jnp.where(inside, upper, fallback)), skip0)
    tau0 = jnp.exp(-pair.log_derivative(skip0))
    top = jnp.exp(-jnp.minimum(pair.log_derivative(u_lo), pair.log_derivative(u_hi)))
    bottom = jnp.exp(-pair.log_derivative(jnp.clip(pair.lipschitz_point, u_lo, u_hi)))
    rho = jnp.maximum(top - tau0, tau0 - bottom) + _FUNCTION_SLACK * (top + tau0)
    return jnp.where(inside, rho, jnp.inf)


# ----- the propagation


@dataclasses.dataclass
class _Entry:
    """The perturbation of factor G_j seen from layer k: ``weight`` = P_{kj}M_j (None: no slope
    term), ``prefix`` = P_{kj}, and the fixed ρs_{j−1}, V_j, ρτ_j, s̄_{j−1}."""

    weight: Array | None
    prefix: Array
    rho_slope: Array | None
    mixing: Array | None
    rho_tau: Array | None
    slope_top: Array


def _row_norms(matrix: Array, dual: int) -> Array:
    return jnp.linalg.norm(matrix, ord=dual, axis=1)


@jax.custom_batching.sequential_vmap
def _singular_value_norm(matrix: Array) -> Array:
    """‖A‖₂ by SVD; vmapped, one matrix at a time (``lax.map``): jaxlib 0.10.2's batched SVD
    splits its batch over XLA's intra-op thread pool and waits, and two of them running at once
    held every thread of a 2-core pool and waited forever (seen in notebook 07)."""
    return jnp.linalg.norm(matrix, ord=2)


def _spectral(matrix: Array) -> Array:
    """‖A‖₂, +∞ when an entry is not finite (LAPACK's SVD may not return on NaN)."""
    finite = jnp.all(jnp.isfinite(matrix))
    return jnp.where(finite, _singular_value_norm(jnp.where(finite, matrix, 0.0)), jnp.inf)


def _row_bound(entries: list[_Entry], center: Array, rows: list[Array], dual: int) -> Array:
    """N_k from the centre rows J⁰_k Y and the row bounds N_{j−1} of the earlier layers."""
    total = _row_norms(center, dual)
    for entry, previous in zip(entries, rows, strict=True):
        if entry.weight is not None and entry.rho_slope is not None:
            total = total + jnp.abs(entry.weight) @ (entry.rho_slope * previous)
        if entry.mixing is not None and entry.rho_tau is not None:
            inner = entry.mixing @ (entry.slope_top * previous)
            total = total + jnp.abs(entry.prefix) @ (entry.rho_tau * inner)
    return total


def _entry_norms(entry: _Entry) -> Array:
    """(‖P M diag ρs‖₂, ‖P diag ρτ‖₂·‖V diag s̄‖₂), zero where a term is absent."""
    slope = tau = jnp.zeros((), entry.prefix.dtype)
    if entry.weight is not None and entry.rho_slope is not None:
        slope = _spectral(entry.weight * entry.rho_slope[None, :])
    if entry.mixing is not None and entry.rho_tau is not None:
        tau = _spectral(entry.prefix * entry.rho_tau[None, :]) * _spectral(
            entry.mixing * entry.slope_top[None, :]
        )
    return jnp.stack([slope, tau])


def _entry_row_norms(entry: _Entry) -> Array:
    """`_entry_norms`'s first pair for each row d of the head alone (a scalar map dᵀf):
    (‖rows of P M diag ρs‖₂, ‖rows of P diag ρτ‖₂·‖V diag s̄‖₂), shape (rows, 2)."""
    rows = entry.prefix.shape[0]
    slope = tau = jnp.zeros(rows, entry.prefix.dtype)
    if entry.weight is not None and entry.rho_slope is not None:
        slope = _row_norms(entry.weight * entry.rho_slope[None, :], 2)
    if entry.mixing is not None and entry.rho_tau is not None:
        tau = _row_norms(entry.prefix * entry.rho_tau[None, :], 2) * _spectral(
            entry.mixing * entry.slope_top[None, :]
        )
    return jnp.stack([slope, tau], axis=1)


def _factor(
    net: Network, k: int, z_prev: Array | None, skip: Array, x0: Array
) -> tuple[Array, Array | None, Array | None]:
    """(C_k, M_k, V_k or None) of hidden layer k (0-based) at the centre: C_k by the core
    (∂z₁/∂x of `preactivation`, then `dual_jacobian`), M_k the matrix the slopes multiply."""
    layer: Layer = net.layers[k]
    if k == 0 or z_prev is None:
        center = jax.jacfwd(lambda x: preactivation(layer, x))(x0)
        return center, None, layer.skip_matrix() if net.version == "bregman" else None
    center = dual_jacobian(layer, z_prev)
    if net.version == "bregman" and layer.mixing is not None:
        tau0 = jnp.exp(-net.pair.log_derivative(skip))
        return center, tau0[:, None] * layer.mixing + layer.weight, layer.mixing
    if net.version == "euclidean":
        return center, layer.skip_matrix() + layer.weight, None
    return center, layer.weight, None


def _propagate(
    net: Network, head: Array, x0: Array, scale: Array, lower: Array, upper: Array, dual: int
) -> dict[str, Any]:
    """One region: the norms of the ℓ₂ recursion and the ℓ∞ row bound (module docstring), with
    ``head`` in place of H (the head's rows dᵢ also get their own ℓ₂ bounds of dᵢᵀJ)."""
    pair = net.pair
    trace = primal_trace(net, x0)
    n0 = x0.shape[0]
    ones = jnp.ones(n0, x0.dtype)
    x_lo, x_hi = jnp.maximum(x0 - scale, lower), jnp.minimum(x0 + scale, upper)
    entries: list[_Entry] = []
    region_rows, lip_rows = [scale], [ones]
    jacobian = jnp.eye(n0, dtype=x0.dtype)
    rho_prev: Array | None = None
    top_prev = ones
    z_prev: Array | None = None
    norms: list[Array] = []
    terms: list[list[Array]] = []
    for k in range(net.depth + 1):
        rho_tau = None
        if k < net.depth:
            skip, z = trace[k]
            center, weight, mixing = _factor(net, k, z_prev, skip, x0)
            if mixing is not None:
                mid = mixing @ (x0 if z_prev is None else pair.sigma(z_prev))
                spread = _row_norms(mixing * region_rows[-1][None, :], dual)
                lo = jnp.maximum(mixing @ x_lo, mid - spread)
                hi = jnp.minimum(mixing @ x_hi, mid + spread)
                rho_tau = _inverse_slope_deviation(pair, skip, lo, hi)
        else:
            assert z_prev is not None
            center = head * pair.derivative(z_prev)[None, :]
            weight, mixing = head, None
        for entry in entries:
            entry.weight = None if entry.weight is None else center @ entry.weight
            entry.prefix = center @ entry.prefix
        eye = jnp.eye(center.shape[0], dtype=center.dtype)
        entries.append(_Entry(weight, eye, rho_prev, mixing, rho_tau, top_prev))
        jacobian = center @ jacobian
        region_rows.append(_row_bound(entries, jacobian * scale[None, :], region_rows, dual))
        lip_rows.append(_row_bound(entries, jacobian, lip_rows, 1))
        norms.append(_spectral(jacobian))
        terms.append([_entry_norms(entry) for entry in entries])
        if k < net.depth:
            rho_prev, top_prev = _slope_deviation(pair, z, region_rows[-1])
            z_prev = z
            x_lo, x_hi = pair.sigma(z - region_rows[-1]), pair.sigma(z + region_rows[-1])
    return {
        "norms": norms,
        "terms": terms,
        "linf": jnp.max(lip_rows[-1]),
        "row_norms": _row_norms(jacobian, 2),
        "row_terms": [_entry_row_norms(entry) for entry in entries],
    }


@functools.partial(jax.jit, static_argnames=("dual",))
def _propagate_batch(
    net: Network,
    head: Array,
    center: Array,
    scale: Array,
    lower: Array,
    upper: Array,
    dual: int,
) -> dict[str, Any]:
    return jax.vmap(lambda h, c, s, lo, hi: _propagate(net, h, c, s, lo, hi, dual))(
        head, center, scale, lower, upper
    )


def chunk_size(count: int) -> int:
    """Regions per call of `_propagate_batch`: the power of two ≥ ``count`` up to `CHUNK`, so
    that any number of regions runs a handful of compiled programs."""
    return min(CHUNK, 1 << max(count - 1, 0).bit_length())


def propagate(net: Network, region: Region, heads: ArrayLike | None = None) -> dict[str, Any]:
    """`_propagate` over every region (vmapped), with per-region heads (None: H for all), in
    chunks of `chunk_size` regions (the last one padded with copies of its last region)."""
    count = region.center.shape[0]
    if heads is None:
        heads = np.broadcast_to(net.head_weight, (count, *net.head_weight.shape))
    arrays = [np.asarray(a) for a in (heads, region.center, region.scale)]
    arrays += [region.lower, region.upper]
    size = chunk_size(count)
    padded = -(-count // size) * size
    arrays = [np.concatenate([a, np.repeat(a[-1:], padded - count, axis=0)]) for a in arrays]
    chunks = []
    for start in range(0, padded, size):
        batch = (jnp.asarray(a[start : start + size]) for a in arrays)
        result = _propagate_batch(net, *batch, dual=region.dual)
        chunks.append(jax.tree_util.tree_map(np.asarray, result))
    return jax.tree_util.tree_map(lambda *parts: np.concatenate(parts)[:count], *chunks)


def _certified_norm(value: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """`certify_norm` elementwise: value·(1 + 4(m + n)u) rounded up, plus TINY."""
    slack = 4.0 * sum(shape) * EPS
    with np.errstate(invalid="ignore", over="ignore"):
        return round_up(np.asarray(value, np.float64) * (1.0 + slack) + 1e-300, 2)


def _norm_shape(net: Network) -> tuple[int, int]:
    """A shape at least as large as every matrix whose norm is taken (sets the norm slack)."""
    side = 2 * max(*net.widths, net.output_dim)
    return side, side


def _hidden_phis(net: Network, result: dict[str, Any]) -> list[np.ndarray]:
    """φ₀ = 1, φ_1 … φ_{L+1} from the certified norms: φ_k = ‖J⁰_k‖ + Σ_j (a_kj + b_kj)φ_{j−1}."""
    shape = _norm_shape(net)
    phis = [np.ones(np.asarray(result["norms"][0]).shape[0])]
    for norm, terms in zip(result["norms"], result["terms"], strict=True):
        phi = _certified_norm(norm, shape)
        for j, term in enumerate(terms):
            term = _certified_norm(term, shape)
            phi = add_up(phi, mul_up(add_up(term[:, 0], term[:, 1]), phis[j]))
        phis.append(phi)
    return phis


def theta_rows(net: Network, result: dict[str, Any]) -> np.ndarray:
    """Certified bounds of sup ‖dᵢᵀJ(x)‖₂ for each row dᵢ of the head (regions × rows): the
    θ recursion with the head's rows alone, φ_{L+1,i} = ‖dᵢᵀJ⁰‖ + Σ_j (a_ij + b_ij)φ_{j−1}."""
    phis = _hidden_phis(net, result)
    shape = _norm_shape(net)
    value = _certified_norm(result["row_norms"], shape)
    for j, term in enumerate(result["row_terms"]):
        term = _certified_norm(term, shape)
        value = add_up(value, mul_up(add_up(term[..., 0], term[..., 1]), phis[j][:, None]))
    return value


def _assumptions(net: Network) -> tuple[str, ...]:
    return (
        f"σ′ of {net.pair.name} unimodal with its peak at u = {net.pair.lipschitz_point:g}",
        "float64 centre products P_kj = C_k⋯C_{j+1} at x₀ taken as exact",
        ROUNDING_ASSUMPTION,
    )


def box_cap(net: Network, region: Region) -> Bound:
    """The best certified ℓ₂ bound (`upper_bounds`, all but the exponential vertex enumeration)
    on the box hull of every region, its ends rounded outwards: a bound on a superset of each
    region, so of each local constant too."""
    lower = np.nextafter(np.min(region.center - region.scale, axis=0), -np.inf)
    upper = np.nextafter(np.max(region.center + region.scale, axis=0), np.inf)
    lower = np.maximum(lower, np.min(region.lower, axis=0))
    upper = np.minimum(upper, np.max(region.upper, axis=0))
    table = BREGMAN_METHODS if net.version == "bregman" else STANDARD_METHODS
    methods = [m for m in table if m != "vertex"]
    return best_bound(upper_bounds(net, make_box(net, (lower, upper)), methods=methods))


def _convnet_region(net: ConvNet, region: Region, norm: LocalNorm) -> LocalBounds:
    """`region_lipschitz` of a `ConvNet` (`bregmalib.lipschitz._conv_local`)."""
    start = time.perf_counter()
    arrays = (region.center, region.scale, region.lower, region.upper)
    upper, assumptions = convnet_local_upper(net, *arrays, region.dual, 2 if norm == "l2" else 1)
    reason = ""
    if np.any(np.isinf(upper)):
        reason = "a stage has no finite local bound on a region (a skip g that jumps there)"
    return LocalBounds(upper, norm, time.perf_counter() - start, assumptions, reason)


def region_lipschitz(
    model: NetworkLike | ConvNet, region: Region, norm: LocalNorm = "l2"
) -> LocalBounds:
    """Certified upper bounds of sup ‖J(x)‖ over each region of ``region``: the ℓ₂ operator
    norm (``norm="l2"``) or ‖·‖_{∞→∞}, the largest row ℓ₁ norm (``"linf"``), which are the
    Lipschitz constants on the (convex) regions in those norms; the ℓ₂ bounds are at most the
    certified bound on the box hull of the regions (`box_cap`). A `ConvNet` gets interval
    propagation through its stages (`bregmalib.lipschitz._conv_local`)."""
    norm = _check_norm(norm)
    if isinstance(model, ConvNet):
        return _convnet_region(model, region, norm)
    net = as_network(model, dtype=jnp.float64)
    if not net.pair.legendre:
        raise ValueError(f"local bounds need a Legendre pair, got {net.pair.name}")
    start = time.perf_counter()
    result = propagate(net, region)
    assumptions = _assumptions(net)
    if norm == "l2":
        upper = _hidden_phis(net, result)[-1]
        cap = box_cap(net, region)
        if np.any(~(upper <= cap.value)):
            upper = np.minimum(np.where(np.isnan(upper), np.inf, upper), cap.value)
            assumptions += tuple(f"cap {cap.method}: {a}" for a in cap.assumptions)
    else:
        upper = round_up(result["linf"] * (1.0 + 64 * max(net.widths) * EPS), 2)
    upper = np.where(np.isfinite(upper), upper, np.inf)
    reason = ""
    if np.any(np.isinf(upper)):
        reason = "a region reaches an end of the activation's interval, where 1/σ′ is unbounded"
    return LocalBounds(upper, norm, time.perf_counter() - start, assumptions, reason)


def local_lipschitz(
    model: NetworkLike | ConvNet,
    centers: ArrayLike,
    radius: float,
    *,
    norm: LocalNorm = "l2",
    domain: Any = None,
) -> LocalBounds:
    """Certified bounds of the Lipschitz constant in ``norm`` on the ``norm``-ball of radius
    ``radius`` around each row of ``centers`` (∩ ``domain``, a pair (lower, upper))."""
    net = model if isinstance(model, ConvNet) else as_network(model, dtype=jnp.float64)
    return region_lipschitz(net, ball_region(net, centers, radius, norm, domain), norm)


def box_lipschitz(
    model: NetworkLike | ConvNet, lower: ArrayLike, upper: ArrayLike, *, norm: LocalNorm = "l2"
) -> LocalBounds:
    """Certified bounds of the Lipschitz constant in ``norm`` on each box [lower, upper]."""
    net = model if isinstance(model, ConvNet) else as_network(model, dtype=jnp.float64)
    return region_lipschitz(net, box_region(net, lower, upper), norm)
