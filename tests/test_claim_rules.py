"""The rules of the claim engine are build errors: each test shows one rule rejecting a bad
claim (and, where it matters, the corrected claim accepted)."""

import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp

from bregmalib import legendre
from bregmalib.lipschitz._layer_theorems import JACOBIAN, jacobian_symbolic
from bregmalib.symbolic import (
    Claim,
    ClaimError,
    Hypothesis,
    NumericCheck,
    Step,
    inconclusive,
    matrix_identity_route,
    proved,
)
from bregmalib.symbolic._latex import result_to_latex

SIGMOID = legendre.get("sigmoid")
X = sp.Symbol("x", real=True)


def _slope_excess(z):
    return SIGMOID.derivative(z[0]) - 0.25


def _check(**changes) -> NumericCheck:
    fields = {"violation": _slope_excess, "names": ("u",), "lower": (-10.0,), "upper": (10.0,)}
    return NumericCheck(**{**fields, "starts": 2, "steps": 10, **changes})


def _claim(**changes) -> Claim:
    fields = {
        "name": "test/rule",
        "title": "sigmoid slope",
        "statement": sp.Le(sp.Symbol(r"\sigma'(u)"), sp.Rational(1, 4)),
        "hypotheses": (Hypothesis("σ = sigmoid"),),
        "steps": (Step(sp.Le(sp.Symbol("a"), sp.Symbol("b")), "a step"),),
        "symbolic": lambda: inconclusive("none"),
        "numeric": _check(),
    }
    return Claim(**{**fields, **changes})


def test_statement_or_hypothesis_that_simplifies_to_true_or_false_is_rejected():
    with pytest.raises(ClaimError, match="constant True"):
        _claim(statement=sp.true)
    with pytest.raises(ClaimError, match="simplifies to True"):
        _claim(statement=sp.Le(sp.sin(X) ** 2 + sp.cos(X) ** 2, 1))
    with pytest.raises(ClaimError, match="simplifies to False"):
        _claim(statement=sp.Gt(sp.cosh(X) ** 2 - sp.sinh(X) ** 2, 2))
    positive = sp.Symbol("beta", positive=True)
    with pytest.raises(ClaimError, match="hypothesis"):
        Hypothesis("parameter", sp.Gt(positive, 0, evaluate=False))
    assert Hypothesis("parameter", sp.Gt(sp.Symbol("beta", real=True), 0)).expr is not None


def test_step_whose_two_sides_are_identical_is_rejected():
    a = sp.Symbol("a")
    with pytest.raises(ClaimError, match="both sides"):
        Step(sp.Eq(a + 1, a + 1, evaluate=False), "X = X")
    with pytest.raises(ClaimError, match="relation"):
        Step(sp.true, "True is no step")


def test_infinite_bound_needs_a_reason_and_is_trivial():
    infinite = sp.Le(sp.Symbol("L"), sp.oo)
    with pytest.raises(ClaimError, match="reason"):
        _claim(statement=infinite)
    with pytest.raises(ClaimError, match="no \\+oo"):
        _claim(trivial="unbounded slope")
    result = _claim(statement=infinite, trivial="σ′ is unbounded on D").check()
    assert result.status == "trivial"
    assert "Why the bound is" in result_to_latex(result)


def test_statuses_checked_conjectured_proved():
    assert _claim().check().status == "checked"
    assert _claim(symbolic=None).check().status == "checked"
    frozen = _check(names=("u", "p"), lower=(-10.0, 1.0), upper=(10.0, 1.0))
    assert _claim(numeric=frozen).check().status == "conjectured"
    assert _claim(symbolic=lambda: proved("by hand")).check().status == "proved"


def test_nan_or_infinity_in_a_numeric_route_is_a_failure_with_its_point():
    def nan_near_three(z):
        return jnp.where(jnp.abs(z[0] - 3.0) < 0.01, jnp.nan, -1.0)

    outcome = _check(violation=nan_near_three).run()
    assert not outcome.holds and abs(outcome.nonfinite["u"] - 3.0) < 0.01
    assert outcome.max_violation == -1.0
    infinite = _check(violation=lambda z: jnp.where(z[0] > 9.99, jnp.inf, -1.0)).run()
    assert not infinite.holds and infinite.nonfinite["u"] > 9.99
    assert "NaN" in result_to_latex(_claim(numeric=_check(violation=nan_near_three)).check())


