"""Margin Lipschitz constants and the certified radii they give.

For the label y at x and each class j ≠ y, L_yj ≥ sup ‖∇(f_y − f_j)‖₂ over the ℓ₂ ball of radius
ε around x (∩ a domain) is the local bound of `bregmalib.lipschitz.local_lipschitz` with the
head H replaced by its row H_y − H_j alone (`theta_rows`). The prediction cannot change within
r(x) = min(ε, min_{j≠y} (f_y(x) − f_j(x)) / L_yj): on that ball (f_y − f_j)(x + δ) ≥
f_y(x) − f_j(x) − L_yj‖δ‖ > 0. Since ‖(e_y − e_j)ᵀA‖ ≤ √2‖A‖ for every term of the recursion,
L_yj ≤ √2·L and r is never below margin / (√2·L) (Tsuzuku, Sato and Sugiyama 2018) with L the
bound of the whole network on the same ball; so L_yj is also capped by √2 times the bound on
the box hull of the balls (`bregmalib.lipschitz._local.box_cap`), as the whole network's is.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from bregmalib._certified import mul_up, round_up
from bregmalib.lipschitz._local import ball_region, box_cap, propagate, theta_rows
from bregmalib.nn import NetworkLike, as_network
from bregmalib.nn.functional import coordinates_from_input, network_output

#: relative safety factor of a certified radius against rounding in the logits' differences
ROUNDING = 1e-9


def margin_lipschitz(
    model: NetworkLike, centers: ArrayLike, labels: ArrayLike, radius: float, domain: Any = None
) -> np.ndarray:
    """L_yj (rows: inputs, columns: classes j): certified bounds of the ℓ₂ Lipschitz constant
    of f_y − f_j on the ℓ₂ ball of ``radius`` around each input ∩ ``domain`` (at j = y only
    the norm slack, about 1e-300), at most √2 times the bound on the balls' box hull."""
    net = as_network(model, dtype=jnp.float64)
    region = ball_region(net, centers, radius, "l2", domain)
    labels = np.asarray(labels)
    head = np.asarray(net.head_weight, np.float64)
    heads = head[labels][:, None, :] - head[None, :, :]
    rows = theta_rows(net, propagate(net, region, heads))
    return np.minimum(rows, mul_up(round_up(np.sqrt(2.0)), box_cap(net, region).value))


def margin_radius(
    model: NetworkLike, centers: ArrayLike, labels: ArrayLike, radius: float, domain: Any = None
) -> np.ndarray:
    """Certified ℓ₂ radii min(ε, min_{j≠y} (f_y − f_j)(x)/L_yj), 0 where x is misclassified."""
    net = as_network(model, dtype=jnp.float64)
    x = np.atleast_2d(np.asarray(centers, np.float64))
    labels = np.asarray(labels)
    constants = margin_lipschitz(net, x, labels, radius, domain)
    logits = np.asarray(
        jax.vmap(lambda row: network_output(net, coordinates_from_input(net, row)))(jnp.asarray(x))
    )
    gaps = logits[np.arange(len(x)), labels][:, None] - logits
    others = np.arange(logits.shape[1])[None, :] != labels[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        per_class = np.where(constants > 0, gaps / constants, np.inf)
    nearest = np.min(np.where(others, per_class, np.inf), axis=1)
    correct = np.all(np.where(others, gaps > 0, True), axis=1)
    return np.where(correct, np.minimum(radius, nearest * (1 - ROUNDING)), 0.0)
