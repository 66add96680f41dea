"""The allowed input set of an attack: an ε-ball around a clean point intersected with the data
segment [lower, upper]ⁿ, which lies inside the activation's interval I (so σ⁻¹ is defined)."""

from __future__ import annotations

import dataclasses
from typing import Literal, get_args

import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.typing import ArrayLike

from bregmalib.lipschitz import Box

#: the norms of an attack's ball: ℓ∞ or ℓ₂
Norm = Literal["linf", "l2"]
NORMS: tuple[Norm, ...] = get_args(Norm)


@dataclasses.dataclass(frozen=True)
class InputDomain:
    """The segment [lower, upper] that every input coordinate must stay in."""

    lower: float
    upper: float

    def __post_init__(self) -> None:
        if not self.lower < self.upper:
            raise ValueError(f"need lower < upper, got [{self.lower}, {self.upper}]")

    def clip(self, x: Array) -> Array:
        """x clipped coordinatewise into [lower, upper]."""
        return jnp.clip(x, self.lower, self.upper)

    def box_around(self, center: ArrayLike, half_width: float) -> Box:
        """The box center ± half_width intersected with the segment (for local bounds)."""
        center = np.asarray(center, np.float64)
        return Box(
            np.maximum(center - half_width, self.lower),
            np.minimum(center + half_width, self.upper),
        )

    def contains(self, x: Array) -> Array:
        """True where every coordinate of x (last axis) lies in [lower, upper]."""
        return jnp.all((x >= self.lower) & (x <= self.upper), axis=-1)


def input_domain(data: object) -> InputDomain:
    """The input segment of a `bregmalib.data.Dataset` (its scaler's target segment)."""
    scaler = getattr(data, "scaler", None)
    if scaler is None:
        raise TypeError(f"expected a bregmalib.data.Dataset, got {type(data).__name__}")
    return InputDomain(float(scaler.target_low), float(scaler.target_high))


def check_norm(norm: object) -> Norm:
    """``norm`` if it is one of `NORMS`, else ValueError."""
    if not isinstance(norm, str) or norm not in NORMS:
        raise ValueError(f"unknown norm {norm!r}; expected one of {list(NORMS)}")
    return norm


def project(x: Array, center: Array, eps: float | Array, norm: Norm, domain: InputDomain) -> Array:
    """A point of {‖x − center‖ ≤ ε} ∩ [lower, upper]ⁿ: the ball projection, then clipping.

    Clipping is the projection onto a box that contains ``center``, hence nonexpansive and
    fixing ``center``: it never increases ‖x − center‖, so the result stays in the ball.
    Batched over leading axes (the norm is taken over the last axis)."""
    delta = x - center
    if check_norm(norm) == "linf":
        delta = jnp.clip(delta, -eps, eps)
    else:
        length = jnp.linalg.norm(delta, axis=-1, keepdims=True)
        delta = delta * jnp.minimum(1.0, eps / jnp.maximum(length, 1e-30))
    return domain.clip(center + delta)


def distance(x: Array, center: Array, norm: Norm) -> Array:
    """‖x − center‖ in ``norm`` over the last axis."""
    delta = x - center
    if check_norm(norm) == "linf":
        return jnp.max(jnp.abs(delta), axis=-1)
    return jnp.linalg.norm(delta, axis=-1)
