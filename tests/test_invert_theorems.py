"""The invertibility theorems of bregmalib.invert._theorems: statuses, counterexamples, LaTeX."""

import jax
import jax.numpy as jnp
import pytest

from bregmalib import legendre
from bregmalib.invert import _theorems

CLAIMS = {claim.name: claim for claim in _theorems.claims()}


def test_every_claim_is_named_once_and_the_layer_theorem_once_for_every_pair() -> None:
    names = [claim.name for claim in _theorems.claims()]
    assert len(names) == len(set(names))
    assert not [n for n in names if n.endswith("/invertibility_vertex")]
    assert [n for n in names if n.endswith("/invertibility_monotone")] == [
        "sin/invertibility_monotone"
    ]
    table = CLAIMS["invertibility/layer_diffeomorphism"].exhibit
    for pair in _theorems.legendre_pairs():
        assert _theorems.verbatim(pair.name) in table
    assert table.count("of $I^n$ onto $I^n$") == len(_theorems.legendre_pairs())


def test_layer_theorem_route_covers_bounded_linear_and_sublinear_pairs() -> None:
    pairs = tuple(legendre.get(n) for n in ("tanh", "softplus", "bent_identity", "asinh"))
    outcome = _theorems._layer_route(pairs)
    assert outcome.verdict == "proved", outcome.detail
    assert "for the 4 pairs" in outcome.detail


@pytest.mark.parametrize(
    "name",
    [
        "invertibility/strict_examples",
        "invertibility/vertex_reduction",
    ],
)
def test_proved(name: str) -> None:
    result = CLAIMS[name].check()
    assert result.status == "proved", result.symbolic.detail
    assert "proved" in result.to_latex()


def test_sin_on_the_real_line_is_refuted_with_a_counterexample() -> None:
    result = CLAIMS["sin/official_usage_not_injective"].check()
    assert result.status == "refuted"
    assert result.symbolic.verdict == "disproved"
    assert result.symbolic.counterexample["x"] == pytest.approx(0.99)
    assert result.counterexample is not None


def test_negative_vertex_gives_two_preimages() -> None:
    result = CLAIMS["tanh/vertex_condition_necessary"].check()
    assert result.status == "refuted"
    point = result.symbolic.counterexample
    assert abs(point["v1"]) > 1.0
    assert "refuted" in result.to_latex()


def test_monotone_quotient_is_finite_where_the_points_coincide() -> None:
    index = float(_theorems.CHECKED_PAIRS.index("softplus"))
    with jax.enable_x64(True):
        same = jnp.asarray([index, 0.5, 0.1, -0.2, 0.3, 0.4, -3.0, -2.0, -3.5, -2.5])
        assert float(_theorems._monotone_violation(same)) == -1.0, "σ(u) = σ(v) underflows: x = y"
        apart = same.at[6:].set(jnp.asarray([0.5, -0.5, 1.0, 0.25]))
        assert jnp.isfinite(_theorems._monotone_violation(apart))


def test_vertex_note_does_not_claim_det_tends_to_one_for_every_pair() -> None:
    note = " ".join(CLAIMS["tanh/vertex_condition_necessary"].notes)
    assert "softplus" in note and "bent identity" in note
