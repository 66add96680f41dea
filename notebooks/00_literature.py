# %% [markdown]
# # 00 · The state of the art, and where bregmalib stands in it
#
# Two questions run through this toolbox: **how large is the Lipschitz constant of a network**
# (robustness, generalisation, stability), and **when is a residual-like network invertible**
# (flows, inversion of features). Bregman networks (Frecon et al., ICML 2022,
# `frecon2022bregman`) sit on both: their layers are x ↦ σ(σ⁻¹(x) + Wx + b), a residual step in
# the dual coordinate u = σ⁻¹(x).
#
# Computing the Lipschitz constant of a network exactly is NP-hard even with two layers
# (Virmaux & Scaman 2018), so every method below either **upper-bounds** it (a certificate) or
# **lower-bounds** it (a witness pair or Jacobian); an upper bound is only as good as its ratio
# to a lower bound. The keys in brackets are those of `references.bib`.
#
# The two tables of the state of the art (what each method bounds, how, its cost, its reported
# tightness, and where it lives in bregmalib) are built in the cells below.
#
# Below, the Lipschitz figures of the methods the toolbox implements are computed **on the same
# small networks**, beside the LipSDP bound of `bregmalib.lipschitz.lipsdp` (cvxpy) and beside
# the peer package `eclipse-nn` run on the same weights.

# %%
import jax

jax.config.update("jax_enable_x64", True)

import itertools
import time

import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import torch
from eclipse_nn import LipConstEstimator
from IPython.display import Markdown, display

import bregmalib.legendre as L
from bregmalib import invert, lipschitz
from bregmalib.lipschitz._lipsdp import lipsdp
from bregmalib.nn import Layer, network_from_arrays
from bregmalib.nn import functional as F

start_time = time.perf_counter()
PAIR = L.get("tanh")  # slope-restricted in [0, L_σ] = [0, 1] on all of ℝ

# %% [markdown]
# ## The state of the art in two tables

