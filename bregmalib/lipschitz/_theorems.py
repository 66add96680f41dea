"""The network-level results of the Lipschitz toolbox, stated for any depth, derived and checked
twice (Frecon, Gasso, Pontil, Salzo, "Bregman Neural Networks", ICML 2022).

A run of layers k..m of a BregmaNet has a mixing V_k at its first layer (V_k = I, or
row-stochastic and possibly non-square) and V = I after it; the runs multiply. With
D_j = diag σ′(u_j), D̃_k = diag σ′(σ⁻¹(V_k x_{k−1})) and the layer Jacobian J_j of
`bregmalib.lipschitz._layer_theorems`:

1. ``network/run_jacobian``: J_m⋯J_k = D_m Π_m (D̃_k⁻¹V_k + W_k) with
   Π_m = Π_{i=m}^{k+1}(I + W_iD_{i−1}), by induction on m (non-commutative symbols);
2. ``network/lipschitz_bound``: the network theorem, ‖J_m⋯J_k‖ ≤ ‖V_k‖[ρ̄_m + Σ_j ρ̄_{j−1}
   d_m‖W_j‖ Π_{i>j}(1 + d_{i−1}‖W_i‖)] + d_m‖W_k‖ Π_{i>k}(1 + d_{i−1}‖W_i‖), the telescoping bound
   that `bregmalib.lipschitz` computes, checked against a gradient-ascent lower bound on random
   networks with non-square layers and row-stochastic V;
3. ``network/telescoping_below_product``: with d_j = L_σ and ρ̄_j ≤ Π_{i≤j} R_σ(Δ_i), the
   telescoping bound is at most the product of the layer bounds Π_k (R_σ(Δ_k)‖V_k‖ + L_σ‖W_k‖),
   for every depth and every V_k;
4. ``standard/theta_nonnegative``: the claim "θ_m equals ‖W_m⋯W₁‖ for entrywise nonnegative
   weights" (Combettes and Pesquet 2020, as read for the LipLT recursion) is refuted; the vertex
   bound is the one that equals the product.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import itertools

import jax
import jax.numpy as jnp
import matplotlib
import numpy as np
import sympy as sp
from jax import Array

import bregmalib.legendre as L
from bregmalib.lipschitz._domain import make_box
from bregmalib.lipschitz._lower import best_lower, lower_bounds
from bregmalib.lipschitz._upper import layer_product, telescoping, upper_bounds
from bregmalib.nn import Network, network_from_arrays
from bregmalib.nn import functional as F
from bregmalib.symbolic import (
    Claim,
    Hypothesis,
    NumericCheck,
    Result,
    Step,
    SymbolicOutcome,
    disproved,
    inconclusive,
    proved,
)

#: explicit depths at which the closed forms are expanded and compared with their recursions
EXPLICIT_DEPTHS = tuple(range(1, 7))

K, M = sp.symbols("k m", integer=True)
I_, J_ = sp.symbols("i j", integer=True)


# ----- 1. the Jacobian of a run of layers, any depth


def _nc(name: str) -> sp.Symbol:
    return sp.Symbol(name, commutative=False)


def _d(i: sp.Expr) -> sp.Symbol:
    return _nc(f"D_{{{sp.latex(i)}}}")


def _w(i: sp.Expr) -> sp.Symbol:
    return _nc(f"W_{{{sp.latex(i)}}}")


def _run(m: sp.Expr) -> sp.Symbol:
    """J_m ⋯ J_k, the Jacobian of the run k..m."""
    return _nc(f"J_{{k:{sp.latex(m)}}}")


def _pi(m: sp.Expr) -> sp.Symbol:
    """Π_m = (I + W_m D_{m−1}) ⋯ (I + W_{k+1} D_k); Π_k = I."""
    return _nc(rf"\Pi_{{{sp.latex(m)}}}")


D_TILDE, V_K = _nc(r"\tilde{D}_{k}"), _nc("V_{k}")
#: the entry factor of a run: D̃_k⁻¹ V_k + W_k
ENTRY = D_TILDE**-1 * V_K + _w(K)


def run_statement(m: sp.Expr) -> sp.Equality:
    """J_m⋯J_k = D_m Π_m (D̃_k⁻¹V_k + W_k)."""
    return sp.Eq(_run(m), _d(m) * _pi(m) * ENTRY)


def _layer(i: sp.Expr) -> sp.Expr:
    """J_i = D_i D_{i−1}⁻¹ + D_i W_i for a layer with V = I."""
    return _d(i) * _d(i - 1) ** -1 + _d(i) * _w(i)


def _zero(expr: sp.Expr) -> bool:
    return sp.expand(expr) == 0


def run_jacobian_route() -> SymbolicOutcome:
    """Induction on m, on non-commutative symbols: the base m = k and the step m → m + 1 of
    `run_statement`, each reduced to an expansion that must vanish."""
    statement = run_statement(M)
    method = "induction on m with non-commutative symbols (SymPy expansion)"
    first = _d(K) * D_TILDE**-1 * V_K + _d(K) * _w(K)
    base = run_statement(K).subs({_run(K): first, _pi(K): 1})
    step_lhs = _layer(M + 1) * statement.rhs
    step_rhs = run_statement(M + 1).rhs.subs(_pi(M + 1), (1 + _w(M + 1) * _d(M)) * _pi(M))
    if _zero(base.lhs - base.rhs) and _zero(step_lhs - step_rhs):
        return proved(
            method,
            r"base: $J_k = D_k(\tilde D_k^{-1} V_k + W_k)$; step: "
            r"$J_{m+1} D_m \Pi_m E = D_{m+1} \Pi_{m+1} E$",
            statement,
        )
    return inconclusive(method, "an expansion did not vanish")


def _row_stochastic(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    logits = rng.normal(size=(rows, cols))
    return np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)


#: the random test networks: (pair, widths, layers with a mixing V ≠ I, weight scale, seed)
NETWORKS = (
    ("tanh", (3, 3, 3, 3), (), 0.8, 0),
    ("sigmoid", (4, 3, 3, 3, 3), (0,), 1.5, 1),
    ("atan", (3, 2, 2, 2, 2, 2), (0, 2), 1.0, 2),
)
#: the inputs of the test networks are searched in σ([−DUAL_HALF_WIDTH, DUAL_HALF_WIDTH])ⁿ
DUAL_HALF_WIDTH = 1.5


@functools.lru_cache(maxsize=8)
def test_network(index: int) -> Network:
    """One of `NETWORKS`: weights N(0, scale²/n), biases N(0, 0.3²), row-stochastic V."""
    name, widths, mixed, scale, seed = NETWORKS[index]
    rng = np.random.default_rng(seed)
    weights, biases, mixings = [], [], []
    for k, (n_in, n_out) in enumerate(itertools.pairwise(widths)):
        weights.append(rng.normal(size=(n_out, n_in)) * scale / np.sqrt(n_in))
        biases.append(rng.normal(size=n_out) * 0.3)
        mixings.append(_row_stochastic(rng, n_out, n_in) if k in mixed else None)
    with jax.enable_x64(True):
        return network_from_arrays(
            weights, biases, L.get(name), "bregman", mixings=mixings, dtype=jnp.float64
        )


def _run_formula(net: Network, t: Array) -> Array:
    """D_m Π_m (D̃_0⁻¹V_0 + W_0) over the runs of ``net``, from the trace of the forward pass."""
    pair = net.pair
    trace = F.forward_trace(net, t)
    total = jnp.eye(net.input_dim, dtype=t.dtype)
    k = 0
    while k < net.depth:
        m = k + 1
        while m < net.depth and net.mixings[m] is None:
            m += 1
        skip = trace[k][0]
        mixing = net.mixings[k]
        v = jnp.eye(skip.shape[0], dtype=t.dtype) if mixing is None else mixing
        run = v / pair.derivative(skip)[:, None] + net.weights[k]
        for i in range(k + 1, m):
            slope_before = pair.derivative(trace[i - 1][1])
            run = (jnp.eye(slope_before.shape[0]) + net.weights[i] * slope_before[None, :]) @ run
        total = (pair.derivative(trace[m - 1][1])[:, None] * run) @ total
        k = m
    return total


def _run_error(index: int):
    net = test_network(index)

    def error(t: Array) -> Array:
        product = F.network_jacobian(net, t)
        return jnp.linalg.norm(product - _run_formula(net, t)) / jnp.linalg.norm(product)

    return error


def _network_description(index: int) -> str:
    name, widths, mixed, scale, _ = NETWORKS[index]
    where = ", ".join(str(k + 1) for k in mixed) if mixed else "none"
    return (
        f"{name} network of widths {'-'.join(map(str, widths))}, weight scale {scale:g}, "
        f"row-stochastic V at layers: {where}"
    )


def _input_box(index: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    n = test_network(index).input_dim
    return (-DUAL_HALF_WIDTH,) * n, (DUAL_HALF_WIDTH,) * n


def _input_names(index: int) -> tuple[str, ...]:
    return tuple(f"t_{i + 1}" for i in range(test_network(index).input_dim))


def run_jacobian_claim() -> Claim:
    """The Jacobian of a run of layers, any depth (unchecked `Claim`)."""
    statement = run_statement(M)
    checks = tuple(
        NumericCheck(
            _run_error(index),
            _input_names(index),
            *_input_box(index),
            tolerance=1e-10,
            starts=4,
            steps=30,
            description="relative error of the run formula against autodiff, "
            + _network_description(index),
        )
        for index in range(len(NETWORKS))
    )
    return Claim(
        name="network/run_jacobian",
        title="the Jacobian of a run of Bregman layers, any depth",
        statement=statement,
        hypotheses=(
            Hypothesis(
                "layers $k..m$ of a BregmaNet, $x_j = \\sigma(\\sigma^{-1}(V_j x_{j-1}) + W_j "
                "x_{j-1} + b_j)$, with $V_j = I$ for $k < j \\le m$ and $V_k = I$ or "
                "row-stochastic (possibly non-square)"
            ),
            Hypothesis(
                "$D_j = \\operatorname{diag}\\sigma'(u_j)$ and $\\tilde D_k = "
                "\\operatorname{diag}\\sigma'(\\sigma^{-1}(V_k x_{k-1}))$, positive"
            ),
            Hypothesis(
                "the layer Jacobian (Theorem on one layer):", sp.Eq(_nc("J_{j}"), _layer(J_))
            ),
        ),
        steps=(
            Step(
                sp.Eq(_run(K), _d(K) * D_TILDE**-1 * V_K + _d(K) * _w(K)),
                "base m = k: the layer Jacobian of layer k, Π_k = I",
            ),
            Step(sp.Eq(_run(M + 1), _layer(M + 1) * _run(M)), "chain rule"),
            Step(
                sp.Eq(_layer(M + 1) * _d(M), _d(M + 1) * (1 + _w(M + 1) * _d(M))),
                "$D_{m+1} D_m^{-1} D_m = D_{m+1}$: the slope ratios telescope",
            ),
            Step(
                sp.Eq(_pi(M + 1), (1 + _w(M + 1) * _d(M)) * _pi(M)),
                "definition of $\\Pi_{m+1}$; the induction hypothesis gives the statement at "
                "$m + 1$",
            ),
        ),
        symbolic=run_jacobian_route,
        numeric=checks,
        notes=(
            "In dual coordinates (V = I) the run is the residual map u ↦ u + Wσ(u) + b composed, "
            "whose Jacobians are the factors $I + W_i D_{i-1}$; only the two ends $D_m$ and "
            "$\\tilde D_k^{-1}$ carry a slope, so one slope ratio $D_j\\tilde D_k^{-1}$ per term "
            "survives the expansion.",
        ),
    )


# ----- 2. the network theorem: the telescoping bound, any depth

A, DS, RHO = sp.IndexedBase("a"), sp.IndexedBase("d"), sp.IndexedBase(r"\bar{\rho}")
R_, NV, LIP = sp.IndexedBase("r"), sp.Symbol(r"v_k", nonnegative=True), sp.Symbol(r"L_\sigma")


def _tail(start: sp.Expr, stop: sp.Expr, slope) -> sp.Expr:
    """Π_{start<i≤stop} (1 + slope(i−1) a_i)."""
    return sp.Product(1 + slope(I_ - 1) * A[I_], (I_, start + 1, stop))


def run_bound(m: sp.Expr, ratio, slope) -> sp.Expr:
    """v_k [ρ_m + Σ_{k<j≤m} ρ_{j−1} d_m a_j Π_{j<i≤m}(1 + d_{i−1}a_i)] + d_m a_k Π_{k<i≤m}(…),
    with ρ = ``ratio(j)`` and d = ``slope(i)``."""
    branches = sp.Sum(ratio(J_ - 1) * slope(m) * A[J_] * _tail(J_, m, slope), (J_, K + 1, m))
    return NV * (ratio(m) + branches) + slope(m) * A[K] * _tail(K, m, slope)


def network_statement() -> sp.Le:
    """‖J_m⋯J_k‖₂ ≤ the telescoping run bound, with per-layer slope bounds d and ratios ρ̄."""
    return sp.Le(sp.Symbol(r"\|J_{k:m}(x)\|_2"), run_bound(M, RHO.__getitem__, DS.__getitem__))


def _expansion_route() -> bool:
    """Π_m = I + Σ_{k<j≤m} Π_m^{(j)} W_j D_{j−1} (Π_m^{(j)} = the factors above j), expanded
    explicitly at every depth of `EXPLICIT_DEPTHS`, on non-commutative symbols."""
    k = 0
    for depth in EXPLICIT_DEPTHS:
        factors = [1 + _w(i) * _d(i - 1) for i in range(k + 1, k + depth + 1)]
        product = sp.Mul(*reversed(factors))
        branches = 1
        for j in range(k + 1, k + depth + 1):
            above = sp.Mul(*reversed(factors[j - k :]))
            branches += above * _w(j) * _d(j - 1)
        if not _zero(product - branches):
            return False
    return True


def network_bound_claim(run_jacobian: Result) -> Claim:
    """The network theorem (telescoping bound), checked against ascent on random networks."""
    statement = network_statement()

    def symbolic() -> SymbolicOutcome:
        method = "run Jacobian (induction) + expansion of Π_m (explicit depths) + norm inequalities"
        if run_jacobian.status != "proved":
            return inconclusive(method, "the run Jacobian is not proved")
        if not _expansion_route():
            return inconclusive(method, "the expansion of Π_m did not hold")
        depths = f"{EXPLICIT_DEPTHS[0]}..{EXPLICIT_DEPTHS[-1]}"
        return proved(
            method,
            f"the expansion of Π_m verified at depths {depths}; the rest is the triangle "
            "inequality and submultiplicativity of the spectral norm",
        )

    checks, notes = [], []
    for index in range(len(NETWORKS)):
        net = test_network(index)
        lo, hi = _input_box(index)
        with jax.enable_x64(True):
            primal = np.asarray(net.pair.sigma(jnp.asarray([lo[0], hi[0]])))
        box = make_box(net, (primal[0], primal[1]))
        upper = telescoping(net, box).value
        product = layer_product(net, box).value
        checks.append(
            NumericCheck(
                _norm_excess(index, upper),
                _input_names(index),
                lo,
                hi,
                tolerance=1e-9,
                starts=8,
                steps=60,
                description=f"‖J(x)‖₂ / bound − 1, bound {upper:.4g}, "
                + _network_description(index),
            )
        )
        notes.append(
            f"{_network_description(index)}: telescoping bound {upper:.4g}, "
            f"product of layer bounds {product:.4g} (bregmalib.lipschitz)."
        )
    d, rho = sp.Symbol("d_m"), sp.Symbol(r"\bar{\rho}_j")
    return Claim(
        name="network/lipschitz_bound",
        title="network theorem: the telescoping bound of an L-layer BregmaNet on a box",
        statement=statement,
        hypotheses=(
            Hypothesis(
                "a BregmaNet $f(x) = Hx_L + c$ of any depth $L$, cut into runs $k..m$ as in the "
                "run Jacobian (widths may change at the first layer of a run)"
            ),
            Hypothesis("$B \\subset \\bar I^n$ a box, $a_j = \\|W_j\\|_2$, $v_k = \\|V_k\\|_2$"),
            Hypothesis("slopes: $d_j \\ge \\sup_{x\\in B}\\max_i \\sigma'(u_{j,i})$"),
            Hypothesis(
                "per-coordinate shift intervals: $\\Delta_{l,i} \\ge \\sup_{x\\in B}"
                "|(W_l x_{l-1} + b_l)_i|$ and $\\bar\\rho_j \\ge \\max_i R_\\sigma"
                "(\\sum_{k\\le l\\le j}\\Delta_{l,i})$, so that "
                "$\\bar\\rho_j \\ge \\|D_j\\tilde D_k^{-1}\\|_2$"
            ),
        ),
        steps=(
            Step(
                sp.Le(sp.Symbol(r"\operatorname{Lip}_B(f)"), sp.Symbol(r"\sup_{x\in B}\|J(x)\|_2")),
                "mean value inequality on the convex box B",
            ),
            Step(
                sp.Le(
                    sp.Symbol(r"\|J(x)\|_2"),
                    sp.Symbol(r"\|H\|_2") * sp.Symbol(r"\prod_{\mathrm{runs}}\|J_{k:m}(x)\|_2"),
                ),
                "the runs multiply (submultiplicativity)",
            ),
            Step(
                sp.Le(sp.Symbol(r"\|D_j \tilde{D}_k^{-1}\|_2"), rho),
                "$u_{j,i} - \\tilde u_{k,i}$ is a sum of shifts, at most "
                "$\\sum_l \\Delta_{l,i}$ in absolute value: definition of R_σ",
            ),
            Step(
                sp.Le(
                    sp.Symbol(r"\|D_m \Pi_m^{(j)}\|_2"),
                    d * sp.Product(1 + DS[I_ - 1] * A[I_], (I_, J_ + 1, M)),
                ),
                "$\\|I + W_i D_{i-1}\\|_2 \\le 1 + d_{i-1} a_i$",
            ),
            Step(
                statement,
                r"expand $\Pi_m = I + \sum_j \Pi_m^{(j)} W_j D_{j-1}$ (induction on m) in the run "
                "Jacobian; triangle inequality term by term",
            ),
        ),
        symbolic=symbolic,
        numeric=tuple(checks),
        notes=tuple(notes),
    )


# ----- the bounds against depth (figure of the network theorem)

#: the figure of the bounds against depth, attached to the network theorem
DEPTH_FIGURE = "network-depth.pdf"
#: its network: (pair, input width, weight scale, seed); width 3 after the first layer, whose
#: mixing V is row-stochastic (the input width is 4)
DEPTH_NETWORK = ("tanh", 4, 1.0, 10)
#: the depths of the figure
DEPTHS = tuple(range(1, 7))
#: the upper bounds of the figure (`bregmalib.lipschitz.upper_bounds` methods)
DEPTH_METHODS = ("layer-product", "telescoping", "dual-theta")

DEPTH_FIGURE_LATEX = (
    "\\begin{figure}[ht]\n\\centering\n"
    f"\\includegraphics[width=0.7\\textwidth]{{{DEPTH_FIGURE}}}\n"
    "\\caption{Upper bounds of \\texttt{bregmalib.lipschitz.upper\\_bounds} (solid) and the "
    "best lower bound of \\texttt{lower\\_bounds} (dashed) on the box "
    f"$\\sigma([-{DUAL_HALF_WIDTH:g},{DUAL_HALF_WIDTH:g}])^n$, for the first $L$ layers of one "
    "fixed-seed \\texttt{tanh} network (weights $N(0,1/n)$, biases $N(0,0.3^2)$; input "
    "width 4 and a row-stochastic $V$ at the first layer, then width 3). The telescoping "
    "bound of the "
    "theorem stays below the product of the layer bounds "
    "(Theorem~\\ref{res:network-telescoping-below-product}).}\n"
    "\\label{fig:network-depth}\n\\end{figure}"
)


def depth_network(depth: int) -> Network:
    """The first ``depth`` layers of `DEPTH_NETWORK` (fixed seed)."""
    name, width, scale, seed = DEPTH_NETWORK
    rng = np.random.default_rng(seed)
    widths = (width,) + (3,) * max(DEPTHS)
    weights, biases, mixings = [], [], []
    for n_in, n_out in itertools.pairwise(widths):
        weights.append(rng.normal(size=(n_out, n_in)) * scale / np.sqrt(n_in))
        biases.append(rng.normal(size=n_out) * 0.3)
        mixings.append(_row_stochastic(rng, n_out, n_in) if n_in != n_out else None)
    with jax.enable_x64(True):
        return network_from_arrays(
            weights[:depth],
            biases[:depth],
            L.get(name),
            "bregman",
            mixings=mixings[:depth],
            dtype=jnp.float64,
        )


def depth_curves() -> dict[str, list[float]]:
    """The upper bounds (`DEPTH_METHODS`) and the best lower bound of `DEPTH_NETWORK` cut at
    every depth of `DEPTHS`, on σ([−c, c])ⁿ with c = `DUAL_HALF_WIDTH`."""
    curves: dict[str, list[float]] = {m: [] for m in (*DEPTH_METHODS, "lower bound")}
    for depth in DEPTHS:
        net = depth_network(depth)
        with jax.enable_x64(True):
            ends = np.asarray(net.pair.sigma(jnp.asarray([-DUAL_HALF_WIDTH, DUAL_HALF_WIDTH])))
            box = make_box(net, (ends[0], ends[1]))
            uppers = upper_bounds(net, box, methods=DEPTH_METHODS)
            lower = best_lower(lower_bounds(net, box))
        for method in DEPTH_METHODS:
            curves[method].append(uppers[method].value)
        curves["lower bound"].append(lower.value)
    return curves


def depth_figure() -> bytes:
    """The bounds against depth as PDF bytes, with no date in the metadata (regenerated
    byte-identically)."""
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.0, 3.6))
    for k, (name, values) in enumerate(depth_curves().items()):
        style = "--" if name == "lower bound" else "-"
        ax.plot(DEPTHS, values, style, marker="o", markersize=3, color=f"C{k}", label=name)
    ax.set(yscale="log", xlabel="depth L", ylabel="Lipschitz constant on the box")
    ax.legend(fontsize=7)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="pdf", metadata={"CreationDate": None, "Producer": None})
    plt.close(fig)
    return buffer.getvalue()


def _norm_excess(index: int, upper: float):
    net = test_network(index)

    def excess(t: Array) -> Array:
        return jnp.linalg.svd(F.network_jacobian(net, t), compute_uv=False)[0] / upper - 1.0

    return excess


# ----- 3. the telescoping bound is never above the product of layer bounds, any depth


def _products(m: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """The telescoping bound with d = L_σ and ρ̄_j = Π_{k≤i≤j} r_i, and the product of layer
    bounds (r_k v_k + L_σ a_k) Π_{k<i≤m}(r_i + L_σ a_i)."""
    telescoped = run_bound(m, lambda j: sp.Product(R_[I_], (I_, K, j)), lambda i: LIP)
    product = (R_[K] * NV + LIP * A[K]) * sp.Product(R_[I_] + LIP * A[I_], (I_, K + 1, m))
    return telescoped, product


def _explicit(expr: sp.Expr, depth: int) -> sp.Expr:
    return sp.expand(expr.subs({K: 0, M: depth - 1}).doit())


def induction_route() -> SymbolicOutcome:
    """The induction of `telescoping_claim`, on scalar symbols: with T the V = I part,
    P_{m+1} − T_{m+1} = (1 + L a)(P_m − T_m) + (r − 1)(P_m − ρ_m) and P_{m+1} − ρ_{m+1} =
    r(P_m − ρ_m) + L a P_m; the entry layer splits off; the closed forms match the recursions
    at every depth of `EXPLICIT_DEPTHS`."""
    method = "induction on the depth (SymPy, scalar norms); closed forms expanded at fixed depths"
    p, t, rho, r, a, lip = sp.symbols("P T rho r a L")
    p_next, rho_next = (r + lip * a) * p, r * rho
    t_next = r * rho + (1 + lip * a) * t - rho
    step = (p_next - t_next) - ((1 + lip * a) * (p - t) + (r - 1) * (p - rho))
    ratio_step = (p_next - rho_next) - (r * (p - rho) + lip * a * p)
    if not (_zero(step) and _zero(ratio_step)):
        return inconclusive(method, "the induction step did not expand to zero")
    telescoped, product = _products(M)
    for depth in EXPLICIT_DEPTHS:
        rs = [R_[i] for i in range(depth)]
        vs = [A[i] for i in range(depth)]
        tail_t, tail_p, tail_rho = sp.Integer(1), sp.Integer(1), sp.Integer(1)
        for i in range(1, depth):
            tail_t = rs[i] * tail_rho + (1 + LIP * vs[i]) * tail_t - tail_rho
            tail_p, tail_rho = (rs[i] + LIP * vs[i]) * tail_p, rs[i] * tail_rho
        ones = sp.Mul(*[1 + LIP * vs[i] for i in range(1, depth)])
        entry_t = NV * rs[0] * tail_t + LIP * vs[0] * ones
        entry_p = (NV * rs[0] + LIP * vs[0]) * tail_p
        if not (
            _zero(_explicit(telescoped, depth) - entry_t)
            and _zero(_explicit(product, depth) - entry_p)
        ):
            return inconclusive(method, f"the closed form differs from the recursion at {depth}")
    return proved(
        method,
        r"$P - T = (1 + La)(P' - T') + (r - 1)(P' - \rho') \ge 0$ by induction (primes: one "
        r"layer less), $P' \ge \rho'$, $r \ge 1$; entry layer: "
        r"$vr_k(P - T) + La_k(P - \Pi(1 + La)) \ge 0$",
        sp.Le(telescoped, product),
    )


#: depth of the numeric search of `telescoping_claim`
SEARCH_DEPTH = 5


def _telescoping_excess(z: Array) -> Array:
    """(T − P)/P for the scalar model at depth `SEARCH_DEPTH`; z = (r_1..r_n, a_1..a_n, v, L)."""
    n = SEARCH_DEPTH
    r, a, v, lip = z[:n], z[n : 2 * n], z[2 * n], z[2 * n + 1]
    rho = jnp.cumprod(r)
    ones = jnp.concatenate([jnp.cumprod((1 + lip * a[1:])[::-1])[::-1], jnp.ones(1)])
    branches = jnp.sum(rho[:-1] * lip * a[1:] * ones[1:])
    telescoped = v * (rho[-1] + branches) + lip * a[0] * ones[0]
    product = (r[0] * v + lip * a[0]) * jnp.prod(r[1:] + lip * a[1:])
    return (telescoped - product) / product


def telescoping_claim() -> Claim:
    """The telescoping bound is at most the product of layer bounds, any depth, any V_k."""
    telescoped, product = _products(M)
    n = SEARCH_DEPTH
    names = (
        *(f"r_{i + 1}" for i in range(n)),
        *(f"a_{i + 1}" for i in range(n)),
        "v",
        "L",
    )
    return Claim(
        name="network/telescoping_below_product",
        title="the telescoping bound is never above the product of the layer bounds",
        statement=sp.Le(telescoped, product),
        hypotheses=(
            Hypothesis(
                "a run $k..m$ as in the network theorem, with $d_j = L_\\sigma = \\sup\\sigma'$"
            ),
            Hypothesis(
                "$r_i = R_\\sigma(\\Delta_i) \\ge 1$, $\\Delta_i$ the largest shift of layer $i$"
            ),
            Hypothesis(
                "$a_i = \\|W_i\\|_2 \\ge 0$, $v_k = \\|V_k\\|_2 \\ge 0$ (any $V_k$, "
                "also non-square)"
            ),
        ),
        steps=(
            Step(
                sp.Le(
                    sp.Function("R_sigma")(sp.Symbol("a") + sp.Symbol("b")),
                    sp.Function("R_sigma")(sp.Symbol("a")) * sp.Function("R_sigma")(sp.Symbol("b")),
                ),
                "σ′(u+a+b)/σ′(u) = [σ′(u+a+b)/σ′(u+a)][σ′(u+a)/σ′(u)]: R_σ is submultiplicative",
            ),
            Step(
                sp.Le(RHO[J_], sp.Product(R_[I_], (I_, K, J_))),
                "R_σ is nondecreasing and submultiplicative",
            ),
            Step(
                sp.Eq(
                    sp.Symbol("P_{m+1} - T_{m+1}"),
                    (1 + LIP * A[M + 1]) * sp.Symbol("(P_{m} - T_{m})")
                    + (R_[M + 1] - 1) * sp.Symbol(r"(P_{m} - \rho_{m})"),
                ),
                "induction step for the V = I part (T_k = P_k = ρ_k = 1); each term is ≥ 0",
            ),
            Step(
                sp.Eq(
                    sp.Symbol("P - T"),
                    NV * R_[K] * sp.Symbol("(P' - T')")
                    + LIP * A[K] * sp.Symbol(r"(P' - \Pi(1 + L_{\sigma} a))"),
                ),
                "the entry layer splits off; P′ ≥ Π(1 + L_σ a_i) since r_i ≥ 1",
            ),
        ),
        symbolic=induction_route,
        numeric=NumericCheck(
            _telescoping_excess,
            names,
            (1.0,) * n + (0.0,) * n + (0.0, 0.05),
            (8.0,) * n + (4.0,) * n + (3.0, 2.0),
            tolerance=1e-12,
            starts=16,
            steps=150,
            description=f"(T − P)/P at depth {n} over r_i ∈ [1, 8], a_i ∈ [0, 4], v ∈ [0, 3], "
            "L_σ ∈ [0.05, 2]",
        ),
        notes=(
            "With per-layer slope bounds d_j < L_σ (as bregmalib.lipschitz computes them) the "
            "two bounds are not ordered in general; the library reports the smaller.",
        ),
    )


# ----- 4. θ for nonnegative weights (refuted)


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
    run_jacobian = run_jacobian_claim().check()
    network_bound = dataclasses.replace(
        network_bound_claim(run_jacobian),
        exhibit=DEPTH_FIGURE_LATEX,
        attachments={DEPTH_FIGURE: depth_figure()},
    )
    return (
        run_jacobian,
        network_bound.check(),
        telescoping_claim().check(),
        theta_nonnegative_claim().check(),
    )


def results() -> list[Result]:
    """The checked network-level results (for ``bregmalib derive``), in a fixed order; the
    network theorem with the figure of the bounds against depth."""
    return list(_results())
