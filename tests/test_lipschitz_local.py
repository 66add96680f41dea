"""Local Lipschitz bounds on balls and boxes (`bregmalib.lipschitz` local_lipschitz, box_lipschitz,
local_lower): sound against projected-ascent lower bounds for every version and pair, exact in
the limit of a small ball, exact on an affine network, +∞ with a reason at an end of I."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _networks import random_network
from hypothesis import given, settings
from hypothesis import strategies as st

from bregmalib import legendre
from bregmalib.lipschitz import (
    ball_region,
    best_bound,
    box_lipschitz,
    box_region,
    branch_and_bound,
    local_lipschitz,
    local_lower,
    make_box,
    margin_lipschitz,
    margin_radius,
    upper_bounds,
)
from bregmalib.lipschitz._local import _spectral
from bregmalib.nn import network_from_arrays
from bregmalib.nn.functional import coordinates_from_input, network_jacobian, network_output
from bregmalib.robust import InputDomain, pgd

PAIRS = {"sigmoid": {}, "tanh": {}, "atan": {}, "softplus": {"beta": 2.0}}
VERSIONS = ("bregman", "standard", "euclidean")


def _centers(net, rng: np.random.Generator, count: int) -> np.ndarray:
    pair = net.pair
    lo = pair.lower if np.isfinite(pair.lower) else -2.0
    hi = pair.upper if np.isfinite(pair.upper) else 2.0
    return rng.uniform(lo + 0.25 * (hi - lo), hi - 0.25 * (hi - lo), size=(count, net.input_dim))


def _network(activation: str, version: str, seed: int, widths=(5, 6, 6)):
    return random_network(activation, version, widths, seed=seed, head=3, **PAIRS[activation])


@settings(max_examples=10)
@given(
    activation=st.sampled_from(sorted(PAIRS)),
    version=st.sampled_from(VERSIONS),
    seed=st.integers(0, 10_000),
    radius=st.sampled_from([0.02, 0.1, 0.3]),
    norm=st.sampled_from(["l2", "linf"]),
)
def test_local_upper_bound_is_at_least_the_ascent_lower_bound(
    activation: str, version: str, seed: int, radius: float, norm: str
) -> None:
    net = _network(activation, version, seed)
    centers = _centers(net, np.random.default_rng(seed), 3)
    upper = local_lipschitz(net, centers, radius, norm=norm).upper
    lower = local_lower(net, ball_region(net, centers, radius, norm), norm, steps=30)
    assert np.all(np.isfinite(lower)) and np.all(lower > 0)
    assert np.all(upper >= lower), (upper, lower)


@pytest.mark.parametrize("version", VERSIONS)
def test_box_bound_is_sound_on_boxes(version: str) -> None:
    net = _network("tanh", version, 3, widths=(4, 8, 8, 8))
    centers = _centers(net, np.random.default_rng(1), 4)
    lower, upper = centers - 0.05, centers + 0.05
    bound = box_lipschitz(net, lower, upper).upper
    found = local_lower(net, box_region(net, lower, upper), "l2", steps=60)
    assert np.all(bound >= found)
    assert np.all(bound <= 1.5 * found), bound / found


@pytest.mark.parametrize("version", VERSIONS)
def test_small_ball_bound_tends_to_the_jacobian_norm_at_the_centre(version: str) -> None:
    net = _network("sigmoid", version, 7, widths=(4, 8, 8))
    center = _centers(net, np.random.default_rng(2), 1)
    jac = network_jacobian(net, coordinates_from_input(net, jnp.asarray(center[0])))
    exact = float(np.linalg.norm(np.asarray(jac), 2))
    bound = float(local_lipschitz(net, center, 1e-6).upper[0])
    assert exact <= bound <= exact * (1 + 1e-4)


def test_identity_bregman_network_bound_tends_to_the_norm_of_its_head() -> None:
    """W = 0, b = 0: every Bregman layer is the identity, so f(x) = Hx and Lip = ‖H‖₂; the
    bound reaches it on small balls and grows with the radius (1/σ′(x) at the input and σ′ at
    the output are relaxed separately, so their product, 1 here, is not kept)."""
    pair = legendre.get("tanh")
    head = np.random.default_rng(0).normal(size=(3, 4))
    net = network_from_arrays([np.zeros((4, 4))] * 2, None, pair, "bregman", head_weight=head)
    bounds = [local_lipschitz(net, np.full((1, 4), 0.2), r).upper[0] for r in (1e-4, 0.1, 0.3)]
    norm = np.linalg.norm(head, 2)
    assert norm <= bounds[0] <= norm * (1 + 1e-3)
    assert bounds[0] <= bounds[1] <= bounds[2] <= 2 * norm


@pytest.mark.parametrize("version", VERSIONS)
def test_local_bound_is_capped_by_the_bound_on_the_box_hull(version: str) -> None:
    """On balls of radius 0.5 the propagation alone exceeds the certified bound on the box
    hull of the balls for some centre; the local bound (and √2 times it, each margin constant)
    is then that box bound, still above the ascent's lower bound."""
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=(6, 6)) for _ in range(3)]
    pair = legendre.get("tanh")
    net = network_from_arrays(weights, None, pair, version, head_weight=rng.normal(size=(3, 6)))
    centers = rng.uniform(-0.5, 0.5, size=(4, 6))
    region = ball_region(net, centers, 0.5)
    hull = (np.maximum(centers - 0.5, region.lower).min(0), (centers + 0.5).max(0))
    cap = best_bound(upper_bounds(net, make_box(net, hull))).value
    bounds = local_lipschitz(net, centers, 0.5)
    assert np.all(bounds.upper <= cap * (1 + 1e-12)) and np.any(bounds.upper >= cap)
    assert any(a.startswith("cap ") for a in bounds.assumptions)
    assert np.all(bounds.upper >= local_lower(net, region, "l2", steps=30))
    margins = margin_lipschitz(net, centers, np.zeros(4, int), 0.5)
    assert np.all(margins <= np.sqrt(2) * cap * (1 + 1e-12))


