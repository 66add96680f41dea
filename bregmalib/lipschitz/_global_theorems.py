"""The global domain: whether the Lipschitz constant of a Bregman layer on the whole of Iⁿ is
finite, bracketed by the layer bound and by the limit of the Jacobian at the vertices of Iⁿ
(Frecon, Gasso, Pontil, Salzo, "Bregman Neural Networks", ICML 2022).

For T(x) = σ(σ⁻¹(x) + Wx + b) on Iⁿ = (l, h)ⁿ (V = I) and a pair whose σ′ has exponential
rates κ₊ = lim_{u→+∞} (log σ′)′(u), κ₋ = lim_{u→−∞} (log σ′)′(u) and tends to 0 at both ends:

    max_{c ∈ {l,h}ⁿ} max_i exp(κ_{c_i}(Wc + b)_i) ≤ Lip_{Iⁿ}(T) ≤ max_i R_σ(Δ_i) + L_σ‖W‖₂,

with Δ_i = max_{c ∈ {l,h}ⁿ} |(Wc + b)_i| (a linear function on a box is largest at a vertex).
The left side is lim ‖J(x)‖ as x → c along the diagonal: there σ′(u_i + δ_i)/σ′(u_i) →
exp(κ δ_i) and σ′(z_i) → 0, so J(x) → diag exp(κ_{c_i}(Wc + b)_i); it is what the corner search
of `bregmalib.lipschitz._lower` evaluates at t = ±FAR. The right side is the layer bound that
`bregmalib.lipschitz.upper_bounds` computes on the natural box (``layer-product``).

`global_rows` gives the per-pair table (finite or not, why, and the 1-D example w = −2, b = 0:
for tanh the bound e⁴ + 2 and the limit e⁴); `global_result` the checked theorem.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Mapping

import jax
import jax.numpy as jnp
import numpy as np
import sympy as sp
from jax import Array

from bregmalib import legendre
from bregmalib.legendre import LegendrePair, U
from bregmalib.lipschitz._domain import make_box
from bregmalib.lipschitz._upper import layer_product
from bregmalib.nn import Layer, as_network
from bregmalib.nn import functional as F
from bregmalib.symbolic import (
    DELTA,
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
from bregmalib.symbolic._latex import math_, verbatim

#: the 1-D example layer of the table: x ↦ σ(σ⁻¹(x) + w x + b)
EXAMPLE_WEIGHT, EXAMPLE_BIAS = sp.Integer(-2), sp.Integer(0)
#: the random n-D test layers: width, weight scale, seed
TEST_WIDTH, TEST_SCALE, TEST_SEED = 2, 1.0, 7
#: how far out in dual coordinates the limits are approached: exponential and polynomial tails
FAR_EXPONENTIAL, FAR_POLYNOMIAL = 40.0, 1e8
#: the name of the machine-readable copy of the table written by ``bregmalib derive``
TABLE_JSON = "global-domain-table.json"

DELTA_I = sp.Symbol(r"\delta", real=True)


def covered(pair: LegendrePair) -> bool:
    """The theorem's pairs: Legendre on ℝ (σ′ > 0 everywhere) with I bounded."""
    return pair.legendre and pair.bounded


@functools.lru_cache(maxsize=64)
def tail_rate(pair: LegendrePair, end: str) -> sp.Expr:
    """κ_± = lim (log σ′)′(u) = lim σ″(u)/σ′(u) as u tends to the upper (``"+"``) or lower
    (``"-"``) end of the dual domain."""
    slope = pair.substitute(pair.derivative_expr)
    rate = sp.simplify(sp.diff(slope, U) / slope)
    domain = pair.dual_domain
    if end == "+":
        return sp.limit(rate, U, domain.sup, "-")
    return sp.limit(rate, U, domain.inf, "+")


def end_slopes(pair: LegendrePair) -> tuple[sp.Expr, sp.Expr]:
    """σ′ at the upper and lower ends of the dual domain (one-sided limits)."""
    slope = pair.substitute(pair.derivative_expr)
    domain = pair.dual_domain
    return sp.limit(slope, U, domain.sup, "-"), sp.limit(slope, U, domain.inf, "+")


