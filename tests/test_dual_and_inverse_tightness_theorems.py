"""Issue 13, result 5: the tightness of the dual-θ bound, of its per-group version and of the
bound on the inverse layer on the fixed-point family, against bregmalib.lipschitz.dual_theta and
bregmalib.invert.certify_invertibility; the symbolic routes and the host wrapper of the library
searches."""

import itertools
import types

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bregmalib import legendre
from bregmalib.invert import certify_invertibility
from bregmalib.invert._inverse_theorems import inverse_lipschitz_bound
from bregmalib.lipschitz import _tightness_dual_theorems as TD
from bregmalib.lipschitz import _tightness_theorems as TT
from bregmalib.symbolic._latex import math_

TANH = legendre.get("tanh")
#: the pairs of the fixed-point family, written out so that collecting this file derives no
#: pair symbolically (`test_the_family_is_that_of_theorem_7_1` checks it against TD.covered())
FAMILY = tuple(
    legendre.get(name) for name in ("sigmoid", "tanh", "scaled_tanh", "atan", "isru", "asinh")
)
PROVED, CHECKED = (
    types.SimpleNamespace(status="proved", name="x"),
    types.SimpleNamespace(status="checked", name="x"),
)


def test_the_family_is_that_of_theorem_7_1():
    names = [p.name for p in TD.covered()]
    assert names == [p.name for p in FAMILY]
    assert "softplus" not in names and "bent_identity" not in names


def test_telescoping_route_expands_and_its_gap_is_nonnegative():
    assert TD.telescoping_route()
    assert TD.telescoping_route((6,))


@pytest.mark.parametrize("pair", FAMILY, ids=lambda p: p.name)
def test_dual_slope_and_box_factor_routes_per_pair(pair):
    assert TD.dual_slope_route(pair)
    assert TD.box_factor_route(pair)


def test_box_factor_of_tanh_is_one_over_one_minus_a_squared():
    for a in (0.0, 0.05, 0.3):
        assert float(TD.box_factor(TANH, jnp.asarray(a))) == pytest.approx(1 / (1 - a * a))


@pytest.mark.parametrize("pair", FAMILY, ids=lambda p: p.name)
def test_box_factor_decreases_to_one(pair):
    widths = [TT.half_width(pair) * s for s in (1.0, 0.1, 0.01, 1e-4)]
    factors = [float(TD.box_factor(pair, jnp.asarray(a))) for a in widths]
    assert all(f > g >= 1.0 for f, g in itertools.pairwise(factors))
    assert factors[-1] < 1 + 1e-6


@pytest.mark.parametrize("pair", FAMILY, ids=lambda p: p.name)
def test_library_dual_theta_is_bracketed_on_the_example(pair):
    """Π(1 + L w) ≤ D ≤ (ρ_B + L w_1) Π_{k≥2}(1 + L w_k) ≤ ρ_B Π(1 + L w), and the group bound
    of the two-input network is D."""
    row = TD.dual_row(pair)
    assert row.lower <= row.dual <= row.telescoped * (1 + 1e-12)
    assert row.telescoped <= row.factor * row.lower * (1 + 1e-12)
    assert row.group == pytest.approx(row.dual, rel=1e-12)


def test_dual_theta_is_below_the_telescoped_bound_when_the_first_shift_is_small():
    """With w_1 = 0 the first ratio is R_σ(0) = 1 < ρ_B, and the library is strictly below."""
    params = np.asarray([0.0, 1.0, 1.0, 0.1])
    library = TD.library_bound(TANH, params)
    telescoped = float(TD.telescoped_bound(TANH, jnp.asarray(params[:3]), jnp.asarray(0.1)))
    assert 4.0 < library < telescoped


