"""Derive a pair's constants from σ alone: σ′, the interval, L_σ = sup σ′, σ⁻¹, φ and φ*.

L_σ is found from the critical points of σ′ (zeros of σ″ from `solveset`) and the limits of σ′
at the ends of the dual domain, never from SymPy's `maximum` (wrong on some transcendental
functions); every symbolic value is confirmed on a dense numeric grid.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from pathlib import Path

import mpmath
import numpy as np
import sympy as sp

from bregmalib.legendre._catalogue import DEFINITIONS
from bregmalib.legendre._expressions import EXPRESSIONS, U, X
from bregmalib.legendre._pair import Symbolic


@dataclasses.dataclass(frozen=True)
class Supremum:
    """sup of an expression over an interval: its value and where it is attained
    (``oo``/``-oo`` when only approached at an end)."""

    value: sp.Expr
    at: sp.Expr


def _rewrite(expr: sp.Expr) -> sp.Expr:
    return sp.simplify(sp.together(expr.rewrite(sp.exp)))


def _critical_points(expr: sp.Expr, var: sp.Symbol, domain: sp.Interval) -> list[sp.Expr] | None:
    """Zeros of d expr / d var inside ``domain``; None when SymPy cannot list them."""
    derivative = sp.diff(expr, var)
    candidates: list[sp.Expr] = []
    for form in (derivative, _rewrite(derivative)):
        solution = sp.solveset(sp.numer(sp.together(form)), var, domain)
        if isinstance(solution, sp.FiniteSet):
            candidates = list(solution)
            return candidates
        if solution == sp.S.EmptySet:
            return []
    return None


def _end_values(
    expr: sp.Expr, var: sp.Symbol, domain: sp.Interval
) -> list[tuple[sp.Expr, sp.Expr]]:
    ends = []
    for end, direction in ((domain.inf, "+"), (domain.sup, "-")):
        value = sp.limit(expr, var, end, direction) if end.is_infinite else expr.subs(var, end)
        ends.append((sp.simplify(value), end))
    return ends


def supremum(
    expr: sp.Expr, var: sp.Symbol, domain: sp.Interval, parameters: Mapping[sp.Symbol, float]
) -> Supremum:
    """sup of ``expr`` over ``domain`` from its critical points and its end limits.

    Candidates are compared at the numeric ``parameters``; the winner is returned symbolically.
    Raises ValueError when SymPy cannot list the critical points.
    """
    points = _critical_points(expr, var, domain)
    if points is None:
        raise ValueError(f"cannot list the critical points of {expr} on {domain}")
    candidates = [(sp.simplify(expr.subs(var, p)), p) for p in points]
    candidates += _end_values(expr, var, domain)
    values = {s: sp.nsimplify(v) for s, v in parameters.items()}
    numeric = [float(sp.N(value.subs(values), 30)) for value, _ in candidates]
    best = int(np.argmax(numeric))
    return Supremum(value=candidates[best][0], at=candidates[best][1])


def dual_range(sigma: sp.Expr, dual_domain: sp.Interval) -> sp.Interval:
    """σ(D) for an increasing σ: the open interval between its end limits."""
    (low, _), (high, _) = _end_values(sigma, U, dual_domain)
    for end in (low, high):
        if end.has(sp.AccumBounds, sp.nan, sp.zoo):
            raise ValueError(
                f"σ = {sigma} has no limit at an end of {dual_domain} ({end}), "
                "so it is not a bijection onto an interval"
            )
    return sp.Interval.open(low, high)


def numeric_grid(domain: tuple[float, float], count: int = 4001) -> np.ndarray:
    """A dense grid of the dual domain: uniform on its bounded part, geometric in the tails."""
    lo, hi = domain
    lo_f = max(lo, -1e6) if np.isfinite(lo) else -1e6
    hi_f = min(hi, 1e6) if np.isfinite(hi) else 1e6
    core = np.linspace(max(lo_f, -20.0), min(hi_f, 20.0), count)
    tails = []
    if not np.isfinite(lo):
        tails.append(-np.geomspace(20.0, 1e6, 200))
    if not np.isfinite(hi):
        tails.append(np.geomspace(20.0, 1e6, 200))
    grid = np.unique(np.concatenate([core, *tails]))
    eps = 1e-9 * max(1.0, hi_f - lo_f)
    return (
        grid[(grid > lo_f + eps) & (grid < hi_f - eps)]
        if np.isfinite(lo) or np.isfinite(hi)
        else grid
    )


def mp_function(expr: sp.Expr, var: sp.Symbol, parameters: Mapping[sp.Symbol, float]):
    """An mpmath (50 digits) evaluator of ``expr`` at fixed parameters."""
    values = {s: sp.nsimplify(v) for s, v in parameters.items()}
    return sp.lambdify(var, expr.subs(values), modules="mpmath")


def check_increasing(sigma: sp.Expr, dual_domain: sp.Interval, parameters) -> None:
    """Refuse a σ that is not increasing: σ′ ≤ 0 on a dense grid of |u| ≤ 30 (60 digits), σ′ < 0
    further out (where σ′ may round to 0), or a non-empty symbolic violation set {σ′ ≤ 0} when
    SymPy can decide it."""
    derivative = sp.diff(sigma, U)
    evaluate = mp_function(derivative, U, parameters)
    lo, hi = (float(dual_domain.inf), float(dual_domain.sup))
    with mpmath.workdps(60):
        for u in numeric_grid((lo, hi), 1201):
            value = evaluate(mpmath.mpf(float(u)))
            core = abs(u) <= 30
            if not mpmath.isfinite(value) or value < 0 or (core and value == 0):
                raise ValueError(
                    f"σ = {sigma} is not increasing on {dual_domain}: σ′({u:.6g}) = "
                    f"{mpmath.nstr(value, 6)} ≤ 0"
                )
    if not parameters:
        try:
            violation = sp.solveset(derivative <= 0, U, dual_domain)
        except (NotImplementedError, ValueError, TypeError):
            return
        if violation.is_empty is False:
            raise ValueError(f"σ = {sigma} is not increasing: σ′ ≤ 0 on {violation}")


def check_continuous(sigma: sp.Expr, dual_domain: sp.Interval) -> None:
    """Refuse a σ with a discontinuity in the dual domain (its range would not be an interval)."""
    try:
        domain = sp.calculus.util.continuous_domain(sigma, U, dual_domain)
    except NotImplementedError as error:
        raise ValueError(
            f"cannot establish that σ = {sigma} is continuous on {dual_domain} ({error}); "
            "write σ without sign, Heaviside or Piecewise"
        ) from error
    if domain != dual_domain:
        raise ValueError(
            f"σ = {sigma} is not continuous on {dual_domain} (continuous only on {domain}), "
            "so it is not a bijection onto an interval"
        )


def find_inverse(sigma: sp.Expr, interval: sp.Interval, parameters) -> sp.Expr | None:
    """σ⁻¹ from `solve`: the real branch with σ(σ⁻¹(x)) = x, or None if no branch has it."""
    try:
        branches = sp.solve(sp.Eq(X, sigma), U)
    except NotImplementedError:
        return None
    for branch in branches:
        if check_inverse(sigma, branch, interval, parameters, raise_error=False):
            return sp.simplify(branch)
    return None


def interior_samples(interval: sp.Interval, parameters, count: int = 25) -> list[float]:
    values = {s: sp.nsimplify(v) for s, v in parameters.items()}
    lo, hi = float(interval.inf.subs(values)), float(interval.sup.subs(values))
    if np.isfinite(lo) and np.isfinite(hi):
        return list(lo + (hi - lo) * np.linspace(0.02, 0.98, count))
    if np.isfinite(lo):
        return list(lo + np.geomspace(1e-3, 1e3, count))
    if np.isfinite(hi):
        return list(hi - np.geomspace(1e-3, 1e3, count))
    return list(np.linspace(-50.0, 50.0, count))


def check_inverse(sigma, inverse, interval, parameters, raise_error: bool = True) -> bool:
    """Confirm σ(σ⁻¹(x)) = x: symbolically when `simplify` reaches 0, else at 25 points
    of the interval to 30 digits."""
    residual = sigma.subs(U, inverse) - X
    evaluate = mp_function(residual, X, parameters)
    with mpmath.workdps(30):
        for x in interior_samples(interval, parameters):
            try:
                value = evaluate(mpmath.mpf(float(x)))
            except (TypeError, ValueError, ZeroDivisionError):
                value = mpmath.inf
            if not (
                mpmath.isfinite(value)
                and abs(mpmath.re(value)) < 1e-20 * max(1, abs(x))
                and abs(mpmath.im(value)) < 1e-20
            ):
                if raise_error:
                    raise ValueError(
                        f"the inverse {inverse} does not satisfy σ(σ⁻¹(x)) = x at x = {x:.6g} "
                        f"(residual {mpmath.nstr(value, 6)})"
                    )
                return False
    return True


def _real_logs(expr: sp.Expr, var: sp.Symbol, point: float) -> sp.Expr:
    """Replace log(g) by log(−g) where g < 0 at ``point``: an antiderivative from `integrate`
    may carry log of a negative quantity, which differs from a real one by the constant iπ."""
    replacements = {}
    for log in expr.atoms(sp.log):
        value = complex(sp.N(log.args[0].subs(var, point)))
        if abs(value.imag) < 1e-30 and value.real < 0:
            replacements[log] = sp.log(-log.args[0])
    return expr.xreplace(replacements)


def potentials(
    sigma: sp.Expr, inverse: sp.Expr, interval: sp.Interval, parameters
) -> tuple[sp.Expr | None, sp.Expr | None]:
    """φ = ∫ σ⁻¹ dx and φ* = uσ(u) − φ(σ(u)) (Fenchel–Young equality), or the other way round
    from φ* = ∫ σ du; None for a potential SymPy cannot integrate."""
    values = {s: sp.nsimplify(v) for s, v in parameters.items()}
    midpoint = interior_samples(interval, parameters, 3)[1]
    phi = sp.integrate(inverse, X)
    if not phi.has(sp.Integral):
        phi = sp.simplify(_real_logs(phi.subs(values), X, midpoint))
        return phi, sp.simplify(U * sigma - phi.subs(X, sigma))
    phi_conj = sp.integrate(sigma, U)
    if not phi_conj.has(sp.Integral):
        phi_conj = sp.simplify(_real_logs(phi_conj.subs(values), U, 0.0))
        return sp.simplify(X * inverse - phi_conj.subs(U, inverse)), phi_conj
    return None, None


# ----- the catalogue's symbolic views and their numbers, rendered once


@functools.cache
def catalogue_symbolic(key: str) -> Symbolic:
    """The symbolic view of the catalogue pair ``key``: its expressions, I = σ(D) and L_σ
    (`dual_range`, `supremum`; candidates compared at the default parameters)."""
    expressions = EXPRESSIONS[key]
    values = (v for _, v in DEFINITIONS[key].defaults)
    defaults = dict(zip(expressions.symbols, values, strict=True))
    domain = expressions.dual_domain
    sup = supremum(sp.diff(expressions.sigma, U), U, domain, defaults)
    return Symbolic(
        sigma=expressions.sigma,
        inverse=expressions.inverse,
        phi=expressions.phi,
        phi_conj=expressions.phi_conj,
        interval=dual_range(expressions.sigma, domain),
        lipschitz=sup.value,
        lipschitz_at=sup.at,
        symbols=expressions.symbols,
        dual_domain=domain,
    )


def render_constant_table() -> str:
    """The source of `_constant_table`: each catalogue pair's `Constants` as Python code in
    its parameters."""
    entries = []
    for key in DEFINITIONS:
        symbolic = catalogue_symbolic(key)
        args = "".join(f" {s.name}," for s in symbolic.symbols).rstrip(",")
        printed = (sp.pycode(n, fully_qualified_modules=True) for n in symbolic.numbers())
        code = "".join(f"        {line},\n" for line in printed)
        entries.append(f'    "{key}": lambda{args}: (\n{code}    ),\n')
    return CONSTANT_TABLE_HEADER + "".join(entries) + "}\n"


CONSTANT_TABLE_HEADER = '''"""The numbers of the catalogue pairs as functions of their
parameters: generated by ``python -m bregmalib.legendre._derive`` from `catalogue_symbolic`;
do not edit (``tests/test_legendre_constants.py`` checks a fresh rendering gives this file)."""

import math
from collections.abc import Callable

#: name -> (parameters -> (ends of I, L_σ, where σ′ attains it, ends of D)), see `Constants`
TABLE: dict[str, Callable[..., tuple[float, ...]]] = {
'''


if __name__ == "__main__":
    Path(__file__).with_name("_constant_table.py").write_text(render_constant_table())
