"""Invertibility theorems of square Bregman layers, checked by the derivation engine.

F(u) = u + Wσ(u) + b (dual coordinates) and T = σ∘F∘σ⁻¹ (Frecon et al., ICML 2022).
Results: the vertex reduction of (c); the chain (a) ⟹ (b) ⟹ (c) with 2×2 examples showing that
each inclusion is strict; the layer theorem, once for every pair with D = ℝ (a per-pair table
gives the properness argument that covers unbounded σ): under (c) the layer is a C^∞
diffeomorphism of Iⁿ onto Iⁿ; a negative vertex forces non-injectivity; for the restricted pair
sin, (b) gives injectivity on the dual box only, and on ℝ (the official package's usage) even (a)
does not give an injective layer. The inversion theorems are in `_inverse_theorems`.
"""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import sympy as sp
from jax import Array

from bregmalib import legendre
from bregmalib.legendre import LegendrePair, U, X
from bregmalib.nn import Layer
from bregmalib.nn import functional as F
from bregmalib.symbolic import (
    Claim,
    Hypothesis,
    NumericCheck,
    Result,
    Step,
    SymbolicOutcome,
    disproved,
    equal,
    extremum_route,
    inconclusive,
    proved,
)
from bregmalib.symbolic._latex import math_, verbatim

L_SYM = sp.Symbol("L_sigma", positive=True)
LAMBDA = sp.Symbol("lambda_min")


# ----- small JAX helpers for the numeric routes ----------------------------------------------
def _principal_minors_min(matrix: Array) -> Array:
    """min over nonempty S of det(M_SS), for a small square matrix (all subsets enumerated)."""
    n = matrix.shape[0]
    values = []
    for size in range(1, n + 1):
        for subset in itertools.combinations(range(n), size):
            index = jnp.array(subset)
            values.append(jnp.linalg.det(matrix[jnp.ix_(index, index)]))
    return jnp.min(jnp.stack(values))


def _sym_min(matrix: Array) -> Array:
    return jnp.linalg.eigvalsh(0.5 * (matrix + matrix.T))[0]


# ----- general results ------------------------------------------------------------------------
def _vertex_reduction() -> Claim:
    n = 3
    w = sp.Matrix(n, n, lambda i, j: sp.Symbol(f"w_{i + 1}{j + 1}", real=True))
    d = sp.symbols(f"d_1:{n + 1}", nonnegative=True)
    det = (sp.eye(n) + w * sp.diag(*d)).det()

    def symbolic() -> SymbolicOutcome:
        method = "expansion for a generic 3×3 W: second derivatives in each d_i and vertex values"
        if not all(equal(sp.diff(det, di, 2), sp.S.Zero) for di in d):
            return inconclusive(method, "a second derivative did not vanish")
        for size in range(1, n + 1):
            for subset in itertools.combinations(range(n), size):
                at_vertex = det.subs({d[i]: (L_SYM if i in subset else 0) for i in range(n)})
                block = w.extract(list(subset), list(subset))
                if not equal(sp.expand(at_vertex - (sp.eye(size) + L_SYM * block).det()), 0):
                    return inconclusive(method, f"vertex {subset} is not a principal minor")
        return proved(method, "multi-affine in D; vertex values are principal minors of I + LW")

    def violation(z: Array) -> Array:
        weight = z[:9].reshape(3, 3)
        value = jnp.linalg.det(jnp.eye(3) + weight * z[9:][None, :])
        vertex = jnp.minimum(1.0, _principal_minors_min(jnp.eye(3) + weight))
        return (vertex - value) / (1.0 + jnp.abs(vertex))

    return Claim(
        name="invertibility/vertex_reduction",
        title="det(I + WD) over the box $[0, L_\\sigma]^n$ is decided at its vertices",
        statement=sp.Eq(
            sp.Symbol(r"\min_{D \in [0, L_\sigma]^n} \det(I + W D)"),
            sp.Min(1, sp.Symbol(r"\min_{S \neq \emptyset} \det(I + L_\sigma W)_{SS}")),
        ),
        hypotheses=(
            Hypothesis("W is a real n × n matrix and D = diag(d) with $d \\in [0, L_\\sigma]^n$."),
        ),
        steps=(
            Step(sp.Eq(sp.Symbol(r"\partial^2_{d_i} \det(I + W D)"), 0),
                 "column i of I + WD is $e_i + d_i W_{:,i}$ and det is linear in each column"),
            Step(sp.Eq(sp.Symbol(r"\det(I + L_\sigma W 1_S)"),
                       sp.Symbol(r"\det(I + L_\sigma W)_{SS}")),
                 "at the vertex $D = L_\\sigma 1_S$ the columns outside S are unit vectors"),
            Step(sp.Eq(sp.Symbol(r"\min_{\mathrm{box}}"), sp.Symbol(r"\min_{\mathrm{vertices}}")),
                 "a multi-affine function reaches its minimum over a box at a vertex"),
        ),
        symbolic=symbolic,
        numeric=NumericCheck(
            violation,
            names=(*(f"w{i}{j}" for i in range(1, 4) for j in range(1, 4)), "d1", "d2", "d3"),
            lower=(-2.0,) * 9 + (0.0,) * 3,
            upper=(2.0,) * 9 + (1.0,) * 3,
            description="vertex minimum minus det(I + WD) at a point of the box (L = 1), scaled",
        ),
        notes=(
            "Consequence: condition (c) holds iff I + $L_\\sigma$W is a P-matrix; testing this is "
            "co-NP-complete in general, hence exact enumeration for n ≤ 16 and sufficient tests "
            "beyond.",
        ),
    )


