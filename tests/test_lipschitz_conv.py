"""Operator norms of convolutions and the bounds of convolutional networks: the certified upper
bound is never below the exact norm (the SVD of the dense matrix), the power-iteration lower
bound never above it, circular convolutions are exact, and network bounds enclose measured
Jacobian norms."""

import json
import math
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _networks import small_convnet
from hypothesis import given, settings
from hypothesis import strategies as st

from bregmalib import cli, legendre
from bregmalib.lipschitz import (
    conv_norm,
    conv_norm_upper,
    convnet_bounds,
    operator_norm_lower,
    residual_contraction,
    stage_upper,
)
from bregmalib.nn import (
    Affine,
    Conv2d,
    ConvNet,
    Flatten,
    MaxPool,
    ResidualBlock,
    Shortcut,
    make_resnet,
    operator_matrix,
)
from bregmalib.train import save


def _exact(conv: Conv2d) -> float:
    return float(np.linalg.norm(np.asarray(operator_matrix(conv, jnp.float64)), 2))


@settings(max_examples=12)
@given(
    seed=st.integers(0, 2**31 - 1),
    c_in=st.integers(1, 3),
    c_out=st.integers(1, 3),
    size=st.integers(3, 7),
    kernel=st.sampled_from([1, 2, 3, 5]),
    padding=st.integers(0, 2),
    stride=st.integers(1, 3),
)
def test_zero_padding_norm_bounds_enclose_the_exact_norm(
    seed: int, c_in: int, c_out: int, size: int, kernel: int, padding: int, stride: int
) -> None:
    if size + 2 * padding < kernel:
        return
    weights = np.random.default_rng(seed).normal(size=(c_out, c_in, kernel, kernel))
    conv = Conv2d(jnp.asarray(weights), (c_in, size, size), stride, padding)
    exact = _exact(conv)
    assert operator_norm_lower(conv, iterations=30) <= exact * (1 + 1e-12)
    assert conv_norm_upper(conv) >= exact


@settings(max_examples=15)
@given(seed=st.integers(0, 2**31 - 1), size=st.integers(3, 8), kernel=st.sampled_from([1, 3, 5]))
def test_circular_norm_is_exact(seed: int, size: int, kernel: int) -> None:
    weights = np.random.default_rng(seed).normal(size=(3, 2, kernel, kernel))
    conv = Conv2d(jnp.asarray(weights), (2, size, size), 1, kernel // 2, "circular")
    exact = _exact(conv)
    assert conv_norm(conv) == pytest.approx(exact, rel=1e-10)
    assert exact <= conv_norm_upper(conv) <= exact * (1 + 1e-9)


def test_zero_padding_is_bounded_on_the_padded_grid() -> None:
    """The bound uses the (H + 2p)-grid: the H-grid circular norm can be below the exact norm
    of a zero-padded convolution, which the certified bound never is."""
    weights = np.random.default_rng(3).normal(size=(2, 2, 3, 3))
    conv = Conv2d(jnp.asarray(weights), (2, 5, 5), 1, 1)
    circular = Conv2d(jnp.asarray(weights), (2, 5, 5), 1, 1, "circular")
    assert conv_norm_upper(conv) >= _exact(conv)
    assert conv_norm(conv) != pytest.approx(conv_norm(circular))


def test_circular_padding_needs_the_centred_kernel() -> None:
    conv = Conv2d(jnp.ones((1, 1, 3, 3)), (1, 4, 4), 1, 0, "circular")
    with pytest.raises(ValueError, match="padding"):
        conv_norm_upper(conv)


@settings(max_examples=4)
@given(
    pair_name=st.sampled_from(["tanh", "atan", "sigmoid", "isru"]),
    version=st.sampled_from(["bregman", "euclidean", "standard"]),
    seed=st.integers(0, 1000),
)
def test_network_upper_bound_is_above_measured_jacobian_norms(
    pair_name: str, version: str, seed: int
) -> None:
    net = small_convnet(pair_name, seed, version)
    bounds = convnet_bounds(net, (-1.0, 1.0), points=2, iterations=10)
    assert math.isfinite(bounds.upper) and bounds.lower > 0
    assert bounds.upper >= bounds.lower
    x = jax.random.uniform(jax.random.key(seed), (4, *net.in_shape), minval=-1.0, maxval=1.0)
    jacobians = np.asarray(jax.jit(jax.vmap(jax.jacobian(net)))(x)).reshape(4, 3, -1)
    assert np.linalg.norm(jacobians, 2, axis=(1, 2)).max() <= bounds.upper


def test_stage_bounds_and_contraction() -> None:
    net = small_convnet("tanh", 0)
    pool = stage_upper(net.stages[4])
    assert pool.value == pytest.approx(1 / 3)
    block = net.stages[3]
    assert isinstance(block, ResidualBlock)
    # L_σ = 1 for tanh: the contraction bound is the product of the two convolutions' bounds
    product = conv_norm_upper(block.branch[0].operator) * conv_norm_upper(block.branch[1].operator)
    assert residual_contraction(block) == pytest.approx(product, rel=1e-12)
    assert stage_upper(block).value >= 1.0  # R_σ(Δ) ≥ 1


def test_max_pool_bound_is_attained() -> None:
    """3 × 3 windows, stride 2, padding 1: a pixel in four windows that is the maximum of each
    has a Jacobian column of four ones, so ‖J‖₂ ≥ 2 = ⌈k/s⌉, the stage bound."""
    pool = MaxPool(3, 2, 1, (1, 5, 5))
    assert pool.out_shape == (1, 3, 3)
    x = jnp.zeros((1, 5, 5)).at[0, 1, 1].set(1.0)
    jacobian = np.asarray(jax.jacobian(pool)(x)).reshape(9, 25)
    assert np.linalg.norm(jacobian, 2) == pytest.approx(2.0)
    assert stage_upper(pool).value == 2.0


def test_unbounded_interval_gives_infinite_bound_with_reason() -> None:
    """asinh: I = ℝ, so the branch output of a block with one affine map is unbounded."""
    pair = legendre.get("asinh")
    op = Conv2d(jnp.ones((1, 1, 3, 3)) / 9, (1, 4, 4), 1, 1)
    block = ResidualBlock((Affine(op, jnp.zeros(1)),), Shortcut((1, 4, 4)), pair, "bregman")
    net = ConvNet((block, Flatten((1, 4, 4))))
    bounds = convnet_bounds(net, (-math.inf, math.inf), points=2, iterations=2)
    assert bounds.upper == math.inf and "unbounded" in bounds.reason
    assert bounds.to_dict()["upper"] == "inf"


def test_cli_bounds_a_saved_resnet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = make_resnet("atan", (2, 2), 3, "bregman", key=jax.random.key(0), dtype=jnp.float64)
    path = save(tmp_path / "resnet.eqx", model)
    argv = ["lipschitz", str(path), "--json", "--quiet", "--points", "2", "--box=0,1"]
    assert cli.main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["kind"] == "resnet" and report["input_shape"] == [1, 8, 8]
    assert report["upper"] >= report["lower"] > 0
