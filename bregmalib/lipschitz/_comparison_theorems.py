"""Comparison of the Lipschitz bounds of Bregman, residual, standard and Euclidean layers with
the same weights (Frecon, Gasso, Pontil, Salzo, ICML 2022; Behrmann et al., ICML 2019).

For W square, b, a box B ⊂ Iⁿ with shift bounds Δ_i, R = max_i R_σ(Δ_i) ≥ 1, a = ‖W‖₂ and
c = ‖I + W‖₂ ≤ 1 + a, the bounds are

- standard σ(Wx + b): L_σ a;            residual (i-ResNet) x + σ(Wx + b): 1 + L_σ a;
- Euclidean σ(x + Wx + b): L_σ c;       Bregman σ(σ⁻¹(x) + Wx + b): R + L_σ a.

``comparison/residual``: 1 + L_σa ≤ R + L_σa ≤ R(1 + L_σa): the Bregman bound is never below
the residual bound (so never below the standard one, which is 1 less) and at most R times it.
``comparison/euclidean``: (R + L_σa) − L_σc ≥ R − L_σ: the Bregman bound is at least the
Euclidean one whenever L_σ ≤ R, in particular for every pair with L_σ ≤ 1; it can be smaller
only when R < L_σ, which among the catalogue pairs happens for ``scaled_tanh`` (L_σ ≈ 1.144)
with small weights. `comparison_figure` draws both cases.
"""

from __future__ import annotations

import functools
import io
from typing import Literal

import jax
import jax.numpy as jnp
import matplotlib
import numpy as np
import sympy as sp
from jax import Array

from bregmalib import legendre
from bregmalib.lipschitz._domain import make_box
from bregmalib.lipschitz._upper import layer_product, norm_product
from bregmalib.nn import Layer, Version, as_network
from bregmalib.nn import functional as F
from bregmalib.symbolic import (
    Claim,
    Hypothesis,
    NumericCheck,
    Result,
    Step,
    SymbolicOutcome,
    inconclusive,
    proved,
)
from bregmalib.symbolic._certify import sign_nonnegative

R_MAX = sp.Symbol(r"{\max_{i} R_{\sigma}(\Delta_{i})}")
NORM_W = sp.Symbol(r"{\|W\|_{2}}")
NORM_IW = sp.Symbol(r"{\|I + W\|_{2}}")
LIP = sp.Symbol(r"L_{\sigma}")

STANDARD, RESIDUAL = LIP * NORM_W, 1 + LIP * NORM_W
EUCLIDEAN, BREGMAN = LIP * NORM_IW, R_MAX + LIP * NORM_W
#: the bounds as named quantities, for the derivation steps
B_BREGMAN = sp.Symbol(r"\beta_{\mathrm{Bregman}}")
B_RESIDUAL = sp.Symbol(r"\beta_{\mathrm{residual}}")
B_EUCLIDEAN = sp.Symbol(r"\beta_{\mathrm{Euclidean}}")

#: the figure written by ``bregmalib derive`` next to the ``.tex`` files
FIGURE = "comparison-layers.pdf"
#: search boxes of the numeric routes: R ∈ [1, 60], ‖W‖ ∈ [0, 20], L_σ ∈ [0.01, 3]
BOX_R, BOX_A, BOX_L = (1.0, 60.0), (0.0, 20.0), (0.01, 3.0)


def _assumed() -> tuple[sp.Symbol, ...]:
    """ρ = R − 1 ≥ 0, a ≥ 0, L > 0, γ = 1 + a − c ≥ 0 as assumption-carrying symbols."""
    return (
        sp.Symbol("rho", nonnegative=True),
        sp.Symbol("a", nonnegative=True),
        sp.Symbol("L", positive=True),
        sp.Symbol("gamma", nonnegative=True),
    )


def _substitute(expr: sp.Expr) -> sp.Expr:
    rho, a, lip, gamma = _assumed()
    return expr.subs({R_MAX: 1 + rho, NORM_W: a, LIP: lip, NORM_IW: 1 + a - gamma})


def _sign_route(differences: tuple[sp.Expr, ...], what: str) -> SymbolicOutcome:
    method = "signs of the differences with R = 1 + ρ, ρ ≥ 0, a ≥ 0, L > 0 (SymPy)"
    for difference in differences:
        if sign_nonnegative(sp.expand(_substitute(difference))) is not True:
            return inconclusive(method, f"could not sign {sp.sstr(difference)}")
    return proved(method, what)


def _residual_violation(z: Array) -> Array:
    r, a, lip = z[0], z[1], z[2]
    bregman, residual = r + lip * a, 1 + lip * a
    return jnp.maximum(residual - bregman, bregman - r * residual) / residual


