"""The derivation engine: status logic, SymPy's wrong extrema not trusted, slope ratios,
LaTeX export stability."""

import math
import re
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp

from bregmalib import legendre
from bregmalib.symbolic import (
    DELTA,
    Claim,
    ClaimError,
    Hypothesis,
    NumericCheck,
    Step,
    disproved,
    equal,
    extremum_route,
    inconclusive,
    proved,
    slope_ratio,
)
from bregmalib.symbolic._certify import extremum, nonnegative_route, sign_nonnegative
from bregmalib.symbolic._export import catalogue_table, export
from bregmalib.symbolic._latex import TABLE_FROM, label, numeric_route, subscripts, text, verbatim
from bregmalib.symbolic._numeric import NumericOutcome
from bregmalib.symbolic._providers import engine_results

U = legendre.U
SIGMOID = legendre.get("sigmoid")


def _sigmoid_slope(z):
    return SIGMOID.derivative(z[0])


def _claim(bound: float, symbolic) -> Claim:
    def violation(z):
        return _sigmoid_slope(z) - bound

    return Claim(
        name="test/sigmoid_slope",
        title="σ′ ≤ bound",
        statement=sp.Le(SIGMOID.derivative_expr, sp.nsimplify(bound)),
        hypotheses=(Hypothesis("σ = sigmoid"),),
        steps=(Step(sp.Eq(sp.Symbol("a"), 1), "test step"),),
        symbolic=symbolic,
        numeric=NumericCheck(
            violation, ("u",), (-10.0,), (10.0,), tolerance=1e-12, starts=4, steps=30
        ),
    )


def test_false_claim_is_refuted_with_counterexample():
    result = _claim(0.2, lambda: proved("wrongly claimed")).check()
    assert result.status == "refuted"
    assert abs(result.counterexample["u"]) < 0.5
    assert result.numeric[0].max_violation == pytest.approx(0.05, abs=1e-6)
    assert "Counterexample" in result.to_latex()


def test_true_claim_proved_only_with_symbolic_route():
    outcome, where = extremum_route(SIGMOID.derivative_expr, U, sp.S.Reals, sp.Rational(1, 4))
    assert outcome.verdict == "proved" and where.point == 0
    assert _claim(0.25, lambda: outcome).check().status == "proved"
    assert _claim(0.25, lambda: inconclusive("none")).check().status == "checked"


def test_unconfirmed_symbolic_disproof_is_downgraded():
    result = _claim(0.25, lambda: disproved("bogus", {"u": 3.0})).check()
    assert result.symbolic.verdict == "inconclusive"
    assert result.status == "checked"
    confirmed = _claim(0.2, lambda: disproved("solveset", {"u": 0.0})).check()
    assert confirmed.symbolic.verdict == "disproved" and confirmed.status == "refuted"


@pytest.fixture(scope="module")
def guards():
    return engine_results()


def test_sympy_30386_minimum_is_not_accepted(guards):
    x = sp.Symbol("x", real=True)
    sympy_value = float(sp.minimum(sp.cos(x) * sp.cos(4 * x), x, sp.S.Reals))
    assert sympy_value > -0.9  # SymPy's answer is wrong: the truth is -1 at x = pi
    wrong, true = guards
    assert wrong.status == "refuted"
    assert (
        math.cos(wrong.counterexample["x"]) * math.cos(4 * wrong.counterexample["x"]) < sympy_value
    )
    assert abs(wrong.counterexample["x"] - math.pi) < 1e-3
    assert true.status == "proved"
    assert true.symbolic.method.startswith("witness")


def test_certifiers():
    d = sp.Symbol("d", positive=True)
    assert sign_nonnegative((d + sp.sqrt(d**2 + 4)) / 2 - 1) is True
    assert sign_nonnegative(sp.sqrt(2) - sp.Rational(3, 2)) is False
    assert equal(sp.exp(sp.log(d)), d) and not equal(sp.pi, sp.Rational(22, 7))
    top, outcome = extremum(-2 * U / (1 + U**2), U, sp.S.Reals, kind="sup")
    assert outcome.verdict == "proved" and top.value == 1 and top.point == -1
    assert nonnegative_route(U**2 - 2 * U + 1, U, sp.S.Reals).verdict == "proved"
    refuted = nonnegative_route(U**2 - 1, U, sp.S.Reals)
    assert refuted.verdict == "disproved" and abs(refuted.counterexample["u"]) < 1


@pytest.mark.parametrize(
    ("name", "claimed"),
    [
        ("sigmoid", sp.exp(DELTA)),
        ("tanh", sp.exp(2 * DELTA)),
        ("atan", ((DELTA + sp.sqrt(DELTA**2 + 4)) / 2) ** 2),
    ],
)
def test_slope_ratio_design_claims(name, claimed):
    ratio = slope_ratio(legendre.get(name))
    assert ratio.exact and ratio.status == "proved"
    assert equal(ratio.expr, claimed)
    pair = legendre.get(name)
    u = jnp.linspace(-40.0, 40.0, 400_001)
    for delta in (0.5, 2.0):
        brute = float(jnp.max(jnp.exp(pair.log_derivative(u + delta) - pair.log_derivative(u))))
        value = float(ratio(jnp.asarray(delta)))
        assert brute <= value * (1 + 1e-12)
        assert brute >= value * (1 - 1e-6)


def test_slope_ratio_evaluator_and_errors():
    ratio = slope_ratio(legendre.get("atan"))
    d = jnp.asarray([0.0, -1.0, 1.0], dtype=jnp.float32)
    out = ratio(d)
    assert out.dtype == jnp.float32 and float(out[0]) == 1.0 and out[1] == out[2]
    np.testing.assert_allclose(ratio.numpy([0.0, 1.0]), np.asarray(out)[[0, 2]], rtol=1e-6)
    with pytest.raises(TypeError, match="LegendrePair"):
        slope_ratio("atan")


