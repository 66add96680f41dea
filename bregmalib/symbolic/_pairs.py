"""Per-pair results: L_σ and where it is attained, the strong-convexity modulus of φ.

Frecon, Gasso, Pontil, Salzo, "Bregman Neural Networks" (ICML 2022): σ = ∇φ*, σ⁻¹ = ∇φ, so
φ″(σ(u)) σ′(u) = 1 and φ is (1/L_σ)-strongly convex on I, with L_σ = sup σ′.
"""

from __future__ import annotations

import math

import jax
import sympy as sp
from jax import Array

from bregmalib.legendre import LegendrePair, U, X
from bregmalib.symbolic._certify import Candidate, equal, extremum_route, same_function
from bregmalib.symbolic._numeric import NumericCheck
from bregmalib.symbolic._result import Claim, Hypothesis, Result, Step, SymbolicOutcome, proved

#: half-width of the search box on an unbounded dual domain, and the far box for limits at ±∞
U_BOX = 60.0
FAR = (1e3, 1e8)
#: relative margin kept from the open ends of a bounded interval in numeric searches
END_MARGIN = 1e-12


def pair_hypotheses(pair: LegendrePair) -> tuple[Hypothesis, ...]:
    """The standing hypotheses on a pair: σ smooth, increasing, onto I; parameters positive."""
    hyps = [
        Hypothesis(
            f"σ = {pair.name}, smooth and increasing from D onto I:",
            sp.Eq(sp.Symbol(r"\sigma(u)"), pair.sigma_expr),
        ),
        Hypothesis("dual domain D and interval I:", sp.Tuple(pair.dual_domain, pair.interval)),
    ]
    for symbol, value in pair.parameters:
        hyps.append(
            Hypothesis(
                f"parameter (numeric checks at {value:g}):",
                sp.Gt(sp.Symbol(symbol.name, real=True), 0),
            )
        )
    if not pair.legendre:
        hyps.append(
            Hypothesis("restricted pair: σ is a bijection only on the bounded dual domain D.")
        )
    return tuple(hyps)


def dual_box(pair: LegendrePair) -> tuple[float, float]:
    """A finite search box inside the dual domain D."""
    lo, hi = pair.dual_lower, pair.dual_upper
    lo = -U_BOX if math.isinf(lo) else lo + END_MARGIN * max(1.0, abs(lo))
    hi = U_BOX if math.isinf(hi) else hi - END_MARGIN * max(1.0, abs(hi))
    return lo, hi


def primal_box(pair: LegendrePair) -> tuple[float, float]:
    """A finite search box inside the interval I."""
    lo, hi = pair.lower, pair.upper
    lo = -U_BOX if math.isinf(lo) else lo + 1e-9 * max(1.0, abs(lo))
    hi = U_BOX if math.isinf(hi) else hi - 1e-9 * max(1.0, abs(hi))
    return lo, hi


def _where_box(
    candidate: Candidate | None, pair: LegendrePair, to_primal: bool
) -> tuple[float, float] | None:
    """A small box around where a supremum is attained (a far box for a limit at ±∞)."""
    if candidate is None:
        return None
    point = candidate.point
    if point is sp.oo or point is -sp.oo:
        if to_primal:
            return None
        return FAR if point is sp.oo else (-FAR[1], -FAR[0])
    c = float(pair.substitute(point))
    if candidate.limit:
        lo, hi = dual_box(pair)
        return (max(lo, c - 1e-6), c) if c >= hi - 1e-6 else (c, min(hi, c + 1e-6))
    if to_primal:
        c = float(pair.sigma(c))
        return c - 1e-3, c + 1e-3
    return c - 1.0, c + 1.0


def _lipschitz_checks(pair: LegendrePair, where: Candidate | None) -> tuple[NumericCheck, ...]:
    L = pair.lipschitz

    def excess(z: Array) -> Array:
        return pair.derivative(z[0]) / L - 1.0

    lo, hi = dual_box(pair)
    checks = [
        NumericCheck(excess, ("u",), (lo,), (hi,), tolerance=1e-12, description="σ′(u)/L_σ − 1 ≤ 0")
    ]
    near = _where_box(where, pair, to_primal=False)
    if near is not None:
        checks.append(
            NumericCheck(
                excess,
                ("u",),
                (near[0],),
                (near[1],),
                tolerance=1e-9,
                kind="attained",
                description="L_σ is reached",
            )
        )
    return tuple(checks)


def lipschitz_claim(pair: LegendrePair) -> tuple[Claim, SymbolicOutcome]:
    """L_σ = sup_D σ′ = ``pair.lipschitz_expr``, with where it is attained."""
    d1 = pair.derivative_expr
    L = pair.lipschitz_expr
    outcome, where = extremum_route(d1, U, pair.dual_domain, L, kind="sup")
    at = sp.Symbol("?") if where is None else where.point
    d2 = sp.simplify(sp.diff(d1, U))
    steps = (
        Step(sp.Eq(sp.Symbol(r"\sigma'(u)"), sp.simplify(d1)), "differentiate σ"),
        Step(
            sp.Eq(sp.Symbol(r"\sigma''(u)"), d2),
            "critical points of σ′ solve σ″(u) = 0 (solveset on D)",
        ),
        Step(
            sp.Eq(sp.Symbol(r"\sup_{D}\sigma'"), L),
            "compare σ′ at the critical points with its limits at the ends of D",
        ),
    )
    kind = "the limit" if where is not None and where.limit else "the point"
    claim = Claim(
        name=f"{pair.name}/lipschitz",
        title=f"{pair.name}: Lipschitz constant L_σ = sup σ′",
        activation=pair.name,
        hypotheses=pair_hypotheses(pair),
        statement=sp.Eq(sp.Symbol("L_{\\sigma}"), L),
        steps=steps,
        symbolic=lambda: outcome,
        numeric=_lipschitz_checks(pair, where),
        notes=(
            f"The supremum is reached at {kind} $u \\to {sp.latex(at)}$."
            if where is not None and where.limit
            else f"The supremum is attained at $u = {sp.latex(at)}$.",
        ),
        values={
            "L": L,
            "attained_at": at,
            "limit": sp.true if where is not None and where.limit else sp.false,
        },
    )
    return claim, outcome


