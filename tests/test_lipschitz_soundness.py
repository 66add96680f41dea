"""Soundness regressions of issue 12: certified float arithmetic (bregmalib._certified), the
float32 sigmoid far in its tail, unbounded results with a reason instead of NaN or an
exception, and networks refused where they are built (V not row-stochastic, NaN weights,
integer dtypes). The property test over every pair and version is test_soundness_property.py."""

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest
from _networks import random_network

from bregmalib import _certified as C
from bregmalib import legendre
from bregmalib.lipschitz._domain import make_box, propagate_intervals
from bregmalib.lipschitz._report import lipschitz_report
from bregmalib.lipschitz._upper import upper_bounds
from bregmalib.nn import functional as F
from bregmalib.nn import network_from_arrays

mpmath.mp.dps = 50


# ----- bregmalib._certified


def test_round_up_and_down_move_outwards_and_keep_infinities() -> None:
    x = np.array([1.0, -1.0, 0.0, 1e-300, np.inf, -np.inf])
    up, down = C.round_up(x), C.round_down(x)
    assert np.all(up[:4] > x[:4]) and np.all(down[:4] < x[:4])
    assert up[4] == np.inf and down[5] == -np.inf and up[5] == -np.inf


def test_affine_interval_contains_the_exact_range_despite_cancellation() -> None:
    """Σ = 1 + 1e-16 − 1 rounds to 0 in float64; the exact 1e-16 must lie inside."""
    w = np.array([[1.0, 1.0, -1.0]])
    x = np.array([1.0, 1e-16, 1.0])
    lo, hi = C.affine_interval(w, None, x, x)
    exact = mpmath.mpf(1) + mpmath.mpf(1e-16) - 1
    assert lo[0] <= exact <= hi[0]
    assert hi[0] - lo[0] < 1e-14


def test_affine_interval_ignores_an_unbounded_input_behind_a_zero_weight() -> None:
    lo, hi = C.affine_interval(np.array([[0.0, 2.0]]), np.zeros(1), [-np.inf, 0.0], [np.inf, 1.0])
    assert np.isfinite(lo[0]) and np.isfinite(hi[0]) and hi[0] >= 2.0


def test_spectral_norm_upper_dominates_the_exact_norm_and_flags_infinite_entries() -> None:
    rng = np.random.default_rng(0)
    for shape in [(3, 5), (130, 140)]:
        a = rng.normal(size=shape)
        if shape[0] > 100:  # mpmath is slow; the SVD in float64 is within 1e-13 there
            exact = np.linalg.norm(a, 2) * (1 + 1e-15)
        else:
            exact = mpmath.sqrt(max(mpmath.eig(mpmath.matrix(a.T @ a))[0], key=abs).real)
        assert C.spectral_norm_upper(a) >= exact
        assert C.spectral_norm_upper(a) <= float(exact) * (1 + 1e-11)
    assert C.spectral_norm_upper(np.array([[np.inf, 0.0]])) == np.inf
    assert C.spectral_norm_upper(np.zeros((2, 2))) == 0.0


# ----- float32 networks far in the tail of the sigmoid


@pytest.mark.parametrize("a", [-71.0, -71.3, -70.77])
def test_float32_sigmoid_far_in_its_tail_is_bounded_above_by_every_method(a: float) -> None:
    """With x64 off, σ′ was evaluated in float32 at the float32-rounded ends of the box and
    every method returned 0.9999995 × the true constant σ′(a + 10⁻³)."""
    with jax.enable_x64(False):
        net = network_from_arrays(
            [np.ones((1, 1), np.float32)],
            [np.zeros(1, np.float32)],
            legendre.get("sigmoid"),
            "standard",
            dtype=jnp.float32,
        )
        box = make_box(net, (a, a + 1e-3))
        bounds = upper_bounds(net, box)
    end = mpmath.mpf(float(box.upper[0]))
    true = 1 / ((1 + mpmath.exp(-end)) * (1 + mpmath.exp(end)))
    for name, bound in bounds.items():
        assert bound.value >= true, name
        assert bound.value <= true * (1 + 1e-12), name


