"""Certified ℓ₂ radii from Lipschitz margins (Tsuzuku, Sato and Sugiyama 2018).

If every logit map is L-Lipschitz in ℓ₂ (L ≥ sup ‖J_f‖₂), each difference f_y − f_j is
√2·L-Lipschitz, so the prediction at x cannot change within ℓ₂ radius margin(x) / (√2·L),
margin(x) = f_y(x) − max_{j≠y} f_j(x). With a local bound L_r on the box x ± r (∩ the data
segment), the radius min(r, margin / (√2·L_r)) is certified too: the ℓ₂ ball of radius ≤ r lies
in that box, and the box ∩ the segment is convex. An ℓ₂ radius ρ certifies the ℓ∞ radius ρ/√n.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from bregmalib.lipschitz import Box, as_network, best_bound, make_box, upper_bounds
from bregmalib.robust._attacks import margin_loss
from bregmalib.robust._domain import InputDomain

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


def _float64(model: Any) -> Any:
    return jax.tree_util.tree_map(
        lambda a: a.astype(jnp.float64) if eqx.is_inexact_array(a) else a, model
    )


def margins(model: Any, x: Any, y: Any) -> np.ndarray:
    """f_y(x) − max_{j≠y} f_j(x) per example, in float64 (needs ``jax_enable_x64``)."""
    if not jax.config.jax_enable_x64:
        raise RuntimeError("certification needs float64: jax.config.update('jax_enable_x64', True)")
    model64 = _float64(model)
    x64, y = jnp.asarray(x, jnp.float64), jnp.asarray(y)
    return -np.asarray(jax.vmap(lambda a, b: margin_loss(model64, a, b))(x64, y))


def _radius(margin: np.ndarray, lipschitz: np.ndarray | float) -> np.ndarray:
    lip = np.asarray(lipschitz, np.float64)
    with np.errstate(divide="ignore"):
        radius = np.where(lip > 0, margin / (np.sqrt(2.0) * lip), np.inf)
    return np.where(margin > 0, radius * (1 - ROUNDING), 0.0)


def local_box(x: np.ndarray, half_width: float, domain: InputDomain) -> Box:
    """The box x ± half_width intersected with the data segment."""
    x = np.asarray(x, np.float64)
    return Box(np.maximum(x - half_width, domain.lower), np.minimum(x + half_width, domain.upper))


def certify(
    model: Any,
    x: Any,
    y: Any,
    domain: InputDomain,
    *,
    local_radius: float | None = None,
    methods: Any = None,
) -> Certificates:
    """Certified ℓ₂ radii of ``model`` (a ``bregmalib.nn.MLP``) at the rows of ``x``.

    Global: margin / (√2·L) with L the best upper bound of ``bregmalib.lipschitz`` on the data
    segment [lower, upper]ⁿ. With ``local_radius`` r: also min(r, margin / (√2·L_r)) with L_r the
    best bound on x ± r ∩ the segment; the larger of the two radii is kept (both are sound)."""
    if local_radius is not None and not local_radius > 0:
        raise ValueError(f"local_radius must be > 0 or None, got {local_radius}")
    x = np.asarray(x, np.float64)
    if x.ndim != 2:
        raise ValueError(f"x must have shape (batch, n), got {x.shape}")
    net = as_network(model, dtype=jnp.float64)
    margin = margins(model, x, y)
    glob = best_bound(
        upper_bounds(net, make_box(net, (domain.lower, domain.upper)), methods=methods)
    )
    radius_global = _radius(margin, glob.value)
    local = np.full(x.shape[0], np.inf)
    radius = radius_global
    if local_radius is not None:
        local = np.array(
            [
                best_bound(
                    upper_bounds(net, local_box(row, local_radius, domain), methods=methods)
                ).value
                for row in x
            ]
        )
        radius = np.maximum(radius_global, np.minimum(local_radius, _radius(margin, local)))
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


def certified_accuracy(certificates: Certificates, radius: float, *, norm: str = "l2") -> float:
    """Fraction of examples classified correctly with certified radius ≥ ``radius``."""
    if norm not in ("l2", "linf"):
        raise ValueError(f"unknown norm {norm!r}; expected 'l2' or 'linf'")
    radii = certificates.radius if norm == "l2" else certificates.radius_linf
    return float(np.mean(certificates.correct & (radii >= radius)))
