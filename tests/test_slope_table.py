"""The generated closed forms of R_σ (bregmalib.lipschitz._slope_table) against a fresh SymPy
derivation, and bounds computed without bregmalib.symbolic."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import sympy as sp

from bregmalib import legendre
from bregmalib.lipschitz._slope import slope_ratio_bound, table_key
from bregmalib.lipschitz._slope_table import TABLE
from bregmalib.symbolic import slope_ratio

DELTAS = np.array([1e-3, 0.25, 1.0, 2.0, 4.0, 10.0, 30.0])
REGENERATE = "stale table: regenerate with python -m bregmalib.lipschitz._slope"


@pytest.mark.parametrize("name", legendre.names())
def test_table_entry_is_the_derived_slope_ratio(name: str) -> None:
    pair = legendre.get(name)
    derived = slope_ratio(pair)
    entry = TABLE.get(table_key(pair))
    if derived.status == "refuted":
        assert entry is None, REGENERATE
        return
    assert entry is not None, REGENERATE
    form, exact, status = entry
    assert (exact, status) == (derived.exact, derived.status), REGENERATE
    with np.errstate(over="ignore"):
        np.testing.assert_allclose(form(DELTAS), derived.numpy(DELTAS), rtol=1e-14)
    bound = slope_ratio_bound(pair)
    assert bound.source == "generated table"
    assert np.all(bound(DELTAS) >= derived.numpy(DELTAS)) and bound(0.0) == 1.0


def test_a_pair_outside_the_table_is_derived_at_first_use() -> None:
    pair = legendre.get("softplus", beta=3.0)
    assert table_key(pair) not in TABLE
    bound = slope_ratio_bound(pair)
    assert bound.source == "derived at first use"
    np.testing.assert_allclose(bound(DELTAS[:4]), np.exp(3.0 * DELTAS[:4]), rtol=1e-12)
    assert bound(np.inf) == np.inf


def test_a_user_pair_cannot_take_a_catalogue_name_and_its_table_entry() -> None:
    with pytest.raises(ValueError, match="catalogue pair is called 'tanh'"):
        legendre.from_sigma("Tanh", sp.atan(legendre.U))
    pair = legendre.from_sigma("my_atan", sp.atan(legendre.U))
    assert table_key(pair) not in TABLE
    assert slope_ratio_bound(pair).source == "derived at first use"


def test_bounds_of_catalogue_pairs_never_import_sympy() -> None:
    """Importing the packages, building catalogue pairs and computing global, layer, local and
    lower bounds and an inversion run without SymPy (no derivation at bound time)."""
    script = textwrap.dedent(
        """
        import sys
        import numpy as np
        import bregmalib.legendre as L
        import bregmalib.flows, bregmalib.invert, bregmalib.nn, bregmalib.robust
        from bregmalib.invert import certify_invertibility
        from bregmalib.lipschitz import (
            layer_lipschitz_bound, local_lipschitz, lower_bounds, make_box, upper_bounds,
        )
        from bregmalib.nn import network_from_arrays
        rng = np.random.default_rng(0)
        for name in ("sigmoid", "tanh", "atan", "softplus", "scaled_tanh"):
            net = network_from_arrays([rng.normal(size=(3, 3))] * 2, None, L.get(name), "bregman")
            assert all(b.value > 0 for b in upper_bounds(net, make_box(net)).values())
            layer_lipschitz_bound(net.layers[0])
        x = np.full((2, 3), 0.1)
        assert np.all(np.isfinite(local_lipschitz(net, x, 0.05).upper))
        lower_bounds(net, make_box(net, (-0.5, 0.5)), restarts=2, steps=5)
        certify_invertibility(net.layers[0])
        assert "sympy" not in sys.modules, "SymPy was imported"
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
