"""Layer theorems of the Lipschitz toolbox, stated, derived and checked twice by the engine
`bregmalib.symbolic`: the Jacobian of a Bregman layer and the single-layer Lipschitz bound.

T(x) = σ(σ⁻¹(Vx) + Wx + b) (Frecon et al., ICML 2022): with u = σ⁻¹(Vx), z = u + Wx + b,
J(x) = diag σ′(z) diag σ′(u)⁻¹ V + diag σ′(z) W, and on a box B with Δ_i ≥ sup_B |(Wx+b)_i|,
Lip_B(T) ≤ max_i R_σ(Δ_i) ‖V‖₂ + L_σ ‖W‖₂.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping

import jax
import jax.numpy as jnp
import matplotlib
import numpy as np
import sympy as sp
from jax import Array

from bregmalib import legendre
from bregmalib.legendre import LegendrePair
from bregmalib.lipschitz._layer import layer_lipschitz_bound
from bregmalib.nn import Layer
from bregmalib.nn import functional as F
from bregmalib.symbolic import (
    Claim,
    Hypothesis,
    NumericCheck,
    Result,
    SlopeRatio,
    Step,
    SymbolicOutcome,
    inconclusive,
    matrix_identity_route,
    proved,
)
from bregmalib.symbolic._latex import label, math_, verbatim

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


def jacobian_checks(pair: LegendrePair) -> tuple[NumericCheck, ...]:
    """The numeric route of `JACOBIAN` for ``pair``: autodiff against the formula on random
    layers of three weight scales, at x = σ(w) for w in the dual box [−c, c]³."""
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
                description=f"{pair.name}, scale {scale:g}",
            )
        )
    return tuple(checks)


def _catalogue() -> tuple[LegendrePair, ...]:
    return tuple(legendre.get(name) for name in legendre.names())


def jacobian_claim() -> Claim:
    """`JACOBIAN` for every pair: proved on an undefined σ, checked against autodiff on every
    catalogue pair."""
    steps = (
        Step(sp.Eq(DU * DXU, V_), "differentiate σ(u(x)) = Vx, where u = σ⁻¹(Vx)"),
        Step(sp.Eq(DXZ, DXU + W_), "z = u + Wx + b"),
        Step(sp.Eq(J_, DZ * DXZ), "chain rule for T(x) = σ(z(x))"),
        Step(JACOBIAN, "substitute ∂_x z, then ∂_x u = diag σ′(u)⁻¹ V"),
    )
    return Claim(
        name="layer/jacobian",
        title="Jacobian of a Bregman layer",
        hypotheses=(
            Hypothesis("σ smooth and increasing from its dual domain D onto I, σ′ > 0 on D"),
            Hypothesis("layer T(x) = σ(σ⁻¹(Vx) + Wx + b), V = I or row-stochastic, x ∈ Iⁿ"),
        ),
        statement=JACOBIAN,
        steps=steps,
        symbolic=jacobian_symbolic,
        numeric=tuple(check for pair in _catalogue() for check in jacobian_checks(pair)),
        notes=(
            "The symbolic route holds for any σ. Each numeric search bounds max |J_autodiff − "
            "J_formula| / (1 + max |J|) at x = σ(w) for a random 3-by-3 layer (V = I) and a random "
            "2-by-3 layer (row-stochastic V) of the pair and weight scale named in its row, at the "
            "pair's default parameters, with w in the dual box [−c, c]³ where σ⁻¹(σ(±c)) = ±c "
            "to 1e-9.",
        ),
        prose=JACOBIAN_PROSE,
    )


JACOBIAN_PROSE = (
    "One Bregman layer $T(x)=\\sigma(\\sigma^{-1}(Vx)+Wx+b)$ has the skip $\\sigma^{-1}(Vx)$ "
    "inside the activation. Its Jacobian is stated once for every pair: the derivation uses only "
    "the chain rule and $\\sigma'>0$, and the numeric route checks it on each pair of the "
    "catalogue."
)


@functools.lru_cache(maxsize=32)
def _norm_excess(pair: LegendrePair):
    """‖J(σ(w))‖₂ / bound − 1 for a square layer (V = I); z = (w, W, b, 1/bound) flattened."""

    def excess(z: Array) -> Array:
        w, W, b, inverse = z[:N], z[N : N + N * N].reshape(N, N), z[N + N * N : -1], z[-1]
        J = F.jacobian_at_dual(Layer(W, b, None, pair, "bregman"), w)
        return jnp.linalg.svd(J, compute_uv=False)[0] * inverse - 1.0

    return excess


def layer_bound_checks(pair: LegendrePair) -> tuple[NumericCheck, ...]:
    """The numeric route of the layer bound for ``pair``: ‖J(σ(w))‖₂ / bound − 1 ≤ 0 on random
    square layers (V = I) of three weight scales, bound = `layer_lipschitz_bound` on the box
    σ([−c, c])ⁿ, or on Iⁿ (w searched in [−30, 30]³) for a bounded Legendre pair."""
    c = _dual_half_width(pair)
    with jax.enable_x64(True):
        lo_hi = np.asarray(pair.sigma(jnp.asarray([-c, c], dtype=jnp.float64)))
    box_primal = (
        None if pair.bounded and pair.legendre else (np.full(N, lo_hi[0]), np.full(N, lo_hi[1]))
    )
    ulo, uhi = (-DUAL_CLIP, DUAL_CLIP) if box_primal is None else (-c, c)
    checks = []
    for scale, layer in zip(SCALES, _layers(seed=1), strict=True):
        with jax.enable_x64(True):
            single = Layer(jnp.asarray(layer["W"]), jnp.asarray(layer["b"]), None, pair, "bregman")
        bound = layer_lipschitz_bound(single, box_primal)
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
                description=f"{pair.name}, scale {scale:g}, bound {bound.upper:.4g}",
            )
        )
    return tuple(checks)


def _lemma_route(lemmas: Mapping[str, Result]) -> SymbolicOutcome:
    """The layer bound from its lemmas: the Jacobian theorem and, for every catalogue pair,
    L_σ proved and R_σ proved (or R_σ = +∞ proved trivial: that pair's bound is +∞)."""
    method = "from the lemmas: Jacobian formula, L_σ and R_σ of every pair; triangle inequality"
    missing = [] if _proved(lemmas, "layer/jacobian") else ["layer/jacobian"]
    unbounded = []
    for pair in _catalogue():
        if not _proved(lemmas, f"{pair.name}/lipschitz"):
            missing.append(f"{pair.name}/lipschitz")
        if _unbounded(lemmas, pair):
            unbounded.append(pair.name)
        elif not _proved(lemmas, f"{pair.name}/slope_ratio"):
            missing.append(f"{pair.name}/slope_ratio")
    if missing:
        return inconclusive(method, "lemmas not proved: " + ", ".join(missing))
    infinite = f"; R_σ = +∞ (the bound is +∞) for {', '.join(unbounded)}" if unbounded else ""
    return proved(method, f"all lemmas proved for the {len(_catalogue())} pairs{infinite}")


def _proved(lemmas: Mapping[str, Result], name: str) -> bool:
    return name in lemmas and lemmas[name].status == "proved"


def _unbounded(lemmas: Mapping[str, Result], pair: LegendrePair) -> bool:
    """True when the pair's slope-ratio result is the trivial R_σ = +∞."""
    ratio = lemmas.get(f"{pair.name}/slope_ratio")
    return ratio is not None and ratio.status == "trivial" and ratio.values.get("R") is sp.oo


def layer_bound_claim(lemmas: Mapping[str, Result]) -> Claim:
    """Lip_B(T) ≤ max_i R_σ(Δ_i)‖V‖₂ + L_σ‖W‖₂ on a box B, Δ_i ≥ sup_B |(Wx+b)_i|, for every
    pair (+∞ where R_σ = +∞); checked on random layers of every catalogue pair by grid +
    gradient ascent of ‖J‖₂ in dual coordinates. ``lemmas``: the pair results and the
    Jacobian theorem by name."""
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
            "Theorem on the Jacobian, triangle inequality, ‖diag(a) M‖₂ ≤ max|a_i| ‖M‖₂",
        ),
        Step(
            sp.Le(sp.Symbol(r"\frac{\sigma'(z_i)}{\sigma'(u_i)}"), R(Delta)),
            "z_i − u_i = (Wx+b)_i and |(Wx+b)_i| ≤ Δ_i: definition of R_σ",
        ),
        Step(sp.Le(lip, bound_expr), "σ′ ≤ L_σ"),
    )
    return Claim(
        name="layer/bound",
        title="single-layer Lipschitz bound",
        hypotheses=(
            Hypothesis("(φ, σ) a pair of the catalogue, L_σ and R_σ its constants (table above)"),
            Hypothesis("layer T(x) = σ(σ⁻¹(Vx) + Wx + b), V = I or row-stochastic"),
            Hypothesis("B a box of inputs in the closure of Iⁿ and Δ_i ≥ sup over B of |(Wx+b)_i|"),
        ),
        statement=sp.Le(lip, bound_expr),
        steps=steps,
        symbolic=lambda: _lemma_route(lemmas),
        numeric=tuple(check for pair in _catalogue() for check in layer_bound_checks(pair)),
        notes=(
            "Each numeric search bounds ‖J(σ(w))‖₂ / bound − 1 ≤ 0 for a random 3-by-3 layer "
            "(V = I) of the pair and weight scale named in its row, the bound being "
            "bregmalib.lipschitz.layer_lipschitz_bound on σ([−c, c])ⁿ, or on Iⁿ for a bounded "
            "Legendre pair (w then searched in [−30, 30]³); that function computes the bound for "
            "a user's layer (Δ_i by interval arithmetic).",
            "Where R_σ(Δ) = +∞ for Δ > 0 (sin) the bound is +∞ on the whole domain; "
            "on a box strictly inside the dual domain, bregmalib.lipschitz bounds the slope "
            "quotient directly instead, and that is the bound its numeric route checks.",
        ),
        prose=LAYER_BOUND_PROSE,
        exhibit=constants_table(lemmas) + "\n\n" + SLOPE_FIGURE_LATEX,
        attachments={SLOPE_FIGURE: slope_ratio_figure(lemmas)},
    )


