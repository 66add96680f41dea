"""Layer theorems of the Lipschitz toolbox, stated, derived and checked twice by the engine
`bregmalib.symbolic`: the Jacobian of a Bregman layer and the single-layer Lipschitz bound.

T(x) = σ(σ⁻¹(Vx) + Wx + b) (Frecon et al., ICML 2022): with u = σ⁻¹(Vx), z = u + Wx + b,
J(x) = diag σ′(z) diag σ′(u)⁻¹ V + diag σ′(z) W, and on a box B with Δ_i ≥ sup_B |(Wx+b)_i|,
Lip_B(T) ≤ max_i R_σ(Δ_i) ‖V‖₂ + L_σ ‖W‖₂.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import sympy as sp
from jax import Array

from bregmalib.legendre import LegendrePair
from bregmalib.lipschitz._layer import layer_lipschitz_bound
from bregmalib.nn import Layer
from bregmalib.nn import functional as F
from bregmalib.symbolic import (
    Claim,
    Hypothesis,
    NumericCheck,
    Result,
    Step,
    SymbolicOutcome,
    inconclusive,
    matrix_identity_route,
    pair_hypotheses,
    proved,
)

#: the fixed test layers: width n (square, V = I) and a 2-by-3 layer with row-stochastic V
N = 3
SCALES = (0.3, 1.0, 3.0)
#: dual coordinates are searched in [-DUAL_CLIP, DUAL_CLIP] where the domain is unbounded
DUAL_CLIP = 30.0


def _matrix(name: str, rows: int, cols: int) -> sp.Matrix:
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}_{i + 1}{j + 1}", real=True))


#: the symbols of the Jacobian statement; non-commutative, so that products keep their order
J_, V_, W_, DZ, DU, DXU, DXZ = sp.symbols(
    r"J V W \operatorname{diag}\sigma'(z) \operatorname{diag}\sigma'(u) \partial_{x}u "
    r"\partial_{x}z",
    commutative=False,
)
#: the Jacobian of a Bregman layer, J = diag σ′(z) diag σ′(u)⁻¹ V + diag σ′(z) W
JACOBIAN = sp.Eq(J_, DZ * DU**-1 * V_ + DZ * W_)


def _slope_at(sigma: sp.Function, at: sp.Expr) -> sp.Expr:
    t = sp.Symbol("t")
    return sp.Subs(sp.Derivative(sigma(t), t), t, at).doit()


@functools.lru_cache(maxsize=1)
def jacobian_symbolic() -> SymbolicOutcome:
    """The statement `JACOBIAN` itself, for a 2-by-3 layer with general V, W, b and σ an
    undefined function: J is computed by the chain rule (implicit differentiation of
    σ(u(x)) = Vx gives ∂u/∂x), then substituted with diag σ′(z), diag σ′(u), V, W into the
    statement (`matrix_identity_route`)."""
    sigma = sp.Function("sigma")
    x = sp.symbols("x1:4", real=True)
    V, W = _matrix("V", 2, 3), _matrix("W", 2, 3)
    b = sp.Matrix(sp.symbols("b1:3", real=True))
    u = [sp.Function(f"u{i + 1}")(*x) for i in range(2)]
    y = V * sp.Matrix(x)
    du = sp.zeros(2, 3)
    for i in range(2):
        for k in range(3):
            implicit = sp.diff(sigma(u[i]), x[k]) - sp.diff(y[i], x[k])
            du[i, k] = sp.solve(implicit, sp.diff(u[i], x[k]))[0]
    z = sp.Matrix(u) + W * sp.Matrix(x) + b
    T = sp.Matrix([sigma(z[i]) for i in range(2)])
    J = T.jacobian(x).subs({sp.diff(u[i], x[k]): du[i, k] for i in range(2) for k in range(3)})
    values = {
        J_: J.doit(),
        V_: V,
        W_: W,
        DZ: sp.diag(*[_slope_at(sigma, e) for e in z]),
        DU: sp.diag(*[_slope_at(sigma, e) for e in u]),
    }
    method = (
        "chain rule with an undefined σ (implicit differentiation of σ(u(x)) = Vx), substituted "
        "into the statement for a 2-by-3 layer with general V, W, b"
    )
    return matrix_identity_route(JACOBIAN, values, method)


def _dual_half_width(pair: LegendrePair) -> float:
    """A half-width c with σ⁻¹(σ(±c)) = ±c to 1e-9: inside it the primal layer is representable."""
    c = 2.0
    hi = pair.dual_upper
    c = min(c, 0.9 * hi) if np.isfinite(hi) else c
    with jax.enable_x64(True):
        while c > 1e-6:
            w = jnp.asarray([-c, c], dtype=jnp.float64)
            if float(jnp.max(jnp.abs(pair.inverse(pair.sigma(w)) - w))) < 1e-9 * c:
                return c
            c /= 2
    return c


def _layers(seed: int = 0) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    out = []
    for scale in SCALES:
        logits = rng.normal(size=(2, N))
        V = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        out.append(
            {
                "W": rng.normal(size=(N, N)) * scale / np.sqrt(N),
                "b": rng.normal(size=N) * 0.3,
                "W2": rng.normal(size=(2, N)) * scale / np.sqrt(N),
                "b2": rng.normal(size=2) * 0.3,
                "V": V,
            }
        )
    return out


@functools.lru_cache(maxsize=32)
def _jacobian_error(pair: LegendrePair):
    """Relative difference between autodiff and the formula at x = σ(w), for a square layer
    (V = I) and a 2-by-3 layer with row-stochastic V; z = (w, W, b, W2, b2, V) flattened."""
    sizes = (N, N * N, N, 2 * N, 2, 2 * N)

    def error(z: Array) -> Array:
        parts = jnp.split(z, np.cumsum(sizes)[:-1])
        w, W, b, W2, b2, V = parts
        W, W2, V = W.reshape(N, N), W2.reshape(2, N), V.reshape(2, N)
        x = pair.sigma(w)
        worst = jnp.asarray(0.0, z.dtype)
        for Wk, bk, Vk in ((W, b, None), (W2, b2, V)):
            layer = Layer(Wk, bk, Vk, pair, "bregman")
            auto = jax.jacfwd(lambda x, layer=layer: F.forward(layer, x))(x)
            formula = F.jacobian(layer, x)
            worst = jnp.maximum(
                worst, jnp.max(jnp.abs(auto - formula)) / (1.0 + jnp.max(jnp.abs(formula)))
            )
        return worst

    return error


def _fixed(values: list[np.ndarray]) -> tuple[tuple[str, ...], tuple[float, ...]]:
    flat = np.concatenate([np.ravel(v) for v in values])
    return tuple(f"p{i}" for i in range(flat.size)), tuple(float(v) for v in flat)


def jacobian_claim(pair: LegendrePair) -> Claim:
    """`JACOBIAN`, checked symbolically on the statement and against autodiff."""
    c = _dual_half_width(pair)
    checks = []
    for scale, layer in zip(SCALES, _layers(), strict=True):
        names, fixed = _fixed([layer[k] for k in ("W", "b", "W2", "b2", "V")])
        checks.append(
            NumericCheck(
                _jacobian_error(pair),
                ("w1", "w2", "w3", *names),
                (-c, -c, -c, *fixed),
                (c, c, c, *fixed),
                tolerance=1e-10,
                starts=4,
                steps=20,
                description=(
                    f"max |J_autodiff − J_formula| / (1 + max |J|) at x = σ(w), for a random "
                    f"3-by-3 layer and a random 2-by-3 layer of weight scale {scale:g}"
                ),
            )
        )
    steps = (
        Step(sp.Eq(DU * DXU, V_), "differentiate σ(u(x)) = Vx, where u = σ⁻¹(Vx)"),
        Step(sp.Eq(DXZ, DXU + W_), "z = u + Wx + b"),
        Step(sp.Eq(J_, DZ * DXZ), "chain rule for T(x) = σ(z(x))"),
        Step(JACOBIAN, "substitute ∂_x z, then ∂_x u = diag σ′(u)⁻¹ V"),
    )
    return Claim(
        name=f"{pair.name}/layer_jacobian",
        title=f"{pair.name}: Jacobian of a Bregman layer",
        activation=pair.name,
        hypotheses=(
            *pair_hypotheses(pair),
            Hypothesis("layer T(x) = σ(σ⁻¹(Vx) + Wx + b), V = I or row-stochastic, x ∈ Iⁿ"),
        ),
        statement=JACOBIAN,
        steps=steps,
        symbolic=jacobian_symbolic,
        numeric=tuple(checks),
        notes=(f"Numeric route at the pair's parameters, dual box half-width {c:g}.",),
    )


@functools.lru_cache(maxsize=32)
def _norm_excess(pair: LegendrePair):
    """‖J(σ(w))‖₂ / bound − 1 for a square layer (V = I); z = (w, W, b, 1/bound) flattened."""

    def excess(z: Array) -> Array:
        w, W, b, inverse = z[:N], z[N : N + N * N].reshape(N, N), z[N + N * N : -1], z[-1]
        J = F.jacobian_at_dual(Layer(W, b, None, pair, "bregman"), w)
        return jnp.linalg.svd(J, compute_uv=False)[0] * inverse - 1.0

    return excess


#: why the layer bound of a pair with R_σ = +∞ is +∞
TRIVIAL_LAYER_BOUND = (
    "R_σ(Δ) = +∞ for Δ > 0 (the slope-ratio result of this pair), so the bound "
    "max_i R_σ(Δ_i)‖V‖₂ + L_σ‖W‖₂ is +∞ on the whole domain; on a box strictly inside the dual "
    "domain, bregmalib.lipschitz bounds the slope quotient directly instead."
)


def layer_bound_claim(pair: LegendrePair, lemmas: dict[str, Result]) -> Claim:
    """Lip_B(T) ≤ max_i R_σ(Δ_i)‖V‖₂ + L_σ‖W‖₂ on a box B, Δ_i ≥ sup_B |(Wx+b)_i|; checked on
    random layers by grid + gradient ascent of ‖J‖₂ in dual coordinates."""
    c = _dual_half_width(pair)
    with jax.enable_x64(True):
        lo_hi = np.asarray(pair.sigma(jnp.asarray([-c, c], dtype=jnp.float64)))
    box_primal = (
        None if pair.bounded and pair.legendre else (np.full(N, lo_hi[0]), np.full(N, lo_hi[1]))
    )
    ulo, uhi = (-DUAL_CLIP, DUAL_CLIP) if box_primal is None else (-c, c)
    checks, uppers = [], []
    for scale, layer in zip(SCALES, _layers(seed=1), strict=True):
        with jax.enable_x64(True):
            single = Layer(jnp.asarray(layer["W"]), jnp.asarray(layer["b"]), None, pair, "bregman")
        bound = layer_lipschitz_bound(single, box_primal)
        uppers.append(bound.upper)
        names, fixed = _fixed([layer["W"], layer["b"], np.array([1.0 / bound.upper])])
        checks.append(
            NumericCheck(
                _norm_excess(pair),
                ("w1", "w2", "w3", *names),
                (ulo, ulo, ulo, *fixed),
                (uhi, uhi, uhi, *fixed),
                tolerance=1e-9,
                starts=12,
                steps=80,
                description=(
                    f"‖J(σ(w))‖₂ / bound − 1 ≤ 0, random 3-by-3 layer (V = I) of weight "
                    f"scale {scale:g}, bound {bound.upper:.4g}"
                ),
            )
        )
    needed = (f"{pair.name}/slope_ratio", f"{pair.name}/lipschitz", f"{pair.name}/layer_jacobian")

    def symbolic() -> SymbolicOutcome:
        method = "from the lemmas: Jacobian formula, slope ratio R_σ, L_σ; triangle inequality"
        missing = [n for n in needed if n not in lemmas or lemmas[n].status != "proved"]
        if missing:
            return inconclusive(method, "lemmas not proved: " + ", ".join(missing))
        return proved(method, "all lemmas proved")

    R, Delta, L = sp.Function("R_sigma"), sp.Symbol(r"\Delta_i"), sp.Symbol(r"L_{\sigma}")
    nV, nW = sp.Symbol(r"\|V\|_2"), sp.Symbol(r"\|W\|_2")
    bound_expr = sp.Symbol(r"\max_i R_{\sigma}(\Delta_i)") * nV + L * nW
    lip = sp.Symbol(r"\operatorname{Lip}_B(T)")
    steps = (
        Step(
            sp.Le(lip, sp.Symbol(r"\sup_{x\in B}\|J(x)\|_2")),
            "mean value inequality on the convex box B",
        ),
        Step(
            sp.Le(
                sp.Symbol(r"\|J\|_2"),
                sp.Symbol(r"\max_i \frac{\sigma'(z_i)}{\sigma'(u_i)}") * nV
                + sp.Symbol(r"\max_{i} \sigma'(z_{i})") * nW,
            ),
            "triangle inequality, ‖diag(a) M‖₂ ≤ max|a_i| ‖M‖₂",
        ),
        Step(
            sp.Le(sp.Symbol(r"\frac{\sigma'(z_i)}{\sigma'(u_i)}"), R(Delta)),
            "z_i − u_i = (Wx+b)_i and |(Wx+b)_i| ≤ Δ_i: definition of R_σ",
        ),
        Step(sp.Le(lip, bound_expr), "σ′ ≤ L_σ"),
    )
    values = {"uppers": sp.Tuple(*[sp.Float(u, 6) for u in uppers])}
    ratio = lemmas.get(f"{pair.name}/slope_ratio")
    unbounded = ratio is not None and ratio.values.get("R") is sp.oo
    return Claim(
        name=f"{pair.name}/layer_bound",
        title=f"{pair.name}: single-layer Lipschitz bound",
        activation=pair.name,
        hypotheses=(
            *pair_hypotheses(pair),
            Hypothesis("layer T(x) = σ(σ⁻¹(Vx) + Wx + b), V = I or row-stochastic"),
            Hypothesis("B a box of inputs in the closure of Iⁿ and Δ_i ≥ sup over B of |(Wx+b)_i|"),
        ),
        statement=sp.Le(lip, sp.oo if unbounded else bound_expr),
        trivial=TRIVIAL_LAYER_BOUND if unbounded else "",
        steps=steps,
        symbolic=symbolic,
        numeric=tuple(checks),
        notes=(
            "bregmalib.lipschitz.layer_lipschitz_bound computes it for a user's layer "
            "(Δ_i by interval arithmetic).",
        ),
        values=values,
    )


def layer_results(pair: LegendrePair, lemmas: dict[str, Result]) -> list[Result]:
    """The checked layer Jacobian and layer bound of ``pair``; ``lemmas`` holds the pair's
    results by name (L_σ and R_σ, from `bregmalib.symbolic`), the Jacobian is added to them."""
    jacobian = jacobian_claim(pair).check()
    bound = layer_bound_claim(pair, {**lemmas, jacobian.name: jacobian}).check()
    return [jacobian, bound]
