"""The derivation engine: claims with hypotheses, SymPy statements and derivation steps, each
checked by a symbolic route and a numeric route (dense grid + JAX multi-start gradient ascent),
with the status proved / conjectured / refuted, and LaTeX export.

Per pair (Frecon, Gasso, Pontil, Salzo, "Bregman Neural Networks", ICML 2022): L_σ = sup σ′,
the strong-convexity modulus 1/L_σ of φ, the slope ratio R_σ(Δ) = sup σ′(u+δ)/σ′(u) over
|δ| ≤ Δ. The engine imports no subject module: the layer and network theorems live with their
subjects (`bregmalib.lipschitz`, `bregmalib.invert`) and `bregmalib derive` gathers them.

>>> from bregmalib import legendre, symbolic
>>> symbolic.slope_ratio(legendre.get("atan")).exact
True
"""

from bregmalib.symbolic._certify import (
    Candidate,
    candidates,
    equal,
    extremum,
    extremum_route,
    nonnegative_route,
    same_function,
    sign_nonnegative,
)
from bregmalib.symbolic._latex import result_to_latex
from bregmalib.symbolic._numeric import NumericCheck, NumericOutcome
from bregmalib.symbolic._pairs import (
    lipschitz_claim,
    pair_hypotheses,
    pair_results,
    strong_convexity_claim,
)
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
from bregmalib.symbolic._slope import DELTA, SlopeRatio, slope_ratio, slope_ratio_claim

__all__ = [
    "DELTA",
    "Candidate",
    "Claim",
    "Hypothesis",
    "NumericCheck",
    "NumericOutcome",
    "Result",
    "SlopeRatio",
    "Step",
    "SymbolicOutcome",
    "candidates",
    "check",
    "disproved",
    "equal",
    "extremum",
    "extremum_route",
    "inconclusive",
    "lipschitz_claim",
    "nonnegative_route",
    "pair_hypotheses",
    "pair_results",
    "proved",
    "result_to_latex",
    "same_function",
    "sign_nonnegative",
    "slope_ratio",
    "slope_ratio_claim",
    "strong_convexity_claim",
]
