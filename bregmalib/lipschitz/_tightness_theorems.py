"""Tightness of the layer and network bounds: a family of networks on which they are approached
within a stated factor (Frecon, Gasso, Pontil, Salzo, "Bregman Neural Networks", ICML 2022).

For a pair whose slope σ′ reaches its maximum L_σ at an interior point u* (x* = σ(u*)), the
one-dimensional layers τ_k(x) = σ(σ⁻¹(x) + w_k(x − x*)), w_k ≥ 0, all fix x*, where
τ_k′(x*) = σ′(u*)/σ′(u*) + w_kσ′(u*) = 1 + L_σw_k. On B = [x* − a, x* + a] the network
N = τ_K ∘ ⋯ ∘ τ_1 therefore has Lip_B(N) ≥ Π_k (1 + L_σw_k), while the product of the layer
bounds on the boxes the layers see is P = Π_k ℓ_k, ℓ_k = R_σ(w_k h_k) + L_σw_k, h_1 = a,
h_{k+1} = ℓ_k h_k. Since (R + Lw)/(1 + Lw) ≤ R for R ≥ 1,

    Π_k (1 + L_σw_k) ≤ Lip_B(N) ≤ P ≤ Π_k R_σ(w_k h_k) · Π_k (1 + L_σw_k),

so the bounds are within the factor Π_k R_σ(w_k h_k) of the constant, a factor that tends to 1
as a → 0. Diagonal n-D layers whose largest weights share a coordinate reduce to this family
coordinate by coordinate. The telescoping bound of `bregmalib.lipschitz.upper_bounds` lies
below P (Theorem network/telescoping_below_product), so the same factor holds for it.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
import sympy as sp
from jax import Array

from bregmalib import legendre
from bregmalib.legendre import LegendrePair, U
from bregmalib.lipschitz._domain import make_box
from bregmalib.lipschitz._upper import telescoping
from bregmalib.nn import Layer, Network
from bregmalib.nn import functional as F
from bregmalib.symbolic import (
    DELTA,
    Claim,
    Hypothesis,
    NumericCheck,
    Result,
    Step,
    SymbolicOutcome,
    equal,
    inconclusive,
    proved,
    slope_ratio,
)
from bregmalib.symbolic._certify import sign_nonnegative
from bregmalib.symbolic._latex import math_, verbatim

#: the depth of the searched networks, the range of their weights
DEPTH, MAX_WEIGHT = 3, 2.0
#: the table's example: weights and half-width of the box
EXAMPLE_WEIGHTS, EXAMPLE_HALF_WIDTH = (1.0, 1.0, 1.0), 0.05


@functools.lru_cache(maxsize=16)
def centre(pair: LegendrePair) -> sp.Expr | None:
    """u* = 0 when σ′(0) = L_σ exactly (the maximiser of σ′ is interior), else None (for
    softplus and the bent identity σ′ approaches L_σ only at infinity)."""
    slope = pair.substitute(pair.derivative_expr)
    lipschitz = pair.substitute(pair.lipschitz_expr)
    if 0 not in pair.dual_domain or not equal(slope.subs(U, 0), lipschitz):
        return None
    return sp.S.Zero


def covered(pair: LegendrePair) -> bool:
    """The family's pairs: Legendre, with an interior maximiser of σ′."""
    return pair.legendre and centre(pair) is not None


def half_width(pair: LegendrePair) -> float:
    """The largest a searched: a tenth of the distance from x* to the nearer end of I (0.1 if
    I is unbounded); the factor grows like exp(exp(·)) with depth, and overflows float64 on
    larger boxes."""
    x_star = float(pair.substitute(pair.sigma_expr).subs(U, centre(pair)))
    gaps = [abs(e - x_star) for e in (pair.lower, pair.upper) if np.isfinite(e)]
    return 0.1 * min(gaps) if gaps else 0.1


def _layers(pair: LegendrePair, weights: Array, x_star: float) -> list[Layer]:
    return [Layer(w.reshape(1, 1), -w.reshape(1) * x_star, None, pair, "bregman") for w in weights]


