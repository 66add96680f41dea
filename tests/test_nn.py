"""bregmalib.nn: Bregman, standard and Euclidean layers and MLPs."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bregmalib.legendre as L
from bregmalib.data import target_segment
from bregmalib.legendre import DomainError
from bregmalib.nn import MLP, VERSIONS, Dense, make_dense, make_mlp
from bregmalib.nn import functional as F

#: every Legendre pair but scaled_tanh (tanh rescaled; its eager numerics are slow to evaluate)
LEGENDRE = ["sigmoid", "tanh", "atan", "isru", "asinh", "softplus", "bent_identity"]


def _inside(pair: L.LegendrePair, key: jax.Array, n: int, dtype=jnp.float64) -> jax.Array:
    """n points of the data segment [a, b] well inside the interval of ``pair``."""
    a, b = target_segment(pair)
    return jax.random.uniform(key, (n,), dtype, a, b)


@pytest.mark.parametrize(
    ("version", "dtype"),
    [("bregman", jnp.float32), ("standard", jnp.float32), ("euclidean", jnp.float64)],
)
def test_shapes_and_dtype_are_kept(version: str, dtype) -> None:
    model = make_mlp("atan", (5, 7, 7, 3), 4, version, key=jax.random.PRNGKey(0), dtype=dtype)
    x = _inside(model.pair, jax.random.PRNGKey(1), 5, dtype)
    logits = model(x)
    assert logits.shape == (4,) and logits.dtype == dtype
    assert model.features(x).shape == (3,)
    assert model.widths == (5, 7, 7, 3) and model.n_classes == 4 and model.dtype == dtype


def test_vmap_and_jit_match_eager() -> None:
    model = make_mlp("atan", (5, 7, 3), 4, "bregman", key=jax.random.PRNGKey(0))
    x = _inside(model.pair, jax.random.PRNGKey(1), 5, jnp.float32)
    batch = eqx.filter_jit(jax.vmap(lambda m, z: m(z), in_axes=(None, 0)))(model, jnp.stack([x, x]))
    np.testing.assert_allclose(batch[0], model(x), rtol=1e-5, atol=1e-6)
    assert batch.dtype == jnp.float32


@pytest.mark.parametrize("version", VERSIONS)
def test_layer_formulas(version: str) -> None:
    pair = L.get("tanh")
    layer = make_dense(pair, 4, 3, version, key=jax.random.PRNGKey(2), dtype=jnp.float64)
    x = _inside(pair, jax.random.PRNGKey(3), 4)
    w, b = layer.weight, layer.bias
    v = layer.mixing()
    expected = {
        "bregman": jnp.tanh(jnp.arctanh(v @ x) + w @ x + b) if v is not None else None,
        "standard": jnp.tanh(w @ x + b),
        "euclidean": jnp.tanh(v @ x + w @ x + b) if v is not None else None,
    }[version]
    np.testing.assert_allclose(layer(x), expected, rtol=1e-13)
    assert (v is None) == (version == "standard")


def test_mixing_rows_are_on_the_simplex() -> None:
    layer = make_dense(L.get("sigmoid"), 6, 3, "bregman", key=jax.random.PRNGKey(4))
    v = np.asarray(layer.mixing())
    assert v.shape == (3, 6) and (v > 0).all()
    np.testing.assert_allclose(v.sum(axis=1), 1.0, rtol=1e-6)
    square = make_dense(L.get("sigmoid"), 3, 3, "bregman", key=jax.random.PRNGKey(4))
    assert square.mixing() is None and square.mix_logits is None


@pytest.mark.parametrize("name", LEGENDRE)
@settings(max_examples=3, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_zero_init_hidden_part_is_identity(name: str, seed: int) -> None:
    model = make_mlp(
        name,
        (6, 6, 6, 6),
        2,
        "bregman",
        key=jax.random.PRNGKey(seed),
        init="zero",
        dtype=jnp.float64,
    )
    x = _inside(model.pair, jax.random.PRNGKey(seed + 1), 6)
    np.testing.assert_allclose(model.features(x), x, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", LEGENDRE)
@settings(max_examples=3, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_dual_and_primal_paths_agree(name: str, seed: int) -> None:
    pair = L.get(name)
    layer = make_dense(pair, 5, 5, "bregman", key=jax.random.PRNGKey(seed), dtype=jnp.float64)
    x = _inside(pair, jax.random.PRNGKey(seed + 1), 5)
    u = pair.inverse(x)
    primal, dual = layer(x), pair.sigma(F.dual_forward(layer.layer(), u))
    np.testing.assert_allclose(primal, dual, rtol=1e-9, atol=1e-12)
    model = make_mlp(
        pair,
        (5, 5, 5, 5),
        3,
        "bregman",
        key=jax.random.PRNGKey(seed),
        init="small",
        dtype=jnp.float64,
    )
    composed = x
    for hidden in model.hidden:
        composed = hidden(composed)
    np.testing.assert_allclose(model.features(x), composed, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(pair.sigma(model.dual_features(u)), composed, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(model.dual_hidden(x), model.dual_features(u), rtol=1e-12, atol=1e-12)


def test_mixed_widths_dual_path_matches_primal_layers() -> None:
    """Widths 3 → 6 → 6 → 4: V ≠ I in the first and last layers, V = I in the middle."""
    model = make_mlp(
        "atan", (3, 6, 6, 4), 2, "bregman", key=jax.random.PRNGKey(9), dtype=jnp.float64
    )
    x = _inside(model.pair, jax.random.PRNGKey(10), 3)
    composed = x
    for hidden in model.hidden:
        composed = hidden(composed)
    np.testing.assert_allclose(model.features(x), composed, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model.pair.sigma(model.dual_hidden(x)), composed, rtol=1e-10)


def test_dual_path_survives_saturation() -> None:
    """σ(40) = 1 exactly in float64: the primal path loses u, the dual path keeps it."""
    pair = L.get("sigmoid")
    layer = make_dense(pair, 3, 3, "bregman", key=jax.random.PRNGKey(5), dtype=jnp.float64)
    u = jnp.array([40.0, -3.0, 50.0])
    assert pair.sigma(u)[0] == 1.0
    out = F.dual_forward(layer.layer(), u)
    np.testing.assert_allclose(out, u + layer.weight @ pair.sigma(u) + layer.bias, rtol=1e-15)
    assert np.isfinite(np.asarray(layer(pair.sigma(u)))).all()
    assert abs(float(pair.inverse_clamped(layer(pair.sigma(u)))[0]) - float(out[0])) > 1.0


@pytest.mark.parametrize("name", ["sigmoid", "atan", "softplus"])
def test_jacobian_matches_the_design_formula(name: str) -> None:
    """J(x) = diag(σ′(z)/σ′(u)) V + diag(σ′(z)) W with u = σ⁻¹(Vx), z = u + Wx + b."""
    pair = L.get(name)
    layer = make_dense(pair, 4, 3, "bregman", key=jax.random.PRNGKey(6), dtype=jnp.float64)
    x = _inside(pair, jax.random.PRNGKey(7), 4)
    v = layer.mixing()
    u = pair.inverse(v @ x)
    z = u + layer.weight @ x + layer.bias
    slope_z, slope_u = pair.derivative(z), pair.derivative(u)
    expected = (slope_z / slope_u)[:, None] * v + slope_z[:, None] * layer.weight
    np.testing.assert_allclose(jax.jacfwd(layer)(x), expected, rtol=1e-9, atol=1e-12)


def test_float32_training_gradient_is_finite() -> None:
    model = make_mlp("sigmoid", (8, 16, 16), 3, "bregman", key=jax.random.PRNGKey(8))
    x = jnp.full((8,), 0.5, jnp.float32)
    grads = eqx.filter_grad(lambda m: jnp.sum(m(x) ** 2))(model)
    leaves = jax.tree_util.tree_leaves(eqx.filter(grads, eqx.is_array))
    assert all(leaf.dtype == jnp.float32 and bool(jnp.isfinite(leaf).all()) for leaf in leaves)


def test_bad_inputs_raise_clear_errors() -> None:
    key = jax.random.PRNGKey(0)
    with pytest.raises(ValueError, match="unknown"):
        make_mlp("relu6", (2, 3), 2, "bregman", key=key)
    with pytest.raises(ValueError, match="unknown version"):
        make_mlp("tanh", (2, 3), 2, "resnet", key=key)
    with pytest.raises(ValueError, match="widths"):
        make_mlp("tanh", (2,), 2, "bregman", key=key)
    with pytest.raises(ValueError, match="widths"):
        make_mlp("tanh", (2, 0), 2, "bregman", key=key)
    with pytest.raises(ValueError, match="n_classes"):
        make_mlp("tanh", (2, 3), 0, "bregman", key=key)
    with pytest.raises(ValueError, match="unknown init"):
        make_mlp("tanh", (2, 3), 2, "bregman", key=key, init="xavier")
    with pytest.raises(TypeError, match="dtype"):
        make_mlp("tanh", (2, 3), 2, "bregman", key=key, dtype=jnp.int32)
    with pytest.raises(TypeError, match="activation"):
        make_mlp(3, (2, 3), 2, "bregman", key=key)
    model = make_mlp("tanh", (2, 3, 3), 2, "bregman", key=key)
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        model(jnp.zeros((3,)))
    with pytest.raises(DomainError, match="open interval"):
        model(jnp.array([0.5, 1.5]))
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        model.dual_features(jnp.zeros((3,)))
    standard = make_mlp("tanh", (2, 3), 2, "standard", key=key)
    with pytest.raises(ValueError, match="Bregman MLPs only"):
        standard.dual_hidden(jnp.zeros((2,)))
    with pytest.raises(ValueError, match="needs a mixing matrix"):
        Dense(jnp.zeros((3, 2)), jnp.zeros(3), None, L.get("tanh"), "bregman")
    with pytest.raises(ValueError, match="NaN"):
        Dense(jnp.full((3, 3), jnp.nan), jnp.zeros(3), None, L.get("tanh"), "bregman")
    with pytest.raises(ValueError, match="bias"):
        Dense(jnp.zeros((3, 3)), jnp.zeros(2), None, L.get("tanh"), "bregman")
    with pytest.raises(ValueError, match="head_weight"):
        MLP(model.hidden, jnp.zeros((2, 4)), jnp.zeros(2), model.pair, "bregman")


def test_out_of_interval_input_fails_under_jit() -> None:
    model = make_mlp("atan", (2, 2), 2, "bregman", key=jax.random.PRNGKey(0))
    with pytest.raises(Exception, match="open interval"):
        eqx.filter_jit(lambda m, x: m(x))(model, jnp.array([0.0, 2.0]))
