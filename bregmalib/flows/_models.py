"""Two invertible flows on ℝᵈ of comparable size, trained by maximum likelihood.

- `BregmanFlow`: square Bregman layers (`bregmalib.nn.Layer`) in dual coordinates,
  u ↦ u + W_kσ(u) + b_k (the primal layer σ(σ⁻¹(x) + W_kx + b_k) conjugated by σ, Frecon et al.,
  ICML 2022), evaluated by the functional core `bregmalib.nn.functional`, with the monotone
  parametrisation W_k = A_kᵀA_k + (B_k − B_kᵀ) − (1/L_σ − m)I, so every layer is a diffeomorphism
  whatever ‖W_k‖ (certificate (b)); log|det| = Σ_k log det(I + W_k diag σ′(u_k)); inverted by
  damped Newton layer by layer.
- `ResidualFlow`: i-ResNet blocks u ↦ u + W₂ tanh(W₁u + c₁) + c₂ with spectral normalisation
  ‖W_i‖₂ ≤ c (`bregmalib.invert.contractive_weight`, L_tanh = 1; Behrmann et al., ICML 2019),
  inverted by fixed-point iteration.

Both start with the same elementwise affine map fitted to the data (mean and scale) and map data
to a standard normal base: log p(x) = log N(f(x); 0, I) + log|det J_f(x)|.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.typing import ArrayLike

from bregmalib import legendre
from bregmalib.invert import contractive_weight, monotone_weight, solve_dual
from bregmalib.legendre import LegendrePair
from bregmalib.nn import Layer, Network
from bregmalib.nn import functional as F

_TANH = legendre.get("tanh")


class FlowInversion(eqx.Module):
    """x = f⁻¹(z) with the largest per-layer residual, the total iteration count and whether
    every layer's solve converged."""

    x: Array
    residual: Array
    iterations: Array
    converged: Array


class _Flow:
    """What both flows share (a mixin for their Equinox modules): u = (x − shift)·exp(log_scale)
    into the layers, log p(x) = log N(f(x); 0, I) + log|det J_f(x)|, and the way back."""

    if TYPE_CHECKING:
        shift: Array
        log_scale: Array

        def forward(self, x: Array) -> tuple[Array, Array]:
            """(z, log|det J_f(x)|)."""

    def _through(self, step: Callable, x: Array, params: tuple[Array, ...]) -> tuple[Array, Array]:
        """(z, log|det J_f(x)|), scanning ``step(u, layer) = (u⁺, log|det|)`` over the layers."""
        z, logdets = jax.lax.scan(step, (x - self.shift) * jnp.exp(self.log_scale), params)
        return z, jnp.sum(self.log_scale) + jnp.sum(logdets)

    def _back(self, step: Callable, z: Array, params: tuple[Array, ...]) -> FlowInversion:
        """f⁻¹(z), scanning ``step(u⁺, layer) = (u, (residual, iterations, converged))`` over
        the layers from the last, then undoing the input affine map."""
        u, (res, its, ok) = jax.lax.scan(step, z, params, reverse=True)
        x = u * jnp.exp(-self.log_scale) + self.shift
        return FlowInversion(
            x=x, residual=jnp.max(res), iterations=jnp.sum(its), converged=jnp.all(ok)
        )

    def log_prob(self, x: Array) -> Array:
        """log p(x) = log N(f(x)) + log|det J_f(x)|."""
        z, logdet = self.forward(x)
        return -0.5 * jnp.sum(z * z) - 0.5 * z.shape[0] * math.log(2.0 * math.pi) + logdet


def _data_affine(data: ArrayLike | None, dim: int) -> tuple[Array, Array]:
    if data is None:
        return jnp.zeros(dim), jnp.zeros(dim)
    data = np.asarray(data, dtype=np.float64)
    if data.ndim != 2 or data.shape[1] != dim:
        raise ValueError(f"data must have shape (n, {dim}), got {data.shape}")
    return jnp.asarray(data.mean(axis=0)), jnp.asarray(-np.log(data.std(axis=0) + 1e-12))


class BregmanFlow(_Flow, eqx.Module):
    """An invertible Bregman flow (see the module docstring); single example x of shape (d,)."""

    shift: Array
    log_scale: Array
    a: Array
    b: Array
    bias: Array
    pair: LegendrePair = eqx.field(static=True)
    margin: float = eqx.field(static=True)

    def weights(self) -> Array:
        """W_k, shape (K, d, d), each with λ_min(sym W_k) ≥ m − 1/L_σ."""
        return jax.vmap(lambda a, b: monotone_weight(a, b, self.pair, self.margin))(self.a, self.b)

    def _layer(self, weight: Array, bias: Array) -> Layer:
        """The core `Layer` (W_k, b_k, V = I) of one flow layer."""
        return Layer(weight, bias, None, self.pair, "bregman")

    def network(self) -> Network:
        """The K flow layers as a `bregmalib.nn.Network` (head H = I): the flow is
        x ↦ its dual trace from u = (x − shift)·exp(log_scale), for certificates and inversion."""
        layers = tuple(self._layer(w, b) for w, b in zip(self.weights(), self.bias, strict=True))
        eye = jnp.eye(self.bias.shape[1], dtype=self.bias.dtype)
        return Network(layers, eye, jnp.zeros_like(self.bias[0]))

    def forward(self, x: Array) -> tuple[Array, Array]:
        """(z, log|det J_f(x)|)."""

        def step(u: Array, params: tuple[Array, Array]) -> tuple[Array, Array]:
            layer = self._layer(*params)
            return F.dual_forward(layer, u), F.dual_log_abs_det(layer, u)

        return self._through(step, x, (self.weights(), self.bias))

    def inverse(self, z: Array, *, tol: float = 1e-12, max_iter: int = 50) -> FlowInversion:
        """f⁻¹(z) by damped Newton on each layer, from the last (flagged, never silent)."""

        def step(u: Array, params: tuple[Array, Array]):
            result = solve_dual(self._layer(*params), u, tol=tol, max_iter=max_iter, throw=False)
            return result.dual, (result.residual, result.iterations, result.converged)

        return self._back(step, z, (self.weights(), self.bias))