def _euclidean_violation(z: Array) -> Array:
    r, a, lip, share = z[0], z[1], z[2], z[3]
    c = share * (1 + a)
    return ((r - lip) - (r + lip * a - lip * c)) / (r + lip * a)


def residual_claim() -> Claim:
    """1 + L_σa ≤ R + L_σa ≤ R(1 + L_σa) (unchecked `Claim`)."""
    statement = sp.And(sp.Le(RESIDUAL, BREGMAN), sp.Le(BREGMAN, R_MAX * RESIDUAL))
    return Claim(
        name="comparison/residual",
        title="the Bregman layer bound against the residual and standard bounds",
        statement=statement,
        hypotheses=(
            Hypothesis("$W$ square, $b$, a box $B\\subset I^n$, $\\Delta_i\\ge\\sup_B|(Wx+b)_i|$"),
            Hypothesis("$R_\\sigma(0)=1$, $R_\\sigma$ nondecreasing:", sp.Ge(R_MAX, 1)),
            Hypothesis(
                "bounds: standard $L_\\sigma\\|W\\|_2$, residual (i-ResNet) "
                "$1+L_\\sigma\\|W\\|_2$, Bregman "
                "$\\max_i R_\\sigma(\\Delta_i)+L_\\sigma\\|W\\|_2$ (the layer theorem)"
            ),
        ),
        steps=(
            Step(
                sp.Eq(B_BREGMAN - B_RESIDUAL, R_MAX - 1),
                "the two bounds share the term L_σ‖W‖₂; R_σ ≥ 1",
            ),
            Step(
                sp.Le(B_BREGMAN, R_MAX * B_RESIDUAL),
                "R(1 + L_σ‖W‖₂) − (R + L_σ‖W‖₂) = (R − 1) L_σ‖W‖₂, both factors ≥ 0",
            ),
        ),
        symbolic=lambda: _sign_route(
            (BREGMAN - RESIDUAL, R_MAX * RESIDUAL - BREGMAN),
            "Bregman − residual = ρ ≥ 0 and R residual − Bregman = ρLa ≥ 0",
        ),
        numeric=NumericCheck(
            _residual_violation,
            ("R", "a", "L"),
            (BOX_R[0], BOX_A[0], BOX_L[0]),
            (BOX_R[1], BOX_A[1], BOX_L[1]),
            tolerance=1e-12,
            starts=8,
            steps=60,
            description="the larger of (residual − Bregman) and (Bregman − R·residual), over "
            "the residual bound",
        ),
        notes=(
            "Equality on the left only when R = 1 (all Δ_i = 0: W = 0 and b = 0); the factor R "
            "on the right is approached as L_σ‖W‖₂ → 0 with b fixed. The standard bound is the "
            "residual one less 1, so it is also below the Bregman bound.",
        ),
        prose=RESIDUAL_PROSE,
    )


def euclidean_claim() -> Claim:
    """(R + L_σa) − L_σc ≥ R − L_σ with c = ‖I + W‖₂ (unchecked `Claim`)."""
    return Claim(
        name="comparison/euclidean",
        title="when the Bregman layer bound is below the Euclidean one",
        statement=sp.Ge(BREGMAN - EUCLIDEAN, R_MAX - LIP),
        hypotheses=(
            Hypothesis("$W$ square, $b$, a box $B\\subset I^n$, $\\Delta_i\\ge\\sup_B|(Wx+b)_i|$"),
            Hypothesis("triangle inequality:", sp.Le(NORM_IW, 1 + NORM_W)),
            Hypothesis(
                "bounds: Euclidean $L_\\sigma\\|I+W\\|_2$, Bregman "
                "$\\max_i R_\\sigma(\\Delta_i)+L_\\sigma\\|W\\|_2$"
            ),
        ),
        steps=(
            Step(sp.Le(B_EUCLIDEAN, LIP + LIP * NORM_W), "‖I + W‖₂ ≤ 1 + ‖W‖₂ and L_σ ≥ 0"),
            Step(
                sp.Ge(B_BREGMAN - B_EUCLIDEAN, R_MAX - LIP),
                "subtract the previous line from the Bregman bound R + L_σ‖W‖₂",
            ),
        ),
        symbolic=lambda: _sign_route(
            (BREGMAN - EUCLIDEAN - (R_MAX - LIP),),
            "Bregman − Euclidean − (R − L) = Lγ ≥ 0 with γ = 1 + a − c",
        ),
        numeric=NumericCheck(
            _euclidean_violation,
            ("R", "a", "L", "c/(1+a)"),
            (BOX_R[0], BOX_A[0], BOX_L[0], 0.0),
            (BOX_R[1], BOX_A[1], BOX_L[1], 1.0),
            tolerance=1e-12,
            starts=8,
            steps=60,
            description="(R − L_σ) − (Bregman − Euclidean), over the Bregman bound, with "
            "‖I + W‖₂ = c anywhere in [0, 1 + ‖W‖₂]",
        ),
        notes=(
            "Consequence: the Bregman bound is at least the Euclidean one whenever "
            "L_σ ≤ max_i R_σ(Δ_i), hence for every pair with L_σ ≤ 1 (all catalogue pairs but "
            "scaled_tanh). It is smaller exactly when max_i R_σ(Δ_i) < L_σ(‖I + W‖₂ − ‖W‖₂), "
            "which needs L_σ > 1: " + scaled_tanh_example() + ".",
        ),
        prose=EUCLIDEAN_PROSE,
        exhibit=FIGURE_LATEX,
        attachments={FIGURE: comparison_figure()},
    )


