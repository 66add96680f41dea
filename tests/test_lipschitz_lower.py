"""bregmalib.lipschitz: ascent lower bounds, starting points, soundness check, Lipschitz star."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _networks import random_network

import bregmalib.legendre as L
from bregmalib.lipschitz import (
    UnsoundBoundError,
    lipschitz_report,
    lipschitz_star,
    lower_bounds,
    make_box,
)
from bregmalib.lipschitz._domain import coordinate_box
from bregmalib.lipschitz._lower import (
    ascend_jacobian,
    ascend_pairs,
    jacobian_norms,
    starting_points,
)
from bregmalib.lipschitz._report import check_sound, input_groups
from bregmalib.nn import network_from_arrays


def _net(version: str, activation: str = "tanh", seed: int = 0):
    return random_network(activation, version, (4, 4, 4), seed=seed, scale=1.6)


@pytest.mark.parametrize("version", ["bregman", "standard"])
def test_ascent_beats_its_own_starting_points_and_stays_in_the_box(version: str) -> None:
    net = _net(version)
    box = make_box(net, (-0.5, 0.3) if version == "bregman" else (-1.0, 2.0))
    key = jax.random.key(3)
    found = ascend_jacobian(net, box, restarts=8, steps=60, key=key)
    starts = jacobian_norms(net, starting_points(net, box, 8, jax.random.split(key)[0]))
    assert found.value >= float(jnp.max(starts)) - 1e-12
    assert np.all(found.point >= box.lower - 1e-12) and np.all(found.point <= box.upper + 1e-12)
    pairs = ascend_pairs(net, box, restarts=8, steps=60, key=key)
    assert 0 < pairs.value <= found.value * 1.05  # a quotient is an average of Jacobian norms


def test_bregman_ascent_reaches_the_edges_of_the_interval() -> None:
    """The global supremum of a one-unit Bregman layer x ↦ σ(σ⁻¹(x) + wx + b) with w < 0 is
    approached as x → 1 (u → ∞): sigmoid gives σ′(u + w + b)/σ′(u) → e^{−(w+b)} there."""
    w, b = -3.0, 0.0
    net = network_from_arrays([[[w]]], [[b]], L.get("sigmoid"), "bregman")
    found = ascend_jacobian(net, make_box(net), restarts=4, steps=300, learning_rate=0.5)
    assert found.value > 0.9 * np.exp(3.0)
    assert found.point[0] > 0.99


def test_lower_bounds_reach_the_tails_of_a_wide_layer() -> None:
    """A 7-unit sigmoid Bregman layer (weights of scale 3) on Iⁿ: ‖J‖ is largest far in the
    tails (|u| ≫ 6), which the nested box |t| ≤ 30 with normalised steps reaches; 314.435 is
    what a 16-start, 150-step ascent over the dual box [−30, 30]ⁿ, half its starts at corners,
    finds (the single-layer engine this one replaced); the other runs stay below 280."""
    net = random_network("sigmoid", "bregman", (7, 7), seed=6, scale=3.0, head=None)
    found = lower_bounds(net, restarts=16, steps=150)
    assert found["jacobian-ascent |t|<=30"].value > 0.999 * 314.435


def test_starting_points_lie_in_the_coordinate_box() -> None:
    net = _net("bregman", "atan")
    box = make_box(net, (-1.0, 0.5))
    lo, hi = coordinate_box(net, box)
    points = np.asarray(starting_points(net, box, 16, jax.random.key(0)))
    assert np.all(points >= lo) and np.all(points <= hi)


def test_unsound_bounds_are_reported_as_bugs() -> None:
    check_sound(1.0, 1.0 + 1e-12, "rounding")
    with pytest.raises(UnsoundBoundError, match="exceeds"):
        check_sound(1.0, 1.001, "bug")


def test_lipschitz_star_groups_are_sound_and_below_the_whole() -> None:
    net = _net("bregman", "atan", seed=2)
    star = lipschitz_star(net, 2, restarts=4, steps=40)
    whole = lipschitz_report(net, restarts=4, steps=40)
    assert star.upper.shape == (2,) and np.all(star.lower <= star.upper)
    assert np.all(star.lower <= whole.upper * (1 + 1e-9))
    with pytest.raises(ValueError, match="between 1 and"):
        input_groups(4, 9)
    with pytest.raises(ValueError, match="nonempty"):
        input_groups(4, [[0, 7]])
