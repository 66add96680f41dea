"""The generated closed forms of R_σ (bregmalib.lipschitz._slope_table) against a fresh SymPy
derivation, and bounds computed without bregmalib.symbolic."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

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


def test_bounds_of_catalogue_pairs_never_import_the_derivation_engine() -> None:
    script = textwrap.dedent(
        """
        import sys
        import numpy as np
        import bregmalib.legendre as L
        from bregmalib.lipschitz import layer_lipschitz_bound, make_box, upper_bounds
        from bregmalib.nn import network_from_arrays
        rng = np.random.default_rng(0)
        for name in ("sigmoid", "tanh", "atan"):
            net = network_from_arrays([rng.normal(size=(3, 3))] * 2, None, L.get(name), "bregman")
            assert all(b.value < np.inf for b in upper_bounds(net, make_box(net)).values())
            layer_lipschitz_bound(net.layers[0])
        assert "bregmalib.symbolic" not in sys.modules, "bregmalib.symbolic was imported"
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