def _nested_conditions() -> Claim:
    m11, m12, m21, m22 = sp.symbols("m_11 m_12 m_21 m_22", real=True)
    m = sp.Matrix([[m11, m12], [m21, m22]])
    s = (m + m.T) / 2

    def symbolic() -> SymbolicOutcome:
        method = "expansion of the 2×2 identity det M = det S + ((m12 − m21)/2)²"
        if equal(sp.expand(m.det() - s.det() - ((m12 - m21) / 2) ** 2), 0):
            return proved(
                method,
                "with Cauchy–Schwarz $|x^T W x| \\le \\|W\\|_2 |x|^2$ for (a) ⟹ (b), and "
                "principal submatrices inheriting a positive definite symmetric part for n > 2",
            )
        return inconclusive(method)

    def violation(z: Array) -> Array:
        weight = z.reshape(3, 3)
        a_to_b = -_sym_min(weight) - jnp.linalg.norm(weight, ord=2)
        mat = jnp.eye(3) + weight
        b_to_c = jnp.where(_sym_min(mat) > 0, -_principal_minors_min(mat), -1.0)
        return jnp.maximum(a_to_b, b_to_c)

    return Claim(
        name="invertibility/nested_conditions",
        title="contraction (a) implies monotone (b) implies vertex (c)",
        statement=sp.And(
            sp.Ge(LAMBDA, -sp.Symbol(r"\|W\|_2")),
            sp.Eq(m.det(), s.det() + ((m12 - m21) / 2) ** 2),
        ),
        hypotheses=(
            Hypothesis("W real n × n; $\\lambda_{min}$ = smallest eigenvalue of $(W + W^T)/2$."),
            Hypothesis("M = I + $L_\\sigma$ W, S = (M + $M^T$)/2."),
        ),
        steps=(
            Step(sp.Ge(LAMBDA, -sp.Symbol(r"\|W\|_2")),
                 "$x^T W x \\ge -\\|W\\|_2 |x|^2$, so $L_\\sigma\\|W\\|_2 < 1$ gives (b)"),
            Step(sp.Gt(sp.Symbol(r"\lambda_{min}(S)"), 0),
                 "(b) is exactly: S is positive definite"),
            Step(sp.Gt(sp.Symbol(r"\det M_{JJ}"), 0),
                 "each principal submatrix of M has a positive definite symmetric part, so its "
                 "eigenvalues have positive real parts and its determinant is positive: (c)"),
        ),
        symbolic=symbolic,
        numeric=NumericCheck(
            violation,
            names=tuple(f"w{i}{j}" for i in range(1, 4) for j in range(1, 4)),
            lower=(-3.0,) * 9,
            upper=(3.0,) * 9,
            description="max of $-\\lambda_{min} - \\|W\\|_2$ and, where (b) holds for I + W, "
            "minus its smallest principal minor",
        ),
    )


