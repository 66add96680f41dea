"""Invertibility certificates of a square Bregman layer x⁺ = σ(σ⁻¹(x) + Wx + b) (V = I).

In dual coordinates u = σ⁻¹(x) the layer is F(u) = u + Wσ(u) + b with Jacobian I + W diag σ′(u)
and σ′(u) ∈ (0, L_σ] (Frecon et al., ICML 2022). Three sufficient conditions, in
increasing generality:

(a) contraction  L_σ‖W‖₂ < 1 (Behrmann et al., "Invertible residual networks", ICML 2019);
(b) monotone     λ_min((W + Wᵀ)/2) > −1/L_σ, i.e. I + L_σW has a positive definite symmetric part;
(c) vertex       det(I + WD) > 0 for every diagonal D ∈ [0, L_σ]ⁿ, i.e. I + L_σW is a P-matrix
                 (det(I + WD) is multi-affine in D, its vertex values are the principal minors).

Every certificate returns a verdict about the layer (``"invertible"``, ``"not_invertible"`` when
a vertex determinant is negative, which forces a sign change of det J, or ``"inconclusive"``),
the margin of its condition, and the assumptions it used.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from typing import Any, Literal, get_args, overload

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from bregmalib._certified import spectral_norm_upper
from bregmalib.invert._network import network_of
from bregmalib.invert._solve import invertible_layer
from bregmalib.legendre import LegendrePair
from bregmalib.nn import MLP, Dense, Layer, Network

Verdict = Literal["invertible", "not_invertible", "inconclusive"]
INVERTIBLE: Verdict = "invertible"
NOT_INVERTIBLE: Verdict = "not_invertible"
INCONCLUSIVE: Verdict = "inconclusive"
Condition = Literal["contraction", "monotone", "vertex"]
CONDITIONS: tuple[Condition, ...] = get_args(Condition)

EXACT_VERTEX_MAX_N = 16
_TOL = 1e-9


@dataclasses.dataclass(frozen=True)
class Certificate:
    """The outcome of one invertibility test of a square Bregman layer.

    ``margin`` is positive exactly when the tested condition holds (its meaning is in
    ``margin_meaning``); ``verdict`` is what the test proves about the layer itself;
    ``witness`` is a vertex mask S ⊂ {0..n−1} (D = L_σ·1_S) with det(I + WD) ≤ 0, or the positive
    diagonal scaling of a scaled-monotone certificate, or None.
    """

    condition: str
    verdict: Verdict
    margin: float
    margin_meaning: str
    exact: bool
    assumptions: tuple[str, ...]
    witness: tuple[float, ...] | None = None

    @property
    def holds(self) -> bool:
        """True when the test proved the layer invertible (a C¹ diffeomorphism)."""
        return self.verdict == INVERTIBLE

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready view."""
        out = dataclasses.asdict(self)
        out["holds"] = self.holds
        out["assumptions"] = list(self.assumptions)
        out["witness"] = None if self.witness is None else list(self.witness)
        return out


def _matrix(weight: ArrayLike) -> np.ndarray:
    w = np.asarray(weight, dtype=np.float64)
    if w.ndim != 2 or w.shape[0] != w.shape[1]:
        raise ValueError(
            f"invertibility certificates need a square weight matrix W (n, n), got shape {w.shape}"
        )
    if not np.all(np.isfinite(w)):
        raise ValueError("the weight matrix W contains NaN or inf")
    return w


def _check_pair(pair: LegendrePair) -> float:
    if not isinstance(pair, LegendrePair):
        raise TypeError(f"pair must be a LegendrePair, got {type(pair).__name__}")
    lipschitz = pair.lipschitz
    if not np.isfinite(lipschitz) or lipschitz <= 0:
        raise ValueError(f"{pair.name}: certificates need a finite L_σ > 0, got {lipschitz}")
    return lipschitz