def _phi_second(pair: LegendrePair):
    grad_inverse = jax.grad(lambda x: pair.inverse(x))

    def second(x: Array) -> Array:
        return grad_inverse(x)

    return second


def strong_convexity_claim(
    pair: LegendrePair, lipschitz: SymbolicOutcome, where: sp.Basic
) -> Claim:
    """φ is m-strongly convex on I with the best modulus m = inf_I φ″ = 1/L_σ."""
    L = pair.lipschitz_expr
    m = sp.simplify(1 / L)
    phi1 = sp.diff(pair.phi_expr, X)
    phi2 = sp.diff(pair.phi_expr, X, 2)
    x0 = (
        pair.sigma_expr.subs(U, 0)
        if 0 in pair.dual_domain
        else pair.sigma_expr.subs(U, pair.dual_domain.inf + 1)
    )
    gradient_ok = same_function(phi1, pair.inverse_expr, X, x0)
    primal_rule = phi2 * pair.derivative_expr.subs(U, pair.inverse_expr)
    dual_rule = phi2.subs(X, pair.sigma_expr) * pair.derivative_expr

    def symbolic() -> SymbolicOutcome:
        method = "φ′ = σ⁻¹ and φ″(σ(u))σ′(u) = 1 checked by simplification, then inf φ″ = 1/sup σ′"
        if not gradient_ok:
            return SymbolicOutcome("inconclusive", method, "phi' - inverse did not simplify to 0")
        if not (
            equal(sp.simplify(primal_rule), sp.S.One) or equal(sp.simplify(dual_rule), sp.S.One)
        ):
            return SymbolicOutcome(
                "inconclusive", method, "phi''(sigma(u)) sigma'(u) did not simplify to 1"
            )
        if lipschitz.verdict != "proved":
            return SymbolicOutcome("inconclusive", method, "L_sigma itself is not proved")
        return proved(method)

    second = _phi_second(pair)

    def deficit(z: Array) -> Array:
        return 1.0 - second(z[0]) / float(pair.substitute(m))

    lo, hi = primal_box(pair)
    checks = [
        NumericCheck(
            deficit,
            ("x",),
            (lo,),
            (hi,),
            tolerance=1e-9,
            description="1 − φ″(x)/m ≤ 0 (φ″ by autodiff of σ⁻¹)",
        )
    ]
    if isinstance(where, sp.Basic) and where.is_finite and where.is_number:
        x0 = float(pair.sigma(float(pair.substitute(where))))
        checks.append(
            NumericCheck(
                deficit,
                ("x",),
                (x0 - 1e-3,),
                (x0 + 1e-3,),
                tolerance=1e-9,
                kind="attained",
                description="m is reached",
            )
        )
    elif where is sp.oo and math.isinf(pair.upper):
        checks.append(
            NumericCheck(
                deficit,
                ("x",),
                FAR[:1],
                FAR[1:],
                tolerance=1e-9,
                kind="attained",
                description="m is approached as x → ∞",
            )
        )
    steps = (
        Step(sp.Eq(sp.Symbol(r"\varphi'(x)"), pair.inverse_expr), "∇φ = σ⁻¹ (Legendre pair)"),
        Step(
            sp.Eq(sp.Symbol(r"\varphi''(\sigma(u))\,\sigma'(u)"), 1),
            "differentiate σ⁻¹(σ(u)) = u (inverse-function rule)",
        ),
        Step(
            sp.Eq(sp.Symbol(r"\inf_{I}\varphi''"), m),
            "inf over I of 1/σ′(σ⁻¹(x)) = 1/sup σ′ = 1/L_σ",
        ),
    )
    return Claim(
        name=f"{pair.name}/strong_convexity",
        title=f"{pair.name}: strong convexity of φ on I",
        activation=pair.name,
        hypotheses=pair_hypotheses(pair),
        statement=sp.Eq(sp.Symbol(r"\inf_{x\in I}\varphi''(x)"), m),
        steps=steps,
        symbolic=symbolic,
        numeric=tuple(checks),
        notes=("φ is (1/L_σ)-strongly convex on I, so σ⁻¹ = ∇φ is (1/L_σ)-strongly monotone.",),
        values={"modulus": m},
    )


def pair_results(pair: LegendrePair) -> list[Result]:
    """L_σ and the strong-convexity modulus of φ for one pair, checked."""
    lipschitz, outcome = lipschitz_claim(pair)
    return [
        lipschitz.check(),
        strong_convexity_claim(pair, outcome, lipschitz.values["attained_at"]).check(),
    ]
