"""The inversion theorems (bregmalib.invert._inverse_theorems) against the library: the inverse's
Lipschitz bound from the margin of certificate (b), the fixed-point rate of solve_dual, damped
Newton under (c) only, the log-determinant of a network; and the tightness family of
bregmalib.lipschitz._tightness_theorems against the library's telescoping bound."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bregmalib import legendre
from bregmalib.invert import _inverse_theorems as V
from bregmalib.invert import certify_invertibility, log_abs_det, solve_dual
from bregmalib.nn import Layer, Network
from bregmalib.nn import functional as F

TANH = legendre.get("tanh")


def _one_pair(claim, count: int = 1):
    """The claim with its first ``count`` numeric searches only (one pair), for speed."""
    return dataclasses.replace(claim, numeric=claim.numeric[:count])


@pytest.mark.parametrize("builder", [V._fixed_point_claim, V._newton_claim])
def test_solver_theorems_are_proved(builder) -> None:
    result = _one_pair(builder()).check()
    assert result.status == "proved", result.symbolic.detail
    assert "for the 8 pairs" in result.symbolic.detail or "zero" in result.symbolic.detail


def test_log_determinant_and_network_routes_prove_the_determinant_identities() -> None:
    assert V._determinant_route(3).verdict == "proved"
    assert V._network_route().verdict == "proved"


def test_inverse_lipschitz_bound_uses_the_margin_of_certificate_b() -> None:
    with jax.enable_x64(True):
        entries = jnp.asarray([0.8, -0.3, 0.5, 1.1, 0.7])
        weight = V._monotone_weight(TANH, entries)
        layer = Layer(weight, jnp.asarray([0.1, -0.2]), None, TANH, "bregman")
        margin = float(V._margin(TANH, weight))
        assert certify_invertibility(layer)["monotone"].margin == pytest.approx(margin, rel=1e-12)
        rng = np.random.default_rng(0)
        xs = jnp.asarray(rng.uniform(-0.9, 0.9, size=(400, 2)))
        ys = jax.vmap(lambda x: F.forward(layer, x))(xs)
        lo, hi = jnp.min(ys, axis=0), jnp.max(ys, axis=0)
        slope = float(jnp.max(1.0 / (1.0 - jnp.maximum(lo**2, hi**2))))  # max (tanh⁻¹)′ on B
        upper = slope / margin
        dx = jnp.linalg.norm(xs[:, None] - xs[None], axis=-1)
        dy = jnp.linalg.norm(ys[:, None] - ys[None], axis=-1)
        quotient = float(jnp.max(jnp.where(dy > 0, dx / jnp.where(dy > 0, dy, 1.0), 0.0)))
        lower = float(
            jnp.max(
                jax.vmap(
                    lambda x: 1.0 / jnp.linalg.svd(F.jacobian(layer, x), compute_uv=False)[-1]
                )(xs)
            )
        )
    assert quotient <= upper and lower <= upper
    assert lower > 1.0


def test_fixed_point_solver_error_contracts_by_the_rate() -> None:
    with jax.enable_x64(True):
        weight = jnp.asarray([[0.3, -0.4], [0.2, 0.25]])
        layer = Layer(weight, jnp.asarray([0.1, 0.3]), None, TANH, "bregman")
        rate = float(TANH.lipschitz * jnp.linalg.norm(weight, ord=2))
        v = jnp.asarray([0.7, -1.2])
        exact = solve_dual(layer, v, method="newton", tol=1e-14).dual
        start = v - layer.bias
        for k in (1, 3, 6):
            u = solve_dual(layer, v, method="fixed_point", max_iter=k, tol=1e-300, throw=False)
            assert int(u.iterations) == k
            error = float(jnp.linalg.norm(u.dual - exact))
            assert error <= rate**k * float(jnp.linalg.norm(start - exact)) * (1 + 1e-9)
    assert rate < 1


def test_newton_inverts_a_layer_that_only_the_vertex_condition_certifies() -> None:
    with jax.enable_x64(True):
        weight = jnp.asarray([[0.0, 3.0], [0.0, 0.0]])
        layer = Layer(weight, jnp.zeros(2), None, TANH, "bregman")
        certificates = certify_invertibility(layer)
        assert certificates["vertex"].holds and not certificates["monotone"].holds
        u = jnp.asarray([1.5, -2.0])
        result = solve_dual(layer, F.dual_forward(layer, u))
        assert np.allclose(result.dual, u, atol=1e-9)


def test_network_log_determinant_of_the_library_is_the_sum_over_layers() -> None:
    with jax.enable_x64(True):
        layers = tuple(
            Layer(V._monotone_weight(TANH, jnp.asarray(e)), jnp.asarray(b), None, TANH, "bregman")
            for e, b in (
                ([0.5, 0.2, -0.3, 0.9, 0.4], [0.1, 0.0]),
                ([1.0, -0.5, 0.3, 0.2, -0.8], [0.0, -0.2]),
                ([0.2, 0.7, -0.6, 0.1, 0.3], [0.3, 0.1]),
            )
        )
        net = Network(layers, jnp.eye(2), jnp.zeros(2))
        x = jnp.asarray([0.3, -0.6])

        def run(t):
            for layer in layers:
                t = F.forward(layer, t)
            return t

        sign, reference = jnp.linalg.slogdet(jax.jacfwd(run)(x))
        assert float(sign) == 1.0
        assert float(log_abs_det(net, x)) == pytest.approx(float(reference), abs=1e-10)


def test_tightness_family_brackets_the_library_bound_for_tanh() -> None:
    from bregmalib.lipschitz import _tightness_theorems as T

    assert T.centre(legendre.get("softplus")) is None
    assert T.centre(TANH) == 0
    row = T.tightness_row(TANH)
    assert row.lower == pytest.approx(8.0)  # Π(1 + L w_k) with w = (1, 1, 1), L = 1
    assert row.lower <= row.library <= row.product <= row.factor * row.lower * (1 + 1e-12)
    assert T._route([TANH]).verdict == "proved"


def test_softplus_is_searched_in_scaled_dual_coordinates() -> None:
    """Softplus at β = 1000 is searched on βu ∈ [−4, 4]; there its violations are those of β = 1
    on u ∈ [−4, 4] (σ_β(u) = σ_1(βu)/β), and every value is finite."""
    sharp, unit = legendre.get("softplus"), legendre.get("softplus", beta=1.0)
    assert sharp.name in V.SEARCHED
    assert V._dual_unit(sharp) == pytest.approx(1e-3) and V._dual_unit(TANH) == 1.0
    assert V._dual_box(sharp, 2) == ((-0.004, -0.004), (0.004, 0.004))
    assert V._dual_box(TANH, 1, 0.5) == ((-2.0,), (2.0,))
    assert "\\beta u_i \\in [-2, 2]" in V._where(sharp, 0.5) and V._where(TANH) == ""
    rng = np.random.default_rng(1)
    with jax.enable_x64(True):
        for _ in range(20):
            w = jnp.asarray(rng.uniform(-2.0, 2.0, 4))
            uv = jnp.asarray(rng.uniform(-4.0, 4.0, 4))
            scaled = V._fixed_point_violation(sharp)(jnp.concatenate([w, uv * 1e-3]))
            plain = V._fixed_point_violation(unit)(jnp.concatenate([w, uv]))
            assert np.isfinite(float(scaled))
            assert float(scaled) == pytest.approx(float(plain), abs=1e-9)
            z = jnp.concatenate([jnp.asarray(rng.uniform(-1.0, 1.0, 5)), uv[:2] * 5e-4])
            assert float(V._log_det_violation(sharp)(z)) < 1e-8
