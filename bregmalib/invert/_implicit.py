"""The inverse of a Bregman layer as a differentiable function, by implicit differentiation.

u*(layer, v) solves G = F(u) − v = 0 with F(u) = u + Wσ(u) + b. By the implicit function
theorem, with J = ∂F/∂u at u* and λ = J⁻ᵀ ū, the cotangents are v̄ = λ and, for the parameters,
the pullback of −λ through F at fixed u* (W̄ = −λσ(u*)ᵀ, b̄ = −λ) (Bai, Kolter, Koltun, "Deep
equilibrium models", NeurIPS 2019, for the same construction). J and the pullback come from the
functional core.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax import Array
from jax.typing import ArrayLike

from bregmalib.invert._solve import (
    Method,
    default_tolerance,
    dual_target,
    invertible_layer,
    solve_dual,
)
from bregmalib.nn import Dense, Layer
from bregmalib.nn import functional as F


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4))
def _inverse(layer, v, method, tol, max_iter):
    return solve_dual(layer, v, method=method, tol=tol, max_iter=max_iter).dual


def _inverse_fwd(layer, v, method, tol, max_iter):
    u = _inverse(layer, v, method, tol, max_iter)
    return u, (layer, u)


def _inverse_bwd(method, tol, max_iter, residuals, cotangent):
    layer, u = residuals
    lam = jnp.linalg.solve(F.dual_jacobian(layer, u).T, cotangent)
    _, pullback = jax.vjp(lambda params: F.dual_forward(params, u), layer)
    return pullback(-lam)[0], lam


_inverse.defvjp(_inverse_fwd, _inverse_bwd)


def inverse_dual(
    layer: Layer | Dense,
    v: ArrayLike,
    *,
    method: Method = "newton",
    tol: float | None = None,
    max_iter: int = 100,
) -> Array:
    """u = F⁻¹(v) for the dual form F(u) = u + Wσ(u) + b of a square Bregman layer (V = I),
    reverse-differentiable in the layer's (W, b) and in v by the implicit function theorem
    (custom VJP; no backpropagation through the solver's iterations).

    Raises when the solver does not converge.
    """
    layer = invertible_layer(layer)
    v = dual_target(layer, v)
    tol = default_tolerance(v.dtype) if tol is None else float(tol)
    return _inverse(layer, v, method, tol, max_iter)
