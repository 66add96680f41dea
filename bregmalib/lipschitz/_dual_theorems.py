"""Dual coordinates: the theorem behind the ``dual-theta`` bound of `bregmalib.lipschitz`
(Frecon, Gasso, Pontil, Salzo, ICML 2022; θ recursion of Combettes and Pesquet, SIAM J. Math.
Data Sci. 2020).

1. ``network/dual_conjugacy``: on a run k..m with V_k = I, the map u_{k−1} ↦ u_m is the
   residual network R(u) with steps u ↦ u + W_iσ(u) + b_i, and the primal run is σ ∘ R ∘ σ⁻¹, so
   J_{k:m}(x) = D_m J_R(u_{k−1}) D̃_k⁻¹ with J_R = Π_m (I + W_k D̃_k). Hence
   Lip_B(f) ≤ sup_B ‖D_m‖ · Lip(R) · sup_B ‖D̃_k⁻¹‖: the residual network's constant transfers
   to the primal map with the two end slopes, of which the last (σ⁻¹)′ is unbounded at ∂I.
2. ``network/dual_theta_bound``: what ``dual-theta`` computes instead. The expansion of
   Π_m moves D̃_k⁻¹ next to a slope, J_{k:m} = ρ_m V_k + Σ_{k<j≤m} T_j W_j ρ_{j−1} V_k + T_k W_k
   with ρ_j = D_j D̃_k⁻¹ and T_j = D_m Π_{j<i≤m}(I + W_i D_{i−1}), so
   ‖J_{k:m}‖₂ ≤ v_k(max ρ̄_m + Σ_j θ_j) + θ_k, θ_j the θ recursion over the slope boxes of the
   factors I + W_i D_{i−1} and D_m (each slope D = M + R·E, ‖E‖ ≤ 1).
3. ``network/group_dual_theta_bound``: the per-input-group version (the Lipschitz star of
   Gupta, Kaakai, Pesquet-Popescu, Pesquet and Malliaros, Front. Signal Process. 2022): the
   constant with respect to a group g of inputs, the others fixed, is sup_B ‖J(x)P_g‖, and the
   dual-θ bound of the first run holds for J_{1:m}P_g with the columns of W_1 (and V_1) outside
   g set to zero; with V_1 = I the projection stays inside every term. This is what
   ``dual-theta`` computes with ``columns`` (`bregmalib.lipschitz.lipschitz_star`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import sympy as sp
from jax import Array

from bregmalib.lipschitz import _theorems as T
from bregmalib.lipschitz._domain import make_box
from bregmalib.lipschitz._upper import dual_theta, layer_product, telescoping
from bregmalib.nn import Network
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

K, M, J_ = T.K, T.M, T.J_
J_R = T._nc(r"J_{R}")
#: J_R = Π_m (I + W_k D̃_k), the Jacobian of the residual map u_{k−1} ↦ u_m
RESIDUAL_JACOBIAN = T._pi(M) * (1 + T._w(K) * T.D_TILDE)
CONJUGACY = sp.Eq(T._run(M), T._d(M) * J_R * T.D_TILDE**-1)


def conjugacy_route() -> SymbolicOutcome:
    """J_{k:m} (the run Jacobian with V_k = I) minus D_m J_R D̃_k⁻¹, on non-commutative
    symbols, expands to 0; the run Jacobian itself is proved by induction
    (`T.run_jacobian_route`)."""
    method = "run Jacobian (induction) with V_k = I, then expansion on non-commutative symbols"
    if T.run_jacobian_route().verdict != "proved":
        return inconclusive(method, "the run Jacobian is not proved")
    run = T.run_statement(M).rhs.subs(T.V_K, 1)
    if T._zero(run - T._d(M) * RESIDUAL_JACOBIAN * T.D_TILDE**-1):
        detail = r"$D_m\Pi_m(I + W_k\tilde D_k)\tilde D_k^{-1} = D_m\Pi_m(\tilde D_k^{-1} + W_k)$"
        return proved(method, detail, CONJUGACY)
    return inconclusive(method, "the expansion did not vanish")


#: the test network of `T.NETWORKS` with V = I at every layer (tanh, widths 3-3-3-3)
CONJUGACY_NETWORK = 0


def _dual_map(net: Network):
    def run(u: Array) -> Array:
        for layer in net.layers:
            u = F.dual_forward(layer, u)
        return u

    return run


@functools.lru_cache(maxsize=4)
def _conjugacy_error(index: int):
    net = T.test_network(index)
    pair = net.pair
    dual = _dual_map(net)

    def error(t: Array) -> Array:
        primal = F.network_jacobian(net, t)
        residual = jax.jacfwd(dual)(t)
        formula = pair.derivative(dual(t))[:, None] * residual / pair.derivative(t)[None, :]
        return jnp.linalg.norm(primal - formula) / jnp.linalg.norm(primal)

    return error


def conjugacy_claim() -> Claim:
    """The conjugacy f = σ ∘ R ∘ σ⁻¹ on a run with V_k = I, as a Jacobian identity."""
    index = CONJUGACY_NETWORK
    return Claim(
        name="network/dual_conjugacy",
        title="in dual coordinates a run of Bregman layers is a residual network",
        statement=CONJUGACY,
        hypotheses=(
            Hypothesis(
                "layers $k..m$ of a BregmaNet with $V_j=I$ for $k\\le j\\le m$; "
                "$u_j=\\sigma^{-1}(x_j)$, $\\tilde D_k=\\operatorname{diag}\\sigma'(u_{k-1})$, "
                "$D_j=\\operatorname{diag}\\sigma'(u_j)$"
            ),
            Hypothesis(
                "$R$ the residual network $u\\mapsto u+W_i\\sigma(u)+b_i$, $i=k..m$, from "
                "$u_{k-1}$ to $u_m$, with Jacobian",
                sp.Eq(J_R, RESIDUAL_JACOBIAN),
            ),
        ),
        steps=(
            Step(
                sp.Eq(sp.Symbol(r"u_{j}"), sp.Symbol(r"u_{j-1} + W_{j}\sigma(u_{j-1}) + b_{j}")),
                "$\\sigma^{-1}(x_j) = \\sigma^{-1}(x_{j-1}) + W_j x_{j-1} + b_j$ with "
                "$x_{j-1} = \\sigma(u_{j-1})$",
            ),
            Step(
                sp.Eq(sp.Symbol(r"x_{m}"), sp.Symbol(r"\sigma(R(\sigma^{-1}(x_{k-1})))")),
                "compose the steps: the primal run is σ ∘ R ∘ σ⁻¹",
            ),
            Step(
                CONJUGACY,
                "chain rule: $(\\sigma^{-1})'(x_{k-1}) = \\tilde D_k^{-1}$ and "
                "$\\sigma'(u_m) = D_m$",
            ),
            Step(
                sp.Le(
                    sp.Symbol(r"\operatorname{Lip}_B(f)"),
                    sp.Symbol(r"\sup_{B}\|D_{m}\|_{2}")
                    * sp.Symbol(r"\operatorname{Lip}_{\sigma^{-1}(B)}(R)")
                    * sp.Symbol(r"\sup_{B}\|\tilde{D}_{k}^{-1}\|_{2}"),
                ),
                "submultiplicativity and the mean value inequality on the convex sets B and "
                "$\\sigma^{-1}(B)$; $\\operatorname{Lip}(R) \\le \\prod_i (1 + d_{i-1}"
                "\\|W_i\\|_2)$ as for any residual network",
            ),
        ),
        symbolic=conjugacy_route,
        numeric=NumericCheck(
            _conjugacy_error(index),
            T._input_names(index),
            *T._input_box(index),
            tolerance=1e-10,
            starts=4,
            steps=30,
            description=r"relative error of $D_m J_R \tilde D_k^{-1}$ ($J_R$ by autodiff of the "
            "dual map) against the primal Jacobian, " + T._network_description(index),
        ),
        notes=(
            "The last factor is sup over B of (σ⁻¹)′, which is +∞ on the whole of Iⁿ: the "
            "transfer alone gives no global bound. The dual-θ bound below moves "
            "$\\tilde D_k^{-1}$ next to a slope $D_j$, where the quotient "
            "$D_j\\tilde D_k^{-1}$ is bounded by R_σ.",
        ),
        prose=CONJUGACY_PROSE,
    )


CONJUGACY_PROSE = (
    "Dual coordinates $u=\\sigma^{-1}(x)$ turn a Bregman layer with $V=I$ into the residual "
    "step $u\\mapsto u+W\\sigma(u)+b$, so a run of such layers is, up to the change of "
    "coordinates at its two ends, a residual network whose branches are $W_i\\sigma$. The "
    "Lipschitz constant of that residual network is bounded as for any ResNet "
    "\\citep{behrmann2019iresnet}, and it transfers to the primal map through the slopes at the "
    "two ends."
)


# ----- 2. the dual-θ bound


def theta_unrolling_route(depths: tuple[int, ...] = T.EXPLICIT_DEPTHS) -> bool:
    """Y F_m⋯F_1 X = Y C_m⋯C_1 X + Σ_i Y C_m⋯C_(i+1) A_i E_i B_i F_(i−1)⋯F_1 X with
    F_i = C_i + A_i E_i B_i, on non-commutative symbols, at every depth of ``depths``: the
    identity the θ recursion bounds term by term."""
    y, x = T._nc("Y"), T._nc("X")
    for depth in depths:
        c = [T._nc(f"C_{{{i}}}") for i in range(1, depth + 1)]
        a = [T._nc(f"A_{{{i}}}") for i in range(1, depth + 1)]
        e = [T._nc(f"E_{{{i}}}") for i in range(1, depth + 1)]
        b = [T._nc(f"B_{{{i}}}") for i in range(1, depth + 1)]
        f = [c[i] + a[i] * e[i] * b[i] for i in range(depth)]
        product = y * sp.Mul(*reversed(f)) * x
        unrolled = y * sp.Mul(*reversed(c)) * x
        for i in range(depth):
            above = sp.Mul(*reversed(c[i + 1 :]))
            below = sp.Mul(*reversed(f[:i]))
            unrolled += y * above * a[i] * e[i] * b[i] * below * x
        if not T._zero(product - unrolled):
            return False
    return True


THETA = sp.IndexedBase(r"\theta")
RHO_MAX = sp.Symbol(r"\bar{\rho}_{m}")
DUAL_THETA = sp.Le(
    sp.Symbol(r"\|J_{k:m}(x)\|_2"),
    T.NV * (RHO_MAX + sp.Sum(THETA[J_], (J_, K + 1, M))) + THETA[K],
)


def dual_theta_claim() -> Claim:
    """The dual-θ bound, checked against ascent of ‖J‖ on the test networks of `T.NETWORKS`."""

    def symbolic() -> SymbolicOutcome:
        method = (
            "run Jacobian (induction), expansion of Π_m and unrolling of the θ recursion "
            "(non-commutative symbols, explicit depths) + norm inequalities"
        )
        if T.run_jacobian_route().verdict != "proved":
            return inconclusive(method, "the run Jacobian is not proved")
        if not (T._expansion_route() and theta_unrolling_route()):
            return inconclusive(method, "an expansion did not hold")
        depths = f"{T.EXPLICIT_DEPTHS[0]}..{T.EXPLICIT_DEPTHS[-1]}"
        return proved(
            method,
            f"the expansions verified at depths {depths}; the rest is the triangle inequality, "
            "submultiplicativity and "
            r"$\|\operatorname{diag}(\rho)X\|_2 \le \|\operatorname{diag}(\bar\rho)X\|_2$ "
            r"for $0 \le \rho \le \bar\rho$",
        )

    checks, notes = [], []
    for index in range(len(T.NETWORKS)):
        net = T.test_network(index)
        lo, hi = T._input_box(index)
        with jax.enable_x64(True):
            primal = np.asarray(net.pair.sigma(jnp.asarray([lo[0], hi[0]])))
        box = make_box(net, (primal[0], primal[1]))
        bound = dual_theta(net, box).value
        checks.append(
            NumericCheck(
                T._norm_excess(index, bound),
                T._input_names(index),
                lo,
                hi,
                tolerance=1e-9,
                starts=8,
                steps=60,
                description=f"‖J(x)‖₂ / bound − 1, dual-θ bound {bound:.4g}, "
                + T._network_description(index),
            )
        )
        notes.append(
            f"{T._network_description(index)}: dual-θ {bound:.4g}, telescoping "
            f"{telescoping(net, box).value:.4g}, product of layer bounds "
            f"{layer_product(net, box).value:.4g} (bregmalib.lipschitz)."
        )
    return Claim(
        name="network/dual_theta_bound",
        title="the dual-theta bound: the residual network's theta recursion, one ratio per term",
        statement=DUAL_THETA,
        hypotheses=(
            Hypothesis(
                "a run $k..m$ as in the network theorem ($V_k=I$ or row-stochastic, "
                "$v_k=\\|V_k\\|_2$), slopes $D_j=M_j+R_jE_j$ with $M_j,R_j$ the midpoints and "
                "radii of the slope intervals on $B$ and $\\|E_j\\|_2\\le 1$"
            ),
            Hypothesis(
                "$\\bar\\rho_{j}\\ge D_j\\tilde D_k^{-1}$ elementwise on $B$ (from $R_\\sigma$ of "
                "the summed shifts) and $\\bar\\rho_m=\\max_i\\bar\\rho_{m,i}$"
            ),
            Hypothesis(
                "$\\theta_j\\ge\\sup_E\\|D_m\\prod_{j<i\\le m}(I+W_iD_{i-1})W_j"
                "\\operatorname{diag}\\bar\\rho_{j-1}\\|_2$ for $j>k$ and $\\theta_k$ the same "
                "with $W_k$ alone: the values of the $\\theta$ recursion of Combettes and "
                "Pesquet over the factors $(I+W_iM_{i-1})+W_iR_{i-1}E$ and $M_m+R_mE$"
            ),
        ),
        steps=(
            Step(
                sp.Eq(
                    T._run(M),
                    T._nc(r"\rho_{m}") * T.V_K
                    + sp.Sum(T._nc(r"T_{j}") * T._w(J_) * T._nc(r"\rho_{j-1}"), (J_, K + 1, M))
                    * T.V_K
                    + T._nc(r"T_{k}") * T._w(K),
                ),
                r"run Jacobian, then $\Pi_m = I + \sum_j \Pi_m^{(j)} W_j D_{j-1}$: each term "
                "keeps one quotient $\\rho_j = D_j\\tilde D_k^{-1}$",
            ),
            Step(
                sp.Le(
                    sp.Symbol(r"\|T_{j}W_{j}\rho_{j-1}\|_{2}"),
                    sp.Symbol(r"\|T_{j}W_{j}\operatorname{diag}\bar{\rho}_{j-1}\|_{2}"),
                ),
                "$\\operatorname{diag}\\rho = \\operatorname{diag}\\bar\\rho\\,"
                "\\operatorname{diag}(\\rho/\\bar\\rho)$ with $0 \\le \\rho/\\bar\\rho \\le 1$",
            ),
            Step(
                sp.Le(
                    sp.Symbol(r"\|Y F_{m}\cdots F_{1} X\|_{2}"),
                    sp.Symbol(r"\varphi_{m+1}"),
                ),
                "unroll $F_i = C_i + A_i E_i B_i$ and bound term by term: $\\varphi_j = "
                "\\|B_j C_{j-1}\\cdots C_1 X\\| + \\sum_{i<j} \\|B_j C_{j-1}\\cdots C_{i+1} A_i\\| "
                "\\varphi_i$, the $\\theta$ recursion",
            ),
            Step(DUAL_THETA, "triangle inequality over the terms of the expansion"),
        ),
        symbolic=symbolic,
        numeric=tuple(checks),
        notes=tuple(notes),
        prose=DUAL_THETA_PROSE,
    )


DUAL_THETA_PROSE = (
    "The transfer above multiplies the end slope $\\sigma'(u_m)$ and the unbounded "
    "$(\\sigma^{-1})'$ separately. The bound that \\texttt{bregmalib.lipschitz} calls "
    "\\texttt{dual-theta} keeps them together: expanding the product of the residual factors "
    "puts $\\tilde D_k^{-1}$ next to one slope $D_j$ in every term, and the remaining product "
    "of residual factors is bounded by the $\\theta$ recursion of Combettes and Pesquet "
    "\\citep{combettes2020lipschitz}, which works with products of weight matrices instead "
    "of products of their norms."
)


# ----- 3. per input group: the Lipschitz star

#: a partition of the inputs of each test network of `T.NETWORKS` into groups (0-based)
GROUPS = (((0,), (1, 2)), ((0, 1), (2, 3)), ((0, 1), (2,)))
P_G = T._nc("P_{g}")
GROUP_RUN = sp.Eq(
    T._run(M) * P_G, T._d(M) * T._pi(M) * (T.D_TILDE**-1 * (T.V_K * P_G) + T._w(K) * P_G)
)
THETA_G = sp.IndexedBase(r"\theta^{(g)}")
GROUP_DUAL_THETA = sp.Le(
    sp.Symbol(r"\|J_{k:m}(x)P_g\|_2"),
    sp.Symbol("v_g", nonnegative=True)
    * (sp.Symbol(r"\bar{\rho}^{(g)}_{m}") + sp.Sum(THETA_G[J_], (J_, K + 1, M)))
    + THETA_G[K],
)


def group_mask(net: Network, group: tuple[int, ...]) -> np.ndarray:
    """The diagonal of P_g: 1 on the inputs of ``group``, 0 elsewhere (``columns``)."""
    mask = np.zeros(net.input_dim)
    mask[list(group)] = 1.0
    return mask


def group_restriction_route() -> bool:
    """J_{k:m}P_g = D_m Π_m (D̃_k⁻¹(V_kP_g) + W_kP_g) on non-commutative symbols: the group's
    projection acts on the entry factor only."""
    return T._zero(T.run_statement(M).rhs * P_G - GROUP_RUN.rhs)


def group_bound(index: int, group: tuple[int, ...]) -> float:
    """``dual-theta`` of test network ``index`` on its box with ``columns`` = P_g."""
    net = T.test_network(index)
    lo, hi = T._input_box(index)
    with jax.enable_x64(True):
        primal = np.asarray(net.pair.sigma(jnp.asarray([lo[0], hi[0]])))
    box = make_box(net, (primal[0], primal[1]))
    return dual_theta(net, box, group_mask(net, group)).value


def _group_excess(index: int, group: tuple[int, ...], upper: float) -> Callable[[Array], Array]:
    net = T.test_network(index)
    mask = jnp.asarray(group_mask(net, group))

    def excess(t: Array) -> Array:
        product = F.network_jacobian(net, t, columns=mask.astype(t.dtype))
        return jnp.linalg.svd(product, compute_uv=False)[0] / upper - 1.0

    return excess


def _group_name(group: tuple[int, ...]) -> str:
    return "{" + ", ".join(str(i + 1) for i in group) + "}"


def group_claim() -> Claim:
    """The per-group dual-θ bound, checked against ascent of ‖J(x)P_g‖ per group of a
    partition of the inputs of each test network."""

    def symbolic() -> SymbolicOutcome:
        method = (
            "run Jacobian (induction), restriction of the entry factor to the group, expansion "
            "of Π_m and unrolling of the θ recursion (non-commutative symbols) + norm "
            "inequalities"
        )
        if T.run_jacobian_route().verdict != "proved":
            return inconclusive(method, "the run Jacobian is not proved")
        if not (group_restriction_route() and T._expansion_route() and theta_unrolling_route()):
            return inconclusive(method, "an expansion did not hold")
        return proved(
            method,
            r"$JP_g = D_m\Pi_m(\tilde D^{-1}VP_g + WP_g)$; then the dual-θ bound term by term, "
            r"with $\|X\operatorname{diag}(\rho)P_g\|_2 \le "
            r"\|X\operatorname{diag}(\bar\rho)P_g\|_2$ as diagonal matrices commute",
        )

    checks, notes = [], []
    for index, groups in enumerate(GROUPS):
        net = T.test_network(index)
        lo, hi = T._input_box(index)
        full = group_bound(index, tuple(range(net.input_dim)))
        values = []
        for group in groups:
            upper = group_bound(index, group)
            values.append(f"{_group_name(group)}: {upper:.4g}")
            checks.append(
                NumericCheck(
                    _group_excess(index, group, upper),
                    T._input_names(index),
                    lo,
                    hi,
                    tolerance=1e-9,
                    starts=8,
                    steps=60,
                    description=f"‖J(x)$P_g$‖₂ / bound − 1, g = {_group_name(group)}, bound "
                    f"{upper:.4g}, " + T._network_description(index),
                )
            )
        notes.append(
            f"{T._network_description(index)}: group bounds {'; '.join(values)}; all inputs "
            f"{full:.4g} (dual-θ of bregmalib.lipschitz with columns $P_g$)."
        )
    return Claim(
        name="network/group_dual_theta_bound",
        title="per input group (Lipschitz star): the dual-theta bound with the first layer "
        "restricted to the group",
        statement=GROUP_DUAL_THETA,
        hypotheses=(
            Hypothesis(
                "the inputs are partitioned into groups; for a group $g$, "
                "$P_g=\\operatorname{diag}(\\mathbf{1}_g)$ and "
                "$\\operatorname{Lip}^g_B(f)=\\sup\\{\\|f(x)-f(y)\\|_2/\\|x-y\\|_2: "
                "x\\ne y\\in B,\\ x_i=y_i \\text{ for } i\\notin g\\}$, the constant "
                "with respect to $g$, the other inputs fixed"
            ),
            Hypothesis(
                "$k..m$ the first run of a BregmaNet on a box $B$, with $\\bar\\rho_j$ and the "
                "slope boxes of the dual-theta bound (computed on all of $B$)"
            ),
            Hypothesis(
                "if $V_k=I$: $v_g=1$, $\\bar\\rho^{(g)}_m=\\max_{i\\in g}\\bar\\rho_{m,i}$ "
                "and $\\theta^{(g)}_j$ ($j>k$) the $\\theta$ recursion of the dual-theta bound "
                "with right factor $W_j\\operatorname{diag}(\\bar\\rho_{j-1})P_g$; otherwise "
                "$v_g=\\|V_kP_g\\|_2$, $\\bar\\rho^{(g)}_m=\\bar\\rho_m$ and "
                "$\\theta^{(g)}_j=\\theta_j$"
            ),
            Hypothesis(
                "$\\theta^{(g)}_k$ the $\\theta$ recursion with right factor $W_kP_g$: the "
                "columns of $W_k$ outside $g$ set to zero"
            ),
        ),
        steps=(
            Step(
                sp.Eq(
                    sp.Symbol(r"\operatorname{Lip}^g_B(f)"),
                    sp.Symbol(r"\sup_{x\in B}\|J(x)P_g\|_2"),
                ),
                "mean value inequality on the convex slices of B where the inputs outside g are "
                "fixed, on which x − y = P_g(x − y); and the directional derivatives along g",
            ),
            Step(
                sp.Le(
                    sp.Symbol(r"\|J(x)P_g\|_2"),
                    sp.Symbol(r"\prod_{\mathrm{later\ runs}}\|J_{k':m'}(x)\|_2")
                    * sp.Symbol(r"\|J_{k:m}(x)P_g\|_2"),
                ),
                "the runs multiply; only the first run sees the projection",
            ),
            Step(GROUP_RUN, "the run Jacobian times P_g: the projection acts on the entry factor"),
            Step(
                GROUP_DUAL_THETA,
                "the expansion of the dual-theta bound with $V_kP_g$ and $W_kP_g$; for $V_k=I$, "
                "$\\rho_jP_g=P_g\\rho_j$ keeps $P_g$ in each term, and "
                "$\\|\\operatorname{diag}(\\bar\\rho_m)P_g\\|_2="
                "\\max_{i\\in g}\\bar\\rho_{m,i}$",
            ),
        ),
        symbolic=symbolic,
        numeric=tuple(checks),
        notes=tuple(notes),
        prose=GROUP_PROSE,
    )


GROUP_PROSE = (
    "The Lipschitz star of \\citet{gupta2022multivariate} draws, for a partition of the inputs "
    "into groups, the Lipschitz constant of the network with respect to each group, the other "
    "inputs held fixed. On a box this constant is $\\sup_B\\|J(x)P_g\\|$, and $JP_g$ is the "
    "Jacobian of the same network whose first layer has its columns outside the group set to "
    "zero. The slope ratios still come from the shifts on the whole box, so the dual-theta "
    "bound holds for each group with the first layer restricted; this is what "
    "\\texttt{bregmalib.lipschitz.lipschitz\\_star} computes. Since "
    "$\\|Jv\\|\\le\\sum_g\\|JP_g\\|\\|P_gv\\|$, the global constant is at most the "
    "Euclidean norm of the star."
)


def dual_results() -> list[Result]:
    """The checked dual-coordinate results, in a fixed order."""
    return [conjugacy_claim().check(), dual_theta_claim().check(), group_claim().check()]