@functools.lru_cache(maxsize=16)
def _family(pair: LegendrePair):
    """(lower, product bound, factor, N′) as JAX functions of (weights, a, x) for the pair."""
    ratio = slope_ratio(pair)
    lip = float(pair.substitute(pair.lipschitz_expr))
    x_star = float(pair.substitute(pair.sigma_expr).subs(U, centre(pair)))

    def bounds(weights: Array, a: Array) -> tuple[Array, Array, Array]:
        one = jnp.ones((), a.dtype)
        lower, product, factor, h = one, one, one, a
        for w in weights:
            rho = ratio(w * h)
            ell = rho + lip * w
            lower, product, factor, h = lower * (1 + lip * w), product * ell, factor * rho, ell * h
        return lower, product, factor

    def slope(weights: Array, x: Array) -> Array:
        def network(t: Array) -> Array:
            for layer in _layers(pair, weights, x_star):
                t = F.forward(layer, t)
            return t

        return jax.grad(lambda t: network(t.reshape(1))[0])(x)

    return bounds, slope, x_star


@functools.lru_cache(maxsize=16)
def _upper_violation(pair: LegendrePair):
    """|N′(x)| / P − 1 for x = x* + s·a: the product bound holds on B."""
    bounds, slope, x_star = _family(pair)

    def violation(z: Array) -> Array:
        weights, a, s = z[:DEPTH], z[DEPTH], z[DEPTH + 1]
        _, product, _ = bounds(weights, a)
        return jnp.abs(slope(weights, x_star + s * a)) / product - 1.0

    return violation


@functools.lru_cache(maxsize=16)
def _factor_violation(pair: LegendrePair):
    """1 − N′(x*)·Π R_σ / P: the product bound is within the factor of the slope at x*."""
    bounds, slope, x_star = _family(pair)

    def violation(z: Array) -> Array:
        weights, a = z[:DEPTH], z[DEPTH]
        _, product, factor = bounds(weights, a)
        return 1.0 - slope(weights, jnp.asarray(x_star, z.dtype)) * factor / product

    return violation


def _checks(pair: LegendrePair) -> tuple[NumericCheck, ...]:
    names = (*(f"w_{k + 1}" for k in range(DEPTH)), "a")
    lower, upper = (0.0,) * DEPTH + (0.0,), (MAX_WEIGHT,) * DEPTH + (half_width(pair),)
    return (
        NumericCheck(
            _upper_violation(pair),
            (*names, "s"),
            (*lower, -1.0),
            (*upper, 1.0),
            starts=8,
            steps=60,
            description=f"{pair.name}, depth {DEPTH}: |N′(x* + s a)| / P − 1",
        ),
        NumericCheck(
            _factor_violation(pair),
            names,
            lower,
            upper,
            tolerance=1e-12,
            starts=8,
            steps=60,
            description=f"{pair.name}, depth {DEPTH}: 1 − N′(x*) Π R_σ(w_k h_k) / P",
        ),
    )


# ----- the table


@dataclasses.dataclass(frozen=True)
class TightnessRow:
    """One pair: u*, x*, L_σ and, for the example, the lower bound Π(1 + L w_k), the library's
    telescoping bound, the product bound P and the factor Π R_σ."""

    pair: str
    u_star: sp.Expr
    x_star: sp.Expr
    lipschitz: sp.Expr
    lower: float
    library: float
    product: float
    factor: float


def example_network(pair: LegendrePair) -> tuple[Network, tuple[float, float]]:
    """The table's network (weights `EXAMPLE_WEIGHTS`, biases −w x*) and its box."""
    x_star = float(pair.substitute(pair.sigma_expr).subs(U, centre(pair)))
    with jax.enable_x64(True):
        layers = tuple(_layers(pair, jnp.asarray(EXAMPLE_WEIGHTS), x_star))
        net = Network(layers, jnp.eye(1), jnp.zeros(1))
    return net, (x_star - EXAMPLE_HALF_WIDTH, x_star + EXAMPLE_HALF_WIDTH)


