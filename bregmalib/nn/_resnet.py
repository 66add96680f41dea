"""A small residual convolutional network for 8×8 images with the Bregman skip.

Adapted from the BregmanBasicBlock of the official ResNet20 (Frecon et al., "Bregman Neural
Networks", ICML 2022, §5): x⁺ = σ(σ⁻¹(Sx) + C₂σ(C₁x + b₁) + b₂), where S is the identity or,
when the block widens, a stride-2 subsampling whose new channels are filled with σ(0) (so that
σ⁻¹ of them is 0). Batch normalisation is replaced by biases (the model stays a pure function).
Each block is a `bregmalib.nn.ResidualBlock` (the shape bregmanet's residual networks have, with
the branch C₂σ(C₁x + b₁) + b₂); in dual coordinates u = σ⁻¹(x) it is
u⁺ = S₀u + C₂σ(C₁σ(u) + b₁) + b₂ (S₀: zero fill), which is how the network evaluates it: σ⁻¹ is
never computed. `ResNet.convnet` gives the same network as a `ConvNet` for its bounds.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jax import Array

from bregmalib.legendre import LegendrePair
from bregmalib.nn._block import Activation, ConvNet, ResidualBlock, Shortcut
from bregmalib.nn._conv import Affine, AvgPool, Conv2d, Flatten, Matrix
from bregmalib.nn._dense import INITS
from bregmalib.nn._head import Classifier, make_head
from bregmalib.nn._init import numpy_rng, uniform
from bregmalib.nn._layer import Version, check_version
from bregmalib.nn._validate import check_dtype, check_vector, resolve_pair


def _conv(
    rng: np.random.Generator,
    in_shape: tuple[int, ...],
    c_out: int,
    stride: int,
    scale: float,
    dtype: Any,
) -> Affine:
    """3×3 convolution, padding 1, weights and bias ~ U(−s/√(9·c_in), s/√(9·c_in)) (Equinox's
    default rule times ``scale``), drawn with NumPy (nothing compiled)."""
    c_in = in_shape[0]
    limit = scale / np.sqrt(9 * c_in)
    weight = uniform(rng, (c_out, c_in, 3, 3), limit, dtype)
    bias = uniform(rng, (c_out,), limit, dtype)
    return Affine(Conv2d(weight, in_shape, stride, 1), bias)


def _block(
    rng: np.random.Generator,
    in_shape: tuple[int, ...],
    c_out: int,
    pair: LegendrePair,
    version: Version,
    scales: tuple[float, float],
    dtype: Any,
) -> ResidualBlock:
    """x⁺ = σ(skip(x) + C₂σ(C₁x + b₁) + b₂), stride 2 when the block widens, its shortcut
    filling the new channels with σ(0) (so that σ⁻¹ of them is 0)."""
    c_in = in_shape[0]
    stride = 1 if c_in == c_out else 2
    first = _conv(rng, in_shape, c_out, stride, scales[0], dtype)
    second = _conv(rng, first.out_shape, c_out, 1, scales[1], dtype)
    fill = float(pair.sigma(jnp.zeros(()))) if version == "bregman" else 0.0
    shortcut = Shortcut(in_shape, stride, 0, c_out - c_in, fill)
    return ResidualBlock((first, second), shortcut, pair, version)


class ResNet(Classifier, eqx.Module):
    """Stem σ(C₀x + b₀), residual blocks (`ResidualBlock`), global average pooling and a
    linear head.

    Takes one flattened image of shape ``(image_size²,)`` (any real values: the stem is a plain
    convolution, so inputs need not lie in I) and returns logits.
    """

    stem: Affine
    blocks: tuple[ResidualBlock, ...]
    head_weight: Array
    head_bias: Array
    pair: LegendrePair = eqx.field(static=True)
    version: str = eqx.field(static=True)
    channels: tuple[int, ...] = eqx.field(static=True)
    image_size: int = eqx.field(static=True)

    def features(self, x: Array) -> Array:
        """Pooled output of the last block (primal), shape ``(channels[-1],)``; Bregman blocks
        run in dual coordinates (`ResidualBlock.dual`)."""
        x = check_vector(x, self.image_size**2, "ResNet")
        z = self.stem(x.reshape(1, self.image_size, self.image_size))
        if self.version == "bregman":
            for block in self.blocks:
                z = block.dual(z)
            out = self.pair.sigma(z)
        else:
            out = self.pair.sigma(z)
            for block in self.blocks:
                out = block(out)
        return out.mean(axis=(1, 2))

    def convnet(self) -> ConvNet:
        """The same network as a `ConvNet` of stages (for its Lipschitz bounds)."""
        last = self.blocks[-1].out_shape if self.blocks else self.stem.out_shape
        head = Affine(Matrix(self.head_weight), self.head_bias)
        pool = AvgPool(last[1], last)
        return ConvNet(
            (
                self.stem,
                Activation(self.pair, self.stem.out_shape),
                *self.blocks,
                pool,
                Flatten(pool.out_shape),
                head,
            )
        )


def make_resnet(
    activation: str | LegendrePair,
    channels: Sequence[int],
    n_classes: int,
    version: str,
    *,
    key: Array,
    init: str = "default",
    dtype: Any = jnp.float32,
    image_size: int = 8,
    **activation_params: float,
) -> ResNet:
    """A `ResNet` with stem 1 → channels[0] and one block per later entry of ``channels``.

    A block keeps its width (stride 1) or widens it (stride 2, requires an even resolution);
    channels must not decrease. ``init="zero"`` zeroes the second convolution of every block,
    so that every Bregman block is its skip (the identity at equal widths); ``"small"`` divides
    the default (Equinox) initialisation of the blocks by 10.
    """
    pair = resolve_pair(activation, **activation_params)
    version = check_version(version)
    dtype = check_dtype(dtype)
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; expected one of {list(INITS)}")
    channels = tuple(int(c) for c in channels)
    if (
        len(channels) < 2
        or min(channels) < 1
        or any(b < a for a, b in itertools.pairwise(channels))
    ):
        raise ValueError(
            f"channels must be a non-decreasing sequence of >= 2 positive integers, got {channels}"
        )
    rng = numpy_rng(key)
    block_scale = {"default": 1.0, "small": 0.1, "zero": 1.0}[init]
    stem = _conv(rng, (1, image_size, image_size), channels[0], 1, 1.0, dtype)
    scales = (block_scale, 0.0 if init == "zero" else block_scale)
    blocks: list[ResidualBlock] = []
    shape = stem.out_shape
    for k, (c_in, c_out) in enumerate(itertools.pairwise(channels)):
        if c_in != c_out and shape[1] % 2:
            raise ValueError(f"cannot halve an odd resolution {shape[1]} at block {k}")
        blocks.append(_block(rng, shape, c_out, pair, version, scales, dtype))
        shape = blocks[-1].out_shape
    head_weight, head_bias = make_head(rng, n_classes, channels[-1], dtype)
    return ResNet(stem, tuple(blocks), head_weight, head_bias, pair, version, channels, image_size)