def restricted_ratio_identity() -> tuple[sp.Expr, sp.Expr]:
    """cos(u + δ)/cos u and cos δ − sin δ tan u: the slope quotient of sin, which tends to
    ∓sign(sin δ)·∞ at the ends ±π/2 of its dual domain."""
    return sp.cos(U + DELTA_I) / sp.cos(U), sp.cos(DELTA_I) - sp.sin(DELTA_I) * sp.tan(U)


@dataclasses.dataclass(frozen=True)
class GlobalRow:
    """One pair in the table: its interval, tail rates (κ₊, κ₋; None for a restricted pair),
    R_σ(Δ), the example's bound and limit (None where the theorem says nothing) and the verdict
    on Lip_{Iⁿ}(T) with its reason."""

    pair: str
    interval: sp.Interval
    rates: tuple[sp.Expr, sp.Expr] | None
    ratio: sp.Expr
    bound: sp.Expr
    limit: sp.Expr | None
    verdict: str
    reason: str


def _example_shift(pair: LegendrePair) -> sp.Expr:
    """Δ = sup_{x ∈ I} |w x + b| for the example layer (+∞ when I is unbounded)."""
    ends = (pair.substitute(pair.interval.inf), pair.substitute(pair.interval.sup))
    if not all(e.is_finite for e in ends):
        return sp.oo
    return sp.Max(*(sp.Abs(EXAMPLE_WEIGHT * e + EXAMPLE_BIAS) for e in ends))


def global_row(pair: LegendrePair, ratio: sp.Expr) -> GlobalRow:
    """The table row of ``pair``, with R_σ(Δ) = ``ratio`` (an expression in `DELTA`, possibly in
    the pair's parameters)."""
    lower, upper = pair.substitute(pair.interval.inf), pair.substitute(pair.interval.sup)
    shift = _example_shift(pair)
    lip = pair.substitute(pair.lipschitz_expr)
    value = pair.substitute(ratio)
    finite_ratio = value is not sp.oo and shift is not sp.oo
    bound = value.subs(DELTA, shift) + lip * sp.Abs(EXAMPLE_WEIGHT) if finite_ratio else sp.oo
    interval = pair.interval
    if covered(pair):
        rates = (tail_rate(pair, "+"), tail_rate(pair, "-"))
        limit = sp.Max(
            sp.exp(rates[0] * (EXAMPLE_WEIGHT * upper + EXAMPLE_BIAS)),
            sp.exp(rates[1] * (EXAMPLE_WEIGHT * lower + EXAMPLE_BIAS)),
        )
        reason = "I bounded, so every shift is bounded and R_σ(Δ_i) is finite"
        return GlobalRow(pair.name, interval, rates, ratio, bound, limit, "finite", reason)
    if not pair.legendre:
        delta = EXAMPLE_WEIGHT * upper + EXAMPLE_BIAS
        reason = (
            f"sin(delta) != 0 at delta = {sp.sstr(delta)}: the slope quotient "
            "cos(delta) - sin(delta) tan(u) is unbounded at the end of D"
        )
        return GlobalRow(pair.name, interval, None, ratio, sp.oo, sp.oo, "infinite", reason)
    reason = "I unbounded, so the shifts are unbounded on I^n and the layer bound is +infinity"
    return GlobalRow(pair.name, interval, None, ratio, sp.oo, None, "not decided", reason)


def global_rows(ratios: Mapping[str, sp.Expr]) -> list[GlobalRow]:
    """The rows of every catalogue pair, given each pair's R_σ(Δ) by name (in its parameters)."""
    return [global_row(legendre.get(name), ratios[name]) for name in legendre.names()]


# ----- the table


#: an exact value longer than this (in LaTeX) is shown by its decimal value only
SHORT = 24


def _cell(expr: sp.Expr | None) -> str:
    if expr is None:
        return "--"
    if not expr.is_finite:
        return "$+\\infty$"
    exact = math_(expr)
    if expr.is_Rational:
        return f"${exact}$"
    if len(exact) > SHORT:
        return f"${float(expr):.5g}$"
    return f"${exact} \\approx {float(expr):.5g}$"