def test_host_function_values_gradients_and_batches():
    calls = []

    def function(p):
        calls.append(p.copy())
        return p[0] ** 2 + 3.0 * p[1]

    f = TD.host_function(function, np.zeros(2), np.ones(2))
    z = jnp.asarray([0.5, 0.25])
    assert float(f(z)) == pytest.approx(1.0)
    assert np.asarray(jax.grad(f)(z)) == pytest.approx([1.0, 3.0], rel=1e-6)
    edge = np.asarray(jax.grad(f)(jnp.asarray([1.0, 0.0])))
    assert edge == pytest.approx([2.0, 3.0], rel=1e-5), "one-sided at the ends of the box"
    batch = jax.jit(jax.vmap(f))(jnp.asarray([[0.0, 0.0], [1.0, 1.0]]))
    assert np.asarray(batch) == pytest.approx([0.0, 4.0])
    assert calls


def test_library_violations_are_zero_up_to_rounding_at_the_example():
    z = jnp.asarray([*TT.EXAMPLE_WEIGHTS, TT.EXAMPLE_HALF_WIDTH])
    for width in (1, 2):
        assert abs(float(TD._library_violation(TANH, width)(z))) < 1e-12
    z = jnp.asarray([*TT.EXAMPLE_WEIGHTS, TT.EXAMPLE_HALF_WIDTH, 0.5])
    for pair in TD.covered():
        assert float(TD._sandwich_violation(pair)(z)) <= 0.0


def test_library_check_samples_ten_thousand_points_of_the_family_box():
    check = TD._library_check(TANH, group=True)
    assert check.points >= 10_000 and check.names == ("w_1", "w_2", "w_3", "a")
    assert check.upper[-1] == TT.half_width(TANH)


@pytest.mark.parametrize("t", [-0.5, 0.0, 1.0])
def test_inverse_upper_is_rho_b_over_one_plus_l_w_and_uses_the_certified_margin(t):
    a = jnp.asarray(0.05)
    weight = TD._inverse_weight(TANH, jnp.asarray(t))
    upper = float(TD.inverse_upper(TANH, weight, a, inverse_lipschitz_bound))
    assert upper * (1 + t) == pytest.approx(float(TD.box_factor(TANH, a)), rel=1e-12)
    margin = certify_invertibility(TD._inverse_layer(TANH, weight))["monotone"].margin
    assert margin == pytest.approx(1 + t, rel=1e-12)  # 1/L + w with L = 1
    assert upper == pytest.approx(1 / (1 - 0.05**2) / margin, rel=1e-12)


def test_inverse_row_brackets_the_slope_of_the_inverse():
    for pair in TD.covered():
        row = TD.inverse_row(pair, inverse_lipschitz_bound)
        for t, (lower, upper) in zip(TD.INVERSE_EXAMPLES, row.values, strict=True):
            assert lower == pytest.approx(1 / (1 + t), rel=1e-12)
            assert lower <= upper == pytest.approx(row.factor * lower, rel=1e-12)


def test_inverse_secant_approaches_the_bound_near_the_fixed_point():
    violation = TD._inverse_secant_violation(TANH, inverse_lipschitz_bound)
    far = float(violation(jnp.asarray([1.0, -1.0, 0.5])))
    near = float(violation(jnp.asarray([1.0, -1e-3, 2e-3])))
    assert far < near <= 0.0
    assert near > -1e-5
    assert float(violation(jnp.asarray([1.0, 0.3, 0.3]))) == -1.0


def test_routes_need_the_proved_theorems():
    pairs = [TANH]
    assert TD._dual_route(pairs, PROVED, group=False).verdict == "proved"
    assert TD._dual_route(pairs, CHECKED, group=True).verdict == "inconclusive"
    assert TD._inverse_route(pairs, PROVED).verdict == "proved"
    assert TD._inverse_route(pairs, CHECKED).verdict == "inconclusive"


def test_statements_render_as_chains():
    dual = math_(TD._statement(TD.LIP, TD.D_THETA))
    assert dual.count(r"\leq") == 4 and r"D_\theta" in dual
    inverse = math_(TD.INVERSE_STATEMENT)
    assert inverse.count(r"\leq") == 3 and r"\wedge" not in inverse
