"""Inversion of a square Bregman layer in dual coordinates.

Given y = σ(σ⁻¹(x) + Wx + b), the input x = σ(u) solves F(u) = u + Wσ(u) + b = v with
v = σ⁻¹(y) (Frecon et al., ICML 2022). F and its Jacobian ∂F/∂u = I + W diag σ′(u) are those of
the functional core (`bregmalib.nn.functional.dual_forward`, ``dual_jacobian``). Two solvers,
both with a tolerance on ‖F(u) − v‖_∞, an iteration cap, and the residual, iteration and
evaluation counts returned:

- fixed point u ← u − (F(u) − v) = v − b − Wσ(u) (Behrmann et al., ICML 2019), convergent when
  L_σ‖W‖₂ < 1;
- damped Newton u ← u − t(∂F/∂u)⁻¹(F(u) − v): the full step when it cuts the merit
  ½‖F(u) − v‖² fourfold, else the best of t ∈ {¼, ½, 1, 3/2, 2, 3} satisfying Armijo's condition,
  else Armijo backtracking from t = 1/8. The Newton direction descends the merit wherever the
  Jacobian is invertible (certificates (b), (c)).

A result that did not converge is flagged (``converged`` False) and, with ``throw=True`` (the
default), raises `InversionError` (eagerly) or an Equinox runtime error (under ``jit``/``vmap``).
"""

from __future__ import annotations

import functools
from typing import Any, Literal, get_args

import equinox as eqx
import jax
import jax.numpy as jnp
from jax import Array
from jax.typing import ArrayLike

from bregmalib.legendre import LegendrePair
from bregmalib.nn import Dense, Layer
from bregmalib.nn import functional as F

Method = Literal["newton", "fixed_point"]
METHODS: tuple[Method, ...] = get_args(Method)
_ARMIJO = 1e-4
_FAST_DECREASE = 0.25
_TRIAL_STEPS = (0.25, 0.5, 1.5, 2.0, 3.0)
_FALLBACK_STEP = 0.125


class InversionError(RuntimeError):
    """Raised when an inversion stops without reaching its tolerance."""


class InversionResult(eqx.Module):
    """The outcome of solving F(u) = u + Wσ(u) + b = v.

    ``dual`` is u, ``primal`` is x = σ(u); ``residual`` is ‖F(u) − v‖_∞; ``iterations`` counts
    solver steps and ``evaluations`` counts evaluations of F (line-search trials included);
    ``converged`` is residual ≤ tol.
    """

    dual: Array
    residual: Array
    iterations: Array
    evaluations: Array
    converged: Array
    method: Method = eqx.field(static=True)
    pair: LegendrePair = eqx.field(static=True)

    @property
    def primal(self) -> Array:
        """x = σ(u)."""
        return self.pair.sigma(self.dual)


def default_tolerance(dtype: Any) -> float:
    """Default absolute tolerance on ‖F(u) − v‖_∞: 1e-10 in float64, 1e-4 in float32."""
    return 1e-10 if jnp.finfo(dtype).bits >= 64 else 1e-4


def invertible_layer(layer: Layer | Dense, what: str = "layer") -> Layer:
    """The core `Layer` of a square Bregman layer with V = I (the layers that can be
    bijections of Iⁿ); a one-line error for anything else."""
    if isinstance(layer, Dense):
        layer = layer.layer()
    if not isinstance(layer, Layer):
        kind = type(layer).__name__
        raise TypeError(f"{what}: expected a bregmalib.nn.Layer or Dense, got {kind}")
    if layer.version != "bregman":
        raise ValueError(f"{what}: only Bregman layers are inverted, got version {layer.version!r}")
    if layer.in_features != layer.out_features:
        raise ValueError(f"{what}: a {layer.weight.shape} layer is not square: not a bijection")
    if layer.mixing is not None:
        raise ValueError(f"{what}: a layer with mixing V ≠ I is not inverted here (V = I only)")
    return layer


def dual_target(layer: Layer, v: ArrayLike, what: str = "target") -> Array:
    """v as a vector of the layer's width and dtype; float16 and other non-float32/64 floating
    dtypes are refused (integers and lists are converted)."""
    v = jnp.asarray(v)
    floating = jnp.issubdtype(v.dtype, jnp.floating)
    if floating and str(v.dtype) not in ("float32", "float64"):
        raise TypeError(f"{what} has dtype {v.dtype}; inversion runs in float32 or float64 only")
    if v.shape != (layer.out_features,):
        raise ValueError(
            f"{what} must have shape ({layer.out_features},), got {v.shape}; "
            "use jax.vmap for batches"
        )
    return v.astype(layer.weight.dtype)


def _iterate(residual, step, u0, tol, max_iter):
    """Iterate ``step(u, r) = (u⁺, r⁺, evaluations of F)`` from u0, with r = F(u) − v, while
    ‖r‖_∞ > tol and fewer than ``max_iter`` steps; returns (u, r, steps, evaluations)."""

    def cond(state):
        k, _, r, _ = state
        return (jnp.max(jnp.abs(r)) > tol) & (k < max_iter)

    def body(state):
        k, u, r, evals = state
        u, r, used = step(u, r)
        return k + 1, u, r, evals + used

    k, u, r, evals = jax.lax.while_loop(cond, body, (0, u0, residual(u0), 1))
    return u, r, k, evals


