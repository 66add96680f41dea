"""Certificates, parametrisations, solvers, implicit gradients and log-determinants of
bregmalib.invert (float64 unless a dtype is given)."""

import itertools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bregmalib import invert as inv
from bregmalib import legendre

TANH = legendre.get("tanh")
SEEDS = st.integers(0, 2**31 - 1)


def random_monotone(n: int, norm: float, pair, seed: int) -> np.ndarray:
    """A monotone W (margin 0.1/…) rescaled through its PSD and skew parts to ‖W‖₂ = norm."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(n, n)) / np.sqrt(n), rng.normal(size=(n, n)) / np.sqrt(n)
    base = np.asarray(inv.monotone_weight(a, b, pair, margin=1.0 / pair.lipschitz))
    shift = (1.0 / pair.lipschitz - 0.1) * np.eye(n)
    lo, hi = 0.0, 1.0
    while np.linalg.norm(hi * base - shift, 2) < norm:
        hi *= 2.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if np.linalg.norm(mid * base - shift, 2) < norm else (lo, mid)
    return hi * base - shift


# ----- certificates ---------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(seed=SEEDS, n=st.integers(1, 5), scale=st.floats(0.05, 3.0))
def test_certificates_are_nested(seed: int, n: int, scale: float) -> None:
    """(a) ⇒ (b) ⇒ (c) on random matrices, for a pair with L_σ ≠ 1."""
    pair = legendre.get("sigmoid")
    w = scale * np.random.default_rng(seed).normal(size=(n, n))
    certs = inv.certify(w, pair)
    if certs["contraction"].holds:
        assert certs["monotone"].holds
    if certs["monotone"].holds:
        assert certs["vertex"].holds


def test_two_by_two_examples_separate_the_conditions() -> None:
    vertex_only = np.array([[0.0, 3.0], [0.0, 0.0]])
    certs = inv.certify(vertex_only, TANH)
    assert certs["vertex"].holds and not certs["monotone"].holds
    monotone_only = 5.0 * np.eye(2)
    certs = inv.certify(monotone_only, TANH)
    assert certs["monotone"].holds and not certs["contraction"].holds
    assert certs["monotone"].margin == pytest.approx(6.0)
    assert certs["contraction"].margin == pytest.approx(-4.0)


@settings(max_examples=25, deadline=None)
@given(seed=SEEDS, n=st.integers(1, 6), scale=st.floats(0.1, 2.0))
def test_vertex_margin_is_the_minimum_over_the_box(seed: int, n: int, scale: float) -> None:
    """det(I + WD) over random D ∈ [0, L]ⁿ never goes below the vertex margin, and the margin is
    attained at the reported witness vertex when it is negative."""
    rng = np.random.default_rng(seed)
    w = scale * rng.normal(size=(n, n))
    cert = inv.vertex_certificate(w, TANH)
    d = rng.uniform(0.0, TANH.lipschitz, size=(500, n))
    dets = np.linalg.det(np.eye(n)[None] + w[None] * d[:, None, :])
    assert dets.min() >= cert.margin - 1e-9
    brute = min(
        np.linalg.det(np.eye(n) + w * np.array(v)[None, :])
        for v in itertools.product([0.0, 1.0], repeat=n)
    )
    assert cert.margin == pytest.approx(min(1.0, brute), rel=1e-9, abs=1e-12)
    if cert.witness is not None:
        at_witness = np.linalg.det(np.eye(n) + w * np.array(cert.witness)[None, :])
        assert at_witness == pytest.approx(cert.margin, rel=1e-9, abs=1e-12)


def test_negative_vertex_refutes_injectivity() -> None:
    """W = [[0, 2], [2, 0]], tanh: det(I + W) = −3 < 0; F(u) = 0 has the solutions 0 and
    (a, −2 tanh a) with a = 2 tanh(2 tanh a) ≠ 0, so the layer is not injective."""
    w = np.array([[0.0, 2.0], [2.0, 0.0]])
    cert = inv.vertex_certificate(w, TANH)
    assert cert.verdict == inv.NOT_INVERTIBLE
    assert cert.witness == (1.0, 1.0)
    a = 1.0
    for _ in range(200):
        a = 2.0 * np.tanh(2.0 * np.tanh(a))
    other = jnp.array([a, -2.0 * np.tanh(a)])
    zero = jnp.zeros(2)
    assert np.abs(inv.dual_forward(w, zero, TANH, other)).max() < 1e-12
    assert np.abs(other).min() > 1.0


def test_p_matrix_tests_beyond_exact_size() -> None:
    w = random_monotone(20, 6.0, TANH, seed=3)
    cert = inv.vertex_certificate(w, TANH)
    assert not cert.exact and cert.holds
    bad = 0.1 * np.random.default_rng(0).normal(size=(20, 20))
    bad[3, 7] = bad[7, 3] = 3.0
    refuted = inv.vertex_certificate(bad, TANH)
    assert refuted.verdict == inv.NOT_INVERTIBLE
    mask = np.array(refuted.witness, dtype=bool)
    sub = np.eye(20)[np.ix_(mask, mask)] + bad[np.ix_(mask, mask)]
    assert np.linalg.det(sub) < 0


def test_diagonal_scaling_certifies_a_non_monotone_p_matrix() -> None:
    """Nine blocks [[1, 4], [−1, 1]] (det 5): a P-matrix, neither (b) nor an H-matrix
    (Jacobi radius 2), but Δ = diag(1, 4, …) makes sym(ΔM) ≻ 0, found by the scaled test."""
    block = np.array([[1.0, 4.0], [-1.0, 1.0]])
    m = np.kron(np.eye(9), block)
    cert = inv.p_matrix_certificate(m - np.eye(18), TANH)
    assert cert.condition == "p_matrix_diagonal_scaling" and cert.holds
    scale = np.array(cert.witness)
    product = scale[:, None] * m
    assert np.linalg.eigvalsh(0.5 * (product + product.T))[0] > 0
    assert not inv.monotone_certificate(m - np.eye(18), TANH).holds


def test_certificate_input_errors() -> None:
    with pytest.raises(ValueError, match="square"):
        inv.certify(np.ones((2, 3)), TANH)
    with pytest.raises(TypeError, match="LegendrePair"):
        inv.contraction_certificate(np.eye(2), "tanh")


# ----- parametrisations -----------------------------------------------------------------------
@settings(max_examples=8, deadline=None)
@given(seed=SEEDS, n=st.integers(1, 8), margin=st.floats(0.01, 1.0))
def test_parametrisations_guarantee_their_certificate(seed: int, n: int, margin: float) -> None:
    rng = np.random.default_rng(seed)
    pair = legendre.get("sigmoid")
    a, b = 3.0 * rng.normal(size=(n + 1, n)), 3.0 * rng.normal(size=(n, n))
    w = inv.monotone_weight(a, b, pair, margin=margin)
    assert inv.monotone_certificate(w, pair).margin >= margin - 1e-9
    c = inv.contractive_weight(10.0 * rng.normal(size=(n, n)), pair, coefficient=0.9)
    assert pair.lipschitz * np.linalg.norm(np.asarray(c), 2) <= 0.9 + 1e-9
    with pytest.raises(ValueError, match="margin"):
        inv.monotone_weight(a, b, pair, margin=0.0)


# ----- solvers --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["tanh", "sigmoid", "asinh"])
def test_newton_inverts_monotone_layers_beyond_contraction(name: str) -> None:
    pair = legendre.get(name)
    n = 12
    w = random_monotone(n, 8.0, pair, seed=1)
    assert not inv.contraction_certificate(w, pair).holds
    rng = np.random.default_rng(2)
    b, u_true = rng.normal(size=n), 2.0 * rng.normal(size=n)
    v = inv.dual_forward(w, b, pair, u_true)
    starts = 5.0 * rng.normal(size=(10, n))
    results = jax.vmap(lambda u0: inv.solve_dual(w, b, pair, v, u0=u0, throw=False))(starts)
    assert bool(results.converged.all())
    assert float(results.residual.max()) <= 1e-10
    assert int(results.iterations.max()) <= 15
    assert np.abs(np.asarray(results.dual) - u_true).max() < 1e-8


def test_primal_round_trip() -> None:
    n = 6
    w = random_monotone(n, 4.0, TANH, seed=4)
    rng = np.random.default_rng(5)
    b, x = rng.normal(size=n), rng.uniform(-0.9, 0.9, size=n)
    y = inv.layer_forward(w, b, TANH, x)
    result = inv.invert_layer(w, b, TANH, y)
    assert np.abs(np.asarray(result.primal) - x).max() <= 1e-9


def test_fixed_point_converges_under_contraction_and_is_flagged_otherwise() -> None:
    n = 8
    rng = np.random.default_rng(6)
    raw = rng.normal(size=(n, n))
    w = inv.contractive_weight(raw, TANH, coefficient=0.9)
    b, u_true = rng.normal(size=n), rng.normal(size=n)
    v = inv.dual_forward(w, b, TANH, u_true)
    fixed = inv.solve_dual(w, b, TANH, v, method="fixed_point", max_iter=500)
    assert bool(fixed.converged) and np.abs(np.asarray(fixed.dual) - u_true).max() < 1e-9
    big = random_monotone(n, 8.0, TANH, seed=7)
    v_big = inv.dual_forward(big, b, TANH, u_true)
    flagged = inv.solve_dual(big, b, TANH, v_big, method="fixed_point", throw=False)
    assert not bool(flagged.converged) and float(flagged.residual) > 1e-10
    with pytest.raises(inv.InversionError, match="did not reach"):
        inv.solve_dual(big, b, TANH, v_big, method="fixed_point")
    jitted = jax.jit(lambda v: inv.solve_dual(big, b, TANH, v, method="fixed_point").dual)
    with pytest.raises((eqx.EquinoxRuntimeError, jax.errors.JaxRuntimeError), match="did not"):
        jitted(v_big)


def test_solver_input_errors() -> None:
    with pytest.raises(ValueError, match="unknown inversion method"):
        inv.solve_dual(np.eye(2), np.zeros(2), TANH, np.zeros(2), method="bisection")
    with pytest.raises(ValueError, match="shape"):
        inv.solve_dual(np.eye(2), np.zeros(3), TANH, np.zeros(2))
    with pytest.raises(legendre.DomainError):
        inv.invert_layer(np.eye(2), np.zeros(2), TANH, np.array([0.0, 1.5]))


def test_float32_inversion() -> None:
    n = 8
    w = random_monotone(n, 5.0, TANH, seed=8).astype(np.float32)
    rng = np.random.default_rng(9)
    b = rng.normal(size=n).astype(np.float32)
    u_true = rng.normal(size=n).astype(np.float32)
    v = inv.dual_forward(w, b, TANH, u_true)
    result = inv.solve_dual(w, b, TANH, v)
    assert result.dual.dtype == jnp.float32
    assert np.abs(np.asarray(result.dual) - u_true).max() < 1e-3


# ----- implicit differentiation ---------------------------------------------------------------
def test_implicit_gradient_matches_finite_differences() -> None:
    n = 5
    pair = legendre.get("atan")
    w = random_monotone(n, 4.0, pair, seed=10)
    rng = np.random.default_rng(11)
    b, v, probe = rng.normal(size=n), rng.normal(size=n), rng.normal(size=n)

    def loss(w, b, v):
        return jnp.dot(probe, jnp.sin(inv.inverse_dual(w, b, pair, v, tol=1e-13)))

    grads = jax.grad(loss, argnums=(0, 1, 2))(jnp.asarray(w), jnp.asarray(b), jnp.asarray(v))
    eps = 1e-6
    for index, (arg, grad) in enumerate(zip((w, b, v), grads, strict=True)):
        direction = rng.normal(size=arg.shape)
        args_plus, args_minus = [w, b, v], [w, b, v]
        args_plus[index] = arg + eps * direction
        args_minus[index] = arg - eps * direction
        fd = (loss(*args_plus) - loss(*args_minus)) / (2 * eps)
        assert float(jnp.sum(grad * direction)) == pytest.approx(float(fd), rel=1e-6, abs=1e-8)


# ----- log-determinants -----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["tanh", "sigmoid", "softplus", "bent_identity"])
def test_log_det_formula_matches_autodiff(name: str) -> None:
    pair = legendre.get(name, **({"beta": 2.0} if name == "softplus" else {}))
    n = 6
    rng = np.random.default_rng(12)
    w = random_monotone(n, 3.0, pair, seed=13)
    b, u = rng.normal(size=n), rng.normal(size=n)
    x = pair.sigma(u)
    jac = jax.jacfwd(lambda x: inv.layer_forward(w, b, pair, x))(x)
    expected = jnp.linalg.slogdet(jac)[1]
    assert float(inv.log_abs_det_jacobian(w, b, pair, x)) == pytest.approx(float(expected), 1e-9)
    assert float(inv.log_abs_det_from_dual(w, b, pair, u)) == pytest.approx(float(expected), 1e-9)
    dual_jac = jax.jacfwd(lambda u: inv.dual_forward(w, b, pair, u))(u)
    assert float(inv.dual_log_abs_det(w, pair, u)) == pytest.approx(
        float(jnp.linalg.slogdet(dual_jac)[1]), rel=1e-9, abs=1e-12
    )


def test_series_estimate_within_its_bias_and_noise() -> None:
    n = 32
    rng = np.random.default_rng(14)
    w = inv.contractive_weight(rng.normal(size=(n, n)), TANH, coefficient=0.5)
    u = rng.normal(size=n)
    exact = float(inv.dual_log_abs_det(w, TANH, u))
    estimate = inv.series_log_det(w, TANH, u, jax.random.key(0), n_terms=20, n_probes=256)
    error = abs(float(estimate.estimate) - exact)
    assert float(estimate.contraction) < 0.5 + 1e-12
    assert error <= float(estimate.truncation_bound) + 5.0 * float(estimate.standard_error)
    short = inv.series_log_det(w, TANH, u, jax.random.key(0), n_terms=1, n_probes=256)
    assert float(short.truncation_bound) > float(estimate.truncation_bound)


# ----- networks -------------------------------------------------------------------------------
def test_network_inverse_layer_by_layer() -> None:
    n = 6
    rng = np.random.default_rng(15)
    layers = [(random_monotone(n, 5.0, TANH, seed=s), rng.normal(size=n)) for s in range(3)]
    u0 = rng.normal(size=n)
    v = inv.network_dual_forward(layers, TANH, u0)
    result = inv.invert_network_dual(layers, TANH, v)
    assert bool(result.converged) and len(result.layers) == 3
    assert np.abs(np.asarray(result.dual) - u0).max() < 1e-9
    x0 = TANH.sigma(u0)
    primal = inv.invert_network(layers, TANH, TANH.sigma(v))
    assert np.abs(np.asarray(primal.primal) - np.asarray(x0)).max() <= 1e-9
