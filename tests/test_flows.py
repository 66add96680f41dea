"""The invertible Bregman flow and the i-ResNet flow of bregmalib.flows (float64)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bregmalib import flows
from bregmalib import invert as inv
from bregmalib.data import sample_density
from bregmalib.nn import functional as F


@pytest.fixture(scope="module")
def moons() -> np.ndarray:
    return sample_density("two_moons", 2000, seed=0)


@pytest.fixture(scope="module")
def trained(moons: np.ndarray) -> dict[str, object]:
    bregman = flows.make_bregman_flow(6, key=jax.random.key(0), data=moons, init_scale=0.5)
    residual = flows.make_residual_flow(2, 8, key=jax.random.key(1), data=moons)
    return {
        "bregman": flows.fit_flow(bregman, moons, steps=40, learning_rate=3e-2, progress=False),
        "residual": flows.fit_flow(residual, moons, steps=40, learning_rate=3e-2, progress=False),
    }


@pytest.mark.parametrize("kind", ["bregman", "residual"])
def test_log_det_matches_autodiff_and_round_trip(kind: str, trained, moons) -> None:
    flow = trained[kind].flow
    x = jnp.asarray(moons[:4])

    @jax.jit
    def check(flow, x):
        z, logdet = jax.vmap(flow.forward)(x)
        jac = jax.vmap(jax.jacfwd(lambda x: flow.forward(x)[0]))(x)
        return logdet, jnp.linalg.slogdet(jac)[1], jax.vmap(flow.inverse)(z)

    logdet, expected, back = check(flow, x)
    assert np.abs(np.asarray(logdet - expected)).max() <= 1e-9
    assert bool(back.converged.all())
    assert float(jnp.max(jnp.abs(back.x - x))) <= 1e-9


@pytest.mark.parametrize("kind", ["bregman", "residual"])
def test_training_lowers_the_loss_and_density_integrates_to_one(kind: str, trained) -> None:
    fit = trained[kind]
    assert fit.losses[-1] < fit.losses[0]
    xs, ys, density = flows.density_grid(fit.flow, (-5.0, 6.0, -5.0, 5.0), resolution=160)
    mass = density.sum() * (xs[1] - xs[0]) * (ys[1] - ys[0])
    assert mass == pytest.approx(1.0, abs=0.05)


def test_trained_layers_are_the_certified_monotone_layers(trained, moons) -> None:
    """After training, the flow's `network()` is the map the flow runs (its dual trace from the
    affine input gives f(x)), and its certificates agree with numpy on the trained W_k: monotone
    margin 1/L + λ_min(sym W_k) ≥ m, vertex margin min(1, W₁₁ + 1, W₂₂ + 1, det(I + LW))."""
    flow = trained["bregman"].flow
    net = flow.network()
    x = jnp.asarray(moons[:4])
    u = (x - flow.shift) * jnp.exp(flow.log_scale)
    through_network = jax.vmap(lambda u: F.forward_trace(net, u)[-1][1])(u)
    assert np.abs(np.asarray(through_network - jax.vmap(flow.forward)(x)[0])).max() <= 1e-12
    report = inv.certify_invertibility(net, conditions=("monotone", "vertex"))
    lipschitz = flow.pair.lipschitz
    for entry, weight in zip(report, np.asarray(flow.weights()), strict=True):
        monotone = 1.0 / lipschitz + np.linalg.eigvalsh(0.5 * (weight + weight.T))[0]
        m = np.eye(2) + lipschitz * weight
        vertex = min(1.0, m[0, 0], m[1, 1], np.linalg.det(m))
        certs = entry["certificates"]
        assert monotone >= flow.margin - 1e-9
        assert certs["monotone"].margin == pytest.approx(monotone, rel=1e-9)
        assert certs["vertex"].margin == pytest.approx(vertex, rel=1e-9)
        assert certs["monotone"].holds and certs["vertex"].holds


def test_sizes_match_and_bad_input() -> None:
    n_layers = flows.bregman_layers_matching(4, 32)
    assert n_layers == 65
    bregman = flows.make_bregman_flow(n_layers, key=jax.random.key(0))
    residual = flows.make_residual_flow(4, 32, key=jax.random.key(0))
    ratio = flows.parameter_count(bregman) / flows.parameter_count(residual)
    assert 0.97 < ratio < 1.03
    with pytest.raises(ValueError, match="n_layers"):
        flows.make_bregman_flow(0, key=jax.random.key(0))
    with pytest.raises(ValueError, match="coefficient"):
        flows.make_residual_flow(2, 4, key=jax.random.key(0), coefficient=1.5)
    with pytest.raises(ValueError, match="shape"):
        flows.make_bregman_flow(2, key=jax.random.key(0), data=np.zeros((5, 3)))