def _strict_examples() -> Claim:
    w_vertex = sp.Matrix([[0, 3], [0, 0]]) / L_SYM
    w_monotone = 5 * sp.eye(2) / L_SYM

    def exact_margins(lip: sp.Expr) -> dict[str, sp.Expr]:
        wv, wm = w_vertex.subs(L_SYM, lip), w_monotone.subs(L_SYM, lip)
        mv = sp.eye(2) + lip * wv
        minors = [mv[0, 0], mv[1, 1], mv.det()]
        return {
            "vertex(W1)": sp.Min(*minors),
            "monotone(W1)": 1 / lip + min(((wv + wv.T) / 2).eigenvals()),
            "monotone(W2)": 1 / lip + min(((wm + wm.T) / 2).eigenvals()),
            "contraction(W2)": 1 - lip * sp.sqrt(max((wm.T * wm).eigenvals())),
        }

    margins = exact_margins(L_SYM)

    def symbolic() -> SymbolicOutcome:
        method = "exact eigenvalues and minors as functions of $L_\\sigma$"
        ok = (
            equal(margins["vertex(W1)"], 1)
            and equal(margins["monotone(W1)"], -1 / (2 * L_SYM))
            and equal(margins["monotone(W2)"], 6 / L_SYM)
            and equal(margins["contraction(W2)"], -4)
        )
        return proved(method, "margins 1, −1/(2L), 6/L, −4") if ok else inconclusive(method)

    def violation(z: Array) -> Array:
        lip = z[0]
        w1 = jnp.array([[0.0, 3.0], [0.0, 0.0]]) / lip
        w2 = 5.0 * jnp.eye(2) / lip
        return jnp.max(jnp.stack([
            -_principal_minors_min(jnp.eye(2) + lip * w1),
            _sym_min(w1) + 1.0 / lip,
            -(_sym_min(w2) + 1.0 / lip),
            lip * jnp.linalg.norm(w2, ord=2) - 1.0 - 4.0,
            1.0 - lip * jnp.linalg.norm(w2, ord=2),
        ]))

    return Claim(
        name="invertibility/strict_examples",
        title="2×2 examples: (c) is strictly more general than (b), and (b) than (a)",
        statement=sp.And(
            sp.Gt(sp.Symbol(r"\min_{S}\det(I + L_\sigma W_1)_{SS}"), 0),
            sp.Lt(sp.Symbol(r"L_\sigma^{-1} + \lambda_{min}(W_1)"), 0),
            sp.Gt(sp.Symbol(r"L_\sigma^{-1} + \lambda_{min}(W_2)"), 0),
            sp.Lt(sp.Symbol(r"1 - L_\sigma\|W_2\|_2"), 0),
        ),
        hypotheses=(
            Hypothesis("$W_1 = L_\\sigma^{-1}$ [[0, 3], [0, 0]], $W_2 = 5 L_\\sigma^{-1}$ I."),
        ),
        steps=(
            Step(sp.Eq(sp.Symbol(r"\det(I + L_\sigma W_1)_{SS}"), 1),
                 "I + $L_\\sigma W_1$ is unit upper triangular: every principal minor is 1, (c)"),
            Step(sp.Eq(sp.Symbol(r"\lambda_{min}(W_1 + W_1^T)/2"), -3 / (2 * L_SYM)),
                 "below $-1/L_\\sigma$: (b) fails for $W_1$"),
            Step(sp.Eq(sp.Symbol(r"L_\sigma \|W_2\|_2"), 5),
                 "(a) fails for $W_2$ while $\\lambda_{min} = 5/L_\\sigma > -1/L_\\sigma$: (b)"),
        ),
        symbolic=symbolic,
        numeric=NumericCheck(
            violation, names=("L",), lower=(0.05,), upper=(4.0,),
            description="the four margins have the claimed signs for every L in the box",
        ),
        values={k: sp.simplify(v) for k, v in margins.items()},
    )


# ----- the layer theorem ------------------------------------------------------------------------
def _properness(pair: LegendrePair) -> tuple[bool, str, str]:
    """Why F(u) = u + Wσ(u) + b is proper: σ bounded, or σ(u) − a·max(u, 0) bounded (a ∈ [0, L]),
    or σ(u) = o(|u|); checked by limits. Returns (proper, the reason, a short form for a table)."""
    sigma = pair.substitute(pair.sigma_expr)
    lipschitz = pair.substitute(pair.lipschitz_expr)
    if pair.bounded:
        why = "σ is bounded, so $|F(u)| \\ge |u| - \\|W\\| \\sup|\\sigma| - |b|$"
        return True, why, "$\\sigma$ bounded"
    for slope in (lipschitz, sp.S.Zero):
        plus = sp.limit(sigma - slope * U, U, sp.oo)
        minus = sp.limit(sigma, U, -sp.oo)
        if plus.is_finite and minus.is_finite:
            why = (
                f"σ(u) − a max(u, 0) is bounded with a = {sp.sstr(slope)} (limits "
                f"{sp.sstr(plus)} at +∞, {sp.sstr(minus)} at −∞): F is the homogeneous map "
                "$u + aW\\max(u, 0)$ (a homeomorphism, being an LCP with the P-matrix I + aW) "
                "plus a bounded term"
            )
            short = f"$\\sigma(u)-{sp.latex(slope)}\\max(u,0)$ bounded"
            return True, why, short
    if sp.limit(sigma / U, U, sp.oo) == 0 and sp.limit(sigma / U, U, -sp.oo) == 0:
        return True, "σ(u) = o(|u|), so |F(u)| ≥ |u| − o(|u|)", "$\\sigma(u)=o(|u|)$"
    return False, "no properness argument found", "not shown"


