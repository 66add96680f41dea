"""The functional core against autodiff and against its own algebra, for every pair, version
and mixing; and the validation of layers and networks where they are built."""

import functools
import itertools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _networks import inside, random_layer, random_network
from hypothesis import given, settings
from hypothesis import strategies as st

from bregmalib import legendre
from bregmalib.nn import Layer, Network, as_network, make_mlp, network_from_arrays
from bregmalib.nn import functional as F

VERSIONS = ("bregman", "standard", "euclidean")
SHAPES = {"square": (4, 4, False), "mixed": (5, 3, False), "square_mixed": (4, 4, True)}


def _case(name: str, version: str, shape: str, seed: int = 0):
    n_in, n_out, square_mixing = SHAPES[shape]
    layer = random_layer(name, version, n_in, n_out, seed=seed, square_mixing=square_mixing)
    rng = np.random.default_rng(seed + 1)
    x = jnp.asarray(inside(layer.pair, rng, n_in))
    return layer, x


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", legendre.names())
def test_jacobian_jvp_vjp_match_autodiff(name: str, version: str, shape: str) -> None:
    layer, x = _case(name, version, shape)
    expected = jax.jacfwd(lambda y: F.forward(layer, y))(x)
    np.testing.assert_allclose(F.jacobian(layer, x), expected, rtol=1e-8, atol=1e-10)
    v = jnp.arange(1.0, layer.in_features + 1.0)
    w = jnp.arange(1.0, layer.out_features + 1.0)
    np.testing.assert_allclose(F.jvp(layer, x, v), expected @ v, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(F.vjp(layer, x, w), expected.T @ w, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "atan", "asinh", "bent_identity"])
def test_dual_coordinates_agree_with_primal(name: str, version: str, shape: str) -> None:
    layer, x = _case(name, version, shape, seed=3)
    u = layer.pair.inverse(x)
    np.testing.assert_allclose(F.dual_forward(layer, u), F.preactivation(layer, x), rtol=1e-9)
    np.testing.assert_allclose(
        F.jacobian_at_dual(layer, u), F.jacobian(layer, x), rtol=1e-8, atol=1e-10
    )
    expected = jax.jacfwd(lambda t: F.dual_forward(layer, t))(u)
    np.testing.assert_allclose(F.dual_jacobian(layer, u), expected, rtol=1e-8, atol=1e-10)
    w = jnp.linspace(-1.0, 1.0, layer.out_features)
    np.testing.assert_allclose(F.dual_vjp(layer, u, w), expected.T @ w, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "atan", "softplus"])
def test_log_abs_det_matches_the_dense_jacobian(name: str, version: str) -> None:
    for shape in ("square", "square_mixed"):
        layer, x = _case(name, version, shape, seed=5)
        expected = jnp.linalg.slogdet(jax.jacfwd(functools.partial(F.forward, layer))(x))[1]
        np.testing.assert_allclose(F.log_abs_det(layer, x), expected, rtol=1e-7, atol=1e-9)
    if version == "bregman":
        u = layer.pair.inverse(x)
        np.testing.assert_allclose(F.log_abs_det_at_dual(layer, u), expected, rtol=1e-7)


def test_bregman_layer_in_dual_coordinates_is_a_residual_step() -> None:
    """u⁺ = u + Wσ(u) + b with no σ⁻¹, even where σ(u) = 1 exactly (sigmoid, u = 40)."""
    layer = random_layer("sigmoid", "bregman", 3, 3, seed=2)
    u = jnp.array([40.0, -3.0, 50.0])
    assert layer.pair.sigma(u)[0] == 1.0
    expected = u + layer.weight @ layer.pair.sigma(u) + layer.bias
    np.testing.assert_allclose(F.dual_forward(layer, u), expected, rtol=1e-15)
    jac = np.eye(3) + np.asarray(layer.weight) * np.asarray(layer.pair.derivative(u))[None, :]
    np.testing.assert_allclose(F.dual_jacobian(layer, u), jac, rtol=1e-14)
    assert np.all(np.isfinite(F.jacobian_at_dual(layer, u)))


