"""Theorems about inverting square Bregman layers and networks, checked by the derivation engine.

For T(x) = σ(σ⁻¹(x) + Wx + b) on Iⁿ (V = I) with dual map F(u) = u + Wσ(u) + b (Frecon et al.,
ICML 2022): a network is invertible when each layer is, with log|det J| the sum of the layers'
(what `bregmalib.invert.log_abs_det` and the flows of `bregmalib.flows` compute); the inverse's
Lipschitz constant on a box of outputs, from the margin of certificate (b)
(`bregmalib.invert.certify_invertibility`), with a lower bound beside it; the linear rate of the
fixed-point solver under (a) and the descent property behind the damped Newton solver of
`bregmalib.invert.solve_dual`; the log-determinant formula of `bregmalib.nn.functional`.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import sympy as sp
from jax import Array

from bregmalib import legendre
from bregmalib.invert._theorems import (
    MONOTONE_MARGIN,
    _sup_slope_route,
    inverse_slope_route,
    legendre_pairs,
)
from bregmalib.legendre import LegendrePair
from bregmalib.nn import Layer
from bregmalib.nn import functional as F
from bregmalib.symbolic import (
    Claim,
    Hypothesis,
    NumericCheck,
    Result,
    Step,
    SymbolicOutcome,
    equal,
    inconclusive,
    proved,
)

#: the depth of the test networks of the network theorem
DEPTH = 3
#: the monotone test weights W = AᵀA + K − (1/L − m)I: entries of A in ±2, of K in ±3
A_RANGE, K_RANGE = 2.0, 3.0
#: dual inputs of the searches, in units of `_dual_unit` (u_i ∈ [−4, 4] for β-free pairs)
U_RANGE = 4.0
#: the pairs searched numerically: bounded σ, σ of linear growth, sublinear σ, and softplus at
#: its default β = 1000 in scaled coordinates (see `_dual_unit`); the symbolic routes cover
#: every pair with D = ℝ
SEARCHED = ("tanh", "bent_identity", "asinh", "softplus")


def _searched() -> tuple[LegendrePair, ...]:
    return tuple(legendre.get(name) for name in SEARCHED)


def _dual_unit(pair: LegendrePair) -> float:
    """The unit of the dual coordinates searched: 1/β for a pair with a sharpness β, else 1.

    Softplus has σ_β(u) = σ_1(βu)/β, so its dual map is F_β(u) = (F_1(βu) + βb)/β: the search
    over βu ∈ [−4, 4] is the one of β = 1 on [−4, 4], run through the library's float64 code at
    β = 1000, where σ′(u) = sigmoid(βu) runs over [0.018, 0.982] (on the unscaled box u ∈
    [−4, 4] it would be e^{−1000|u|}, below the smallest float64, on half of it)."""
    return 1.0 / pair.parameter_values.get("beta", 1.0)


def _dual_box(pair: LegendrePair, count: int, scale: float = 1.0) -> tuple[tuple, tuple]:
    """``count`` dual coordinates in ±``scale``·U_RANGE·`_dual_unit`(pair)."""
    r = scale * U_RANGE * _dual_unit(pair)
    return (-r,) * count, (r,) * count


def _where(pair: LegendrePair, scale: float = 1.0) -> str:
    """What the dual box of ``pair`` is in scaled coordinates, for a search's description."""
    beta = pair.parameter_values.get("beta")
    if beta is None:
        return ""
    r = scale * U_RANGE
    return f"; dual inputs scaled: $\\beta u_i \\in [{-r:g}, {r:g}]$, $\\beta = {beta:g}$"


def _layer(pair: LegendrePair, weight: Array) -> Layer:
    """The square Bregman layer (W, b = 0, V = I) of ``pair``."""
    return Layer(weight, jnp.zeros(weight.shape[0], weight.dtype), None, pair, "bregman")


def _monotone_weight(pair: LegendrePair, entries: Array) -> Array:
    """W = AᵀA + K − (1/L_σ − m)I (condition (b) with margin ≥ m) from 5 numbers: A (2×2), k."""
    a = entries[:4].reshape(2, 2)
    skew = jnp.array([[0.0, entries[4]], [-entries[4], 0.0]])
    return a.T @ a + skew - (1.0 / pair.lipschitz - MONOTONE_MARGIN) * jnp.eye(2)