def test_ball_reaching_the_end_of_the_interval_gets_the_box_bound_in_l2() -> None:
    """With V = I the first layer takes σ⁻¹(x), whose slope is unbounded at the ends of I: the
    propagation is +∞ there (with a reason in ℓ∞), while in ℓ₂ the slope ratio of the box bound
    keeps the constant finite (σ(σ⁻¹(x) + Δ) ≈ x e^Δ near 0) and caps it."""
    net = _network("sigmoid", "bregman", 0, widths=(5, 5, 5))
    centers = np.full((2, net.input_dim), 0.5)
    centers[1, 0] = 0.02
    linf = local_lipschitz(net, centers, 0.05, norm="linf")
    assert np.isfinite(linf.upper[0]) and np.isinf(linf.upper[1])
    assert "end of the activation's interval" in linf.reason
    l2 = local_lipschitz(net, centers, 0.05)
    assert np.all(np.isfinite(l2.upper)) and not l2.reason
    lower = local_lower(net, ball_region(net, centers, 0.05), "l2", steps=30)
    assert np.all(l2.upper >= lower)


def test_domain_keeps_the_ball_inside_the_data_segment() -> None:
    net = _network("sigmoid", "bregman", 0)
    centers = np.full((1, net.input_dim), 0.06)
    result = local_lipschitz(net, centers, 0.2, domain=(0.05, 0.95))
    assert np.isfinite(result.upper[0])


def test_refuses_unknown_norms_and_centres_outside_the_domain() -> None:
    net = _network("tanh", "standard", 0)
    with pytest.raises(ValueError, match="norm"):
        local_lipschitz(net, np.zeros((1, net.input_dim)), 0.1, norm="l1")
    with pytest.raises(ValueError, match="domain"):
        local_lipschitz(net, np.full((1, net.input_dim), 2.0), 0.1, domain=(-1.0, 1.0))


