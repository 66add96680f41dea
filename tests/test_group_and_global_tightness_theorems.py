"""Issue 13, results 2 and 5: the per-input-group dual-θ bound (the Lipschitz star of Gupta et al.
2022) against its formula, against ascent restricted to the group and against the full bound;
the tightness of the global-domain bracket against bregmalib.lipschitz; chains of inequalities
in the exported statements."""

import itertools
import types

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp

from bregmalib import legendre
from bregmalib.lipschitz import _dual_theorems as D
from bregmalib.lipschitz import _theorems as T
from bregmalib.lipschitz import _tightness_theorems as TT
from bregmalib.lipschitz import lipschitz_star, lower_bounds, make_box
from bregmalib.lipschitz._domain import propagate_intervals
from bregmalib.lipschitz._upper import _segments, dual_theta, layer_product
from bregmalib.nn import functional as F
from bregmalib.nn import network_from_arrays
from bregmalib.symbolic._latex import math_
from bregmalib.symbolic._result import is_matrix_statement

# ----- per input group


def test_group_restriction_is_an_identity_of_non_commutative_symbols():
    assert D.group_restriction_route()
    assert is_matrix_statement(D.GROUP_RUN)
    wrong = sp.Eq(D.GROUP_RUN.lhs, D.P_G * T.run_statement(T.M).rhs)
    assert not T._zero(wrong.lhs - wrong.rhs), "P_g acts on the right, not the left"


def _one_layer(mixing: bool):
    rng = np.random.default_rng(3)
    n_in, n_out = (4, 3) if mixing else (3, 3)
    weight = rng.normal(size=(n_out, n_in))
    logits = rng.normal(size=(n_out, n_in))
    v = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True) if mixing else None
    with jax.enable_x64(True):
        return network_from_arrays(
            [weight],
            [rng.normal(size=n_out) * 0.3],
            legendre.get("tanh"),
            "bregman",
            mixings=[v],
            dtype=jnp.float64,
        )


@pytest.mark.parametrize("mixing", [False, True])
def test_group_bound_of_one_layer_is_the_theorems_formula(mixing):
    """Depth 1: v_g ρ̄^(g) + θ^(g)_1 with θ^(g)_1 = ‖diag(M) W P_g‖ + max R ‖W P_g‖ (slopes
    D = M + R E), v_g = 1 and ρ̄^(g) = max over g of ρ̄ for V = I, v_g = ‖V P_g‖ and ρ̄^(g) =
    max ρ̄ otherwise: the library's value with ``columns`` against the formula written out."""
    net = _one_layer(mixing)
    box = make_box(net, (-0.6, 0.7))
    layers = propagate_intervals(net, box)
    rho = _segments(net, layers, box)[0][0].ratios[-1]
    low, high = layers[0].slope
    mid, rad = (low + high) / 2, (high - low) / 2
    weight = np.asarray(net.weights[0])
    for group in ((0,), (1, 2)):
        mask = D.group_mask(net, group)
        restricted = weight * mask[None, :]
        theta = np.linalg.norm(mid[:, None] * restricted, 2) + rad.max() * np.linalg.norm(
            restricted, 2
        )
        if mixing:
            skip = np.linalg.norm(np.asarray(net.mixings[0]) * mask[None, :], 2) * rho.max()
        else:
            skip = rho[list(group)].max()
        library = dual_theta(net, box, mask).value
        assert library == pytest.approx(skip + theta, rel=1e-12)
        assert library < dual_theta(net, box).value


