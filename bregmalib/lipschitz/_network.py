"""A network as plain arrays, with its forward pass and Jacobian-vector products computed stably.

Every bound and estimator of this package reads a `Network`: hidden layers (W_k, b_k, V_k),
a linear head (H, c), an activation pair and a version. `as_network` builds one from a
`bregmalib.nn.MLP` or from lists of arrays. For the Bregman version the network Jacobian is
J = H Πₖ (Dₖ Dₖ₋₁⁻¹ Vₖ + Dₖ Wₖ), Dₖ = diag σ′(uₖ) (Frecon et al., ICML 2022), and the slope
ratios Dₖ Dₖ₋₁⁻¹ are formed as exp(log σ′(uₖ) − log σ′(ũₖ)), so that saturated units neither
underflow nor divide by zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import scipy.linalg
from jax import Array
from jax.typing import ArrayLike

from bregmalib.legendre import LegendrePair

VERSIONS: tuple[str, ...] = ("bregman", "standard", "euclidean")
#: matrices with both sides above this use the Gram-matrix route in `spectral_norm`
GRAM_THRESHOLD = 128


class Network(eqx.Module):
    """Hidden layers and a linear head of one version, as arrays.

    - ``"bregman"``: xₖ = σ(σ⁻¹(Vₖxₖ₋₁) + Wₖxₖ₋₁ + bₖ);
    - ``"standard"``: xₖ = σ(Wₖxₖ₋₁ + bₖ);
    - ``"euclidean"``: xₖ = σ(Vₖxₖ₋₁ + Wₖxₖ₋₁ + bₖ);

    then f(x) = H x_L + c. ``mixings[k]`` is Vₖ (row-stochastic) or None for V = I.
    """

    weights: tuple[Array, ...]
    biases: tuple[Array, ...]
    mixings: tuple[Array | None, ...]
    head_weight: Array
    head_bias: Array
    pair: LegendrePair = eqx.field(static=True)
    version: str = eqx.field(static=True)

    @property
    def depth(self) -> int:
        """Number of hidden layers L."""
        return len(self.weights)

    @property
    def widths(self) -> tuple[int, ...]:
        """``(input_dim, hidden_1, ..., hidden_L)``."""
        return (int(self.weights[0].shape[1]), *(int(w.shape[0]) for w in self.weights))

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
        """Vₖ with the identity filled in where ``mixings[k]`` is None."""
        return tuple(
            jnp.eye(w.shape[0], w.shape[1], dtype=w.dtype) if v is None else v
            for w, v in zip(self.weights, self.mixings, strict=True)
        )

    def effective_weights(self) -> tuple[Array, ...]:
        """The weights of the equivalent standard network: Wₖ (standard) or Vₖ + Wₖ (Euclidean)."""
        if self.version == "standard":
            return self.weights
        if self.version == "euclidean":
            return tuple(v + w for v, w in zip(self.skip_weights(), self.weights, strict=True))
        raise ValueError("a Bregman network has no equivalent standard network")


def as_network(model: Any, *, dtype: Any = None) -> Network:
    """A `Network` from a ``bregmalib.nn.MLP`` (or a `Network`), cast to ``dtype``.

    ``dtype`` defaults to float64 when ``jax_enable_x64`` is on (recommended for bounds that
    must be sound), else float32.
    """
    dtype = _default_dtype() if dtype is None else dtype
    if isinstance(model, Network):
        return jax.tree_util.tree_map(lambda a: jnp.asarray(a, dtype), model)
    hidden = getattr(model, "hidden", None)
    if hidden is None or not hasattr(model, "head_weight"):
        raise TypeError(
            "expected a bregmalib.nn.MLP or a bregmalib.lipschitz.Network, "
            f"got {type(model).__name__}"
        )
    return network_from_arrays(
        [layer.weight for layer in hidden],
        [layer.bias for layer in hidden],
        model.pair,
        model.version,
        mixings=[layer.mixing() for layer in hidden],
        head_weight=model.head_weight,
        head_bias=model.head_bias,
        dtype=dtype,
    )


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
    """A `Network` from weight matrices Wₖ (out, in), biases, an activation pair and a version.

    Without a head the output is the last hidden layer (H = I). Bregman and Euclidean layers
    whose widths differ need a row-stochastic mixing matrix Vₖ.
    """
    if version not in VERSIONS:
        raise ValueError(f"unknown version {version!r}; expected one of {VERSIONS}")
    if not isinstance(pair, LegendrePair):
        raise TypeError(f"pair must be a LegendrePair, got {type(pair).__name__}")
    if len(weights) == 0:
        raise ValueError("a network needs at least one hidden layer")
    dtype = _default_dtype() if dtype is None else dtype
    ws = tuple(jnp.asarray(w, dtype) for w in weights)
    bs = tuple(
        jnp.zeros(w.shape[0], dtype) if biases is None else jnp.asarray(b, dtype)
        for w, b in zip(ws, biases if biases is not None else ws, strict=True)
    )
    vs = tuple(None if v is None else jnp.asarray(v, dtype) for v in (mixings or [None] * len(ws)))
    _check_layers(ws, bs, vs, version)
    width = ws[-1].shape[0]
    h = jnp.eye(width, dtype=dtype) if head_weight is None else jnp.asarray(head_weight, dtype)
    c = jnp.zeros(h.shape[0], dtype) if head_bias is None else jnp.asarray(head_bias, dtype)
    if h.ndim != 2 or h.shape[1] != width or c.shape != h.shape[:1]:
        raise ValueError(f"head must be (H: (k, {width}), c: (k,)), got {h.shape}, {c.shape}")
    return Network(ws, bs, vs, h, c, pair, version)


def _check_layers(
    ws: tuple[Array, ...], bs: tuple[Array, ...], vs: tuple[Array | None, ...], version: str
) -> None:
    if len(vs) != len(ws):
        raise ValueError(f"got {len(vs)} mixing matrices for {len(ws)} layers")
    for k, (w, b, v) in enumerate(zip(ws, bs, vs, strict=True)):
        if w.ndim != 2 or b.shape != w.shape[:1]:
            raise ValueError(
                f"layer {k}: weight (out, in) and bias (out,), got {w.shape}, {b.shape}"
            )
        if k and w.shape[1] != ws[k - 1].shape[0]:
            raise ValueError(
                f"layer {k} takes {w.shape[1]} inputs, layer {k - 1} gives {ws[k - 1].shape[0]}"
            )
        square = w.shape[0] == w.shape[1]
        if version != "standard" and not square and v is None:
            raise ValueError(f"{version} layer {k} of shape {w.shape} needs a mixing matrix V")
        if v is not None and (v.shape != w.shape or version == "standard"):
            raise ValueError(f"layer {k}: mixing must have shape {w.shape} (not for 'standard')")


def _default_dtype() -> Any:
    return jnp.float64 if jax.config.jax_enable_x64 else jnp.float32


# ----- forward pass


def input_from_coordinates(net: Network, t: Array) -> Array:
    """The primal input x for ascent coordinates t: x = σ(t) (inputs in Iⁿ) or x = t (standard)."""
    return net.pair.sigma(t) if net.dual_input else t


def coordinates_from_input(net: Network, x: ArrayLike) -> Array:
    """Inverse of `input_from_coordinates` (σ⁻¹, ±inf at the ends of I)."""
    x = jnp.asarray(x)
    return net.pair.inverse(x) if net.dual_input else x


def forward_trace(net: Network, t: Array) -> list[tuple[Array, Array]]:
    """Per hidden layer (ũₖ, uₖ): uₖ is the pre-activation (xₖ = σ(uₖ)) and ũₖ the dual skip
    coordinate of the Bregman version (uₖ₋₁ where V = I, σ⁻¹(Vₖxₖ₋₁) otherwise); ũₖ = uₖ for
    the other versions. ``t`` are the ascent coordinates of the input."""
    pair = net.pair
    trace = []
    u_prev = t
    x = input_from_coordinates(net, t)
    for w, b, v in zip(net.weights, net.biases, net.mixings, strict=True):
        affine = w @ x + b
        if net.version == "bregman":
            base = u_prev if v is None else pair.inverse_clamped(v @ x)
            u = base + affine
        elif net.version == "euclidean":
            u = (x if v is None else v @ x) + affine
            base = u
        else:
            u = affine
            base = u
        trace.append((base, u))
        u_prev = u
        x = pair.sigma(u)
    return trace


def network_output(net: Network, t: Array) -> Array:
    """f(x) = H x_L + c at the input x with ascent coordinates t."""
    _, u = forward_trace(net, t)[-1]
    return net.head_weight @ net.pair.sigma(u) + net.head_bias


def jacobian_vector_product(
    net: Network, t: Array, tangent: Array, *, columns: Array | None = None
) -> Array:
    """J(x)·v for the primal input x with ascent coordinates t and a primal tangent v.

    Bregman layer: vₖ = exp(log σ′(uₖ) − log σ′(ũₖ))⊙(Vₖvₖ₋₁) + σ′(uₖ)⊙(Wₖvₖ₋₁); standard:
    σ′(uₖ)⊙(Wₖvₖ₋₁); Euclidean: σ′(uₖ)⊙((Vₖ + Wₖ)vₖ₋₁). ``columns`` (0/1 mask over inputs)
    restricts the tangent to a group of inputs.
    """
    pair = net.pair
    v = tangent if columns is None else tangent * columns
    for (base, u), w, m in zip(forward_trace(net, t), net.weights, net.mixings, strict=True):
        skip = v if m is None else m @ v
        if net.version == "bregman":
            ratio = jnp.exp(pair.log_derivative(u) - pair.log_derivative(base))
            v = ratio * skip + pair.derivative(u) * (w @ v)
        elif net.version == "euclidean":
            v = pair.derivative(u) * (skip + w @ v)
        else:
            v = pair.derivative(u) * (w @ v)
    return net.head_weight @ v


def vector_jacobian_product(
    net: Network, t: Array, cotangent: Array, *, columns: Array | None = None
) -> Array:
    """Jᵀ(x)·w, the transpose of `jacobian_vector_product` (obtained with ``jax.vjp``)."""
    zero = jnp.zeros(net.input_dim, cotangent.dtype)
    _, pullback = jax.vjp(lambda v: jacobian_vector_product(net, t, v, columns=columns), zero)
    return pullback(cotangent)[0]


def jacobian(net: Network, t: Array, *, columns: Array | None = None) -> Array:
    """The dense Jacobian (outputs × inputs) at ascent coordinates t; for small widths."""
    eye = jnp.eye(net.input_dim, dtype=t.dtype)
    jvp = jax.vmap(lambda e: jacobian_vector_product(net, t, e, columns=columns))
    return jvp(eye).T


def spectral_norm(matrix: ArrayLike) -> float:
    """‖A‖₂, the largest singular value, in float64: by SVD for small matrices, else as
    √λ_max of the smaller Gram matrix (LAPACK's symmetric eigensolver, several times faster),
    inflated by 1e-10 relative to cover its backward error."""
    a = np.asarray(matrix, dtype=np.float64)
    if a.size == 0:
        return 0.0
    if min(a.shape) <= GRAM_THRESHOLD:
        return float(np.linalg.norm(a, 2))
    gram = a @ a.T if a.shape[0] <= a.shape[1] else a.T @ a
    top = scipy.linalg.eigvalsh(gram, subset_by_index=[gram.shape[0] - 1, gram.shape[0] - 1])
    return float(np.sqrt(max(float(top[0]), 0.0)) * (1 + 1e-10))
