"""The numeric route: dense grid plus multi-start gradient ascent of a violation function.

A bound "f(z) ≤ tol for every z in the box" is searched for counterexamples by evaluating f on a
dense grid, then running projected Adam ascent (jit once, vmap over starts) from the best grid
points and from random points. An attainment "sup f ≥ −tol" (a supremum is reached, or
approached inside the box) uses the same search. Evaluations run in float64.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array

Violation = Callable[[Array], Array]


@dataclasses.dataclass(frozen=True)
class NumericOutcome:
    """What the search found: the largest violation, where, and how hard it looked."""

    holds: bool
    kind: str
    max_violation: float
    argmax: Mapping[str, float]
    tolerance: float
    evaluations: int
    grid_points: int
    starts: int
    steps: int
    box: Mapping[str, tuple[float, float]]
    description: str = ""


@dataclasses.dataclass(frozen=True)
class NumericCheck:
    """A function ``z -> f(z)`` on a box and the claim made about it.

    ``kind="bound"``: f(z) ≤ ``tolerance`` everywhere on the box (a counterexample refutes it).
    ``kind="attained"``: max f ≥ −``tolerance`` (a supremum claimed exact is reached in the box).
    ``names``/``lower``/``upper`` describe the box (finite ends); a zero-width axis is a fixed
    parameter (one grid point, not searched, not reported). ``starts=0``: grid only.
    ``witnesses`` are extra points (for example a symbolic counterexample or a known extremal
    point) evaluated as well.
    """

    violation: Violation
    names: tuple[str, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    tolerance: float = 1e-9
    grid_budget: int = 20_000
    starts: int = 16
    steps: int = 120
    seed: int = 0
    witnesses: tuple[tuple[float, ...], ...] = ()
    description: str = ""
    kind: Literal["bound", "attained"] = "bound"

    def __post_init__(self) -> None:
        if self.kind not in ("bound", "attained"):
            raise ValueError(f"kind must be 'bound' or 'attained', got {self.kind!r}")
        k = len(self.names)
        if not (len(self.lower) == len(self.upper) == k) or k == 0:
            raise ValueError("names, lower and upper must have the same positive length")
        if not all(np.isfinite(self.lower)) or not all(np.isfinite(self.upper)):
            raise ValueError(f"the search box must be finite, got {self.lower} .. {self.upper}")
        if any(lo > hi for lo, hi in zip(self.lower, self.upper, strict=True)):
            raise ValueError(f"empty box: lower {self.lower} exceeds upper {self.upper}")

    def run(self) -> NumericOutcome:
        """Search the box; see the module docstring."""
        with jax.enable_x64(True):
            return _search(self)

    def evaluate(self, point: Mapping[str, float]) -> float:
        """f at one point given by name; fixed (zero-width) axes default to their value."""
        z = [float(point.get(name, lo)) for name, lo in zip(self.names, self.lower, strict=True)]
        with jax.enable_x64(True):
            return float(_safe(self.violation(jnp.asarray(z, dtype=jnp.float64))))


def _safe(values: Array) -> Array:
    return jnp.where(jnp.isnan(values), -jnp.inf, values)


#: grid points are evaluated in chunks of this fixed size, so that each function compiles once
CHUNK = 4096


def _grid(lower: np.ndarray, upper: np.ndarray, budget: int) -> np.ndarray:
    """A tensor grid; zero-width axes (fixed parameters) get a single point."""
    free = int(np.sum(upper > lower))
    per_axis = max(3, int(budget ** (1.0 / max(free, 1))))
    axes = [
        np.linspace(lo, hi, per_axis) if hi > lo else np.array([lo])
        for lo, hi in zip(lower, upper, strict=True)
    ]
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, lower.size)


@functools.lru_cache(maxsize=256)
def _compiled(violation: Violation, steps: int) -> tuple[Callable, Callable]:
    """The jitted grid evaluator and multi-start ascent for one violation function (cached, so a
    function used by several checks compiles once)."""
    rate, beta1, beta2, eps = 0.02, 0.9, 0.999, 1e-12

    def ascend(starts: Array, lower: Array, width: Array) -> tuple[Array, Array]:
        def objective(y: Array) -> Array:
            return violation(lower + width * y)

        value_and_grad = jax.value_and_grad(objective)

        def one_start(y0: Array) -> tuple[Array, Array]:
            def step(carry, t):
                y, m, v, best, best_y = carry
                value, grad = value_and_grad(y)
                grad = jnp.where(jnp.isfinite(grad), grad, 0.0)
                value = jnp.where(jnp.isnan(value), -jnp.inf, value)
                better = value > best
                best, best_y = jnp.where(better, value, best), jnp.where(better, y, best_y)
                m = beta1 * m + (1 - beta1) * grad
                v = beta2 * v + (1 - beta2) * grad**2
                m_hat, v_hat = m / (1 - beta1 ** (t + 1)), v / (1 - beta2 ** (t + 1))
                y = jnp.clip(y + rate * m_hat / (jnp.sqrt(v_hat) + eps), 0.0, 1.0)
                return (y, m, v, best, best_y), None

            zeros = jnp.zeros_like(y0)
            init = (y0, zeros, zeros, jnp.asarray(-jnp.inf, y0.dtype), y0)
            (y, _, _, best, best_y), _ = jax.lax.scan(step, init, jnp.arange(steps))
            last = _safe(objective(y))
            return jnp.where(last > best, last, best), jnp.where(last > best, y, best_y)

        return jax.vmap(one_start)(starts)

    return jax.jit(jax.vmap(violation)), jax.jit(ascend)


def _evaluate_grid(evaluate: Callable, points: np.ndarray) -> np.ndarray:
    n = points.shape[0]
    padded = np.concatenate([points, np.repeat(points[-1:], (-n) % CHUNK, axis=0)])
    chunks = [
        np.asarray(_safe(evaluate(jnp.asarray(c)))) for c in np.split(padded, len(padded) // CHUNK)
    ]
    return np.concatenate(chunks)[:n]


def _search(check: NumericCheck) -> NumericOutcome:
    lower = np.asarray(check.lower, dtype=np.float64)
    upper = np.asarray(check.upper, dtype=np.float64)
    width = upper - lower
    points = _grid(lower, upper, check.grid_budget)
    if check.witnesses:
        points = np.concatenate([points, np.asarray(check.witnesses, dtype=np.float64)])
    evaluate, ascend = _compiled(check.violation, check.steps)
    values = _evaluate_grid(evaluate, points)
    if check.starts == 0:
        i = int(np.argmax(values))
        return _outcome(check, points, values, float(values[i]), points[i])
    n_best = check.starts // 2
    order = np.argsort(-values, kind="stable")[:n_best]
    rng = np.random.default_rng(check.seed)
    normalised = (points[order] - lower) / np.where(width > 0, width, 1.0)
    random_starts = rng.uniform(size=(check.starts - n_best, lower.size))
    starts = np.clip(np.concatenate([normalised, random_starts]), 0.0, 1.0)
    best, best_y = ascend(jnp.asarray(starts), jnp.asarray(lower), jnp.asarray(width))
    best, best_y = np.asarray(best), np.asarray(best_y)
    grid_i = int(np.argmax(values))
    if best.size and float(np.max(best)) > float(values[grid_i]):
        i = int(np.argmax(best))
        value, point = float(best[i]), lower + width * best_y[i]
    else:
        value, point = float(values[grid_i]), points[grid_i]
    return _outcome(check, points, values, value, point)


def _outcome(
    check: NumericCheck, points: np.ndarray, values: np.ndarray, value: float, point: np.ndarray
) -> NumericOutcome:
    lower = np.asarray(check.lower, dtype=np.float64)
    upper = np.asarray(check.upper, dtype=np.float64)
    free = upper > lower
    tol = check.tolerance
    return NumericOutcome(
        holds=bool(value <= tol if check.kind == "bound" else value >= -tol),
        kind=check.kind,
        max_violation=value,
        argmax={n: float(z) for n, z, f in zip(check.names, point, free, strict=True) if f},
        tolerance=check.tolerance,
        evaluations=int(points.shape[0] + check.starts * (check.steps + 1)),
        grid_points=int(points.shape[0]),
        starts=check.starts,
        steps=check.steps,
        box={
            n: (float(lo), float(hi))
            for n, lo, hi, f in zip(check.names, lower, upper, free, strict=True)
            if f
        },
        description=check.description,
    )