@pytest.mark.parametrize("name", legendre.names())
def test_zero_weights_give_the_identity(name: str) -> None:
    pair = legendre.get(name)
    layer = Layer(jnp.zeros((3, 3)), jnp.zeros(3), None, pair, "bregman")
    x = jnp.asarray(inside(pair, np.random.default_rng(0), 3))
    np.testing.assert_allclose(F.forward(layer, x), x, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(F.jacobian(layer, x), np.eye(3), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("version", VERSIONS)
def test_network_functions_match_the_model(version: str) -> None:
    model = make_mlp("atan", (4, 6, 6, 5), 3, version, key=jax.random.key(0), dtype=jnp.float64)
    net = as_network(model)
    x = jax.random.uniform(jax.random.key(1), (4,), jnp.float64, -1.2, 1.2)
    t = F.coordinates_from_input(net, x)
    np.testing.assert_allclose(F.network_output(net, t), model(x), atol=1e-12)
    np.testing.assert_allclose(F.network_jacobian(net, t), jax.jacfwd(model)(x), atol=1e-11)
    w = jnp.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(
        F.vector_jacobian_product(net, t, w), jax.jacfwd(model)(x).T @ w, atol=1e-11
    )


def test_gram_vector_product_is_j_v_and_j_transpose_j_v() -> None:
    net = random_network("atan", "euclidean", (4, 5, 3), seed=6, square_mixing=True)
    t = jnp.asarray(inside(net.pair, np.random.default_rng(3), 4))
    v = jnp.array([1.0, -0.5, 2.0, 0.25])
    columns = jnp.array([1.0, 0.0, 1.0, 1.0])
    jac = F.network_jacobian(net, t, columns=columns)
    jv, gram_v = F.gram_vector_product(net, t, v, columns=columns)
    np.testing.assert_allclose(jv, jac @ v, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gram_v, jac.T @ (jac @ v), rtol=1e-12, atol=1e-14)
    assert gram_v[1] == 0.0


def test_a_layer_is_a_depth_one_network() -> None:
    layer = random_layer("tanh", "bregman", 5, 3, seed=4)
    net = as_network(layer)
    assert isinstance(net, Network) and net.depth == 1 and net.widths == (5, 3)
    x = jnp.asarray(inside(layer.pair, np.random.default_rng(1), 5))
    t = F.coordinates_from_input(net, x)
    np.testing.assert_allclose(F.network_output(net, t), F.forward(layer, x), rtol=1e-12)
    np.testing.assert_allclose(F.network_jacobian(net, t), F.jacobian(layer, x), rtol=1e-10)


def test_networks_of_every_version_trace_through_the_core() -> None:
    for version in VERSIONS:
        net = random_network("tanh", version, (3, 5, 5, 2), seed=1, head=None)
        x = jnp.asarray(inside(net.pair, np.random.default_rng(2), 3))
        y = x
        for layer in net.layers:
            y = F.forward(layer, y)
        t = F.coordinates_from_input(net, x)
        np.testing.assert_allclose(F.network_output(net, t), y, rtol=1e-10, atol=1e-12)


def _tanh_layer(weight, bias=None, mixing=None, version="bregman") -> Layer:
    weight = jnp.asarray(weight)
    bias = jnp.zeros(weight.shape[0], weight.dtype) if bias is None else jnp.asarray(bias)
    return Layer(weight, bias, mixing, legendre.get("tanh"), version)


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (
            lambda: _tanh_layer(jnp.zeros((2, 2)), mixing=jnp.array([[1.0, -1.0], [-1.0, 1.0]])),
            ValueError,
            "row-stochastic",
        ),
        (
            lambda: _tanh_layer(jnp.zeros((2, 3)), mixing=jnp.full((2, 3), 0.5)),
            ValueError,
            "row-stochastic",
        ),
        (lambda: _tanh_layer(jnp.array([[jnp.nan, 0.0], [0.0, 1.0]])), ValueError, "NaN"),
        (lambda: _tanh_layer(jnp.array([[jnp.inf, 0.0], [0.0, 1.0]])), ValueError, "infinite"),
        (
            lambda: _tanh_layer(jnp.ones((2, 2), jnp.int32), jnp.zeros(2, jnp.int32)),
            TypeError,
            "float32 or float64",
        ),
        (
            lambda: _tanh_layer(jnp.ones((2, 2), jnp.float16), jnp.zeros(2, jnp.float16)),
            TypeError,
            "float32 or float64",
        ),
        (
            lambda: _tanh_layer(jnp.ones((2, 2), jnp.float32), jnp.zeros(2, jnp.float64)),
            TypeError,
            "one dtype",
        ),
        (lambda: _tanh_layer(jnp.zeros((0, 2)), jnp.zeros(0)), ValueError, "out, in ≥ 1"),
        (lambda: _tanh_layer(jnp.zeros((2, 3))), ValueError, "needs a mixing matrix"),
        (lambda: _tanh_layer(jnp.zeros((2, 2)), jnp.zeros(3)), ValueError, "bias"),
        (
            lambda: _tanh_layer(jnp.zeros((2, 2)), mixing=jnp.eye(2), version="standard"),
            ValueError,
            "no mixing",
        ),
        (lambda: _tanh_layer(jnp.zeros((2, 2)), version="resnet"), ValueError, "unknown version"),
        (
            lambda: network_from_arrays(
                [np.ones((2, 2), np.int32)], None, legendre.get("tanh"), "bregman"
            ),
            TypeError,
            "float32 or float64",
        ),
        (
            lambda: network_from_arrays(
                [np.eye(2), np.eye(3)], None, legendre.get("tanh"), "bregman"
            ),
            ValueError,
            "takes 3 inputs",
        ),
        (
            lambda: network_from_arrays(
                [np.eye(2)], None, legendre.get("tanh"), "bregman", head_weight=np.ones((1, 3))
            ),
            ValueError,
            "head_weight",
        ),
        (
            lambda: network_from_arrays([], None, legendre.get("tanh"), "bregman"),
            ValueError,
            "at least one",
        ),
    ],
)
def test_bad_layers_and_networks_are_refused_where_built(build, error, match) -> None:
    with pytest.raises(error, match=match):
        build()


