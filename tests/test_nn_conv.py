"""Convolutions, residual blocks and ConvNets of bregmalib.nn: a convolutional layer is a
functional-core Layer, a block with an affine branch is the core's Bregman layer, the digits
ResNet is a ConvNet of ResidualBlocks, and it trains."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bregmalib import legendre
from bregmalib.data import load_digits
from bregmalib.nn import (
    Affine,
    Conv2d,
    Layer,
    Matrix,
    ResidualBlock,
    Shortcut,
    SkipMap,
    averaging_shortcut,
    conv_layer,
    make_resnet,
    operator_matrix,
)
from bregmalib.nn import functional as F
from bregmalib.train import TrainConfig, accuracy, train

TANH = legendre.get("tanh")


def _conv(c_in=2, c_out=2, size=6, stride=1, padding=1, mode="zeros", seed=0) -> Conv2d:
    kernel = np.random.default_rng(seed).normal(size=(c_out, c_in, 3, 3)) / 6
    return Conv2d(jnp.asarray(kernel), (c_in, size, size), stride, padding, mode)


@pytest.mark.parametrize(
    ("stride", "padding", "mode"),
    [(1, 1, "zeros"), (2, 1, "zeros"), (1, 0, "zeros"), (1, 1, "circular")],
)
def test_operator_matrix_is_the_convolution(stride: int, padding: int, mode: str) -> None:
    conv = _conv(stride=stride, padding=padding, mode=mode)
    x = jax.random.normal(jax.random.key(0), conv.in_shape, jnp.float64)
    dense = operator_matrix(conv, jnp.float64)
    np.testing.assert_allclose(dense @ x.reshape(-1), conv(x).reshape(-1), atol=1e-12)
    if mode == "circular":  # a shifted x gives a shifted output
        shifted = conv(jnp.roll(x, 1, axis=2))
        np.testing.assert_allclose(shifted, jnp.roll(conv(x), 1, axis=2), atol=1e-12)


@pytest.mark.parametrize("version", ["bregman", "euclidean", "standard"])
@pytest.mark.parametrize("stride", [1, 2])
def test_conv_layer_runs_through_the_core(version: str, stride: int) -> None:
    """σ(σ⁻¹(Vx) + Cx + b) with V the averaging shortcut when the shape changes."""
    conv = _conv(c_out=4 if stride == 2 else 2, stride=stride)
    bias = jnp.asarray([0.1, -0.2, 0.05, 0.0][: conv.out_shape[0]])
    layer = conv_layer(conv, bias, TANH, version)
    x = 0.8 * jnp.tanh(jax.random.normal(jax.random.key(1), conv.in_shape, jnp.float64))
    affine = conv(x) + bias[:, None, None]
    if version == "standard":
        expected = jnp.tanh(affine.reshape(-1))
    else:
        skip = x.reshape(-1) if layer.mixing is None else layer.mixing @ x.reshape(-1)
        inverse = jnp.arctanh(skip) if version == "bregman" else skip
        expected = jnp.tanh(inverse + affine.reshape(-1))
    np.testing.assert_allclose(F.forward(layer, x.reshape(-1)), expected, atol=1e-12)
    assert (layer.mixing is None) == (version == "standard" or stride == 1)


def test_averaging_shortcut_is_row_stochastic_and_pools() -> None:
    v = averaging_shortcut((2, 4, 4), (4, 2, 2))
    np.testing.assert_allclose(v.sum(axis=1), 1.0)
    x = np.arange(32.0).reshape(2, 4, 4)
    pooled = (v @ x.reshape(-1)).reshape(4, 2, 2)
    np.testing.assert_allclose(pooled[0, 0, 0], x[0, :2, :2].mean())
    np.testing.assert_allclose(pooled[3], pooled[2])  # channels 2, 3 read input channel 1


def test_block_with_affine_branch_is_the_core_bregman_layer() -> None:
    rng = np.random.default_rng(2)
    w, b = jnp.asarray(rng.normal(size=(5, 5)) / 4), jnp.asarray(rng.normal(size=5) / 4)
    block = ResidualBlock((Affine(Matrix(w), b),), _vector_shortcut(), TANH, "bregman")
    layer = Layer(w, b, None, TANH, "bregman")
    x = jnp.asarray(rng.uniform(-0.9, 0.9, 5))
    np.testing.assert_allclose(block(x), F.forward(layer, x), atol=1e-12)


def _vector_shortcut() -> Shortcut:
    return Shortcut((5,))


def test_block_with_affine_branch_on_images() -> None:
    """A convolutional Bregman block with one affine map equals the core layer of `conv_layer`."""
    conv = _conv()
    bias = jnp.asarray([0.1, -0.1])
    block = ResidualBlock((Affine(conv, bias),), Shortcut(conv.in_shape), TANH, "bregman")
    layer = conv_layer(conv, bias, TANH, "bregman")
    x = 0.7 * jnp.tanh(jax.random.normal(jax.random.key(3), conv.in_shape, jnp.float64))
    np.testing.assert_allclose(block(x).reshape(-1), F.forward(layer, x.reshape(-1)), atol=1e-12)


def test_skip_map_clamps_and_replaces_g() -> None:
    skip = SkipMap(lambda s: 2.0 * s, -0.5, 0.5, "2s")
    np.testing.assert_allclose(skip(TANH, jnp.asarray([-0.9, 0.2, 0.9])), [-1.0, 0.4, 1.0])
    block = ResidualBlock(
        (Affine(Matrix(jnp.zeros((5, 5))), jnp.zeros(5)),),
        _vector_shortcut(),
        TANH,
        "bregman",
        skip,
    )
    with pytest.raises(ValueError, match="g = σ⁻¹"):
        block.dual(jnp.zeros(5))


def test_resnet_is_a_convnet_of_residual_blocks() -> None:
    model = make_resnet("atan", (2, 2, 4), 3, "bregman", key=jax.random.key(0), dtype=jnp.float64)
    assert all(isinstance(b, ResidualBlock) for b in model.blocks)
    net = model.convnet()
    image = jnp.linspace(-1.0, 1.0, 64)
    np.testing.assert_allclose(net(image), model(image), rtol=1e-10, atol=1e-12)


def test_conv_resnet_trains_on_digits() -> None:
    data = load_digits("atan", dtype=jnp.float32)
    model = make_resnet("atan", (4, 4, 8), 10, "bregman", key=jax.random.key(0), init="small")
    before = accuracy(model, data.x_test, data.y_test)
    config = TrainConfig(epochs=4, patience=None, batch_size=64, learning_rate=1e-2)
    result = train(model, data, config, progress=False)
    assert before < 0.2 < 0.5 < accuracy(result.model, data.x_test, data.y_test)
