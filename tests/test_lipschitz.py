"""bregmalib.lipschitz: Jacobian norms, intervals and the exactness properties of the upper
bounds."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _networks import random_network

import bregmalib.legendre as L
from bregmalib.lipschitz import layer_lipschitz_bound, make_box, upper_bounds
from bregmalib.lipschitz._domain import propagate_intervals, slope_range
from bregmalib.lipschitz._lower import jacobian_norms
from bregmalib.lipschitz._upper import (
    Factor,
    dual_theta,
    eclipse_fast,
    layer_product,
    norm_product,
    telescoping,
    theta,
    theta_bound,
    vertex_bound,
)
from bregmalib.nn import as_network, network_from_arrays
from bregmalib.nn.functional import forward_trace


def test_power_iteration_matches_the_svd(monkeypatch: pytest.MonkeyPatch) -> None:
    import bregmalib.lipschitz._lower as lower

    net = random_network("atan", "bregman", (5, 7, 7), seed=1, head=4)
    points = jax.random.normal(jax.random.key(2), (3, 5))
    exact = jacobian_norms(net, points)
    monkeypatch.setattr(lower, "DENSE_WIDTH", 2)
    power = jacobian_norms(net, points, iterations=200)
    np.testing.assert_allclose(power, exact, rtol=1e-6)
    assert np.all(np.asarray(power) <= np.asarray(exact) * (1 + 1e-12))


def test_slope_range_brackets_the_derivative_on_a_grid() -> None:
    for name in L.names():
        pair = L.get(name)
        lo, hi = pair.dual_lower, pair.dual_upper
        grid = np.linspace(max(lo, -6), min(hi, 6), 2001)
        bottom, top = slope_range(
            pair, np.array([grid[0], -1.0, 0.5]), np.array([grid[-1], 2.0, 0.7])
        )
        for k, (a, b) in enumerate([(grid[0], grid[-1]), (-1.0, 2.0), (0.5, 0.7)]):
            d = np.asarray(pair.derivative(jnp.linspace(a, b, 2001)))
            assert bottom[k] <= d.min() + 1e-12 and d.max() <= top[k] + 1e-12, name


def test_intervals_contain_sampled_preactivations() -> None:
    rng = np.random.default_rng(3)
    for version in ("bregman", "standard", "euclidean"):
        net = random_network("tanh", version, (4, 5, 3), seed=3)
        box = make_box(net, (-0.6, 0.4))
        layers = propagate_intervals(net, box)
        x = rng.uniform(-0.6, 0.4, size=(200, 4))
        t = jnp.asarray(x) if version == "standard" else net.pair.inverse(jnp.asarray(x))
        trace = jax.vmap(lambda s, net=net: [u for _, u in forward_trace(net, s)])(t)
        for lay, u in zip(layers, trace, strict=True):
            assert np.all(lay.pre[0] <= np.asarray(u)) and np.all(np.asarray(u) <= lay.pre[1])


def test_box_outside_the_interval_is_rejected() -> None:
    net = random_network("sigmoid", "bregman", (3, 3), seed=4)
    with pytest.raises(ValueError, match="natural input domain"):
        make_box(net, (-0.5, 0.5))
    with pytest.raises(ValueError, match="lower <= upper"):
        make_box(net, (0.6, 0.5))
    with pytest.raises(ValueError, match="unknown methods"):
        upper_bounds(net, make_box(net), methods=["theta"])


def test_theta_recursion_without_spread_is_the_norm_of_the_product() -> None:
    rng = np.random.default_rng(5)
    cs = [rng.normal(size=(4, 4)) for _ in range(3)]
    factors = [Factor(c, np.zeros((4, 4))) for c in cs]
    left, right = rng.normal(size=(2, 4)), rng.normal(size=(4, 3))
    expected = np.linalg.norm(left @ cs[2] @ cs[1] @ cs[0] @ right, 2)
    assert theta_bound(left, factors, right) == pytest.approx(expected, rel=1e-12)


def _brute_force_vertex(net, box) -> float:
    layers = propagate_intervals(net, box)
    weights = [np.asarray(w) for w in net.effective_weights()]
    best = 0.0
    choices = [list(zip(lay.slope[0], lay.slope[1], strict=True)) for lay in layers]
    flat = [c for layer in choices for c in layer]
    for bits in itertools.product([0, 1], repeat=len(flat)):
        slopes = np.array([c[b] for c, b in zip(flat, bits, strict=True)])
        product, k = np.eye(net.input_dim), 0
        for w in weights:
            product = slopes[k : k + w.shape[0], None] * (w @ product)
            k += w.shape[0]
        best = max(best, np.linalg.norm(np.asarray(net.head_weight) @ product, 2))
    return best


@pytest.mark.parametrize("version", ["standard", "euclidean"])
def test_vertex_bound_equals_brute_force(version: str) -> None:
    net = random_network("atan", version, (3, 3, 3), seed=6)
    for box in (make_box(net), make_box(net, (-0.5, 0.3))):
        value = vertex_bound(net, box, chunk=7).value
        assert value == pytest.approx(_brute_force_vertex(net, box), rel=1e-12)


def test_nonnegative_weights_vertex_is_the_product_and_theta_is_no_smaller() -> None:
    rng = np.random.default_rng(7)
    ws = [rng.uniform(0, 1, size=(3, 4)), rng.uniform(0, 1, size=(3, 3))]
    h = rng.uniform(0, 1, size=(2, 3))
    net = network_from_arrays(ws, None, L.get("sigmoid"), "standard", head_weight=h)
    box = make_box(net)
    product = np.linalg.norm(h @ ws[1] @ ws[0], 2) * 0.25**2
    assert vertex_bound(net, box).value == pytest.approx(product, rel=1e-9)
    assert theta(net, box).value >= product * (1 - 1e-12)


def test_theta_exceeds_the_product_norm_for_nonnegative_weights() -> None:
    """Counterexample to 'θ_m = ‖W_m⋯W_1‖ for entrywise nonnegative weights': θ keeps the
    term ‖W₂‖‖W₁‖ > ‖W₂W₁‖; the vertex bound is the one that equals the product."""
    w1, w2 = np.array([[1.0, 1.0], [0.0, 1.0]]), np.array([[0.0, 1.0]])
    net = network_from_arrays([w1], None, L.get("sigmoid"), "standard", head_weight=w2)
    golden = (1 + np.sqrt(5)) / 2
    assert np.linalg.norm(w1, 2) == pytest.approx(golden)
    assert vertex_bound(net, make_box(net)).value == pytest.approx(0.25, rel=1e-9)
    # slopes in [0, 1/4] = 1/8 + E/8: θ = ‖H W₁‖/8 + ‖H‖‖W₁‖/8
    assert theta(net, make_box(net)).value == pytest.approx((1 + golden) / 8, rel=1e-9)


def test_eclipse_fast_matches_the_peer_package() -> None:
    torch = pytest.importorskip("torch")
    eclipse = pytest.importorskip("eclipse_nn")
    net = random_network("tanh", "standard", (6, 8, 8, 5), seed=8, head=3)
    box = make_box(net)
    ours = eclipse_fast(net, box).value
    weights = [torch.tensor(np.asarray(w)) for w in (*net.weights, net.head_weight)]
    theirs = float(eclipse.ECLipsE_Fast(weights, [0.0] * 3, [1.0] * 3))
    assert ours == pytest.approx(theirs, rel=1e-8)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "atan"])
def test_bregman_compositional_bounds_are_no_worse_than_the_layer_product(activation: str) -> None:
    for seed in range(4):
        net = random_network(activation, "bregman", (4, 4, 4, 4, 4), seed=seed, scale=0.6)
        box = make_box(net)
        product = layer_product(net, box).value
        tele = telescoping(net, box).value
        assert tele <= product * (1 + 1e-12)
        assert dual_theta(net, box).value <= tele * (1 + 1e-12)
    if activation == "atan":
        assert tele < product / 2


def test_standard_bounds_are_ordered_as_proved() -> None:
    net = random_network("sigmoid", "standard", (4, 4, 4), seed=10)
    box = make_box(net)
    bounds = upper_bounds(net, box)
    assert bounds["vertex"].value <= bounds["theta"].value * (1 + 1e-12)
    assert bounds["theta"].value <= norm_product(net, box).value * (1 + 1e-12)
    assert all(b.assumptions for b in bounds.values())


def test_one_layer_product_agrees_with_the_single_layer_bound() -> None:
    net = random_network("atan", "bregman", (4, 4), seed=11, scale=1.4, bias_scale=0.2, head=None)
    for domain in (None, (-1.0, 0.5)):
        ours = layer_product(net, make_box(net, domain)).value
        single = layer_lipschitz_bound(net.layers[0], domain).upper
        assert ours <= single * (1 + 1e-9)
        assert ours >= 0.5 * single


def test_float32_networks_give_the_float64_jacobian_norms_to_single_precision() -> None:
    net = random_network("tanh", "bregman", (4, 4, 4), seed=12)
    net32 = as_network(net, dtype=jnp.float32)
    points = jax.random.normal(jax.random.key(0), (4, 4))
    norms32 = jacobian_norms(net32, points.astype(jnp.float32))
    assert norms32.dtype == jnp.float32
    np.testing.assert_allclose(norms32, jacobian_norms(net, points), rtol=1e-4)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_global_bregman_bounds_with_mixing_layers_are_finite(activation: str) -> None:
    """σ⁻¹ at the ends of I must map to ±∞, never NaN, when V x reaches an end of the box."""
    net = random_network(activation, "bregman", (2, 3, 3), seed=13, scale=0.3)
    bounds = upper_bounds(net, make_box(net))
    assert all(np.isfinite(b.value) for b in bounds.values()), bounds
