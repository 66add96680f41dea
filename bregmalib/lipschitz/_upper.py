"""Certified upper bounds on the ℓ₂ Lipschitz constant of a network on a box of inputs.

Every bound holds for all slopes σ′(uₖ) in the intervals that `propagate_intervals` computes,
so it bounds sup‖J(x)‖ over the box, which is the Lipschitz constant on the (convex) box.

Standard and Euclidean networks (J = H D_L Ŵ_L ⋯ D₁Ŵ₁, Ŵ = W or V + W):
- ``norm-product``: ‖H‖ Πₖ ‖diag(max|σ′|) Ŵₖ‖ (AutoLip, Virmaux and Scaman 2018);
- ``theta``: the Combettes–Pesquet bound (SIAM J. Math. Data Sci. 2020) with slopes split as
  D = M + R·E, ‖E‖ ≤ 1, summed by the O(m²) LipLT recursion (Fazlyab et al. 2023);
- ``eclipse-fast``: ECLipsE-Fast (Xu and Sivaranjani, NeurIPS 2024), the sequential Schur
  complements of LipSDP with one multiplier per layer, for slopes in [0, βᵢ];
- ``vertex``: max over the vertices of the slope box of ‖H D_L Ŵ_L ⋯ D₁Ŵ₁‖, the exact value of
  the slope relaxation (the norm is convex in each slope, so a vertex attains the maximum).

Bregman networks (J = H Πₖ (DₖD̃ₖ⁻¹Vₖ + DₖWₖ)):
- ``layer-product``: Πₖ (maxᵢ R_σ(Δₖᵢ)‖Vₖ‖ + L_σ‖Wₖ‖) ‖H‖, the single-layer bound composed;
- ``telescoping``: the slope ratios telescope along runs of V = I layers, so each term of the
  expanded product keeps one ratio, ρ_j = D_j D̃⁻¹ ≤ R_σ(Σ shifts);
- ``dual-theta``: the same expansion, each term bounded by a θ recursion in dual coordinates
  over the factors I + W_j D_{j−1} (products of weights instead of products of norms).

Every number is computed in float64 with `bregmalib._certified` (norms rounded up, intervals
outwards). A bound whose intermediate quantities are infinite or overflow (a slope ratio
R_σ(Δ) with Δ unbounded, or exp(βΔ) beyond float64) is returned as +∞ with the reason.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.linalg
import scipy.sparse.linalg
from threadpoolctl import ThreadpoolController

from bregmalib._certified import (
    EPS,
    ROUNDING_ASSUMPTION,
    add_intervals,
    add_up,
    affine_interval,
    as_float64,
    certify_norm,
    midpoint_radius,
    mul_up,
    round_up,
    spectral_norm_upper,
)
from bregmalib.lipschitz._domain import (
    Box,
    LayerIntervals,
    propagate_intervals,
    unimodality_assumption,
)
from bregmalib.lipschitz._slope import slope_ratio_bound
from bregmalib.nn import Network

MAX_VERTEX_NEURONS = 16
#: BLAS threads of the bounds, chosen here rather than inherited: their matrices are at most a
#: few thousand wide and the SVDs short and many, where more threads oversubscribe the cores
#: (dual-θ of a sigmoid 6×128 network: 25.2 s with the default threads on 2 cores, 0.44 s on one)
BLAS_THREADS = 1
#: from this size up the largest eigenvalue in ECLipsE-Fast comes from Lanczos iteration
LANCZOS_SIZE = 128


@dataclasses.dataclass(frozen=True)
class Bound:
    """An upper bound on the Lipschitz constant: its value, method, assumptions and time;
    ``reason`` says why the value is +∞ (unbounded) and is empty otherwise."""

    value: float
    method: str
    assumptions: tuple[str, ...]
    seconds: float
    reason: str = ""

    @property
    def unbounded(self) -> bool:
        """True when the method gives no finite bound (see ``reason``)."""
        return not np.isfinite(self.value)


class _Unbounded(Exception):
    """Raised inside a bound when an intermediate quantity is infinite; carries the reason."""


def _slopes_assumption(net: Network, box: Box) -> str:
    where = "over the natural domain" if _is_natural(net, box) else "over the box"
    return (
        f"slopes σ′(uₖ) in elementwise intervals from interval arithmetic {where}; "
        + ROUNDING_ASSUMPTION
    )


def _is_natural(net: Network, box: Box) -> bool:
    c = net.pair
    lo = c.lower if net.dual_input else -np.inf
    hi = c.upper if net.dual_input else np.inf
    return bool(np.all(box.lower == lo) and np.all(box.upper == hi))


def _selector(net: Network, columns: np.ndarray | None) -> np.ndarray:
    n = net.input_dim
    if columns is None:
        return np.eye(n)
    return np.diag(np.asarray(columns, np.float64))


def _timed(function: Callable[[], tuple[float, tuple[str, ...]]], method: str) -> Bound:
    """Run a bound; an infinite or NaN value, or `_Unbounded`, gives +∞ with its reason."""
    start = time.perf_counter()
    try:
        value, assumptions = function()
    except _Unbounded as unbounded:
        return Bound(np.inf, method, (), time.perf_counter() - start, str(unbounded))
    reason = ""
    if not np.isfinite(value):
        value, reason = np.inf, f"{method}: an intermediate product overflowed float64"
    return Bound(float(value), method, assumptions, time.perf_counter() - start, reason)


# ----- the θ recursion


@dataclasses.dataclass(frozen=True)
class Factor:
    """A factor F = C + A·E·B of a product, where E is any matrix with ‖E‖ ≤ 1."""

    center: np.ndarray
    spread: np.ndarray
    right: np.ndarray | None = None


def theta_bound(left: np.ndarray, factors: Sequence[Factor], right: np.ndarray) -> float:
    """Upper bound on sup ‖Y F_m ⋯ F₁ X‖ over ‖E_j‖ ≤ 1, where F_j = C_j + A_j E_j B_j.

    Unrolling P_k = C_k P_{k−1} + A_k E_k B_k P_{k−1} gives φ_j ≥ ‖B_j P_{j−1}‖ with
    φ_j = ‖B_j C_{j−1}⋯C₁X‖ + Σ_{i<j} ‖B_j C_{j−1}⋯C_{i+1}A_i‖ φ_i (B_{m+1} = Y): O(m²) norms
    of products of consecutive factors (Combettes and Pesquet 2020; LipLT, Fazlyab et al. 2023).
    """
    phis: list[float] = []
    outers = [f.right for f in factors] + [left]
    for j, outer in enumerate(outers):
        product = np.eye(factors[j].center.shape[1]) if outer is None else outer
        total = 0.0
        for i in range(j - 1, -1, -1):
            total = float(
                add_up(total, mul_up(spectral_norm_upper(product @ factors[i].spread), phis[i]))
            )
            product = product @ factors[i].center
        phis.append(float(add_up(total, spectral_norm_upper(product @ right))))
    return phis[-1]


# ----- standard and Euclidean networks


def _standard_parts(
    net: Network, box: Box
) -> tuple[list[np.ndarray], list[LayerIntervals], np.ndarray]:
    return list(net.effective_weights()), propagate_intervals(net, box), as_float64(net.head_weight)


def norm_product(net: Network, box: Box, columns: np.ndarray | None = None) -> Bound:
    """‖H‖ Πₖ ‖diag(max|σ′ₖ|) Ŵₖ‖ (AutoLip) for standard/Euclidean networks."""

    def run() -> tuple[float, tuple[str, ...]]:
        weights, layers, head = _standard_parts(net, box)
        weights[0] = weights[0] @ _selector(net, columns)
        value = spectral_norm_upper(head)
        for w, lay in zip(weights, layers, strict=True):
            top = np.maximum(np.abs(lay.slope[0]), np.abs(lay.slope[1]))
            value = float(mul_up(value, spectral_norm_upper(top[:, None] * w)))
        return value, (_slopes_assumption(net, box), unimodality_assumption(net.pair))

    return _timed(run, "norm-product")


def theta(net: Network, box: Box, columns: np.ndarray | None = None) -> Bound:
    """Combettes–Pesquet θ with per-neuron slope intervals, by the O(m²) recursion."""

    def run() -> tuple[float, tuple[str, ...]]:
        weights, layers, head = _standard_parts(net, box)
        factors = []
        for w, lay in zip(weights, layers, strict=True):
            mid, rad = midpoint_radius(*lay.slope)
            factors.append(Factor(mid[:, None] * w, np.diag(rad), w))
        value = theta_bound(head, factors, _selector(net, columns))
        return value, (_slopes_assumption(net, box), unimodality_assumption(net.pair))

    return _timed(run, "theta")


def eclipse_fast(net: Network, box: Box, columns: np.ndarray | None = None) -> Bound:
    """ECLipsE-Fast for slopes in [0, βᵢ]: with Ŵₖ scaled to diag(β)Ŵₖ (slopes in [0, 1]),
    X₀ = I, Xₖ = (2/λₖ)I − Ŵₖ Xₖ₋₁⁻¹ Ŵₖᵀ/λₖ², λₖ = λ_max(ŴₖXₖ₋₁⁻¹Ŵₖᵀ), and
    Lip² ≤ λ_max(H X_L⁻¹ Hᵀ) (Xu and Sivaranjani, NeurIPS 2024, from LipSDP)."""

    def run() -> tuple[float, tuple[str, ...]]:
        weights, layers, head = _standard_parts(net, box)
        if any(np.any(lay.slope[0] < 0) for lay in layers):
            return np.inf, ("not applicable: some slope interval contains negative slopes",)
        weights[0] = weights[0] @ _selector(net, columns)
        scaled = [lay.slope[1][:, None] * w for w, lay in zip(weights, layers, strict=True)]
        return _eclipse_fast_value(scaled, head), (
            _slopes_assumption(net, box) + " (lower ends relaxed to 0)",
            unimodality_assumption(net.pair),
            "slope-restricted activations in [0, βᵢ] (LipSDP quadratic constraints)",
        )

    return _timed(run, "eclipse-fast")


def _eclipse_fast_value(scaled: Sequence[np.ndarray], head: np.ndarray) -> float:
    """The ECLipsE-Fast recursion. Any λₖ > 0 with Xₖ ≻ 0 gives a valid bound (the Schur
    complements of a feasible LipSDP point); Xₖ ≻ 0 holds for any λₖ > λ_max/2, so a Lanczos
    estimate of λ_max serves, and the Cholesky factorisation of Xₖ checks it."""
    factor = np.eye(scaled[0].shape[1])  # Cholesky factor of X_{k−1}
    for w in scaled:
        a = scipy.linalg.solve_triangular(factor, w.T, lower=True)
        gram = a.T @ a
        top = max(largest_eigenvalue(gram), 1e-150)
        x = (2.0 / top) * np.eye(w.shape[0]) - gram / top**2
        factor = np.linalg.cholesky(x)
    a = scipy.linalg.solve_triangular(factor, head.T, lower=True)
    return spectral_norm_upper(a)


def largest_eigenvalue(gram: np.ndarray) -> float:
    """λ_max of a symmetric positive semidefinite matrix: by Lanczos iteration (ARPACK, matrix
    products only) from `LANCZOS_SIZE` rows up, else from the dense eigensolver."""
    n = gram.shape[0]
    if n < LANCZOS_SIZE:
        return float(scipy.linalg.eigvalsh(gram, subset_by_index=[n - 1, n - 1])[0])
    start = np.ones(n) / np.sqrt(n)
    return float(scipy.sparse.linalg.eigsh(gram, k=1, which="LA", v0=start, tol=1e-12)[0][0])


def vertex_bound(
    net: Network,
    box: Box,
    columns: np.ndarray | None = None,
    *,
    max_neurons: int = MAX_VERTEX_NEURONS,
    chunk: int = 4096,
) -> Bound:
    """max over D at the vertices of the slope box of ‖H D_L Ŵ_L ⋯ D₁Ŵ₁‖: exact for the slope
    relaxation (each slope independent in its interval), 2^N products for N hidden neurons."""

    def run() -> tuple[float, tuple[str, ...]]:
        weights, layers, head = _standard_parts(net, box)
        sizes = [w.shape[0] for w in weights]
        if sum(sizes) > max_neurons:
            raise ValueError(
                f"vertex enumeration needs at most {max_neurons} hidden neurons, got {sum(sizes)}"
            )
        weights[0] = weights[0] @ _selector(net, columns)
        lows = np.concatenate([lay.slope[0] for lay in layers])
        highs = np.concatenate([lay.slope[1] for lay in layers])
        value = _max_vertex_norm(tuple(weights), head, lows, highs, tuple(sizes), chunk)
        return value, (
            _slopes_assumption(net, box),
            unimodality_assumption(net.pair),
            "exact maximum of the slope relaxation (vertex enumeration)",
        )

    return _timed(run, "vertex")


def _max_vertex_norm(
    weights: tuple[np.ndarray, ...],
    head: np.ndarray,
    lows: np.ndarray,
    highs: np.ndarray,
    sizes: tuple[int, ...],
    chunk: int,
) -> float:
    n = int(sum(sizes))
    splits = np.cumsum(sizes)[:-1]
    best = 0.0
    for start in range(0, 2**n, chunk):
        index = np.arange(start, min(start + chunk, 2**n))
        bits = ((index[:, None] >> np.arange(n)[None, :]) & 1).astype(bool)
        slopes = np.split(np.where(bits, highs, lows), splits, axis=1)
        product = np.broadcast_to(weights[0], (index.size, *weights[0].shape))
        product = slopes[0][:, :, None] * product
        for w, d in zip(weights[1:], slopes[1:], strict=True):
            product = d[:, :, None] * np.einsum("ij,bjk->bik", w, product)
        jacobians = np.einsum("ij,bjk->bik", head, product)
        best = max(best, float(np.max(np.linalg.svd(jacobians, compute_uv=False)[:, 0])))
    return certify_norm(best, (head.shape[0], weights[0].shape[1]))


# ----- Bregman networks


def _magnitude(interval: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    return np.maximum(np.abs(interval[0]), np.abs(interval[1]))


def _safe_quotient(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1.0), np.inf)


@dataclasses.dataclass(frozen=True)
class Segment:
    """A run of hidden layers k..m whose layers after the first have V = I.

    ``ratios[j]`` bounds ρ = σ′(u_{k+j})/σ′(ũ_k) elementwise; ``mixing`` is V_k (None for I).
    """

    start: int
    stop: int
    ratios: tuple[np.ndarray, ...]
    mixing: np.ndarray | None


def _segments(
    net: Network, layers: list[LayerIntervals], box: Box
) -> tuple[list[Segment], tuple[str, ...]]:
    ratio = slope_ratio_bound(net.pair)
    starts = [k for k, v in enumerate(net.mixings) if k == 0 or v is not None]
    segments = []
    for s, start in enumerate(starts):
        stop = starts[s + 1] if s + 1 < len(starts) else net.depth
        base_low = layers[start].base_slope[0]
        shifts = cumulative_shifts(net, layers, box, start, stop)
        ratios = tuple(
            _finite_ratios(
                net,
                box,
                k,
                shift,
                np.minimum(ratio(shift), _safe_quotient(layers[k].slope[1], base_low)),
            )
            for k, shift in zip(range(start, stop), shifts, strict=True)
        )
        v = net.mixings[start]
        segments.append(Segment(start, stop, ratios, None if v is None else as_float64(v)))
    return segments, (ratio.note,)


def cumulative_shifts(
    net: Network, layers: list[LayerIntervals], box: Box, start: int, stop: int
) -> list[np.ndarray]:
    """Elementwise bounds on |c_j| = |u_j − ũ_start| for a run of V = I layers start..stop−1.

    Two bounds, of which the smaller is kept: the sum of the shift intervals, and the affine
    split c_j = (W_start + Σ_{start<i≤j} W_i V) x_in + Σ b_i + Σ_{start<i≤j} W_i e_{i−1}, with
    e_i = x_i − V x_in = σ(ũ + c_i) − σ(ũ), so |e_i| ≤ min(L_σ|c_i|, |I|) elementwise. The
    float64 rounding of the summed weights and biases is bounded (γₙ) and added.
    """
    c = net.pair
    x_lo, x_hi = (box.lower, box.upper) if start == 0 else layers[start - 1].out
    x_size = _magnitude((as_float64(x_lo), as_float64(x_hi)))
    w_first = as_float64(net.weights[start])
    v = net.mixings[start]
    mixing = np.eye(w_first.shape[0]) if v is None else as_float64(v)
    gamma = float(round_up((mixing.shape[0] + 2) * EPS, 2))
    linear, offset = w_first.copy(), as_float64(net.biases[start]).copy()
    linear_error, offset_error = np.zeros_like(linear), np.zeros_like(offset)
    zeros = np.zeros(w_first.shape[0])
    remainder, excursion, summed = zeros, zeros, (zeros, zeros)
    spread = float(round_up(c.upper - c.lower))
    bounds = []
    for k in range(start, stop):
        if k > start:
            w = as_float64(net.weights[k])
            linear = linear + w @ mixing
            offset = offset + as_float64(net.biases[k])
            linear_error = add_up(linear_error, gamma * (np.abs(w) @ mixing + np.abs(linear)))
            offset_error = add_up(offset_error, gamma * np.abs(offset))
            remainder = add_up(remainder, _dot_up(np.abs(w), excursion))
        summed = add_intervals(summed, layers[k].shift)
        split = add_up(_magnitude(affine_interval(linear, offset, x_lo, x_hi)), remainder)
        split = add_up(split, add_up(_dot_up(linear_error, x_size), offset_error))
        bound = np.minimum(_magnitude(summed), split)
        bounds.append(bound)
        excursion = np.minimum(mul_up(c.lipschitz, bound), spread)
    return bounds


def _dot_up(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """An upper bound of Av for A, v ≥ 0 (0·∞ = 0)."""
    return affine_interval(matrix, None, vector, vector)[1]


def _unbounded_reason(net: Network, box: Box, k: int, shift: np.ndarray, ratios: np.ndarray) -> str:
    """Why the slope ratios of layer k are infinite: Δ unbounded, or R_σ(Δ) beyond float64."""
    bad = ~np.isfinite(ratios)
    where = "the whole space" if _is_natural(net, box) else "this domain"
    if np.any(bad & ~np.isfinite(shift)):
        return (
            f"slope ratio R_σ(Δ) is infinite: Δ unbounded on {where} for {net.pair.name} "
            f"(hidden layer {k})"
        )
    largest = float(np.max(np.where(bad, shift, 0.0)))
    return (
        f"slope ratio R_σ(Δ) overflows float64 at Δ = {largest:.4g} for {net.pair.name} "
        f"(hidden layer {k})"
    )


def _finite_ratios(
    net: Network, box: Box, k: int, shift: np.ndarray, ratios: np.ndarray
) -> np.ndarray:
    """``ratios``, or `_Unbounded` with the reason when one is infinite."""
    if not np.all(np.isfinite(ratios)):
        raise _Unbounded(_unbounded_reason(net, box, k, shift, ratios))
    return ratios


def _bregman_assumptions(net: Network, box: Box, notes: tuple[str, ...]) -> tuple[str, ...]:
    return (
        _slopes_assumption(net, box),
        unimodality_assumption(net.pair),
        "slope ratios σ′(u+δ)/σ′(u) ≤ R_σ(|δ|) with δ bounded by summed shift intervals",
        *notes,
    )


def layer_product(net: Network, box: Box, columns: np.ndarray | None = None) -> Bound:
    """Πₖ (maxᵢ ρ̄ₖᵢ ‖Vₖ‖ + max σ′ₖ ‖Wₖ‖) · ‖H‖ with ρ̄ₖᵢ = min(R_σ(Δₖᵢ), max σ′(uₖᵢ)/min σ′(ũₖᵢ)),
    Δₖᵢ = sup|(Wₖxₖ₋₁ + bₖ)ᵢ|: the single-layer bound (`layer_lipschitz_bound`) composed layer
    by layer."""

    def run() -> tuple[float, tuple[str, ...]]:
        _require_bregman(net)
        ratio = slope_ratio_bound(net.pair)
        layers = propagate_intervals(net, box)
        value = spectral_norm_upper(net.head_weight)
        select = _selector(net, columns)
        for k, (w, v, lay) in enumerate(zip(net.weights, net.skip_weights(), layers, strict=True)):
            w64, v64 = as_float64(w), as_float64(v)
            if k == 0:
                w64, v64 = w64 @ select, v64 @ select
            shift = _magnitude(lay.shift)
            rho = np.minimum(ratio(shift), _safe_quotient(lay.slope[1], lay.base_slope[0]))
            rho = _finite_ratios(net, box, k, shift, rho)
            skip_term = mul_up(np.max(rho), spectral_norm_upper(v64))
            branch_term = mul_up(np.max(lay.slope[1]), spectral_norm_upper(w64))
            value = float(mul_up(value, add_up(skip_term, branch_term)))
        return value, _bregman_assumptions(net, box, (ratio.note,))

    return _timed(run, "layer-product")


def telescoping(net: Network, box: Box, columns: np.ndarray | None = None) -> Bound:
    """Per run of V = I layers k..m: ‖V_k‖ [max ρ̄_m + Σ_{k<j≤m} max ρ̄_{j−1} d_m ‖W_j‖
    Π_{j<i≤m}(1 + d_{i−1}‖W_i‖)] + d_m‖W_k‖ Π_{k<i≤m}(1 + d_{i−1}‖W_i‖), d = max σ′; the runs'
    bounds multiply, with ‖H‖ on the last (the telescoped Jacobian D_L Πₖ (I + WₖDₖ₋₁) D₀⁻¹ of
    `telescoping_claim`, with per-coordinate shifts)."""

    def run() -> tuple[float, tuple[str, ...]]:
        _require_bregman(net)
        layers = propagate_intervals(net, box)
        segments, notes = _segments(net, layers, box)
        select = _selector(net, columns)
        value = spectral_norm_upper(net.head_weight)
        for seg in segments:
            segment = _telescoping_segment(net, layers, seg, select if seg.start == 0 else None)
            value = float(mul_up(value, segment))
        return value, _bregman_assumptions(net, box, notes)

    return _timed(run, "telescoping")


def _telescoping_segment(
    net: Network, layers: list[LayerIntervals], seg: Segment, select: np.ndarray | None
) -> float:
    w_norms = {}
    for k in range(seg.start, seg.stop):
        w = as_float64(net.weights[k])
        first = k == seg.start and select is not None
        w_norms[k] = spectral_norm_upper(w @ select if first else w)
    top = [float(np.max(lay.slope[1])) for lay in layers]
    last = seg.stop - 1
    skip = _skip_norm(seg, select)

    def tail(j: int) -> float:  # d_m Π_{j<i≤m}(1 + d_{i−1}‖W_i‖)
        product = top[last]
        for i in range(j + 1, seg.stop):
            product = float(mul_up(product, add_up(1.0, mul_up(top[i - 1], w_norms[i]))))
        return float(product)

    ratio_max = [float(np.max(r)) for r in seg.ratios]
    total = add_up(mul_up(skip, ratio_max[-1]), mul_up(w_norms[seg.start], tail(seg.start)))
    for j in range(seg.start + 1, seg.stop):
        term = mul_up(mul_up(skip, ratio_max[j - 1 - seg.start]), mul_up(w_norms[j], tail(j)))
        total = add_up(total, term)
    return float(total)


def _skip_norm(seg: Segment, select: np.ndarray | None) -> float:
    if seg.mixing is None:
        return 1.0 if select is None else float(np.max(np.abs(np.diag(select))))
    return spectral_norm_upper(seg.mixing if select is None else seg.mixing @ select)


def dual_theta(net: Network, box: Box, columns: np.ndarray | None = None) -> Bound:
    """The telescoped expansion J_seg = ρ_m V + Σ_j T_j W_j ρ_{j−1} V + T_k W_k with
    T_j = D_m Π_{j<i≤m}(I + W_i D_{i−1}), each ‖T_j W_j ρ̄‖ bounded by the θ recursion over
    the factors (I + W_i M_{i−1}) + W_i R_{i−1} E (slopes D = M + R·E, ‖E‖ ≤ 1)."""

    def run() -> tuple[float, tuple[str, ...]]:
        _require_bregman(net)
        layers = propagate_intervals(net, box)
        segments, notes = _segments(net, layers, box)
        select = _selector(net, columns)
        value = 1.0
        for seg in segments:
            left = as_float64(net.head_weight) if seg.stop == net.depth else None
            segment = _dual_theta_segment(
                net, layers, seg, left, select if seg.start == 0 else None
            )
            value = float(mul_up(value, segment))
        return value, _bregman_assumptions(net, box, notes)

    return _timed(run, "dual-theta")


def _dual_theta_segment(
    net: Network,
    layers: list[LayerIntervals],
    seg: Segment,
    left: np.ndarray | None,
    select: np.ndarray | None,
) -> float:
    width = layers[seg.stop - 1].slope[1].shape[0]
    left = np.eye(width) if left is None else left
    mids, rads = zip(*(midpoint_radius(*lay.slope) for lay in layers), strict=True)
    last = seg.stop - 1
    out_factor = Factor(np.diag(mids[last]), np.diag(rads[last]))

    def factors_after(j: int) -> list[Factor]:
        chain = []
        for i in range(j + 1, seg.stop):
            w = as_float64(net.weights[i])
            chain.append(
                Factor(np.eye(w.shape[0]) + w * mids[i - 1][None, :], w * rads[i - 1][None, :])
            )
        return [*chain, out_factor]

    identity_skip = seg.mixing is None
    skip_scale = 1.0 if identity_skip else _skip_norm(seg, select)
    inner = select if (identity_skip and select is not None) else None

    def right(matrix: np.ndarray) -> np.ndarray:
        return matrix if inner is None else matrix @ inner

    w_first = as_float64(net.weights[seg.start])
    total = mul_up(skip_scale, spectral_norm_upper(right(left * seg.ratios[-1][None, :])))
    first_right = w_first if select is None else w_first @ select
    total = add_up(total, theta_bound(left, factors_after(seg.start), first_right))
    for j in range(seg.start + 1, seg.stop):
        w = as_float64(net.weights[j]) * seg.ratios[j - 1 - seg.start][None, :]
        total = add_up(total, mul_up(skip_scale, theta_bound(left, factors_after(j), right(w))))
    return float(total)


def _require_bregman(net: Network) -> None:
    if net.version != "bregman":
        raise ValueError(f"this bound is for Bregman networks, got version {net.version!r}")


# ----- all bounds

STANDARD_METHODS: dict[str, Callable[..., Bound]] = {
    "norm-product": norm_product,
    "theta": theta,
    "eclipse-fast": eclipse_fast,
    "vertex": vertex_bound,
}
BREGMAN_METHODS: dict[str, Callable[..., Bound]] = {
    "layer-product": layer_product,
    "telescoping": telescoping,
    "dual-theta": dual_theta,
}


def upper_bounds(
    net: Network,
    box: Box,
    columns: np.ndarray | None = None,
    *,
    methods: Sequence[str] | None = None,
) -> dict[str, Bound]:
    """Every applicable upper bound, by method name (``vertex`` only up to
    `MAX_VERTEX_NEURONS` hidden neurons)."""
    table = BREGMAN_METHODS if net.version == "bregman" else STANDARD_METHODS
    if methods is None:
        methods = [m for m in table if m != "vertex" or sum(net.widths[1:]) <= MAX_VERTEX_NEURONS]
    unknown = [m for m in methods if m not in table]
    if unknown:
        raise ValueError(
            f"unknown methods {unknown} for a {net.version} network; known: {list(table)}"
        )
    with blas_threads():
        return {m: table[m](net, box, columns) for m in methods}


@functools.cache
def _threadpools() -> ThreadpoolController:
    return ThreadpoolController()


def blas_threads(limit: int = BLAS_THREADS) -> Any:
    """A context in which the BLAS libraries (OpenBLAS, MKL) run ``limit`` threads."""
    return _threadpools().limit(limits=limit, user_api="blas")


def best_bound(bounds: dict[str, Bound]) -> Bound:
    """The smallest of several sound upper bounds."""
    return min(bounds.values(), key=lambda b: b.value)