def test_numeric_route_samples_at_least_ten_thousand_points_then_ascends():
    with pytest.raises(ClaimError, match="10000"):
        _check(points=4000)
    with pytest.raises(ClaimError, match="starts"):
        _check(starts=0)
    with pytest.raises(ClaimError, match="at least one variable"):
        _check(names=("u",), lower=(1.0,), upper=(1.0,))
    two = _check(
        violation=lambda z: -((z[0] - 0.3) ** 2) - (z[1] + 0.2) ** 2,
        names=("a", "b"),
        lower=(-1.0, -1.0),
        upper=(1.0, 1.0),
        steps=200,
    ).run()
    assert two.sampling == "scrambled Sobol sample" and two.sample_points >= 10_000
    assert two.max_violation > -1e-8, "the ascent from the worst sample points reaches the max"
    assert np.allclose([two.argmax["a"], two.argmax["b"]], [0.3, -0.2], atol=1e-3)
    text = result_to_latex(_claim().check())
    assert "evenly spaced grid of 16384 points" in text and "largest value" in text


def test_repeated_bullet_is_rejected():
    check = _check()
    with pytest.raises(ClaimError, match="repeated"):
        result_to_latex(_claim(numeric=(check, check)).check())


def test_matrix_statement_keeps_its_order_and_is_proved_on_itself():
    a, b, c = sp.symbols("A B C", commutative=False)
    assert sp.latex(JACOBIAN).count(r"\operatorname{diag}\sigma'(z) \operatorname{diag}") == 1
    assert "V" in sp.latex(JACOBIAN.rhs) and sp.latex(JACOBIAN.rhs).index("^{-1} V") > 0
    outcome = jacobian_symbolic()
    assert outcome.verdict == "proved" and outcome.checked == JACOBIAN
    m1, m2 = sp.Matrix([[1, 2], [0, 1]]), sp.Matrix([[0, 1], [1, 0]])
    wrong = matrix_identity_route(sp.Eq(c, a * b), {a: m1, b: m2, c: m2 * m1}, "test")
    assert wrong.verdict == "inconclusive", "the route must not commute A B"
    right = matrix_identity_route(sp.Eq(c, a * b), {a: m1, b: m2, c: m1 * m2}, "test")
    assert right.verdict == "proved" and right.checked == sp.Eq(c, a * b)
    p, q = sp.symbols("P Q")
    with pytest.raises(ClaimError, match="non-commutative"):
        matrix_identity_route(sp.Eq(p, q), {p: m1, q: m1}, "test")
    with pytest.raises(ClaimError, match="matrix statement"):
        _claim(statement=sp.Eq(c, a * b), symbolic=lambda: proved("by hand")).check()
    with pytest.raises(ClaimError, match="not the statement displayed"):
        _claim(symbolic=lambda: proved("other", checked=sp.Eq(c, a * b))).check()


def test_prose_and_exhibit_are_set_before_the_result_and_must_be_ascii(tmp_path):
    from bregmalib.symbolic._export import write_if_changed

    claim = _claim(
        prose="The paragraph a reader meets first, with $\\sigma'$.",
        exhibit="\\begin{center}a table\\end{center}",
        attachments={"figure.pdf": b"%PDF-1.4 bytes"},
    )
    result = claim.check()
    latex = result_to_latex(result)
    assert latex.index("The paragraph") < latex.index("a table") < latex.index("\\begin{checked")
    figure = tmp_path / "figure.pdf"
    assert write_if_changed(figure, result.attachments["figure.pdf"])
    assert not write_if_changed(figure, b"%PDF-1.4 bytes"), "a second export writes nothing"
    with pytest.raises(ClaimError, match="non-ASCII"):
        result_to_latex(_claim(prose="σ in prose must be written $\\sigma$").check())


def test_a_round_off_maximum_is_printed_without_its_point():
    from bregmalib.symbolic._latex import _numeric
    from bregmalib.symbolic._numeric import NumericOutcome

    def outcome(value: float) -> NumericOutcome:
        return NumericOutcome(
            holds=True,
            kind="bound",
            max_violation=value,
            argmax={"a": 0.123},
            tolerance=1e-9,
            evaluations=10,
            sample_points=10,
            sampling="grid",
            starts=1,
            steps=1,
            box={"a": (0.0, 1.0)},
        )

    point = "at \\texttt{a} $= 1.230\\times 10^{-1}$"
    assert point not in _numeric(outcome(3e-16)) and point not in _numeric(outcome(0.0))
    assert point in _numeric(outcome(-0.5))