@pytest.mark.parametrize("index", range(len(T.NETWORKS)))
def test_group_bound_holds_above_ascent_restricted_to_the_group(index):
    net = T.test_network(index)
    lo, hi = T._input_box(index)
    with jax.enable_x64(True):
        primal = np.asarray(net.pair.sigma(jnp.asarray([lo[0], hi[0]])))
    box = make_box(net, (primal[0], primal[1]))
    groups = D.GROUPS[index]
    star = lipschitz_star(net, [list(g) for g in groups], box, restarts=4, steps=40)
    full = dual_theta(net, box).value
    points = np.random.default_rng(index).uniform(lo, hi, size=(64, len(lo)))
    for g, group in enumerate(groups):
        mask = D.group_mask(net, group)
        bound = D.group_bound(index, group)
        assert bound == dual_theta(net, box, mask).value
        assert bound <= full
        ascent = max(
            b.value for b in lower_bounds(net, box, restarts=4, steps=40, columns=mask).values()
        )
        assert 0 < ascent <= bound
        assert star.lower[g] <= star.upper[g] <= bound
        with jax.enable_x64(True):
            columns = jnp.asarray(mask)
            norms = jax.vmap(
                lambda t: jnp.linalg.norm(F.network_jacobian(net, t, columns=columns), 2)  # noqa: B023
            )(jnp.asarray(points))
        assert float(jnp.max(norms)) <= bound


def test_group_claim_is_proved():
    result = D.group_claim().check()
    assert result.status == "proved"
    assert len(result.numeric) == sum(len(g) for g in D.GROUPS)


# ----- tightness of the global bracket


def test_global_tightness_pairs_and_rates():
    pairs = [p for p in map(legendre.get, legendre.names()) if TT.exponential_tails(p)]
    assert [p.name for p in pairs] == ["sigmoid", "tanh", "scaled_tanh"]
    assert TT.vertex_rate(legendre.get("tanh")) == 2
    assert TT.vertex_rate(legendre.get("sigmoid")) == 1
    assert not TT.exponential_tails(legendre.get("atan"))


def test_global_tightness_route_needs_the_proved_bracket():
    pairs = [legendre.get(n) for n in ("sigmoid", "tanh")]
    proved = TT._global_route(pairs, types.SimpleNamespace(status="proved"))
    assert proved.verdict == "proved"
    unproved = TT._global_route(pairs, types.SimpleNamespace(status="checked"))
    assert unproved.verdict == "inconclusive"
    atan = TT._global_route([legendre.get("atan")], types.SimpleNamespace(status="proved"))
    assert atan.verdict == "inconclusive", "polynomial tails: R_sigma is not an exponential"


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "scaled_tanh"])
@pytest.mark.parametrize("w", [-0.5, -3.0])
def test_global_bracket_of_the_library_is_the_factor_times_the_vertex_limit(name, w):
    """bregmalib.lipschitz's layer-product bound on I is (1 + L|w|e^(−c|w|)) e^(c|w|), and its
    lower bounds (corner search) reach e^(c|w|) from below."""
    pair = legendre.get(name)
    limit = float(sp.exp(TT.vertex_rate(pair) * abs(w)))
    with jax.enable_x64(True):
        net = network_from_arrays([[[w]]], [[0.0]], pair, "bregman", dtype=jnp.float64)
        upper = layer_product(net, make_box(net, None)).value
        lower = max(b.value for b in lower_bounds(net, None, restarts=4, steps=40).values())
    assert upper == pytest.approx(TT.global_factor(pair, w) * limit, rel=1e-12)
    assert lower <= upper
    assert lower == pytest.approx(limit, rel=1e-9)


def test_global_factor_tends_to_one():
    for name in ("sigmoid", "tanh", "scaled_tanh"):
        pair = legendre.get(name)
        factors = [TT.global_factor(pair, w) for w in (-2.0, -4.0, -8.0, -16.0)]
        assert all(a > b > 1 for a, b in itertools.pairwise(factors))
        assert factors[-1] < 1 + 1e-6


# ----- typesetting of chains


def test_chains_of_inequalities_are_typeset_as_chains():
    a, b, c = sp.symbols("a b c")
    assert math_(sp.And(sp.Le(b, c), sp.Le(a, b))) == r"a \leq b \leq c"
    assert math_(sp.And(sp.Lt(a, b), sp.Le(b, c))) == r"a < b \leq c"
    assert r"\wedge" in math_(sp.And(sp.Le(a, b), sp.Le(a, c)))
    statement = math_(TT.GLOBAL_STATEMENT)
    assert statement.index(r"\leq") < statement.index(r"\operatorname{Lip}")


# ----- the global bracket for polynomial tails