def test_row_stochastic_tolerance_accepts_float32_softmax_and_refuses_real_drift() -> None:
    """A float32 softmax over 64 inputs sums to 1 only up to rounding and must be accepted (a
    tolerance of float64 eps would refuse it); rows off by 1e-3 must be refused."""
    model = make_mlp("tanh", (64, 10, 7), 3, "bregman", key=jax.random.key(3))
    mixing = model.network().layers[0].mixing
    assert mixing is not None and mixing.dtype == jnp.float32
    drifted = mixing.at[0].multiply(1.0 + 1e-3)
    with pytest.raises(ValueError, match="row-stochastic"):
        Layer(model.hidden[0].weight, model.hidden[0].bias, drifted, model.pair, "bregman")


@pytest.mark.parametrize("name", ["softplus", "sigmoid"])
def test_primal_jacobian_at_an_input_near_an_end_at_zero(name: str) -> None:
    """x = σ(−0.5) ≈ 7e-221 for softplus (β = 1000): representable and inside I, so the clamp
    of σ⁻¹ must leave it alone and the primal Jacobian equals autodiff and the dual route."""
    layer = random_layer(name, "bregman", 3, 3, seed=6)
    u = jnp.array([-0.5, -700.0 if name == "sigmoid" else -0.4, 0.1])
    x = layer.pair.sigma(u)
    assert float(x[0]) > 0.0
    np.testing.assert_allclose(layer.pair.inverse_clamped(x), u, rtol=1e-9)
    expected = F.jacobian_at_dual(layer, u)
    np.testing.assert_allclose(F.jacobian(layer, x), expected, rtol=1e-8, atol=1e-300)
    autodiff = jax.jacfwd(functools.partial(F.forward, layer))(x)
    np.testing.assert_allclose(autodiff, expected, rtol=1e-6, atol=1e-300)


@eqx.filter_jit
def _jacobians_at(net: Network, t: jax.Array) -> tuple[jax.Array, jax.Array]:
    """At each row of input coordinates t: the core's network Jacobian, and jax.jacfwd of
    x ↦ f(σ⁻¹(x)) (the forward map through the input's dual coordinates) at x = σ(t)."""

    def reference(x: jax.Array) -> jax.Array:
        return jax.jacfwd(lambda y: F.network_output(net, F.coordinates_from_input(net, y)))(x)

    points = jax.vmap(lambda s: F.input_from_coordinates(net, s))(t)
    return jax.vmap(lambda s: F.network_jacobian(net, s))(t), jax.vmap(reference)(points)


