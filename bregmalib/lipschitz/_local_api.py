"""`local_lower`: lower bounds of the local Lipschitz constant of any model, a network of dense
layers (projected ascent, `bregmalib.lipschitz._local_lower`) or a `ConvNet` (the Jacobian's
norm at the centre and random points of the region, `bregmalib.lipschitz._conv_local`)."""

from __future__ import annotations

import numpy as np
from jax import Array

from bregmalib.lipschitz._conv_local import convnet_local_lower
from bregmalib.lipschitz._local import LocalNorm, Region, _check_norm
from bregmalib.lipschitz._local_lower import region_lower
from bregmalib.nn import ConvNet, NetworkLike


def local_lower(
    model: NetworkLike | ConvNet,
    region: Region,
    norm: LocalNorm = "l2",
    *,
    restarts: int = 4,
    steps: int = 50,
    key: Array | None = None,
) -> np.ndarray:
    """Lower bounds of sup ‖J(x)‖ (ℓ₂ operator norm or ‖·‖_{∞→∞}) over each region: for a
    network, the best ‖J‖ over the centre and ``restarts`` projected ascent runs of ``steps``
    steps; for a `ConvNet`, over the centre and 2·``restarts`` random points (power iteration
    of ``steps`` steps for ℓ₂)."""
    norm = _check_norm(norm)
    if not isinstance(model, ConvNet):
        return region_lower(model, region, norm, restarts=restarts, steps=steps, key=key)
    lip = 2 if norm == "l2" else 1
    arrays = (region.center, region.scale, region.lower, region.upper)
    return convnet_local_lower(
        model, *arrays, region.dual, lip, points=2 * restarts, iterations=steps, key=key
    )