def _margin(pair: LegendrePair, weight: Array) -> Array:
    """1/L_σ + λ_min((W + Wᵀ)/2), the margin of certificate (b)."""
    return 1.0 / pair.lipschitz + jnp.linalg.eigvalsh(0.5 * (weight + weight.T))[0]


def inverse_lipschitz_bound(pair: LegendrePair, weight: Array, dual_ends: Array) -> Array:
    """The upper bound of ``invertibility/inverse_lipschitz`` on the box of outputs with ends
    σ(``dual_ends``): max (σ⁻¹)′ over the box divided by the margin 1/L_σ + λ_min of (b)."""
    return pair.max_inverse_slope(dual_ends) / _margin(pair, weight)


def _monotone_names(prefix: str = "") -> tuple[str, ...]:
    return tuple(f"{prefix}{n}" for n in ("a11", "a12", "a21", "a22", "k"))


def _monotone_box(scale: float = 1.0) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The box of (A, k), shrunk by ``scale`` (AD references lose accuracy where σ′(z)
    underflows, so the log-determinant searches keep z moderate)."""
    a, k = scale * A_RANGE, scale * K_RANGE
    return (-a,) * 4 + (-k,), (a,) * 4 + (k,)


def _check(
    factory,
    pair: LegendrePair,
    names: tuple[str, ...],
    lower,
    upper,
    description: str,
    tolerance: float = 1e-9,
) -> NumericCheck:
    """A search of the violation ``factory(pair)`` on the box (lower, upper)."""
    return NumericCheck(
        factory(pair),
        names=names,
        lower=tuple(lower),
        upper=tuple(upper),
        tolerance=tolerance,
        description=f"{pair.name}: {description}",
    )


def _per_pair_route(route, what: str) -> SymbolicOutcome:
    """Proved when ``route(pair)`` proves its lemma for every pair with D = ℝ."""
    method = f"per pair: {what}"
    pairs = legendre_pairs()
    for pair in pairs:
        outcome = route(pair)
        if outcome.verdict != "proved":
            return inconclusive(method, f"{pair.name}: {outcome.detail}")
    return proved(method, f"for the {len(pairs)} pairs with D = ℝ")


# ----- the inverse's Lipschitz constant ---------------------------------------------------------
@functools.lru_cache(maxsize=16)
def _inverse_lipschitz_violation(pair: LegendrePair):
    """m − s|T(x) − T(x′)| / |x − x′| over m, with m the margin of (b), s the largest (σ⁻¹)′ =
    1/σ′ at the ends of the box spanned by T(x), T(x′); −1 where x = x′ in float64."""

    def violation(z: Array) -> Array:
        weight = _monotone_weight(pair, z[:5])
        layer, margin = _layer(pair, weight), _margin(pair, weight)
        u, v = z[5:7], z[7:9]
        zu, zv = F.dual_forward(layer, u), F.dual_forward(layer, v)
        gap = pair.sigma(zu) - pair.sigma(zv)
        slope = pair.max_inverse_slope(jnp.concatenate([zu, zv]))
        distance = jnp.linalg.norm(pair.sigma(u) - pair.sigma(v))
        quotient = slope * jnp.linalg.norm(gap) / jnp.where(distance > 0, distance, 1.0)
        return jnp.where(distance > 0, (margin - quotient) / margin, -1.0)

    return violation


@functools.lru_cache(maxsize=16)
def _inverse_lower_violation(pair: LegendrePair):
    """m‖J_T(x)⁻¹‖₂ / max_i (σ⁻¹)′(T(x)_i) − 1: the lower bound below the upper one at
    B = {T(x)}."""

    def violation(z: Array) -> Array:
        weight = _monotone_weight(pair, z[:5])
        layer, u = _layer(pair, weight), z[5:7]
        smallest = jnp.linalg.svd(F.jacobian_at_dual(layer, u), compute_uv=False)[-1]
        slope = pair.max_inverse_slope(F.dual_forward(layer, u))
        return _margin(pair, weight) / smallest / slope - 1.0

    return violation


LIP_INVERSE = sp.Symbol(r"\operatorname{Lip}_B(T^{-1})")
INVERSE_UPPER = sp.Symbol(
    r"\frac{\max_i \max_{t \in [c_i, d_i]} (\sigma^{-1})'(t)}{L_\sigma^{-1} + \lambda_{\min}}"
)
INVERSE_LOWER = sp.Symbol(r"\sup_{x \in T^{-1}(B)} \|J_T(x)^{-1}\|_2")

INVERSE_PROSE = (
    "The inverse of a layer is Lipschitz on a box of outputs, with a constant that the margin "
    "of condition (b) controls. In the variable $x$ the equation $T(x)=y$ reads "
    "$G(x)=\\sigma^{-1}(y)-b$ with $G(x)=\\sigma^{-1}(x)+Wx$, and $G$ is strongly monotone "
    "with modulus $m=1/L_\\sigma+\\lambda_{\\min}((W+W^T)/2)$, exactly the margin that "
    "\\texttt{bregmalib.invert.certify\\_invertibility} reports for condition (b) (a test "
    "compares the two). The forward constant is the layer bound of "
    "Chapter~\\ref{chap:layer-bounds}; together they make $T$ bi-Lipschitz on a box. The "
    "library has no separate function for the inverse constant: this theorem is how the "
    "margin turns into one. Beside the upper bound stands the lower bound "
    "$\\|J_T(x)^{-1}\\|_2$ at any point, since $J_{T^{-1}}(T(x))=J_T(x)^{-1}$. The upper bound "
    "multiplies the worst slope of $\\sigma^{-1}$ on the box by the worst modulus, which need "
    "not occur at the same point: for $W=0$ (so $T$ is the identity) and $B=[-c,c]^n$ with "
    "tanh, it is $1/(1-c^2)$ while the constant is 1."
)


def _inverse_lipschitz_claim() -> Claim:
    checks = tuple(
        c
        for pair in _searched()
        for c in (
            _check(
                _inverse_lipschitz_violation,
                pair,
                (*_monotone_names(), "u1", "u2", "v1", "v2"),
                _monotone_box()[0] + _dual_box(pair, 4)[0],
                _monotone_box()[1] + _dual_box(pair, 4)[1],
                "(m − s|T(x) − T(x′)|/|x − x′|)/m, s the upper bound's slope factor on the box "
                "spanned by T(x), T(x′), W monotone (margin ≥ 0.05)" + _where(pair),
            ),
            _check(
                _inverse_lower_violation,
                pair,
                (*_monotone_names(), "u1", "u2"),
                _monotone_box()[0] + _dual_box(pair, 2)[0],
                _monotone_box()[1] + _dual_box(pair, 2)[1],
                "lower bound ‖J_T(x)⁻¹‖₂ over the upper bound at B = {T(x)}, minus 1"
                + _where(pair),
            ),
        )
    )
    return Claim(
        name="invertibility/inverse_lipschitz",
        title="the Lipschitz constant of the inverse layer on a box",
        statement=sp.And(sp.Le(INVERSE_LOWER, LIP_INVERSE), sp.Le(LIP_INVERSE, INVERSE_UPPER)),
        hypotheses=(
            Hypothesis(
                "$(\\varphi, \\sigma)$ a Legendre pair with $D = \\mathbb{R}$, "
                "$0 < \\sigma' \\le L_\\sigma$ and $\\sigma'$ unimodal (every pair of "
                "the catalogue)."
            ),
            Hypothesis(
                "T(x) = $\\sigma(\\sigma^{-1}(x) + Wx + b)$, W square with "
                "(b): $\\lambda_{\\min} = \\lambda_{\\min}((W + W^T)/2) > -1/L_\\sigma$."
            ),
            Hypothesis("B = $\\prod_i [c_i, d_i] \\subset I^n$ a box of outputs."),
        ),
        steps=(
            Step(
                sp.Ge(sp.Symbol(r"(\sigma^{-1})'(t)"), 1 / sp.Symbol(r"L_\sigma")),
                "$(\\sigma^{-1})'(\\sigma(u)) = 1/\\sigma'(u)$ and $\\sup \\sigma' = L_\\sigma$",
            ),
            Step(
                sp.Ge(
                    sp.Symbol(r"\langle G(x) - G(x'), x - x' \rangle"),
                    sp.Symbol(r"(L_\sigma^{-1} + \lambda_{\min}) |x - x'|^2"),
                ),
                "the symmetric part of $J_G = \\operatorname{diag}(\\sigma^{-1})' + W$ is at "
                "least $(1/L_\\sigma + \\lambda_{\\min}) I$; integrate along the segment",
            ),
            Step(
                sp.Le(
                    sp.Symbol(r"(L_\sigma^{-1} + \lambda_{\min}) |x - x'|"),
                    sp.Symbol(r"|\sigma^{-1}(y) - \sigma^{-1}(y')|"),
                ),
                "Cauchy–Schwarz, and G(x) − G(x′) = $\\sigma^{-1}(y) - \\sigma^{-1}(y')$ for "
                "y = T(x), y′ = T(x′)",
            ),
            Step(
                sp.Le(
                    sp.Symbol(r"|\sigma^{-1}(y) - \sigma^{-1}(y')|"),
                    sp.Symbol(r"\max_i \max_{[c_i, d_i]} (\sigma^{-1})' \, |y - y'|"),
                ),
                "the mean value theorem in each coordinate of the box; $(\\sigma^{-1})'$ is "
                "largest at an end of $[c_i, d_i]$ as $\\sigma'$ is unimodal",
            ),
            Step(
                sp.Le(INVERSE_LOWER, LIP_INVERSE),
                "T⁻¹ is differentiable with $J_{T^{-1}}(T(x)) = J_T(x)^{-1}$",
            ),
        ),
        symbolic=lambda: _per_pair_route(inverse_slope_route, "inf (σ⁻¹)′ = 1/L_σ"),
        numeric=checks,
        notes=(
            "Under (a) the modulus is at least $1/L_\\sigma - \\|W\\|_2 > 0$; for a network the "
            "inverse's constant is at most the product of the layers' constants on the boxes "
            "that the inverse passes through.",
        ),
        prose=INVERSE_PROSE,
    )


# ----- the solvers ----------------------------------------------------------------------------
@functools.lru_cache(maxsize=16)
def _fixed_point_violation(pair: LegendrePair):
    """|Φ(u) − Φ(v)|/|u − v| − L‖W‖₂ for the step Φ(u) = u − F(u) (+ the target), W free."""

    def violation(z: Array) -> Array:
        weight = z[:4].reshape(2, 2)
        layer, u, v = _layer(pair, weight), z[4:6], z[6:8]
        phi_u, phi_v = u - F.dual_forward(layer, u), v - F.dual_forward(layer, v)
        rate = pair.lipschitz * jnp.linalg.norm(weight, ord=2)
        distance = jnp.linalg.norm(u - v)
        step = jnp.linalg.norm(phi_u - phi_v) / jnp.where(distance > 0, distance, 1.0)
        return jnp.where(distance > 0, step - rate, -1.0)

    return violation


FIXED_POINT_PROSE = (
    "The library inverts a layer by solving $F(u)=v$ in dual coordinates "
    "(\\texttt{bregmalib.invert.solve\\_dual}) with one of two solvers. The fixed-point "
    "iteration $u_{k+1}=u_k-(F(u_k)-v)=v-b-W\\sigma(u_k)$ is the one of invertible residual "
    "networks \\citep{behrmann2019iresnet}; under (a) its step is a contraction with constant "
    "$q=L_\\sigma\\|W\\|_2<1$, so by Banach's fixed-point theorem \\citep{banach1922operations} "
    "it converges from any start to the unique solution, linearly, with $|u_k-u^*|\\le "
    "q^k|u_0-u^*|$."
)


def _fixed_point_claim() -> Claim:
    checks = tuple(
        _check(
            _fixed_point_violation,
            pair,
            ("w11", "w12", "w21", "w22", "u1", "u2", "v1", "v2"),
            (-2.0,) * 4 + _dual_box(pair, 4)[0],
            (2.0,) * 4 + _dual_box(pair, 4)[1],
            "|Φ(u) − Φ(v)|/|u − v| − L‖W‖₂, Φ(u) = u − F(u) the library's step" + _where(pair),
        )
        for pair in _searched()
    )
    q = sp.Symbol("q")
    return Claim(
        name="invertibility/fixed_point_rate",
        title="under (a) the fixed-point solver converges linearly with rate $L_\\sigma\\|W\\|_2$",
        statement=sp.Le(sp.Symbol(r"|u_k - u^*|"), q ** sp.Symbol("k") * sp.Symbol(r"|u_0 - u^*|")),
        hypotheses=(
            Hypothesis(
                "$0 < \\sigma' \\le L_\\sigma$ on $\\mathbb{R}$; F(u) = u + W$\\sigma$(u) "
                "+ b, W square; $u_{k+1} = u_k - (F(u_k) - v)$ from any $u_0$."
            ),
            Hypothesis("(a):", sp.Lt(q, 1)),
            Hypothesis("q = $L_\\sigma\\|W\\|_2$; $u^*$ the solution of F(u) = v."),
        ),
        steps=(
            Step(
                sp.Eq(
                    sp.Symbol(r"\Phi(u) - \Phi(u')"),
                    -sp.Symbol("W") * sp.Symbol(r"(\sigma(u) - \sigma(u'))"),
                ),
                "Φ(u) = v − b − Wσ(u) is the step",
            ),
            Step(
                sp.Le(
                    sp.Symbol(r"|\sigma(u) - \sigma(u')|"),
                    sp.Symbol(r"L_\sigma") * sp.Symbol(r"|u - u'|"),
                ),
                "the mean value theorem in each coordinate, sup σ′ = $L_\\sigma$",
            ),
            Step(
                sp.Le(sp.Symbol(r"|u_{k+1} - u^*|"), q * sp.Symbol(r"|u_k - u^*|")),
                "$u^* = \\Phi(u^*)$; Banach's fixed-point theorem gives existence and "
                "uniqueness of $u^*$, induction the rate",
            ),
        ),
        symbolic=lambda: _per_pair_route(_sup_slope_route, "sup σ′ = L_σ"),
        numeric=checks,
        notes=(
            "Hence $k \\ge \\log(\\varepsilon/|u_0 - u^*|)/\\log q$ steps reach an error "
            "$\\varepsilon$; the library stops on the residual $\\|F(u_k) - v\\|_\\infty$, "
            "which is within a factor 1 + q of the step length.",
        ),
        prose=FIXED_POINT_PROSE,
    )


@functools.lru_cache(maxsize=16)
def _newton_violation(pair: LegendrePair):
    """|∇f(u)ᵀd + |r|²| / |r|² for f = ½|F(u) − v|², d = −J_F(u)⁻¹(F(u) − v), W monotone; −1
    where |r| ≤ 10⁻⁶ in units of `_dual_unit` (at a solution, where the quotient is 0/0)."""
    floor = (1e-6 * _dual_unit(pair)) ** 2

    def violation(z: Array) -> Array:
        layer = _layer(pair, _monotone_weight(pair, z[:5]))
        u, v = z[5:7], z[7:9]

        def merit(w: Array) -> Array:
            r = F.dual_forward(layer, w) - v
            return 0.5 * jnp.dot(r, r)

        r = F.dual_forward(layer, u) - v
        direction = -jnp.linalg.solve(F.dual_jacobian(layer, u), r)
        squared = jnp.dot(r, r)
        descent = jnp.dot(jax.grad(merit)(u), direction)
        return jnp.where(squared > floor, jnp.abs(descent + squared) / squared, -1.0)

    return violation


def _newton_route() -> SymbolicOutcome:
    method = "generic 3×3 J and r: $(J^T r)^T (-J^{-1} r) + r^T r$ simplified"
    j = sp.Matrix(3, 3, lambda i, k: sp.Symbol(f"j_{i + 1}{k + 1}", real=True))
    r = sp.Matrix(sp.symbols("r_1:4", real=True))
    value = (j.T * r).T * (-j.inv() * r) + r.T * r
    if equal(sp.simplify(value[0]), sp.S.Zero):
        return proved(method, "zero wherever det J ≠ 0")
    return inconclusive(method)


NEWTON_PROSE = (
    "The default solver is damped Newton: the step $d=-J_F(u)^{-1}(F(u)-v)$, taken in full "
    "when it cuts the merit $f=\\frac12|F(u)-v|^2$ fourfold, else the best of a few step "
    "lengths satisfying Armijo's condition, else Armijo backtracking. Under (c) the Jacobian "
    "$J_F=I+WD(u)$ is a P-matrix, hence nonsingular, everywhere, and the Newton step is a "
    "descent direction of the merit with slope exactly $-2f$: Armijo's condition is met by "
    "small enough steps, so each iteration is well defined and decreases $f$. Under (b) "
    "(or (c) with properness, Table~\\ref{tab:invertibility-pairs}) the level sets of $f$ "
    "are bounded, so the iterates stay in a compact set on which $J_F^{-1}$ is bounded; the "
    "standard argument for line-search Newton methods then gives $\\nabla f(u_k)=J_F^T(F(u_k)-v)"
    "\\to 0$, i.e. $F(u_k)\\to v$, and the unique solution is approached, quadratically once "
    "the full step is accepted."
)


def _newton_claim() -> Claim:
    checks = tuple(
        _check(
            _newton_violation,
            pair,
            (*_monotone_names(), "u1", "u2", "v1", "v2"),
            _monotone_box()[0] + _dual_box(pair, 4)[0],
            _monotone_box()[1] + _dual_box(pair, 4)[1],
            "$|\\nabla f^T d + |r|^2| / |r|^2$ with the library's Jacobian, W monotone"
            + _where(pair),
            tolerance=1e-8,
        )
        for pair in _searched()
    )
    return Claim(
        name="invertibility/newton_descent",
        title="under (c) the Newton step is a descent direction of the merit",
        statement=sp.Eq(sp.Symbol(r"\nabla f(u)^T d(u)"), -2 * sp.Symbol("f(u)")),
        hypotheses=(
            Hypothesis(
                "F(u) = u + W$\\sigma$(u) + b with (c), so $J_F(u) = I + WD(u)$ is "
                "nonsingular for every u."
            ),
            Hypothesis("f(u) = $\\frac12 |F(u) - v|^2$, d(u) = $-J_F(u)^{-1}(F(u) - v)$."),
        ),
        steps=(
            Step(
                sp.Eq(sp.Symbol(r"\nabla f(u)"), sp.Symbol(r"J_F(u)^T (F(u) - v)")),
                "the chain rule",
            ),
            Step(
                sp.Eq(sp.Symbol(r"\nabla f(u)^T d(u)"), -sp.Symbol(r"|F(u) - v|^2")),
                "$r^T J_F J_F^{-1} r = |r|^2$",
            ),
        ),
        symbolic=_newton_route,
        numeric=checks,
        prose=NEWTON_PROSE,
    )


# ----- log-determinants and networks -------------------------------------------------------------
@functools.lru_cache(maxsize=16)
def _log_det_violation(pair: LegendrePair):
    """The library's log|det J_T| and log|det J_F| against slogdet of forward-mode AD
    Jacobians, plus 1 − sign det J_T; W monotone."""

    def violation(z: Array) -> Array:
        layer, u = _layer(pair, _monotone_weight(pair, z[:5])), z[5:7]
        sign, reference = jnp.linalg.slogdet(
            jax.jacfwd(lambda t: F.forward(layer, t))(pair.sigma(u))
        )
        dual_reference = jnp.linalg.slogdet(jax.jacfwd(lambda t: F.dual_forward(layer, t))(u))[1]
        primal = F.log_abs_det_at_dual(layer, u)
        dual = F.dual_log_abs_det(layer, u)
        return jnp.abs(primal - reference) + jnp.abs(dual - dual_reference) + (1.0 - sign)

    return violation


def _determinant_route(size: int) -> SymbolicOutcome:
    method = f"generic {size}×{size} M and diagonals: det(diag(a) M diag(c)⁻¹) expanded"
    m = sp.Matrix(size, size, lambda i, k: sp.Symbol(f"m_{i + 1}{k + 1}"))
    a = sp.symbols(f"a_1:{size + 1}", positive=True)
    c = sp.symbols(f"c_1:{size + 1}", positive=True)
    left = (sp.diag(*a) * m * sp.diag(*c).inv()).det()
    right = sp.prod(a) / sp.prod(c) * m.det()
    if equal(sp.expand(left - right), sp.S.Zero):
        return proved(method, "det is multiplicative: the two sides agree")
    return inconclusive(method)


LOG_DET_PROSE = (
    "Density models need $\\log|\\det J|$. By the chain rule $J_T(x)=\\operatorname{diag}"
    "\\sigma'(z)\\,J_F(u)\\,\\operatorname{diag}\\sigma'(u)^{-1}$, so the log-determinant of a "
    "layer splits into two sums of $\\log\\sigma'$ and $\\log\\det(I+WD(u))$, positive under "
    "(c). This is what \\texttt{bregmalib.nn.functional.log\\_abs\\_det\\_at\\_dual} computes, "
    "and the Bregman flow of \\texttt{bregmalib.flows}, which works in dual coordinates, uses "
    "the last term alone (\\texttt{dual\\_log\\_abs\\_det}); for large widths "
    "\\texttt{bregmalib.invert.series\\_log\\_det} estimates it by the power series of "
    "residual flows \\citep{behrmann2019iresnet,chen2019residual}."
)

LOG_DET = sp.Symbol(r"\log|\det J_T(x)|")
LOG_DET_FORMULA = (
    sp.Symbol(r"\sum_i \log\sigma'(z_i)")
    - sp.Symbol(r"\sum_i \log\sigma'(u_i)")
    + sp.Symbol(r"\log\det(I + W D(u))")
)


def _log_det_claim() -> Claim:
    checks = tuple(
        _check(
            _log_det_violation,
            pair,
            (*_monotone_names(), "u1", "u2"),
            _monotone_box(0.5)[0] + _dual_box(pair, 2, 0.5)[0],
            _monotone_box(0.5)[1] + _dual_box(pair, 2, 0.5)[1],
            "|library − AD| for log|det J_T| and log|det J_F|, plus 1 − sign det J_T"
            + _where(pair, 0.5),
            tolerance=1e-8,
        )
        for pair in _searched()
    )
    return Claim(
        name="invertibility/log_determinant",
        title="the log-determinant of a Bregman layer",
        statement=sp.Eq(LOG_DET, LOG_DET_FORMULA),
        hypotheses=(
            Hypothesis(
                "T(x) = $\\sigma(z)$, z = F(u) = u + Wx + b, u = $\\sigma^{-1}(x)$, "
                "W square, V = I, D(u) = diag $\\sigma'(u)$, and (c)."
            ),
        ),
        steps=(
            Step(
                sp.Eq(
                    sp.Symbol(r"J_T(x)"),
                    sp.Symbol(
                        r"\operatorname{diag}\sigma'(z) \, (I + W D(u)) \, "
                        r"\operatorname{diag}\sigma'(u)^{-1}"
                    ),
                ),
                "the chain rule through $\\sigma^{-1}$, F and σ",
            ),
            Step(
                sp.Eq(
                    sp.Symbol(r"\det J_T(x)"),
                    sp.Symbol(r"\det(I + W D(u)) \prod_i \sigma'(z_i) / \sigma'(u_i)"),
                ),
                "det is multiplicative; the determinant is positive under (c)",
            ),
        ),
        symbolic=lambda: _determinant_route(3),
        numeric=checks,
        prose=LOG_DET_PROSE,
    )


@functools.lru_cache(maxsize=16)
def _network_violation(pair: LegendrePair):
    """For DEPTH monotone layers: |Σ_k library log|det J_k| − slogdet of the AD Jacobian of the
    network| + 1 − its sign."""

    def violation(z: Array) -> Array:
        layers = [_layer(pair, _monotone_weight(pair, z[5 * k : 5 * k + 5])) for k in range(DEPTH)]
        u0 = z[5 * DEPTH : 5 * DEPTH + 2]
        total, u = jnp.zeros((), z.dtype), u0
        for layer in layers:
            total = total + F.log_abs_det_at_dual(layer, u)
            u = F.dual_forward(layer, u)

        def network(x: Array) -> Array:
            for layer in layers:
                x = F.forward(layer, x)
            return x

        sign, reference = jnp.linalg.slogdet(jax.jacfwd(network)(pair.sigma(u0)))
        return jnp.abs(total - reference) + (1.0 - sign)

    return violation


def _network_route() -> SymbolicOutcome:
    method = f"generic 2×2 matrices: det of a product of {DEPTH} expanded"
    mats = [
        sp.Matrix(2, 2, lambda i, j, k=k: sp.Symbol(f"j{k}_{i + 1}{j + 1}")) for k in range(DEPTH)
    ]
    product = functools.reduce(lambda p, q: q * p, mats)
    if equal(sp.expand(product.det() - sp.prod([m.det() for m in mats])), sp.S.Zero):
        return proved(method, "det(J_L ⋯ J_1) = Π det J_k; composition of diffeomorphisms")
    return inconclusive(method)


NETWORK_PROSE = (
    "A network of square Bregman layers is invertible when each of its layers is: a "
    "composition of diffeomorphisms of $I^n$ onto $I^n$ is one, its inverse runs the layers' "
    "inverses from the last (\\texttt{bregmalib.invert.invert}), and its log-determinant is the "
    "sum of the layers' along the trace (\\texttt{bregmalib.invert.log\\_abs\\_det}). The "
    "numeric route compares that sum with the log-determinant of the whole network's "
    "Jacobian, computed by automatic differentiation."
)


def _network_claim() -> Claim:
    names = tuple(n for k in range(1, DEPTH + 1) for n in _monotone_names(f"L{k}_"))
    lower, upper = _monotone_box(0.5)
    checks = tuple(
        _check(
            _network_violation,
            pair,
            (*names, "u1", "u2"),
            lower * DEPTH + _dual_box(pair, 2, 0.5)[0],
            upper * DEPTH + _dual_box(pair, 2, 0.5)[1],
            f"{DEPTH} monotone layers: |Σ log|det J_k| − log|det J_N|| + 1 − sign det J_N"
            + _where(pair, 0.5),
            tolerance=1e-8,
        )
        for pair in _searched()
    )
    return Claim(
        name="invertibility/network",
        title="a network is a diffeomorphism of $I^n$ onto $I^n$ when each layer is one",
        statement=sp.And(
            sp.Eq(sp.Symbol(r"N(I^n)"), sp.Symbol(r"I^n")),
            sp.Eq(
                sp.Symbol(r"\log\det J_N(x)"),
                sp.Symbol(r"\sum_{k=1}^{L} \log\det J_{T_k}(x_{k-1})"),
            ),
        ),
        hypotheses=(
            Hypothesis(
                "N = $T_L \\circ \\cdots \\circ T_1$, square Bregman layers (V = I) of "
                "one Legendre pair with D = $\\mathbb{R}$, each satisfying (c)."
            ),
            Hypothesis("$x_0 = x$, $x_k = T_k(x_{k-1})$."),
        ),
        steps=(
            Step(
                sp.Eq(sp.Symbol(r"T_k(I^n)"), sp.Symbol(r"I^n")),
                "each layer is a diffeomorphism of $I^n$ onto $I^n$ "
                "(Theorem on the layer diffeomorphism)",
            ),
            Step(
                sp.Eq(sp.Symbol(r"J_N(x)"), sp.Symbol(r"J_{T_L}(x_{L-1}) \cdots J_{T_1}(x_0)")),
                "the chain rule; det is multiplicative and each factor is positive",
            ),
            Step(
                sp.Eq(sp.Symbol(r"N^{-1}"), sp.Symbol(r"T_1^{-1} \circ \cdots \circ T_L^{-1}")),
                "the inverse solves the layers from the last",
            ),
        ),
        symbolic=_network_route,
        numeric=checks,
        prose=NETWORK_PROSE,
    )


def claims() -> list[Claim]:
    """The inversion claims, unchecked."""
    return [
        _network_claim(),
        _inverse_lipschitz_claim(),
        _fixed_point_claim(),
        _newton_claim(),
        _log_det_claim(),
    ]


def results() -> list[Result]:
    """The checked inversion results (for ``bregmalib derive``)."""
    return [claim.check() for claim in claims()]
