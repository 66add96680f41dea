"""The functional core: one hidden layer of each version as pure functions of its parameters.

Frecon, Gasso, Pontil, Salzo, "Bregman Neural Networks", ICML 2022, eq. (5). With ũ the *skip*
coordinate and z the pre-activation of the output (x⁺ = σ(z)):

- ``"bregman"``: ũ = σ⁻¹(Vx), z = ũ + Wx + b, so x⁺ = σ(σ⁻¹(Vx) + Wx + b);
- ``"euclidean"``: z = Vx + Wx + b;
- ``"standard"``: z = Wx + b;

V is the identity (``mixing is None``) or a row-stochastic matrix, so Vx stays in Iⁿ. In dual
coordinates u = σ⁻¹(x) a Bregman layer with V = I is the residual step u⁺ = u + Wσ(u) + b.

Primal Jacobian: J(x) = diag(σ′(z)/σ′(ũ)) V + diag σ′(z) W (Bregman), diag σ′(z)(V + W)
(Euclidean), diag σ′(z) W (standard); the ratio σ′(z)/σ′(ũ) is formed as
exp(log σ′(z) − log σ′(ũ)), so saturated units neither underflow nor divide by zero.
Dual Jacobian ∂z/∂u = (diag σ′(ũ)⁻¹ V + W) diag σ′(u) (Bregman; I + W diag σ′(u) when V = I),
(V + W) diag σ′(u) (Euclidean), W diag σ′(u) (standard), and for a square layer
log|det J(x)| = Σ log σ′(z) − Σ log σ′(u) + log|det ∂z/∂u|.

Through a chain of Bregman layers a tangent is carried in dual coordinates, *scaled*: δz = e^{−ℓ}⊙w
with ℓ = log σ′ at an anchor (the skip coordinate ũ of the layer where the chain entered dual
coordinates). A Bregman layer maps a primal tangent v to w = Vv + σ′(ũ)⊙Wv, ℓ = log σ′(ũ)
(δz = σ′(ũ)⁻¹⊙Vv + Wv); one with V = I steps w ↦ w + e^{ℓ}⊙W(e^{log σ′(u) − ℓ}⊙w), the dual step
δz = δu + W(σ′(u)⊙δu); the primal tangent is e^{log σ′(z) − ℓ}⊙w. No factor there underflows
to 0 where the next one overflows (a primal tangent σ′(z)⊙δz lost at a saturated unit and then
multiplied by a slope ratio of 10³⁰⁰), and a saturated input, σ′(ũ) → 0, does not make δz infinite.

Every function takes a `Layer` (arrays W, b, V and the static pair and version) and one example;
use ``jax.vmap`` for batches.
"""

from __future__ import annotations

from typing import Literal, get_args

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.core import Tracer

from bregmalib.legendre import LegendrePair

Version = Literal["bregman", "standard", "euclidean"]
VERSIONS: tuple[Version, ...] = get_args(Version)
#: the floating dtypes a network may hold
DTYPES: tuple[str, ...] = ("float32", "float64")
#: a pair (ũ, z): the skip coordinate and the pre-activation of a layer at one input
Point = tuple[Array, Array]


def check_version(version: object) -> Version:
    """``version`` if it names a layer version, else ValueError."""
    if not isinstance(version, str) or version not in VERSIONS:
        raise ValueError(f"unknown version {version!r}; expected one of {list(VERSIONS)}")
    return version


def check_float_dtype(array: Array, what: str) -> None:
    """Refuse every dtype but float32 and float64 (integers and float16 would be truncated)."""
    if str(array.dtype) not in DTYPES:
        raise TypeError(
            f"{what} has dtype {array.dtype}; networks hold float32 or float64 only "
            "(convert with .astype(jnp.float32) or jnp.float64)"
        )


def check_finite(array: Array, what: str) -> None:
    """Refuse NaN or ±inf entries of a concrete array (tracers pass unchecked)."""
    if isinstance(array, Tracer):
        return
    values = np.asarray(array)
    if not np.all(np.isfinite(values)):
        bad = int(np.sum(~np.isfinite(values)))
        raise ValueError(f"{what} has {bad} NaN or infinite entries; weights must be finite")


def row_stochastic_tolerance(dtype: np.dtype, n_inputs: int) -> float:
    """Tolerance on |Σ_j V_ij − 1|: 16·eps·n, at least 1e-6 (a softmax or a projection onto
    the simplex in float32 sums to 1 only up to rounding)."""
    return max(1e-6, 16.0 * float(np.finfo(dtype).eps) * max(1, n_inputs))


