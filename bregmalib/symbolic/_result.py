"""Claims, results and their status.

A `Claim` is what an author states: hypotheses, a SymPy statement, derivation steps (each a
relation with a one-line justification) and two independent routes, a symbolic one and a numeric
one. `Claim.check()` runs both and returns a `Result` whose status is

- ``"proved"`` when the symbolic route proves the statement and every numeric check holds;
- ``"refuted"`` when a numeric check fails (its worst point is the counterexample), or the
  symbolic route disproves it with a counterexample that the numeric violation confirms;
- ``"conjectured"`` when the numeric checks hold but the symbolic route is inconclusive.

A symbolic disproof whose counterexample the numeric violation does not confirm is downgraded
to "inconclusive": neither route is trusted alone.

SymPy's ``maximum``/``minimum``/``function_range`` never count as a symbolic route on their own
(they are wrong on some transcendental functions, sympy issue 30386).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Literal

import sympy as sp

from bregmalib.symbolic._numeric import NumericCheck, NumericOutcome

Status = Literal["proved", "conjectured", "refuted"]
Verdict = Literal["proved", "disproved", "inconclusive"]


@dataclasses.dataclass(frozen=True)
class Hypothesis:
    """One hypothesis of a claim: a sentence and, where it is a formula, its SymPy form."""

    text: str
    expr: sp.Basic | None = None


@dataclasses.dataclass(frozen=True)
class Step:
    """One derivation step: a SymPy relation (``Eq``, ``Le``, ...) and a one-line justification."""

    relation: sp.Basic
    justification: str


@dataclasses.dataclass(frozen=True)
class SymbolicOutcome:
    """The verdict of a symbolic route, the method used and, when disproved, a counterexample."""

    verdict: Verdict
    method: str
    detail: str = ""
    counterexample: Mapping[str, float] | None = None

    def __post_init__(self) -> None:
        if self.verdict not in ("proved", "disproved", "inconclusive"):
            raise ValueError(
                f"verdict must be 'proved', 'disproved' or 'inconclusive', got {self.verdict!r}"
            )


def proved(method: str, detail: str = "") -> SymbolicOutcome:
    """A symbolic route that succeeded."""
    return SymbolicOutcome("proved", method, detail)


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

    @property
    def status(self) -> Status:
        """proved / conjectured / refuted, from the two routes (see the module docstring)."""
        if not all(n.holds for n in self.numeric) or self.symbolic.verdict == "disproved":
            return "refuted"
        return "proved" if self.symbolic.verdict == "proved" else "conjectured"

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

    ``symbolic`` is a zero-argument callable returning a `SymbolicOutcome`; ``numeric`` one or
    more `NumericCheck` (function, box and kind). ``values`` carries named SymPy quantities
    derived on the way (for example ``{"L": 1/4, "attained at": 0}``).
    """

    name: str
    title: str
    statement: sp.Basic
    hypotheses: tuple[Hypothesis, ...]
    steps: tuple[Step, ...]
    symbolic: Callable[[], SymbolicOutcome]
    numeric: NumericCheck | tuple[NumericCheck, ...]
    activation: str | None = None
    notes: tuple[str, ...] = ()
    values: Mapping[str, sp.Basic] = dataclasses.field(default_factory=dict)

    def check(self) -> Result:
        """Run both routes and return the `Result` with its status."""
        return check(self)


def check(claim: Claim) -> Result:
    """Run the symbolic route and the numeric search of ``claim``; return its `Result`."""
    if not isinstance(claim, Claim):
        raise TypeError(f"check expects a Claim, got {type(claim).__name__}")
    try:
        symbolic = claim.symbolic()
    except (NotImplementedError, ValueError, TypeError, RecursionError) as error:
        symbolic = inconclusive("symbolic route raised", f"{type(error).__name__}: {error}")
    if not isinstance(symbolic, SymbolicOutcome):
        raise TypeError(
            f"{claim.name}: the symbolic route must return a SymbolicOutcome, "
            f"got {type(symbolic).__name__}"
        )
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
    )


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