LAYER_BOUND_PROSE = (
    "The Jacobian splits into the skip term $\\operatorname{diag}\\sigma'(z)\\operatorname{diag}"
    "\\sigma'(u)^{-1}V$ and the weight term $\\operatorname{diag}\\sigma'(z)W$. The weight term "
    "costs at most $L_\\sigma\\|W\\|_2$; the skip term costs the slope ratio "
    "$\\sigma'(z_i)/\\sigma'(u_i)$, and since $z_i-u_i=(Wx+b)_i$ it is at most "
    "$R_\\sigma(\\Delta_i)$ whenever $\\Delta_i$ bounds the shift on the box. The theorem is "
    "stated once; Table~\\ref{tab:layer-constants} gives its constants for each pair, each "
    "proved in Chapter~\\ref{chap:activations}, and Figure~\\ref{fig:slope-ratios} plots "
    "$R_\\sigma(\\Delta)$."
)

#: the file name of the figure of R_σ(Δ), attached to the layer bound
SLOPE_FIGURE = "slope-ratios.pdf"
#: the shifts Δ of the figure
SLOPE_DELTAS = np.linspace(0.0, 4.0, 161)
#: the figure's vertical range (R_σ of softplus at β = 1000 leaves it at once)
SLOPE_CEILING = 1e4

