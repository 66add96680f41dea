"""The network theorems of bregmalib.lipschitz._theorems, for any depth: the run Jacobian by
induction on non-commutative symbols, the telescoping bound against autodiff on random networks
with non-square layers and row-stochastic V, and "telescoping ≤ product of layer bounds"."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bregmalib.lipschitz import _theorems as T
from bregmalib.lipschitz._domain import make_box
from bregmalib.lipschitz._upper import telescoping
from bregmalib.nn import functional as F


def test_run_jacobian_is_proved_on_its_statement_by_induction():
    outcome = T.run_jacobian_route()
    assert outcome.verdict == "proved" and outcome.checked == T.run_statement(T.M)
    wrong_order = T._layer(T.M + 1) * T.ENTRY * T._d(T.M) * T._pi(T.M)
    assert not T._zero(wrong_order - T.run_statement(T.M + 1).rhs), "products must keep order"


@pytest.mark.parametrize("index", range(len(T.NETWORKS)))
def test_run_formula_matches_autodiff_and_bound_holds(index):
    net = T.test_network(index)
    lo, hi = T._input_box(index)
    rng = np.random.default_rng(index)
    points = rng.uniform(lo, hi, size=(64, len(lo)))
    with jax.enable_x64(True):
        errors = [float(T._run_error(index)(jnp.asarray(t))) for t in points]
        primal = np.asarray(net.pair.sigma(jnp.asarray([lo[0], hi[0]])))
        bound = telescoping(net, make_box(net, (primal[0], primal[1]))).value
        norms = [float(jnp.linalg.norm(F.network_jacobian(net, jnp.asarray(t)), 2)) for t in points]
    assert max(errors) < 1e-12
    assert 0 < max(norms) <= bound


def test_telescoping_below_product_induction_and_numeric_model():
    assert T.induction_route().verdict == "proved"
    n = T.SEARCH_DEPTH
    rng = np.random.default_rng(0)
    with jax.enable_x64(True):
        for _ in range(200):
            z = np.concatenate(
                [rng.uniform(1, 8, n), rng.uniform(0, 4, n), rng.uniform(0, 3, 1), [0.7]]
            )
            assert float(T._telescoping_excess(jnp.asarray(z))) <= 1e-12
        equal = np.concatenate([np.ones(n), rng.uniform(0, 4, n), [1.0, 0.5]])
        assert abs(float(T._telescoping_excess(jnp.asarray(equal)))) < 1e-12, (
            "with r = 1 and v = 1 both bounds are the product of (1 + L a_i)"
        )


def test_the_depth_figure_cuts_one_fixed_network_with_a_row_stochastic_first_mixing():
    deep, shallow = T.depth_network(max(T.DEPTHS)), T.depth_network(2)
    assert deep.depth == max(T.DEPTHS) and shallow.depth == 2
    assert deep.widths[:2] == (T.DEPTH_NETWORK[1], 3)
    mixing = np.asarray(deep.mixings[0])
    assert np.allclose(mixing.sum(axis=1), 1.0) and np.all(mixing > 0)
    assert all(m is None for m in deep.mixings[1:])
    for a, b in zip(shallow.weights, deep.weights, strict=False):
        assert np.array_equal(np.asarray(a), np.asarray(b))
