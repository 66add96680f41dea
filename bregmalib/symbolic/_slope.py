"""The slope ratio R_σ(Δ) = sup over u ∈ D and |δ| ≤ Δ of σ′(u+δ)/σ′(u).

Routes, in order (ℓ = log σ′):
1. unbounded: σ′ → 0 at a finite end of D, so R_σ(Δ) = ∞ for Δ > 0;
2. tail: |ℓ′| ≤ K gives R_σ(Δ) ≤ e^{KΔ} (mean value theorem), exact when σ′(u±Δ)/σ′(u) → e^{KΔ}
   as u → ±∞ (sigmoid e^Δ, tanh e^{2Δ}, softplus e^{βΔ});
3. critical: σ′ even and ℓ′ rational; for δ > 0 the critical equation ℓ′(u+δ) = ℓ′(u) is solved
   for δ and u, giving the exact supremum (atan ((Δ+√(Δ²+4))/2)²);
4. reciprocal square: 1/σ′ = α(1+p²) with |p′| ≤ M gives R_σ(Δ) ≤ ((MΔ+√(M²Δ²+4))/2)².
The certified bound is the exact value, or the minimum of the bounds found.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import jax.numpy as jnp
import numpy as np
import sympy as sp
from jax import Array
from jax.typing import ArrayLike

from bregmalib.legendre import LegendrePair, U
from bregmalib.symbolic._certify import equal, extremum, sign_nonnegative
from bregmalib.symbolic._numeric import NumericCheck
from bregmalib.symbolic._pairs import dual_box, pair_hypotheses
from bregmalib.symbolic._result import (
    Claim,
    Hypothesis,
    Result,
    Step,
    SymbolicOutcome,
    inconclusive,
    proved,
)

#: Δ ≥ 0, the half-width of the shift; ``SlopeRatio.expr`` is an expression in it.
DELTA = sp.Symbol("Delta", positive=True)
_DELTA_SMALL = sp.Symbol("delta", positive=True)
_R = sp.Function("R_sigma")
#: a smooth p with 1/σ′ = α(1 + p²), by pair name (each verified before use)
RECIPROCAL_SQUARE_HINTS: dict[str, sp.Expr] = {"bent_identity": sp.sqrt(U**2 + 1) - U}
#: Δ values at which exactness is confirmed numerically and the gap of a bound is measured
CHECK_DELTAS = (0.5, 2.0)
GAP_DELTAS = (0.25, 1.0, 4.0)
SHIFT_BOX = 4.0
#: the value of a direction that leaves the dual domain in `_shortfall` (finite, never the max)
BIG = 1e300


@dataclasses.dataclass(frozen=True)
class Route:
    """One symbolic route's outcome: a bound (exact or not) on R_σ with its steps."""

    name: str
    expr: sp.Expr
    exact: bool
    steps: tuple[Step, ...]
    outcome: SymbolicOutcome


def _ratio(pair: LegendrePair, delta: sp.Expr) -> sp.Expr:
    d1 = pair.derivative_expr
    return d1.subs(U, U + delta) / d1


#: why a slope ratio equal to +∞ is all that holds (a restricted pair whose σ′ vanishes at an end)
UNBOUNDED_REASON = (
    "σ′ vanishes at a finite end of the dual domain D while σ′(u ∓ δ) stays positive, so no "
    "finite R_σ(Δ) exists for Δ > 0; the layer and network bounds of this pair hold only on "
    "boxes strictly inside D, where the slope quotient is bounded directly."
)


def _unbounded_route(pair: LegendrePair) -> Route | None:
    d1 = pair.derivative_expr
    for end, side in ((pair.dual_domain.sup, "-"), (pair.dual_domain.inf, "+")):
        if end.is_finite and sp.limit(d1, U, end, side) == 0:
            steps = (
                Step(sp.Eq(sp.Limit(d1, U, end, side), 0), "σ′ vanishes at a finite end of D"),
                Step(
                    sp.Eq(_R(DELTA), sp.oo),
                    "σ′(u ∓ δ) stays positive while σ′(u) → 0: the ratio is unbounded for Δ > 0",
                ),
            )
            return Route(
                "unbounded", sp.oo, True, steps, proved("one-sided limit of σ′ at an end of D")
            )
    return None