def _outcome(description: str, steps: int = 20, largest: float = -0.5) -> NumericOutcome:
    return NumericOutcome(
        holds=largest <= 1e-9,
        kind="bound",
        max_violation=largest,
        argmax={"w1": 0.25},
        tolerance=1e-9,
        evaluations=100,
        sample_points=16384,
        sampling="scrambled Sobol sample",
        starts=4,
        steps=steps,
        box={"w1": (-1.0, 1.0), "w2": (-1.0, 1.0)},
        description=description,
    )


def test_many_searches_run_the_same_way_are_set_as_one_table():
    outcomes = tuple(_outcome(f"pair {k}") for k in range(TABLE_FROM))
    lines = numeric_route(outcomes, "test")
    assert lines[1].startswith(r"\begin{longtable}") and r"\end{longtable}" in lines[-2:]
    assert sum(line.startswith("pair ") for line in lines) == TABLE_FROM
    assert lines[0].count("16384 points") == 1
    assert r"\texttt{w1}, \texttt{w2} $\in [-1.000, 1.000]$" in lines[3]
    assert "violation" in " ".join(numeric_route((*outcomes[1:], _outcome("x", largest=1)), "t"))
    fewer = numeric_route(outcomes[1:], "test")
    assert fewer[0] == r"\begin{itemize}" and len(fewer) == TABLE_FROM + 1
    mixed = numeric_route((*outcomes[1:], _outcome("other", steps=30)), "test")
    assert mixed[0] == r"\begin{itemize}"
    with pytest.raises(ClaimError, match="repeated item"):
        numeric_route((*outcomes[1:], outcomes[1]), "test")


def test_latex_text_rules():
    assert text("σ′ ≤ L_σ, δ > 0 and $x_1$") == (
        r"\ensuremath{\sigma}\ensuremath{'} \ensuremath{\le} $L_{\ensuremath{\sigma}}$, "
        r"\ensuremath{\delta} \ensuremath{>} 0 and $x_1$"
    )
    with pytest.raises(ValueError, match="no LaTeX mapping"):
        text("Ω")
    assert verbatim("a_b**2") == r"\texttt{a\_b**2}"
    assert verbatim("σ′(u)") == r"\texttt{\ensuremath{\sigma}\ensuremath{'}(u)}"
    with pytest.raises(ValueError, match="no LaTeX mapping"):
        verbatim("Ω")


def test_prose_subscripts_are_set_as_mathematics_and_names_are_not():
    assert (
        subscripts("J_autodiff − J_formula") == r"$J_{\mathrm{autodiff}}$ − $J_{\mathrm{formula}}$"
    )
    assert subscripts("|(Wx+b)_i| ≤ Δ_i, w_k h_k") == "|(Wx+b$)_{i}$| ≤ $Δ_{i}$, $w_{k}$ $h_{k}$"
    assert subscripts("max_i and u_{k-1}") == r"$\max_{i}$ and $u_{k-1}$"
    assert subscripts("∂_x z") == "$∂_{x}$ z"
    unchanged = "scaled_tanh and bregmalib.lipschitz.layer_lipschitz_bound"
    assert subscripts(unchanged) == unchanged
    assert "\\_" not in text("a_1 ≤ sup_B |(Wx+b)_i|, w_k")
    assert text("the pair scaled_tanh") == r"the pair scaled\_tanh"


def test_latex_export_is_stable(tmp_path, guards):
    results = [_claim(0.25, lambda: proved("route")).check(), *guards]
    again = [_claim(0.25, lambda: proved("route")).check(), *guards]
    assert [r.to_latex() for r in results] == [r.to_latex() for r in again]
    written = export(results, tmp_path)
    assert {p.name for p in written} >= {"main.tex", "catalogue.tex", "summary.tex"}
    before = {p.name: p.read_bytes() for p in tmp_path.glob("*.tex")}
    assert export(again, tmp_path) == []
    assert {p.name: p.read_bytes() for p in tmp_path.glob("*.tex")} == before
    main = (tmp_path / "main.tex").read_text()
    assert r"\input{test-sigmoid-slope}" in main and r"\input{catalogue}" in main
    assert "Status: refuted" in (tmp_path / "engine-sympy-minimum-cos-cos4.tex").read_text()


def test_catalogue_table_lists_every_pair():
    table = catalogue_table()
    for name in legendre.names():
        assert verbatim(name) in table
    assert table.count(r"L_\sigma =") == len(legendre.names())


def test_derivations_give_every_pair_a_status():
    root = Path(__file__).resolve().parents[1] / "derivations"
    topics = ("lipschitz", "strong-convexity", "slope-ratio")
    files = [f"{label(name)}-{topic}" for name in legendre.names() for topic in topics]
    for stem in (*files, "layer-jacobian", "layer-bound"):
        tex = (root / f"{stem}.tex").read_text(encoding="utf-8")
        statuses = re.findall(r"Status: (proved|checked|conjectured|refuted|trivial)\.", tex)
        assert len(statuses) == 2 and len(set(statuses)) == 1, stem
    for stem in ("layer-jacobian", "layer-bound"):
        tex = (root / f"{stem}.tex").read_text(encoding="utf-8")
        for name in legendre.names():
            assert f"\n{text(name)}, scale" in tex, (stem, name)
    main = (root / "main.tex").read_text(encoding="utf-8")
    assert main.count(r"\input{") == len(list(root.glob("*.tex"))) - 1
