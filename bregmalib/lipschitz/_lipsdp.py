"""LipSDP-Neuron (Fazlyab, Robey, Hassani, Morari, Pappas, NeurIPS 2019): an SDP upper bound on
the global ℓ₂ Lipschitz constant of a standard or Euclidean network, solved with cvxpy.

For activations slope-restricted in [0, β] (β = L_σ: every pair's σ′ lies in [0, L_σ]), stack
z = (x₀, x₁, …, x_L), let A select the pre-activations (Az = (W₁x₀, …, W_L x_{L−1})) and B the
post-activations (Bz = (x₁, …, x_L)). With T = diag(λ), λ ≥ 0, ‖f(x) − f(y)‖ ≤ √ρ ‖x − y‖ when
M(λ) − ρ diag(I_{n₀}, 0) ⪯ 0, M(λ) = β(AᵀTB + BᵀTA) − 2BᵀTB + diag(0, …, 0, HᵀH) (Theorem 2).
The solver's λ is re-certified in float64: for fixed λ the least feasible ρ is
λ_max(P − QR⁻¹Qᵀ) (Schur complement of the hidden block R ≺ 0), so the bound does not rest on
the solver's tolerance. A Euclidean network is the standard network with weights V + W.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from bregmalib._certified import as_float64, certify_norm, round_up
from bregmalib.lipschitz._upper import Bound
from bregmalib.nn import Network

#: the cvxpy solver used by default (interior point, shipped with cvxpy)
SOLVER = "CLARABEL"


def _cvxpy() -> Any:
    try:
        import cvxpy
    except ImportError as error:
        raise ImportError(
            "lipsdp needs cvxpy, an optional dependency: pip install 'bregmalib[lipsdp]'"
        ) from error
    return cvxpy


def _weights(net: Network) -> list[np.ndarray]:
    if net.version == "bregman":
        raise ValueError(
            "LipSDP applies to standard and Euclidean networks; a Bregman layer's skip term "
            "σ⁻¹(Vx) is not slope-restricted (use upper_bounds)"
        )
    return list(net.effective_weights())


def lipsdp_blocks(
    weights: list[np.ndarray], head: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The constant blocks of the LMI: A (pre-activations), B (post-activations) and the
    diag(0, …, 0, HᵀH) block, over z = (x₀, …, x_L)."""
    n0 = weights[0].shape[1]
    sizes = [w.shape[0] for w in weights]
    n_hidden, dim = sum(sizes), n0 + sum(sizes)
    a = np.zeros((n_hidden, dim))
    row, col = 0, 0
    for w in weights:
        a[row : row + w.shape[0], col : col + w.shape[1]] = w
        row, col = row + w.shape[0], col + w.shape[1]
    b = np.hstack([np.zeros((n_hidden, n0)), np.eye(n_hidden)])
    head_block = np.zeros((dim, dim))
    head_block[dim - sizes[-1] :, dim - sizes[-1] :] = head.T @ head
    return a, b, head_block


def _lmi(t: Any, blocks: tuple[np.ndarray, ...], slope: float) -> Any:
    """M(λ) with T = diag(λ) given as a NumPy array or a cvxpy expression (one formula for the
    solver and for the float64 re-certification)."""
    a, b, head_block = blocks
    m = slope * (a.T @ t @ b + b.T @ t @ a) - 2.0 * b.T @ t @ b + head_block
    return 0.5 * (m + m.T)


def certified_rho(lam: np.ndarray, blocks: tuple[np.ndarray, ...], slope: float, n0: int) -> float:
    """The least ρ with M(λ) − ρ diag(I, 0) ⪯ 0, λ_max(P − QR⁻¹Qᵀ); +∞ unless R ≺ 0."""
    m = _lmi(np.diag(lam), blocks, slope)
    p, q, r = m[:n0, :n0], m[:n0, n0:], m[n0:, n0:]
    if np.linalg.eigvalsh(r).max() >= 0:
        return np.inf
    schur = p - q @ np.linalg.solve(r, q.T)
    return float(np.linalg.eigvalsh(0.5 * (schur + schur.T)).max())


def lipsdp(net: Network, *, solver: str = SOLVER) -> Bound:
    """LipSDP-Neuron: √ρ for the least ρ of the LMI above over λ ≥ 0 (one multiplier per
    hidden neuron), re-certified for the solver's λ. Global (the natural domain); standard or
    Euclidean networks. Needs cvxpy (the ``lipsdp`` extra)."""
    cp = _cvxpy()
    start = time.perf_counter()
    weights = _weights(net)
    head = as_float64(net.head_weight)
    slope = float(round_up(net.pair.lipschitz))
    blocks = lipsdp_blocks(weights, head)
    n0, dim = weights[0].shape[1], blocks[2].shape[0]
    lam = cp.Variable(blocks[0].shape[0], nonneg=True)
    rho = cp.Variable(nonneg=True)
    selector = np.zeros((dim, dim))
    selector[:n0, :n0] = np.eye(n0)
    lmi = _lmi(cp.diag(lam), blocks, slope) - rho * selector
    problem = cp.Problem(cp.Minimize(rho), [lmi << 0])
    problem.solve(solver=solver)
    seconds = time.perf_counter() - start
    if problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) or lam.value is None:
        return Bound(np.inf, "lipsdp", (), seconds, f"LipSDP solver ended with {problem.status}")
    value = certified_rho(np.maximum(lam.value, 0.0), blocks, slope, n0)
    if not np.isfinite(value):
        reason = "LipSDP: the solver's multipliers leave the hidden block not negative definite"
        return Bound(np.inf, "lipsdp", (), seconds, reason)
    assumptions = (
        f"σ′ of {net.pair.name} in [0, L_σ] = [0, {slope:g}] on ℝ (slope restriction)",
        "LipSDP-Neuron, Fazlyab et al. 2019, Theorem 2; multipliers re-certified in float64",
    )
    bound = certify_norm(float(np.sqrt(max(value, 0.0))), (dim, dim))
    return Bound(bound, "lipsdp", assumptions, time.perf_counter() - start)