SLOPE_FIGURE_LATEX = (
    "\\begin{figure}[ht]\n\\centering\n"
    f"\\includegraphics[width=0.75\\textwidth]{{{SLOPE_FIGURE}}}\n"
    "\\caption{The slope ratio $R_\\sigma(\\Delta)$ of each pair at its default parameters "
    "(Table~\\ref{tab:layer-constants}), on a log scale; \\texttt{sin} ($R_\\sigma=+\\infty$ "
    "for $\\Delta>0$) is not drawn, and a curve leaves the plot where $R_\\sigma$ exceeds "
    "$10^4$.}\n"
    "\\label{fig:slope-ratios}\n\\end{figure}"
)


def _slope_ratio(lemmas: Mapping[str, Result], pair: LegendrePair) -> SlopeRatio:
    """R_σ of ``pair`` at its default parameters, from its slope-ratio result in ``lemmas``."""
    result = lemmas[f"{pair.name}/slope_ratio"]
    expr = pair.substitute(result.values["R"])
    return SlopeRatio(pair, expr, bool(result.values["exact"]), result.status, result)


def constants_table(lemmas: Mapping[str, Result]) -> str:
    """The constants of the layer bound per catalogue pair (parameters symbolic, as proved):
    I, L_σ, R_σ(Δ) (exact, or a certified upper bound) and the results that prove them."""
    rows = [
        "\\begin{table}[ht]\n\\centering\\small",
        "\\begin{tabular}{>{\\raggedright\\arraybackslash}p{2.4cm}lll"
        ">{\\raggedright\\arraybackslash}p{5.4cm}l}",
        "\\toprule pair & $I$ & $L_\\sigma$ & & $R_\\sigma(\\Delta)$ & results \\\\ \\midrule",
    ]
    for pair in _catalogue():
        lip = lemmas[f"{pair.name}/lipschitz"]
        ratio = lemmas[f"{pair.name}/slope_ratio"]
        relation = "=" if ratio.values.get("exact") is sp.true else "\\le"
        refs = ", ".join(f"\\ref{{res:{label(r.name)}}}" for r in (lip, ratio))
        rows.append(
            f"{verbatim(pair.name)} & ${math_(pair.interval)}$ & ${math_(lip.values['L'])}$ & "
            f"${relation}$ & ${math_(ratio.values['R'])}$ & {refs} \\\\"
        )
    rows += [
        "\\bottomrule\n\\end{tabular}",
        "\\caption{The constants of the layer bound (Theorem~\\ref{res:layer-bound}) per pair, "
        "its parameters as symbols (defaults in Section~\\ref{sec:catalogue}); $=$ marks an "
        "exact $R_\\sigma$, $\\le$ a certified upper bound; the last column names the results "
        "of Chapter~\\ref{chap:activations} that prove $L_\\sigma$ and $R_\\sigma$.}",
        "\\label{tab:layer-constants}\n\\end{table}",
    ]
    return "\n".join(rows)