def _newton_step(layer, residual, dtype, max_backtracks):
    """u ← u − t(∂F/∂u)⁻¹(F(u) − v), t chosen as in the module docstring."""
    trial_steps = jnp.asarray(_TRIAL_STEPS, dtype=dtype)

    def backtrack(u, step, merit):
        def search_cond(search):
            t, _, r_t, j = search
            return (jnp.sum(r_t * r_t) > (1.0 - 2.0 * _ARMIJO * t) * merit) & (j < max_backtracks)

        def search_body(search):
            t, _, _, j = search
            u_t = u + 0.5 * t * step
            return 0.5 * t, u_t, residual(u_t), j + 1

        first = u + _FALLBACK_STEP * step
        _, u_t, r_t, trials = jax.lax.while_loop(
            search_cond,
            search_body,
            (jnp.asarray(_FALLBACK_STEP, dtype), first, residual(first), 1),
        )
        return u_t, r_t, trials

    def line_search(u, step, r_full, merit):
        candidates = u[None, :] + trial_steps[:, None] * step[None, :]
        r_trials = jax.vmap(residual)(candidates)
        steps = jnp.concatenate([jnp.ones(1, dtype), trial_steps])
        r_all = jnp.concatenate([r_full[None, :], r_trials])
        merits = jnp.sum(r_all * r_all, axis=1)
        best = jnp.argmin(merits)
        accepted = merits[best] <= (1.0 - 2.0 * _ARMIJO * steps[best]) * merit

        def take_best(_):
            return u + steps[best] * step, r_all[best], jnp.asarray(0)

        u_t, r_t, extra = jax.lax.cond(
            accepted, take_best, lambda _: backtrack(u, step, merit), None
        )
        return u_t, r_t, extra + len(_TRIAL_STEPS)

    def newton(u, r):
        step = -jnp.linalg.solve(F.dual_jacobian(layer, u), r)
        merit = jnp.sum(r * r)
        r_full = residual(u + step)
        quadratic = jnp.sum(r_full * r_full) <= _FAST_DECREASE * merit
        u_new, r_new, extra = jax.lax.cond(
            quadratic,
            lambda _: (u + step, r_full, jnp.asarray(0)),
            lambda _: line_search(u, step, r_full, merit),
            None,
        )
        return u_new, r_new, 1 + extra

    return newton


def _raise_if_failed(result: InversionResult, tol: float, max_iter: int) -> InversionResult:
    message = (
        f"{result.method} inversion did not reach ‖u + Wσ(u) + b − v‖_∞ ≤ {tol:g} within "
        f"{max_iter} iterations; check the layer with bregmalib.invert.certify_invertibility, "
        "raise max_iter, try method='newton', or pass throw=False to get the flagged result"
    )
    if isinstance(result.converged, jax.core.Tracer):
        return eqx.error_if(result, ~result.converged, message)
    if not bool(jnp.all(result.converged)):
        raise InversionError(f"{message} (residual {float(jnp.max(result.residual)):.3e})")
    return result


@functools.partial(jax.jit, static_argnums=(3, 6))
def _solve(layer, v, start, method, tol, max_iter, max_backtracks):
    def residual(u):
        return F.dual_forward(layer, u) - v

    def fixed_point(u, r):
        return u - r, residual(u - r), 1

    if method == "newton":
        step = _newton_step(layer, residual, v.dtype, max_backtracks)
    else:
        step = fixed_point
    u, r, k, evals = _iterate(residual, step, start, tol, max_iter)
    res = jnp.max(jnp.abs(r))
    return InversionResult(
        dual=u,
        residual=res,
        iterations=jnp.asarray(k),
        evaluations=jnp.asarray(evals),
        converged=jnp.isfinite(res) & (res <= tol),
        method=method,
        pair=layer.pair,
    )


def solve_dual(
    layer: Layer | Dense,
    v: ArrayLike,
    *,
    method: Method = "newton",
    u0: ArrayLike | None = None,
    tol: float | None = None,
    max_iter: int = 100,
    max_backtracks: int = 30,
    throw: bool = True,
) -> InversionResult:
    """Solve F(u) = u + Wσ(u) + b = v for u, F the dual form of a square Bregman layer with
    V = I (one example, shape (n,); use ``jax.vmap`` for batches).

    ``u0`` defaults to v − b (the solution for W = 0); ``tol`` bounds ‖F(u) − v‖_∞ (default
    `default_tolerance` of the layer's dtype). Non-convergence raises unless ``throw=False``.
    """
    layer = invertible_layer(layer)
    v = dual_target(layer, v)
    if method not in METHODS:
        raise ValueError(f"unknown inversion method {method!r}; accepted: {', '.join(METHODS)}")
    if max_iter < 1:
        raise ValueError(f"max_iter must be at least 1, got {max_iter}")
    tol = default_tolerance(v.dtype) if tol is None else float(tol)
    start = v - layer.bias if u0 is None else dual_target(layer, u0, "u0")
    result = _solve(layer, v, start, method, tol, max_iter, max_backtracks)
    return _raise_if_failed(result, tol, max_iter) if throw else result
