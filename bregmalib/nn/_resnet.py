"""A small residual convolutional network for 8×8 images with the Bregman skip.

Adapted from the BregmanBasicBlock of the official ResNet20 (Frecon et al., "Bregman Neural
Networks", ICML 2022, §5): x⁺ = σ(σ⁻¹(Sx) + C₂σ(C₁x + b₁) + b₂), where S is the identity or,
when the block widens, a stride-2 subsampling whose new channels are filled with σ(0) (so that
σ⁻¹ of them is 0). Batch normalisation is replaced by biases (the model stays a pure function).
In dual coordinates u = σ⁻¹(x) the block is u⁺ = S₀u + C₂σ(C₁σ(u) + b₁) + b₂ (S₀: zero fill),
which is how the network evaluates it: σ⁻¹ is never computed.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax import Array

from bregmalib.legendre import LegendrePair
from bregmalib.nn._dense import INITS
from bregmalib.nn._head import Classifier, make_head
from bregmalib.nn._init import numpy_rng, uniform
from bregmalib.nn._layer import check_version
from bregmalib.nn._validate import check_dtype, check_vector, resolve_pair


def _conv(
    rng: np.random.Generator, c_in: int, c_out: int, stride: int, scale: float, dtype: Any
) -> eqx.nn.Conv2d:
    """3×3 convolution, padding 1, weights and bias ~ U(−s/√(9·c_in), s/√(9·c_in)) (Equinox's
    default rule times ``scale``), drawn with NumPy (nothing compiled)."""
    like = eqx.filter_eval_shape(
        eqx.nn.Conv2d, c_in, c_out, 3, stride, padding=1, key=jax.random.key(0), dtype=dtype
    )
    limit = scale / np.sqrt(9 * c_in)
    weight = uniform(rng, like.weight.shape, limit, dtype)
    bias = uniform(rng, like.bias.shape, limit, dtype)
    return eqx.tree_at(lambda c: (c.weight, c.bias), like, (weight, bias))


class ResBlock(eqx.Module):
    """Residual block x⁺ = σ(skip(x) + C₂σ(C₁x + b₁) + b₂) on (channels, height, width) arrays.

    skip: Bregman σ⁻¹(Sx); Euclidean Sx; standard none (a plain two-convolution block).
    """

    conv1: eqx.nn.Conv2d
    conv2: eqx.nn.Conv2d
    pair: LegendrePair = eqx.field(static=True)
    version: str = eqx.field(static=True)
    in_channels: int = eqx.field(static=True)
    out_channels: int = eqx.field(static=True)

    @property
    def stride(self) -> int:
        """2 when the block widens (and halves the resolution), else 1."""
        return 1 if self.in_channels == self.out_channels else 2

    def _shortcut(self, x: Array, fill: float) -> Array:
        if self.stride == 1:
            return x
        sub = x[:, ::2, ::2]
        pad = jnp.full((self.out_channels - self.in_channels, *sub.shape[1:]), fill, x.dtype)
        return jnp.concatenate([sub, pad])

    def _branch(self, x: Array) -> Array:
        return self.conv2(self.pair.sigma(self.conv1(x)))

    def __call__(self, x: Array) -> Array:
        """Primal pass (σ⁻¹ evaluated with ``pair.inverse_clamped`` for the Bregman skip)."""
        branch = self._branch(x)
        if self.version == "bregman":
            zero = float(self.pair.sigma(jnp.zeros((), x.dtype)))
            branch = branch + self.pair.inverse_clamped(self._shortcut(x, zero))
        elif self.version == "euclidean":
            branch = branch + self._shortcut(x, 0.0)
        return self.pair.sigma(branch)

    def dual(self, u: Array) -> Array:
        """Dual pass u⁺ = S₀u + C₂σ(C₁σ(u) + b₁) + b₂ (Bregman blocks only)."""
        if self.version != "bregman":
            raise ValueError(f"the dual pass exists only for Bregman blocks, not {self.version!r}")
        return self._shortcut(u, 0.0) + self._branch(self.pair.sigma(u))


class ResNet(Classifier, eqx.Module):
    """Stem σ(C₀x + b₀), residual blocks, global average pooling and a linear head.

    Takes one flattened image of shape ``(image_size²,)`` (any real values: the stem is a plain
    convolution, so inputs need not lie in I) and returns logits.
    """

    stem: eqx.nn.Conv2d
    blocks: tuple[ResBlock, ...]
    head_weight: Array
    head_bias: Array
    pair: LegendrePair = eqx.field(static=True)
    version: str = eqx.field(static=True)
    channels: tuple[int, ...] = eqx.field(static=True)
    image_size: int = eqx.field(static=True)

    def features(self, x: Array) -> Array:
        """Pooled output of the last block (primal), shape ``(channels[-1],)``."""
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
    stem = _conv(rng, 1, channels[0], 1, 1.0, dtype)
    blocks, size = [], image_size
    for k, (c_in, c_out) in enumerate(itertools.pairwise(channels)):
        stride = 1 if c_in == c_out else 2
        if stride == 2 and size % 2:
            raise ValueError(f"cannot halve an odd resolution {size} at block {k}")
        size //= stride
        conv1 = _conv(rng, c_in, c_out, stride, block_scale, dtype)
        conv2 = _conv(rng, c_out, c_out, 1, 0.0 if init == "zero" else block_scale, dtype)
        blocks.append(ResBlock(conv1, conv2, pair, version, c_in, c_out))
    head_weight, head_bias = make_head(rng, n_classes, channels[-1], dtype)
    return ResNet(stem, tuple(blocks), head_weight, head_bias, pair, version, channels, image_size)