def _sup_slope_route(pair: LegendrePair) -> SymbolicOutcome:
    """sup σ′ = L_σ over the dual domain (critical points and limits at the ends), with the
    parameters kept symbolic."""
    outcome, _ = extremum_route(
        pair.derivative_expr, U, pair.dual_domain, pair.lipschitz_expr, kind="sup"
    )
    return outcome


def inverse_slope_route(pair: LegendrePair) -> SymbolicOutcome:
    """inf over I of (σ⁻¹)′ = 1/L_σ: (σ⁻¹)′(σ(u)) σ′(u) = 1 by simplification, and sup σ′ = L_σ."""
    method = "(σ⁻¹)′(σ(u)) σ′(u) = 1 simplified, then sup σ′ = L by critical points and limits"
    chain = sp.diff(pair.inverse_expr, X).subs(X, pair.sigma_expr) * pair.derivative_expr
    chain = sp.refine(sp.simplify(chain), sp.Q.positive(pair.derivative_expr))
    if not equal(chain, sp.S.One):
        return inconclusive(method, "(σ⁻¹)′(σ(u)) σ′(u) did not simplify to 1")
    sup_slope = _sup_slope_route(pair)
    if sup_slope.verdict != "proved":
        return inconclusive(method, f"sup σ′ = L not proved: {sup_slope.detail}")
    return proved(method, sup_slope.detail)


def legendre_pairs() -> tuple[LegendrePair, ...]:
    """The catalogue pairs with D = ℝ (σ a diffeomorphism of ℝ onto I): the layer theorem's."""
    return tuple(p for p in map(legendre.get, legendre.names()) if p.legendre)


#: every pair a per-activation numeric check may use; one compiled violation serves them all
#: (the pair is a fixed zero-width axis of the search box, dispatched by ``lax.switch``)
CHECKED_PAIRS = (*(p.name for p in legendre_pairs()), "sin")
MONOTONE_MARGIN = 0.05


def _switch(name: str, index: Array, u: Array) -> Array:
    pairs = [legendre.get(p) for p in CHECKED_PAIRS]
    branches = [getattr(pair, name) for pair in pairs]
    return jax.lax.switch(index, branches, u)


def _switch_layer(name: str, index: Array, weight: Array, u: Array) -> Array:
    """``bregmalib.nn.functional.<name>`` at u of the Bregman layer (W, b = 0, V = I) whose pair
    is CHECKED_PAIRS[index]."""
    bias = jnp.zeros(weight.shape[0], weight.dtype)

    def branch(pair: LegendrePair):
        return lambda u: getattr(F, name)(Layer(weight, bias, None, pair, "bregman"), u)

    return jax.lax.switch(index, [branch(legendre.get(p)) for p in CHECKED_PAIRS], u)


def _pair_index(z: Array) -> Array:
    return jnp.clip(jnp.round(z[0]), 0, len(CHECKED_PAIRS) - 1).astype(jnp.int32)


def _monotone_violation(z: Array) -> Array:
    """m − (G(x) − G(y))ᵀ(x − y)/|x − y|² for W = AᵀA + K − (1/L − m)I, pair = z[0]; where
    σ(u) = σ(v) in float64 (x = y, outside the quotient's domain) the value is −1."""
    index = _pair_index(z)
    lipschitz = jnp.asarray([legendre.get(p).lipschitz for p in CHECKED_PAIRS])[index]
    a = z[1:5].reshape(2, 2)
    skew = jnp.array([[0.0, z[5]], [-z[5], 0.0]])
    weight = a.T @ a + skew - (1.0 / lipschitz - MONOTONE_MARGIN) * jnp.eye(2)
    u, v = z[6:8], z[8:10]
    x, y = _switch("sigma", index, u), _switch("sigma", index, v)
    gap = _switch_layer("dual_forward", index, weight, u) - _switch_layer(
        "dual_forward", index, weight, v
    )
    distance = jnp.dot(x - y, x - y)
    quotient = jnp.dot(gap, x - y) / jnp.where(distance > 0, distance, 1.0)
    return jnp.where(distance > 0, MONOTONE_MARGIN - quotient, -1.0)