def _assert_matches_where_finite(net: Network, t: jax.Array, rtol: float | None) -> np.ndarray:
    """No NaN anywhere; where the reference is finite, ours is finite and (unless ``rtol`` is
    None) equal to it relative to the largest entry of that Jacobian. Returns our Jacobians."""
    ours, reference = (np.asarray(a) for a in _jacobians_at(net, t))
    assert not np.any(np.isnan(ours))
    finite = np.all(np.isfinite(reference), axis=(1, 2))
    assert np.all(np.isfinite(ours[finite]))
    if rtol is None:
        return ours
    scale = np.max(np.abs(reference[finite]), axis=(1, 2), keepdims=True)
    error = np.max(np.abs(ours[finite] - reference[finite]), axis=(1, 2), keepdims=True)
    assert np.all(error <= rtol * scale), float(np.max(error / (scale + 1e-300)))
    return ours


@pytest.mark.parametrize("beta", [1000.0, 1e4])
def test_network_jacobian_is_finite_at_a_steep_softplus(beta: float) -> None:
    """Softplus β = 1000 and 1e4, depth 3, V = I: σ′(z₁) underflows to 0 at many of 240 points
    and the next slope ratio overflows; carried in scaled dual coordinates the Jacobian is
    finite at every point and equals autodiff of the dual-coordinate forward map to 1e-10."""
    net = random_network("softplus", "bregman", (4, 4, 4, 4), seed=1, beta=beta)
    x = inside(net.pair, np.random.default_rng(0), 240 * 4).reshape(240, 4)
    t = net.pair.inverse(jnp.asarray(x))
    ours, reference = _jacobians_at(net, t)
    assert np.all(np.isfinite(reference)) and np.all(np.isfinite(ours))
    _assert_matches_where_finite(net, t, 1e-10)


def test_network_jacobian_is_nan_free_at_the_corners_of_the_domain() -> None:
    """At t = ±1000 (the corner search's stand-in for ±∞) σ′(t) underflows to 0 for sigmoid and
    δu = v/σ′(t) would be infinite; the Jacobian there is finite (its limit at the corner), also
    with one coordinate inside."""
    net = random_network("sigmoid", "bregman", (3, 3, 3, 3), seed=4)
    corners = jnp.asarray(list(itertools.product([-1000.0, 1000.0], repeat=3)))
    t = jnp.concatenate([corners, corners.at[:, 0].set(0.3)])
    assert np.all(np.isfinite(_assert_matches_where_finite(net, t, 1e-9)))


@st.composite
def _networks_and_coordinates(draw):
    """A depth-2 network of any pair, version and mixing (non-square: V ≠ I, then V = I), up to
    steep enough to saturate (weights 16/√n), and 16 input coordinates of points inside the
    domain."""
    name = draw(st.sampled_from(legendre.names()))
    version = draw(st.sampled_from(VERSIONS))
    mixing = draw(st.sampled_from(["identity", "square", "non-square"]))
    widths = (3, 4, 4) if mixing == "non-square" else (3, 3, 3)
    scale = draw(st.sampled_from([0.8, 4.0, 16.0]))
    seed = draw(st.integers(0, 2**16))
    net = random_network(
        name,
        version,
        widths,
        seed=seed,
        scale=scale,
        bias_scale=scale / 2,
        square_mixing=mixing == "square",
    )
    x = inside(net.pair, np.random.default_rng(seed), 16 * 3).reshape(16, 3)
    return net, jax.vmap(lambda y: F.coordinates_from_input(net, y))(jnp.asarray(x)), scale


@settings(max_examples=8, deadline=None)
@given(_networks_and_coordinates())
def test_network_jacobian_is_nan_free_and_matches_autodiff(case) -> None:
    """Every pair, version and mixing: no NaN, finite where autodiff of the dual-coordinate
    forward map is, and equal to it to 1e-9 unless the weights are steep (16/√n), where autodiff
    is itself inexact (it differentiates tanh as 1 − tanh², 0 once tanh rounds to 1; the core
    uses log σ′)."""
    net, t, scale = case
    _assert_matches_where_finite(net, t, None if scale > 4.0 else 1e-9)