RESIDUAL_PROSE = (
    "The four layers share $W$ and $b$; only the skip term differs. The standard layer has none, "
    "the residual layer adds $x$ outside the activation, the Euclidean layer adds it inside, "
    "and the Bregman layer adds $\\sigma^{-1}(x)$ inside, whose contribution to the Jacobian is "
    "the quotient $\\sigma'(z)/\\sigma'(u)$ bounded by $R_\\sigma(\\Delta)$. Since "
    "$R_\\sigma\\ge 1$, the Bregman bound pays for this skip at least as much as the residual "
    "bound pays for $x$, and at most the factor $\\max_iR_\\sigma(\\Delta_i)$ more."
)

EUCLIDEAN_PROSE = (
    "Against the Euclidean layer the order depends on the pair: its skip passes through "
    "$\\sigma'$, so it costs $L_\\sigma$ per unit of $x$, while the Bregman skip costs "
    "$\\max_iR_\\sigma(\\Delta_i)\\ge 1$. Figure~\\ref{fig:comparison-layers} shows the two "
    "regimes on one-dimensional layers: for \\texttt{tanh} ($L_\\sigma=1$) the Bregman bound is "
    "above the others for every weight, and its measured constant equals the residual one for "
    "$w\\ge 0$ but grows like $e^{2|w|}$ for $w<0$; for \\texttt{scaled\\_tanh} "
    "($L_\\sigma\\approx 1.144$) and $W=\\varepsilon I$ it is below the Euclidean bound while "
    "$R_\\sigma(\\Delta)<L_\\sigma$."
)

FIGURE_LATEX = (
    "\\begin{figure}[ht]\n\\centering\n"
    f"\\includegraphics[width=\\textwidth]{{{FIGURE}}}\n"
    "\\caption{Bounds (solid) and measured constants (dashed, the largest $|T'|$ over a dense "
    "grid of the dual coordinate, ends included) of one-dimensional layers on $I$. Left: "
    "\\texttt{tanh}, weight $w$, $b=0$. Right: \\texttt{scaled\\_tanh}, $W=\\varepsilon$, "
    "$b=0$, Bregman against Euclidean.}\n"
    "\\label{fig:comparison-layers}\n\\end{figure}"
)


# ----- one-dimensional layers, as bregmalib computes them


def _layer(pair_name: str, version: Version, weight: float) -> Layer:
    with jax.enable_x64(True):
        w = jnp.full((1, 1), weight, dtype=jnp.float64)
        return Layer(w, jnp.zeros(1, jnp.float64), None, legendre.get(pair_name), version)


def upper_bound(pair_name: str, version: Version, weight: float) -> float:
    """The library's bound of the 1-D layer on the closure of I: ``layer-product`` for a
    Bregman layer, ``norm-product`` for the others."""
    net = as_network(_layer(pair_name, version, weight))
    box = make_box(net, (legendre.get(pair_name).lower, legendre.get(pair_name).upper))
    method = layer_product if version == "bregman" else norm_product
    return method(net, box).value


#: dual grid of the measured constants: tan(πs/2) for s evenly spaced in (−1, 1)
GRID = 4001


@functools.lru_cache(maxsize=8)
def _slopes(pair_name: str, version: Version):
    def slopes(weight: Array) -> Array:
        layer = Layer(weight.reshape(1, 1), jnp.zeros(1, weight.dtype), None,
                      legendre.get(pair_name), version)  # fmt: skip
        s = jnp.linspace(-1.0, 1.0, GRID)[1:-1]
        t = jnp.tan(jnp.pi / 2 * s)[:, None]
        if version == "bregman":
            values = jax.vmap(lambda u: F.jacobian_at_dual(layer, u)[0, 0])(t)
        else:
            x = jax.vmap(legendre.get(pair_name).sigma)(t)
            values = jax.vmap(lambda y: F.jacobian(layer, y)[0, 0])(x)
        return jnp.max(jnp.abs(values))

    return jax.jit(slopes)