def _ratio_cell(ratio: sp.Expr) -> str:
    """R_σ(Δ); a minimum of two closed forms is set on two lines."""
    if ratio is sp.oo:
        return "$+\\infty$"
    if isinstance(ratio, sp.Min):
        first, *rest = (math_(a) for a in ratio.args)
        parts = [f"\\min\\bigl({first},", *(f"\\quad {a}" for a in rest)]
        parts[-1] += "\\bigr)"
        return "$" + "$\\newline $".join(parts) + "$"
    return f"${math_(ratio)}$"


def _rates_cell(row: GlobalRow, index: int) -> str:
    if row.rates is None:
        return "--"
    return f"${math_(sp.exp(row.rates[index] * DELTA_I))}$"


def table_latex(rows: list[GlobalRow]) -> str:
    """The per-pair table: I, A₊(δ) = e^{κ₊δ}, A₋(δ) = e^{κ₋δ}, R_σ(Δ), the example's bound and
    boundary limit, and the verdict."""
    column = r">{\raggedright\arraybackslash}p{%s}"
    widths = ("2.2cm", "1.5cm", "1.1cm", "1.1cm", "3.1cm", "2.4cm", "1.9cm", "1.3cm")
    lines = [
        r"\begin{table}[ht]\centering\footnotesize\setlength{\tabcolsep}{3pt}",
        r"\begin{tabular}{" + "".join(column % w for w in widths) + "}",
        r"\toprule pair & $I$ & $A_+(\delta)$ & $A_-(\delta)$ & $R_\sigma(\Delta)$ & "
        r"bound, $w=-2$ & limit, $w=-2$ & $\operatorname{Lip}_{I^n}$ \\ \midrule",
    ]
    for row in rows:
        ratio = _ratio_cell(row.ratio)
        lines.append(
            f"{verbatim(row.pair)} & ${math_(row.interval)}$ & {_rates_cell(row, 0)} & "
            f"{_rates_cell(row, 1)} & {ratio} & {_cell(row.bound)} & {_cell(row.limit)} & "
            f"{row.verdict} \\\\"
        )
    lines += [
        r"\bottomrule",
        r"\end{tabular}",
        r"\caption{Per pair: the limits $A_\pm(\delta)=e^{\kappa_\pm\delta}$ of the slope "
        r"quotient at the ends of $D$, $R_\sigma(\Delta)$, and for the layer $x\mapsto"
        r"\sigma(\sigma^{-1}(x)-2x)$ on $I$ the layer bound and the boundary limit; last column: "
        r"whether $\operatorname{Lip}_{I^n}(T)$ is finite.}",
        r"\label{tab:global-domain}",
        r"\end{table}",
    ]
    return "\n".join(lines)


def table_json(rows: list[GlobalRow]) -> bytes:
    """The table's numbers (example bound and limit, ±inf as strings) for tests and tools."""

    def value(expr: sp.Expr | None) -> float | str | None:
        if expr is None:
            return None
        return float(expr) if expr.is_finite else "inf"

    data = {
        row.pair: {"bound": value(row.bound), "limit": value(row.limit), "verdict": row.verdict}
        for row in rows
    }
    return (json.dumps(data, indent=1, sort_keys=True) + "\n").encode("ascii")


# ----- numeric routes


def far_point(pair: LegendrePair) -> float:
    """Where the limits are approached in dual coordinates: ±40 for exponential tails (error
    e^{−40|κ|}), ±10⁸ for polynomial ones (error O(10⁻⁸))."""
    exponential = any(tail_rate(pair, end) != 0 for end in "+-")
    return FAR_EXPONENTIAL if exponential else FAR_POLYNOMIAL


def compact_end(far: float) -> float:
    """s_max with tan(π s_max / 2) = ``far``: the searches run over s ∈ [−s_max, s_max]ⁿ with
    t = tan(πs/2), which samples the centre and the tails of the dual domain alike."""
    return float(2.0 / np.pi * np.arctan(far))


