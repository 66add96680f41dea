"""One call: every upper bound and lower bound of a model on a domain, with their ratio.

Also the per-input-group constants of Gupta, Kaakai, Pesquet-Popescu, Pesquet and Malliaros
("Multivariate Lipschitz analysis of the stability of neural networks", Front. Signal Process.
2022; the "Lipschitz star"): the Lipschitz constant of f with respect to one group of inputs,
the others held fixed, Lip_g = sup_x ‖J(x) P_g‖ with P_g the coordinate projection onto the
group (Theorem ``network/group_dual_theta_bound`` for the dual-θ bound of a BregmaNet).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array

from bregmalib.lipschitz._conv import convnet_bounds
from bregmalib.lipschitz._domain import Box, make_box
from bregmalib.lipschitz._lower import best_lower, lower_bounds
from bregmalib.lipschitz._upper import best_bound, upper_bounds
from bregmalib.nn import Activation, ConvNet, Network, NetworkLike, ResidualBlock, as_network

#: how far a lower bound may exceed a certified upper bound through its own rounding (it is
#: evaluated in the network's dtype, not outward-rounded), by that dtype
LOWER_BOUND_SLACK = {"float64": 1e-9, "float32": 1e-5}


class UnsoundBoundError(RuntimeError):
    """A measured lower bound exceeds a certified upper bound: a bug, never a tolerance."""


@dataclasses.dataclass(frozen=True)
class LipschitzReport:
    """Upper and lower bounds on the ℓ₂ Lipschitz constant of a model on a domain."""

    upper: float
    lower: float
    ratio: float
    method: str
    lower_method: str
    assumptions: tuple[str, ...]
    seconds: float
    uppers: dict[str, float]
    lowers: dict[str, float]
    upper_seconds: dict[str, float]
    version: str
    activation: str
    domain: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (infinite values as the strings "inf")."""
        return {k: _jsonable(v) for k, v in dataclasses.asdict(self).items()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return list(value)
    return value


def describe_box(net: Network, box: Box) -> str:
    """A short description of a domain."""
    lo, hi = np.unique(box.lower), np.unique(box.upper)
    if lo.size == 1 and hi.size == 1:
        return f"[{lo[0]:g}, {hi[0]:g}]^{net.input_dim}"
    return f"box in R^{net.input_dim} (per-coordinate ends)"


def check_sound(upper: float, lower: float, what: str, *, dtype: str = "float64") -> None:
    """Raise `UnsoundBoundError` when ``lower`` exceeds ``upper`` beyond the rounding of
    ``dtype`` (the precision the lower bound was computed in)."""
    slack = LOWER_BOUND_SLACK.get(dtype, LOWER_BOUND_SLACK["float32"])
    if lower > upper * (1 + slack) + slack:
        raise UnsoundBoundError(f"{what}: lower bound {lower!r} exceeds upper bound {upper!r}")


def convnet_domain(net: ConvNet, domain: Box | tuple[Any, Any] | None) -> tuple[float, float]:
    """The scalar input box [lo, hi] of a `ConvNet`'s report: ``domain``'s two numbers, or for
    None the interval I when the first stage is a Bregman block and I is bounded."""
    if domain is None:
        first = net.stages[0]
        if isinstance(first, ResidualBlock) and first.version == "bregman":
            ends = (float(first.pair.lower), float(first.pair.upper))
            if np.all(np.isfinite(ends)):
                return ends
        raise ValueError("the report of this network needs a domain (lower, upper) of numbers")
    lo, hi = (domain.lower, domain.upper) if isinstance(domain, Box) else domain
    if np.size(lo) != 1 or np.size(hi) != 1 or not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError("a convolutional network's domain is two finite numbers (lower, upper)")
    if not float(lo) < float(hi):
        raise ValueError(f"need lower < upper, got ({float(lo)}, {float(hi)})")
    return float(lo), float(hi)


def _convnet_report(
    net: ConvNet, domain: Box | tuple[Any, Any] | None, restarts: int, key: Array | None
) -> LipschitzReport:
    """`convnet_bounds` (stage product, power iteration at 2·``restarts`` points) as a report."""
    start = time.perf_counter()
    lo, hi = convnet_domain(net, domain)
    bounds = convnet_bounds(net, (lo, hi), points=2 * restarts, key=key)
    check_sound(bounds.upper, bounds.lower, "convolutional stage product")
    blocks = {s.version for s in net.stages if isinstance(s, ResidualBlock)}
    pairs = sorted({s.pair.name for s in net.stages if isinstance(s, Activation | ResidualBlock)})
    assumptions = bounds.assumptions + ((bounds.reason,) if bounds.reason else ())
    return LipschitzReport(
        upper=bounds.upper,
        lower=bounds.lower,
        ratio=float(bounds.ratio),
        method="stage product",
        lower_method="power iteration",
        assumptions=assumptions,
        seconds=time.perf_counter() - start,
        uppers={"stage product": bounds.upper},
        lowers={"power iteration": bounds.lower},
        upper_seconds={"stage product": bounds.upper_seconds},
        version="/".join(sorted(blocks)) or "standard",
        activation="/".join(pairs),
        domain=f"[{lo:g}, {hi:g}]^{int(np.prod(net.in_shape))}",
    )


def lipschitz_report(
    model: NetworkLike | ConvNet,
    domain: Box | tuple[Any, Any] | None = None,
    *,
    restarts: int = 16,
    steps: int = 200,
    methods: Sequence[str] | None = None,
    columns: Any = None,
    key: Array | None = None,
) -> LipschitzReport:
    """Every applicable upper bound and the ascent lower bounds of ``model`` (a network, an
    MLP, or a single layer as a depth-1 network) on ``domain`` (None: the natural domain, ℝⁿ or
    Iⁿ; or (lower, upper)); the best of each, their ratio, the assumptions and the time.
    A `ConvNet` (a converted bregmanet model) gets `convnet_bounds` on the scalar box
    ``domain`` (None: I when it starts with a Bregman block of a bounded I); ``methods`` and
    ``columns`` are for networks only.

    Raises `UnsoundBoundError` if a lower bound exceeds an upper bound (a bug)."""
    if isinstance(model, ConvNet):
        if methods is not None or columns is not None:
            raise ValueError("methods and columns apply to networks of dense layers only")
        return _convnet_report(model, domain, restarts, key)
    start = time.perf_counter()
    net = as_network(model)
    box = make_box(net, domain)
    mask = None if columns is None else np.asarray(columns, np.float64)
    uppers = upper_bounds(net, box, mask, methods=methods)
    lowers = lower_bounds(net, box, restarts=restarts, steps=steps, columns=mask, key=key)
    best_up, best_low = best_bound(uppers), best_lower(lowers)
    what = f"{net.version} {net.pair.name} {best_up.method}"
    check_sound(best_up.value, best_low.value, what, dtype=jnp.dtype(net.head_weight.dtype).name)
    ratio = best_up.value / best_low.value if best_low.value > 0 else np.inf
    return LipschitzReport(
        upper=best_up.value,
        lower=best_low.value,
        ratio=float(ratio),
        method=best_up.method,
        lower_method=best_low.method,
        assumptions=best_up.assumptions,
        seconds=time.perf_counter() - start,
        uppers={name: b.value for name, b in uppers.items()},
        lowers={name: b.value for name, b in lowers.items()},
        upper_seconds={name: b.seconds for name, b in uppers.items()},
        version=net.version,
        activation=net.pair.name,
        domain=describe_box(net, box),
    )


# ----- the Lipschitz star


@dataclasses.dataclass(frozen=True)
class LipschitzStar:
    """Per-input-group Lipschitz constants: upper and lower bounds for each group."""

    names: tuple[str, ...]
    upper: np.ndarray
    lower: np.ndarray
    methods: tuple[str, ...]


def input_groups(n_inputs: int, groups: int | Sequence[Sequence[int]]) -> list[np.ndarray]:
    """Index arrays of the groups: ``groups`` contiguous blocks, or the given index lists."""
    if isinstance(groups, int):
        if not 1 <= groups <= n_inputs:
            raise ValueError(f"groups must be between 1 and {n_inputs}, got {groups}")
        return [np.asarray(g) for g in np.array_split(np.arange(n_inputs), groups)]
    out = [np.asarray(g, dtype=int) for g in groups]
    if any(g.size == 0 or g.min() < 0 or g.max() >= n_inputs for g in out):
        raise ValueError(f"every group must be a nonempty list of indices in [0, {n_inputs})")
    return out


def lipschitz_star(
    model: NetworkLike,
    groups: int | Sequence[Sequence[int]],
    domain: Box | tuple[Any, Any] | None = None,
    *,
    names: Sequence[str] | None = None,
    restarts: int = 8,
    steps: int = 100,
    key: Array | None = None,
) -> LipschitzStar:
    """Upper and lower bounds on Lip_g = sup‖J(x)P_g‖ for each input group g (Gupta et al.
    2022): the same bounds as `lipschitz_report` with the input restricted to the group."""
    net = as_network(model)
    index_sets = input_groups(net.input_dim, groups)
    names = tuple(names) if names is not None else tuple(f"g{i}" for i in range(len(index_sets)))
    if len(names) != len(index_sets):
        raise ValueError(f"got {len(names)} names for {len(index_sets)} groups")
    key = jax.random.key(0) if key is None else key
    uppers, lowers, methods = [], [], []
    for k, index in zip(jax.random.split(key, len(index_sets)), index_sets, strict=True):
        mask = np.zeros(net.input_dim)
        mask[index] = 1.0
        report = lipschitz_report(net, domain, restarts=restarts, steps=steps, columns=mask, key=k)
        uppers.append(report.upper)
        lowers.append(report.lower)
        methods.append(report.method)
    return LipschitzStar(names, np.asarray(uppers), np.asarray(lowers), tuple(methods))


def plot_lipschitz_star(star: LipschitzStar, ax: Any = None, *, log: bool = True) -> Any:
    """Radar plot of a `LipschitzStar`: upper and lower bounds per input group."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(subplot_kw={"projection": "polar"}, figsize=(5, 5))
    angles = np.linspace(0, 2 * np.pi, len(star.names), endpoint=False)
    closed = np.append(angles, angles[:1])
    for values, label, style in (
        (star.upper, "upper bound", "-"),
        (star.lower, "lower bound", "--"),
    ):
        shown = np.log10(values) if log else values
        ax.plot(closed, np.append(shown, shown[:1]), style, label=label)
        ax.fill(closed, np.append(shown, shown[:1]), alpha=0.15)
    ax.set_xticks(angles)
    ax.set_xticklabels(star.names)
    ax.set_title("Lipschitz star" + (" (log10)" if log else ""))
    ax.legend(loc="lower right", bbox_to_anchor=(1.3, -0.1))
    return ax
