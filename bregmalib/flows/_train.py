"""Maximum-likelihood training and evaluation of the flows of `bregmalib.flows`."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import Array
from jax.typing import ArrayLike
from tqdm.auto import tqdm


@dataclasses.dataclass(frozen=True)
class FitResult:
    """A trained flow, its training negative log-likelihood per logged step, and wall time
    (seconds, compilation included)."""

    flow: Any
    losses: tuple[float, ...]
    seconds: float


def mean_log_likelihood(flow: Any, data: ArrayLike) -> Array:
    """(1/n) Σ log p(x_i)."""
    return jnp.mean(jax.vmap(flow.log_prob)(jnp.asarray(data)))


def fit_flow(
    flow: Any,
    data: ArrayLike,
    *,
    steps: int = 2000,
    batch_size: int = 256,
    learning_rate: float = 5e-3,
    seed: int = 0,
    log_every: int = 50,
    progress: bool = True,
) -> FitResult:
    """Adam on the mean negative log-likelihood over minibatches of ``data`` (shape (n, d))."""
    data = jnp.asarray(data)
    if data.ndim != 2:
        raise ValueError(f"data must have shape (n, d), got {data.shape}")
    if steps < 1 or batch_size < 1:
        raise ValueError(f"need steps ≥ 1 and batch_size ≥ 1, got {steps}, {batch_size}")
    schedule = optax.cosine_decay_schedule(learning_rate, steps)
    optimiser = optax.adam(schedule)
    params, static = eqx.partition(flow, eqx.is_array)
    state = optimiser.init(params)

    @jax.jit
    def step(params, state, batch):
        def loss(p):
            return -mean_log_likelihood(eqx.combine(p, static), batch)

        value, grads = jax.value_and_grad(loss)(params)
        updates, state = optimiser.update(grads, state, params)
        return optax.apply_updates(params, updates), state, value

    rng = np.random.default_rng(seed)
    losses: list[float] = []
    start = time.perf_counter()
    for k in tqdm(range(steps), desc=type(flow).__name__, disable=not progress, leave=False):
        batch = data[rng.integers(0, data.shape[0], size=batch_size)]
        params, state, value = step(params, state, batch)
        if k % log_every == 0 or k == steps - 1:
            losses.append(float(value))
    seconds = time.perf_counter() - start
    return FitResult(flow=eqx.combine(params, static), losses=tuple(losses), seconds=seconds)


def evaluate_flow(flow: Any, test: ArrayLike, *, n_inverse: int = 1000) -> dict[str, float]:
    """Test log-likelihood, round-trip error max‖f⁻¹(f(x)) − x‖_∞ on ``n_inverse`` test points,
    inversion iterations and time."""
    test = jnp.asarray(test)
    log_likelihood = float(jax.jit(mean_log_likelihood)(flow, test))
    subset = test[:n_inverse]
    z = jax.vmap(lambda x: flow.forward(x)[0])(subset)
    invert = jax.jit(jax.vmap(flow.inverse))
    jax.block_until_ready(invert(z))
    start = time.perf_counter()
    result = jax.block_until_ready(invert(z))
    seconds = time.perf_counter() - start
    return {
        "test_log_likelihood": log_likelihood,
        "inversion_error": float(jnp.max(jnp.abs(result.x - subset))),
        "inversion_residual": float(jnp.max(result.residual)),
        "inversion_converged": bool(jnp.all(result.converged)),
        "inversion_iterations_mean": float(jnp.mean(result.iterations)),
        "inversion_seconds": seconds,
    }


def density_grid(
    flow: Any, bounds: tuple[float, float, float, float], resolution: int = 100
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs, ys, p) with p[i, j] = p(xs[j], ys[i]) on a regular grid over ``bounds``
    (x_min, x_max, y_min, y_max), for figures."""
    xs = np.linspace(bounds[0], bounds[1], resolution)
    ys = np.linspace(bounds[2], bounds[3], resolution)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    log_p = jax.jit(jax.vmap(flow.log_prob))(jnp.asarray(grid))
    return xs, ys, np.exp(np.asarray(log_p)).reshape(resolution, resolution)