def check_row_stochastic(mixing: Array, what: str) -> None:
    """V ≥ 0 with rows summing to 1, so that Vx ∈ Iⁿ for x ∈ Iᵐ (concrete arrays only)."""
    if isinstance(mixing, Tracer):
        return
    v = np.asarray(mixing)
    tol = row_stochastic_tolerance(v.dtype, v.shape[1])
    if np.any(v < 0) or np.any(np.abs(v.sum(axis=1) - 1.0) > tol):
        raise ValueError(
            f"{what} must be row-stochastic (non-negative rows summing to 1, so that Vx stays in "
            f"the activation's interval); row sums {np.round(v.sum(axis=1), 6).tolist()[:5]}, "
            f"smallest entry {float(v.min()):.3g}"
        )


def check_layer_shapes(
    weight: Array, bias: Array, mixing: Array | None, version: str, what: str
) -> None:
    """W of shape (out, in) with out, in ≥ 1, b of shape (out,), V of W's shape exactly where
    the widths differ (Bregman and Euclidean) or None (standard)."""
    if weight.ndim != 2 or 0 in weight.shape:
        raise ValueError(
            f"{what}: weight must have shape (out, in) with out, in ≥ 1, got {weight.shape}"
        )
    if bias.shape != weight.shape[:1]:
        raise ValueError(f"{what}: bias must have shape ({weight.shape[0]},), got {bias.shape}")
    if version == "standard" and mixing is not None:
        raise ValueError(f"{what}: a standard layer has no mixing matrix V")
    if mixing is None and version != "standard" and weight.shape[0] != weight.shape[1]:
        raise ValueError(
            f"{what}: a {version} layer from {weight.shape[1]} to {weight.shape[0]} needs a "
            f"mixing matrix V of shape {weight.shape}"
        )
    if mixing is not None and mixing.shape != weight.shape:
        raise ValueError(
            f"{what}: mixing must have the shape of the weight {weight.shape}, got {mixing.shape}"
        )


class Layer(eqx.Module):
    """The parameters of one hidden layer: W (out, in), b (out,), V (out, in) row-stochastic or
    None for the identity, with the activation pair and the version (see the module docstring).

    Validated where it is built: shapes, float32 or float64 (one dtype), finite entries, V
    row-stochastic. A single layer is a depth-1 network (`bregmalib.nn.as_network`).
    """

    weight: Array
    bias: Array
    mixing: Array | None
    pair: LegendrePair = eqx.field(static=True)
    version: Version = eqx.field(static=True)

    def __check_init__(self) -> None:
        check_version(self.version)
        if not isinstance(self.pair, LegendrePair):
            raise TypeError(f"pair must be a LegendrePair, got {type(self.pair).__name__}")
        arrays = {"weight": self.weight, "bias": self.bias, "mixing": self.mixing}
        for name, array in arrays.items():
            if array is not None:
                check_float_dtype(array, name)
                check_finite(array, name)
        check_layer_shapes(self.weight, self.bias, self.mixing, self.version, "layer")
        dtypes = {str(a.dtype) for a in arrays.values() if a is not None}
        if len(dtypes) > 1:
            raise TypeError(f"weight, bias and mixing must share one dtype, got {sorted(dtypes)}")
        if self.mixing is not None:
            check_row_stochastic(self.mixing, "mixing V")

    @property
    def in_features(self) -> int:
        """Input width."""
        return int(self.weight.shape[1])

    @property
    def out_features(self) -> int:
        """Output width."""
        return int(self.weight.shape[0])

    def skip_matrix(self) -> Array:
        """V, with the identity filled in where ``mixing`` is None."""
        if self.mixing is not None:
            return self.mixing
        return jnp.eye(self.out_features, self.in_features, dtype=self.weight.dtype)


def _skip(layer: Layer, x: Array) -> Array:
    return x if layer.mixing is None else layer.mixing @ x


def primal_point(layer: Layer, x: Array) -> Point:
    """(ũ, z) at a primal input x: ũ = σ⁻¹(Vx) (Bregman; σ⁻¹ clamped 4 machine epsilons inside
    I, which keeps saturated values finite), z = ũ + Wx + b; ũ = z for the other versions."""
    affine = layer.weight @ x + layer.bias
    if layer.version == "bregman":
        skip = layer.pair.inverse_clamped(_skip(layer, x))
        return skip, skip + affine
    z = affine + _skip(layer, x) if layer.version == "euclidean" else affine
    return z, z


