"""Attacks stay in the allowed input set, PGD finds the exact optimum on linear models and is
never weaker than FGSM, certified radii are sound (and exact in the limit on one neuron), and
no certified point is broken by PGD within its certified radius."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bregmalib.nn import make_mlp
from bregmalib.robust import (
    InputDomain,
    certified_accuracy,
    certify,
    distance,
    fgsm,
    gaussian_noise,
    noise_accuracy,
    pgd,
    project,
)

DOMAIN = InputDomain(0.05, 0.95)


def _toy(version: str, activation: str = "sigmoid", seed: int = 0, scale: float = 4.0):
    """A 4-6-6-3 MLP with weights scaled up so that its decisions vary over the domain."""
    model = make_mlp(activation, (4, 6, 6), 3, version, key=jax.random.key(seed), dtype=jnp.float64)
    weights = tuple(3.0 * layer.weight for layer in model.hidden)
    model = eqx.tree_at(lambda m: tuple(layer.weight for layer in m.hidden), model, weights)
    model = eqx.tree_at(lambda m: m.head_bias, model, jnp.zeros_like(model.head_bias))
    return eqx.tree_at(lambda m: m.head_weight, model, scale * model.head_weight)


def _predict(model, x: jax.Array) -> np.ndarray:
    return np.asarray(jax.vmap(model)(x)).argmax(axis=1)


def _margin_loss(model, x: jax.Array, y: jax.Array) -> np.ndarray:
    """max_{j≠y} f_j(x) − f_y(x), computed in NumPy from the logits."""
    logits = np.asarray(jax.vmap(model)(x))
    rows = np.arange(len(logits))
    own = logits[rows, np.asarray(y)]
    others = logits.copy()
    others[rows, np.asarray(y)] = -np.inf
    return others.max(axis=1) - own


def _points(seed: int, n: int = 24, dim: int = 4) -> tuple[jax.Array, jax.Array]:
    rng = np.random.default_rng(seed)
    return jnp.asarray(rng.uniform(0.1, 0.9, (n, dim))), jnp.asarray(rng.integers(0, 3, n))


@pytest.mark.parametrize(("version", "norm"), [("standard", "linf"), ("bregman", "l2")])
def test_attacks_stay_in_the_allowed_set(version: str, norm: str) -> None:
    model = _toy(version)
    x, y = _points(1)
    eps = 0.3
    for result in (
        fgsm(model, x, y, eps, DOMAIN, norm=norm),
        pgd(model, x, y, eps, DOMAIN, norm=norm, steps=5, restarts=1),
    ):
        assert bool(jnp.all(DOMAIN.contains(result.x)))
        assert bool(jnp.all(distance(result.x, x, norm) <= eps * (1 + 1e-12)))
        np.testing.assert_allclose(result.loss, _margin_loss(model, result.x, y), rtol=1e-12)
        np.testing.assert_array_equal(result.broken, _predict(model, result.x) != np.asarray(y))
    noisy = gaussian_noise(model, x, y, 1.0, DOMAIN, draws=3)
    assert bool(jnp.all(DOMAIN.contains(noisy.x)))
    np.testing.assert_allclose(noisy.loss, _margin_loss(model, noisy.x, y), rtol=1e-12)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), norm=st.sampled_from(["linf", "l2"]))
def test_projection_lands_in_ball_and_box(seed: int, norm: str) -> None:
    rng = np.random.default_rng(seed)
    center = jnp.asarray(rng.uniform(0.05, 0.95, (5, 7)))
    far = jnp.asarray(rng.normal(0.0, 3.0, (5, 7)))
    eps = float(rng.uniform(0.01, 1.0))
    z = project(far, center, eps, norm, DOMAIN)
    assert bool(jnp.all(DOMAIN.contains(z)))
    assert bool(jnp.all(distance(z, center, norm) <= eps * (1 + 1e-12)))


@pytest.mark.parametrize("norm", ["linf", "l2"])
def test_pgd_reaches_the_exact_optimum_of_a_linear_model(norm: str) -> None:
    """For f(x) = Ax + c on a domain that does not bind, max over ‖δ‖ ≤ ε of f_j − f_y is
    (f_j − f_y)(x) + ε‖a_j − a_y‖_* (ℓ₁ dual of ℓ∞, ℓ₂ dual of ℓ₂), maximised over j ≠ y."""
    rng = np.random.default_rng(3)
    a, c = jnp.asarray(rng.normal(size=(3, 5))), jnp.asarray(rng.normal(size=3))
    wide = InputDomain(-100.0, 100.0)
    x, y = jnp.asarray(rng.normal(size=(10, 5))), jnp.asarray(rng.integers(0, 3, 10))
    eps, order = 0.2, (1 if norm == "linf" else 2)
    logits = x @ a.T + c
    gap = logits - logits[jnp.arange(10), y][:, None]
    dual = jnp.linalg.norm(a[None, :, :] - a[y][:, None, :], ord=order, axis=-1)
    optimum = jnp.max(jnp.where(jnp.arange(3) == y[:, None], -jnp.inf, gap + eps * dual), axis=1)
    result = pgd(
        lambda v: a @ v + c, x, y, eps, wide, norm=norm, steps=60, restarts=1, step_size=eps
    )
    np.testing.assert_allclose(result.loss, optimum, rtol=1e-6, atol=1e-6)


def _one_neuron(w: np.ndarray, b: float, h: float, c: tuple[float, float]):
    """A standard tanh MLP with one hidden unit s = wᵀx + b and head (h, −h), bias c."""
    model = make_mlp("tanh", (w.size, 1), 2, "standard", key=jax.random.key(0), dtype=jnp.float64)
    model = eqx.tree_at(lambda m: m.hidden[0].weight, model, jnp.asarray(w[None, :]))
    model = eqx.tree_at(lambda m: m.hidden[0].bias, model, jnp.asarray([b]))
    model = eqx.tree_at(lambda m: m.head_weight, model, jnp.asarray([[h], [-h]]))
    return eqx.tree_at(lambda m: m.head_bias, model, jnp.asarray(c))


def _farthest_along(x: np.ndarray, d: np.ndarray, eps: float, domain: InputDomain) -> np.ndarray:
    """argmax of dᵀz over the ℓ₂ ball of radius ε around x ∩ the box: z = clip(x + t·d) with the
    largest t keeping ‖z − x‖₂ ≤ ε (KKT), found by bisection on t."""

    def step(t: float) -> np.ndarray:
        return np.clip(x + t * d, domain.lower, domain.upper)

    low, high = 0.0, 1e3
    for _ in range(200):
        mid = (low + high) / 2
        low, high = (mid, high) if np.linalg.norm(step(mid) - x) <= eps else (low, mid)
    return step(low)


def test_pgd_finds_the_worst_point_of_one_neuron_where_the_box_binds() -> None:
    """f₀ − f₁ = 3·tanh(wᵀx + b) + 0.2 is monotone along w, so the worst ℓ₂ perturbation moves
        wᵀx as far as the ball ∩ box allow towards the other class (`_farthest_along`). Near the
        box's faces the FGSM point (ball step, then clipping) falls short of it; PGD, whose iterates
    are projected onto the ball and then the box (not exactly onto their intersection), must close
    90 % of that gap and never pass the optimum."""
    w = np.array([0.6, -0.3, 0.2, 0.5])
    model = _one_neuron(w, 0.05, 1.5, (0.1, -0.1))
    rng = np.random.default_rng(5)
    x = rng.uniform(DOMAIN.lower, DOMAIN.upper, (40, 4))
    x[:, 0] = np.where(x[:, 0] < 0.5, DOMAIN.lower + 0.02, DOMAIN.upper - 0.02)
    y = _predict(model, jnp.asarray(x))
    eps = 0.4
    worst = np.stack(
        [
            _farthest_along(row, w if label == 1 else -w, eps, DOMAIN)
            for row, label in zip(x, y, strict=True)
        ]
    )
    optimum = _margin_loss(model, jnp.asarray(worst), jnp.asarray(y))
    clean = _margin_loss(model, jnp.asarray(x), jnp.asarray(y))
    one = fgsm(model, jnp.asarray(x), jnp.asarray(y), eps, DOMAIN, norm="l2")
    found = pgd(model, jnp.asarray(x), jnp.asarray(y), eps, DOMAIN, norm="l2", steps=60)
    assert bool(jnp.all(DOMAIN.contains(found.x)))
    assert bool(jnp.all(distance(found.x, jnp.asarray(x), "l2") <= eps * (1 + 1e-12)))
    assert np.all(np.asarray(found.loss) > clean)
    shortfall, fgsm_shortfall = optimum - np.asarray(found.loss), optimum - np.asarray(one.loss)
    assert np.all(shortfall >= -1e-12)
    assert np.sum(fgsm_shortfall > 1e-2) >= 5
    assert np.all(shortfall <= 0.1 * fgsm_shortfall + 1e-9)


def test_noise_accuracy_counts_correct_predictions() -> None:
    """At σ = 0 both noise attacks return the clean accuracy, counted here from the logits; at
    σ > 0 the worst of the draws is never more accurate than their average."""
    model = _toy("bregman", scale=8.0)
    x, y = _points(6, n=40)
    clean = np.count_nonzero(_predict(model, x) == np.asarray(y)) / 40
    assert noise_accuracy(model, x, y, 0.0, DOMAIN, draws=2) == pytest.approx(clean, abs=1e-15)
    assert gaussian_noise(model, x, y, 0.0, DOMAIN, draws=2).accuracy == pytest.approx(clean)
    key = jax.random.key(3)
    mean = noise_accuracy(model, x, y, 0.3, DOMAIN, draws=6, key=key)
    worst = gaussian_noise(model, x, y, 0.3, DOMAIN, draws=6, key=key).accuracy
    assert worst <= mean < clean


def test_one_neuron_radius_is_sound_and_tight() -> None:
    """Two classes, one tanh neuron, head (h, −h): f₁ − f₀ = 2h·tanh(wᵀx + b) + Δc, so the
    exact ℓ₂ distance to the boundary is |wᵀx + b − t*|/‖w‖ with tanh(t*) = −Δc/(2h), and the
    certificate margin/(√2·Lip) = |tanh(s) − tanh(t*)|/‖w‖ (Lip = √2·|h|·‖w‖) tends to it
    as s → t*."""
    model = make_mlp("tanh", (3, 1), 2, "standard", key=jax.random.key(0), dtype=jnp.float64)
    w = jnp.asarray([[0.6, -0.3, 0.2]])
    model = eqx.tree_at(lambda m: m.hidden[0].weight, model, w)
    model = eqx.tree_at(lambda m: m.hidden[0].bias, model, jnp.asarray([0.05]))
    model = eqx.tree_at(lambda m: m.head_weight, model, jnp.asarray([[1.5], [-1.5]]))
    model = eqx.tree_at(lambda m: m.head_bias, model, jnp.asarray([0.1, -0.1]))
    domain = InputDomain(-0.99, 0.99)
    rng = np.random.default_rng(0)
    x = rng.uniform(-0.9, 0.9, (200, 3))
    s = x @ np.asarray(w[0]) + 0.05
    t_star = -np.arctanh(0.2 / 3.0)  # f₀ − f₁ = 3·tanh(s) + 0.2 vanishes at s = t*
    exact = np.abs(s - t_star) / np.linalg.norm(w)
    y = np.where(3.0 * np.tanh(s) + 0.2 > 0, 0, 1)
    cert = certify(model, x, y, domain)
    assert cert.global_lipschitz == pytest.approx(np.sqrt(2) * 1.5 * np.linalg.norm(w), rel=1e-9)
    assert np.all(cert.radius <= exact * (1 + 1e-9))
    near = np.abs(s - t_star) < 0.02
    assert near.any()
    assert np.all(cert.radius[near] >= 0.99 * exact[near])


@pytest.mark.parametrize("version", ["standard", "euclidean", "bregman"])
def test_certified_radii_lie_below_every_adversarial_distance(version: str) -> None:
    """No point is broken by PGD within its certified radius, the radius never exceeds the
    distance to an adversarial example found (ℓ₂, and ℓ∞ through ρ/√n), misclassified points get
    0, and certified accuracy counts correct points with radius ≥ r."""
    model = _toy(version, scale=8.0)
    x, _ = _points(4, n=24)
    predicted = _predict(model, x)
    y = predicted.copy()
    y[:5] = (y[:5] + 1) % 3
    y = jnp.asarray(y)
    cert = certify(model, x, y, DOMAIN, local_radius=0.05)
    np.testing.assert_array_equal(cert.correct, predicted == np.asarray(y))
    assert np.all(cert.radius[:5] == 0)
    assert np.all(cert.radius[cert.radius > cert.radius_global] <= 0.05)
    for r in np.quantile(cert.radius[5:], [0.25, 0.5, 0.75]):
        attack = pgd(model, x, y, float(r), DOMAIN, norm="l2", steps=20, restarts=2)
        certified = cert.radius >= r
        assert certified.any()
        assert not np.any(np.asarray(attack.broken)[5:] & certified[5:])
        hits = np.count_nonzero((predicted == np.asarray(y)) & certified)
        assert certified_accuracy(cert, float(r)) == pytest.approx(hits / 24, abs=1e-15)
    for norm, radius, eps in (("l2", cert.radius, 0.3), ("linf", cert.radius_linf, 0.15)):
        wide = pgd(model, x, y, eps, DOMAIN, norm=norm, steps=20, restarts=2)
        broken = np.array(wide.broken)
        broken[:5] = False
        assert broken.sum() >= 3  # the attack is not vacuous on this model
        found = np.asarray(distance(wide.x, x, norm))
        assert np.all(radius[broken] <= found[broken])
