"""The certified Lipschitz bound of one Bregman layer, against its formula computed here, the
vertices of the box, and the network lower-bound engine on the layer as a depth-1 network."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _networks import random_layer, random_network
from hypothesis import given, settings
from hypothesis import strategies as st

from bregmalib import legendre
from bregmalib._certified import affine_interval
from bregmalib.lipschitz import best_lower, layer_lipschitz_bound, lower_bounds
from bregmalib.nn import Layer, as_network, make_dense, make_mlp
from bregmalib.nn import functional as F
from bregmalib.symbolic import slope_ratio


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 6), st.integers(1, 5), st.integers(0, 10_000))
def test_affine_interval_is_exact_on_vertices(n, m, seed):
    rng = np.random.default_rng(seed)
    W, b = rng.normal(size=(m, n)), rng.normal(size=m)
    lo = rng.uniform(-2, 0, size=n)
    hi = lo + rng.uniform(0, 2, size=n)
    low, high = affine_interval(W, b, lo, hi)
    vertices = np.array(list(itertools.product(*zip(lo, hi, strict=True))))
    values = vertices @ W.T + b
    assert np.all(low <= values.min(axis=0)) and np.all(high >= values.max(axis=0))
    np.testing.assert_allclose(low, values.min(axis=0), atol=1e-12)
    np.testing.assert_allclose(high, values.max(axis=0), atol=1e-12)


def test_affine_interval_with_unbounded_box():
    W = np.array([[1.0, 0.0], [0.0, 0.0]])
    low, high = affine_interval(W, np.zeros(2), np.array([0.0, -np.inf]), np.array([1.0, np.inf]))
    np.testing.assert_allclose([low[0], high[0], low[1], high[1]], [0, 1, 0, 0], atol=1e-12)


@pytest.mark.parametrize(
    ("name", "n_in", "n_out", "box"),
    [("tanh", 4, 4, None), ("atan", 5, 3, None), ("asinh", 3, 2, (-1.0, 0.5))],
)
def test_bound_is_the_formula_with_deltas_from_the_vertices(name, n_in, n_out, box):
    """max_i R_σ(Δ_i)‖V‖₂ + L_σ‖W‖₂, Δ_i = max over the vertices of |(Wx+b)_i|, here by
    enumeration and SVD; the certified value may exceed it by rounding only."""
    layer = random_layer(name, "bregman", n_in, n_out, seed=3)
    pair = layer.pair
    bound = layer_lipschitz_bound(layer, box)
    lo, hi = (pair.lower, pair.upper) if box is None else box
    W, b = np.asarray(layer.weight), np.asarray(layer.bias)
    vertices = np.array(list(itertools.product([lo, hi], repeat=n_in)))
    delta = np.abs(vertices @ W.T + b).max(axis=0)
    np.testing.assert_allclose(bound.delta, delta, rtol=1e-12)
    norm_v = np.linalg.norm(np.asarray(layer.skip_matrix()), 2)
    exact = float(
        np.max(slope_ratio(pair).numpy(delta))
    ) * norm_v + pair.lipschitz * np.linalg.norm(W, 2)
    assert exact <= bound.upper <= exact * (1 + 1e-12)
    assert any("interval arithmetic" in a for a in bound.assumptions)


@pytest.mark.parametrize(("name", "box"), [("tanh", None), ("asinh", (-2.0, 2.0))])
def test_upper_bound_dominates_the_lower_bound_of_the_depth_one_network(name, box):
    for n, scale in ((2, 0.3), (5, 1.0), (9, 3.0)):
        layer = random_layer(name, "bregman", n, n, seed=n, scale=scale)
        lowers = lower_bounds(layer, box, restarts=8, steps=60, key=jax.random.key(n))
        lower = best_lower(lowers)
        assert 0 < lower.value <= layer_lipschitz_bound(layer, box).upper
        jacobian = lowers["jacobian-ascent"]
        if box is not None:  # inside I: the value is the Jacobian norm at the reported point
            norm = float(jnp.linalg.norm(F.jacobian(layer, jnp.asarray(jacobian.point)), 2))
            assert norm == pytest.approx(jacobian.value, rel=1e-6)
            assert np.all(np.abs(jacobian.point) <= 2.0)


def test_lower_bound_with_mixing_stays_in_the_box_and_below_the_bound():
    layer = random_layer("asinh", "bregman", 3, 2, seed=5)
    box = (-1.0, 1.0)
    bound = layer_lipschitz_bound(layer, box)
    found = lower_bounds(layer, box, restarts=4, steps=20)
    assert all(0 < low.value <= bound.upper for low in found.values())
    assert all(np.all(np.abs(low.point) <= 1 + 1e-12) for low in found.values())


def test_every_form_of_a_single_layer_gives_one_bound():
    layer = random_layer("tanh", "bregman", 3, 3, seed=6)
    dense = make_dense(
        legendre.get("tanh"), 3, 3, "bregman", key=jax.random.key(0), dtype=jnp.float64
    )
    expected = layer_lipschitz_bound(layer).upper
    assert layer_lipschitz_bound(as_network(layer)).upper == expected
    assert layer_lipschitz_bound(dense).upper == layer_lipschitz_bound(dense.layer()).upper


@pytest.mark.parametrize(
    ("model", "error", "match"),
    [
        (random_network("tanh", "bregman", (3, 3, 3), head=None), TypeError, "depth 2"),
        (random_network("tanh", "bregman", (3, 3), head=2), TypeError, "linear head"),
        (make_mlp("tanh", (3, 3), 2, "bregman", key=jax.random.key(0)), TypeError, "linear head"),
        ((np.eye(2), np.zeros(2)), TypeError, "takes a bregmalib.nn.Layer"),
        (random_layer("tanh", "standard", 3, 3), ValueError, "Bregman layer"),
    ],
)
def test_what_is_not_a_bregman_layer_is_refused(model, error, match):
    with pytest.raises(error, match=match):
        layer_lipschitz_bound(model)


def test_box_outside_the_interval_is_refused():
    layer = random_layer("sigmoid", "bregman", 3, 3)
    with pytest.raises(ValueError, match="natural input domain"):
        layer_lipschitz_bound(layer, (-np.ones(3), np.ones(3)))


def test_unbounded_pair_needs_a_box_for_a_finite_bound():
    pair = legendre.get("asinh")
    half = Layer(jnp.eye(2) * 0.5, jnp.zeros(2), None, pair, "bregman")
    assert layer_lipschitz_bound(half).upper == np.inf
    assert np.isfinite(layer_lipschitz_bound(half, (-1.0, 1.0)).upper)
    # W = 0, b = 0: the layer is the identity, the bound is exactly 1
    zero = Layer(jnp.zeros((2, 2)), jnp.zeros(2), None, pair, "bregman")
    assert layer_lipschitz_bound(zero).upper == pytest.approx(1.0, rel=1e-14)