@pytest.mark.parametrize("version", VERSIONS)
def test_margin_radius_beats_the_sqrt2_radius_and_survives_pgd(version: str) -> None:
    """r = min(ε, min_j (f_y − f_j)/L_yj) is at least margin/(√2·L) with L the whole network's
    bound on the same ball, and PGD finds no adversarial example within it."""
    net = random_network("tanh", version, (4, 8, 8), seed=5, head=3, scale=2.0)
    x = _centers(net, np.random.default_rng(3), 12)
    t = jnp.asarray(x) if version == "standard" else net.pair.inverse(jnp.asarray(x))
    logits = np.asarray(jax.vmap(lambda row: network_output(net, row))(t))
    labels = np.argmax(logits, axis=1)
    radius = 0.1  # where propagation is below the box-hull cap, which L_yj ≤ √2·cap cannot beat
    margin = np.sort(logits, axis=1)[:, -1] - np.sort(logits, axis=1)[:, -2]
    ours = margin_radius(net, x, labels, radius)
    whole = local_lipschitz(net, x, radius).upper
    # ours carries the relative safety factor 1e-9 of margin_radius against rounding
    assert np.all(ours >= np.minimum(radius, margin / (np.sqrt(2) * whole)) * (1 - 2e-9))
    assert np.any(ours > np.minimum(radius, margin / (np.sqrt(2) * whole)) * 1.01)
    constants = margin_lipschitz(net, x, labels, radius)
    assert np.all(constants[np.arange(12), labels] < 1e-290)  # the zero row, plus slack
    domain = InputDomain(float(np.min(x)) - 1.0, float(np.max(x)) + 1.0)
    if version != "standard":
        domain = InputDomain(-0.999, 0.999)
    model = lambda u: network_output(net, coordinates_from_input(net, u))  # noqa: E731
    attack = pgd(model, jnp.asarray(x), jnp.asarray(labels), 1.0, domain, norm="l2", steps=40)
    broken = np.asarray(attack.broken)
    found = np.linalg.norm(np.asarray(attack.x) - x, axis=1)
    assert broken.any()
    assert np.all(ours[broken] <= found[broken])


@pytest.mark.parametrize("version", VERSIONS)
def test_branch_and_bound_never_increases_and_stays_above_the_lower_bound(version: str) -> None:
    net = _network("tanh", version, 11, widths=(2, 6, 6))
    center = _centers(net, np.random.default_rng(4), 1)[0]
    box = (center - 0.3, center + 0.3)
    result = branch_and_bound(net, *box, budget=math.inf, target_ratio=1.0, max_leaves=12)
    history = np.array(result.history)
    assert len(history) == result.leaves == 12 and result.stopped == "leaves"
    assert np.all(np.diff(history) <= 0)
    assert history[-1] < history[0]
    assert result.upper >= result.lower > 0
    whole = local_lower(net, box_region(net, center - 0.3, center + 0.3), "l2", steps=60)[0]
    assert result.upper >= whole


def test_vmapped_spectral_norms_are_exact_and_infinite_on_nan() -> None:
    """The spectral norms of the propagation, vmapped twice (one SVD at a time), equal numpy's
    ‖A‖₂ for every matrix of the batch, and +∞ where a matrix holds a NaN."""
    matrices = np.random.default_rng(0).normal(size=(6, 3, 5, 4))
    matrices[2, 1, 0, 0] = np.nan
    norms = np.asarray(jax.jit(jax.vmap(jax.vmap(_spectral)))(jnp.asarray(matrices)))
    expected = np.linalg.norm(np.nan_to_num(matrices), ord=2, axis=(2, 3))
    expected[2, 1] = np.inf
    np.testing.assert_allclose(norms, expected, rtol=1e-13)
