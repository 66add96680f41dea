"""Symbolic routes: critical points from ``solveset`` plus limits at the ends, signs of
simplified differences, emptiness of violation sets.

None of these calls SymPy's ``maximum``/``minimum``/``function_range`` (wrong on some
transcendental functions, sympy issue 30386). A route that cannot decide says "inconclusive";
it never guesses.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from collections.abc import Mapping

import sympy as sp

from bregmalib.symbolic._errors import ClaimError
from bregmalib.symbolic._result import SymbolicOutcome, disproved, inconclusive, proved

_DIGITS = 50


@dataclasses.dataclass(frozen=True)
class Candidate:
    """A candidate extremum: where (a point, or an end ``±oo`` reached as a limit), its value."""

    point: sp.Basic
    value: sp.Basic
    limit: bool


def sign_nonnegative(expr: sp.Basic) -> bool | None:
    """Decide ``expr ≥ 0`` for all values of its (assumption-carrying) symbols, or None.

    Tries SymPy's assumptions on the simplified and factored forms, an exact high-precision
    evaluation when no symbol is left, and the emptiness of ``{expr < 0}`` when one symbol is.
    """
    if not expr.free_symbols:
        decided = _numeric_sign(expr)
        if decided is not None:
            return decided
    expr = sp.simplify(expr)
    if expr == 0 or expr is sp.oo:
        return True
    if expr is sp.nan:
        return None
    for form in (expr, sp.factor(expr)):
        if form.is_nonnegative is not None:
            return bool(form.is_nonnegative)
    free = sorted(expr.free_symbols, key=lambda s: s.name)
    if not free:
        value = sp.N(expr, _DIGITS)
        if value.is_real and abs(value) > sp.Float(10) ** (-_DIGITS + 10):
            return bool(value > 0)
        return None
    if len(free) == 1:
        symbol = free[0]
        domain = sp.Interval.open(0, sp.oo) if symbol.is_positive else sp.S.Reals
        try:
            violation = sp.solveset(expr < 0, symbol, domain)
        except (NotImplementedError, ValueError, TypeError):
            return None
        if violation is sp.S.EmptySet:
            return True
        if isinstance(violation, (sp.Interval, sp.Union)) and violation.measure != 0:
            return False
    return None


def _numeric_sign(expr: sp.Basic) -> bool | None:
    """expr ≥ 0 for a closed-form constant, from a 50-digit evaluation when it is clearly
    away from 0 (interval-free but far beyond float rounding); None otherwise."""
    try:
        value = sp.N(expr, _DIGITS)
    except (TypeError, ValueError):
        return None
    if value.is_real and abs(value) > sp.Float(10) ** (-_DIGITS + 10):
        return bool(value > 0)
    return None


def equal(a: sp.Basic, b: sp.Basic) -> bool:
    """True when ``a - b`` simplifies to zero (False means "not shown equal")."""
    if a == b:
        return True
    if a.has(sp.oo, -sp.oo, sp.zoo) or b.has(sp.oo, -sp.oo, sp.zoo):
        return False
    if not (a.free_symbols or b.free_symbols) and _numeric_sign(a - b) is not None:
        return False
    difference = sp.simplify(a - b)
    return difference == 0 or sp.simplify(sp.expand_func(difference)) == 0


def same_function(a: sp.Expr, b: sp.Expr, var: sp.Symbol, point: sp.Basic) -> bool:
    """True when ``a = b`` on a connected domain containing ``point``: either ``a − b``
    simplifies to 0, or its derivative does and ``a − b`` vanishes at ``point``."""
    if equal(a, b) or equal(a.rewrite(sp.log), b.rewrite(sp.log)):
        return True
    difference = a - b
    return equal(sp.diff(difference, var), sp.S.Zero) and equal(
        difference.subs(var, point), sp.S.Zero
    )


def candidates(f: sp.Expr, var: sp.Symbol, domain: sp.Interval) -> list[Candidate] | None:
    """Critical points of ``f`` in ``domain`` (from ``solveset``) and the values or one-sided
    limits at its ends; None when ``solveset`` does not return a finite set."""
    try:
        critical = sp.solveset(sp.diff(f, var), var, domain)
    except (NotImplementedError, ValueError, TypeError):
        return None
    if not isinstance(critical, sp.FiniteSet) and critical is not sp.S.EmptySet:
        return None
    found = [Candidate(c, _tidy(f.subs(var, c)), False) for c in critical]
    for end, side, is_open in (
        (domain.inf, "+", domain.left_open),
        (domain.sup, "-", domain.right_open),
    ):
        if end.is_infinite or is_open:
            found.append(Candidate(end, sp.limit(f, var, end, side), True))
        else:
            found.append(Candidate(end, sp.simplify(f.subs(var, end)), False))
    return found


def _tidy(value: sp.Expr) -> sp.Expr:
    """Simplify a candidate value, unless it is a large closed-form constant (kept exact)."""
    return value if not value.free_symbols and sp.count_ops(value) > 40 else sp.simplify(value)


def extremum_route(
    f: sp.Expr, var: sp.Symbol, domain: sp.Interval, claimed: sp.Basic, *, kind: str = "sup"
) -> tuple[SymbolicOutcome, Candidate | None]:
    """Route for "sup (or inf) of f over domain equals ``claimed``": the claim is proved when
    one candidate equals it and every other candidate is on the right side of it."""
    if kind not in ("sup", "inf"):
        raise ValueError(f"kind must be 'sup' or 'inf', got {kind!r}")
    method = "critical points (solveset) and limits at the ends"
    found = candidates(f, var, domain)
    if found is None:
        return inconclusive(method, "solveset did not return a finite set of critical points"), None
    best = next((c for c in found if equal(c.value, claimed)), None)
    if best is None:
        values = ", ".join(sp.sstr(c.value) for c in found)
        return inconclusive(method, f"no candidate equals the claim; candidates: {values}"), None
    for c in found:
        gap = claimed - c.value if kind == "sup" else c.value - claimed
        if c.value.has(sp.oo, -sp.oo) or sign_nonnegative(gap) is not True:
            return inconclusive(method, f"could not order candidate {sp.sstr(c.value)}"), best
    where = (
        f"the limit {var} → {_point(best.point)}" if best.limit else f"{var} = {_point(best.point)}"
    )
    return proved(method, f"{kind} reached at {where}; {len(found)} candidates"), best


def _point(point: sp.Expr) -> str:
    """A candidate point as mathematics in a route's text: ``oo`` is set as ∞."""
    return f"${sp.latex(point)}$"