def _tail_route(pair: LegendrePair, log_slope: sp.Expr) -> Route | None:
    top, top_outcome = extremum(log_slope, U, pair.dual_domain, kind="sup")
    bottom, bottom_outcome = extremum(log_slope, U, pair.dual_domain, kind="inf")
    if top is None or bottom is None or top.value.has(sp.oo) or bottom.value.has(sp.oo):
        return None
    K = sp.simplify(sp.Max(top.value, -bottom.value))
    bound = sp.exp(K * DELTA)
    steps = [
        Step(sp.Eq(sp.Symbol(r"\ell'(u)"), log_slope), "ℓ = log σ′, differentiated"),
        Step(
            sp.Eq(sp.Symbol(r"\sup_{D} |\ell'|"), K),
            "critical points of ℓ′ and its limits at the ends of D",
        ),
        Step(sp.Le(_R(DELTA), bound), "mean value theorem: |ℓ(u+δ) − ℓ(u)| ≤ K|δ|"),
    ]
    reached = None
    for sign, end in ((1, -sp.oo), (-1, sp.oo), (1, sp.oo), (-1, -sp.oo)):
        r = sp.simplify(_ratio(pair, sign * DELTA).rewrite(sp.exp))
        value = sp.simplify(sp.limit(r, U, end))
        if equal(value, bound):
            reached = (sign, end, value)
            break
    method = "sup/inf of ℓ′ by critical points and limits; limits of the ratio at ±∞ (exp form)"
    if reached is not None:
        s, end, value = reached
        steps.append(
            Step(
                sp.Eq(sp.Limit(_ratio(pair, s * DELTA), U, end), value),
                "the bound is approached at the end of D: the supremum is exact",
            )
        )
    ok = top_outcome.verdict == bottom_outcome.verdict == "proved"
    outcome = proved(method, f"K = {sp.sstr(K)}") if ok else inconclusive(method, "K not certified")
    return Route("tail", bound, reached is not None, tuple(steps), outcome)


def _critical_route(pair: LegendrePair, log_slope: sp.Expr) -> Route | None:
    d1, delta = pair.derivative_expr, _DELTA_SMALL
    if not equal(d1.subs(U, -U), d1) or not sp.together(log_slope).is_rational_function(U):
        return None
    equation = sp.factor(sp.numer(sp.together(log_slope.subs(U, U + delta) - log_slope)))
    on_curve = sp.solve(equation, delta)
    points = sp.solve(equation, U)
    if len(on_curve) != 1 or not points:
        return None
    along = sp.simplify(_ratio(pair, delta).subs(delta, on_curve[0]))
    values = [sp.simplify(along.subs(U, p)) for p in points]
    values += [sp.simplify(sp.limit(_ratio(pair, delta), U, end)) for end in (-sp.oo, sp.oo)]
    best = next(
        (v for v in values if all(w is v or sign_nonnegative(v - w) is True for w in values)), None
    )
    method = "critical points of u ↦ σ′(u+δ)/σ′(u) (solve), limits at ±∞, monotonicity in δ"
    if best is None:
        return Route("critical", sp.oo, False, (), inconclusive(method, "candidates not ordered"))
    increasing = sign_nonnegative(sp.diff(best, delta)) is True
    expr = sp.simplify(best.subs(delta, DELTA))
    steps = (
        Step(
            sp.Eq(equation, 0),
            "critical points in u of ℓ(u+δ) − ℓ(u), δ > 0 (numerator of ℓ′(u+δ) − ℓ′(u))",
        ),
        Step(
            sp.Eq(sp.Symbol(r"\frac{\sigma'(u+\delta)}{\sigma'(u)}\Big|_{\rm crit}"), along),
            "the ratio along the critical curve δ(u)",
        ),
        Step(
            sp.Eq(_R(DELTA), expr),
            "largest candidate (limits at ±∞ give 1), increasing in δ; σ′ even covers δ < 0",
        ),
    )
    outcome = (
        proved(method) if increasing else inconclusive(method, "monotonicity in delta not shown")
    )
    return Route("critical", expr, True, steps, outcome)


