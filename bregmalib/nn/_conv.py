"""Linear operators on images and the affine maps built from them: 2-D convolutions (zero or
circular padding, any stride), dense matrices, average pooling and flattening.

A convolution with kernel K (out, in, k, k), stride s and padding p maps x (in, H, W) to
(Cx)[o, i, j] = Σ_{c,a,b} K[o, c, a, b] x̄[c, s·i + a, s·j + b] with x̄ the padded input (the
cross-correlation of PyTorch's ``Conv2d``). Every operator here is linear in x, so its Jacobian
is itself; `operator_matrix` gives the dense matrix that makes a convolutional layer a
functional-core `Layer` (Frecon et al., "Bregman Neural Networks", ICML 2022, eq. (5), with W
the convolution and V an averaging shortcut).
"""

from __future__ import annotations

import math
from typing import Any, Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax import Array

from bregmalib.legendre import LegendrePair
from bregmalib.nn._layer import Layer, Version, check_version

Shape = tuple[int, ...]
Padding = Literal["zeros", "circular"]


class Conv2d(eqx.Module):
    """The convolution x ↦ Cx on (in, H, W) arrays (see the module docstring)."""

    kernel: Array
    in_shape: Shape = eqx.field(static=True)
    stride: int = eqx.field(static=True, default=1)
    padding: int = eqx.field(static=True, default=0)
    mode: Padding = eqx.field(static=True, default="zeros")

    def __check_init__(self) -> None:
        if self.kernel.ndim != 4 or self.kernel.shape[1] != self.in_shape[0]:
            raise ValueError(
                f"kernel must have shape (out, {self.in_shape[0]}, k, k), got {self.kernel.shape}"
            )
        if self.mode not in ("zeros", "circular"):
            raise ValueError(f"padding mode must be 'zeros' or 'circular', got {self.mode!r}")
        if self.stride < 1 or self.padding < 0:
            raise ValueError(
                f"stride must be >= 1 and padding >= 0, got {self.stride}, {self.padding}"
            )

    @property
    def out_shape(self) -> Shape:
        """(out, H′, W′) with H′ = ⌊(H + 2p − k)/s⌋ + 1."""
        _, h, w = self.in_shape
        kh, kw = self.kernel.shape[2:]
        p, s = self.padding, self.stride
        return (int(self.kernel.shape[0]), (h + 2 * p - kh) // s + 1, (w + 2 * p - kw) // s + 1)

    def __call__(self, x: Array) -> Array:
        """Cx for one image x of shape ``in_shape``."""
        p = self.padding
        pads = [(p, p), (p, p)]
        if self.mode == "circular":
            x = jnp.pad(x, ((0, 0), (p, p), (p, p)), mode="wrap")
            pads = [(0, 0), (0, 0)]
        out = jax.lax.conv_general_dilated(
            x[None], self.kernel.astype(x.dtype), (self.stride, self.stride), pads
        )
        return out[0]


class Matrix(eqx.Module):
    """The dense operator x ↦ Mx on vectors."""

    matrix: Array

    @property
    def in_shape(self) -> Shape:
        """(in,)."""
        return (int(self.matrix.shape[1]),)

    @property
    def out_shape(self) -> Shape:
        """(out,)."""
        return (int(self.matrix.shape[0]),)

    def __call__(self, x: Array) -> Array:
        """Mx."""
        return self.matrix.astype(x.dtype) @ x


class AvgPool(eqx.Module):
    """Non-overlapping k × k average pooling of (C, H, W) arrays (H, W multiples of k); the
    global average pool is k = H = W. Its ℓ₂ norm is 1/k."""

    size: int = eqx.field(static=True)
    in_shape: Shape = eqx.field(static=True)

    @property
    def out_shape(self) -> Shape:
        """(C, H/k, W/k)."""
        c, h, w = self.in_shape
        return (c, h // self.size, w // self.size)

    def __call__(self, x: Array) -> Array:
        """The mean over each k × k window."""
        c, h, w = self.out_shape
        return x.reshape(c, h, self.size, w, self.size).mean(axis=(2, 4))


class MaxPool(eqx.Module):
    """k × k max pooling of (C, H, W) arrays with stride s and padding p (by −∞). Each input
    lies in at most ⌈k/s⌉² windows and |max a − max b| ≤ ‖a − b‖₂ on a window, so its ℓ₂
    Lipschitz constant is at most ⌈k/s⌉ (its ℓ∞ one at most 1)."""

    size: int = eqx.field(static=True)
    stride: int = eqx.field(static=True)
    padding: int = eqx.field(static=True)
    in_shape: Shape = eqx.field(static=True)

    def __check_init__(self) -> None:
        if self.size < 1 or self.stride < 1 or not 0 <= 2 * self.padding <= self.size:
            raise ValueError(
                "max pooling needs size, stride >= 1 and 0 <= padding <= size/2, got "
                f"{self.size}, {self.stride}, {self.padding}"
            )

    @property
    def out_shape(self) -> Shape:
        """(C, ⌊(H + 2p − k)/s⌋ + 1, ⌊(W + 2p − k)/s⌋ + 1)."""
        c, h, w = self.in_shape
        k, s, p = self.size, self.stride, self.padding
        return (c, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1)

    def __call__(self, x: Array) -> Array:
        """The maximum over each window."""
        p = self.padding
        return jax.lax.reduce_window(
            x,
            -jnp.inf,
            jax.lax.max,
            (1, self.size, self.size),
            (1, self.stride, self.stride),
            ((0, 0), (p, p), (p, p)),
        )


class Flatten(eqx.Module):
    """(C, H, W) ↦ the vector of its C·H·W entries in row-major order (an isometry)."""

    in_shape: Shape = eqx.field(static=True)

    @property
    def out_shape(self) -> Shape:
        """(C·H·W,)."""
        return (math.prod(self.in_shape),)

    def __call__(self, x: Array) -> Array:
        """x.reshape(−1)."""
        return x.reshape(-1)


Operator = Conv2d | Matrix | AvgPool | Flatten


class Affine(eqx.Module):
    """x ↦ Ax + b with A a `Conv2d` (b one value per output channel) or a `Matrix`."""

    operator: Conv2d | Matrix
    bias: Array

    @property
    def in_shape(self) -> Shape:
        """The input shape of A."""
        return self.operator.in_shape

    @property
    def out_shape(self) -> Shape:
        """The output shape of A."""
        return self.operator.out_shape

    def __call__(self, x: Array) -> Array:
        """Ax + b."""
        out = self.operator(x)
        bias = self.bias.astype(out.dtype)
        return out + (bias[:, None, None] if out.ndim == 3 else bias)


def operator_matrix(operator: Operator | Affine, dtype: Any = None) -> Array:
    """The dense matrix of a linear operator on flattened inputs (of A for an affine map Ax + b):
    the Jacobian of x ↦ A x, which is A itself (for small images only)."""
    linear = operator.operator if isinstance(operator, Affine) else operator
    size = math.prod(linear.in_shape)
    dtype = dtype or jnp.result_type(float)
    eye = jnp.eye(size, dtype=dtype)
    columns = jax.vmap(lambda e: linear(e.reshape(linear.in_shape)).reshape(-1))(eye)
    return columns.T


def averaging_shortcut(in_shape: Shape, out_shape: Shape) -> np.ndarray:
    """A row-stochastic V from (C, H, W) to (C′, H/s, W/s): output channel o averages the s × s
    window of input channel ⌊o·C/C′⌋ (so Vx stays in Iⁿ, as a Bregman layer needs)."""
    c_in, h, w = in_shape
    c_out, h_out, w_out = out_shape
    s = h // h_out
    if h_out * s != h or w_out * s != w:
        raise ValueError(f"cannot pool {in_shape[1:]} to {out_shape[1:]} with one stride")
    v = np.zeros((c_out, h_out, w_out, c_in, h, w))
    for o in range(c_out):
        c = o * c_in // c_out
        for i in range(h_out):
            for j in range(w_out):
                v[o, i, j, c, s * i : s * i + s, s * j : s * j + s] = 1.0 / (s * s)
    return v.reshape(c_out * h_out * w_out, c_in * h * w)


def conv_layer(
    conv: Conv2d, bias: Array, pair: LegendrePair, version: str, *, mixing: Array | None = None
) -> Layer:
    """The functional-core `Layer` σ(σ⁻¹(Vx) + Cx + b) (or its Euclidean or standard version)
    of a convolution C on flattened images, with b one value per output channel. V is the
    identity where the shapes agree and ``mixing`` is None, else ``mixing`` or the
    `averaging_shortcut` (Bregman and Euclidean); a standard layer has none."""
    version_: Version = check_version(version)
    dtype = conv.kernel.dtype
    weight = operator_matrix(conv, dtype)
    size = math.prod(conv.out_shape[1:])
    full_bias = jnp.repeat(jnp.asarray(bias, dtype), size)
    if version_ != "standard" and mixing is None and conv.in_shape != conv.out_shape:
        mixing = jnp.asarray(averaging_shortcut(conv.in_shape, conv.out_shape), dtype)
    return Layer(weight, full_bias, None if version_ == "standard" else mixing, pair, version_)