# %%
LIPSCHITZ_METHODS = (
    # method [references], bounds, scope, norm, how, cost, reported tightness, in bregmalib
    (
        "product of norms / AutoLip [virmaux2018lipschitz, miyato2018spectral]",
        "upper",
        "global",
        "any induced (ℓ2 here)",
        "Π‖W_k‖ · Π L_σ; AutoLip runs it on the autodiff graph with power iterations",
        "one power iteration per layer",
        "loose: grows geometrically with depth",
        "`norm-product`",
    ),
    (
        "SeqLip [virmaux2018lipschitz]",
        "upper (heuristic when greedy)",
        "global",
        "ℓ2",
        "max over 0/1 slopes of pairs of consecutive layers, via SVDs",
        "exponential in the width of a pair (greedy above)",
        "well below the product of norms on their MLPs",
        "no (vertex enumeration subsumes it on small networks)",
    ),
    (
        "vertex enumeration of slopes [virmaux2018lipschitz, jordan2020exactly]",
        "upper, exact over the slope box",
        "global or on a box",
        "ℓ2",
        "max of ‖J(D)‖ over the vertices D ∈ {0, L_σ}ᴺ (‖J(D)‖ is convex in each slope)",
        "2ᴺ Jacobians",
        "the best any method can do that knows only the slope ranges",
        "`vertex`",
    ),
    (
        "Combettes–Pesquet θ_m [combettes2020lipschitz]; LipLT [fazlyab2023liplt]",
        "upper",
        "global",
        "ℓ2",
        "sums over subsets of layers of norms of weight products (averaged activations); "
        "LipLT computes it by a recursion",
        "O(m²) matrix products",
        "between vertex enumeration and the product of norms",
        "`theta`",
    ),
    (
        "LipSDP [fazlyab2019lipsdp]",
        "upper",
        "global",
        "ℓ2",
        "slope-restricted activations ⟹ quadratic constraints ⟹ one SDP "
        "(LipSDP-Neuron: one multiplier per neuron)",
        "one SDP of size n₀ + N",
        "the tightest of their comparison (random, MNIST, Iris)",
        "`lipsdp` (cvxpy + Clarabel, the `lipsdp` extra)",
    ),
    (
        "ECLipsE / ECLipsE-Fast [xu2024eclipse]",
        "upper",
        "global",
        "ℓ2",
        "exact decomposition of the LipSDP LMI into layer-sized problems; "
        "Fast: a closed-form feasible point",
        "layer-sized SDPs / eigenproblems",
        "close to LipSDP, orders of magnitude faster",
        "`eclipse-fast`; peer package eclipse-nn [eclipsenn]",
    ),
    (
        "Fast-Lip, local bound propagation [weng2018fastlip]",
        "upper",
        "local (a ball or box)",
        "ℓp",
        "interval bounds on pre-activations ⟹ slope ranges ⟹ bound on ‖J‖",
        "a few passes",
        "much tighter than global bounds on small balls",
        "`propagate_intervals`, `slope_range` feed `vertex` / `theta` on a box",
    ),
    (
        "LipMIP [jordan2020exactly]",
        "exact (ReLU)",
        "local",
        "ℓ1, ℓ∞",
        "mixed-integer program over the generalised Jacobian",
        "exponential (MIP)",
        "exact; used to grade other estimators",
        "no (ReLU only; the catalogue's activations are smooth)",
    ),
    (
        "Lipschitz star [gupta2022multivariate]",
        "upper, per input group",
        "global",
        "ℓ2",
        "the network restricted to each group of inputs",
        "one bound per group",
        "shows which inputs drive the constant",
        "`lipschitz_star`",
    ),
    (
        "gradient ascent on ‖J(x)‖ and on difference quotients",
        "lower",
        "global or local",
        "ℓ2",
        "multi-start projected ascent",
        "restarts × steps Jacobians",
        "a witness: exact where it meets an upper bound",
        "`lower_bounds`",
    ),
    (
        "slope-ratio / telescoping bounds of Bregman networks (this project)",
        "upper",
        "global or on a box",
        "ℓ2",
        "the skip connection σ′(u_k)/σ′(u_(k−1)) bounded by a slope ratio R_σ(Δ)",
        "closed form",
        "notebooks 02 and 04",
        "`layer-product`, `telescoping`, `dual-theta`",
    ),
)
INVERTIBILITY_METHODS = (
    # method [references], condition, inversion, log-determinant, in bregmalib
    (
        "i-ResNet [behrmann2019iresnet]",
        "Lip(g) < 1 for x + g(x) (spectral normalisation)",
        "Banach fixed point",
        "truncated power series with Hutchinson probes (biased)",
        "`contraction_certificate`, `series_log_det`, `solve_dual`",
    ),
    (
        "Residual Flows [chen2019residual]",
        "as i-ResNet, with induced mixed norms",
        "as i-ResNet",
        "Russian-roulette series (unbiased)",
        "the truncation error of `series_log_det` is bounded instead",
    ),
    (
        "Monotone Flows [ahn2022monotone]",
        "monotone operators: lifts the Lip(g) < 1 restriction",
        "resolvent, fixed point",
        "power series",
        "`monotone_certificate`",
    ),
    (
        "Implicit Normalizing Flows [lu2021implicit]",
        "F(z, x) = 0 with contractive parts on both sides",
        "root finding",
        "power series on both sides",
        "`inverse_primal`, `inverse_dual`",
    ),
)


def markdown_table(header: tuple[str, ...], rows: tuple[tuple[str, ...], ...]) -> str:
    """A Markdown table (rendered by Jupyter and by the HTML book); a row with a cell too many
    or too few would shift its columns silently, so it is refused."""
    short = [row[0] for row in rows if len(row) != len(header)]
    if short:
        raise ValueError(f"rows without {len(header)} cells: {short}")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