def pair_assumptions(pair: LegendrePair) -> tuple[str, ...]:
    """The standing hypotheses on σ used by every certificate, with their scope for ``pair``."""
    lipschitz = pair.lipschitz
    base = (
        f"σ = {pair.name} is C¹ and increasing with 0 < σ′ ≤ L_σ = {lipschitz:g}",
        "V = I (square layer); statement about F(u) = u + Wσ(u) + b and T = σ∘F∘σ⁻¹",
    )
    if not pair.legendre:
        return (
            *base,
            f"{pair.name} is a restricted pair (bijective only on [{pair.dual_lower:g}, "
            f"{pair.dual_upper:g}]): the certificate proves F injective on that box only; the "
            "primal layer is then injective where σ⁻¹(x) + Wx + b stays in the box, and is NOT "
            "onto Iⁿ in general (see bregmalib.invert.theorems)",
        )
    if pair.bounded:
        return (*base, "σ bounded, so F is proper (|F(u)| ≥ |u| − ‖W‖·sup|σ| − |b|)")
    return (
        *base,
        "σ unbounded: properness of F from σ(u) = a·max(u, 0) + O(1) or o(|u|) "
        "(softplus, bent identity: a = L_σ; asinh: a = 0), see bregmalib.invert.theorems",
    )


def _verdict(margin: float, *, refutes: bool) -> Verdict:
    if margin > _TOL:
        return INVERTIBLE
    if refutes and margin < -_TOL:
        return NOT_INVERTIBLE
    return INCONCLUSIVE


def _sufficient(
    condition: str, margin: float, meaning: str, pair: LegendrePair, *, exact: bool = True
) -> Certificate:
    """The certificate of a sufficient condition: invertible when its margin is positive."""
    verdict = _verdict(margin, refutes=False)
    return Certificate(condition, verdict, margin, meaning, exact, pair_assumptions(pair))


def contraction_certificate(weight: ArrayLike, pair: LegendrePair) -> Certificate:
    """(a) L_σ‖W‖₂ < 1: u ↦ v − b − Wσ(u) is a contraction (Behrmann et al. 2019).

    Margin 1 − L_σ‖W‖₂, with ‖W‖₂ the certified upper bound of `bregmalib._certified`, so a
    positive margin survives rounding.
    """
    w, lipschitz = _matrix(weight), _check_pair(pair)
    margin = 1.0 - lipschitz * spectral_norm_upper(w)
    return _sufficient("contraction", margin, "1 − L_σ‖W‖₂", pair)


def monotone_certificate(weight: ArrayLike, pair: LegendrePair) -> Certificate:
    """(b) λ_min((W + Wᵀ)/2) > −1/L_σ: σ⁻¹(x) + Wx is strongly monotone with modulus the margin.

    Margin 1/L_σ + λ_min((W + Wᵀ)/2).
    """
    w, lipschitz = _matrix(weight), _check_pair(pair)
    margin = 1.0 / lipschitz + float(np.linalg.eigvalsh(0.5 * (w + w.T))[0])
    meaning = "1/L_σ + λ_min((W + Wᵀ)/2)  (strong-monotonicity modulus)"
    return _sufficient("monotone", margin, meaning, pair)


def principal_minors(
    matrix: ArrayLike, max_size: int | None = None
) -> tuple[float, tuple[int, ...]]:
    """min over nonempty S with |S| ≤ ``max_size`` of det(M_SS) and the minimising S (None:
    exhaustive, 2ⁿ − 1 minors)."""
    m = np.asarray(matrix, dtype=np.float64)
    n = m.shape[0]
    best, best_set = np.inf, tuple[int, ...]()
    for size in range(1, min(n, max_size or n) + 1):
        index = np.array(list(itertools.combinations(range(n), size)), dtype=np.intp)
        dets = np.linalg.det(m[index[:, :, None], index[:, None, :]])
        k = int(np.argmin(dets))
        if dets[k] < best:
            best, best_set = float(dets[k]), tuple(int(i) for i in index[k])
    return best, best_set


def _vertex_witness(n: int, subset: tuple[int, ...]) -> tuple[float, ...]:
    mask = np.zeros(n)
    mask[list(subset)] = 1.0
    return tuple(mask.tolist())


