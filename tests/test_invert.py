"""Certificates, parametrisations, solvers, implicit gradients and log-determinants of
bregmalib.invert on `bregmalib.nn` layers and networks (float64 unless a dtype is given)."""

import itertools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _networks import inside, random_layer, random_network
from hypothesis import given, settings
from hypothesis import strategies as st

from bregmalib import invert as inv
from bregmalib import legendre
from bregmalib.invert._certificates import p_matrix_certificate
from bregmalib.nn import Layer, make_mlp, network_from_arrays
from bregmalib.nn import functional as F

TANH = legendre.get("tanh")
SEEDS = st.integers(0, 2**31 - 1)


def layer(w, pair=TANH, b=None) -> Layer:
    """The Bregman layer (W, b, V = I) of ``pair``."""
    w = jnp.asarray(w)
    bias = jnp.zeros(w.shape[0], w.dtype) if b is None else jnp.asarray(b, w.dtype)
    return Layer(w, bias, None, pair, "bregman")


def random_monotone(n: int, norm: float, pair, seed: int) -> np.ndarray:
    """A monotone W (margin 0.1) of spectral norm ``norm``."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(n, n)) / np.sqrt(n), rng.normal(size=(n, n)) / np.sqrt(n)
    return np.asarray(inv.monotone_weight_with_norm(a, b, pair, norm))


def certify(w, pair=TANH, **options):
    return inv.certify_invertibility(layer(w, pair), **options)


# ----- certificates ---------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(seed=SEEDS, n=st.integers(1, 5), scale=st.floats(0.05, 3.0))
def test_certificates_are_nested(seed: int, n: int, scale: float) -> None:
    """(a) ⇒ (b) ⇒ (c) on random matrices, for a pair with L_σ ≠ 1."""
    pair = legendre.get("sigmoid")
    certs = certify(scale * np.random.default_rng(seed).normal(size=(n, n)), pair)
    if certs["contraction"].holds:
        assert certs["monotone"].holds
    if certs["monotone"].holds:
        assert certs["vertex"].holds


def test_two_by_two_examples_separate_the_conditions() -> None:
    certs = certify(np.array([[0.0, 3.0], [0.0, 0.0]]))
    assert certs["vertex"].holds and not certs["monotone"].holds
    certs = certify(5.0 * np.eye(2))
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
    cert = certify(w, conditions=("vertex",))["vertex"]
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
    bad = layer(np.array([[0.0, 2.0], [2.0, 0.0]]))
    cert = inv.certify_invertibility(bad)["vertex"]
    assert cert.verdict == "not_invertible"
    assert cert.witness == (1.0, 1.0)
    a = 1.0
    for _ in range(200):
        a = 2.0 * np.tanh(2.0 * np.tanh(a))
    other = jnp.array([a, -2.0 * np.tanh(a)])
    assert np.abs(F.dual_forward(bad, other)).max() < 1e-12
    assert np.abs(other).min() > 1.0


def test_p_matrix_tests_beyond_exact_size() -> None:
    cert = certify(random_monotone(20, 6.0, TANH, seed=3))["vertex"]
    assert not cert.exact and cert.holds
    bad = 0.1 * np.random.default_rng(0).normal(size=(20, 20))
    bad[3, 7] = bad[7, 3] = 3.0
    refuted = certify(bad, conditions=("vertex",))["vertex"]
    assert refuted.verdict == "not_invertible"
    mask = np.array(refuted.witness, dtype=bool)
    sub = np.eye(20)[np.ix_(mask, mask)] + bad[np.ix_(mask, mask)]
    assert np.linalg.det(sub) < 0


def test_diagonal_scaling_certifies_a_non_monotone_p_matrix() -> None:
    """Nine blocks [[1, 4], [−1, 1]] (det 5): a P-matrix, neither (b) nor an H-matrix
    (Jacobi radius 2), but Δ = diag(1, 4, …) makes sym(ΔM) ≻ 0, found by the scaled test."""
    block = np.array([[1.0, 4.0], [-1.0, 1.0]])
    m = np.kron(np.eye(9), block)
    cert = p_matrix_certificate(m - np.eye(18), TANH)
    assert cert.condition == "p_matrix_diagonal_scaling" and cert.holds
    scale = np.array(cert.witness)
    product = scale[:, None] * m
    assert np.linalg.eigvalsh(0.5 * (product + product.T))[0] > 0
    assert not certify(m - np.eye(18), conditions=("monotone",))["monotone"].holds


def test_network_certificates_skip_layers_that_cannot_be_bijections() -> None:
    """An MLP 3 → 5 → 5: layer 0 (non-square, V ≠ I) is skipped with its reason, layer 1 gets
    the margins of its own W (contraction margin 1 − ‖W₁‖₂, computed here by numpy)."""
    model = make_mlp("tanh", (3, 5, 5), 2, "bregman", key=jax.random.key(0), dtype=jnp.float64)
    report = inv.certify_invertibility(model)
    assert [entry["layer"] for entry in report] == [0, 1]
    assert "not square" in report[0]["skipped"]
    expected = 1.0 - np.linalg.norm(np.asarray(model.hidden[1].weight), 2)
    assert report[1]["certificates"]["contraction"].margin == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda: random_layer("tanh", "bregman", 3, 2), ValueError, "not square"),
        (lambda: random_layer("tanh", "bregman", 3, 3, square_mixing=True), ValueError, "V ≠ I"),
        (lambda: random_layer("tanh", "euclidean", 3, 3), ValueError, "only Bregman"),
        (lambda: random_layer("tanh", "standard", 3, 3), ValueError, "only Bregman"),
        (lambda: jnp.eye(3), TypeError, "bregmalib.nn"),
    ],
)
def test_layers_that_are_not_inverted_give_one_clear_error(build, error, match) -> None:
    model = build()
    with pytest.raises(error, match=match):
        inv.solve_dual(model, jnp.zeros(3))
    with pytest.raises(error, match=match):
        inv.certify_invertibility(model)


def test_target_errors() -> None:
    square = random_layer("tanh", "bregman", 2, 2)
    with pytest.raises(TypeError, match="float16"):
        inv.solve_dual(square, jnp.zeros(2, jnp.float16))
    with pytest.raises(ValueError, match="shape"):
        inv.solve_dual(square, jnp.zeros(3))
    with pytest.raises(ValueError, match="unknown inversion method"):
        inv.solve_dual(square, jnp.zeros(2), method="bisection")
    with pytest.raises(ValueError, match="unknown conditions"):
        inv.certify_invertibility(square, conditions=("lipschitz",))
    with pytest.raises(legendre.DomainError):
        inv.invert(layer(np.eye(2)), np.array([0.0, 1.5]))


# ----- parametrisations -----------------------------------------------------------------------
@settings(max_examples=8, deadline=None)
@given(seed=SEEDS, n=st.integers(1, 8), margin=st.floats(0.01, 1.0))
def test_parametrisations_guarantee_their_certificate(seed: int, n: int, margin: float) -> None:
    """The monotone margin 1/L + λ_min(sym W) ≥ m, by numpy's eigenvalues and by the
    certificate (which must agree); the contractive weight has L‖W‖₂ ≤ c by numpy's SVD."""
    rng = np.random.default_rng(seed)
    pair = legendre.get("sigmoid")
    a, b = 3.0 * rng.normal(size=(n + 1, n)), 3.0 * rng.normal(size=(n, n))
    w = np.asarray(inv.monotone_weight(a, b, pair, margin=margin))
    independent = 1.0 / pair.lipschitz + np.linalg.eigvalsh(0.5 * (w + w.T))[0]
    assert independent >= margin - 1e-9
    cert = certify(w, pair, conditions=("monotone",))["monotone"]
    assert cert.margin == pytest.approx(independent, rel=1e-9, abs=1e-9)
    c = inv.contractive_weight(10.0 * rng.normal(size=(n, n)), pair, coefficient=0.9)
    assert pair.lipschitz * np.linalg.norm(np.asarray(c), 2) <= 0.9 + 1e-9
    with pytest.raises(ValueError, match="margin"):
        inv.monotone_weight(a, b, pair, margin=0.0)


