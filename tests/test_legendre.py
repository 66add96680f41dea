"""The Legendre catalogue: JAX against SymPy, identities, round trips, bad input."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import bregmalib.legendre as L

DTYPES = [np.float32, np.float64]
PAIRS = [L.get(n) for n in L.names()] + [L.get("softplus", beta=3.0)]
IDS = [repr(p) for p in PAIRS]


def _eps(dtype) -> float:
    return float(np.finfo(dtype).eps)


def _mp(pair: L.LegendrePair, expr: sp.Expr, var: sp.Symbol, dtype):
    """mpmath evaluator at the exact values of the parameters rounded to ``dtype``."""
    exact = {s: sp.Rational(float(np.asarray(v, dtype))) for s, v in pair.parameters}
    return sp.lambdify(var, expr.subs(exact), modules="mpmath")


def _exact(pair, expr, var, points: np.ndarray) -> np.ndarray:
    """High-precision reference: 120 digits beyond the cancellation of terms of size
    exp(±scale·|u|), that is beyond log₁₀ exp(scale·|u|) = scale·|u|/ln 10 digits."""
    f = _mp(pair, expr, var, points.dtype)
    largest = _scale(pair) * float(np.max(np.abs(points), initial=0.0))
    digits = 120 + int(np.ceil(largest / np.log(10.0)))
    with mpmath.workdps(digits):
        return np.array([float(mpmath.re(f(mpmath.mpf(float(p))))) for p in points])


def _scale(pair: L.LegendrePair) -> float:
    """The pair's largest parameter (softplus's β): grids are in units of 1/scale."""
    return max([1.0, *pair.parameter_values.values()])


def _dual_grid(pair: L.LegendrePair, dtype) -> np.ndarray:
    radius = np.geomspace(1e-4, 40.0, 50) / _scale(pair)
    grid = np.concatenate([-radius[::-1], [0.0], radius])
    if pair.dual_upper < np.inf:
        grid = grid[np.abs(grid) < 0.999 * pair.dual_upper]
    return grid.astype(dtype)


def _primal_grid(pair: L.LegendrePair, dtype) -> np.ndarray:
    lo, hi = pair.lower, pair.upper
    offsets = np.geomspace(1e-6, 0.45, 40)
    if np.isfinite(lo) and np.isfinite(hi):
        width = hi - lo
        grid = np.concatenate([lo + width * offsets, hi - width * offsets[::-1]])
    elif np.isfinite(lo):
        grid = lo + np.geomspace(1e-6, 1e3, 60) / _scale(pair)
    else:
        radius = np.geomspace(1e-4, 20.0, 40)
        grid = np.concatenate([-radius[::-1], [0.0], radius])
    grid = grid.astype(dtype)
    return grid[(grid > lo) & (grid < hi)]


def _assert_close(actual, exact, rtol, dtype, what):
    actual = np.asarray(actual, dtype=np.float64)
    tiny = 1e3 * float(np.finfo(dtype).tiny)
    assert np.all(np.isfinite(actual)), f"{what}: non-finite values"
    small = np.abs(exact) < tiny
    assert np.all(np.abs(actual[small]) < 1e3 * tiny), what
    rel = np.abs(actual[~small] - exact[~small]) / np.abs(exact[~small])
    assert rel.max(initial=0.0) <= rtol, f"{what}: max relative error {rel.max():.3g} > {rtol:.3g}"


def test_catalogue_lists_nine_pairs_and_names_them():
    assert len(L.names()) >= 9
    for name in [
        "sigmoid",
        "tanh",
        "scaled_tanh",
        "atan",
        "isru",
        "asinh",
        "sin",
        "softplus",
        "bent_identity",
    ]:
        assert L.get(name).name == name
    assert L.get("smooth_relu") == L.get("bent_identity")


def test_unknown_name_lists_known_ones():
    with pytest.raises(ValueError, match="known: sigmoid, tanh"):
        L.get("relu6")


def test_parameters_are_checked():
    assert L.get("softplus", beta=10).parameter_values == {"beta": 10.0}
    assert L.get("softplus").parameter_values == {"beta": 1000.0}
    with pytest.raises(ValueError, match="no parameter"):
        L.get("softplus", gamma=2)
    with pytest.raises(ValueError, match="positive"):
        L.get("softplus", beta=-1)
    with pytest.raises(ValueError, match="no parameter"):
        L.get("tanh", beta=2)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pair", PAIRS, ids=IDS)
def test_dual_functions_match_sympy(pair, dtype):
    u = _dual_grid(pair, dtype)
    rtol = 64 * _eps(dtype)
    _assert_close(pair.sigma(u), _exact(pair, pair.sigma_expr, L.U, u), rtol, dtype, "sigma")
    derivative = pair.derivative_expr
    _assert_close(pair.derivative(u), _exact(pair, derivative, L.U, u), rtol, dtype, "derivative")
    log_exact = _exact(pair, sp.log(derivative), L.U, u)
    actual = np.asarray(pair.log_derivative(u), dtype=np.float64)
    assert np.all(np.abs(actual - log_exact) <= rtol * (1 + np.abs(log_exact))), "log_derivative"
    assert pair.sigma(u).dtype == dtype and pair.log_derivative(u).dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pair", PAIRS, ids=IDS)
def test_inverse_and_potentials_match_sympy(pair, dtype):
    x = _primal_grid(pair, dtype)
    rtol = 64 * _eps(dtype)
    _assert_close(pair.inverse(x), _exact(pair, pair.inverse_expr, L.X, x), rtol, dtype, "inverse")
    phi = np.asarray(pair.phi(x), np.float64)
    phi_exact = _exact(pair, pair.phi_expr, L.X, x)
    assert np.all(np.abs(phi - phi_exact) <= 4 * rtol * (1 + np.abs(phi_exact))), "phi"
    u = _dual_grid(pair, dtype)
    conj = np.asarray(pair.phi_conj(u), np.float64)
    conj_exact = _exact(pair, pair.phi_conj_expr, L.U, u)
    assert np.all(np.abs(conj - conj_exact) <= 4 * rtol * (1 + np.abs(conj_exact))), "phi_conj"


def _round_trip_tolerance(pair, x, dtype) -> np.ndarray:
    """A few ulps of x plus the propagated rounding of u = σ⁻¹(x): σ′(u)·eps·|u|."""
    u = np.asarray(pair.inverse(np.asarray(x, np.float64)))
    slope = np.asarray(pair.derivative(u))
    tiny = float(np.finfo(dtype).tiny)
    return 16 * _eps(dtype) * (np.abs(x) + slope * (1 + np.abs(u))) + tiny  # denormals flush


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pair", PAIRS, ids=IDS)
def test_bregman_identity_layer_is_exact_near_the_ends(pair, dtype):
    """σ(σ⁻¹(x)) = x: a Bregman layer with W = 0, b = 0, V = I is the identity."""
    x = _primal_grid(pair, dtype)
    back = np.asarray(pair.sigma(pair.inverse(x)))
    assert np.all(np.isfinite(pair.inverse(x))), "inverse not finite inside the interval"
    assert np.all(np.abs(back - x) <= _round_trip_tolerance(pair, x, dtype))


BATCH = 32


@settings(max_examples=12, deadline=None)
@given(data=st.data())
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pair", PAIRS, ids=IDS)
def test_round_trips_hypothesis(pair, dtype, data):
    """σ(σ⁻¹(x)) = x on batches that reach within 1e-6 of the ends, and σ⁻¹(σ(v)) = v up to
    the conditioning |σ(v)| / σ′(v) of the inverse at σ(v)."""
    lo, hi = pair.lower, pair.upper
    if np.isfinite(lo) and np.isfinite(hi):
        t = np.array(data.draw(st.lists(st.floats(1e-6, 1 - 1e-6), min_size=BATCH, max_size=BATCH)))
        x = (lo + (hi - lo) * t).astype(dtype)
    elif np.isfinite(lo):
        offsets = data.draw(st.lists(st.floats(1e-6, 1e4), min_size=BATCH, max_size=BATCH))
        x = (lo + np.array(offsets) / _scale(pair)).astype(dtype)
    else:
        x = np.array(
            data.draw(st.lists(st.floats(-30.0, 30.0), min_size=BATCH, max_size=BATCH))
        ).astype(dtype)
    # keep the batch shape fixed (a new shape recompiles every JAX primitive)
    x = np.where(np.asarray(pair.contains(x)), x, x[0]).astype(dtype)
    u = np.asarray(pair.inverse(x))
    assert np.all(np.isfinite(u))
    assert np.all(np.abs(np.asarray(pair.sigma(u)) - x) <= _round_trip_tolerance(pair, x, dtype))
    v = np.array(data.draw(st.lists(st.floats(-15.0, 15.0), min_size=BATCH, max_size=BATCH)))
    v = np.clip(v / _scale(pair), 0.999 * pair.dual_lower, 0.999 * pair.dual_upper).astype(dtype)
    y = np.asarray(pair.sigma(v))
    keep = np.asarray(pair.contains(y))
    slope = np.asarray(pair.derivative(v.astype(np.float64)))
    tol = 16 * _eps(dtype) * (np.abs(v) + np.abs(y) / slope) + float(np.finfo(dtype).tiny)
    error = np.abs(np.asarray(pair.inverse(y), np.float64) - v)
    assert np.all(error[keep] <= tol[keep])


@pytest.mark.parametrize("pair", PAIRS, ids=IDS)
def test_gradients_and_fenchel_young(pair):
    u = jnp.asarray(_dual_grid(pair, np.float64)[::3])
    x = pair.sigma(u)
    inside = np.asarray(pair.contains(x))
    u, x = u[inside], x[inside]
    grad_phi = jax.vmap(jax.grad(pair.phi))(x)
    grad_conj = jax.vmap(jax.grad(pair.phi_conj))(u)
    np.testing.assert_allclose(grad_conj, x, rtol=1e-9, atol=1e-12)
    # ∇φ(x) is conditioned by φ″(x) = 1/σ′(u): compare where σ′(u) > 1e-6
    conditioned = np.asarray(pair.derivative(u)) > 1e-6
    np.testing.assert_allclose(
        grad_phi[conditioned], pair.inverse(x)[conditioned], rtol=1e-6, atol=1e-9
    )
    fenchel = pair.phi(x) + pair.phi_conj(u) - x * u
    assert np.max(np.abs(fenchel) / (1 + np.abs(x * u))) < 1e-9
    # σ′ is the autodiff derivative of σ (where autodiff's 1 − σ² does not cancel)
    autodiff = jax.vmap(jax.grad(pair.sigma))(u)
    reliable = np.asarray(pair.derivative(u)) > 1e-4
    np.testing.assert_allclose(autodiff[reliable], pair.derivative(u)[reliable], rtol=1e-9)


@pytest.mark.parametrize("pair", PAIRS, ids=IDS)
def test_lipschitz_constant_is_the_dense_maximum_of_the_derivative(pair):
    lo, hi = max(pair.dual_lower, -1e4), min(pair.dual_upper, 1e4)
    grid = np.concatenate([np.linspace(lo, hi, 200_001), np.linspace(-1, 1, 20_001)])
    grid = grid[(grid > pair.dual_lower) & (grid < pair.dual_upper)]
    dense_max = float(np.max(pair.derivative(jnp.asarray(grid))))
    assert dense_max <= pair.lipschitz * (1 + 1e-12)
    assert dense_max >= pair.lipschitz * (1 - 1e-3)


def test_lipschitz_constants_in_closed_form():
    a, b = sp.Symbol("a", positive=True), sp.Symbol("b", positive=True)
    assert L.get("sigmoid").lipschitz_expr == sp.Rational(1, 4)
    assert sp.simplify(L.get("scaled_tanh").lipschitz_expr - a * b) == 0
    assert L.get("softplus").lipschitz_at == sp.oo


def test_official_package_inverses_are_wrong_and_ours_are_right():
    """bregmanet 1.0.0 uses log(x/(1+x)) for the sigmoid and x + 1/x for the bent identity."""
    x = np.linspace(0.05, 0.95, 19)
    sigmoid = L.get("sigmoid")
    np.testing.assert_allclose(sigmoid.inverse(x), np.log(x / (1 - x)), rtol=1e-13, atol=1e-15)
    assert np.max(np.abs(sigmoid.sigma(np.log(x / (1 + x))) - x)) > 0.1
    bent = L.get("bent_identity")
    y = np.linspace(0.1, 5.0, 50)
    np.testing.assert_allclose(bent.sigma(bent.inverse(y)), y, rtol=1e-14)
    assert np.max(np.abs(bent.sigma(y + 1 / y) - y)) > 0.5


@pytest.mark.parametrize("pair", PAIRS, ids=IDS)
def test_outside_the_interval(pair):
    lo, hi = pair.lower, pair.upper
    outside = np.array(
        [lo - 1.0 if np.isfinite(lo) else np.nan, hi + 1.0 if np.isfinite(hi) else np.nan]
    )
    outside = outside[np.isfinite(outside)]
    if outside.size == 0:
        return
    assert np.all(np.isnan(pair.inverse(outside)))
    with pytest.raises(L.DomainError, match="outside its interval"):
        pair.inverse_checked(outside)
    with pytest.raises(Exception, match="outside its interval"):
        jax.jit(pair.inverse_checked)(jnp.asarray(outside)).block_until_ready()
    for dtype in DTYPES:
        clamped = pair.inverse_clamped(outside.astype(dtype))
        assert np.all(np.isfinite(clamped)) and clamped.dtype == dtype
        assert np.all(pair.contains(pair.clamp(outside.astype(dtype))))
    ends = np.array([e for e in (lo, hi) if np.isfinite(e)])
    np.testing.assert_allclose(
        pair.clamp(ends, margin=0.25),
        ends + np.sign(-ends + (lo + hi) / 2 if np.isfinite(lo + hi) else 1.0) * 0.25,
    )
    inside = _primal_grid(pair, np.float64)[5:8]
    np.testing.assert_array_equal(pair.inverse_checked(inside), pair.inverse(inside))


def test_sin_is_restricted_and_flagged():
    sin = L.get("sin")
    assert not sin.legendre and "Restricted" in sin.note
    assert (sin.dual_lower, sin.dual_upper) == (-math.pi / 2, math.pi / 2)
    u = np.array([-4.0, -2.0, 2.0, 4.0])
    np.testing.assert_array_equal(sin.sigma(u), [-1.0, -1.0, 1.0, 1.0])
    np.testing.assert_array_equal(sin.derivative(u), 0.0)
    assert np.all(np.isneginf(sin.log_derivative(u)))
    np.testing.assert_allclose(sin.inverse(sin.sigma(u)), np.sign(u) * math.pi / 2)
    # inside, sin and arcsin are inverse bijections
    v = np.linspace(-1.5, 1.5, 31)
    np.testing.assert_allclose(sin.inverse(sin.sigma(v)), v, atol=1e-12)


def test_user_pair_from_sigma_alone():
    t = sp.Symbol("t", real=True)
    pair = L.from_sigma("half_tanh", 2 / (1 + sp.exp(-t)) - 1)
    assert (pair.lower, pair.upper) == (-1.0, 1.0)
    assert pair.lipschitz_expr == sp.Rational(1, 2) and pair.lipschitz_at == 0
    x = np.linspace(-0.99, 0.99, 41)
    np.testing.assert_allclose(pair.inverse(x), 2 * np.arctanh(x), rtol=1e-12)
    u = np.linspace(-10, 10, 41)
    np.testing.assert_allclose(pair.sigma(u), np.tanh(u / 2), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(pair.derivative(u), 0.5 * (1 - np.tanh(u / 2) ** 2), rtol=1e-9)
    fy = pair.phi(pair.sigma(u)) + pair.phi_conj(u) - u * pair.sigma(u)
    assert np.max(np.abs(fy)) < 1e-9
    registered = L.register(pair, overwrite=True)
    try:
        assert L.get("half_tanh") is registered and "half_tanh" in L.names()
        with pytest.raises(ValueError, match="already exists"):
            L.register(pair)
    finally:
        L.unregister("half_tanh")
    assert "half_tanh" not in L.names()


def test_user_pair_with_supplied_inverse_and_quadrature_potential():
    u, x = sp.symbols("u x", real=True)
    sigma = u + sp.tanh(u)
    with pytest.raises(ValueError, match="pass inverse="):
        L.from_sigma("u_plus_tanh", sigma, u)
    with pytest.raises(ValueError, match="does not satisfy"):
        L.from_sigma(
            "bad_inverse", 1 / (1 + sp.exp(-u)), u, inverse=sp.log(x / (1 + x)), inverse_variable=x
        )
    pair = L.from_sigma(
        "logistic", 1 / (1 + sp.exp(-u)), u, inverse=sp.log(x / (1 - x)), inverse_variable=x
    )
    assert pair.lipschitz == 0.25


def test_refuses_sigma_that_is_not_a_bijection_onto_an_interval():
    u = sp.Symbol("u", real=True)
    with pytest.raises(ValueError, match="not increasing"):
        L.from_sigma("sine", sp.sin(u))
    with pytest.raises(ValueError, match="not increasing"):
        L.from_sigma("cube", u**3)
    with pytest.raises(ValueError, match="not increasing"):
        L.from_sigma("decreasing", -sp.atan(u))
    with pytest.raises(ValueError, match="continuous"):
        L.from_sigma("jump", sp.atan(u) + sp.sign(u))
    with pytest.raises(TypeError, match="SymPy expression"):
        L.from_sigma("lambda", lambda v: v)


@pytest.mark.parametrize("pair", PAIRS, ids=IDS)
def test_values_at_the_ends(pair):
    """σ⁻¹ is ±inf at the finite ends of I (not NaN); σ, σ′ and log σ′ are defined at ±inf."""
    ends = np.array([pair.lower, pair.upper])
    inverse = np.asarray(pair.inverse(ends))
    assert not np.any(np.isnan(inverse))
    assert (inverse[0] < -1e15 and inverse[1] > 1e15) or not pair.legendre
    if pair.legendre:
        infinities = np.array([-np.inf, np.inf])
        np.testing.assert_array_equal(pair.sigma(infinities), ends)
        assert not np.any(np.isnan(pair.derivative(infinities)))
        assert not np.any(np.isnan(pair.log_derivative(infinities)))


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "atan", "softplus"])
def test_max_inverse_slope_is_the_largest_one_over_slope_between_the_ends(name):
    """max (σ⁻¹)′ over σ([a, b]) = max 1/σ′ on [a, b], reached at an end (σ′ unimodal)."""
    pair = L.get(name)
    for a, b in [(-0.3, 0.2), (0.5, 2.0), (-3.0, -1.0)]:
        grid = np.linspace(a, b, 2001)
        expected = float(np.max(1.0 / np.asarray(pair.derivative(grid))))
        actual = float(pair.max_inverse_slope(np.array([b, a])))
        assert actual == pytest.approx(expected, rel=1e-12)
