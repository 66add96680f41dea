"""Weight parametrisations that guarantee an invertibility certificate by construction.

(a) spectral normalisation W = W̃·min(1, c/(L_σ‖W̃‖₂)), so that L_σ‖W‖₂ ≤ c < 1
    (Miyato et al. 2018; Behrmann et al. 2019);
(b) W = AᵀA + (B − Bᵀ) − (1/L_σ − m)I, whose symmetric part is AᵀA − (1/L_σ − m)I ⪰ (m − 1/L_σ)I,
    so λ_min((W + Wᵀ)/2) ≥ m − 1/L_σ > −1/L_σ for every A, B when m > 0.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.typing import ArrayLike

from bregmalib.legendre import LegendrePair


def contractive_weight(raw: ArrayLike, pair: LegendrePair, coefficient: float = 0.9) -> Array:
    """Spectral normalisation for (a): W = W̃ · min(1, c / (L_σ‖W̃‖₂)), hence L_σ‖W‖₂ ≤ c.

    ``coefficient`` c must lie in (0, 1) for the contraction certificate to hold; ‖W̃‖₂ is the
    exact largest singular value (differentiable).
    """
    if not 0.0 < coefficient < 1.0:
        raise ValueError(f"the contraction coefficient must lie in (0, 1), got {coefficient}")
    raw = jnp.asarray(raw)
    scale = pair.lipschitz * jnp.linalg.norm(raw, ord=2)
    return raw * jnp.minimum(1.0, coefficient / jnp.maximum(scale, jnp.finfo(raw.dtype).tiny))


def monotone_weight(a: ArrayLike, b: ArrayLike, pair: LegendrePair, margin: float = 0.1) -> Array:
    """Monotone parametrisation for (b): W = AᵀA + (B − Bᵀ) − (1/L_σ − m)I.

    λ_min((W + Wᵀ)/2) ≥ m − 1/L_σ, so the monotone certificate holds with margin at least m > 0.
    ``a`` has shape (k, n) for any k; ``b`` is (n, n).
    """
    if not margin > 0:
        raise ValueError(f"the monotone margin m must be positive, got {margin}")
    a, b = jnp.asarray(a), jnp.asarray(b)
    if a.ndim != 2 or b.ndim != 2 or b.shape[0] != b.shape[1] or a.shape[1] != b.shape[0]:
        raise ValueError(f"need A of shape (k, n) and B of shape (n, n), got {a.shape}, {b.shape}")
    n = b.shape[0]
    shift = 1.0 / pair.lipschitz - margin
    return a.T @ a + (b - b.T) - shift * jnp.eye(n, dtype=b.dtype)


def monotone_weight_with_norm(
    a: ArrayLike, b: ArrayLike, pair: LegendrePair, norm: float, margin: float = 0.1
) -> Array:
    """s(AᵀA + B − Bᵀ) − (1/L_σ − m)I with s ≥ 0 chosen (by bisection) so that ‖W‖₂ = ``norm``:
    a monotone weight (margin ≥ m) of prescribed spectral norm, for experiments.

    ``norm`` must be at least 1/L_σ − m, the norm at s = 0.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    base = a.T @ a + (b - b.T)
    shift = (1.0 / pair.lipschitz - margin) * np.eye(base.shape[0])

    def norm_at(s: float) -> float:
        return float(np.linalg.norm(s * base - shift, 2))

    if norm < norm_at(0.0):
        raise ValueError(f"norm {norm} is below ‖(1/L_σ − m)I‖₂ = {norm_at(0.0):g}")
    if not np.any(base):
        raise ValueError("A and B − Bᵀ are both zero: the norm cannot be changed")
    lo, hi = 0.0, 1.0
    while norm_at(hi) < norm:
        hi *= 2.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if norm_at(mid) < norm else (lo, mid)
    return jnp.asarray(hi * base - shift)