# ----- solvers --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["tanh", "sigmoid", "asinh"])
def test_newton_inverts_monotone_layers_beyond_contraction(name: str) -> None:
    pair = legendre.get(name)
    n = 12
    rng = np.random.default_rng(2)
    monotone = layer(random_monotone(n, 8.0, pair, seed=1), pair, rng.normal(size=n))
    assert not inv.certify_invertibility(monotone, conditions=("contraction",))[
        "contraction"
    ].holds
    u_true = 2.0 * rng.normal(size=n)
    v = F.dual_forward(monotone, u_true)
    starts = 5.0 * rng.normal(size=(10, n))
    results = jax.vmap(lambda u0: inv.solve_dual(monotone, v, u0=u0, throw=False))(starts)
    assert bool(results.converged.all())
    assert float(results.residual.max()) <= 1e-10
    assert int(results.iterations.max()) <= 15
    assert np.abs(np.asarray(results.dual) - u_true).max() < 1e-8


def test_primal_round_trip_of_a_layer_and_a_dense() -> None:
    n = 6
    rng = np.random.default_rng(5)
    square = layer(random_monotone(n, 4.0, TANH, seed=4), TANH, rng.normal(size=n))
    x = rng.uniform(-0.9, 0.9, size=n)
    result = inv.invert(square, F.forward(square, x))
    assert np.abs(np.asarray(result.primal) - x).max() <= 1e-9
    model = make_mlp("atan", (4, 4, 4), 2, "bregman", key=jax.random.key(1), dtype=jnp.float64)
    x = jnp.array([0.3, -0.2, 0.5, 0.1])
    dense = model.hidden[0]
    assert float(jnp.max(jnp.abs(inv.invert(dense, dense(x)).primal - x))) <= 1e-9


