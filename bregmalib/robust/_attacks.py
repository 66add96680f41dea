"""Evasion attacks: FGSM (Goodfellow et al. 2015), PGD with random restarts (Madry et al.
2018) in ℓ∞ and ℓ₂, and additive Gaussian noise. Every iterate is projected onto the ε-ball
∩ the data segment (`project`), so a Bregman network's σ⁻¹ is always defined on it.

PGD ascends the margin loss max_{j≠y} f_j(x) − f_y(x) (Carlini and Wagner 2017); a point is
broken when that loss is > 0.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax import Array

from bregmalib.robust._domain import InputDomain, Norm, check_norm, project

#: a model's logits for one example: an `bregmalib.nn.MLP` or `~bregmalib.nn.ResNet`, or any
#: function x ↦ f(x)
Classifier = Callable[[Array], Array]


@dataclasses.dataclass(frozen=True)
class AttackResult:
    """Perturbed inputs (one per example), their margin loss and whether they are misclassified."""

    x: Array
    loss: Array
    broken: Array

    @property
    def accuracy(self) -> float:
        """Fraction of examples still classified correctly."""
        broken = np.asarray(self.broken)
        return float(np.count_nonzero(~broken) / broken.size)


def margin_loss(model: Classifier, x: Array, y: Array) -> Array:
    """max_{j≠y} f_j(x) − f_y(x) for one example: > 0 exactly when x is misclassified."""
    logits = model(x)
    other = jnp.max(jnp.where(jnp.arange(logits.shape[0]) == y, -jnp.inf, logits))
    return other - logits[y]


def _cross_entropy(model: Classifier, x: Array, y: Array) -> Array:
    return -jax.nn.log_softmax(model(x))[y]


def _check_eps(eps: float) -> float:
    if not eps >= 0:
        raise ValueError(f"eps must be >= 0, got {eps}")
    return float(eps)


def _direction(grad: Array, norm: Norm) -> Array:
    """The steepest-ascent unit step: sign(g) in ℓ∞, g/‖g‖₂ in ℓ₂ (batched, last axis)."""
    if norm == "linf":
        return jnp.sign(grad)
    return grad / jnp.maximum(jnp.linalg.norm(grad, axis=-1, keepdims=True), 1e-30)


def fgsm(
    model: Classifier,
    x: Array,
    y: Array,
    eps: float,
    domain: InputDomain,
    *,
    norm: Norm = "linf",
) -> AttackResult:
    """One step x + ε·dir(∇ₓ CE(f(x), y)), projected; ``x`` of shape (batch, n)."""
    eps, norm = _check_eps(eps), check_norm(norm)
    z, loss = _fgsm_step(model, x, y, jnp.asarray(eps), norm, domain)
    return AttackResult(z, loss, loss > 0)


@eqx.filter_jit
def _fgsm_step(
    model: Classifier, x: Array, y: Array, eps: Array, norm: Norm, domain: InputDomain
) -> tuple[Array, Array]:
    grad = jax.vmap(jax.grad(lambda a, b: _cross_entropy(model, a, b)))(x, y)
    z = project(x + eps * _direction(grad, norm), x, eps, norm, domain)
    return z, jax.vmap(lambda a, b: margin_loss(model, a, b))(z, y)


def _keep_worse(best: Array, best_loss: Array, z: Array, loss: Array) -> tuple[Array, Array]:
    """Per example, the point with the larger margin loss (the worse one for the model)."""
    better = loss > best_loss
    return jnp.where(better[:, None], z, best), jnp.where(better, loss, best_loss)


def _random_start(key: Array, x: Array, eps: float, norm: Norm, domain: InputDomain) -> Array:
    if norm == "linf":
        noise = jax.random.uniform(key, x.shape, x.dtype, -eps, eps)
    else:
        k1, k2 = jax.random.split(key)
        direction = jax.random.normal(k1, x.shape, x.dtype)
        direction = direction / jnp.linalg.norm(direction, axis=-1, keepdims=True)
        radius = eps * jax.random.uniform(k2, (x.shape[0], 1), x.dtype) ** (1 / x.shape[-1])
        noise = radius * direction
    return project(x + noise, x, eps, norm, domain)


@eqx.filter_jit
def _pgd_run(
    model: Classifier,
    x: Array,
    y: Array,
    start: Array,
    eps: Array,
    norm: Norm,
    domain: InputDomain,
    steps: int,
    step_size: Array,
) -> tuple[Array, Array]:
    """Projected ascent of the margin loss; returns the best iterate and its loss."""
    loss_grad = jax.vmap(jax.value_and_grad(lambda a, b: margin_loss(model, a, b)))

    def step(
        carry: tuple[Array, Array, Array], k: Array
    ) -> tuple[tuple[Array, Array, Array], None]:
        z, best, best_loss = carry
        loss, grad = loss_grad(z, y)
        best, best_loss = _keep_worse(best, best_loss, z, loss)
        size = step_size * (steps - k) / steps
        z = project(z + size * _direction(grad, norm), x, eps, norm, domain)
        return (z, best, best_loss), None

    init = (start, start, jnp.full(x.shape[:1], -jnp.inf, x.dtype))
    (z, best, best_loss), _ = jax.lax.scan(step, init, jnp.arange(steps))
    return _keep_worse(best, best_loss, z, jax.vmap(lambda a, b: margin_loss(model, a, b))(z, y))


def pgd(
    model: Classifier,
    x: Array,
    y: Array,
    eps: float,
    domain: InputDomain,
    *,
    norm: Norm = "linf",
    steps: int = 20,
    restarts: int = 1,
    step_size: float | None = None,
    key: Array | None = None,
) -> AttackResult:
    """PGD on the margin loss: one run from the FGSM point and ``restarts`` runs from uniform
    random points of the allowed set; per example the iterate with the largest loss is kept
    (so PGD is never weaker than FGSM). The step decays linearly from ``step_size`` (default
    5ε/steps, a total path of 2.5ε) to 0, so that the iterates settle on nonsmooth maxima."""
    eps, norm = _check_eps(eps), check_norm(norm)
    if steps < 1 or restarts < 0:
        raise ValueError(f"need steps >= 1 and restarts >= 0, got {steps}, {restarts}")
    step_size = 5.0 * eps / steps if step_size is None else float(step_size)
    key = jax.random.key(0) if key is None else key
    first = fgsm(model, x, y, eps, domain, norm=norm)
    starts = [first.x] + [
        _random_start(k, x, eps, norm, domain) for k in jax.random.split(key, restarts)
    ]
    best, best_loss = first.x, first.loss
    for start in starts:
        z, loss = _pgd_run(
            model, x, y, start, jnp.asarray(eps), norm, domain, steps, jnp.asarray(step_size)
        )
        best, best_loss = _keep_worse(best, best_loss, z, loss)
    return AttackResult(best, best_loss, best_loss > 0)


def _noisy_copies(
    x: Array, sigma: float, domain: InputDomain, draws: int, key: Array | None
) -> list[Array]:
    """``draws`` copies of x + N(0, σ²I), each clipped into the data segment."""
    if not sigma >= 0 or draws < 1:
        raise ValueError(f"need sigma >= 0 and draws >= 1, got {sigma}, {draws}")
    key = jax.random.key(0) if key is None else key
    return [
        domain.clip(x + sigma * jax.random.normal(k, x.shape, x.dtype))
        for k in jax.random.split(key, draws)
    ]


def gaussian_noise(
    model: Classifier,
    x: Array,
    y: Array,
    sigma: float,
    domain: InputDomain,
    *,
    draws: int = 8,
    key: Array | None = None,
) -> AttackResult:
    """x + N(0, σ²I) clipped into the data segment, ``draws`` times per example; the result
    holds the worst draw per example (``accuracy`` is then the accuracy under the worst of
    ``draws`` draws). Use `noise_accuracy` for the average accuracy."""
    best, best_loss = x, jnp.full(x.shape[:1], -jnp.inf, x.dtype)
    for z in _noisy_copies(x, sigma, domain, draws, key):
        loss = jax.vmap(lambda a, b: margin_loss(model, a, b))(z, y)
        best, best_loss = _keep_worse(best, best_loss, z, loss)
    return AttackResult(best, best_loss, best_loss > 0)


def noise_accuracy(
    model: Classifier,
    x: Array,
    y: Array,
    sigma: float,
    domain: InputDomain,
    *,
    draws: int = 8,
    key: Array | None = None,
) -> float:
    """Mean accuracy over ``draws`` Gaussian perturbations N(0, σ²I) of every example, clipped
    into the data segment."""
    labels = np.asarray(y)
    hits = [
        np.count_nonzero(np.asarray(jax.vmap(model)(z).argmax(-1)) == labels)
        for z in _noisy_copies(x, sigma, domain, draws, key)
    ]
    return sum(hits) / (draws * labels.size)
