"""A network as a chain of functional-core layers and a linear head: the type every bound,
certificate and estimator reads.

f(x) = H x_L + c with x_k = σ(z_k) and z_k the pre-activation of layer k
(`bregmalib.nn.functional`).
For the Bregman version the network Jacobian is J = H Πₖ (diag(σ′(zₖ)/σ′(ũₖ)) Vₖ + diag σ′(zₖ) Wₖ)
(Frecon et al., "Bregman Neural Networks", ICML 2022). Inputs of Bregman and Euclidean networks
live in Iⁿ and are parametrised by *input coordinates* t with x = σ(t); a standard network's
coordinates are its inputs, t = x.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.typing import ArrayLike

from bregmalib.legendre import LegendrePair
from bregmalib.nn._layer import (
    Layer,
    Point,
    ScaledTangent,
    Version,
    check_finite,
    check_float_dtype,
    check_version,
    dual_point,
    point_dual_tangent,
    point_jvp,
    point_scaled_dual_jvp,
    primal_point,
    scaled_primal_tangent,
)

if TYPE_CHECKING:
    from bregmalib.nn._dense import Dense
    from bregmalib.nn._mlp import MLP


class Network(eqx.Module):
    """Hidden layers (`Layer`, one pair and one version) followed by a linear head Hx + c."""

    layers: tuple[Layer, ...]
    head_weight: Array
    head_bias: Array

    def __check_init__(self) -> None:
        if not self.layers:
            raise ValueError("a network needs at least one hidden layer")
        first = self.layers[0]
        for k, layer in enumerate(self.layers):
            if not isinstance(layer, Layer):
                raise TypeError(
                    f"layer {k} must be a bregmalib.nn.Layer, got {type(layer).__name__}"
                )
            if layer.pair != first.pair or layer.version != first.version:
                raise ValueError(
                    f"layer {k} is ({layer.pair.name}, {layer.version}); layer 0 is "
                    f"({first.pair.name}, {first.version})"
                )
            if k and layer.in_features != self.layers[k - 1].out_features:
                raise ValueError(
                    f"layer {k} takes {layer.in_features} inputs, layer {k - 1} gives "
                    f"{self.layers[k - 1].out_features}"
                )
            if layer.weight.dtype != first.weight.dtype:
                raise TypeError(
                    f"layer {k} has dtype {layer.weight.dtype}, layer 0 {first.weight.dtype}"
                )
        width = self.layers[-1].out_features
        for name, array in (("head_weight", self.head_weight), ("head_bias", self.head_bias)):
            check_float_dtype(array, name)
            check_finite(array, name)
        if (
            self.head_weight.ndim != 2
            or self.head_weight.shape[1] != width
            or 0 in self.head_weight.shape
        ):
            raise ValueError(
                f"head_weight must have shape (k, {width}), got {self.head_weight.shape}"
            )
        if self.head_bias.shape != self.head_weight.shape[:1]:
            raise ValueError(
                f"head_bias must have shape {self.head_weight.shape[:1]}, "
                f"got {self.head_bias.shape}"
            )

    @property
    def pair(self) -> LegendrePair:
        """The activation pair of every layer."""
        return self.layers[0].pair

    @property
    def version(self) -> Version:
        """The version of every layer."""
        return self.layers[0].version

    @property
    def weights(self) -> tuple[Array, ...]:
        """W_k, k = 1..L."""
        return tuple(layer.weight for layer in self.layers)

    @property
    def biases(self) -> tuple[Array, ...]:
        """b_k, k = 1..L."""
        return tuple(layer.bias for layer in self.layers)

    @property
    def mixings(self) -> tuple[Array | None, ...]:
        """V_k (row-stochastic) or None for V_k = I."""
        return tuple(layer.mixing for layer in self.layers)

    @property
    def dtype(self) -> Any:
        """The floating dtype of the parameters."""
        return self.head_weight.dtype

    @property
    def depth(self) -> int:
        """Number of hidden layers L."""
        return len(self.layers)

    @property
    def widths(self) -> tuple[int, ...]:
        """``(input_dim, hidden_1, ..., hidden_L)``."""
        return (self.layers[0].in_features, *(layer.out_features for layer in self.layers))

    @property
    def input_dim(self) -> int:
        """Input dimension n₀."""
        return self.widths[0]

    @property
    def output_dim(self) -> int:
        """Number of outputs (rows of H)."""
        return int(self.head_weight.shape[0])

    @property
    def dual_input(self) -> bool:
        """True when inputs live in Iⁿ and are parametrised by dual coordinates x = σ(t)."""
        return self.version != "standard"

    def skip_weights(self) -> tuple[Array, ...]:
        """V_k with the identity filled in where ``mixings[k]`` is None."""
        return tuple(layer.skip_matrix() for layer in self.layers)

    def effective_weights(self) -> tuple[np.ndarray, ...]:
        """The weights of the equivalent standard network, W_k (standard) or V_k + W_k
        (Euclidean), as float64 NumPy arrays whatever the network's dtype (for certified work:
        the sum of two float32 entries is exact in float64)."""
        if self.version == "bregman":
            raise ValueError("a Bregman network has no equivalent standard network")
        weights = [np.asarray(w, np.float64) for w in self.weights]
        if self.version == "standard":
            return tuple(weights)
        skips = [np.asarray(v, np.float64) for v in self.skip_weights()]
        return tuple(v + w for v, w in zip(skips, weights, strict=True))


#: what `as_network` turns into a `Network`: the entry points of lipschitz and invert take it
NetworkLike: TypeAlias = "Network | MLP | Dense | Layer"


def default_dtype() -> Any:
    """float64 when ``jax_enable_x64`` is on (recommended for certified bounds), else float32."""
    return jnp.float64 if jax.config.read("jax_enable_x64") else jnp.float32


def _floating(array: ArrayLike, dtype: Any, what: str) -> Array:
    """``array`` cast to ``dtype``; integer and float16 arrays are refused rather than converted
    (Python lists and scalars are converted)."""
    if hasattr(array, "dtype"):
        check_float_dtype(array, what)  # type: ignore[arg-type]
    return jnp.asarray(array, dtype)


def network_from_arrays(
    weights: Sequence[ArrayLike],
    biases: Sequence[ArrayLike] | None,
    pair: LegendrePair,
    version: str,
    *,
    mixings: Sequence[ArrayLike | None] | None = None,
    head_weight: ArrayLike | None = None,
    head_bias: ArrayLike | None = None,
    dtype: Any = None,
) -> Network:
    """A `Network` from weights W_k (out, in), biases (None: zeros), an activation pair, a
    version, optional row-stochastic mixings V_k and a head (None: H = I, c = 0).

    Arrays must be float32 or float64; they are cast to ``dtype`` (default `default_dtype`).
    """
    version = check_version(version)
    if not isinstance(pair, LegendrePair):
        raise TypeError(f"pair must be a LegendrePair, got {type(pair).__name__}")
    if len(weights) == 0:
        raise ValueError("a network needs at least one hidden layer")
    dtype = default_dtype() if dtype is None else dtype
    ws = [_floating(w, dtype, f"weight {k}") for k, w in enumerate(weights)]
    if biases is not None and len(biases) != len(ws):
        raise ValueError(f"got {len(biases)} biases for {len(ws)} layers")
    if mixings is not None and len(mixings) != len(ws):
        raise ValueError(f"got {len(mixings)} mixing matrices for {len(ws)} layers")
    layers = []
    for k, w in enumerate(ws):
        if w.ndim != 2:
            raise ValueError(f"weight {k} must have shape (out, in), got {w.shape}")
        b = (
            jnp.zeros(w.shape[0], dtype)
            if biases is None
            else _floating(biases[k], dtype, f"bias {k}")
        )
        mixing = None if mixings is None else mixings[k]
        v = None if mixing is None else _floating(mixing, dtype, f"mixing {k}")
        layers.append(Layer(w, b, v, pair, version))
    width = ws[-1].shape[0]
    h = (
        jnp.eye(width, dtype=dtype)
        if head_weight is None
        else _floating(head_weight, dtype, "head_weight")
    )
    c = (
        jnp.zeros(h.shape[0], dtype)
        if head_bias is None
        else _floating(head_bias, dtype, "head_bias")
    )
    return Network(tuple(layers), h, c)


def as_network(model: Any, *, dtype: Any = None) -> Network:
    """The `Network` of a model: a `Network`, an `MLP` (its ``network()``), a trainable `Dense`
    or a `Layer` (a depth-1 network with head H = I), cast to ``dtype`` (default `default_dtype`).
    """
    dtype = default_dtype() if dtype is None else dtype
    to_network = getattr(model, "network", None)
    if isinstance(model, Network):
        net = model
    elif isinstance(model, Layer):
        eye = jnp.eye(model.out_features, dtype=model.weight.dtype)
        net = Network((model,), eye, jnp.zeros(model.out_features, model.weight.dtype))
    elif callable(getattr(model, "layer", None)):
        return as_network(model.layer(), dtype=dtype)
    elif callable(to_network):
        net = to_network()
    else:
        raise TypeError(
            "expected a bregmalib.nn network (Network, MLP, Dense or Layer), "
            f"got {type(model).__name__}"
        )
    return jax.tree_util.tree_map(lambda a: jnp.asarray(a, dtype), net)


def input_from_coordinates(net: Network, t: Array) -> Array:
    """The primal input x for input coordinates t: x = σ(t) (inputs in Iⁿ) or x = t (standard)."""
    return net.pair.sigma(t) if net.dual_input else t


def coordinates_from_input(net: Network, x: ArrayLike) -> Array:
    """Inverse of `input_from_coordinates` (σ⁻¹, ±inf at the ends of I)."""
    x = jnp.asarray(x)
    return net.pair.inverse(x) if net.dual_input else x


def _trace(net: Network, first: Point) -> list[Point]:
    trace = [first]
    for layer in net.layers[1:]:
        trace.append(dual_point(layer, trace[-1][1]))
    return trace


def forward_trace(net: Network, t: Array) -> list[Point]:
    """The point (ũ_k, z_k) of every hidden layer at the input with coordinates t: z_k is the
    pre-activation (x_k = σ(z_k)) and ũ_k the skip coordinate (`bregmalib.nn.functional`)."""
    first = net.layers[0]
    return _trace(net, dual_point(first, t) if net.dual_input else primal_point(first, t))


def primal_trace(net: Network, x: Array) -> list[Point]:
    """`forward_trace` at a primal input x; σ⁻¹(x) is taken only where the first layer is a
    Bregman layer with V = I (its dual step needs it), elsewhere the layer reads x itself."""
    first = net.layers[0]
    if first.version == "bregman" and first.mixing is None:
        return _trace(net, dual_point(first, net.pair.inverse(x)))
    return _trace(net, primal_point(first, x))


def network_output(net: Network, t: Array) -> Array:
    """f(x) = H x_L + c at the input with coordinates t."""
    _, z = forward_trace(net, t)[-1]
    return net.head_weight @ net.pair.sigma(z) + net.head_bias


def jacobian_vector_product(
    net: Network, t: Array, tangent: Array, *, columns: Array | None = None
) -> Array:
    """J(x)·v for the input x with coordinates t and a primal tangent v, layer by layer through
    the core: Bregman layers carry it in scaled dual coordinates (`point_dual_tangent`, then
    `point_scaled_dual_jvp` while V = I), standard and Euclidean ones in primal coordinates
    (`point_jvp`); finite wherever J(x)v is. ``columns`` (0/1 over inputs) restricts v to a
    group."""
    v = tangent if columns is None else tangent * columns
    scaled: ScaledTangent | None = None
    z = t
    for layer, point in zip(net.layers, forward_trace(net, t), strict=True):
        if scaled is not None and layer.version == "bregman" and layer.mixing is None:
            scaled = point_scaled_dual_jvp(layer, point, scaled)
        elif layer.version == "bregman":
            if scaled is not None:
                v = scaled_primal_tangent(net.pair, z, scaled)
            scaled = point_dual_tangent(layer, point, v)
        else:
            v = point_jvp(layer, point, v)
        z = point[1]
    if scaled is not None:
        v = scaled_primal_tangent(net.pair, z, scaled)
    return net.head_weight @ v


def vector_jacobian_product(
    net: Network, t: Array, cotangent: Array, *, columns: Array | None = None
) -> Array:
    """J(x)ᵀ·w, the transpose of `jacobian_vector_product`."""
    zero = jnp.zeros(net.input_dim, cotangent.dtype)
    _, pullback = jax.vjp(lambda v: jacobian_vector_product(net, t, v, columns=columns), zero)
    return pullback(cotangent)[0]


def gram_vector_product(
    net: Network, t: Array, tangent: Array, *, columns: Array | None = None
) -> tuple[Array, Array]:
    """(J(x)v, J(x)ᵀJ(x)v), a power-iteration step on JᵀJ, from one forward trace: the pullback of
    the linear map v ↦ J(x)v (`jacobian_vector_product`) applied to its own value."""
    jv, pullback = jax.vjp(lambda v: jacobian_vector_product(net, t, v, columns=columns), tangent)
    return jv, pullback(jv)[0]


def network_jacobian(net: Network, t: Array, *, columns: Array | None = None) -> Array:
    """The dense Jacobian (outputs × inputs) at input coordinates t; for small widths."""
    eye = jnp.eye(net.input_dim, dtype=t.dtype)
    jvp = jax.vmap(lambda e: jacobian_vector_product(net, t, e, columns=columns))
    return jvp(eye).T
