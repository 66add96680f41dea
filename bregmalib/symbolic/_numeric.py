"""The numeric route: a sample of at least 10⁴ points, then gradient ascent from the worst.

A bound "f(z) ≤ tol for every z in the box" is searched for counterexamples by evaluating f on
a sample of the box (an evenly spaced grid when one variable is free, a scrambled Sobol sample
otherwise; at least `MIN_POINTS` points), then running projected Adam ascent (jit once, vmap
over starts) from the worst sample points. An attainment "sup f ≥ −tol" (a supremum is reached,
or approached inside the box) uses the same search. Evaluations run in float64. A NaN or ±∞
anywhere in the search is a failure, reported with its point.
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
from scipy.stats import qmc

from bregmalib.symbolic._errors import ClaimError

#: the fewest sample points of a numeric route (before the gradient ascent)
MIN_POINTS = 10_000
#: the sample size used by default (a power of two, as Sobol samples want)
DEFAULT_POINTS = 2**14

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
    sample_points: int
    sampling: str
    starts: int
    steps: int
    box: Mapping[str, tuple[float, float]]
    description: str = ""
    fixed: int = 0
    nonfinite: Mapping[str, float] | None = None


@dataclasses.dataclass(frozen=True)
class NumericCheck:
    """A function ``z -> f(z)`` on a box and the claim made about it.

    ``kind="bound"``: f(z) ≤ ``tolerance`` everywhere on the box (a counterexample refutes it).
    ``kind="attained"``: max f ≥ −``tolerance`` (a supremum claimed exact is reached in the box).
    ``names``/``lower``/``upper`` describe the box (finite ends); a zero-width axis is a fixed
    parameter (not searched, not reported; a result checked with a fixed parameter holds on an
    instance only). ``points`` sample points (at least `MIN_POINTS`), then ``starts`` ascents of
    ``steps`` steps from the worst of them. ``witnesses`` are extra points (for example a
    symbolic counterexample or a known extremal point) evaluated as well.
    """

    violation: Violation
    names: tuple[str, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    tolerance: float = 1e-9
    points: int = DEFAULT_POINTS
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
        if self.points < MIN_POINTS or self.starts < 1 or self.steps < 1:
            raise ClaimError(
                f"a numeric route samples at least {MIN_POINTS} points and ascends from at least "
                f"one of them: got {self.points} points, {self.starts} starts, {self.steps} steps"
            )
        if not any(hi > lo for lo, hi in zip(self.lower, self.upper, strict=True)):
            raise ClaimError("a numeric route searches at least one variable")

    def run(self) -> NumericOutcome:
        """Search the box; see the module docstring."""
        with jax.enable_x64(True):
            return _search(self)

    def evaluate(self, point: Mapping[str, float]) -> float:
        """f at one point given by name; fixed (zero-width) axes default to their value."""
        z = [float(point.get(name, lo)) for name, lo in zip(self.names, self.lower, strict=True)]
        with jax.enable_x64(True):
            return float(self.violation(jnp.asarray(z, dtype=jnp.float64)))


#: grid points are evaluated in chunks of this fixed size, so that each function compiles once
CHUNK = 4096


def _sample(lower: np.ndarray, upper: np.ndarray, points: int, seed: int) -> tuple[np.ndarray, str]:
    """``points`` points of the box and how they were chosen: an evenly spaced grid when one
    axis is free, else a scrambled Sobol sample (rounded up to a power of two); fixed
    (zero-width) axes keep their value."""
    free = upper > lower
    if int(free.sum()) == 1:
        unit = np.linspace(0.0, 1.0, points)[:, None]
        method = "evenly spaced grid"
    else:
        sobol = qmc.Sobol(d=int(free.sum()), scramble=True, seed=seed)
        unit = sobol.random_base2(int(np.ceil(np.log2(points))))
        method = "scrambled Sobol sample"
    sample = np.repeat(lower[None, :], unit.shape[0], axis=0)
    sample[:, free] = lower[free] + (upper - lower)[free] * unit
    return sample, method


@functools.lru_cache(maxsize=256)
def _compiled(violation: Violation, steps: int) -> tuple[Callable, Callable]:
    """The jitted grid evaluator and multi-start ascent for one violation function (cached, so a
    function used by several checks compiles once)."""
    rate, beta1, beta2, eps = 0.02, 0.9, 0.999, 1e-12

    def ascend(starts: Array, lower: Array, width: Array) -> tuple[Array, ...]:
        """Per start: the best value and its point, whether a non-finite value was met and the
        first point where it was."""

        def objective(y: Array) -> Array:
            return violation(lower + width * y)

        value_and_grad = jax.value_and_grad(objective)

        def one_start(y0: Array) -> tuple[Array, ...]:
            def step(carry, t):
                y, m, v, best, best_y, bad, bad_y = carry
                value, grad = value_and_grad(y)
                newly_bad = ~bad & ~jnp.isfinite(value)
                bad, bad_y = bad | newly_bad, jnp.where(newly_bad, y, bad_y)
                grad = jnp.where(jnp.isfinite(grad), grad, 0.0)
                better = jnp.isfinite(value) & (value > best)
                best, best_y = jnp.where(better, value, best), jnp.where(better, y, best_y)
                m = beta1 * m + (1 - beta1) * grad
                v = beta2 * v + (1 - beta2) * grad**2
                m_hat, v_hat = m / (1 - beta1 ** (t + 1)), v / (1 - beta2 ** (t + 1))
                y = jnp.clip(y + rate * m_hat / (jnp.sqrt(v_hat) + eps), 0.0, 1.0)
                return (y, m, v, best, best_y, bad, bad_y), None

            zeros = jnp.zeros_like(y0)
            none_bad = jnp.asarray(False)
            init = (y0, zeros, zeros, jnp.asarray(-jnp.inf, y0.dtype), y0, none_bad, y0)
            (y, _, _, best, best_y, bad, bad_y), _ = jax.lax.scan(step, init, jnp.arange(steps))
            last = objective(y)
            newly_bad = ~bad & ~jnp.isfinite(last)
            bad, bad_y = bad | newly_bad, jnp.where(newly_bad, y, bad_y)
            better = jnp.isfinite(last) & (last > best)
            return jnp.where(better, last, best), jnp.where(better, y, best_y), bad, bad_y

        return jax.vmap(one_start)(starts)

    return jax.jit(jax.vmap(violation)), jax.jit(ascend)


def _evaluate(evaluate: Callable, points: np.ndarray) -> np.ndarray:
    n = points.shape[0]
    padded = np.concatenate([points, np.repeat(points[-1:], (-n) % CHUNK, axis=0)])
    chunks = [np.asarray(evaluate(jnp.asarray(c))) for c in np.split(padded, len(padded) // CHUNK)]
    return np.concatenate(chunks)[:n]


def _search(check: NumericCheck) -> NumericOutcome:
    lower = np.asarray(check.lower, dtype=np.float64)
    upper = np.asarray(check.upper, dtype=np.float64)
    width = upper - lower
    points, sampling = _sample(lower, upper, check.points, check.seed)
    if check.witnesses:
        points = np.concatenate([points, np.asarray(check.witnesses, dtype=np.float64)])
    evaluate, ascend = _compiled(check.violation, check.steps)
    values = _evaluate(evaluate, points)
    finite = np.isfinite(values)
    nonfinite = None if finite.all() else points[int(np.argmin(finite))]
    ranked = np.where(finite, values, -np.inf)
    order = np.argsort(-ranked, kind="stable")[: check.starts]
    starts = (points[order] - lower) / np.where(width > 0, width, 1.0)
    ascended = ascend(
        jnp.asarray(np.clip(starts, 0.0, 1.0)), jnp.asarray(lower), jnp.asarray(width)
    )
    best, best_y, bad, bad_y = (np.asarray(a) for a in ascended)
    if nonfinite is None and bad.any():
        nonfinite = lower + width * bad_y[int(np.argmax(bad))]
    i = int(np.argmax(ranked))
    value, point = float(ranked[i]), points[i]
    if float(np.max(best)) > value:
        j = int(np.argmax(best))
        value, point = float(best[j]), lower + width * best_y[j]
    return _outcome(check, points.shape[0], sampling, value, point, nonfinite)


def _named(check: NumericCheck, point: np.ndarray) -> dict[str, float]:
    free = np.asarray(check.upper) > np.asarray(check.lower)
    return {n: float(z) for n, z, f in zip(check.names, point, free, strict=True) if f}


def _outcome(
    check: NumericCheck,
    n_points: int,
    sampling: str,
    value: float,
    point: np.ndarray,
    nonfinite: np.ndarray | None,
) -> NumericOutcome:
    lower = np.asarray(check.lower, dtype=np.float64)
    upper = np.asarray(check.upper, dtype=np.float64)
    free = upper > lower
    tol = check.tolerance
    within = value <= tol if check.kind == "bound" else value >= -tol
    return NumericOutcome(
        holds=bool(within and nonfinite is None),
        kind=check.kind,
        max_violation=value,
        argmax=_named(check, point),
        tolerance=check.tolerance,
        evaluations=int(n_points + check.starts * (check.steps + 1)),
        sample_points=int(n_points),
        sampling=sampling,
        starts=check.starts,
        steps=check.steps,
        box={
            n: (float(lo), float(hi))
            for n, lo, hi, f in zip(check.names, lower, upper, free, strict=True)
            if f
        },
        description=check.description,
        fixed=int((~free).sum()),
        nonfinite=None if nonfinite is None else _named(check, nonfinite),
    )
