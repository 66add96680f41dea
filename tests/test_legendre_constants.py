"""The generated numbers of the catalogue pairs (bregmalib.legendre._constant_table) against a
fresh SymPy derivation: the file is what `render_constant_table` writes, and each pair's
constants are its symbolic I, L_σ and D at its parameter values."""

from pathlib import Path

import pytest
import sympy as sp

from bregmalib import legendre
from bregmalib.legendre import _constant_table
from bregmalib.legendre._derive import render_constant_table

REGENERATE = "stale table: regenerate with python -m bregmalib.legendre._derive"


def test_the_committed_table_is_a_fresh_rendering() -> None:
    assert Path(_constant_table.__file__).read_text() == render_constant_table(), REGENERATE


@pytest.mark.parametrize(
    ("name", "params"),
    [
        *((name, {}) for name in legendre.names()),
        ("softplus", {"beta": 3.0}),
        ("scaled_tanh", {"a": 2.0, "b": 0.25}),
    ],
)
def test_constants_are_the_symbolic_ones_at_the_parameter_values(name: str, params: dict) -> None:
    pair = legendre.get(name, **params)
    ends = (pair.interval.inf, pair.interval.sup, pair.lipschitz_expr, pair.lipschitz_at)
    ends += (pair.dual_domain.inf, pair.dual_domain.sup)
    assert ends == pair.symbolic.numbers()
    numbers = (pair.lower, pair.upper, pair.lipschitz, pair.lipschitz_point)
    numbers += (pair.dual_lower, pair.dual_upper)
    for symbolic, number in zip(ends, numbers, strict=True):
        assert number == pytest.approx(float(pair.substitute(sp.sympify(symbolic))), rel=1e-15)