def vertex_certificate(
    weight: ArrayLike, pair: LegendrePair, *, max_exact_n: int = EXACT_VERTEX_MAX_N
) -> Certificate:
    """(c) det(I + WD) > 0 for every D ∈ {0, L_σ}ⁿ, i.e. every principal minor of I + L_σW > 0.

    Exact by enumeration of the 2ⁿ vertices for n ≤ ``max_exact_n``; beyond, the sufficient
    P-matrix tests of `p_matrix_certificate`. Margin: the smallest vertex determinant
    min_S det(I + L_σ W_SS) (including S = ∅, value 1). A negative vertex determinant proves the
    layer is not injective (det J changes sign), with that vertex as witness.
    """
    w, lipschitz = _matrix(weight), _check_pair(pair)
    n = w.shape[0]
    if n > max_exact_n:
        return p_matrix_certificate(w, pair)
    matrix = np.eye(n) + lipschitz * w
    minimum, subset = principal_minors(matrix)
    margin = min(1.0, minimum)
    witness = _vertex_witness(n, subset) if margin <= _TOL else None
    return Certificate(
        condition="vertex",
        verdict=_verdict(margin, refutes=True),
        margin=margin,
        margin_meaning="min over D ∈ {0, L_σ}ⁿ of det(I + WD)",
        exact=True,
        assumptions=(
            *pair_assumptions(pair),
            "not_invertible needs σ′ to come arbitrarily close to 0 and to L_σ (true for the "
            "catalogue's Legendre pairs)",
        ),
        witness=witness,
    )


def _smallest_minor_search(matrix: np.ndarray) -> tuple[float, tuple[int, ...]]:
    """Smallest principal minor over all subsets of size ≤ 3 (≤ 2 when n > 64), then a greedy
    descent that adds or removes one index at a time."""
    n = matrix.shape[0]
    best, best_set = principal_minors(matrix, 3 if n <= 64 else 2)
    current = list(best_set)
    improved = True
    while improved and best > 0:
        improved = False
        for i in range(n):
            trial = sorted(set(current) ^ {i})
            if not trial:
                continue
            value = float(np.linalg.det(matrix[np.ix_(trial, trial)]))
            if value < best:
                best, current, improved = value, trial, True
    return best, tuple(current)


def _scaled_monotone_margin(matrix: np.ndarray, steps: int = 300) -> tuple[float, np.ndarray]:
    """max over positive diagonal Δ (mean 1) of λ_min(sym(ΔM)), by ascent on log Δ.

    λ_min(sym(ΔM)) is concave in Δ, so the ascent has no spurious local maxima; any Δ with a
    positive value certifies that M is a P-matrix.
    """
    m = jnp.asarray(matrix)

    def objective(log_scale: jax.Array) -> jax.Array:
        scale = jnp.exp(log_scale - jnp.mean(log_scale))
        product = scale[:, None] * m
        return jnp.linalg.eigvalsh(0.5 * (product + product.T))[0]

    step = jax.jit(jax.value_and_grad(objective))
    log_scale = jnp.zeros(m.shape[0], dtype=m.dtype)
    best_value, best_scale = -jnp.inf, log_scale
    for k in range(steps):
        value, grad = step(log_scale)
        if value > best_value:
            best_value, best_scale = value, log_scale
        log_scale = log_scale + 0.5 / np.sqrt(k + 1) * grad / (jnp.linalg.norm(grad) + 1e-12)
    scale = np.exp(np.asarray(best_scale) - np.mean(np.asarray(best_scale)))
    product = scale[:, None] * matrix
    return float(np.linalg.eigvalsh(0.5 * (product + product.T))[0]), scale


def _h_matrix_margin(matrix: np.ndarray) -> float:
    """1 − ρ(|diag M|⁻¹ |offdiag M|): positive iff M (with positive diagonal) is an H-matrix."""
    diagonal = np.diag(matrix)
    if np.any(diagonal <= 0):
        return -np.inf
    jacobi = np.abs(matrix - np.diag(diagonal)) / diagonal[:, None]
    return 1.0 - float(np.max(np.abs(np.linalg.eigvals(jacobi))))


