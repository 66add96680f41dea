"""Anytime branch and bound on a box of inputs for the local Lipschitz constant.

The Lipschitz constant on a box B is sup_{x∈B} ‖J(x)‖, and for boxes B₁ ∪ … ∪ B_m = B it is
max_i sup_{B_i} ‖J‖ ≤ max_i U(B_i) for any upper bounds U (`region_lipschitz`), which are
tighter on smaller boxes. The leaf with the largest bound is halved along the coordinate d with
the largest (h_d·‖J(x_c) e_d‖), h the half-widths and x_c the leaf's centre; the certified
bound kept is the smallest max_i U(B_i) met so far (never increasing) and the lower bound the
largest ‖J‖ found by `local_lower` in any leaf. It stops at a time budget, a target ratio or a
number of leaves, and reports both.
"""

from __future__ import annotations

import dataclasses
import time

import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from bregmalib.lipschitz._local import LocalNorm, box_region, region_lipschitz
from bregmalib.lipschitz._local_lower import region_lower
from bregmalib.nn import Network, NetworkLike, as_network
from bregmalib.nn.functional import coordinates_from_input, network_jacobian


@dataclasses.dataclass(frozen=True)
class BranchResult:
    """The certified upper bound (the last of ``history``, which never increases), the best
    lower bound (the last of ``lower_history``, which never decreases), the number of leaves,
    the time spent and why it stopped."""

    upper: float
    lower: float
    history: tuple[float, ...]
    lower_history: tuple[float, ...]
    leaves: int
    seconds: float
    stopped: str

    @property
    def ratio(self) -> float:
        """upper / lower."""
        return self.upper / self.lower


def _split(net: Network, lower: np.ndarray, upper: np.ndarray) -> list[np.ndarray]:
    """The two halves [lo, hi] of a box along its most influential coordinate."""
    center = (lower + upper) / 2
    jac = np.asarray(network_jacobian(net, coordinates_from_input(net, jnp.asarray(center))))
    score = (upper - lower) * np.linalg.norm(jac, axis=0)
    d = int(np.argmax(score)) if np.any(score > 0) else int(np.argmax(upper - lower))
    left_hi, right_lo = upper.copy(), lower.copy()
    left_hi[d] = right_lo[d] = center[d]
    return [np.stack([lower, left_hi]), np.stack([right_lo, upper])]


def branch_and_bound(
    model: NetworkLike,
    lower: ArrayLike,
    upper: ArrayLike,
    *,
    norm: LocalNorm = "l2",
    budget: float = 10.0,
    target_ratio: float = 1.1,
    max_leaves: int = 256,
) -> BranchResult:
    """Branch and bound on the box [lower, upper] until ``budget`` seconds, upper/lower ≤
    ``target_ratio`` or ``max_leaves`` leaves."""
    net = as_network(model, dtype=jnp.float64)
    start = time.perf_counter()
    box = box_region(net, lower, upper)
    leaves = [np.stack([box.lower[0], box.upper[0]])]
    bounds = [float(region_lipschitz(net, box, norm).upper[0])]
    best_lower = float(region_lower(net, box, norm)[0])
    history, lower_history = [bounds[0]], [best_lower]
    stopped = "leaves"
    while len(leaves) < max_leaves:
        if history[-1] <= target_ratio * best_lower:
            stopped = "target ratio"
            break
        if time.perf_counter() - start > budget:
            stopped = "time budget"
            break
        worst = int(np.argmax(bounds))
        parent = leaves.pop(worst)
        bounds.pop(worst)
        children = _split(net, parent[0], parent[1])
        region = box_region(
            net, np.stack([c[0] for c in children]), np.stack([c[1] for c in children])
        )
        bounds += [float(v) for v in region_lipschitz(net, region, norm).upper]
        leaves += children
        found = region_lower(net, region, norm, restarts=1, steps=20)
        best_lower = max(best_lower, float(np.max(found)))
        history.append(min(history[-1], max(bounds)))
        lower_history.append(best_lower)
    return BranchResult(
        history[-1],
        best_lower,
        tuple(history),
        tuple(lower_history),
        len(leaves),
        time.perf_counter() - start,
        stopped,
    )