def tightness_row(pair: LegendrePair) -> TightnessRow:
    """The table row of ``pair`` (the library's bound from `bregmalib.lipschitz`)."""
    bounds, _, _ = _family(pair)
    net, box = example_network(pair)
    with jax.enable_x64(True):
        lower, product, factor = (
            float(v) for v in bounds(jnp.asarray(EXAMPLE_WEIGHTS), jnp.asarray(EXAMPLE_HALF_WIDTH))
        )
    u_star = centre(pair)
    return TightnessRow(
        pair=pair.name,
        u_star=u_star,
        x_star=sp.simplify(pair.substitute(pair.sigma_expr).subs(U, u_star)),
        lipschitz=pair.substitute(pair.lipschitz_expr),
        lower=lower,
        library=telescoping(net, make_box(net, box)).value,
        product=product,
        factor=factor,
    )


def table_latex(rows: list[TightnessRow]) -> str:
    """u*, x*, L_σ, and for the example the lower bound, the library's bound, P and Π R_σ."""
    lines = [
        r"\begin{table}[ht]\centering\footnotesize",
        r"\begin{tabular}{lllllllll}",
        r"\toprule pair & $u^*$ & $x^*$ & $L_\sigma$ & $\prod_k(1+L_\sigma w_k)$ & "
        r"telescoping & $P$ & $P/\prod_k(1+L_\sigma w_k)$ & $\prod_k R_\sigma$ \\ \midrule",
    ]
    for r in rows:
        lines.append(
            f"{verbatim(r.pair)} & ${math_(r.u_star)}$ & ${math_(r.x_star)}$ & "
            f"${float(r.lipschitz):.4g}$ & ${r.lower:.5g}$ & ${r.library:.5g}$ & "
            f"${r.product:.5g}$ & ${r.product / r.lower:.4f}$ & ${r.factor:.4f}$ \\\\"
        )
    weights = ", ".join(f"{w:g}" for w in EXAMPLE_WEIGHTS)
    lines += [
        r"\bottomrule",
        r"\end{tabular}",
        r"\caption{Per pair with an interior maximiser $u^*$ of $\sigma'$: for the network of "
        f"depth {len(EXAMPLE_WEIGHTS)} with $w=({weights})$ on "
        f"$B=[x^*-{EXAMPLE_HALF_WIDTH:g},x^*+{EXAMPLE_HALF_WIDTH:g}]$, the lower bound, the "
        r"telescoping bound of \texttt{bregmalib.lipschitz.upper\_bounds}, the product $P$ of "
        r"the layer bounds, their ratio and the factor of the proposition.}",
        r"\label{tab:tightness}",
        r"\end{table}",
    ]
    return "\n".join(lines)


# ----- the proposition

LIP = sp.Symbol(r"\operatorname{Lip}_B(N)")
LOWER = sp.Symbol(r"\prod_{k} (1 + L_\sigma w_k)")
PRODUCT = sp.Symbol("P")
FACTOR = sp.Symbol(r"\rho")
STATEMENT = sp.And(sp.Le(LOWER, LIP), sp.Le(LIP, PRODUCT), sp.Le(PRODUCT, FACTOR * LOWER))


def _route(pairs: list[LegendrePair]) -> SymbolicOutcome:
    method = "sign of Lw(R − 1) (SymPy); per pair σ′(u*) = L_σ, R_σ(0+) = 1"
    r, lip, w = sp.Symbol("R", positive=True), sp.Symbol("L", positive=True), sp.Symbol("w")
    gap = r * (1 + lip * w) - (r + lip * w)
    if (
        sign_nonnegative(
            gap.subs({r: 1 + sp.Symbol("e", nonnegative=True), w: sp.Symbol("w", nonnegative=True)})
        )
        is not True
    ):
        return inconclusive(method, "R(1 + Lw) ≥ R + Lw not shown")
    for pair in pairs:
        slope = pair.substitute(pair.derivative_expr).subs(U, centre(pair))
        if not equal(slope, pair.substitute(pair.lipschitz_expr)):
            return inconclusive(method, f"{pair.name}: σ′(u*) ≠ L_σ")
        if sp.limit(slope_ratio(pair).expr, DELTA, 0, "+") != 1:
            return inconclusive(method, f"{pair.name}: R_σ(0+) ≠ 1")
    return proved(method, f"for the {len(pairs)} pairs with an interior maximiser of σ′")


