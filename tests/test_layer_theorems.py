"""The layer theorems are stated once for every pair: their numeric routes cover each catalogue
pair, the layer bound's symbolic route needs every pair's lemmas, and its table lists them."""

from types import SimpleNamespace

import sympy as sp

from bregmalib import legendre
from bregmalib.lipschitz import _layer_theorems as layer
from bregmalib.symbolic import DELTA
from bregmalib.symbolic._latex import label, verbatim

#: the slope ratio given to every pair but sin in the fake lemmas
RATIO = sp.exp(2 * DELTA)


def _lemmas(ratio: sp.Expr = RATIO, sin_ratio: sp.Expr = sp.oo) -> dict:
    lemmas = {"layer/jacobian": SimpleNamespace(name="layer/jacobian", status="proved")}
    for name in legendre.names():
        unbounded = name == "sin" and sin_ratio is sp.oo
        lemmas[f"{name}/lipschitz"] = SimpleNamespace(
            name=f"{name}/lipschitz", status="proved", values={"L": sp.Rational(1, 4)}
        )
        lemmas[f"{name}/slope_ratio"] = SimpleNamespace(
            name=f"{name}/slope_ratio",
            status="trivial" if unbounded else "proved",
            values={"R": sin_ratio if name == "sin" else ratio, "exact": sp.true},
        )
    return lemmas


def test_each_pair_is_checked_numerically_by_the_general_jacobian_theorem():
    claim = layer.jacobian_claim()
    assert claim.activation is None and claim.statement == layer.JACOBIAN
    descriptions = [check.description for check in claim.numeric]
    for name in legendre.names():
        mine = [d for d in descriptions if d.startswith(f"{name}, scale ")]
        assert len(mine) == len(layer.SCALES), name
    assert len(descriptions) == len(layer.SCALES) * len(legendre.names())


def test_the_layer_bound_route_needs_every_pair_lemma():
    outcome = layer._lemma_route(_lemmas())
    assert outcome.verdict == "proved" and "for sin" in outcome.detail
    missing = _lemmas()
    missing["tanh/slope_ratio"].status = "conjectured"
    outcome = layer._lemma_route(missing)
    assert outcome.verdict == "inconclusive" and "tanh/slope_ratio" in outcome.detail
    no_jacobian = _lemmas()
    no_jacobian["layer/jacobian"].status = "refuted"
    assert layer._lemma_route(no_jacobian).verdict == "inconclusive"
    finite = layer._lemma_route(_lemmas(sin_ratio=sp.exp(DELTA)))
    assert finite.verdict == "proved" and "for sin" not in finite.detail


def test_the_constants_table_has_one_row_per_pair_with_its_lemmas():
    table = layer.constants_table(_lemmas())
    for name in legendre.names():
        row = next(line for line in table.splitlines() if line.startswith(verbatim(name)))
        assert f"\\ref{{res:{label(name)}-lipschitz}}" in row
        assert f"\\ref{{res:{label(name)}-slope-ratio}}" in row
    assert table.count("e^{2 \\Delta}") == len(legendre.names()) - 1
    assert "\\infty" in table and "\\label{tab:layer-constants}" in table


def test_the_slope_ratio_figure_is_regenerated_byte_identically():
    lemmas = _lemmas()
    first = layer.slope_ratio_figure(lemmas)
    assert first.startswith(b"%PDF") and first == layer.slope_ratio_figure(lemmas)
    assert b"CreationDate" not in first
