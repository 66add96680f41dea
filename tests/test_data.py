"""bregmalib.data: offline, seeded datasets scaled into an activation's interval."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bregmalib.legendre as L
from bregmalib.data import (
    DENSITIES,
    checkerboard,
    eight_gaussians,
    fit_scaler,
    load_dataset,
    load_digits,
    load_two_spirals,
    sample_density,
    target_segment,
    two_moons,
)


@pytest.mark.parametrize("name", L.names())
def test_digits_lie_in_the_interval_with_the_margin(name: str) -> None:
    pair = L.get(name)
    data = load_digits(pair, margin=0.1)
    a, b = target_segment(pair, 0.1)
    for x in (np.asarray(data.x_train), np.asarray(data.x_test)):
        assert x.min() >= a - 1e-6 and x.max() <= b + 1e-6
        assert bool(np.asarray(pair.contains(x)).all())
    assert np.isclose(np.asarray(data.x_train).min(), a, atol=1e-6)
    assert data.x_train.shape == (1347, 64) and data.x_test.shape == (450, 64)
    assert data.n_classes == 10 and set(np.unique(data.y_test)) == set(range(10))


def test_target_segment_keeps_the_documented_margin() -> None:
    assert target_segment(L.get("sigmoid"), 0.05) == pytest.approx((0.05, 0.95))
    assert target_segment(L.get("tanh"), 0.25) == pytest.approx((-0.5, 0.5))
    assert target_segment(L.get("softplus"), 0.05) == pytest.approx((0.05, 1.0))
    assert target_segment(L.get("asinh"), 0.05) == pytest.approx((-1.0, 1.0))
    with pytest.raises(ValueError, match="margin"):
        target_segment(L.get("sigmoid"), 0.5)
    with pytest.raises(ValueError, match="margin"):
        target_segment(L.get("sigmoid"), 0.0)


@settings(max_examples=20, deadline=None)
@given(low=st.floats(-10, 10), span=st.floats(0.1, 10), t=st.floats(0, 1))
def test_scaler_is_affine_and_invertible(low: float, span: float, t: float) -> None:
    raw = np.array([[low], [low + span]])
    scaler = fit_scaler(raw, L.get("atan"), 0.05)
    a, b = target_segment(L.get("atan"), 0.05)
    np.testing.assert_allclose(scaler(raw)[:, 0], [a, b])
    point = np.array([[low + t * span]])
    np.testing.assert_allclose(scaler(point), a + t * (b - a), atol=1e-12)
    np.testing.assert_allclose(scaler.inverse(scaler(point)), point, atol=1e-9)


def test_spirals_are_seeded_balanced_and_scaled() -> None:
    pair = L.get("sigmoid")
    one = load_two_spirals(pair, n_per_class=100, seed=3)
    two = load_two_spirals(pair, n_per_class=100, seed=3)
    other = load_two_spirals(pair, n_per_class=100, seed=4)
    np.testing.assert_array_equal(one.x_train, two.x_train)
    assert not np.array_equal(np.asarray(one.x_train), np.asarray(other.x_train))
    assert one.n_features == 2 and one.n_classes == 2
    assert int(np.asarray(one.y_train).sum()) == 75
    assert bool(np.asarray(pair.contains(one.x_train)).all())
    assert load_dataset("spirals", "tanh", n_per_class=10).name == "spirals"


def test_densities_are_seeded_and_shaped() -> None:
    for name in DENSITIES:
        a, b = sample_density(name, 200, seed=1), sample_density(name, 200, seed=1)
        assert a.shape == (200, 2)
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, sample_density(name, 200, seed=2))


def test_densities_have_their_shape() -> None:
    centres = eight_gaussians(4000, std=0.05)
    angles = np.mod(np.arctan2(centres[:, 1], centres[:, 0]), 2 * np.pi)
    assert np.abs(np.linalg.norm(centres, axis=1) - 2.0).max() < 0.4
    assert len(np.unique(np.round(angles / (np.pi / 4)) % 8)) == 8
    board = checkerboard(4000, squares=4)
    cells = np.floor((board + 2.0) / 1.0).astype(int)
    assert ((cells[:, 0] + cells[:, 1]) % 2 == 0).all() and np.abs(board).max() <= 2.0
    moons = two_moons(500, noise=0.0)
    assert np.abs(moons).max() <= 2.0 + 1e-9


def test_bad_data_requests_raise() -> None:
    with pytest.raises(ValueError, match="unknown dataset"):
        load_dataset("imagenet", "tanh")
    with pytest.raises(ValueError, match="unknown density"):
        sample_density("swiss_roll", 10)
    with pytest.raises(ValueError, match="positive integer"):
        two_moons(0)
    with pytest.raises(ValueError, match="test_fraction"):
        load_digits("tanh", test_fraction=1.5)
    with pytest.raises(ValueError, match="unknown"):
        load_digits("relu")