display(
    Markdown(
        markdown_table(
            (
                "method",
                "bounds",
                "scope",
                "norm",
                "how",
                "cost",
                "reported tightness",
                "in bregmalib",
            ),
            LIPSCHITZ_METHODS,
        )
    )
)
display(
    Markdown(
        markdown_table(
            ("method", "condition", "inversion", "log-determinant", "in bregmalib"),
            INVERTIBILITY_METHODS,
        )
    )
)

# %% [markdown]
# ## The networks
# Three small standard networks x ↦ H σ(W_m ⋯ σ(W_1 x + b_1) ⋯ + b_m) + c with tanh, at most
# 16 hidden neurons so that vertex enumeration is exact over the slope box. Weights are
# Gaussian with gain 1.5/√fan-in (fixed seeds).

# %%
SHAPES = {"A: 2-8-8-1": (2, 8, 8, 1), "B: 4-5-5-5-2": (4, 5, 5, 5, 2), "C: 3-16-1": (3, 16, 1)}


def random_arrays(sizes: tuple[int, ...], seed: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Gaussian weights (out, in), gain 1.5/√fan-in, small biases; hidden layers, then head."""
    rng = np.random.default_rng(seed)
    weights = [
        1.5 * rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)
        for n_in, n_out in itertools.pairwise(sizes)
    ]
    biases = [0.1 * rng.standard_normal(n_out) for n_out in sizes[1:]]
    return weights, biases


NETWORKS = {}
for seed, (name, sizes) in enumerate(SHAPES.items()):
    weights, biases = random_arrays(sizes, seed)
    net = network_from_arrays(
        weights[:-1],
        biases[:-1],
        PAIR,
        "standard",
        head_weight=weights[-1],
        head_bias=biases[-1],
        dtype=jnp.float64,
    )
    NETWORKS[name] = (net, weights)

# %% [markdown]
# ## LipSDP-Neuron
# `bregmalib.lipschitz.lipsdp` (Fazlyab et al., NeurIPS 2019, Theorem 2): for activations
# slope-restricted in [0, L_σ] it minimises ρ subject to one LMI in one multiplier per hidden
# neuron, with Clarabel, then re-certifies the returned multipliers in float64 (for fixed λ the
# least feasible ρ is the largest eigenvalue of a Schur complement), so that the bound √ρ does
# not rest on the solver's tolerance.

# %% [markdown]
# ## Every method on the same networks
# Upper bounds from `bregmalib.lipschitz` (product of norms, Combettes–Pesquet θ, ECLipsE-Fast,
# vertex enumeration, LipSDP), the peer package `eclipse-nn` (ECLipsE and
# ECLipsE-Fast) on the same weights, and the best lower bound from multi-start gradient ascent.


# %%
def peer_eclipse(weights: list[np.ndarray], method: str) -> tuple[float, float]:
    """`eclipse-nn` on the same weights (slopes in [0, 1]); value and seconds."""
    start = time.perf_counter()
    estimator = LipConstEstimator(weights=[torch.tensor(w, dtype=torch.float64) for w in weights])
    value = float(estimator.estimate(method=method))
    return value, time.perf_counter() - start


rows = {}
for name, (net, weights) in NETWORKS.items():
    box = lipschitz.make_box(net)
    uppers = {k: (b.value, b.seconds) for k, b in lipschitz.upper_bounds(net, box).items()}
    sdp = lipsdp(net)
    uppers["LipSDP (cvxpy)"] = (sdp.value, sdp.seconds)
    uppers["eclipse-nn ECLipsE-Fast"] = peer_eclipse(weights, "ECLipsE_Fast")
    uppers["eclipse-nn ECLipsE"] = peer_eclipse(weights, "ECLipsE")
    lower = lipschitz.best_lower(
        lipschitz.lower_bounds(net, box, restarts=8, steps=100, key=jax.random.key(0))
    )
    rows[name] = (uppers, lower)

methods = list(next(iter(rows.values()))[0])
print(f"{'network':<14}{'method':<26}{'upper':>10}{'ratio':>9}{'seconds':>10}")
for name, (uppers, lower) in rows.items():
    print(
        f"{name:<14}{'lower bound (ascent)':<26}{lower.value:>10.4f}{1.0:>9.3f}"
        f"{lower.seconds:>10.3f}"
    )
    for method in methods:
        value, seconds = uppers[method]
        print(f"{'':<14}{method:<26}{value:>10.4f}{value / lower.value:>9.3f}{seconds:>10.3f}")

# %% [markdown]
# The chain of inequalities that must hold, every one a theorem:
# lower ≤ vertex (the vertex bound is exact over the slope box, which contains the true slopes)
# ≤ LipSDP (any diagonal slope matrix in [0, L_σ] satisfies the quadratic constraints, so the
# SDP certificate also covers every linear network J(D)) ≤ ECLipsE-Fast (a feasible point of
# the same LMI) and LipSDP ≤ product of norms. The peer's ECLipsE-Fast is the same closed form
# as ours and must agree to rounding. The SDP is solved to about 1e-8, hence the small slack on
# the comparisons between two bounds (never on the comparison with the lower bound).

# %%
for name, (uppers, lower) in rows.items():
    value = {k: v for k, (v, _) in uppers.items()}
    sdp = value["LipSDP (cvxpy)"]
    assert lower.value <= value["vertex"] * (1 + 1e-9), name
    assert lower.value <= sdp, name
    assert value["vertex"] <= sdp * (1 + 1e-6), name
    assert sdp <= value["eclipse-fast"] * (1 + 1e-6), name
    assert sdp <= value["norm-product"], name
    assert abs(value["eclipse-fast"] - value["eclipse-nn ECLipsE-Fast"]) <= 1e-8 * sdp, name
    assert sdp <= value["eclipse-nn ECLipsE"] * (1 + 1e-5), name

# %%
fig, ax = plt.subplots(figsize=(9, 3.8))
width = 0.8 / len(methods)
for i, method in enumerate(methods):
    ratios = [rows[n][0][method][0] / rows[n][1].value for n in rows]
    ax.bar(np.arange(len(rows)) + i * width, ratios, width, label=method)
ax.axhline(1.0, color="k", lw=0.8)
ax.set_xticks(np.arange(len(rows)) + 0.4 - width / 2, list(rows))
ax.set_ylabel("upper bound / best lower bound")
ax.set_yscale("log")
ax.set_title("Tightness of each certificate on the same networks (1 = exact)")
ax.legend(fontsize=7, ncol=2)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Invertibility: the certificates beside i-ResNet and monotone flows
# A square Bregman layer u ↦ u + W σ(u) + b is invertible when the residual branch is a
# contraction (the i-ResNet condition L_σ‖W‖ < 1), when it is monotone (the symmetric part of
# W is above −1/L_σ, the monotone-flow condition), or, exactly, when det(I + W D) > 0 at every
# vertex D ∈ {0, L_σ}ⁿ, i.e. every principal minor of I + L_σW is positive (vertex
# certificate; a negative vertex determinant proves the layer folds). Each certificate is run
# on a contraction, on a monotone layer far beyond the contraction radius, and on a folding
# layer W = −1.5 vvᵀ (‖v‖ = 1), where det(I + W) = −0.5.

# %%
rng = np.random.default_rng(7)
base = rng.standard_normal((4, 4))
layers = {
    "contraction (‖W‖ = 0.9)": 0.9 * base / np.linalg.norm(base, 2),
    "monotone, ‖W‖ = 3": 3.0 * (base @ base.T) / np.linalg.norm(base @ base.T, 2),
    "folding, W = −1.5 vvᵀ": -1.5 * np.outer(base[0], base[0]) / (base[0] @ base[0]),
}
verdicts = {}
for label, weight in layers.items():
    layer = Layer(jnp.asarray(weight), jnp.zeros(4), None, PAIR, "bregman")
    certificates = invert.certify_invertibility(layer)
    verdicts[label] = {k: c.verdict for k, c in certificates.items()}
    print(f"{label:<26}", verdicts[label])

# %%
assert verdicts["contraction (‖W‖ = 0.9)"]["contraction"] == "invertible"
assert verdicts["monotone, ‖W‖ = 3"]["monotone"] == "invertible"
assert verdicts["monotone, ‖W‖ = 3"]["contraction"] != "invertible"
assert verdicts["folding, W = −1.5 vvᵀ"]["vertex"] == "not_invertible"
assert verdicts["folding, W = −1.5 vvᵀ"]["monotone"] != "invertible"

# %% [markdown]
# i-ResNet's log-determinant: the truncated power series with Hutchinson probes against the
# exact log|det(I + W diag σ′(u))| on the contraction layer (its truncation error is bounded,
# where Residual Flows would use an unbiased Russian-roulette estimator instead).

# %%
contraction = Layer(jnp.asarray(layers["contraction (‖W‖ = 0.9)"]), jnp.zeros(4), None, PAIR,
                    "bregman")
u = jnp.asarray(rng.standard_normal(4))
exact = float(F.dual_log_abs_det(contraction, u))
series = invert.series_log_det(contraction, u, jax.random.key(3), n_terms=30, n_probes=256)
print(
    f"exact {exact:.5f}, series {float(series.estimate):.5f} ± {float(series.standard_error):.5f}"
    f" (truncation ≤ {float(series.truncation_bound):.2e})"
)
assert abs(float(series.estimate) - exact) <= (
    6 * float(series.standard_error) + float(series.truncation_bound) + 1e-9
)

# %% [markdown]
# ## Which published figures this notebook reproduces, and which it cannot
#
# **Reproduced here**
# - The peer implementation `eclipse-nn` 0.1.7 (Xu & Sivaranjani) gives, on the same weights,
#   the same ECLipsE-Fast value as `bregmalib.lipschitz.eclipse_fast` (to 1e-8, asserted), and
#   its ECLipsE (layer-wise SDPs) value is never below our LipSDP value (asserted).
# - The orderings the papers report on their networks hold on ours and are asserted:
#   LipSDP ≤ ECLipsE-Fast ≤ product of norms (Fazlyab et al. 2019; Xu & Sivaranjani 2024), the
#   SDP bound above the best gradient-ascent lower bound and above the exact slope-box (vertex)
#   value. As in the LipSDP and ECLipsE papers, the product of norms is the loosest
#   certificate, LipSDP is markedly tighter than ECLipsE-Fast, and θ (LipLT) lies between.
#   LipSDP comes within a few per cent of the vertex value, the best any method can do that
#   knows only the slope ranges; the gap that remains to the lower bound is that relaxation
#   itself (the slopes of different neurons are not independent).
# - On these networks the peer's full ECLipsE reports "boundary solution" and falls back to
#   ECLipsE-Fast (its own message above), so its figure equals ECLipsE-Fast here.
# - The i-ResNet power-series log-determinant agrees with the exact value within its error bars.
#
# **Not reproduced (and why)**
# - The numbers in the LipSDP tables (MNIST and Iris classifiers), the ECLipsE tables (MNIST
#   networks up to 100+ neurons per layer, random networks), the LipLT/CRM certified accuracies
#   (MNIST, CIFAR-10, Tiny-ImageNet), SeqLip's figures (MNIST, AlexNet) and the Lipschitz stars
#   of Gupta et al. (tabular data, a Thales industrial data set): they need the authors' trained
#   weights, which this environment cannot download, and several need GPUs.
# - i-ResNet, Residual Flows and Monotone Flows bits-per-dimension on MNIST/CIFAR-10/ImageNet:
#   they need the trained flows and days of GPU training.
# - LipMIP exact values (Jordan & Dimakis 2020): ReLU networks and a MIP solver (Gurobi); the
#   toolbox's activations are smooth, where vertex enumeration plays that role on small nets.

# %%
elapsed = time.perf_counter() - start_time
print(f"notebook ran in {elapsed:.1f} s")
assert elapsed < 90