def _reciprocal_square_route(pair: LegendrePair) -> Route | None:
    p = RECIPROCAL_SQUARE_HINTS.get(pair.name)
    if p is None:
        return None
    alpha = sp.simplify(1 / pair.lipschitz_expr)
    if not equal(1 / pair.derivative_expr, alpha * (1 + p**2)):
        return None
    dp = sp.simplify(sp.diff(p, U))
    top, top_outcome = extremum(dp, U, pair.dual_domain, kind="sup")
    bottom, bottom_outcome = extremum(dp, U, pair.dual_domain, kind="inf")
    if top is None or bottom is None:
        return None
    M = sp.simplify(sp.Max(top.value, -bottom.value))
    t, c = sp.Symbol("t", real=True), sp.Symbol("c", positive=True)
    lemma = (1 + (t + c) ** 2) / (1 + t**2)
    closed = ((c + sp.sqrt(c**2 + 4)) / 2) ** 2
    lemma_top, lemma_outcome = extremum(lemma, t, sp.S.Reals, kind="sup")
    lemma_ok = (
        lemma_top is not None
        and lemma_outcome.verdict == "proved"
        and equal(lemma_top.value, closed)
        and sign_nonnegative(sp.diff(closed, c)) is True
    )
    expr = sp.simplify(closed.subs(c, M * DELTA))
    steps = (
        Step(
            sp.Eq(1 / sp.Symbol(r"\sigma'(u)"), alpha * (1 + sp.Symbol("p(u)") ** 2)),
            f"with $p(u) = {sp.latex(p)}$",
        ),
        Step(
            sp.Eq(sp.Symbol(r"\sup_{D} |p'|"), M),
            "critical points of p′ and its limits at the ends of D",
        ),
        Step(
            sp.Eq(sp.Symbol(r"\sup_t \frac{1+(t+c)^2}{1+t^2}"), closed),
            "critical points in t (lemma)",
        ),
        Step(
            sp.Le(_R(DELTA), expr),
            "p(u) = p(u+δ) + e with |e| ≤ MΔ; the lemma's value is even and increasing in c",
        ),
    )
    ok = lemma_ok and top_outcome.verdict == bottom_outcome.verdict == "proved"
    method = "1/σ′ = α(1+p²) checked by simplification; sup |p′| and the lemma by critical points"
    outcome = proved(method) if ok else inconclusive(method, "a step was not certified")
    return Route("reciprocal square", expr, False, steps, outcome)


_ROUTES: dict[tuple, list[Route]] = {}


def derive_routes(pair: LegendrePair) -> list[Route]:
    """Every route that applies to ``pair``, stopping at the first exact proved one. The
    derivation is symbolic in the parameters, so it is cached across parameter values."""
    key = (pair.name, pair.sigma_expr, pair.dual_domain, pair.lipschitz_expr)
    if key not in _ROUTES:
        _ROUTES[key] = _derive_routes(pair)
    return list(_ROUTES[key])


def _derive_routes(pair: LegendrePair) -> list[Route]:
    unbounded = _unbounded_route(pair)
    if unbounded is not None:
        return [unbounded]
    log_slope = sp.simplify(sp.diff(sp.log(pair.derivative_expr), U))
    routes: list[Route] = []
    for build in (
        lambda: _tail_route(pair, log_slope),
        lambda: _critical_route(pair, log_slope),
        lambda: _reciprocal_square_route(pair),
    ):
        route = build()
        if route is None:
            continue
        routes.append(route)
        if route.exact and route.outcome.verdict == "proved":
            return [route]
    return routes


def _combine(routes: list[Route]) -> tuple[sp.Expr, bool, tuple[Step, ...], SymbolicOutcome, str]:
    if not routes:
        return sp.oo, False, (), inconclusive("no route applies"), "none"
    exact = [r for r in routes if r.exact]
    if exact:
        r = exact[0]
        return r.expr, True, r.steps, r.outcome, r.name
    bounds = [r for r in routes if r.outcome.verdict == "proved"] or routes
    expr = bounds[0].expr if len(bounds) == 1 else sp.Min(*(r.expr for r in bounds))
    steps = tuple(s for r in bounds for s in r.steps)
    if len(bounds) > 1:
        steps += (Step(sp.Le(_R(DELTA), expr), "the smaller of the certified bounds"),)
    outcome = (
        bounds[0].outcome
        if len(bounds) == 1
        else (
            proved("; ".join(r.outcome.method for r in bounds))
            if all(r.outcome.verdict == "proved" for r in bounds)
            else inconclusive("; ".join(r.outcome.method for r in bounds))
        )
    )
    return expr, False, steps, outcome, " + ".join(r.name for r in bounds)