def measured(pair_name: str, version: Version | Literal["residual"], weight: float) -> float:
    """A lower bound on the constant of the 1-D layer on I: max |T′(x)| over x = σ(t),
    t = tan(πs/2) for s on a grid of (−1, 1), which reaches the ends of I; for the residual
    layer x + σ(wx), max |1 + T′_standard(x)| over a grid of the closure of I."""
    with jax.enable_x64(True):
        if version == "residual":
            return float(_residual_slopes(pair_name)(jnp.asarray(weight)))
        return float(_slopes(pair_name, version)(jnp.asarray(weight)))


@functools.lru_cache(maxsize=4)
def _residual_slopes(pair_name: str):
    pair = legendre.get(pair_name)

    def slopes(weight: Array) -> Array:
        layer = Layer(weight.reshape(1, 1), jnp.zeros(1, weight.dtype), None, pair, "standard")
        x = jnp.linspace(pair.lower, pair.upper, GRID)[:, None]
        values = 1.0 + jax.vmap(lambda y: F.jacobian(layer, y)[0, 0])(x)
        return jnp.max(jnp.abs(values))

    return jax.jit(slopes)


def scaled_tanh_example() -> str:
    """The crossing of the Bregman and Euclidean bounds of x ↦ scaled_tanh layers with W = εI,
    from the library's bounds."""
    below = [e for e in np.linspace(0.0, 0.2, 41) if _bregman_below_euclidean(float(e))]
    return (
        f"for scaled_tanh with W = εI, b = 0 the library's Bregman bound is below its "
        f"Euclidean bound for ε ≤ {max(below):.3g} on the grid ε ∈ 0, 0.005, ..., 0.2 "
        f"(at ε = 0.03: {upper_bound('scaled_tanh', 'bregman', 0.03):.4f} against "
        f"{upper_bound('scaled_tanh', 'euclidean', 0.03):.4f})"
    )


def _bregman_below_euclidean(eps: float) -> bool:
    return upper_bound("scaled_tanh", "bregman", eps) < upper_bound("scaled_tanh", "euclidean", eps)


def comparison_figure() -> bytes:
    """The figure as PDF bytes, with no date in its metadata (regenerated byte-identically)."""
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lip = legendre.get("tanh").lipschitz
    weights = np.linspace(-2.5, 2.5, 101)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.0, 3.6))
    curves = {
        "Bregman bound": [upper_bound("tanh", "bregman", w) for w in weights],
        "residual bound": [1.0 + lip * abs(w) for w in weights],
        "standard bound": [upper_bound("tanh", "standard", w) for w in weights],
    }
    for (name, values), colour in zip(curves.items(), ("C0", "C1", "C2"), strict=True):
        left.plot(weights, values, color=colour, label=name)
    left.plot(weights, [measured("tanh", "bregman", w) for w in weights], "C0--",
              label="Bregman measured")  # fmt: skip
    left.plot(weights, [measured("tanh", "residual", w) for w in weights], "C1--",
              label="residual measured")  # fmt: skip
    left.set(yscale="log", xlabel="w", ylabel="Lipschitz constant on I", title="tanh")
    left.legend(fontsize=7)
    eps = np.linspace(0.0, 0.2, 81)
    right.plot(eps, [upper_bound("scaled_tanh", "bregman", e) for e in eps], "C0",
               label="Bregman bound")  # fmt: skip
    right.plot(eps, [upper_bound("scaled_tanh", "euclidean", e) for e in eps], "C3",
               label="Euclidean bound")  # fmt: skip
    right.plot(eps, [measured("scaled_tanh", "bregman", e) for e in eps], "C0--",
               label="Bregman measured")  # fmt: skip
    right.plot(eps, [measured("scaled_tanh", "euclidean", e) for e in eps], "C3--",
               label="Euclidean measured")  # fmt: skip
    right.set(xlabel="epsilon", title="scaled_tanh, W = epsilon")
    right.legend(fontsize=7)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="pdf", metadata={"CreationDate": None, "Producer": None})
    plt.close(fig)
    return buffer.getvalue()


def comparison_results() -> list[Result]:
    """The checked comparison results, in a fixed order."""
    return [residual_claim().check(), euclidean_claim().check()]
