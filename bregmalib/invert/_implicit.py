"""The inverse of a Bregman layer as a differentiable function, by implicit differentiation.

u*(W, b, v) solves G = u + Wσ(u) + b − v = 0. By the implicit function theorem, with
J = I + W diag σ′(u*) and λ = J⁻ᵀ ū, the cotangents are v̄ = λ, b̄ = −λ and W̄ = −λ σ(u*)ᵀ
(Bai, Kolter, Koltun, "Deep equilibrium models", NeurIPS 2019, for the same construction).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax import Array
from jax.typing import ArrayLike

from bregmalib.invert._solve import default_tolerance, solve_dual
from bregmalib.legendre import LegendrePair


@functools.partial(jax.custom_vjp, nondiff_argnums=(3, 4, 5, 6))
def _inverse(weight, bias, v, pair, method, tol, max_iter):
    return solve_dual(weight, bias, pair, v, method=method, tol=tol, max_iter=max_iter).dual


def _inverse_fwd(weight, bias, v, pair, method, tol, max_iter):
    u = _inverse(weight, bias, v, pair, method, tol, max_iter)
    return u, (weight, u)


def _inverse_bwd(pair, method, tol, max_iter, residuals, cotangent):
    weight, u = residuals
    jac = jnp.eye(u.shape[0], dtype=u.dtype) + weight * pair.derivative(u)[None, :]
    lam = jnp.linalg.solve(jac.T, cotangent)
    return -jnp.outer(lam, pair.sigma(u)), -lam, lam


_inverse.defvjp(_inverse_fwd, _inverse_bwd)


def inverse_dual(
    weight: ArrayLike,
    bias: ArrayLike,
    pair: LegendrePair,
    v: ArrayLike,
    *,
    method: str = "newton",
    tol: float | None = None,
    max_iter: int = 100,
) -> Array:
    """u = F⁻¹(v) for F(u) = u + Wσ(u) + b, reverse-differentiable in (W, b, v) by the implicit
    function theorem (custom VJP; no backpropagation through the solver's iterations).

    Raises when the solver does not converge.
    """
    v = jnp.asarray(v)
    if not jnp.issubdtype(v.dtype, jnp.floating):
        v = v.astype(jnp.result_type(float))
    tol = default_tolerance(v.dtype) if tol is None else float(tol)
    return _inverse(jnp.asarray(weight, v.dtype), jnp.asarray(bias, v.dtype), v, pair, method,
                    tol, max_iter)


def inverse_primal(
    weight: ArrayLike,
    bias: ArrayLike,
    pair: LegendrePair,
    y: ArrayLike,
    **options: object,
) -> Array:
    """x = T⁻¹(y) = σ(F⁻¹(σ⁻¹(y))), differentiable in (W, b, y) (see `inverse_dual`)."""
    return pair.sigma(inverse_dual(weight, bias, pair, pair.inverse(jnp.asarray(y)), **options))
