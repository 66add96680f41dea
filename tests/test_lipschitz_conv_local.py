"""Local Lipschitz bounds of convolutional networks (`ConvNet`): interval propagation through the
stages gives certified upper bounds that never fall below the Jacobian norms measured in the
region, and shrink far below the global stage product on small balls."""

import math

import jax
import numpy as np
import pytest
from _networks import small_convnet
from hypothesis import given, settings
from hypothesis import strategies as st

from bregmalib.lipschitz import (
    ball_region,
    box_lipschitz,
    box_region,
    convnet_upper,
    local_lipschitz,
    local_lower,
)

jax.config.update("jax_enable_x64", True)


@settings(max_examples=4, deadline=None)
@given(
    pair_name=st.sampled_from(["tanh", "atan", "sigmoid", "isru"]),
    version=st.sampled_from(["bregman", "euclidean", "standard"]),
    norm=st.sampled_from(["l2", "linf"]),
    radius=st.sampled_from([0.01, 0.1, 0.5]),
    seed=st.integers(0, 1000),
)
def test_local_upper_is_above_local_lower(
    pair_name: str, version: str, norm: str, radius: float, seed: int
) -> None:
    net = small_convnet(pair_name, seed, version)
    centers = np.random.default_rng(seed).uniform(-1.0, 1.0, (2, *net.in_shape))
    upper = local_lipschitz(net, centers, radius, norm=norm)  # type: ignore[arg-type]
    region = ball_region(net, centers, radius, norm)  # type: ignore[arg-type]
    lower = local_lower(net, region, norm, restarts=2, steps=10)  # type: ignore[arg-type]
    assert np.all(np.isfinite(upper.upper)) and np.all(lower > 0)
    assert np.all(upper.upper >= lower)


def test_small_balls_give_bounds_far_below_the_global_one() -> None:
    """On a ball of radius 10⁻³ the local slope ratio replaces R_σ(Δ): the bound drops below the
    global product on [−1, 1] by more than ten times."""
    net = small_convnet("atan", 3)
    centers = np.random.default_rng(0).uniform(-1.0, 1.0, (3, *net.in_shape))
    upper = local_lipschitz(net, centers, 1e-3).upper
    lower = local_lower(net, ball_region(net, centers, 1e-3), restarts=2, steps=20)
    assert np.all(lower <= upper)
    assert np.all(upper < convnet_upper(net, 1.0)[0] / 10)


def test_boxes_and_wider_balls_are_monotone() -> None:
    net = small_convnet("tanh", 5)
    center = np.random.default_rng(1).uniform(-0.5, 0.5, net.in_shape)
    radii = [1e-3, 1e-2, 1e-1]
    bounds = [local_lipschitz(net, center, r, norm="linf").upper[0] for r in radii]
    assert bounds == sorted(bounds)
    box = box_lipschitz(net, center - 0.1, center + 0.1, norm="linf").upper[0]
    assert box == pytest.approx(bounds[-1], rel=1e-12)
    region = box_region(net, center - 0.1, center + 0.1)
    assert region.center.shape == (1, math.prod(net.in_shape))