def _monotone_check(pair: LegendrePair) -> NumericCheck:
    index = float(CHECKED_PAIRS.index(pair.name))
    lo, hi = (pair.dual_lower, pair.dual_upper) if not pair.legendre else (-4.0, 4.0)
    return NumericCheck(
        _monotone_violation,
        names=("pair", "a11", "a12", "a21", "a22", "k", "u1", "u2", "v1", "v2"),
        lower=(index,) + (-2.0,) * 4 + (-3.0,) + (lo,) * 4,
        upper=(index,) + (2.0,) * 4 + (3.0,) + (hi,) * 4,
        tolerance=1e-8,
        description=f"{pair.name}: m − $(G(x) - G(y))^T (x - y) / |x - y|^2$ for "
        "$W = A^T A + K - (1/L - m) I$, m = 0.05 (condition (b))",
    )


def _vertex_violation(z: Array) -> Array:
    """Where (c) holds for W (pair = z[0]), minus the smallest principal minor of I + WD(u)."""
    index = _pair_index(z)
    lipschitz = jnp.asarray([legendre.get(p).lipschitz for p in CHECKED_PAIRS])[index]
    weight = z[1:5].reshape(2, 2)
    vertex = _principal_minors_min(jnp.eye(2) + lipschitz * weight)
    jac = _switch_layer("dual_jacobian", index, weight, z[5:7])
    return jnp.where(vertex > 1e-3, -_principal_minors_min(jac), -1.0)


def _vertex_check(pair: LegendrePair) -> NumericCheck:
    index = float(CHECKED_PAIRS.index(pair.name))
    return NumericCheck(
        _vertex_violation,
        names=("pair", "w11", "w12", "w21", "w22", "u1", "u2"),
        lower=(index,) + (-4.0,) * 4 + (-6.0,) * 2,
        upper=(index,) + (4.0,) * 4 + (6.0,) * 2,
        description=f"{pair.name}: where (c) holds, minus the smallest principal minor of "
        "I + WD(u)",
    )


def layer_table(pairs: tuple[LegendrePair, ...]) -> str:
    """Per pair: I, L_σ, why F is proper, and what the layer is a diffeomorphism of; the
    restricted pair sin last."""
    column = r">{\raggedright\arraybackslash}p{%s}"
    widths = ("2.3cm", "2.2cm", "1.6cm", "4.4cm", "4.6cm")
    lines = [
        r"\begin{table}[ht]\centering\footnotesize\setlength{\tabcolsep}{3pt}",
        r"\begin{tabular}{" + "".join(column % w for w in widths) + "}",
        r"\toprule pair & $I$ & $L_\sigma$ & $F$ proper because & under (c), $T$ is a "
        r"$C^\infty$ diffeomorphism \\ \midrule",
    ]
    for pair in pairs:
        _, _, short = _properness(pair)
        lines.append(
            f"{verbatim(pair.name)} & ${math_(pair.substitute(pair.interval))}$ & "
            f"${math_(pair.substitute(pair.lipschitz_expr))}$ & {short} & "
            r"of $I^n$ onto $I^n$ \\"
        )
    sin = legendre.get("sin")
    lines += [
        f"{verbatim(sin.name)} & ${math_(sin.substitute(sin.interval))}$ & "
        f"${math_(sin.substitute(sin.lipschitz_expr))}$ & restricted pair & "
        r"not covered: injective where $\sigma^{-1}(x)+Wx+b\in D^n$, onto its image "
        r"(Theorem~\ref{res:sin-invertibility-monotone}) \\",
        r"\bottomrule",
        r"\end{tabular}",
        r"\caption{Per pair: the interval $I$, $L_\sigma$, why the dual map $F$ is proper, and "
        r"the conclusion of Theorem~\ref{res:invertibility-layer-diffeomorphism}.}",
        r"\label{tab:invertibility-pairs}",
        r"\end{table}",
    ]
    return "\n".join(lines)