def test_slope_intervals_are_evaluated_in_float64_for_a_float32_network() -> None:
    with jax.enable_x64(False):
        net = random_network("sigmoid", "standard", (2, 2), dtype=jnp.float32)
        lay = propagate_intervals(net, make_box(net, (-80.0, -79.999)))[0]
    assert lay.slope[0].dtype == np.float64 and lay.slope[1].dtype == np.float64
    assert np.all(lay.slope[0] <= lay.slope[1])


# ----- unbounded results


@pytest.mark.parametrize("activation", ["asinh", "softplus", "bent_identity"])
def test_unbounded_pairs_on_the_whole_space_give_infinity_with_a_reason(activation) -> None:
    """dual-theta raised numpy's LinAlgError 'SVD did not converge' (inf·0 = NaN)."""
    net = random_network(activation, "bregman", (2, 3, 2), seed=3)
    bounds = upper_bounds(net, make_box(net))
    for name, bound in bounds.items():
        assert bound.value == np.inf, name
        assert "Δ unbounded on the whole space" in bound.reason and activation in bound.reason


def test_softplus_with_a_steep_beta_on_a_data_box_reports_the_overflow() -> None:
    net = random_network("softplus", "bregman", (2, 2, 2), seed=0, beta=1000.0)
    bounds = upper_bounds(net, make_box(net, (0.0, 1.0)))
    assert bounds["dual-theta"].value == np.inf
    assert "overflows float64" in bounds["dual-theta"].reason
    assert all(b.value == np.inf and b.reason for b in bounds.values())


def test_a_finite_bound_has_no_reason() -> None:
    net = random_network("tanh", "bregman", (2, 2, 2), seed=0)
    for bound in upper_bounds(net, make_box(net)).values():
        assert np.isfinite(bound.value) and bound.reason == ""


def test_lipschitz_report_survives_an_unbounded_pair() -> None:
    """lipschitz_report runs dual-theta by default, which crashed on asinh."""
    net = random_network("asinh", "bregman", (2, 2, 2), seed=1)
    report = lipschitz_report(net, restarts=2, steps=5)
    assert report.upper == np.inf and report.lower > 0


# ----- networks refused where they are built


def test_the_asinh_mixing_of_issue_12_is_refused() -> None:
    """V = [[1, −1], [−1, 1]] was accepted and every method returned 1.296 < ‖J(1, 0)‖ = 2.34."""
    with pytest.raises(ValueError, match="row-stochastic"):
        network_from_arrays(
            [np.zeros((2, 2))],
            [np.full(2, -np.sinh(1.0))],
            legendre.get("asinh"),
            "bregman",
            mixings=[np.array([[1.0, -1.0], [-1.0, 1.0]])],
        )


def test_a_row_stochastic_mixing_bounds_the_asinh_layer_above_its_jacobian() -> None:
    """The same layer with V = [[1, 0], [½, ½]] ≥ 0: the interval of Vx from V ≥ 0 is sound."""
    v = np.array([[1.0, 0.0], [0.5, 0.5]])
    net = network_from_arrays(
        [np.zeros((2, 2))],
        [np.full(2, -np.sinh(1.0))],
        legendre.get("asinh"),
        "bregman",
        mixings=[v],
    )
    box = make_box(net, (0.0, 1.0))
    grid = np.stack(np.meshgrid(*[np.linspace(0.0, 1.0, 21)] * 2), -1).reshape(-1, 2)
    jacobians = jax.vmap(lambda x: F.jacobian(net.layers[0], x))(jnp.asarray(grid))
    worst = float(np.max(np.linalg.norm(np.asarray(jacobians), 2, axis=(1, 2))))
    assert worst > 1.0
    for name, bound in upper_bounds(net, box).items():
        assert bound.value >= worst, name


@pytest.mark.parametrize(
    ("weight", "error", "message"),
    [
        (np.array([[np.nan, 1.0], [0.0, 1.0]]), ValueError, "NaN or infinite"),
        (np.array([[np.inf, 1.0], [0.0, 1.0]]), ValueError, "NaN or infinite"),
        (np.array([[1, 0], [0, 1]], np.int32), TypeError, "float32 or float64"),
        (np.array([[1, 0], [0, 1]], np.float16), TypeError, "float32 or float64"),
    ],
)
def test_bad_weights_are_refused_with_the_nn_error(weight, error, message) -> None:
    with pytest.raises(error, match=message):
        net = network_from_arrays([weight], None, legendre.get("tanh"), "standard")
        upper_bounds(net, make_box(net))