@functools.lru_cache(maxsize=16)
def _limit_error(pair: LegendrePair, far: float, rates: tuple[float, float]):
    """max over both ends of |T′(σ(±far)) / exp(κ_±(w·end + b)) − 1| for the 1-D layer (w, b)."""
    ends = (pair.upper, pair.lower)

    def error(z: Array) -> Array:
        layer = Layer(z[:1].reshape(1, 1), z[1:], None, pair, "bregman")
        worst = jnp.asarray(0.0, z.dtype)
        for sign, end, rate in zip((1.0, -1.0), ends, rates, strict=True):
            slope = F.jacobian_at_dual(layer, jnp.full(1, sign * far, z.dtype))[0, 0]
            limit = jnp.exp(rate * (z[0] * end + z[1]))
            worst = jnp.maximum(worst, jnp.abs(slope / limit - 1.0))
        return worst

    return error


def test_layer(pair: LegendrePair) -> Layer:
    """The random n-D test layer of ``pair`` (weights N(0, scale²/n), biases N(0, 0.3²))."""
    rng = np.random.default_rng(TEST_SEED)
    n = TEST_WIDTH
    with jax.enable_x64(True):
        weight = jnp.asarray(rng.normal(size=(n, n)) * TEST_SCALE / np.sqrt(n))
        bias = jnp.asarray(rng.normal(size=n) * 0.3)
        return Layer(weight, bias, None, pair, "bregman")


def vertex_limit(pair: LegendrePair, layer: Layer) -> float:
    """max_{c ∈ {l,h}ⁿ} max_i exp(κ_{c_i}(Wc + b)_i), the left side of the theorem."""
    w, b = np.asarray(layer.weight), np.asarray(layer.bias)
    rates = {pair.upper: float(tail_rate(pair, "+")), pair.lower: float(tail_rate(pair, "-"))}
    n = w.shape[1]
    best = 0.0
    for bits in range(2**n):
        c = np.array([pair.upper if bits >> j & 1 else pair.lower for j in range(n)])
        shifts = w @ c + b
        best = max(best, *(np.exp(rates[c[i]] * shifts[i]) for i in range(n)))
    return float(best)


def layer_bound(pair: LegendrePair, layer: Layer) -> float:
    """The right side on Iⁿ, from `bregmalib.lipschitz.upper_bounds` (``layer-product``)."""
    net = as_network(layer)
    return layer_product(net, make_box(net, None)).value


@functools.lru_cache(maxsize=16)
def _norm(pair: LegendrePair, scale: float):
    """‖J(σ(t))‖₂ · scale for the test layer, t in dual coordinates."""
    layer = test_layer(pair)

    def norm(s: Array) -> Array:
        t = jnp.tan(jnp.pi / 2 * s)
        return jnp.linalg.svd(F.jacobian_at_dual(layer, t), compute_uv=False)[0] * scale

    return norm


def _excess(pair: LegendrePair, bound: float):
    norm = _norm(pair, 1.0 / bound)

    def excess(s: Array) -> Array:
        return norm(s) - 1.0

    return excess


def _checks(pair: LegendrePair) -> tuple[NumericCheck, ...]:
    far = far_point(pair)
    rates = (float(tail_rate(pair, "+")), float(tail_rate(pair, "-")))
    layer = test_layer(pair)
    lower, upper = vertex_limit(pair, layer), layer_bound(pair, layer)
    names = tuple(f"s_{i + 1}" for i in range(TEST_WIDTH))
    end = compact_end(far)
    box = ((-end,) * TEST_WIDTH, (end,) * TEST_WIDTH)
    where = f"{pair.name}, random {TEST_WIDTH}-by-{TEST_WIDTH} layer, t = tan(πs/2)"
    return (
        NumericCheck(
            _limit_error(pair, far, rates),
            ("w", "b"),
            (-3.0, -1.0),
            (3.0, 1.0),
            tolerance=1e-6,
            starts=4,
            steps=30,
            description=f"{pair.name}, 1-D layers: "
            rf"$|T'(\sigma(\pm{far:g}))\,/\,e^{{\kappa_\pm(w\cdot\mathrm{{end}} + b)}} - 1|$",
        ),
        NumericCheck(
            _excess(pair, upper),
            names,
            *box,
            tolerance=1e-9,
            starts=8,
            steps=60,
            description=f"{where}: ‖J(σ(t))‖₂ / bound − 1, bound {upper:.4g}",
        ),
        NumericCheck(
            _excess(pair, lower),
            names,
            *box,
            tolerance=1e-6,
            starts=8,
            steps=60,
            kind="attained",
            description=f"{where}: ‖J(σ(t))‖₂ / limit − 1, vertex limit {lower:.4g}",
        ),
    )