def log_bound_function(pair: LegendrePair, expr: sp.Expr):
    """log R(Δ) at the pair's parameter values, as a JAX function of Δ (``inf`` for R = ∞)."""
    value = pair.substitute(expr)
    if value is sp.oo:
        return lambda d: jnp.full_like(d, jnp.inf)
    log_expr = sp.expand_log(sp.log(value), force=True)
    return sp.lambdify(DELTA, log_expr, "jax")


def _checks(pair: LegendrePair, expr: sp.Expr, exact: bool) -> tuple[NumericCheck, ...]:
    log_r = log_bound_function(pair, expr)
    lo, hi = dual_box(pair)

    def excess(z: Array) -> Array:
        u, d = z[0], z[1]
        log_ratio = pair.log_derivative(u + d) - pair.log_derivative(u)
        bound = log_r(jnp.abs(d))
        return (log_ratio - bound) / (1.0 + jnp.abs(bound))

    checks = []
    if expr is not sp.oo:
        checks.append(
            NumericCheck(
                excess,
                ("u", "delta"),
                (lo, -SHIFT_BOX),
                (hi, SHIFT_BOX),
                tolerance=1e-9,
                description="log σ′(u+δ) − log σ′(u) ≤ log R(|δ|), relative",
            )
        )
    if exact:
        for d0 in CHECK_DELTAS:
            checks.append(_reached(pair, expr, d0, lo, hi))
    return tuple(checks)


def _log_value(pair: LegendrePair, expr: sp.Expr, d0: float) -> float:
    value = pair.substitute(expr)
    return (
        math.inf if value is sp.oo else float(sp.N(sp.log(value.subs(DELTA, sp.Float(d0, 30))), 30))
    )


def _reached(pair: LegendrePair, expr: sp.Expr, d0: float, lo: float, hi: float) -> NumericCheck:
    target = _log_value(pair, expr, d0)
    if math.isinf(target):
        target = math.log(1e8)
        description = f"σ′(u ± {d0:g})/σ′(u) exceeds 1e8 (R = ∞)"
    else:
        description = f"R({d0:g}) is approached"
    return NumericCheck(
        _shortfall(pair),
        ("u", "Delta", "log R"),
        (lo, d0, target),
        (hi, d0, target),
        tolerance=1e-7,
        kind="attained",
        description=description,
    )


@functools.lru_cache(maxsize=64)
def _shortfall(pair: LegendrePair):
    """(max_± log σ′(u ± Δ) − log σ′(u) − log R) / (1 + |log R|) at z = (u, Δ, log R); a
    direction with u ± Δ outside the dual domain D is not in the supremum (−`BIG`)."""

    def shortfall(z: Array) -> Array:
        u, d0, target = z[0], z[1], z[2]
        up = jnp.where(
            u + d0 < pair.dual_upper, pair.log_derivative(u + d0) - pair.log_derivative(u), -BIG
        )
        down = jnp.where(
            u - d0 > pair.dual_lower, pair.log_derivative(u - d0) - pair.log_derivative(u), -BIG
        )
        return (jnp.maximum(up, down) - target) / (1.0 + jnp.abs(target))

    return shortfall


def numeric_gap(pair: LegendrePair, expr: sp.Expr, deltas=GAP_DELTAS) -> dict[float, float]:
    """bound/lower at each Δ, the lower bound from a grid and gradient-ascent search over u."""
    lo, hi = dual_box(pair)
    gaps = {}
    for d0 in deltas:
        found = _reached(pair, expr, d0, lo, hi).run()
        target = _log_value(pair, expr, d0)
        log_lower = found.max_violation * (1.0 + abs(target)) + target
        gaps[d0] = float(np.exp(target - log_lower))
    return gaps


