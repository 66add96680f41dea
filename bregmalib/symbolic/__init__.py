"""The derivation engine: claims with hypotheses, SymPy statements and derivation steps, each
checked by a symbolic route and a numeric route (dense grid + JAX multi-start gradient ascent),
with the status proved / checked / conjectured / refuted / trivial, and LaTeX export; the rules
on claims (no statement that simplifies to True or False, no step X = X, matrix statements on
non-commutative symbols proved on the very statement displayed) are build errors (`ClaimError`).

Per pair (Frecon, Gasso, Pontil, Salzo, "Bregman Neural Networks", ICML 2022): L_σ = sup σ′,
the strong-convexity modulus 1/L_σ of φ, the slope ratio R_σ(Δ) = sup σ′(u+δ)/σ′(u) over
|δ| ≤ Δ. The engine imports no subject module: the layer and network theorems live with their
subjects (`bregmalib.lipschitz`, `bregmalib.invert`) and `bregmalib derive` gathers them.

>>> from bregmalib import legendre, symbolic
>>> symbolic.slope_ratio(legendre.get("atan")).exact
True
"""

from bregmalib.symbolic._certify import equal, extremum_route, matrix_identity_route
from bregmalib.symbolic._errors import ClaimError
from bregmalib.symbolic._numeric import NumericCheck
from bregmalib.symbolic._pairs import pair_hypotheses
from bregmalib.symbolic._result import (
    Claim,
    Hypothesis,
    Result,
    Step,
    SymbolicOutcome,
    check,
    disproved,
    inconclusive,
    proved,
)
from bregmalib.symbolic._slope import DELTA, SlopeRatio, slope_ratio

__all__ = [
    "DELTA",
    "Claim",
    "ClaimError",
    "Hypothesis",
    "NumericCheck",
    "Result",
    "SlopeRatio",
    "Step",
    "SymbolicOutcome",
    "check",
    "disproved",
    "equal",
    "extremum_route",
    "inconclusive",
    "matrix_identity_route",
    "pair_hypotheses",
    "proved",
    "slope_ratio",
]