# ----- the theorem


LIP = sp.Symbol(r"\operatorname{Lip}_{I^n}(T)")
VERTEX_LIMIT = sp.Symbol(r"\max_{c\in\{l,h\}^n}\max_i e^{\kappa_{c_i}(Wc+b)_i}")
LAYER_BOUND = sp.Symbol(r"{\max_{i} R_{\sigma}(\Delta_{i}) + L_{\sigma}\|W\|_{2}}")
STATEMENT = sp.And(sp.Le(VERTEX_LIMIT, LIP), sp.Le(LIP, LAYER_BOUND))


def _symbolic_route(rows: list[GlobalRow], lemmas: Mapping[str, Result]) -> SymbolicOutcome:
    method = "one-sided limits of σ′ and (log σ′)′ (SymPy), the layer-bound lemmas"
    for row in rows:
        pair = legendre.get(row.pair)
        if covered(pair):
            if any(s != 0 for s in end_slopes(pair)):
                return inconclusive(method, f"{row.pair}: sigma' does not vanish at an end")
            if row.rates is None or not all(r.is_finite for r in row.rates):
                return inconclusive(method, f"{row.pair}: a tail rate is not finite")
            if lemmas["layer/bound"].status != "proved":
                return inconclusive(method, f"{row.pair}: the layer bound is not proved")
            if sp.Le(row.limit, row.bound) is not sp.true:
                return inconclusive(method, f"{row.pair}: example limit above its bound")
        elif not pair.legendre and not equal(*restricted_ratio_identity()):
            return inconclusive(method, f"{row.pair}: the slope-quotient identity failed")
    count = sum(covered(legendre.get(r.pair)) for r in rows)
    return proved(
        method,
        f"for the {count} pairs with I bounded: σ′ → 0 at both ends, finite rates "
        r"$\kappa_+$, $\kappa_-$, layer bound proved, example limit ≤ example bound",
    )


PROSE = (
    "Near a face of the cube $I^n$ the skip "
    "quotient $\\sigma'(u_i+\\delta_i)/\\sigma'(u_i)$ is a ratio of two vanishing slopes. "
    "Whether the Lipschitz constant on $I^n$ is finite is decided by two numbers of the pair. "
    "The first is the exponential rate $\\kappa_\\pm=\\lim_{u\\to\\pm\\infty}(\\log\\sigma')'(u)$ "
    "of the slope's tails: writing $\\log\\sigma'(u+\\delta)-\\log\\sigma'(u)$ as the integral "
    "of $(\\log\\sigma')'$ over $[u,u+\\delta]$ shows that the quotient tends to "
    "$A_\\pm(\\delta)=e^{\\kappa_\\pm\\delta}$, so at a vertex $c$ of the cube the Jacobian "
    "tends to the diagonal matrix of these limits. The second is whether $I$ is bounded: then "
    "every shift $(Wx+b)_i$ is bounded on $I^n$ and the layer bound of "
    "Chapter~\\ref{chap:layer-bounds} is finite. Table~\\ref{tab:global-domain} gives both "
    "for every pair and evaluates them on the one-dimensional layer $w=-2$, $b=0$; the "
    "column bound is what "
    "\\texttt{bregmalib.lipschitz.upper\\_bounds} returns on the natural domain and the column "
    "limit what the corner search of \\texttt{bregmalib.lipschitz.lower\\_bounds} evaluates "
    "(a test compares them). For the pairs with an unbounded interval the layer bound is "
    "$+\\infty$ and this theorem decides nothing; for the restricted pair \\texttt{sin} the "
    "quotient $\\cos(u+\\delta)/\\cos u=\\cos\\delta-\\sin\\delta\\tan u$ is unbounded at "
    "the ends of its dual domain, so its constant on $I^n$ is infinite."
)


