"""Seeded samplers of 2-D toy densities (for flows and invertible networks), unscaled."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.datasets import make_moons

DENSITIES: tuple[str, ...] = ("two_moons", "eight_gaussians", "checkerboard")


def _check_n(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")


def two_moons(n: int, *, noise: float = 0.05, seed: int = 0) -> np.ndarray:
    """n points of scikit-learn's two interleaving half circles, shape (n, 2)."""
    _check_n(n)
    points, _ = make_moons(n_samples=n, noise=noise, random_state=seed)
    return points


def eight_gaussians(n: int, *, radius: float = 2.0, std: float = 0.1, seed: int = 0) -> np.ndarray:
    """n points from an equal mixture of N(c_k, std²I), c_k = radius·(cos kπ/4, sin kπ/4)."""
    _check_n(n)
    rng = np.random.default_rng(seed)
    angle = rng.integers(0, 8, size=n) * np.pi / 4.0
    centres = radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return centres + std * rng.normal(size=(n, 2))


def checkerboard(n: int, *, squares: int = 4, seed: int = 0) -> np.ndarray:
    """n points uniform on the black cells of a ``squares``×``squares`` board on [−2, 2]²."""
    _check_n(n)
    if squares < 2:
        raise ValueError(f"squares must be at least 2, got {squares}")
    rng = np.random.default_rng(seed)
    cell = 4.0 / squares
    row = rng.integers(0, squares, size=n)
    col = 2 * rng.integers(0, squares // 2 + squares % 2, size=n) + row % 2
    keep = col < squares
    while not keep.all():
        redraw = rng.integers(0, squares // 2 + squares % 2, size=int((~keep).sum()))
        col[~keep] = 2 * redraw + row[~keep] % 2
        keep = col < squares
    offset = rng.uniform(size=(n, 2))
    return -2.0 + cell * (np.stack([col, row], axis=1) + offset)


def sample_density(name: str, n: int, *, seed: int = 0) -> np.ndarray:
    """Sample one of ``DENSITIES`` by name."""
    samplers: dict[str, Callable[..., np.ndarray]] = {
        "two_moons": two_moons,
        "eight_gaussians": eight_gaussians,
        "checkerboard": checkerboard,
    }
    if name not in samplers:
        raise ValueError(f"unknown density {name!r}; expected one of {list(DENSITIES)}")
    return samplers[name](n, seed=seed)