PROSE = (
    "How far can the bounds of Chapters~\\ref{chap:layer-bounds} and "
    "\\ref{chap:network-bounds} be from the constant they bound? For the pairs whose slope "
    "$\\sigma'$ is largest at an interior point $u^*$, the family of one-dimensional networks "
    "whose layers all fix $x^*=\\sigma(u^*)$, $\\tau_k(x)=\\sigma(\\sigma^{-1}(x)+w_k(x-x^*))$ "
    "with $w_k\\ge 0$, has slope $\\prod_k(1+L_\\sigma w_k)$ at $x^*$, and the product of the "
    "layer bounds exceeds it by at most the factor $\\prod_k R_\\sigma(w_kh_k)$, which tends "
    "to 1 as the box shrinks: the bounds are attained in the limit. Depth 1 is the layer bound; "
    "the telescoping bound that the library computes lies between the constant and the product "
    "(Theorem~\\ref{res:network-telescoping-below-product}). Diagonal $n$-dimensional networks "
    "whose largest weights share a coordinate reduce to this family coordinate by coordinate. "
    "Table~\\ref{tab:tightness} evaluates the family on one example. For softplus and the bent "
    "identity $\\sigma'$ approaches $L_\\sigma$ only at infinity, and the family is not defined."
)


def tightness_claim() -> Claim:
    """The tightness proposition (unchecked `Claim`) with its table."""
    pairs = [p for p in map(legendre.get, legendre.names()) if covered(p)]
    rows = [tightness_row(p) for p in pairs]
    return Claim(
        name="tightness/layer_and_network",
        title="the layer and network bounds are approached within the factor "
        "$\\prod_k R_\\sigma(w_k h_k)$",
        statement=STATEMENT,
        hypotheses=(
            Hypothesis(
                "$(\\varphi, \\sigma)$ a Legendre pair, $\\sigma'(u^*) = L_\\sigma$ at an "
                "interior point $u^*$, $x^* = \\sigma(u^*)$."
            ),
            Hypothesis(
                "N = $\\tau_K \\circ \\cdots \\circ \\tau_1$, $\\tau_k(x) = "
                "\\sigma(\\sigma^{-1}(x) + w_k(x - x^*))$, $w_k \\ge 0$, on "
                "B = $[x^* - a, x^* + a] \\subset I$."
            ),
            Hypothesis(
                "$h_1 = a$, $h_{k+1} = (R_\\sigma(w_k h_k) + L_\\sigma w_k) h_k$; "
                "P = $\\prod_k (R_\\sigma(w_k h_k) + L_\\sigma w_k)$, the product of "
                "the layer bounds; $\\rho = \\prod_k R_\\sigma(w_k h_k)$."
            ),
        ),
        steps=(
            Step(
                sp.Eq(sp.Symbol(r"\tau_k'(x^*)"), 1 + sp.Symbol(r"L_\sigma") * sp.Symbol("w_k")),
                "at x* the shift $w_k(x - x^*)$ vanishes, so z = u = u* and "
                "$\\tau_k' = \\sigma'(z)/\\sigma'(u) + w_k\\sigma'(z)$",
            ),
            Step(sp.Le(LOWER, LIP), "x* is fixed by every layer: the chain rule at x*"),
            Step(
                sp.Le(LIP, PRODUCT),
                "the layer bound on the box $[x^* - h_k, x^* + h_k]$ that contains the image "
                "of B under the first k − 1 layers, where the shift is at most $w_k h_k$",
            ),
            Step(
                sp.Le(sp.Symbol(r"R + L_\sigma w"), sp.Symbol(r"R (1 + L_\sigma w)")),
                "$L_\\sigma w (R - 1) \\ge 0$ as $R_\\sigma \\ge 1$",
            ),
        ),
        symbolic=lambda: _route(pairs),
        numeric=tuple(c for p in pairs for c in _checks(p)),
        notes=(
            "The factor tends to 1 as a → 0 because $R_\\sigma$ is continuous at 0 with "
            "$R_\\sigma(0) = 1$ and $h_k \\le a \\prod_{j<k} \\ell_j$.",
        ),
        prose=PROSE,
        exhibit=table_latex(rows),
    )


def tightness_results() -> list[Result]:
    """The checked tightness results (for ``bregmalib derive``)."""
    return [tightness_claim().check()]
