"""Single-layer Jacobian, certified Lipschitz upper bound and gradient-ascent lower bound."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bregmalib import legendre
from bregmalib.lipschitz._layer import (
    affine_range,
    layer_jacobian,
    layer_jacobian_dual,
    layer_lipschitz_bound,
    layer_lipschitz_lower,
    layer_lipschitz_lower_many,
    layer_output,
)


def _layer(rng, n, scale, m=None):
    m = n if m is None else m
    return rng.normal(size=(m, n)) * scale / np.sqrt(n), rng.normal(size=m) * 0.3


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 6), st.integers(1, 5), st.integers(0, 10_000))
def test_affine_range_is_exact_on_vertices(n, m, seed):
    rng = np.random.default_rng(seed)
    W, b = rng.normal(size=(m, n)), rng.normal(size=m)
    lo = rng.uniform(-2, 0, size=n)
    hi = lo + rng.uniform(0, 2, size=n)
    low, high = affine_range(W, b, lo, hi)
    vertices = np.array(list(itertools.product(*zip(lo, hi, strict=True))))
    values = vertices @ W.T + b
    assert np.all(low <= values.min(axis=0)) and np.all(high >= values.max(axis=0))
    np.testing.assert_allclose(low, values.min(axis=0), atol=1e-12)
    np.testing.assert_allclose(high, values.max(axis=0), atol=1e-12)


def test_affine_range_with_unbounded_box():
    W = np.array([[1.0, 0.0], [0.0, 0.0]])
    low, high = affine_range(W, np.zeros(2), np.array([0.0, -np.inf]), np.array([1.0, np.inf]))
    np.testing.assert_allclose([low[0], high[0], low[1], high[1]], [0, 1, 0, 0], atol=1e-12)


@pytest.mark.parametrize("name", ["sigmoid", "atan", "softplus"])
def test_jacobian_formula_matches_autodiff(name):
    pair = legendre.get(name, beta=5.0) if name == "softplus" else legendre.get(name)
    rng = np.random.default_rng(1)
    W, b = _layer(rng, 4, 1.0)
    W2, b2 = _layer(rng, 4, 1.0, m=3)
    V = rng.uniform(size=(3, 4))
    V /= V.sum(axis=1, keepdims=True)
    x = pair.sigma(jnp.asarray(rng.uniform(-1.5, 1.5, size=4)))
    auto = jax.jacfwd(lambda x: layer_output(W, b, pair, x))(x)
    np.testing.assert_allclose(layer_jacobian(W, b, pair, x), auto, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(layer_jacobian_dual(W, b, pair, pair.inverse(x)), auto, rtol=1e-9)
    auto_v = jax.jacfwd(lambda x: layer_output(W2, b2, pair, x, V))(x)
    np.testing.assert_allclose(layer_jacobian(W2, b2, pair, x, V), auto_v, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(("name", "box"), [("tanh", None), ("asinh", (-2.0, 2.0))])
def test_upper_bound_dominates_lower_bound(name, box):
    pair = legendre.get(name)
    rng = np.random.default_rng(2)
    layers = [_layer(rng, n, s) for n, s in ((2, 0.3), (5, 1.0), (9, 3.0))]
    lowers = layer_lipschitz_lower_many(layers, pair, [box] * 3, starts=8, steps=60)
    for (W, b), lower in zip(layers, lowers, strict=True):
        bound = layer_lipschitz_bound(W, b, pair, box)
        assert lower.value <= bound.upper
        assert bound.upper == pytest.approx(bound.ratio_term + bound.weight_term)
        assert any("interval arithmetic" in a for a in bound.assumptions)
        # the lower bound is a real Jacobian norm at the reported (dual) point
        J = layer_jacobian_dual(W, b, pair, lower.u)
        assert float(jnp.linalg.norm(J, 2)) == pytest.approx(lower.value, rel=1e-6)


def test_bound_on_a_box_and_with_mixing():
    pair = legendre.get("asinh")
    rng = np.random.default_rng(3)
    W, b = _layer(rng, 3, 1.0, m=2)
    V = np.full((2, 3), 1 / 3)
    box = (-np.ones(3), np.ones(3))
    bound = layer_lipschitz_bound(W, b, pair, box, V)
    np.testing.assert_allclose(bound.delta, np.abs(W).sum(axis=1) + np.abs(b), rtol=1e-12)
    lower = layer_lipschitz_lower(W, b, pair, box, V, starts=4, steps=20)
    assert 0 < lower.value <= bound.upper
    assert np.all(np.abs(lower.x) <= 1 + 1e-12)
    with pytest.raises(ValueError, match="row-stochastic"):
        layer_lipschitz_bound(W, b, pair, box, V * 2)
    with pytest.raises(ValueError, match="V is required"):
        layer_lipschitz_bound(W, b, pair, box)
    with pytest.raises(ValueError, match="closure of I"):
        layer_lipschitz_bound(W, b, legendre.get("sigmoid"), box, V)


def test_unbounded_pair_needs_a_box_for_a_finite_bound():
    pair = legendre.get("asinh")
    W, b = np.eye(2) * 0.5, np.zeros(2)
    assert layer_lipschitz_bound(W, b, pair).upper == np.inf
    assert np.isfinite(layer_lipschitz_bound(W, b, pair, (-1.0, 1.0)).upper)
    # W = 0, b = 0: the layer is the identity, the bound is exactly 1
    assert layer_lipschitz_bound(np.zeros((2, 2)), b, pair).upper == pytest.approx(1.0)
