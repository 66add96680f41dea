"""Certified ℓ₂ radii from Lipschitz margins (Tsuzuku, Sato and Sugiyama 2018).

If every logit map is L-Lipschitz in ℓ₂ (L ≥ sup ‖J_f‖₂), each difference f_y − f_j is
√2·L-Lipschitz, so the prediction at x cannot change within ℓ₂ radius margin(x) / (√2·L),
margin(x) = f_y(x) − max_{j≠y} f_j(x). With a local bound L_r on the ℓ₂ ball of radius r around x
(∩ the data segment, a convex set; `bregmalib.lipschitz.local_lipschitz`), the radius
min(r, margin / (√2·L_r)) is certified too, and the larger min(r, min_j (f_y − f_j)/L_yj) from
the margin constants L_yj of each pair of classes on that ball (`margin_radius`). An ℓ₂
radius ρ certifies the ℓ∞ radius ρ/√n.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from bregmalib.lipschitz import (
    best_bound,
    local_lipschitz,
    make_box,
    margin_radius,
    upper_bounds,
)
from bregmalib.nn import Network, NetworkLike, as_network
from bregmalib.nn.functional import coordinates_from_input, network_output
from bregmalib.robust._attacks import margin_loss
from bregmalib.robust._domain import InputDomain, Norm, check_norm

#: relative safety factor against rounding in the margin and in the bound
ROUNDING = 1e-9


@dataclasses.dataclass(frozen=True)
class Certificates:
    """Per-example margins, bounds and certified radii (0 where misclassified)."""

    margin: np.ndarray
    correct: np.ndarray
    global_lipschitz: float
    global_method: str
    local_lipschitz: np.ndarray
    local_radius: float
    radius: np.ndarray
    radius_global: np.ndarray
    assumptions: tuple[str, ...]
    n_features: int

    @property
    def radius_linf(self) -> np.ndarray:
        """Certified ℓ∞ radii ρ/√n (the ℓ∞ ball of radius ρ/√n lies in the ℓ₂ ball of radius ρ)."""
        return self.radius / np.sqrt(self.n_features)


def _network64(model: NetworkLike) -> Network:
    if not jax.config.read("jax_enable_x64"):
        raise RuntimeError("certification needs float64: jax.config.update('jax_enable_x64', True)")
    return as_network(model, dtype=jnp.float64)


def _margins(net: Network, x: np.ndarray, y: ArrayLike) -> np.ndarray:
    t = coordinates_from_input(net, jnp.asarray(x, jnp.float64))
    loss = jax.vmap(lambda a, b: margin_loss(lambda u: network_output(net, u), a, b))
    return -np.asarray(loss(t, jnp.asarray(y)))


def margins(model: NetworkLike, x: ArrayLike, y: ArrayLike) -> np.ndarray:
    """f_y(x) − max_{j≠y} f_j(x) per example (rows of ``x``), in float64 (needs
    ``jax_enable_x64``)."""
    return _margins(_network64(model), np.asarray(x, np.float64), y)


def _radius(margin: np.ndarray, lipschitz: np.ndarray | float) -> np.ndarray:
    lip = np.asarray(lipschitz, np.float64)
    with np.errstate(divide="ignore"):
        radius = np.where(lip > 0, margin / (np.sqrt(2.0) * lip), np.inf)
    return np.where(margin > 0, radius * (1 - ROUNDING), 0.0)


def certify(
    model: NetworkLike,
    x: ArrayLike,
    y: ArrayLike,
    domain: InputDomain,
    *,
    local_radius: float | None = None,
    methods: Sequence[str] | None = None,
) -> Certificates:
    """Certified ℓ₂ radii of ``model`` (an MLP, a `Network`, a `Dense` or a `Layer`) at the rows
    of ``x``.

    Global: margin / (√2·L) with L the best upper bound of ``bregmalib.lipschitz`` on the data
    segment [lower, upper]ⁿ. With ``local_radius`` r: also min(r, margin / (√2·L_r)) with L_r the
    local bound on the ℓ₂ ball of radius r ∩ the segment (all rows at once, vmapped), and the
    margin radius min(r, min_j (f_y − f_j)/L_yj) on the same ball; the largest radius is kept
    (all are sound)."""
    if local_radius is not None and not local_radius > 0:
        raise ValueError(f"local_radius must be > 0 or None, got {local_radius}")
    x = np.asarray(x, np.float64)
    if x.ndim != 2:
        raise ValueError(f"x must have shape (batch, n), got {x.shape}")
    net = _network64(model)
    margin = _margins(net, x, y)
    glob = best_bound(
        upper_bounds(net, make_box(net, (domain.lower, domain.upper)), methods=methods)
    )
    radius_global = _radius(margin, glob.value)
    local = np.full(x.shape[0], np.inf)
    radius = radius_global
    if local_radius is not None:
        segment = (domain.lower, domain.upper)
        local = local_lipschitz(net, x, local_radius, norm="l2", domain=segment).upper
        pairwise = margin_radius(net, x, np.asarray(y), local_radius, segment)
        local_best = np.maximum(pairwise, np.minimum(local_radius, _radius(margin, local)))
        radius = np.maximum(radius_global, local_best)
    return Certificates(
        margin=margin,
        correct=margin > 0,
        global_lipschitz=float(glob.value),
        global_method=glob.method,
        local_lipschitz=local,
        local_radius=float("nan") if local_radius is None else float(local_radius),
        radius=radius,
        radius_global=radius_global,
        assumptions=tuple(glob.assumptions),
        n_features=int(x.shape[1]),
    )


def certified_accuracy(certificates: Certificates, radius: float, *, norm: Norm = "l2") -> float:
    """Fraction of examples classified correctly with certified radius ≥ ``radius``."""
    radii = certificates.radius if check_norm(norm) == "l2" else certificates.radius_linf
    return float(np.mean(certificates.correct & (radii >= radius)))