VERTEX_MIN = sp.Symbol(r"\min_{S \neq \emptyset} \det(I + L_\sigma W)_{SS}")
LAYER_PROSE = (
    "Condition (c) is the weakest of the three: by "
    "Theorem~\\ref{res:invertibility-nested-conditions}, (a) implies (b) implies (c). Under (c) "
    "the dual map $F(u)=u+W\\sigma(u)+b$ has a P-matrix Jacobian $I+WD(u)$ at every $u$, so "
    "it is injective on $\\mathbb{R}^n$ \\citep{gale1965jacobian} and a local diffeomorphism; "
    "when it is moreover proper, the global inverse function theorem of Hadamard "
    "\\citep{plastock1974homeomorphisms} makes it a diffeomorphism of $\\mathbb{R}^n$ onto "
    "$\\mathbb{R}^n$. Conjugating by the diffeomorphism $\\sigma\\colon\\mathbb{R}\\to I$ "
    "gives the conclusion about the layer $T=\\sigma\\circ F\\circ\\sigma^{-1}$: a $C^\\infty$ "
    "diffeomorphism of $I^n$ \\emph{onto} $I^n$, for every pair whose dual domain is "
    "$\\mathbb{R}$. Under (a) properness is not needed: $u\\mapsto v-b-W\\sigma(u)$ is a "
    "contraction, so $F(u)=v$ has exactly one solution for every $v$ "
    "\\citep{behrmann2019iresnet}. Properness is where unbounded activations need care; "
    "Table~\\ref{tab:invertibility-pairs} gives the argument per pair. The restricted pair "
    "\\texttt{sin} is not covered: its layer is injective only on part of $I^n$ and maps it "
    "onto its image only."
)


def _layer_route(pairs: tuple[LegendrePair, ...]) -> SymbolicOutcome:
    method = "per pair: sup σ′ = L (critical points and limits), properness by limits"
    for pair in pairs:
        sup_slope = _sup_slope_route(pair)
        if sup_slope.verdict != "proved":
            return inconclusive(method, f"{pair.name}: sup σ′ = L not proved: {sup_slope.detail}")
        proper, why, _ = _properness(pair)
        if not proper:
            return inconclusive(method, f"{pair.name}: {why}")
    return proved(
        method,
        f"for the {len(pairs)} pairs with D = ℝ; then Gale–Nikaido (injective) and "
        "Hadamard–Plastock (onto)",
    )


def _layer_claim() -> Claim:
    pairs = legendre_pairs()
    checks = tuple(c for p in pairs for c in (_vertex_check(p), _monotone_check(p)))
    return Claim(
        name="invertibility/layer_diffeomorphism",
        title="under (a), (b) or (c) a square Bregman layer is a diffeomorphism of $I^n$ onto "
        "$I^n$",
        statement=sp.Implies(
            sp.Gt(VERTEX_MIN, 0),
            sp.And(
                sp.Gt(sp.Symbol(r"\det J_T(x)"), 0),
                sp.Eq(sp.Symbol(r"T(I^n)"), sp.Symbol(r"I^n")),
            ),
        ),
        hypotheses=(
            Hypothesis("$(\\varphi, \\sigma)$ a Legendre pair with $D = \\mathbb{R}$, "
                       "$0 < \\sigma' \\le L_\\sigma$ (Table on invertibility per pair)."),
            Hypothesis("T(x) = $\\sigma(\\sigma^{-1}(x) + Wx + b)$ on $I^n$, W square, V = I; "
                       "dual map F(u) = u + W$\\sigma$(u) + b."),
            Hypothesis("(c): I + $L_\\sigma$ W is a P-matrix (every principal minor positive); "
                       "(a) $L_\\sigma\\|W\\|_2 < 1$ and (b) $\\lambda_{min}((W+W^T)/2) > "
                       "-1/L_\\sigma$ imply it."),
        ),
        steps=(
            Step(sp.Gt(sp.Symbol(r"\det(I + W D(u))_{SS}"), 0),
                 "the principal minors of J_F(u) = I + WD(u), D(u) = diag σ′(u) ∈ "
                 "$[0, L_\\sigma]^n$, are values of det(I + WD′) over the box: positive by "
                 "the vertex reduction"),
            Step(sp.Ne(sp.Symbol("F(u)"), sp.Symbol("F(u')")),
                 "Gale–Nikaido (1965): a C¹ map of $\\mathbb{R}^n$ with P-matrix Jacobian is "
                 "injective"),
            Step(sp.Eq(sp.Symbol(r"\lim_{|u| \to \infty} |F(u)|"), sp.oo),
                 "properness (Table on invertibility per pair)"),
            Step(sp.Eq(sp.Symbol(r"F(\mathbb{R}^n)"), sp.Symbol(r"\mathbb{R}^n")),
                 "Hadamard–Plastock: a proper local diffeomorphism of $\\mathbb{R}^n$ is a "
                 "diffeomorphism onto $\\mathbb{R}^n$"),
            Step(sp.Eq(sp.Symbol(r"\det J_T(x)"),
                       sp.Symbol(r"\det J_F(u) \prod_i \sigma'(z_i) / \sigma'(u_i)")),
                 "T = $\\sigma \\circ F \\circ \\sigma^{-1}$ with σ a diffeomorphism of "
                 "$\\mathbb{R}$ onto I: T is one of $I^n$ onto $I^n$, det J_T > 0"),
        ),
        symbolic=lambda: _layer_route(pairs),
        numeric=checks,
        notes=(
            "Conversely a negative vertex determinant makes det J change sign, so F is not "
            "injective (Refuted claim tanh/vertex_condition_necessary): (c) is sharp up to its "
            "boundary.",
        ),
        prose=LAYER_PROSE,
        exhibit=layer_table(pairs),
    )