def make_bregman_flow(
    n_layers: int,
    *,
    key: Array,
    activation: str | LegendrePair = "tanh",
    margin: float = 0.1,
    dim: int = 2,
    data: ArrayLike | None = None,
    init_scale: float = 0.1,
) -> BregmanFlow:
    """A `BregmanFlow` whose layers start near the identity (A_kᵀA_k ≈ (1/L_σ − m)I, so W_k ≈ 0),
    with the input affine map fitted to ``data`` when given."""
    if n_layers < 1:
        raise ValueError(f"n_layers must be positive, got {n_layers}")
    pair = legendre.get(activation)
    shift_value = 1.0 / pair.lipschitz - margin
    if shift_value < 0:
        raise ValueError(f"margin {margin} exceeds 1/L_σ = {1.0 / pair.lipschitz:g}")
    ka, kb, kc = jax.random.split(key, 3)
    eye = jnp.sqrt(shift_value) * jnp.eye(dim)
    a = eye + init_scale * jax.random.normal(ka, (n_layers, dim, dim))
    b = init_scale * jax.random.normal(kb, (n_layers, dim, dim))
    bias = init_scale * jax.random.normal(kc, (n_layers, dim))
    shift, log_scale = _data_affine(data, dim)
    return BregmanFlow(shift, log_scale, a, b, bias, pair, margin)


class ResidualFlow(_Flow, eqx.Module):
    """An i-ResNet flow with spectrally normalised blocks; single example x of shape (d,)."""

    shift: Array
    log_scale: Array
    w1: Array
    c1: Array
    w2: Array
    c2: Array
    coefficient: float = eqx.field(static=True)

    def _residual(self, params: tuple[Array, Array, Array, Array], u: Array) -> Array:
        w1, c1, w2, c2 = params
        hidden = jnp.tanh(contractive_weight(w1, _TANH, self.coefficient) @ u + c1)
        return contractive_weight(w2, _TANH, self.coefficient) @ hidden + c2

    def _params(self) -> tuple[Array, Array, Array, Array]:
        return self.w1, self.c1, self.w2, self.c2

    def forward(self, x: Array) -> tuple[Array, Array]:
        """(z, log|det J_f(x)|), the block log-determinants exact (slogdet of the d×d Jacobian)."""

        def block(u: Array, params: tuple[Array, Array, Array, Array]) -> tuple[Array, Array]:
            def step(v: Array) -> Array:
                return v + self._residual(params, v)

            jac = jax.jacfwd(step)(u)
            return step(u), jnp.linalg.slogdet(jac)[1]

        return self._through(block, x, self._params())

    def inverse(self, z: Array, *, tol: float = 1e-12, max_iter: int = 200) -> FlowInversion:
        """f⁻¹(z) by the fixed-point iteration u ← y − g(u) of each block, from the last."""

        def block(y: Array, params: tuple[Array, Array, Array, Array]):
            def cond(state):
                k, _, r = state
                return (r > tol) & (k < max_iter)

            def body(state):
                k, u, _ = state
                new = y - self._residual(params, u)
                return k + 1, new, jnp.max(jnp.abs(new + self._residual(params, new) - y))

            k, u, r = jax.lax.while_loop(cond, body, (0, y, jnp.asarray(jnp.inf, y.dtype)))
            return u, (r, k, r <= tol)

        return self._back(block, z, self._params())


def make_residual_flow(
    n_blocks: int,
    hidden: int,
    *,
    key: Array,
    coefficient: float = 0.9,
    dim: int = 2,
    data: ArrayLike | None = None,
) -> ResidualFlow:
    """A `ResidualFlow` with ``n_blocks`` blocks of width ``hidden``; Lip(g) ≤ c² < 1."""
    if n_blocks < 1 or hidden < 1:
        raise ValueError(f"need n_blocks ≥ 1 and hidden ≥ 1, got {n_blocks}, {hidden}")
    if not 0.0 < coefficient < 1.0:
        raise ValueError(f"the spectral coefficient must lie in (0, 1), got {coefficient}")
    k1, k2 = jax.random.split(key)
    w1 = jax.random.normal(k1, (n_blocks, hidden, dim)) / math.sqrt(dim)
    w2 = jax.random.normal(k2, (n_blocks, dim, hidden)) / math.sqrt(hidden)
    shift, log_scale = _data_affine(data, dim)
    return ResidualFlow(
        shift, log_scale, w1, jnp.zeros((n_blocks, hidden)), 0.1 * w2, jnp.zeros((n_blocks, dim)),
        coefficient,
    )


def parameter_count(flow: eqx.Module) -> int:
    """Number of trainable scalars (array leaves)."""
    leaves = jax.tree_util.tree_leaves(eqx.filter(flow, eqx.is_array))
    return int(sum(leaf.size for leaf in leaves))


def bregman_layers_matching(n_blocks: int, hidden: int, dim: int = 2) -> int:
    """The number of Bregman layers whose parameter count matches a `ResidualFlow`
    (each Bregman layer has 2d² + d scalars, each residual block 2dh + h + d)."""
    residual = n_blocks * (2 * dim * hidden + hidden + dim)
    return max(1, round(residual / (2 * dim * dim + dim)))