def dual_point(layer: Layer, u: Array) -> Point:
    """(ũ, z) at the input x = σ(u) given by its dual coordinate u: for a Bregman layer with
    V = I, ũ = u and z = u + Wσ(u) + b, with no σ⁻¹ of a saturated value."""
    if layer.version == "bregman" and layer.mixing is None:
        return u, u + layer.weight @ layer.pair.sigma(u) + layer.bias
    return primal_point(layer, layer.pair.sigma(u))


def preactivation(layer: Layer, x: Array) -> Array:
    """z with x⁺ = σ(z): the output's dual coordinate, from the primal input x."""
    return primal_point(layer, x)[1]


def forward(layer: Layer, x: Array) -> Array:
    """The primal layer x ↦ x⁺ = σ(z) (σ(σ⁻¹(Vx) + Wx + b) for the Bregman version)."""
    return layer.pair.sigma(preactivation(layer, x))


def dual_forward(layer: Layer, u: Array) -> Array:
    """The layer in dual coordinates u ↦ σ⁻¹(x⁺) with x = σ(u): u + Wσ(u) + b (Bregman, V = I),
    σ⁻¹(Vσ(u)) + Wσ(u) + b (Bregman), (V + W)σ(u) + b (Euclidean), Wσ(u) + b (standard)."""
    return dual_point(layer, u)[1]


def slope_factor(log_numerator: Array, log_denominator: Array) -> Array:
    """exp(a − b) for logs a, b of slopes σ′: 1 where a = b (also a = b = −∞), at most the
    largest finite float (so that a factor times a zero tangent is 0, never NaN)."""
    difference = jnp.where(log_numerator == log_denominator, 0.0, log_numerator - log_denominator)
    return jnp.exp(jnp.minimum(difference, np.log(np.finfo(difference.dtype).max)))


def point_jvp(layer: Layer, point: Point, tangent: Array) -> Array:
    """J(x)·v at the point (ũ, z) of x: exp(log σ′(z) − log σ′(ũ))⊙(Vv) + σ′(z)⊙(Wv) (Bregman),
    σ′(z)⊙((V + W)v) (Euclidean), σ′(z)⊙(Wv) (standard)."""
    skip, z = point
    pair = layer.pair
    branch = layer.weight @ tangent
    if layer.version == "bregman":
        ratio = slope_factor(pair.log_derivative(z), pair.log_derivative(skip))
        return ratio * _skip(layer, tangent) + pair.derivative(z) * branch
    if layer.version == "euclidean":
        return pair.derivative(z) * (_skip(layer, tangent) + branch)
    return pair.derivative(z) * branch


#: a dual tangent held scaled, (w, ℓ) with δz = e^{−ℓ}⊙w (see the module docstring)
ScaledTangent = tuple[Array, Array]


def point_dual_tangent(layer: Layer, point: Point, tangent: Array) -> ScaledTangent:
    """The tangent of z for a primal tangent v of a Bregman layer's input, scaled by σ′(ũ):
    w = Vv + σ′(ũ)⊙Wv, ℓ = log σ′(ũ), so that δz = σ′(ũ)⁻¹⊙Vv + Wv = e^{−ℓ}⊙w."""
    log_scale = layer.pair.log_derivative(point[0])
    scale = slope_factor(log_scale, jnp.zeros_like(log_scale))
    return _skip(layer, tangent) + scale * (layer.weight @ tangent), log_scale


def point_scaled_dual_jvp(layer: Layer, point: Point, scaled: ScaledTangent) -> ScaledTangent:
    """`dual_jvp` of a Bregman layer with V = I (u = ũ), δz = δu + W(σ′(u)⊙δu), on a scaled
    tangent δu = e^{−ℓ}⊙w: (w + e^{ℓ}⊙W(e^{log σ′(u) − ℓ}⊙w), ℓ). `dual_jvp` itself keeps
    σ′(u) as evaluated (the certified local bounds read it), not through e^{log σ′}."""
    w, log_scale = scaled
    primal = slope_factor(layer.pair.log_derivative(point[0]), log_scale) * w
    scale = slope_factor(log_scale, jnp.zeros_like(log_scale))
    return w + scale * (layer.weight @ primal), log_scale


