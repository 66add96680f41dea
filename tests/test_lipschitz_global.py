"""bregmalib.lipschitz on the global domain: lower bounds that reach the edges of Iⁿ (the
limits u → ±∞ of the slope ratios, evaluated in dual coordinates), lower ≤ upper for every
pair and version, and +inf with a reason where no finite bound exists."""

import jax
import numpy as np
import pytest
from _networks import random_network

import bregmalib.legendre as L
from bregmalib.lipschitz import (
    best_bound,
    best_lower,
    layer_lipschitz_bound,
    lower_bounds,
    make_box,
    upper_bounds,
)
from bregmalib.lipschitz._lower import FAR, _corner_search, corner_ends, corner_offsets
from bregmalib.lipschitz._report import check_sound
from bregmalib.nn import network_from_arrays


def test_tanh_layer_lower_bound_reaches_its_edge_limit() -> None:
    """x ↦ tanh(atanh(x) − 2x) on (−1, 1): J = σ′(u − 2x)/σ′(u) − 2σ′(u − 2x) → e⁴ as x → ±1
    (u → ±∞), while the layer bound is R(2)·1 + L·2 = e⁴ + 2."""
    net = network_from_arrays([[[-2.0]]], [[0.0]], L.get("tanh"), "bregman")
    lower = best_lower(lower_bounds(net, restarts=4, steps=20))
    upper = layer_lipschitz_bound(net).upper
    assert upper == pytest.approx(np.exp(4.0) + 2.0, rel=1e-12)
    assert 0.99 * np.exp(4.0) <= lower.value <= upper
    assert abs(lower.point[0]) > 0.999


def test_corner_search_finds_the_sign_pattern_of_a_saturated_network() -> None:
    """A depth-2 tanh Bregman network whose sup lies at a corner of the closed cube: the corner
    search from the centre reaches a corner whose ‖J‖ is the limit value there (ascent from the
    centre stalls: at x = 0 the slope ratios are 1)."""
    net = random_network("tanh", "bregman", (6, 6, 6), seed=3, scale=2.0, head=None)
    lo, hi = (np.full(6, -np.inf), np.full(6, np.inf))
    ends = tuple(jax.numpy.asarray(e) for e in corner_ends(lo, hi))
    start = jax.numpy.zeros((1, 6))
    direction = jax.numpy.ones((1, 6))
    offsets = corner_offsets(jax.random.key(0), 1, 6)
    found = np.asarray(_corner_search(net, start, direction, ends, np.ones(6), offsets))
    assert np.sum(np.abs(found) == FAR) >= 3
    centre = best_lower(lower_bounds(net, (-0.01, 0.01), restarts=4, steps=10)).value
    whole = best_lower(lower_bounds(net, restarts=8, steps=40)).value
    assert whole > 10 * centre


@pytest.mark.parametrize("version", ["bregman", "standard", "euclidean"])
@pytest.mark.parametrize("activation", L.names())
def test_global_lower_bounds_stay_below_every_upper_bound(activation: str, version: str) -> None:
    net = random_network(activation, version, (3, 3, 2), seed=len(activation), scale=1.5)
    box = make_box(net)
    lower = best_lower(lower_bounds(net, restarts=4, steps=20))
    assert np.isfinite(lower.value) and lower.value > 0
    for bound in upper_bounds(net, box).values():
        assert bound.value >= lower.value * (1 - 1e-9), bound.method
        assert np.isfinite(bound.value) or bound.reason
    check_sound(best_bound(upper_bounds(net, box)).value, lower.value, f"{activation} {version}")


def test_softplus_global_constant_is_reported_infinite_with_its_reason() -> None:
    """softplus maps onto (0, ∞): Wx + b is unbounded on Iⁿ, so is R_σ(Δ), and so is ‖J‖
    (x₁ → 0 with x₂ → ∞ gives σ′(u₁ + x₂)/σ′(u₁) → e^{x₂}); the lower bound grows as far as
    float64 lets it (e^{30} within the nested box |t| ≤ 30)."""
    net = network_from_arrays(
        [[[0.0, 1.0], [0.0, 0.0]]], None, L.get("softplus", beta=1.0), "bregman"
    )
    for bound in upper_bounds(net, make_box(net)).values():
        assert bound.value == np.inf and "unbounded" in bound.reason
    lower = best_lower(lower_bounds(net, restarts=4, steps=20))
    assert lower.value > 0.5 * np.exp(30.0)
