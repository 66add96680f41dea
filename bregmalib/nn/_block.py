"""Residual blocks with a Bregman skip and a general branch, and convolutional networks made of
stages (affine maps, activations, blocks, pooling, flattening).

A residual block (Frecon, Gasso, Pontil, Salzo, "Bregman Neural Networks", ICML 2022, §5, the
BregmanBasicBlock) maps x to x⁺ = σ(ũ + r(x)) with r the branch (affine maps with σ between
them) and the skip coordinate

- ``"bregman"``: ũ = g(clamp(Sx)), g = σ⁻¹ unless a `SkipMap` says otherwise;
- ``"euclidean"``: ũ = Sx;
- ``"standard"``: ũ = 0,

where S is a `Shortcut` (the identity, or a stride-s subsampling whose new channels are filled
with a constant) or a `Matrix` V on vectors. A Bregman layer σ(σ⁻¹(Vx) + Wx + b) of the
functional core is the case of an affine branch Wx + b with S = V. The primal Jacobian of a
Bregman block is J(x) = diag σ′(z) (diag g′(clamp Sx) S + J_r(x)) with z = ũ + r(x).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
from jax import Array

from bregmalib.legendre import LegendrePair
from bregmalib.nn._conv import Affine, AvgPool, Flatten, Matrix, MaxPool, Shape
from bregmalib.nn._layer import Version, check_version


class SkipMap(eqx.Module):
    """ũ = g(clamp(s, lo, hi)) for the Bregman skip: g = σ⁻¹ (``function`` None) or the
    function a trained model used in its place, with the clamp it applied (±inf: none),
    ``slope`` ≥ sup |g′| on [lo, hi] (what a Lipschitz bound needs of a g that is not σ⁻¹) and
    ``local_slope(a, b)`` ≥ sup |g′| on [a, b] ⊂ [lo, hi] (+inf where g jumps; None: ``slope``),
    what a local bound needs; ``ratio(Δ)`` ≥ sup σ′(g(s) + δ)|g′(s)| over s in [lo, hi] and
    |δ| ≤ Δ when known (None: L_σ·``slope``), the slope ratio R_σ(Δ) of this g."""

    function: Callable[[Array], Array] | None = eqx.field(static=True, default=None)
    lo: float = eqx.field(static=True, default=-math.inf)
    hi: float = eqx.field(static=True, default=math.inf)
    name: str = eqx.field(static=True, default="inverse")
    slope: float = eqx.field(static=True, default=math.inf)
    local_slope: Callable[[Array, Array], Array] | None = eqx.field(static=True, default=None)
    ratio: Callable[[float], float] | None = eqx.field(static=True, default=None)

    def __call__(self, pair: LegendrePair, s: Array) -> Array:
        """g(clamp(s)); with g = σ⁻¹ clamped 4 machine epsilons inside I as well."""
        s = jnp.clip(s, self.lo, self.hi)
        if self.function is None:
            return pair.inverse_clamped(s)
        return self.function(s)


class Shortcut(eqx.Module):
    """S: x ↦ x[:, ::s, ::s] with ``before`` and ``after`` new channels of value ``fill``
    (the identity for s = 1 and no new channels, the only shortcut of vectors, in_shape (n,)).
    Its linear part selects coordinates, so ‖S x − S y‖ ≤ ‖x − y‖."""

    in_shape: Shape = eqx.field(static=True)
    stride: int = eqx.field(static=True, default=1)
    before: int = eqx.field(static=True, default=0)
    after: int = eqx.field(static=True, default=0)
    fill: float = eqx.field(static=True, default=0.0)

    def __check_init__(self) -> None:
        if len(self.in_shape) == 1 and (self.stride != 1 or self.before or self.after):
            raise ValueError("a shortcut of vectors is the identity (stride 1, no new channels)")

    @property
    def out_shape(self) -> Shape:
        """(C + before + after, ⌈H/s⌉, ⌈W/s⌉)."""
        if len(self.in_shape) == 1:
            return self.in_shape
        c, h, w = self.in_shape
        s = self.stride
        return (c + self.before + self.after, -(-h // s), -(-w // s))

    def __call__(self, x: Array) -> Array:
        """Sx."""
        if x.ndim == 1:
            return x
        sub = x[:, :: self.stride, :: self.stride]
        if not self.before and not self.after:
            return sub
        pad = ((self.before, self.after), (0, 0), (0, 0))
        return jnp.pad(sub, pad, constant_values=self.fill)


class Activation(eqx.Module):
    """x ↦ σ(x) elementwise."""

    pair: LegendrePair = eqx.field(static=True)
    in_shape: Shape = eqx.field(static=True)

    @property
    def out_shape(self) -> Shape:
        """The input shape."""
        return self.in_shape

    def __call__(self, x: Array) -> Array:
        """σ(x)."""
        return self.pair.sigma(x)


def branch_output(branch: tuple[Affine, ...], pair: LegendrePair, x: Array) -> Array:
    """r(x) = A_m σ(⋯ σ(A_1 x)): the affine maps of the branch with σ between them."""
    out = branch[0](x)
    for affine in branch[1:]:
        out = affine(pair.sigma(out))
    return out


class ResidualBlock(eqx.Module):
    """x ↦ σ(ũ + r(x)) (see the module docstring); ``branch`` holds A_1, …, A_m."""

    branch: tuple[Affine, ...]
    shortcut: Shortcut | Matrix
    pair: LegendrePair = eqx.field(static=True)
    version: Version = eqx.field(static=True)
    skip: SkipMap = SkipMap()

    def __check_init__(self) -> None:
        check_version(self.version)
        if not self.branch:
            raise ValueError("a residual block needs at least one affine map in its branch")
        if self.branch[0].in_shape != self.shortcut.in_shape:
            raise ValueError(
                f"branch takes {self.branch[0].in_shape}, shortcut {self.shortcut.in_shape}"
            )
        if self.version != "standard" and self.branch[-1].out_shape != self.shortcut.out_shape:
            raise ValueError(
                f"branch gives {self.branch[-1].out_shape}, shortcut {self.shortcut.out_shape}"
            )

    @property
    def in_shape(self) -> Shape:
        """The input shape."""
        return self.shortcut.in_shape

    @property
    def out_shape(self) -> Shape:
        """The output shape (the branch's)."""
        return self.branch[-1].out_shape

    @property
    def stride(self) -> int:
        """The shortcut's subsampling stride (1 for a matrix V)."""
        return self.shortcut.stride if isinstance(self.shortcut, Shortcut) else 1

    def point(self, x: Array) -> tuple[Array, Array]:
        """(ũ, z) at x: the skip coordinate and the pre-activation z = ũ + r(x)."""
        r = branch_output(self.branch, self.pair, x)
        if self.version == "bregman":
            skip = self.skip(self.pair, self.shortcut(x))
        elif self.version == "euclidean":
            skip = self.shortcut(x)
        else:
            skip = jnp.zeros_like(r)
        return skip, skip + r

    def __call__(self, x: Array) -> Array:
        """x⁺ = σ(ũ + r(x))."""
        return self.pair.sigma(self.point(x)[1])

    def dual(self, u: Array) -> Array:
        """The block in dual coordinates u = σ⁻¹(x), u⁺ = S₀u + r(σ(u)), where S₀ is the
        shortcut with fill σ⁻¹(fill); no σ⁻¹ of a saturated value is taken. Bregman blocks with
        g = σ⁻¹ and no clamp only (a clamp or another g has no such form)."""
        skip = self.skip
        if (
            self.version != "bregman"
            or not isinstance(self.shortcut, Shortcut)
            or skip.function is not None
            or skip.lo > -math.inf
            or (skip.hi < math.inf)
        ):
            raise ValueError(
                "the dual pass exists only for Bregman blocks with g = σ⁻¹, no clamp and a "
                f"subsampling shortcut, not a {self.version} block with g = {skip.name}"
            )
        with jax.ensure_compile_time_eval():
            fill = jnp.asarray(self.shortcut.fill, u.dtype)
            dual_fill = float(self.pair.inverse_clamped(fill))
        shortcut = Shortcut(
            self.in_shape, self.stride, self.shortcut.before, self.shortcut.after, dual_fill
        )
        return shortcut(u) + branch_output(self.branch, self.pair, self.pair.sigma(u))


Stage = Affine | Activation | ResidualBlock | AvgPool | MaxPool | Flatten


class ConvNet(eqx.Module):
    """f(x) = stage_m(⋯ stage_1(x)) for one input of shape ``stages[0].in_shape`` (a flat
    vector of that size is reshaped); the stages' shapes must chain."""

    stages: tuple[Stage, ...]

    def __check_init__(self) -> None:
        if not self.stages:
            raise ValueError("a network needs at least one stage")
        for k in range(1, len(self.stages)):
            before, after = self.stages[k - 1].out_shape, self.stages[k].in_shape
            if before != after:
                raise ValueError(f"stage {k} takes {after}, stage {k - 1} gives {before}")

    @property
    def in_shape(self) -> Shape:
        """The input shape."""
        return self.stages[0].in_shape

    @property
    def out_shape(self) -> Shape:
        """The output shape."""
        return self.stages[-1].out_shape

    def __call__(self, x: Array) -> Array:
        """f(x)."""
        out = jnp.reshape(x, self.in_shape)
        for stage in self.stages:
            out = stage(out)
        return out