def p_matrix_certificate(weight: ArrayLike, pair: LegendrePair) -> Certificate:
    """Sufficient tests that M = I + L_σW is a P-matrix, for any n (condition (c) at scale).

    In order: a principal minor ≤ 0 among all of size ≤ 3 or found by greedy descent (refutes);
    sym(M) ≻ 0 (condition (b)); an H-matrix with positive diagonal; a positive diagonal Δ with
    sym(ΔM) ≻ 0 (found by concave ascent). The first that settles the question is returned.
    """
    w, lipschitz = _matrix(weight), _check_pair(pair)
    n = w.shape[0]
    matrix = np.eye(n) + lipschitz * w
    minor, subset = _smallest_minor_search(matrix)
    if minor < -_TOL:
        return Certificate(
            condition="p_matrix_search",
            verdict=NOT_INVERTIBLE,
            margin=minor,
            margin_meaning="a negative principal minor of I + L_σW (vertex determinant)",
            exact=False,
            assumptions=pair_assumptions(pair),
            witness=_vertex_witness(n, subset),
        )
    sym_margin = float(np.linalg.eigvalsh(0.5 * (matrix + matrix.T))[0])
    if sym_margin > _TOL:
        meaning = "λ_min(sym(I + L_σW)) (condition (b) scaled by L_σ)"
        return _sufficient("p_matrix_symmetric_part", sym_margin, meaning, pair, exact=False)
    h_margin = _h_matrix_margin(matrix)
    if h_margin > _TOL:
        meaning = "1 − ρ(|diag M|⁻¹|offdiag M|), M = I + L_σW"
        return _sufficient("p_matrix_h_matrix", h_margin, meaning, pair, exact=False)
    scaled_margin, scale = _scaled_monotone_margin(matrix)
    meaning = "max over positive diagonal Δ of λ_min(sym(Δ(I + L_σW)))"
    found = _sufficient("p_matrix_diagonal_scaling", scaled_margin, meaning, pair, exact=False)
    return dataclasses.replace(found, witness=tuple(scale.tolist()))


def _layer_certificates(
    weight: ArrayLike, pair: LegendrePair, conditions: Sequence[Condition], max_exact_n: int
) -> dict[str, Certificate]:
    tests = {
        "contraction": lambda: contraction_certificate(weight, pair),
        "monotone": lambda: monotone_certificate(weight, pair),
        "vertex": lambda: vertex_certificate(weight, pair, max_exact_n=max_exact_n),
    }
    return {name: tests[name]() for name in conditions}


@overload
def certify_invertibility(
    model: Layer | Dense,
    *,
    conditions: Sequence[Condition] = ...,
    max_exact_n: int = ...,
) -> dict[str, Certificate]: ...


@overload
def certify_invertibility(
    model: Network | MLP,
    *,
    conditions: Sequence[Condition] = ...,
    max_exact_n: int = ...,
) -> list[dict[str, Any]]: ...


def certify_invertibility(
    model: Layer | Dense | Network | MLP,
    *,
    conditions: Sequence[Condition] = CONDITIONS,
    max_exact_n: int = EXACT_VERTEX_MAX_N,
) -> dict[str, Certificate] | list[dict[str, Any]]:
    """Invertibility certificates (a) contraction, (b) monotone, (c) vertex (those named in
    ``conditions``), which depend on W and σ only.

    A `Layer` or `Dense` (square, Bregman, V = I, else ValueError) gives ``{condition:
    Certificate}``; a `Network` or `MLP` gives one entry per hidden layer, ``{"layer", "shape",
    "certificates"}``, or ``{"layer", "shape", "skipped": reason}`` for a layer that cannot be a
    bijection (non-square, V ≠ I, not Bregman).
    """
    unknown = set(conditions) - set(CONDITIONS)
    if unknown:
        raise ValueError(f"unknown conditions {sorted(unknown)}; expected some of {CONDITIONS}")
    if isinstance(model, (Layer, Dense)):
        layer = invertible_layer(model)
        return _layer_certificates(layer.weight, layer.pair, conditions, max_exact_n)
    report: list[dict[str, Any]] = []
    for index, layer in enumerate(network_of(model).layers):
        shape = tuple(int(s) for s in layer.weight.shape)
        try:
            invertible_layer(layer, f"layer {index}")
        except ValueError as error:
            report.append({"layer": index, "shape": shape, "skipped": str(error)})
            continue
        certificates = _layer_certificates(layer.weight, layer.pair, conditions, max_exact_n)
        report.append({"layer": index, "shape": shape, "certificates": certificates})
    return report
