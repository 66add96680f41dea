"""The results of issue 13 on the global domain, the comparison of layer bounds and dual
coordinates: their symbolic routes, the per-pair table of the global domain against the numbers
of bregmalib.lipschitz, the comparison's crossing for scaled_tanh, the conjugacy σ ∘ R ∘ σ⁻¹
against autodiff and the dual-θ bound against ‖J(x)‖ on random networks."""

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp

from bregmalib import legendre
from bregmalib.legendre import U
from bregmalib.lipschitz import _comparison_theorems as C
from bregmalib.lipschitz import _dual_theorems as D
from bregmalib.lipschitz import _global_theorems as G
from bregmalib.lipschitz import _theorems as T
from bregmalib.lipschitz._domain import make_box
from bregmalib.lipschitz._lower import FAR
from bregmalib.lipschitz._upper import dual_theta, layer_product
from bregmalib.nn import functional as F
from bregmalib.nn import network_from_arrays
from bregmalib.symbolic import DELTA

TABLE = Path(__file__).resolve().parents[1] / "derivations" / G.TABLE_JSON


def test_tanh_example_of_the_issue_bound_e4_plus_2_and_limit_e4():
    tanh = legendre.get("tanh")
    assert (G.tail_rate(tanh, "+"), G.tail_rate(tanh, "-")) == (-2, 2)
    row = G.global_row(tanh, sp.exp(2 * DELTA))
    assert sp.simplify(row.bound - (sp.exp(4) + 2)) == 0
    assert sp.simplify(row.limit - sp.exp(4)) == 0
    assert row.verdict == "finite"


def test_sin_slope_quotient_identity_is_unbounded_at_the_end_of_its_dual_domain():
    quotient, identity = G.restricted_ratio_identity()
    assert sp.simplify(quotient - identity) == 0
    assert sp.limit(identity.subs(G.DELTA_I, -2), U, sp.pi / 2, "-") == sp.oo


def _example_net(name: str):
    return network_from_arrays(
        [[[-2.0]]], [[0.0]], legendre.get(name), "bregman", dtype=jnp.float64
    )


def _corner_value(name: str) -> float:
    """‖J‖ of the 1-D example at the ends of the coordinate box that the corner search uses."""
    pair = legendre.get(name)
    net = _example_net(name)
    ends = [pair.dual_upper if np.isfinite(pair.dual_upper) else FAR]
    ends.append(pair.dual_lower if np.isfinite(pair.dual_lower) else -FAR)
    with jax.enable_x64(True):
        values = [abs(float(F.network_jacobian(net, jnp.full(1, t))[0, 0])) for t in ends]
    return max(values)


@pytest.mark.parametrize("name", legendre.names())
def test_global_table_matches_the_library(name):
    """The committed table (derivations/global-domain-table.json, written by `bregmalib
    derive`) against bregmalib.lipschitz: its bound is the ``layer-product`` bound on the natural
    domain and its limit what the corner search evaluates at t = ±FAR (to O(|δ|/FAR) for the
    polynomial tails of atan and isru)."""
    row = json.loads(TABLE.read_text())[name]
    with jax.enable_x64(True):
        net = _example_net(name)
        upper = layer_product(net, make_box(net, None)).value
    corner = _corner_value(name)
    if row["bound"] == "inf":
        assert upper == np.inf
    else:
        assert upper == pytest.approx(row["bound"], rel=1e-12)
    if row["limit"] == "inf":
        assert corner > 1e12, "sin: the quotient blows up at the end of the dual domain"
    elif row["limit"] is not None:
        polynomial = row["limit"] == 1.0  # κ = 0: atan, isru (the limit e^0)
        assert corner == pytest.approx(row["limit"], rel=1e-2 if polynomial else 1e-12)
        assert row["limit"] <= row["bound"]


def test_comparison_routes_and_violations():
    residual = C._sign_route((C.BREGMAN - C.RESIDUAL, C.R_MAX * C.RESIDUAL - C.BREGMAN), "")
    euclidean = C._sign_route((C.BREGMAN - C.EUCLIDEAN - (C.R_MAX - C.LIP),), "")
    assert residual.verdict == euclidean.verdict == "proved"
    wrong = C._sign_route((C.RESIDUAL - C.BREGMAN,), "")
    assert wrong.verdict == "inconclusive", "the residual bound is not above the Bregman one"
    rng = np.random.default_rng(0)
    with jax.enable_x64(True):
        for _ in range(200):
            z = np.array([rng.uniform(1, 60), rng.uniform(0, 20), rng.uniform(0.01, 3)])
            assert float(C._residual_violation(jnp.asarray(z))) <= 1e-12
            share = np.append(z, rng.uniform(0, 1))
            assert float(C._euclidean_violation(jnp.asarray(share))) <= 1e-12


def test_bregman_bound_is_below_the_euclidean_one_only_when_r_is_below_l_sigma():
    with jax.enable_x64(True):
        assert C.upper_bound("scaled_tanh", "bregman", 0.03) < C.upper_bound(
            "scaled_tanh", "euclidean", 0.03
        )
        assert C.upper_bound("scaled_tanh", "bregman", 0.1) > C.upper_bound(
            "scaled_tanh", "euclidean", 0.1
        )
        for eps in (0.03, 2.0):
            assert C.upper_bound("tanh", "bregman", eps) >= C.upper_bound("tanh", "euclidean", eps)
            assert C.measured("tanh", "bregman", eps) <= C.upper_bound("tanh", "bregman", eps)


def test_dual_conjugacy_is_proved_on_its_statement_and_matches_autodiff():
    outcome = D.conjugacy_route()
    assert outcome.verdict == "proved" and outcome.checked == D.CONJUGACY
    assert D.theta_unrolling_route((1, 2))
    lo, hi = T._input_box(D.CONJUGACY_NETWORK)
    points = np.random.default_rng(1).uniform(lo, hi, size=(32, len(lo)))
    with jax.enable_x64(True):
        errors = jax.vmap(D._conjugacy_error(D.CONJUGACY_NETWORK))(jnp.asarray(points))
    assert float(jnp.max(errors)) < 1e-12


@pytest.mark.parametrize("index", range(len(T.NETWORKS)))
def test_dual_theta_bound_holds_on_the_test_networks(index):
    net = T.test_network(index)
    lo, hi = T._input_box(index)
    points = np.random.default_rng(index).uniform(lo, hi, size=(64, len(lo)))
    with jax.enable_x64(True):
        primal = np.asarray(net.pair.sigma(jnp.asarray([lo[0], hi[0]])))
        bound = dual_theta(net, make_box(net, (primal[0], primal[1]))).value
        norms = jax.vmap(lambda t: jnp.linalg.norm(F.network_jacobian(net, t), 2))(
            jnp.asarray(points)
        )
    assert 0 < float(jnp.max(norms)) <= bound