def _restricted_claim(pair: LegendrePair) -> Claim:
    """The restricted pair: (b) makes F injective on the dual box Dⁿ, no more."""

    def symbolic() -> SymbolicOutcome:
        outcome = inverse_slope_route(pair)
        if outcome.verdict != "proved":
            return inconclusive(outcome.method, f"inf (σ⁻¹)′ = 1/L not proved: {outcome.detail}")
        return proved(outcome.method, "inf (σ⁻¹)′ = 1/L on I: F injective on the box D^n")

    return Claim(
        name=f"{pair.name}/invertibility_monotone",
        title=f"{pair.name}: monotone W makes F injective on the dual box (restricted pair)",
        activation=pair.name,
        statement=sp.Ge(sp.Symbol(r"\langle G(x) - G(y), x - y \rangle"),
                        (1 / L_SYM + LAMBDA) * sp.Symbol(r"|x - y|^2")),
        hypotheses=(
            Hypothesis(f"σ = {pair.name}, $L_\\sigma$ = {pair.lipschitz:g}:",
                       sp.Eq(sp.Symbol(r"\sigma(u)"), pair.sigma_expr)),
            Hypothesis("(b):", sp.Gt(LAMBDA, -1 / L_SYM)),
            Hypothesis("G(x) = $\\sigma^{-1}(x) + Wx$ on $I^n$, so that T(x) = y iff "
                       "G(x) = $\\sigma^{-1}(y) - b$."),
        ),
        steps=(
            Step(sp.Ge(sp.Symbol(r"(\sigma^{-1})'(x)"), 1 / L_SYM),
                 "$(\\sigma^{-1})'(x) = 1/\\sigma'(\\sigma^{-1}(x)) \\ge 1/L_\\sigma$ on I"),
            Step(sp.Ge(sp.Symbol(r"\langle G(x) - G(y), x - y \rangle"),
                       (1 / L_SYM + LAMBDA) * sp.Symbol(r"|x - y|^2")),
                 "G(x) = $\\sigma^{-1}(x) + Wx$ is strongly monotone: injective"),
        ),
        symbolic=symbolic,
        numeric=_monotone_check(pair),
        notes=(
            "Restricted pair: the primal layer is injective only where $\\sigma^{-1}(x) + Wx + b$ "
            "stays in $D^n$ and is not onto $I^n$ in general; see "
            "sin/official_usage_not_injective.",
        ),
    )


