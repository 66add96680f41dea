"""Random test networks, one home for every test file: any pair, version, widths (square or
not), scale, head and dtype, from a NumPy seed.

Weights are scale·N(0, 1)/√in, biases bias_scale·N(0, 1), and where a Bregman or Euclidean
layer changes width its mixing V has rows drawn uniformly on [0.1, 1] and normalised (strictly
row-stochastic).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import jax.numpy as jnp
import numpy as np

from bregmalib import legendre
from bregmalib.nn import (
    Activation,
    Affine,
    AvgPool,
    Conv2d,
    ConvNet,
    Flatten,
    Layer,
    Matrix,
    Network,
    ResidualBlock,
    Shortcut,
    network_from_arrays,
)


def row_stochastic(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """A matrix with positive rows summing to 1."""
    v = rng.uniform(0.1, 1.0, size=shape)
    return v / v.sum(axis=1, keepdims=True)


def random_network(
    activation: str,
    version: str,
    widths: Sequence[int],
    *,
    seed: int = 0,
    scale: float = 0.8,
    bias_scale: float = 0.3,
    head: int | None = 2,
    square_mixing: bool = False,
    dtype: Any = jnp.float64,
    **activation_params: float,
) -> Network:
    """A `Network` with the given widths (input first); ``head=None`` keeps H = I.
    ``square_mixing`` draws a row-stochastic V for square layers too (V ≠ I)."""
    rng = np.random.default_rng(seed)
    pair = legendre.get(activation, **activation_params)
    ws = [scale * rng.normal(size=(o, i)) / np.sqrt(i) for i, o in itertools.pairwise(widths)]
    bs = [bias_scale * rng.normal(size=w.shape[0]) for w in ws]
    mixed = [version != "standard" and (w.shape[0] != w.shape[1] or square_mixing) for w in ws]
    vs = [row_stochastic(rng, w.shape) if m else None for w, m in zip(ws, mixed, strict=True)]
    h = None if head is None else rng.normal(size=(head, widths[-1]))
    return network_from_arrays(ws, bs, pair, version, mixings=vs, head_weight=h, dtype=dtype)


def random_layer(activation: str, version: str, n_in: int, n_out: int, **options: Any) -> Layer:
    """One `Layer` of `random_network` (a depth-1 network's only layer)."""
    return random_network(activation, version, (n_in, n_out), head=None, **options).layers[0]


def inside(pair: legendre.LegendrePair, rng: np.random.Generator, n: int) -> np.ndarray:
    """n points of the open interval I (or of [−3, 3] where I is unbounded), 1 % inside
    the ends."""
    lo = pair.lower if np.isfinite(pair.lower) else -3.0
    hi = pair.upper if np.isfinite(pair.upper) else 3.0
    width = hi - lo
    return rng.uniform(lo + 0.01 * width, hi - 0.01 * width, size=n)


def small_convnet(pair_name: str, seed: int, version: str = "bregman") -> ConvNet:
    """Stem conv, σ, a widening Bregman block (stride 2, σ(0)-padded shortcut), a plain one,
    global pooling and a linear head, on 1 × 6 × 6 images."""
    pair = legendre.get(pair_name)
    rng = np.random.default_rng(seed)

    def conv(c_in: int, c_out: int, size: int, stride: int = 1) -> Affine:
        kernel = rng.normal(size=(c_out, c_in, 3, 3)) / (3 * math.sqrt(c_in))
        op = Conv2d(jnp.asarray(kernel), (c_in, size, size), stride, 1)
        return Affine(op, jnp.asarray(0.1 * rng.normal(size=c_out)))

    stem = conv(1, 2, 6)
    fill = float(pair.sigma(jnp.zeros(())))
    widen = ResidualBlock(
        (conv(2, 4, 6, 2), conv(4, 4, 3)), Shortcut((2, 6, 6), 2, 1, 1, fill), pair, version
    )
    plain = ResidualBlock((conv(4, 4, 3), conv(4, 4, 3)), Shortcut((4, 3, 3)), pair, version)
    head = Affine(Matrix(jnp.asarray(rng.normal(size=(3, 4)))), jnp.zeros(3))
    stages = (
        stem,
        Activation(pair, (2, 6, 6)),
        widen,
        plain,
        AvgPool(3, (4, 3, 3)),
        Flatten((4, 1, 1)),
        head,
    )
    return ConvNet(stages)
