"""Tightness of the dual-θ bound, of its per-group version and of the bound on the inverse layer,
on the fixed-point family of `bregmalib.lipschitz._tightness_theorems` (Frecon, Gasso, Pontil,
Salzo, "Bregman Neural Networks", ICML 2022).

The layers τ_k(x) = σ(σ⁻¹(x) + w_k(x − x*)) fix x* = σ(u*), where σ′(u*) = L_σ. In dual
coordinates τ_k is F_k(u) = u + w_kσ(u) − w_kx*, whose slope at u* is 1 + L_σw_k. On the box
B = [x* − a, x* + a] let

    ρ_B = L_σ · max_{t∈B} (σ⁻¹)′(t) = L_σ / min_{x∈B} σ′(σ⁻¹(x)),

which tends to 1 as a → 0. Then:

1. ``tightness/dual_theta``: for w_k ≥ 0, the dual-θ bound D of `bregmalib.lipschitz` satisfies
   Π_k(1 + L_σw_k) ≤ Lip_B(N) ≤ D ≤ (ρ_B + L_σw_1)Π_{k≥2}(1 + L_σw_k) ≤ ρ_B Π_k(1 + L_σw_k).
   Every slope interval contains L_σ (x* is in every box), so in one dimension the θ recursion
   multiplies 1 + w_i(M + R) = 1 + L_σw_i, and every ratio ρ̄_j is at most the quotient
   L_σ / min_B σ′∘σ⁻¹ = ρ_B; the terms of the expansion then telescope.
2. ``tightness/group_dual_theta``: the same for the two-dimensional network with W_k = w_kI and
   the group g = {1}: its factors are multiples of I, and the group bound D_g is the
   one-dimensional D.
3. ``tightness/inverse_lipschitz``: for one layer with w > −1/L_σ (W = w, λ_min = w), the
   bound U of ``invertibility/inverse_lipschitz`` on the box of outputs B satisfies
   1/(1 + L_σw) ≤ Lip_B(τ⁻¹) ≤ U = ρ_B/(1 + L_σw), since the margin is 1/L_σ + w.

The dual-θ values come from `bregmalib.lipschitz.dual_theta` itself (a NumPy computation): in
the numeric searches it is called on the host for every point, with central differences for
the gradient of the ascent.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np
import sympy as sp
from jax import Array
from jax.typing import ArrayLike

from bregmalib import legendre
from bregmalib.legendre import LegendrePair, U, X
from bregmalib.lipschitz import _tightness_theorems as TT
from bregmalib.lipschitz._domain import make_box
from bregmalib.lipschitz._upper import dual_theta
from bregmalib.nn import Layer, Network
from bregmalib.nn import functional as F
from bregmalib.symbolic import (
    Claim,
    Hypothesis,
    NumericCheck,
    Result,
    Step,
    SymbolicOutcome,
    equal,
    inconclusive,
    proved,
)
from bregmalib.symbolic._certify import sign_nonnegative
from bregmalib.symbolic._latex import verbatim

#: the pair whose dual-θ bound (one dimension) and group bound (two dimensions) are searched
#: through the library; each library call takes about 10 ms, so one pair each
LIBRARY_PAIR, GROUP_PAIR = "tanh", "sigmoid"
#: the group of the two-dimensional network (0-based): the first input
GROUP = (0,)
#: the depths at which the telescoping of the one-dimensional dual-θ value is expanded
TELESCOPED_DEPTHS = (1, 2, 3, 4)
#: the searched range of t = L_σw for the inverse layer (w > −1/L_σ), and the table's values
INVERSE_RANGE, INVERSE_EXAMPLES = (-0.5, 2.0), (-0.5, 1.0)
#: ascent of the library searches: starts × steps, each step 2·4 + 1 library calls (a call
#: takes 10 to 50 ms, so the sample of at least 10⁴ points dominates)
LIBRARY_STARTS, LIBRARY_STEPS = 2, 10


def covered() -> list[LegendrePair]:
    """The pairs of the family: Legendre, with an interior maximiser of σ′ (Theorem 7.1's)."""
    return [p for p in map(legendre.get, legendre.names()) if TT.covered(p)]


def x_star(pair: LegendrePair) -> float:
    """x* = σ(u*), the fixed point of the family."""
    return float(pair.substitute(pair.sigma_expr).subs(U, TT.centre(pair)))


def lipschitz(pair: LegendrePair) -> float:
    """L_σ = σ′(u*)."""
    return float(pair.substitute(pair.lipschitz_expr))


def box_factor(pair: LegendrePair, a: Array) -> Array:
    """ρ_B = L_σ max_{t∈B}(σ⁻¹)′(t) on B = [x* − a, x* + a] (the slope factor of the inverse
    bound, `LegendrePair.max_inverse_slope`, at the dual ends σ⁻¹(x* ± a))."""
    centre = jnp.asarray(x_star(pair), jnp.result_type(a))
    ends = pair.inverse(jnp.stack([centre - a, centre + a]))
    return lipschitz(pair) * pair.max_inverse_slope(ends)


def telescoped_bound(pair: LegendrePair, weights: Array, a: Array) -> Array:
    """(ρ_B + L_σw_1) Π_{k≥2}(1 + L_σw_k): the proposition's bound on the dual-θ value."""
    lip = lipschitz(pair)
    return (box_factor(pair, a) + lip * weights[0]) * jnp.prod(1 + lip * weights[1:])


def family_network(pair: LegendrePair, weights: Array, width: int = 1) -> Network:
    """The network of layers σ(σ⁻¹(x) + w_k(x − x*)) in ``width`` coordinates (W_k = w_kI)."""
    centre = x_star(pair)
    eye = jnp.eye(width, dtype=weights.dtype)
    layers = tuple(
        Layer(w * eye, -w * centre * jnp.ones(width, weights.dtype), None, pair, "bregman")
        for w in weights
    )
    return Network(layers, eye, jnp.zeros(width, weights.dtype))


def group_columns(width: int) -> np.ndarray:
    """The diagonal of P_g for `GROUP`."""
    columns = np.zeros(width)
    columns[list(GROUP)] = 1.0
    return columns


def library_bound(pair: LegendrePair, params: np.ndarray, width: int = 1) -> float:
    """`bregmalib.lipschitz.dual_theta` of `family_network` (weights ``params[:-1]``) on the
    box of half-width ``params[-1]`` around x*; with ``width`` > 1 for the group `GROUP`."""
    params = np.asarray(params, np.float64)
    centre = x_star(pair)
    with jax.enable_x64(True):
        net = family_network(pair, jnp.asarray(params[:-1], jnp.float64), width)
        box = make_box(net, (centre - params[-1], centre + params[-1]))
        columns = group_columns(width) if width > 1 else None
        return dual_theta(net, box, columns).value


def host_function(
    function: Callable[[np.ndarray], float], lower: ArrayLike, upper: ArrayLike
) -> Callable[[Array], Array]:
    """``function`` (NumPy, on the host) as a JAX function of a vector on the box
    [lower, upper], differentiable by central differences (one-sided at the ends of the box)."""
    low, high = np.asarray(lower, np.float64), np.asarray(upper, np.float64)
    step = 1e-6 * (high - low)

    def value(p: np.ndarray) -> np.ndarray:
        return np.asarray(function(np.asarray(p, np.float64)), np.float64)

    def gradient(p: np.ndarray) -> np.ndarray:
        p = np.asarray(p, np.float64)
        g = np.zeros_like(p)
        for i in range(p.size):
            hi, lo = p.copy(), p.copy()
            hi[i], lo[i] = min(p[i] + step[i], high[i]), max(p[i] - step[i], low[i])
            if hi[i] > lo[i]:
                g[i] = (function(hi) - function(lo)) / (hi[i] - lo[i])
        return g

    @jax.custom_jvp
    def wrapped(p: Array) -> Array:
        shape = jax.ShapeDtypeStruct((), p.dtype)
        return jax.pure_callback(value, shape, p, vmap_method="sequential")

    @wrapped.defjvp
    def wrapped_jvp(primals: tuple[Array], tangents: tuple[Array]) -> tuple[Array, Array]:
        (p,), (t,) = primals, tangents
        shape = jax.ShapeDtypeStruct(p.shape, p.dtype)
        g = jax.pure_callback(gradient, shape, p, vmap_method="sequential")
        return wrapped(p), jnp.dot(g, t)

    return wrapped


def _family_box(pair: LegendrePair) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The searched (w_1..w_K, a) of Theorem 7.1."""
    return (0.0,) * (TT.DEPTH + 1), (TT.MAX_WEIGHT,) * TT.DEPTH + (TT.half_width(pair),)


def _names() -> tuple[str, ...]:
    return (*(f"w_{k + 1}" for k in range(TT.DEPTH)), "a")


# ----- the searches of the dual-θ bounds


@functools.lru_cache(maxsize=16)
def _sandwich_violation(pair: LegendrePair) -> Callable[[Array], Array]:
    """|N′(x* + s a)| / (ρ_B Π(1 + L_σw_k)) − 1: the slope on B against the outer bound."""
    _, slope, centre = TT._family(pair)
    lip = lipschitz(pair)

    def violation(z: Array) -> Array:
        weights, a, s = z[: TT.DEPTH], z[TT.DEPTH], z[TT.DEPTH + 1]
        outer = box_factor(pair, a) * jnp.prod(1 + lip * weights)
        return jnp.abs(slope(weights, centre + s * a)) / outer - 1.0

    return violation


@functools.lru_cache(maxsize=4)
def _library_violation(pair: LegendrePair, width: int) -> Callable[[Array], Array]:
    """D / ((ρ_B + L_σw_1)Π_{k≥2}(1 + L_σw_k)) − 1 for D the library's dual-θ bound of
    `family_network` (``width`` 1), or its group bound for `GROUP` (``width`` 2), z = (w, a)."""
    lower, upper = (np.asarray(end) for end in _family_box(pair))
    bound = host_function(functools.partial(library_bound, pair, width=width), lower, upper)

    def violation(z: Array) -> Array:
        return bound(z) / telescoped_bound(pair, z[: TT.DEPTH], z[TT.DEPTH]) - 1.0

    return violation


def _library_check(pair: LegendrePair, group: bool) -> NumericCheck:
    value = r"D_g" if group else r"D_\theta"
    network = r"two inputs, $W_k=w_kI$, $g=\{1\}$" if group else "one input"
    return NumericCheck(
        _library_violation(pair, 2 if group else 1),
        _names(),
        *_family_box(pair),
        tolerance=1e-9,
        starts=LIBRARY_STARTS,
        steps=LIBRARY_STEPS,
        description=f"{pair.name}, depth {TT.DEPTH}, {network}: "
        f"${value}/((\\rho_B+L_\\sigma w_1)\\prod_{{k\\ge2}}(1+L_\\sigma w_k))-1$, "
        "D from dual_theta of bregmalib.lipschitz, its gradient by central differences",
    )


def _sandwich_check(pair: LegendrePair) -> NumericCheck:
    lower, upper = _family_box(pair)
    return NumericCheck(
        _sandwich_violation(pair),
        (*_names(), "s"),
        (*lower, -1.0),
        (*upper, 1.0),
        tolerance=1e-9,
        starts=8,
        steps=60,
        description=f"{pair.name}, depth {TT.DEPTH}: "
        r"$|N'(x^*+sa)|/(\rho_B\prod_k(1+L_\sigma w_k))-1$",
    )


# ----- the symbolic routes


def telescoping_route(depths: tuple[int, ...] = TELESCOPED_DEPTHS) -> bool:
    """At each depth K: ρ + Σ_{j≥2} L w_j ρ Π_{i>j}(1 + L w_i) + L w_1 Π_{i≥2}(1 + L w_i)
    expands to (ρ + L w_1)Π_{i≥2}(1 + L w_i), and ρΠ_i(1 + L w_i) exceeds it for ρ ≥ 1."""
    lip = sp.Symbol("L", positive=True)
    rho, excess = sp.Symbol("rho", positive=True), sp.Symbol("e", nonnegative=True)
    for depth in depths:
        w = sp.symbols(f"w_1:{depth + 1}", nonnegative=True)

        def after(j: int, w: tuple[sp.Symbol, ...] = w) -> sp.Expr:
            return sp.Mul(*(1 + lip * wi for wi in w[j + 1 :]))

        value = rho + lip * w[0] * after(0)
        value += sum((lip * w[j] * rho * after(j) for j in range(1, depth)), sp.S.Zero)
        closed = (rho + lip * w[0]) * after(0)
        if not equal(sp.expand(value - closed), sp.S.Zero):
            return False
        gap = (rho * (1 + lip * w[0]) * after(0) - closed).subs(rho, 1 + excess)
        if sign_nonnegative(gap) is not True:
            return False
    return True


def dual_slope_route(pair: LegendrePair) -> bool:
    """F(u) = u + wσ(u) − wσ(u*) has F′(u*) = 1 + L_σw (SymPy)."""
    w, centre = sp.Symbol("w", real=True), TT.centre(pair)
    sigma = pair.substitute(pair.sigma_expr)
    dual = U + w * sigma - w * sigma.subs(U, centre)
    slope = sp.diff(dual, U).subs(U, centre)
    return equal(slope, 1 + pair.substitute(pair.lipschitz_expr) * w)


def box_factor_route(pair: LegendrePair) -> bool:
    """ρ_B → 1 as a → 0: L_σ/σ′(σ⁻¹(x* ± a)) → 1 from both sides (SymPy limits)."""
    a = sp.Symbol("a", positive=True)
    centre = pair.substitute(pair.sigma_expr).subs(U, TT.centre(pair))
    slope = pair.substitute(pair.derivative_expr)
    inverse = pair.substitute(pair.inverse_expr)
    lip = pair.substitute(pair.lipschitz_expr)
    return all(
        sp.limit(lip / slope.subs(U, inverse.subs(X, centre + sign * a)), a, 0, "+") == 1
        for sign in (1, -1)
    )


def _family_routes(pairs: list[LegendrePair], method: str) -> SymbolicOutcome | None:
    for pair in pairs:
        if not dual_slope_route(pair):
            return inconclusive(method, f"{pair.name}: F′(u*) ≠ 1 + L_σw")
        if not box_factor_route(pair):
            return inconclusive(method, f"{pair.name}: ρ_B does not tend to 1")
    return None


def _dual_route(pairs: list[LegendrePair], theorem: Result, group: bool) -> SymbolicOutcome:
    method = (
        f"the {'group ' if group else ''}dual-θ theorem (proved); the telescoping of the "
        "one-dimensional value and its gap (SymPy, depths "
        f"{TELESCOPED_DEPTHS[0]}..{TELESCOPED_DEPTHS[-1]}); per pair "
        r"$F'(u^*)=1+L_\sigma w$ and $\rho_B\to 1$ (SymPy limits)"
    )
    if theorem.status != "proved":
        return inconclusive(method, f"{theorem.name} is not proved")
    if not telescoping_route():
        return inconclusive(method, "the telescoping did not expand")
    failed = _family_routes(pairs, method)
    if failed is not None:
        return failed
    return proved(
        method,
        r"$(\rho_B-1)L_\sigma w_1\prod_{k\ge2}(1+L_\sigma w_k)\ge 0$; "
        f"for the {len(pairs)} pairs with an interior maximiser of σ′",
    )


# ----- the table


@dataclasses.dataclass(frozen=True)
class DualRow:
    """One pair at the table's example: ρ_B, Π(1 + L_σw_k), the library's dual-θ bound, its
    group bound on the two-dimensional network and the telescoped bound."""

    pair: str
    lipschitz: float
    factor: float
    lower: float
    dual: float
    group: float
    telescoped: float


def dual_row(pair: LegendrePair) -> DualRow:
    """The table row of ``pair`` at `TT.EXAMPLE_WEIGHTS`, a = `TT.EXAMPLE_HALF_WIDTH`."""
    params = np.asarray((*TT.EXAMPLE_WEIGHTS, TT.EXAMPLE_HALF_WIDTH))
    with jax.enable_x64(True):
        weights, a = jnp.asarray(TT.EXAMPLE_WEIGHTS), jnp.asarray(TT.EXAMPLE_HALF_WIDTH)
        factor = float(box_factor(pair, a))
        telescoped = float(telescoped_bound(pair, weights, a))
        lower = float(jnp.prod(1 + lipschitz(pair) * weights))
    return DualRow(
        pair=pair.name,
        lipschitz=lipschitz(pair),
        factor=factor,
        lower=lower,
        dual=library_bound(pair, params),
        group=library_bound(pair, params, width=2),
        telescoped=telescoped,
    )


def dual_table_latex(rows: list[DualRow]) -> str:
    """ρ_B, the lower bound, D, D_g, the telescoped bound and D over the lower bound."""
    lines = [
        r"\begin{table}[ht]\centering\footnotesize",
        r"\begin{tabular}{llllllll}",
        r"\toprule pair & $L_\sigma$ & $\rho_B$ & $\Pi$ & $D_\theta$ & $D_g$ & $T$ & "
        r"$D_\theta/\Pi$ \\ \midrule",
    ]
    for r in rows:
        lines.append(
            f"{verbatim(r.pair)} & ${r.lipschitz:.4g}$ & ${r.factor:.6f}$ & ${r.lower:.5g}$ & "
            f"${r.dual:.6f}$ & ${r.group:.6f}$ & ${r.telescoped:.6f}$ & "
            f"${r.dual / r.lower:.6f}$ \\\\"
        )
    weights = ", ".join(f"{w:g}" for w in TT.EXAMPLE_WEIGHTS)
    lines += [
        r"\bottomrule",
        r"\end{tabular}",
        r"\caption{The network of Table~\ref{tab:tightness} (depth "
        f"{len(TT.EXAMPLE_WEIGHTS)}, $w=({weights})$, "
        f"$B=[x^*-{TT.EXAMPLE_HALF_WIDTH:g},x^*+{TT.EXAMPLE_HALF_WIDTH:g}]$): the factor "
        r"$\rho_B$, the lower bound, the dual-theta bound $D_\theta$ of "
        r"\texttt{bregmalib.lipschitz}, the group bound $D_g$ of the two-input network with "
        r"$W_k=w_kI$ and $g=\{1\}$, the telescoped bound "
        r"$T=(\rho_B+L_\sigma w_1)\prod_{k\ge2}(1+L_\sigma w_k)$ of the proposition, and the "
        r"ratio of $D_\theta$ to the lower bound $\Pi=\prod_k(1+L_\sigma w_k)$.}",
        r"\label{tab:dual-tightness}",
        r"\end{table}",
    ]
    return "\n".join(lines)


# ----- the propositions on the dual-θ bounds

LOWER, LIP = TT.LOWER, TT.LIP
RHO_B = sp.Symbol(r"\rho_B")
D_THETA, D_GROUP = sp.Symbol(r"D_\theta"), sp.Symbol(r"D_g")
LIP_GROUP = sp.Symbol(r"\operatorname{Lip}^g_B(N)")
TELESCOPED = sp.Symbol(r"(\rho_B + L_\sigma w_1) \prod_{k \ge 2} (1 + L_\sigma w_k)")
L_S, W_S = sp.Symbol(r"L_\sigma", positive=True), sp.Symbol("w_k")


def _statement(lip: sp.Symbol, bound: sp.Symbol) -> sp.Basic:
    return sp.And(
        sp.Le(LOWER, lip),
        sp.Le(lip, bound),
        sp.Le(bound, TELESCOPED),
        sp.Le(TELESCOPED, RHO_B * LOWER),
    )


FAMILY_HYPOTHESES = (
    Hypothesis(
        "$(\\varphi, \\sigma)$ a Legendre pair, $\\sigma'(u^*) = L_\\sigma$ at an interior "
        "point $u^*$, $x^* = \\sigma(u^*)$; the layers $\\tau_k(x) = "
        "\\sigma(\\sigma^{-1}(x) + w_k(x - x^*))$ of the tightness proposition for the layer "
        "and network bounds."
    ),
    Hypothesis(
        "B = $[x^* - a, x^* + a] \\subset I$ and $\\rho_B = L_\\sigma \\max_{t \\in B} "
        "(\\sigma^{-1})'(t) = L_\\sigma / \\min_{x \\in B} \\sigma'(\\sigma^{-1}(x))$."
    ),
)


def _dual_steps(lip: sp.Symbol, bound: sp.Symbol, group: bool) -> tuple[Step, ...]:
    theorem = "the per-group dual-theta theorem" if group else "the dual-theta theorem"
    return (
        Step(
            sp.Eq(sp.Symbol(r"F'_{k}(u^{*})"), 1 + L_S * W_S),
            "the dual map $F_k(u) = u + w_k\\sigma(u) - w_kx^*$ of $\\tau_k$ at $u^*$, "
            "where $\\sigma'(u^*) = L_\\sigma$",
        ),
        Step(
            sp.Le(LOWER, lip),
            "$x^*$ is fixed by every layer, so $N'(x^*) = \\prod_k F_k'(u^*)$"
            + (" in each coordinate" if group else ""),
        ),
        Step(sp.Le(lip, bound), theorem),
        Step(
            sp.Le(sp.Symbol(r"\bar\rho_j"), RHO_B),
            "every box contains $x^*$, so every slope interval has upper end $L_\\sigma$, and "
            "$\\bar\\rho_j \\le L_\\sigma / \\min_{\\sigma^{-1}(B)} \\sigma'$",
        ),
        Step(
            sp.Le(
                sp.Symbol(r"\theta_j"),
                sp.Symbol(r"L_\sigma w_j \bar\rho_{j-1} \prod_{i > j} (1 + L_\sigma w_i)"),
            ),
            "in one dimension (or for multiples of I) the $\\theta$ recursion multiplies "
            "$|C_i| + |A_i| = 1 + w_i(M_{i-1} + R_{i-1}) \\le 1 + L_\\sigma w_i$",
        ),
        Step(
            sp.Le(bound, TELESCOPED),
            "sum the terms with $\\bar\\rho_j \\le \\rho_B$: they telescope",
        ),
        Step(
            sp.Le(TELESCOPED, RHO_B * LOWER),
            "the gap is $(\\rho_B - 1) L_\\sigma w_1 \\prod_{k \\ge 2}(1 + L_\\sigma w_k) \\ge 0$",
        ),
    )


DUAL_PROSE = (
    "The dual-theta bound (Theorem~\\ref{res:network-dual-theta-bound}) is approached on the "
    "same family. In dual coordinates each layer is the residual step "
    "$F_k(u)=u+w_k\\sigma(u)-w_kx^*$, with slope $1+L_\\sigma w_k$ at $u^*$, and every "
    "term of the expansion keeps one slope ratio, bounded by $\\rho_B=L_\\sigma\\max_B"
    "(\\sigma^{-1})'$ because every box contains $x^*$. With $\\rho_B=1$ the terms telescope "
    "to the slope $\\prod_k(1+L_\\sigma w_k)$ at $x^*$; in general the bound exceeds it by "
    "at most the factor $\\rho_B$, which depends on the box only and tends to 1 as the box "
    "shrinks, much faster than the factor $\\prod_kR_\\sigma(w_kh_k)$ of "
    "Theorem~\\ref{res:tightness-layer-and-network} (Table~\\ref{tab:dual-tightness}). The "
    "$\\theta$ recursion \\citep{combettes2020lipschitz} loses nothing here, as the factors "
    "are scalars."
)

GROUP_PROSE = (
    "The per-group bound (Theorem~\\ref{res:network-group-dual-theta-bound}) is approached on "
    "the two-input network with $W_k=w_kI$ and the group $g=\\{1\\}$ of the Lipschitz star "
    "\\citep{gupta2022multivariate}: its factors are multiples of the identity, and the group "
    "bound is the one-input dual-theta bound (the column $D_g$ of "
    "Table~\\ref{tab:dual-tightness})."
)


def dual_claim(theorem: Result) -> Claim:
    """The dual-θ bound approached within ρ_B (unchecked `Claim`), given the checked
    ``network/dual_theta_bound``."""
    pairs = covered()
    return Claim(
        name="tightness/dual_theta",
        title="the dual-theta bound is approached within the factor $\\rho_B$",
        statement=_statement(LIP, D_THETA),
        hypotheses=(
            *FAMILY_HYPOTHESES,
            Hypothesis(
                "N = $\\tau_K \\circ \\cdots \\circ \\tau_1$ with $w_k \\ge 0$ on B; "
                "$D_\\theta$ the dual-theta bound of bregmalib.lipschitz on B."
            ),
        ),
        steps=_dual_steps(LIP, D_THETA, group=False),
        symbolic=lambda: _dual_route(pairs, theorem, group=False),
        numeric=(
            *(_sandwich_check(p) for p in pairs),
            _library_check(legendre.get(LIBRARY_PAIR), group=False),
        ),
        notes=(
            "$\\rho_B \\to 1$ as a $\\to$ 0 because $\\sigma' \\circ \\sigma^{-1}$ is "
            "continuous at x* with value $L_\\sigma$; the dual-theta value is searched "
            f"through the library for {LIBRARY_PAIR} (each call takes milliseconds), the "
            "outer bound for every pair.",
        ),
        prose=DUAL_PROSE,
        exhibit=dual_table_latex([dual_row(p) for p in pairs]),
    )


def group_claim(theorem: Result) -> Claim:
    """The per-group dual-θ bound approached within ρ_B (unchecked `Claim`), given the checked
    ``network/group_dual_theta_bound``."""
    pairs = covered()
    return Claim(
        name="tightness/group_dual_theta",
        title="the per-group dual-theta bound is approached within the factor $\\rho_B$",
        statement=_statement(LIP_GROUP, D_GROUP),
        hypotheses=(
            *FAMILY_HYPOTHESES,
            Hypothesis(
                "N the network of two inputs with layers $\\sigma(\\sigma^{-1}(x) + "
                "w_k(x - x^*\\mathbf{1}))$, $w_k \\ge 0$, on $B^2$; $g = \\{1\\}$; $D_g$ the "
                "group bound of bregmalib.lipschitz (columns $P_g$)."
            ),
        ),
        steps=_dual_steps(LIP_GROUP, D_GROUP, group=True),
        symbolic=lambda: _dual_route(pairs, theorem, group=True),
        numeric=(_library_check(legendre.get(GROUP_PAIR), group=True),),
        notes=(
            "Each coordinate of N is the one-input network, so "
            "$\\operatorname{Lip}^g_B(N) = \\operatorname{Lip}_B$ of the one-input network. "
            "With different weights in the two coordinates the spread terms of the $\\theta$ "
            "recursion take the larger of the two, and this family says nothing about them.",
        ),
        prose=GROUP_PROSE,
    )


# ----- the inverse layer


def _inverse_weight(pair: LegendrePair, t: Array) -> Array:
    return (t / lipschitz(pair)).reshape(1, 1)


def _inverse_layer(pair: LegendrePair, weight: Array) -> Layer:
    return Layer(weight, -weight[0] * x_star(pair), None, pair, "bregman")


#: the bound U(pair, W, dual ends of the box of outputs) of ``invertibility/inverse_lipschitz``:
#: `bregmalib.invert`'s, passed in by ``bregmalib derive`` (`lipschitz` does not import `invert`)
InverseBound = Callable[[LegendrePair, Array, Array], Array]


def inverse_upper(pair: LegendrePair, weight: Array, a: Array, bound: InverseBound) -> Array:
    """U of ``invertibility/inverse_lipschitz`` (``bound``) for the layer with W = ``weight``
    on the box of outputs [x* − a, x* + a]."""
    centre = jnp.asarray(x_star(pair), jnp.result_type(a))
    ends = pair.inverse(jnp.stack([centre - a, centre + a]))
    return bound(pair, weight, ends)


def inverse_reach(pair: LegendrePair) -> float:
    """The searched inputs lie in x* ± r, r = a quarter of `TT.half_width`, so that their
    images stay well inside I."""
    return TT.half_width(pair) / 4


@functools.lru_cache(maxsize=16)
def _inverse_secant_violation(
    pair: LegendrePair, bound: InverseBound
) -> Callable[[Array], Array]:
    """|x − x′| / (U |τ(x) − τ(x′)|) − 1, U on the box [x* − a, x* + a] with a the larger of
    |τ(x) − x*|, |τ(x′) − x*|; −1 where τ(x) = τ(x′) in float64."""
    centre, reach = x_star(pair), inverse_reach(pair)

    def violation(z: Array) -> Array:
        weight = _inverse_weight(pair, z[0])
        layer = _inverse_layer(pair, weight)
        x, x2 = centre + reach * z[1:2], centre + reach * z[2:3]
        y, y2 = F.forward(layer, x), F.forward(layer, x2)
        a = jnp.maximum(jnp.abs(y - centre), jnp.abs(y2 - centre))[0]
        gap = jnp.abs(y - y2)[0]
        quotient = jnp.abs(x - x2)[0] / jnp.where(gap > 0, gap, 1.0)
        return jnp.where(gap > 0, quotient / inverse_upper(pair, weight, a, bound) - 1.0, -1.0)

    return violation


@functools.lru_cache(maxsize=16)
def _inverse_factor_violation(
    pair: LegendrePair, bound: InverseBound
) -> Callable[[Array], Array]:
    """|U τ′(x*) / ρ_B − 1|, τ′(x*) by automatic differentiation: U = ρ_B / (1 + L_σw)."""
    centre = x_star(pair)

    def violation(z: Array) -> Array:
        weight = _inverse_weight(pair, z[0])
        layer = _inverse_layer(pair, weight)
        slope = jax.grad(lambda t: F.forward(layer, t.reshape(1))[0])(jnp.asarray(centre, z.dtype))
        upper = inverse_upper(pair, weight, z[1], bound)
        return jnp.abs(upper * slope / box_factor(pair, z[1]) - 1.0)

    return violation


def _inverse_checks(pair: LegendrePair, bound: InverseBound) -> tuple[NumericCheck, ...]:
    lo, hi = INVERSE_RANGE
    return (
        NumericCheck(
            _inverse_secant_violation(pair, bound),
            ("t", "p", "q"),
            (lo, -1.0, -1.0),
            (hi, 1.0, 1.0),
            tolerance=1e-9,
            starts=8,
            steps=60,
            description=f"{pair.name}: $|x-x'|/(U|\\tau(x)-\\tau(x')|)-1$, "
            f"$x,x'=x^*+{inverse_reach(pair):.4g}\\,(p,q)$",
        ),
        NumericCheck(
            _inverse_factor_violation(pair, bound),
            ("t", "a"),
            (lo, 0.0),
            (hi, TT.half_width(pair)),
            tolerance=1e-12,
            starts=8,
            steps=60,
            description=f"{pair.name}: $|U\\tau'(x^*)/\\rho_B-1|$, $w=t/L_\\sigma$",
        ),
    )


def _inverse_route(pairs: list[LegendrePair], theorem: Result) -> SymbolicOutcome:
    method = (
        "the inverse's theorem (proved) with $\\lambda_{\\min} = w$; "
        r"$s/(L_\sigma^{-1}+w)\cdot(1+L_\sigma w) = L_\sigma s$ (SymPy); per pair "
        r"$F'(u^*)=1+L_\sigma w$ and $\rho_B\to 1$ (SymPy limits)"
    )
    if theorem.status != "proved":
        return inconclusive(method, f"{theorem.name} is not proved")
    lip, s = sp.Symbol("L", positive=True), sp.Symbol("s", positive=True)
    w = sp.Symbol("w", real=True)
    if not equal(s / (1 / lip + w) * (1 + lip * w), lip * s):
        return inconclusive(method, "U(1 + Lw) ≠ L s")
    failed = _family_routes(pairs, method)
    if failed is not None:
        return failed
    return proved(
        method,
        f"for the {len(pairs)} pairs with an interior maximiser of σ′, every "
        r"$w > -1/L_\sigma$",
    )


@dataclasses.dataclass(frozen=True)
class InverseRow:
    """One pair: ρ_B at the example box and, per `INVERSE_EXAMPLES` value of L_σw, the lower
    bound 1/τ′(x*) and the bound U."""

    pair: str
    factor: float
    values: tuple[tuple[float, float], ...]


def inverse_row(pair: LegendrePair, bound: InverseBound) -> InverseRow:
    """The table row of ``pair`` on [x* − a, x* + a], a = `TT.EXAMPLE_HALF_WIDTH`."""
    centre = x_star(pair)
    values = []
    with jax.enable_x64(True):
        a = jnp.asarray(TT.EXAMPLE_HALF_WIDTH)
        for t in INVERSE_EXAMPLES:
            weight = _inverse_weight(pair, jnp.asarray(t))
            layer = _inverse_layer(pair, weight)
            slope = jax.grad(lambda x, layer=layer: F.forward(layer, x.reshape(1))[0])(
                jnp.asarray(centre)
            )
            values.append((1.0 / float(slope), float(inverse_upper(pair, weight, a, bound))))
        factor = float(box_factor(pair, a))
    return InverseRow(pair.name, factor, tuple(values))


def inverse_table_latex(rows: list[InverseRow]) -> str:
    """ρ_B, and per L_σw the lower bound and U."""
    heads = " & ".join(
        f"$1/\\tau'(x^*)$, $L_\\sigma w={t:g}$ & $U$, $L_\\sigma w={t:g}$" for t in INVERSE_EXAMPLES
    )
    lines = [
        r"\begin{table}[ht]\centering\footnotesize",
        r"\begin{tabular}{l" + "l" * (1 + 2 * len(INVERSE_EXAMPLES)) + "}",
        r"\toprule pair & $\rho_B$ & " + heads + r" \\ \midrule",
    ]
    for r in rows:
        cells = " & ".join(f"${low:.6f}$ & ${up:.6f}$" for low, up in r.values)
        lines.append(f"{verbatim(r.pair)} & ${r.factor:.6f}$ & {cells} \\\\")
    lines += [
        r"\bottomrule",
        r"\end{tabular}",
        r"\caption{One layer $\tau(x)=\sigma(\sigma^{-1}(x)+w(x-x^*))$ on the box of outputs "
        f"$B=[x^*-{TT.EXAMPLE_HALF_WIDTH:g},x^*+{TT.EXAMPLE_HALF_WIDTH:g}]$: the factor "
        r"$\rho_B$, the slope $1/\tau'(x^*)$ of the inverse at $x^*$ (automatic "
        r"differentiation) and the bound $U$ of "
        r"Theorem~\ref{res:invertibility-inverse-lipschitz}.}",
        r"\label{tab:inverse-tightness}",
        r"\end{table}",
    ]
    return "\n".join(lines)


LIP_INVERSE = sp.Symbol(r"\operatorname{Lip}_B(\tau^{-1})")
UPPER_INVERSE = sp.Symbol("U")
W_INV = sp.Symbol("w", real=True)
INVERSE_STATEMENT = sp.And(
    sp.Le(1 / (1 + L_S * W_INV), LIP_INVERSE),
    sp.Le(LIP_INVERSE, UPPER_INVERSE),
    sp.Le(UPPER_INVERSE, RHO_B / (1 + L_S * W_INV)),
)

INVERSE_PROSE = (
    "The bound on the inverse layer (Theorem~\\ref{res:invertibility-inverse-lipschitz}) is "
    "approached on one layer of the family, now with any $w>-1/L_\\sigma$. The inverse has "
    "slope $1/(1+L_\\sigma w)$ at the fixed point $x^*$, and the margin of condition (b) is "
    "$1/L_\\sigma+w=(1+L_\\sigma w)/L_\\sigma$, so the bound is exactly $\\rho_B$ times that "
    "slope: it is attained in the limit of small boxes, for contracting ($w<0$) and "
    "expanding ($w>0$) layers alike (Table~\\ref{tab:inverse-tightness}). The example after "
    "the theorem, $W=0$ on $[-c,c]^n$ with tanh, is the case $w=0$: there the factor is "
    "$\\rho_B=1/(1-c^2)$."
)


def inverse_claim(theorem: Result, bound: InverseBound) -> Claim:
    """The inverse layer's bound approached within ρ_B (unchecked `Claim`), given the checked
    ``invertibility/inverse_lipschitz`` and its bound U."""
    pairs = covered()
    return Claim(
        name="tightness/inverse_lipschitz",
        title="the bound on the inverse layer is approached within the factor $\\rho_B$",
        statement=INVERSE_STATEMENT,
        hypotheses=(
            *FAMILY_HYPOTHESES,
            Hypothesis(
                "one layer $\\tau(x) = \\sigma(\\sigma^{-1}(x) + w(x - x^*))$ with "
                "$w > -1/L_\\sigma$ (condition (b) with $\\lambda_{\\min} = w$); B a box of "
                "outputs; U the bound of the theorem on the Lipschitz constant of the inverse "
                "layer, on B."
            ),
        ),
        steps=(
            Step(
                sp.Eq(sp.Symbol(r"\tau'(x^{*})"), 1 + L_S * W_INV),
                "the dual map $u + w\\sigma(u) - wx^*$ at $u^*$",
            ),
            Step(
                sp.Le(1 / (1 + L_S * W_INV), LIP_INVERSE),
                "$\\tau(x^*) = x^* \\in B$ and $(\\tau^{-1})'(x^*) = 1/\\tau'(x^*)$",
            ),
            Step(
                sp.Le(LIP_INVERSE, UPPER_INVERSE),
                "the theorem on the Lipschitz constant of the inverse layer",
            ),
            Step(
                sp.Eq(UPPER_INVERSE, RHO_B / (1 + L_S * W_INV)),
                "the bound with $\\lambda_{\\min} = w$ is "
                "$\\max_B(\\sigma^{-1})'/(L_\\sigma^{-1} + w)$; multiply by $L_\\sigma$ above "
                "and below",
            ),
        ),
        symbolic=lambda: _inverse_route(pairs, theorem),
        numeric=tuple(c for p in pairs for c in _inverse_checks(p, bound)),
        notes=(
            "In the searches $w = t/L_\\sigma$, and B is the smallest box around $x^*$ that "
            "holds both images $\\tau(x)$, $\\tau(x')$. "
            "The factor $\\rho_B$ does not depend on w; it is also the factor of "
            "the tightness proposition for the dual-theta bound.",
        ),
        prose=INVERSE_PROSE,
        exhibit=inverse_table_latex([inverse_row(p, bound) for p in pairs]),
    )


def dual_tightness_results(
    theorems: Mapping[str, Result], inverse_bound: InverseBound
) -> list[Result]:
    """The checked tightness results of the dual-θ bounds and of the inverse layer's bound (for
    ``bregmalib derive``), given the checked theorems they rest on, by name, and the inverse
    layer's bound U."""
    return [
        dual_claim(theorems["network/dual_theta_bound"]).check(),
        group_claim(theorems["network/group_dual_theta_bound"]).check(),
        inverse_claim(theorems["invertibility/inverse_lipschitz"], inverse_bound).check(),
    ]
