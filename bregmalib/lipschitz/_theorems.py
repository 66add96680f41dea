"""The network-level results of the Lipschitz toolbox, stated, derived and checked twice.

1. ``network/telescoping``: the Jacobian of a Bregman network with V = I telescopes,
   J = Πₖ (DₖDₖ₋₁⁻¹ + DₖWₖ) = D_L Πₖ (I + WₖDₖ₋₁) D₀⁻¹, so every term of its expansion keeps a
   single slope ratio (Frecon et al., ICML 2022; the layer Jacobian DₖDₖ₋₁⁻¹ + DₖWₖ is
   `jacobian_claim` of `bregmalib.lipschitz._layer_theorems`).
2. ``<activation>/network_telescoping_bound``: the resulting bound T is never above the product
   of the single-layer bounds P = Πₖ (R_σ(Δₖ) + L_σ‖Wₖ‖), shown here for three layers.
3. ``standard/theta_nonnegative``: the claim "θ_m equals ‖W_m⋯W₁‖ for entrywise nonnegative
   weights" (Combettes and Pesquet 2020, as read for the LipLT recursion) is refuted; the vertex
   bound is the one that equals the product.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import sympy as sp
from jax import Array

import bregmalib.legendre as L
from bregmalib.nn import functional as F
from bregmalib.nn import network_from_arrays
from bregmalib.symbolic import (
    DELTA,
    Claim,
    Hypothesis,
    NumericCheck,
    Result,
    Step,
    SymbolicOutcome,
    disproved,
    inconclusive,
    proved,
    slope_ratio,
)

DEPTH = 3
BOUND_PAIRS = ("sigmoid", "tanh", "atan")


# ----- 1. the telescoping identity


def telescoping_claim() -> Claim:
    """The telescoping identity of the Bregman network Jacobian (unchecked `Claim`)."""
    n = sp.Symbol("n", integer=True, positive=True)
    eye = sp.Identity(n)
    d = [sp.MatrixSymbol(f"D_{k}", n, n) for k in range(DEPTH + 1)]
    w = [None, *(sp.MatrixSymbol(f"W_{k}", n, n) for k in range(1, DEPTH + 1))]
    product = sp.MatMul(*[d[k] * d[k - 1].inv() + d[k] * w[k] for k in range(DEPTH, 0, -1)])
    dual = sp.MatMul(d[DEPTH], *[eye + w[k] * d[k - 1] for k in range(DEPTH, 0, -1)], d[0].inv())
    step_lhs = d[2] * d[1].inv() + d[2] * w[2]
    step_rhs = d[2] * (eye + w[2] * d[1]) * d[1].inv()

    def symbolic() -> SymbolicOutcome:
        factor = sp.simplify((step_rhs - step_lhs).expand())
        whole = sp.simplify((dual.expand() - product.expand()).doit())
        if factor == sp.ZeroMatrix(n, n) and whole == sp.ZeroMatrix(n, n):
            return proved(
                "matrix-symbol algebra for any n",
                "each factor is D_k(I + W_k D_(k-1))D_(k-1)^(-1); inner D_(k-1)^(-1)D_(k-1) cancel",
            )
        return inconclusive("matrix-symbol algebra", "the expansion did not simplify to zero")

    return Claim(
        name="network/telescoping",
        title="Bregman network Jacobian: the slope ratios telescope",
        statement=sp.Eq(product, dual),
        hypotheses=(
            Hypothesis("a Bregman network with V = I: u_k = u_(k−1) + W_k σ(u_(k−1)) + b_k"),
            Hypothesis("D_k = diag σ′(u_k), positive (σ strictly increasing)"),
        ),
        steps=(
            Step(sp.Eq(step_lhs, step_rhs), "factor D_k on the left and D_(k−1)⁻¹ on the right"),
            Step(
                sp.Eq(product, dual),
                "in the product the inner factors D_(k−1)⁻¹ D_(k−1) cancel (induction on k)",
            ),
        ),
        symbolic=symbolic,
        numeric=NumericCheck(
            _telescoping_error,
            names=("u_1", "u_2"),
            lower=(-12.0, -12.0),
            upper=(12.0, 12.0),
            tolerance=1e-9,
            description="relative error of the telescoped product against the layer product "
            "for a fixed depth-3 width-2 tanh network, over the dual input",
        ),
        notes=(
            "Expanding D_L Π(I + W_k D_(k−1)) D_0⁻¹ by the first W-branch j gives "
            "J = D_L D_0⁻¹ + Σ_j D_L Π_(i>j)(I + W_i D_(i−1)) W_j D_(j−1) D_0⁻¹: "
            "one slope ratio D_(j−1) D_0⁻¹ per term.",
        ),
    )


_WEIGHTS = np.array(
    [[[0.9, -1.3], [0.4, 0.7]], [[-0.6, 1.1], [1.5, -0.2]], [[0.3, 0.8], [-1.2, 0.5]]]
)
_BIASES = np.array([[0.2, -0.4], [0.1, 0.3], [-0.5, 0.2]])


def _telescoping_error(z: Array) -> Array:
    pair = L.get("tanh")
    net = network_from_arrays(list(_WEIGHTS), list(_BIASES), pair, "bregman", dtype=z.dtype)
    log_d = [pair.log_derivative(v) for v in (z, *(p[1] for p in F.forward_trace(net, z)))]
    product = F.network_jacobian(net, z)
    telescoped = jnp.diag(jnp.exp(log_d[DEPTH] - log_d[0]))
    for j in range(1, DEPTH + 1):
        chain = jnp.diag(jnp.exp(log_d[DEPTH]))
        for i in range(DEPTH, j, -1):
            chain = chain @ (jnp.eye(2) + _WEIGHTS[i - 1] * jnp.exp(log_d[i - 1])[None, :])
        telescoped += chain @ (_WEIGHTS[j - 1] * jnp.exp(log_d[j - 1] - log_d[0])[None, :])
    return jnp.linalg.norm(product - telescoped) / jnp.linalg.norm(product)


# ----- 2. the telescoping bound is never above the product of layer bounds


def _bound_expressions(
    ratio: sp.Expr, lip: sp.Expr
) -> tuple[sp.Expr, sp.Expr, tuple[sp.Symbol, ...], tuple[sp.Symbol, ...]]:
    deltas = sp.symbols(f"Delta_1:{DEPTH + 1}", nonnegative=True)
    norms = sp.symbols(f"w_1:{DEPTH + 1}", nonnegative=True)

    def r(x: sp.Expr) -> sp.Expr:
        return ratio.subs(DELTA, x)

    product = sp.Mul(*[r(deltas[k]) + lip * norms[k] for k in range(DEPTH)])
    telescoped = r(sum(deltas))
    for j in range(DEPTH):
        tail = sp.Mul(*[1 + lip * norms[i] for i in range(j + 1, DEPTH)])
        telescoped += r(sum(deltas[:j])) * lip * norms[j] * tail
    return telescoped, product, deltas, norms


def network_bound_claim(name: str) -> Claim:
    """The telescoping network bound is at most the product of layer bounds, for ``name``."""
    pair = L.get(name)
    ratio = slope_ratio(pair)
    lip = sp.nsimplify(pair.lipschitz)
    telescoped, product, deltas, norms = _bound_expressions(ratio.expr, lip)
    rs = sp.symbols(f"r_1:{DEPTH + 1}", positive=True)
    d1, d2 = sp.symbols("delta_1 delta_2", real=True)
    slope = pair.derivative_expr
    factorised = sp.Eq(
        slope.subs(L.U, L.U + d1 + d2) / slope,
        (slope.subs(L.U, L.U + d1 + d2) / slope.subs(L.U, L.U + d1))
        * (slope.subs(L.U, L.U + d1) / slope),
        evaluate=False,
    )

    def symbolic() -> SymbolicOutcome:
        if not ratio.exact or ratio.status != "proved":
            return inconclusive("lemmas", f"R_σ of {name} is not a proved exact closed form")
        relaxed = _relaxed_telescoped(rs, norms, lip)
        gap = sp.Poly(
            sp.expand(
                (sp.Mul(*[rs[k] + lip * norms[k] for k in range(DEPTH)]) - relaxed).subs(
                    {r_: 1 + s_ for r_, s_ in zip(rs, sp.symbols(f"s_1:{DEPTH + 1}"), strict=True)}
                )
            ),
        )
        if any(c < 0 for c in gap.coeffs()):
            return inconclusive("polynomial gap", "a coefficient of P − T′ is negative")
        if sp.simplify(factorised.lhs - factorised.rhs) != 0:
            return inconclusive("factorisation", "the ratio did not factorise")
        return proved(
            "from lemmas",
            "R_σ(a+b) ≤ R_σ(a)R_σ(b) and R_σ ≥ 1 (definition of R_σ as a supremum, the ratio "
            "factorises); then P − T′ with r_k = 1 + s_k is a polynomial with nonnegative "
            "coefficients in s_k ≥ 0, w_k ≥ 0",
        )

    numeric_ratio = jax.jit(lambda delta: ratio(delta))

    def violation(z: Array) -> Array:
        deltas_z, norms_z = z[:DEPTH], z[DEPTH:]
        prod = jnp.prod(numeric_ratio(deltas_z) + float(lip) * norms_z)
        tele = numeric_ratio(jnp.sum(deltas_z))
        for j in range(DEPTH):
            tail = jnp.prod(1 + float(lip) * norms_z[j + 1 :])
            tele += numeric_ratio(jnp.sum(deltas_z[:j])) * float(lip) * norms_z[j] * tail
        return (tele - prod) / prod

    return Claim(
        name=f"{name}/network_telescoping_bound",
        title=f"{name}: the telescoping network bound is never above the product of layer bounds",
        activation=name,
        statement=sp.Le(telescoped, product),
        hypotheses=(
            Hypothesis(f"a Bregman network of {DEPTH} layers with V = I and activation {name}"),
            Hypothesis("Δ_k ≥ sup |W_k x + b_k| elementwise, w_k = ‖W_k‖₂, L_σ = sup σ′"),
            Hypothesis("R_σ the slope ratio:", sp.Eq(sp.Function("R_sigma")(DELTA), ratio.expr)),
        ),
        steps=(
            Step(factorised, "the slope ratio factorises, so R_σ(a+b) ≤ R_σ(a) R_σ(b)"),
            Step(
                sp.Le(telescoped, _relaxed_telescoped(rs, norms, lip)),
                "replace each R_σ of a sum by the product r_k = R_σ(Δ_k) (submultiplicativity)",
            ),
            Step(
                sp.Le(
                    _relaxed_telescoped(rs, norms, lip),
                    sp.Mul(*[rs[k] + lip * norms[k] for k in range(DEPTH)]),
                ),
                "term by term: each factor 1 of T′ is at most r_k, since R_σ ≥ 1",
            ),
        ),
        symbolic=symbolic,
        numeric=NumericCheck(
            violation,
            names=(*(str(d) for d in deltas), *(str(w) for w in norms)),
            lower=(0.0,) * (2 * DEPTH),
            upper=(3.0,) * DEPTH + (4.0,) * DEPTH,
            tolerance=1e-12,
            description="relative excess (T − P)/P, shifts in [0, 3], weight norms in [0, 4]",
        ),
        values={"T": telescoped, "P": product},
    )


def _relaxed_telescoped(
    rs: tuple[sp.Symbol, ...], norms: tuple[sp.Symbol, ...], lip: sp.Expr
) -> sp.Expr:
    total = sp.Mul(*rs)
    for j in range(DEPTH):
        tail = sp.Mul(*[1 + lip * norms[i] for i in range(j + 1, DEPTH)])
        total += sp.Mul(*rs[:j]) * lip * norms[j] * tail
    return total


# ----- 3. θ for nonnegative weights (refuted)


def theta_nonnegative_claim() -> Claim:
    """The (refuted) claim that θ equals ‖W_m⋯W₁‖ for nonnegative weights."""
    a = sp.MatrixSymbol("W_1", 2, 2)
    h = sp.MatrixSymbol("H", 1, 2)
    theta = sp.Symbol("theta_2")
    norm = sp.Function("norm")
    counterexample = {"w11": 1.0, "w12": 1.0, "w21": 0.0, "w22": 1.0}

    def symbolic() -> SymbolicOutcome:
        w1 = sp.Matrix([[1, 1], [0, 1]])
        head = sp.Matrix([[0, 1]])
        spectral = sp.sqrt(max(w1.T.multiply(w1).eigenvals()))
        excess = (spectral * 1 - (head * w1).norm()) / 2
        if sp.simplify(excess) > 0:
            return disproved(
                "exact counterexample",
                counterexample,
                "H = (0, 1), W_1 = ((1, 1), (0, 1)): θ_2 − ‖H W_1‖ = (φ − 1)/2, φ golden ratio",
            )
        return inconclusive("exact counterexample", "the example does not separate")

    return Claim(
        name="standard/theta_nonnegative",
        title="θ of Combettes and Pesquet does not equal ‖W_m⋯W_1‖ for nonnegative weights",
        statement=sp.Eq(theta, norm(h * a)),
        hypotheses=(
            Hypothesis("a standard network H D W_1 with slopes in [0, 1] and nonnegative H, W_1"),
            Hypothesis("θ_2 = (‖H W_1‖ + ‖H‖ ‖W_1‖)/2, the LipLT recursion with D = (I + E)/2"),
        ),
        steps=(Step(sp.Eq(theta, (norm(h * a) + norm(h) * norm(a)) / 2), "split D = (I + E)/2"),),
        symbolic=symbolic,
        numeric=NumericCheck(
            _theta_excess,
            names=("w11", "w12", "w21", "w22"),
            lower=(0.0,) * 4,
            upper=(1.0,) * 4,
            tolerance=1e-9,
            description="θ_2 − ‖H W_1‖ with H = (0, 1) over nonnegative W_1 in [0, 1]^4",
        ),
        notes=(
            "The vertex bound max over D ∈ {0, 1}ⁿ of ‖H D W_1‖ equals ‖H W_1‖ for nonnegative "
            "weights (the product is entrywise increasing in D); the package tests that instead.",
        ),
    )


def _theta_excess(z: Array) -> Array:
    w1 = z.reshape(2, 2)
    head = jnp.array([[0.0, 1.0]])
    product = jnp.linalg.norm(head @ w1)
    return (product + jnp.linalg.norm(w1, ord=2)) / 2 - product


# ----- provider


@functools.lru_cache(maxsize=1)
def _results() -> tuple[Result, ...]:
    claims = [
        telescoping_claim(),
        *(network_bound_claim(n) for n in BOUND_PAIRS),
        theta_nonnegative_claim(),
    ]
    return tuple(c.check() for c in claims)


def results() -> list[Result]:
    """The checked network-level results (for ``bregmalib derive``), in a fixed order."""
    return list(_results())