def slope_ratio_figure(lemmas: Mapping[str, Result]) -> bytes:
    """R_σ(Δ) of every pair with a finite slope ratio, log scale, as PDF bytes with no date in
    the metadata (regenerated byte-identically)."""
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.0, 3.8))
    for k, pair in enumerate(_catalogue()):
        if _unbounded(lemmas, pair):
            continue
        values = _slope_ratio(lemmas, pair).numpy(SLOPE_DELTAS)
        shown = np.where(values <= SLOPE_CEILING, values, np.nan)
        ax.plot(SLOPE_DELTAS, shown, color=f"C{k % 10}", label=pair.name)
    ax.set(yscale="log", ylim=(0.9, SLOPE_CEILING))
    ax.set(xlabel=r"$\Delta$", ylabel=r"$R_\sigma(\Delta)$")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="pdf", metadata={"CreationDate": None, "Producer": None})
    plt.close(fig)
    return buffer.getvalue()


def layer_results(lemmas: Mapping[str, Result]) -> list[Result]:
    """The checked layer Jacobian and layer bound, each stated once for every pair;
    ``lemmas`` holds the pair results by name (L_σ and R_σ, from `bregmalib.symbolic`)."""
    jacobian = jacobian_claim().check()
    bound = layer_bound_claim({**lemmas, jacobian.name: jacobian}).check()
    return [jacobian, bound]
