"""Claims, results and their status.

A `Claim` is what an author states: hypotheses, a SymPy statement, derivation steps (each a
relation with a one-line justification) and two independent routes, a symbolic one and a numeric
one. `Claim.check()` runs both and returns a `Result` whose status is

- ``"proved"`` when the symbolic route proves the statement and every numeric search holds;
- ``"checked"`` when every numeric search holds over the whole box of the statement's variables
  (no parameter frozen) but the symbolic route is inconclusive or absent;
- ``"conjectured"`` when the numeric searches hold only on sampled instances (some parameter
  frozen at a sampled value) and the symbolic route is inconclusive or absent;
- ``"refuted"`` when a numeric search fails (a violation, or a NaN or ±∞, at a stated point), or
  the symbolic route disproves it with a counterexample that the numeric violation confirms;
- ``"trivial"`` when the statement bounds a quantity by +∞ (`Claim.trivial` says why).

A symbolic disproof whose counterexample the numeric violation does not confirm is downgraded
to "inconclusive": neither route is trusted alone.

Rules enforced at build (`ClaimError`): no statement, hypothesis or step that simplifies to
True or False; no step whose two sides are the same expression; a +∞ bound only with a reason;
a route that names the expression it checked (`SymbolicOutcome.checked`) must name the statement
displayed, and a statement about matrices (non-commutative symbols or ``MatrixSymbol``) is proved
only by a route that checked that very statement.

SymPy's ``maximum``/``minimum``/``function_range`` never count as a symbolic route on their own
(they are wrong on some transcendental functions, sympy issue 30386).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Literal

import sympy as sp
from sympy.core.relational import Relational
from sympy.logic.boolalg import Boolean, BooleanAtom

from bregmalib.symbolic._errors import ClaimError
from bregmalib.symbolic._numeric import NumericCheck, NumericOutcome

Status = Literal["proved", "checked", "conjectured", "refuted", "trivial"]
Verdict = Literal["proved", "disproved", "inconclusive"]


#: formulas up to this many operations are simplified when looking for a constant True/False
SIMPLIFY_OPS = 300


def reject_decided(expr: sp.Basic, where: str) -> None:
    """Raise `ClaimError` when ``expr`` is, or simplifies to, True or False: a formula that
    says nothing (or is false outright) is never displayed as a statement or hypothesis."""
    if isinstance(expr, BooleanAtom) or expr in (True, False):
        raise ClaimError(f"{where} is the constant {expr}")
    if (
        isinstance(expr, (Boolean, Relational))
        and not is_matrix_statement(expr)
        and sp.count_ops(expr) <= SIMPLIFY_OPS
    ):
        simplified = sp.simplify(expr)
        if isinstance(simplified, BooleanAtom):
            raise ClaimError(f"{where} {sp.sstr(expr)} simplifies to {simplified}")


def is_matrix_statement(expr: sp.Basic) -> bool:
    """True when ``expr`` involves non-commutative symbols or matrix symbols."""
    return expr.has(sp.MatrixSymbol) or any(not s.is_commutative for s in expr.atoms(sp.Symbol))


@dataclasses.dataclass(frozen=True)
class Hypothesis:
    """One hypothesis of a claim: a sentence and, where it is a formula, its SymPy form."""

    text: str
    expr: sp.Basic | None = None

    def __post_init__(self) -> None:
        if self.expr is not None:
            reject_decided(self.expr, f"hypothesis {self.text!r}")


@dataclasses.dataclass(frozen=True)
class Step:
    """One derivation step: a SymPy relation (``Eq``, ``Le``, ...) and a one-line justification."""

    relation: sp.Basic
    justification: str

    def __post_init__(self) -> None:
        if not isinstance(self.relation, Relational):
            raise ClaimError(
                f"step {self.justification!r}: a relation (Eq, Le, ...) is expected, "
                f"got {sp.sstr(self.relation)}"
            )
        if self.relation.lhs == self.relation.rhs:
            raise ClaimError(
                f"step {self.justification!r}: both sides are {sp.sstr(self.relation.lhs)}"
            )


@dataclasses.dataclass(frozen=True)
class SymbolicOutcome:
    """The verdict of a symbolic route, the method used and, when disproved, a counterexample."""

    verdict: Verdict
    method: str
    detail: str = ""
    counterexample: Mapping[str, float] | None = None
    checked: sp.Basic | None = None

    def __post_init__(self) -> None:
        if self.verdict not in ("proved", "disproved", "inconclusive"):
            raise ValueError(
                f"verdict must be 'proved', 'disproved' or 'inconclusive', got {self.verdict!r}"
            )


def proved(method: str, detail: str = "", checked: sp.Basic | None = None) -> SymbolicOutcome:
    """A symbolic route that succeeded; ``checked`` is the expression it decided, when it
    decided the statement itself (required for a matrix statement)."""
    return SymbolicOutcome("proved", method, detail, checked=checked)


def inconclusive(method: str, detail: str = "") -> SymbolicOutcome:
    """A symbolic route that could decide nothing."""
    return SymbolicOutcome("inconclusive", method, detail)


def disproved(
    method: str, counterexample: Mapping[str, float], detail: str = ""
) -> SymbolicOutcome:
    """A symbolic route that found a counterexample."""
    return SymbolicOutcome("disproved", method, detail, dict(counterexample))


@dataclasses.dataclass(frozen=True)
class Result:
    """A checked claim. ``status`` travels with it everywhere (LaTeX included)."""

    name: str
    title: str
    activation: str | None
    hypotheses: tuple[Hypothesis, ...]
    statement: sp.Basic
    steps: tuple[Step, ...]
    symbolic: SymbolicOutcome
    numeric: tuple[NumericOutcome, ...]
    notes: tuple[str, ...] = ()
    values: Mapping[str, sp.Basic] = dataclasses.field(default_factory=dict)
    trivial: str = ""
    prose: str = ""
    exhibit: str = ""
    attachments: Mapping[str, bytes] = dataclasses.field(default_factory=dict)

    @property
    def status(self) -> Status:
        """proved / checked / conjectured / refuted / trivial (see the module docstring)."""
        if not all(n.holds for n in self.numeric) or self.symbolic.verdict == "disproved":
            return "refuted"
        if self.trivial:
            return "trivial"
        if self.symbolic.verdict == "proved":
            return "proved"
        return "conjectured" if any(n.fixed for n in self.numeric) else "checked"

    @property
    def counterexample(self) -> Mapping[str, float] | None:
        """The worst point of the first failed numeric check, else the symbolic counterexample."""
        failed = [n for n in self.numeric if not n.holds]
        if failed:
            return failed[0].argmax
        return self.symbolic.counterexample

    def to_latex(self) -> str:
        """This result as an amsthm block (see `bregmalib.symbolic.result_to_latex`)."""
        from bregmalib.symbolic._latex import result_to_latex

        return result_to_latex(self)


@dataclasses.dataclass(frozen=True)
class Claim:
    """A statement with its derivation and its two check routes, not yet checked.

    ``symbolic`` is a zero-argument callable returning a `SymbolicOutcome` (None: a numeric
    result only); ``numeric`` one or more `NumericCheck` (function, box and kind). ``values``
    carries named SymPy quantities derived on the way (for example ``{"L": 1/4}``).
    ``trivial`` is the reason why a statement bounding by +∞ is all that holds. ``prose`` is
    the LaTeX paragraph that introduces the result to a reader (set before it); ``exhibit`` a
    LaTeX table or figure set between that paragraph and the result (both ASCII), and
    ``attachments`` the files
    it includes (name → bytes, written next to the ``.tex``). The rules of the module docstring
    are checked on construction (`ClaimError`).
    """

    name: str
    title: str
    statement: sp.Basic
    hypotheses: tuple[Hypothesis, ...]
    steps: tuple[Step, ...]
    symbolic: Callable[[], SymbolicOutcome] | None
    numeric: NumericCheck | tuple[NumericCheck, ...]
    activation: str | None = None
    notes: tuple[str, ...] = ()
    values: Mapping[str, sp.Basic] = dataclasses.field(default_factory=dict)
    trivial: str = ""
    prose: str = ""
    exhibit: str = ""
    attachments: Mapping[str, bytes] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        reject_decided(self.statement, f"{self.name}: the statement")
        infinite = self.statement.has(sp.oo, -sp.oo, sp.zoo)
        if infinite and not self.trivial:
            raise ClaimError(f"{self.name}: a bound by +oo needs the reason (Claim.trivial)")
        if self.trivial and not infinite:
            raise ClaimError(f"{self.name}: marked trivial but the statement has no +oo")

    def check(self) -> Result:
        """Run both routes and return the `Result` with its status."""
        return check(self)


def check(claim: Claim) -> Result:
    """Run the symbolic route and the numeric search of ``claim``; return its `Result`."""
    if not isinstance(claim, Claim):
        raise TypeError(f"check expects a Claim, got {type(claim).__name__}")
    symbolic = _symbolic(claim)
    checks = claim.numeric if isinstance(claim.numeric, tuple) else (claim.numeric,)
    if not checks or not all(isinstance(c, NumericCheck) for c in checks):
        raise TypeError(f"{claim.name}: numeric must be a NumericCheck or a tuple of them")
    if symbolic.verdict == "disproved":
        symbolic = _confirm(symbolic, checks)
    numeric = tuple(c.run() for c in checks)
    return Result(
        name=claim.name,
        title=claim.title,
        activation=claim.activation,
        hypotheses=tuple(claim.hypotheses),
        statement=claim.statement,
        steps=tuple(claim.steps),
        symbolic=symbolic,
        numeric=numeric,
        notes=tuple(claim.notes),
        values=dict(claim.values),
        trivial=claim.trivial,
        prose=claim.prose,
        exhibit=claim.exhibit,
        attachments=dict(claim.attachments),
    )


def _symbolic(claim: Claim) -> SymbolicOutcome:
    """Run the symbolic route of ``claim`` and apply the statement rules to its outcome."""
    if claim.symbolic is None:
        return inconclusive("none", "a numeric result: no symbolic route is given")
    try:
        outcome = claim.symbolic()
    except ClaimError:
        raise
    except (NotImplementedError, ValueError, TypeError, RecursionError) as error:
        return inconclusive("symbolic route raised", f"{type(error).__name__}: {error}")
    if not isinstance(outcome, SymbolicOutcome):
        raise TypeError(
            f"{claim.name}: the symbolic route must return a SymbolicOutcome, "
            f"got {type(outcome).__name__}"
        )
    if outcome.checked is not None and outcome.checked != claim.statement:
        raise ClaimError(
            f"{claim.name}: the route checked {sp.sstr(outcome.checked)}, "
            f"not the statement displayed {sp.sstr(claim.statement)}"
        )
    if (
        outcome.verdict == "proved"
        and outcome.checked is None
        and is_matrix_statement(claim.statement)
    ):
        raise ClaimError(f"{claim.name}: a matrix statement is proved only by a route on it")
    return outcome


def _confirm(symbolic: SymbolicOutcome, checks: tuple[NumericCheck, ...]) -> SymbolicOutcome:
    """Keep a symbolic disproof only if a bound check's violation confirms its counterexample."""
    point = symbolic.counterexample or {}
    for c in checks:
        if c.kind == "bound" and set(point) <= set(c.names) and c.evaluate(point) > c.tolerance:
            return symbolic
    return inconclusive(
        symbolic.method,
        f"counterexample {dict(point)} not confirmed numerically; {symbolic.detail}",
    )