def extremum(
    f: sp.Expr, var: sp.Symbol, domain: sp.Interval, *, kind: str = "sup"
) -> tuple[Candidate | None, SymbolicOutcome]:
    """The sup (or inf) of f over domain among its candidates (critical points and end limits),
    with a proof that it dominates every other candidate; (None, inconclusive) otherwise."""
    if kind not in ("sup", "inf"):
        raise ValueError(f"kind must be 'sup' or 'inf', got {kind!r}")
    method = "critical points (solveset) and limits at the ends"
    found = candidates(f, var, domain)
    if found is None:
        return None, inconclusive(method, "solveset did not return a finite set of critical points")
    sign = 1 if kind == "sup" else -1
    for best in found:
        if all(o is best or _dominates(sign * best.value, sign * o.value) for o in found):
            where = (
                f"the limit ${sp.latex(var)} \\to {sp.latex(best.point)}$"
                if best.limit
                else f"${sp.latex(var)} = {sp.latex(best.point)}$"
            )
            return best, proved(method, f"{kind} = ${sp.latex(best.value)}$ at {where}")
    return None, inconclusive(method, "could not order the candidates")


def _dominates(a: sp.Basic, b: sp.Basic) -> bool:
    if a is sp.oo or b is -sp.oo:
        return True
    if a.has(sp.oo, -sp.oo) or b.has(sp.oo, -sp.oo):
        return False
    return sign_nonnegative(a - b) is True


def nonnegative_route(expr: sp.Expr, var: sp.Symbol, domain: sp.Set) -> SymbolicOutcome:
    """Route for "expr ≥ 0 on domain": the violation set ``{expr < 0}`` is empty, or a point
    of it is returned as a counterexample."""
    method = "violation set {expr < 0} from solveset"
    try:
        violation = sp.solveset(sp.simplify(expr) < 0, var, domain)
    except (NotImplementedError, ValueError, TypeError) as error:
        return inconclusive(method, f"solveset failed: {error}")
    if violation is sp.S.EmptySet:
        return proved(method, "the violation set is empty")
    if isinstance(violation, sp.Interval) and violation.measure.is_positive:
        lo, hi = violation.inf, violation.sup
        point = (
            (lo + hi) / 2 if lo.is_finite and hi.is_finite else (hi - 1 if hi.is_finite else lo + 1)
        )
        if not point.is_finite:
            point = sp.S.Zero
        return disproved(method, {var.name: float(point)}, f"violation set {sp.sstr(violation)}")
    return inconclusive(method, f"violation set not decided: {sp.sstr(violation)}")


def evaluate_matrix(expr: sp.Basic, values: Mapping[sp.Symbol, sp.Matrix]) -> sp.Basic:
    """``expr`` (sums, ordered products and inverses of non-commutative symbols, scalars) with
    each symbol replaced by its explicit matrix, the products kept in their order."""
    if expr in values:
        return values[expr]
    if isinstance(expr, sp.Add):
        terms = [evaluate_matrix(a, values) for a in expr.args]
        return functools.reduce(operator.add, terms)
    if isinstance(expr, sp.Mul):
        factors = [evaluate_matrix(a, values) for a in expr.args]
        return functools.reduce(operator.mul, factors)
    if isinstance(expr, sp.Pow) and expr.exp == -1:
        return evaluate_matrix(expr.base, values).inv()
    if not expr.free_symbols:
        return expr
    raise ClaimError(f"no matrix given for {sp.sstr(expr)}")


def matrix_identity_route(
    statement: sp.Equality, values: Mapping[sp.Symbol, sp.Matrix], method: str
) -> SymbolicOutcome:
    """Route for a matrix identity ``A = B`` over non-commutative symbols: replace each symbol
    by the explicit matrix it stands for, keep every product in its order, and simplify
    ``A − B`` to the zero matrix. Substituting a matrix for a commutative symbol is a
    `ClaimError` (SymPy would have reordered its products in the statement displayed)."""
    commutative = sorted(str(s) for s in values if s.is_commutative)
    if commutative:
        raise ClaimError(f"matrix symbols must be non-commutative: {', '.join(commutative)}")
    difference = evaluate_matrix(statement.lhs, values) - evaluate_matrix(statement.rhs, values)
    difference = sp.simplify(difference.applyfunc(sp.simplify))
    if difference == sp.zeros(*difference.shape):
        return proved(method, "the difference of the two sides is the zero matrix", statement)
    return inconclusive(method, f"the difference is {sp.sstr(difference)}")