def scaled_primal_tangent(pair: LegendrePair, z: Array, scaled: ScaledTangent) -> Array:
    """The primal tangent σ′(z)⊙δz of x = σ(z) for the scaled dual tangent δz = e^{−ℓ}⊙w:
    e^{log σ′(z) − ℓ}⊙w."""
    w, log_scale = scaled
    return slope_factor(pair.log_derivative(z), log_scale) * w


def point_jacobian(layer: Layer, point: Point) -> Array:
    """The dense primal Jacobian J(x) (out × in) at the point (ũ, z) of x: `point_jvp` applied
    to the columns of the identity."""
    eye = jnp.eye(layer.in_features, dtype=point[1].dtype)
    return jax.vmap(lambda e: point_jvp(layer, point, e), out_axes=1)(eye)


def jvp(layer: Layer, x: Array, tangent: Array) -> Array:
    """J(x)·v for a primal input x."""
    return point_jvp(layer, primal_point(layer, x), tangent)


def vjp(layer: Layer, x: Array, cotangent: Array) -> Array:
    """J(x)ᵀ·w for a primal input x (the transpose of `jvp`)."""
    return point_jacobian(layer, primal_point(layer, x)).T @ cotangent


def jacobian(layer: Layer, x: Array) -> Array:
    """The primal Jacobian J(x) at a primal input x."""
    return point_jacobian(layer, primal_point(layer, x))


def jacobian_at_dual(layer: Layer, u: Array) -> Array:
    """The primal Jacobian J(x) at x = σ(u), from the dual coordinate u (stable at saturation)."""
    return point_jacobian(layer, dual_point(layer, u))


def dual_jvp(layer: Layer, u: Array, tangent: Array) -> Array:
    """(∂z/∂u)·δ, the derivative of `dual_forward`: δ + W(σ′(u)⊙δ) for a Bregman layer with
    V = I (see the module docstring for the others)."""
    skip, _ = dual_point(layer, u)
    pair = layer.pair
    primal_tangent = pair.derivative(u) * tangent
    branch = layer.weight @ primal_tangent
    if layer.version == "bregman":
        if layer.mixing is None:
            return tangent + branch
        return _skip(layer, primal_tangent) / pair.derivative(skip) + branch
    if layer.version == "euclidean":
        return _skip(layer, primal_tangent) + branch
    return branch


def dual_jacobian(layer: Layer, u: Array) -> Array:
    """∂z/∂u, the Jacobian of `dual_forward` (I + W diag σ′(u) for a Bregman layer, V = I)."""
    eye = jnp.eye(layer.in_features, dtype=u.dtype)
    return jax.vmap(lambda e: dual_jvp(layer, u, e), out_axes=1)(eye)


def dual_vjp(layer: Layer, u: Array, cotangent: Array) -> Array:
    """(∂z/∂u)ᵀ·w, the transpose of `dual_jvp`."""
    zero = jnp.zeros(layer.in_features, dtype=cotangent.dtype)
    _, pullback = jax.vjp(lambda t: dual_jvp(layer, u, t), zero)
    return pullback(cotangent)[0]


def _require_square(layer: Layer) -> None:
    if layer.in_features != layer.out_features:
        raise ValueError(f"a log-determinant needs a square layer, got shape {layer.weight.shape}")


def dual_log_abs_det(layer: Layer, u: Array) -> Array:
    """log|det ∂z/∂u| of a square layer: log|det(I + W diag σ′(u))| for a Bregman layer, V = I."""
    _require_square(layer)
    return jnp.linalg.slogdet(dual_jacobian(layer, u))[1]


def log_abs_det_at_dual(layer: Layer, u: Array) -> Array:
    """log|det J(x)| at x = σ(u): Σ log σ′(z) − Σ log σ′(u) + log|det ∂z/∂u| (square layer)."""
    z = dual_forward(layer, u)
    pair = layer.pair
    return (
        jnp.sum(pair.log_derivative(z))
        - jnp.sum(pair.log_derivative(u))
        + dual_log_abs_det(layer, u)
    )


def log_abs_det(layer: Layer, x: Array) -> Array:
    """log|det J(x)| of a square layer at a primal input x: through `log_abs_det_at_dual` with
    u = σ⁻¹(x) for the Bregman version, from the dense Jacobian for the others."""
    if layer.version == "bregman":
        return log_abs_det_at_dual(layer, layer.pair.inverse(x))
    _require_square(layer)
    return jnp.linalg.slogdet(jacobian(layer, x))[1]