def global_claim(ratios: Mapping[str, sp.Expr], lemmas: Mapping[str, Result]) -> Claim:
    """The bracket of Lip_{Iⁿ}(T) for every pair with I bounded (unchecked `Claim`), with the
    per-pair table as its exhibit."""
    rows = global_rows(ratios)
    pairs = [legendre.get(name) for name in legendre.names()]
    checks = tuple(check for pair in pairs if covered(pair) for check in _checks(pair))
    tanh = next(r for r in rows if r.pair == "tanh")
    return Claim(
        name="global/layer_bracket",
        title="the Lipschitz constant of a Bregman layer on the whole cube",
        statement=STATEMENT,
        hypotheses=(
            Hypothesis(
                "$(\\varphi,\\sigma)$ a Legendre pair with $D=\\mathbb{R}$, $I=(l,h)$ bounded, "
                "$\\sigma'(u)\\to 0$ as $u\\to\\pm\\infty$"
            ),
            Hypothesis(
                "the tail rates exist and are finite: "
                "$\\kappa_\\pm=\\lim_{u\\to\\pm\\infty}(\\log\\sigma')'(u)$; "
                "$\\kappa_{c_i}$ is $\\kappa_+$ when $c_i=h$ and $\\kappa_-$ when $c_i=l$"
            ),
            Hypothesis(
                "$T(x)=\\sigma(\\sigma^{-1}(x)+Wx+b)$ on $I^n$, $W$ square, "
                "$\\Delta_i=\\max_{c\\in\\{l,h\\}^n}|(Wc+b)_i|$"
            ),
        ),
        steps=(
            Step(
                sp.Le(LIP, LAYER_BOUND),
                "the layer bound (Chapter on layer bounds) on the box B, the closure of $I^n$, "
                "where $\\sup_B|(Wx+b)_i|$ is reached at a vertex",
            ),
            Step(
                sp.Eq(
                    sp.Symbol(r"\lim_{u\to\pm\infty}\sigma'(u+\delta)/\sigma'(u)"),
                    sp.exp(sp.Symbol(r"\kappa_\pm") * DELTA_I),
                ),
                "log σ′(u+δ) − log σ′(u) = ∫ (log σ′)′ over [u, u+δ], and (log σ′)′ → κ_± "
                "uniformly on that interval",
            ),
            Step(
                sp.Eq(
                    sp.Symbol(r"\lim_{x\to c}J(x)"),
                    sp.Symbol(r"\operatorname{diag}_i e^{\kappa_{c_i}(Wc+b)_i}"),
                ),
                "J = diag(σ′(z)/σ′(u)) + diag σ′(z) W with z − u = Wx + b → Wc + b, "
                "and σ′(z_i) → 0",
            ),
            Step(
                sp.Le(VERTEX_LIMIT, LIP),
                "Lip ≥ ‖J(x)‖₂ at every x, and ‖J‖₂ is continuous: pass to the limit "
                "at each vertex",
            ),
        ),
        symbolic=lambda: _symbolic_route(rows, lemmas),
        numeric=checks,
        notes=(
            f"Example (the issue's): tanh, $w = -2$, $b = 0$: bound ${math_(tanh.bound)}$, "
            f"boundary limit ${math_(tanh.limit)}$.",
        ),
        values={"tanh_bound": tanh.bound, "tanh_limit": tanh.limit},
        prose=PROSE,
        exhibit=table_latex(rows),
        attachments={TABLE_JSON: table_json(rows)},
    )


def global_results(lemmas: Mapping[str, Result]) -> list[Result]:
    """The checked results of the global domain, from the pair results (R_σ, layer bounds)."""
    ratios = {name: lemmas[f"{name}/slope_ratio"].values["R"] for name in legendre.names()}
    return [global_claim(ratios, lemmas).check()]