# ----- counterexamples ------------------------------------------------------------------------
def _sin_counterexample() -> Claim:
    w = sp.Rational(1, 2)
    t = sp.sin(sp.asin(X) + w * X)
    slope = sp.diff(t, X)
    point = sp.Rational(99, 100)

    def symbolic() -> SymbolicOutcome:
        value = slope.subs(X, point)
        if (value.evalf(30) < 0) is sp.true:
            return disproved("exact evaluation of T′(99/100) (30 digits)",
                             {"x": float(point), "w": float(w)},
                             f"T′(0.99) = {sp.N(value, 4)} < 0")
        return inconclusive("exact evaluation of T′(99/100)")

    def violation(z: Array) -> Array:
        x, weight = z[0], z[1]
        z_pre = jnp.arcsin(x) + weight * x
        derivative = jnp.cos(z_pre) * (1.0 / jnp.sqrt(1.0 - x * x) + weight)
        return -derivative

    return Claim(
        name="sin/official_usage_not_injective",
        title="sin used on all of ℝ: contraction (a) does not make the layer injective",
        activation="sin",
        statement=sp.Gt(sp.Derivative(t, X), 0),
        hypotheses=(
            Hypothesis("σ = sin on ℝ, σ⁻¹ = arcsin on (−1, 1), as in the official package."),
            Hypothesis("n = 1, W = w = 1/2, b = 0: $L_\\sigma |w| = 1/2 < 1$, condition (a)."),
        ),
        steps=(
            Step(sp.Eq(sp.Symbol("T(x)"), t), "the primal layer"),
            Step(sp.Eq(sp.Derivative(t, X), sp.simplify(slope)), "its derivative"),
        ),
        symbolic=symbolic,
        numeric=NumericCheck(
            violation, names=("x", "w"), lower=(-0.999, 0.5), upper=(0.999, 0.5),
            description="−T′(x), claimed ≤ 0 if T were increasing",
        ),
        notes=(
            "z = arcsin(x) + x/2 exceeds π/2 near x = 1, where sin folds back: T is not "
            "monotone, hence not injective on (−1, 1), although F(u) = u + w sin(u) is a "
            "bijection of ℝ. The restricted pair (sin on [−π/2, π/2]) avoids this only on the "
            "set where σ⁻¹(x) + Wx + b stays in that box.",
        ),
    )


def _vertex_necessary() -> Claim:
    tanh = legendre.get("tanh")
    a = sp.nsolve(sp.Symbol("a") - 2 * sp.tanh(2 * sp.tanh(sp.Symbol("a"))), 1.9)
    other = {"u1": 0.0, "u2": 0.0, "v1": float(a), "v2": float(-2 * sp.tanh(a))}
    layer = Layer(jnp.array([[0.0, 2.0], [2.0, 0.0]]), jnp.zeros(2), None, tanh, "bregman")

    def symbolic() -> SymbolicOutcome:
        return disproved(
            "a = 2 tanh(2 tanh a) solved to 30 digits (nsolve); F(a, −2 tanh a) = F(0, 0) = 0",
            other,
            f"a = {sp.N(a, 6)}",
        )

    def violation(z: Array) -> Array:
        u, v = z[:2], z[2:]
        fu, fv = F.dual_forward(layer, u), F.dual_forward(layer, v)
        apart = jnp.max(jnp.abs(u - v)) >= 1.0
        return jnp.where(apart, 1e-2 - jnp.max(jnp.abs(fu - fv)), -1.0)

    return Claim(
        name="tanh/vertex_condition_necessary",
        title="a negative vertex determinant: the layer W = [[0, 2], [2, 0]] is not injective",
        activation="tanh",
        statement=sp.Ne(sp.Symbol("F(u)"), sp.Symbol("F(v)")),
        hypotheses=(
            Hypothesis("σ = tanh, W = [[0, 2], [2, 0]], b = 0; det(I + W) = −3 < 0."),
        ),
        steps=(
            Step(sp.Eq(sp.Symbol(r"\det(I + W)"), -3), "the vertex D = I violates (c)"),
            Step(sp.Eq(sp.Symbol("F(a, -2 tanh a)"), sp.Symbol("F(0, 0)")),
                 "with a = 2 tanh(2 tanh a) ≠ 0, both points map to 0"),
        ),
        symbolic=symbolic,
        numeric=NumericCheck(
            violation, names=("u1", "u2", "v1", "v2"), lower=(-3.0,) * 4, upper=(3.0,) * 4,
            witnesses=(tuple(other.values()),),
            description="0.01 − |F(u) − F(v)|∞ for |u − v|∞ ≥ 1, claimed ≤ 0 if F were injective",
        ),
        notes=(
            "For tanh, σ′ → 0 at ±∞, so det J(u) = det(I + W D(u)) → 1 as |u| → ∞ while "
            "det J(0) = det(I + W) = −3: det J changes sign, so F is no diffeomorphism onto its "
            "image, and the two points above show that it is not injective. For other pairs "
            "det J need not tend to 1: D(u) tends to the limits of σ′ at the ends, 1 for softplus "
            "at +∞ and 1/2 for the bent identity at ±∞.",
        ),
    )


def claims() -> list[Claim]:
    """Every invertibility claim, unchecked."""
    return [
        _vertex_reduction(),
        _nested_conditions(),
        _strict_examples(),
        _layer_claim(),
        _vertex_necessary(),
        _restricted_claim(legendre.get("sin")),
        _sin_counterexample(),
    ]


def results() -> list[Result]:
    """The checked invertibility results (for ``bregmalib derive``)."""
    return [claim.check() for claim in claims()]