def test_fixed_point_converges_under_contraction_and_is_flagged_otherwise() -> None:
    n = 8
    rng = np.random.default_rng(6)
    b, u_true = rng.normal(size=n), rng.normal(size=n)
    contractive = layer(inv.contractive_weight(rng.normal(size=(n, n)), TANH, 0.9), TANH, b)
    v = F.dual_forward(contractive, u_true)
    fixed = inv.solve_dual(contractive, v, method="fixed_point", max_iter=500)
    assert bool(fixed.converged) and np.abs(np.asarray(fixed.dual) - u_true).max() < 1e-9
    big = layer(random_monotone(n, 8.0, TANH, seed=7), TANH, b)
    v_big = F.dual_forward(big, u_true)
    flagged = inv.solve_dual(big, v_big, method="fixed_point", throw=False)
    assert not bool(flagged.converged) and float(flagged.residual) > 1e-10
    with pytest.raises(inv.InversionError, match="did not reach"):
        inv.solve_dual(big, v_big, method="fixed_point")
    jitted = jax.jit(lambda v: inv.solve_dual(big, v, method="fixed_point").dual)
    with pytest.raises((eqx.EquinoxRuntimeError, jax.errors.JaxRuntimeError), match="did not"):
        jitted(v_big)


def test_float32_inversion() -> None:
    n = 8
    rng = np.random.default_rng(9)
    w = random_monotone(n, 5.0, TANH, seed=8).astype(np.float32)
    single = layer(w, TANH, rng.normal(size=n).astype(np.float32))
    u_true = rng.normal(size=n).astype(np.float32)
    result = inv.solve_dual(single, F.dual_forward(single, u_true))
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
        u = inv.inverse_dual(layer(w, pair, b), v, tol=1e-13)
        return jnp.dot(probe, jnp.sin(u))

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
def test_log_det_of_a_network_matches_autodiff(name: str) -> None:
    """log|det| of three square Bregman layers against slogdet of jax.jacfwd of the network's
    hidden output (through the core's primal forward)."""
    params = {"beta": 2.0} if name == "softplus" else {}
    net = random_network(name, "bregman", (5, 5, 5, 5), seed=12, head=None, **params)
    x = jnp.asarray(inside(net.pair, np.random.default_rng(13), 5))

    def hidden(x):
        for lay in net.layers:
            x = F.forward(lay, x)
        return x

    expected = jnp.linalg.slogdet(jax.jacfwd(hidden)(x))[1]
    assert float(inv.log_abs_det(net, x)) == pytest.approx(float(expected), rel=1e-9, abs=1e-12)
    first = net.layers[0]
    assert float(inv.log_abs_det(first, x)) == pytest.approx(
        float(jnp.linalg.slogdet(jax.jacfwd(lambda x: F.forward(first, x))(x))[1]), rel=1e-9
    )


def test_series_estimate_within_its_bias_and_noise() -> None:
    n = 32
    rng = np.random.default_rng(14)
    w = inv.contractive_weight(rng.normal(size=(n, n)), TANH, coefficient=0.5)
    contractive = layer(w)
    u = rng.normal(size=n)
    exact = float(jnp.linalg.slogdet(np.eye(n) + np.asarray(w) * (1.0 - np.tanh(u) ** 2))[1])
    estimate = inv.series_log_det(contractive, u, jax.random.key(0), n_terms=20, n_probes=256)
    error = abs(float(estimate.estimate) - exact)
    q = np.linalg.norm(np.asarray(w) * (1.0 - np.tanh(u) ** 2)[None, :], 2)
    assert float(estimate.contraction) == pytest.approx(q, rel=1e-12)
    assert error <= float(estimate.truncation_bound) + 5.0 * float(estimate.standard_error)
    short = inv.series_log_det(contractive, u, jax.random.key(0), n_terms=1, n_probes=256)
    assert float(short.truncation_bound) > float(estimate.truncation_bound)


# ----- networks -------------------------------------------------------------------------------
def test_network_inverse_layer_by_layer() -> None:
    n = 6
    rng = np.random.default_rng(15)
    ws = [random_monotone(n, 5.0, TANH, seed=s) for s in range(3)]
    net = network_from_arrays(ws, [rng.normal(size=n) for _ in ws], TANH, "bregman")
    u0 = rng.normal(size=n)
    v = F.forward_trace(net, u0)[-1][1]
    result = inv.invert(net, v, dual=True)
    assert bool(result.converged) and len(result.layers) == 3
    assert np.abs(np.asarray(result.dual) - u0).max() < 1e-9
    primal = inv.invert(net, TANH.sigma(v))
    assert np.abs(np.asarray(primal.primal) - np.asarray(TANH.sigma(u0))).max() <= 1e-9
    with pytest.raises(ValueError, match=r"layer 0: .*not square"):
        inv.invert(random_network("tanh", "bregman", (3, 4, 4)), jnp.zeros(4))