def slope_ratio_claim(pair: LegendrePair) -> Claim:
    """The claim R_σ(Δ) = expr (exact) or R_σ(Δ) ≤ expr (certified bound) for ``pair``."""
    routes = derive_routes(pair)
    expr, exact, steps, outcome, route = _combine(routes)
    statement = sp.Eq(_R(DELTA), expr) if exact else sp.Le(_R(DELTA), expr)
    notes = [f"Route: {route}."]
    if not exact and expr is not sp.oo:
        gaps = numeric_gap(pair, expr)
        notes.append(
            "Numeric gap bound/lower at the pair's parameters: "
            + ", ".join(f"Δ = {d:g}: {g:.4f}" for d, g in gaps.items())
            + "."
        )
    definition = sp.Eq(
        _R(DELTA), sp.Symbol(r"\sup_{u,\,|\delta|\le\Delta}\sigma'(u+\delta)/\sigma'(u)")
    )
    return Claim(
        name=f"{pair.name}/slope_ratio",
        title=f"{pair.name}: slope ratio R_σ(Δ)" + ("" if exact else " (certified upper bound)"),
        activation=pair.name,
        hypotheses=(*pair_hypotheses(pair), Hypothesis("definition:", definition)),
        statement=statement,
        steps=steps,
        symbolic=lambda: outcome,
        numeric=_checks(pair, expr, exact),
        notes=tuple(notes),
        values={"R": expr, "exact": sp.true if exact else sp.false},
        trivial=UNBOUNDED_REASON if expr is sp.oo else "",
    )


@dataclasses.dataclass(frozen=True, eq=False)
class SlopeRatio:
    """R_σ(Δ) for one pair at its parameter values: ``expr`` in `DELTA` (exact closed form when
    ``exact``, else a certified upper bound), the status of its `Result`, and a JAX evaluator."""

    pair: LegendrePair
    expr: sp.Expr
    exact: bool
    status: str
    result: Result

    def __call__(self, delta: ArrayLike) -> Array:
        """Elementwise upper bound of R_σ(|Δ|) (equal where exact); 1 at Δ = 0, +inf where no
        bound exists. Keeps the floating dtype of ``delta``."""
        d = jnp.abs(jnp.asarray(delta))
        if not jnp.issubdtype(d.dtype, jnp.floating):
            d = d.astype(jnp.result_type(float))
        value = self.expr
        if value is sp.oo:
            bound = jnp.full_like(d, jnp.inf)
        else:
            bound = jnp.asarray(_evaluator(value)(d), dtype=d.dtype) + jnp.zeros_like(d)
        return jnp.where(d == 0, jnp.ones_like(d), bound)

    def numpy(self, delta: ArrayLike) -> np.ndarray:
        """The same bound evaluated with NumPy in float64 (no JAX dispatch, any shape)."""
        d = np.abs(np.asarray(delta, dtype=np.float64))
        if self.expr is sp.oo:
            bound = np.full_like(d, np.inf)
        else:
            with np.errstate(over="ignore"):
                bound = np.asarray(
                    _numpy_evaluator(self.expr)(d), dtype=np.float64
                ) + np.zeros_like(d)
        return np.where(d == 0, 1.0, bound)


@functools.lru_cache(maxsize=64)
def _evaluator(expr: sp.Expr):
    return sp.lambdify(DELTA, expr, "jax")


@functools.lru_cache(maxsize=64)
def _numpy_evaluator(expr: sp.Expr):
    return sp.lambdify(DELTA, expr, "numpy")


@functools.lru_cache(maxsize=64)
def slope_ratio_result(pair: LegendrePair) -> Result:
    """The checked slope-ratio `Result` of ``pair`` (cached per pair)."""
    return slope_ratio_claim(pair).check()


def slope_ratio(pair: LegendrePair) -> SlopeRatio:
    """R_σ(Δ) = sup over u ∈ D and |δ| ≤ Δ of σ′(u+δ)/σ′(u) for ``pair``, derived and checked
    (see the module docstring for the routes); cached per pair."""
    if not isinstance(pair, LegendrePair):
        raise TypeError(
            f"slope_ratio expects a LegendrePair (from bregmalib.legendre.get), "
            f"got {type(pair).__name__}"
        )
    result = slope_ratio_result(pair)
    expr = pair.substitute(result.values["R"])
    return SlopeRatio(pair, expr, bool(result.values["exact"]), result.status, result)