def test_polynomial_tails_pairs_and_lower_families():
    pairs = [p for p in map(legendre.get, legendre.names()) if TT.polynomial_tails(p)]
    assert [p.name for p in pairs] == ["atan", "isru"]
    a = TT.A_P
    assert sp.expand(TT.zero_lower(legendre.get("isru")) - (a**3 - a)) == 0
    atan = (sp.pi * a / 2 - 4 / sp.pi) ** 2 + 1 - a
    assert sp.simplify(TT.zero_lower(legendre.get("atan")) - atan) == 0


def test_polynomial_tails_route_needs_the_proved_bracket():
    pairs = [legendre.get(n) for n in ("atan", "isru")]
    proved = TT._poly_route(pairs, types.SimpleNamespace(status="proved"))
    assert proved.verdict == "proved", proved.detail
    unproved = TT._poly_route(pairs, types.SimpleNamespace(status="checked"))
    assert unproved.verdict == "inconclusive"


@pytest.mark.parametrize("name", ["atan", "isru"])
@pytest.mark.parametrize("w", [-2.0, -6.0])
def test_zero_of_the_layer_carries_the_lower_family(name, w):
    """u_w solves u = |w|σ(u); T_w′ there is 1/σ′(u_w) − |w| ≥ ℓ_σ(|w|); the library's
    layer-product bound on I is U_σ(|w|), within the ratio of the table of ℓ_σ."""
    pair = legendre.get(name)
    lower, bound = TT._poly_functions(pair)
    with jax.enable_x64(True):
        a = jnp.asarray(abs(w))
        u = TT._zero(pair, a)
        assert float(jnp.abs(a * pair.sigma(u) - u)) < 1e-12 and float(u) > 0
        layer = TT._global_layer(pair, jnp.asarray([w]))
        slope = float(F.jacobian_at_dual(layer, u.reshape(1))[0, 0])
        assert slope == pytest.approx(float(1 / pair.derivative(u)) - abs(w), rel=1e-12)
        assert float(lower(a)) <= slope * (1 + 1e-12)
        if name == "isru":
            assert float(u) == pytest.approx(np.sqrt(w * w - 1), rel=1e-12)
            assert float(lower(a)) == pytest.approx(slope, rel=1e-12)
        net = network_from_arrays([[[w]]], [[0.0]], pair, "bregman", dtype=jnp.float64)
        upper = layer_product(net, make_box(net, None)).value
    assert upper == pytest.approx(float(bound(a)), rel=1e-12)
    assert upper / float(lower(a)) == pytest.approx(TT.poly_ratio(pair, w), rel=1e-12)


def test_polynomial_ratio_tends_to_one():
    for name in ("atan", "isru"):
        pair = legendre.get(name)
        ratios = [TT.poly_ratio(pair, w) for w in (-2.0, -4.0, -16.0, -256.0)]
        assert all(a > b > 1 for a, b in itertools.pairwise(ratios))
        assert ratios[-1] < 1.05


def test_a_chain_with_a_further_relation_is_typeset_chain_first():
    a, b, c, d = sp.symbols("a b c d")
    assert math_(sp.And(sp.Eq(d, 1), sp.Le(b, c), sp.Le(a, b))) == r"a \leq b \leq c \wedge d = 1"
    assert math_(sp.And(sp.Eq(d, 1), sp.Le(a, b))) == sp.latex(sp.And(sp.Eq(d, 1), sp.Le(a, b)))
    statement = math_(TT.POLY_STATEMENT)
    assert (
        statement.index(r"\ell") < statement.index(r"\operatorname{Lip}") < statement.index(r"\lim")
    )


def test_symbol_names_written_in_latex_are_set_verbatim():
    """SymPy splits a name at its first _ or ^ (|u_k - u^*| came out as |u^{*|}_{k - u});
    a name written in LaTeX is kept, a plain one still converted."""
    q, k = sp.symbols("q k")
    rate = sp.Le(sp.Symbol(r"|u_k - u^*|"), q**k * sp.Symbol(r"|u_0 - u^*|"))
    assert math_(rate) == r"|u_k - u^*| \leq q^{k} |u_0 - u^*|"
    assert math_(sp.Symbol(r"\kappa_\pm") + 1) == r"\kappa_\pm + 1"
    assert math_(sp.Symbol("theta_2")) == r"\theta_{2}"
