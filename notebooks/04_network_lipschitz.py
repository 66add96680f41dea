# %% [markdown]
# # 04 · Lipschitz constants of whole networks
#
# A Lipschitz constant is only as useful as its certificate: here every estimate comes with a
# **certified upper bound**, a **lower bound** found by optimisation, and their **ratio**.
#
# For a Bregman network (Frecon et al., ICML 2022) with V = I, u_k = u_(k−1) + W_k σ(u_(k−1)) + b_k
# and D_k = diag σ′(u_k), the Jacobian is
#
# $$J = \prod_k \big(D_k D_{k-1}^{-1} + D_k W_k\big)
#     = D_L \prod_k \big(I + W_k D_{k-1}\big) D_0^{-1},$$
#
# so the slope ratios *telescope*: expanding by the first W-branch j,
#
# $$J = D_L D_0^{-1} + \sum_j D_L \prod_{i>j}(I + W_i D_{i-1})\, W_j\, D_{j-1} D_0^{-1},$$
#
# and each term keeps a single ratio D_(j−1)D_0⁻¹ ≤ R_σ(Δ_1 + … + Δ_(j−1)). Bounding the chains
# by norms gives the **telescoping** bound; bounding them by a θ recursion over the factors
# I + W_i D_(i−1) (products of weights, not of norms) gives the **dual-θ** bound. Both are
# compared with the product of single-layer bounds (**layer-product**). Standard networks get
# the product of norms, Combettes–Pesquet θ, ECLipsE-Fast and exact slope-vertex enumeration.

# %%
import jax

jax.config.update("jax_enable_x64", True)

import time

import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

import bregmalib.legendre as L
from bregmalib import lipschitz
from bregmalib.data import target_segment
from bregmalib.lipschitz import _theorems
from bregmalib.nn import make_mlp, network_from_arrays

start_time = time.perf_counter()

# %% [markdown]
# ## The derivations, checked twice
# Theorem 4.1 of `derivations/main.pdf` (the Jacobian of a run of layers, any depth) is proved
# by induction on non-commutative symbols; Theorem 4.2 (the network theorem: the telescoping
# bound for any depth, non-square layers, row-stochastic V) is checked against gradient ascent
# on random networks; Theorem 4.3 shows that with d_j = L_σ the telescoping bound never exceeds
# the product of the layer bounds, for every depth and every V.

# %%
run_jacobian = _theorems.run_jacobian_claim().check()
network_bound = _theorems.network_bound_claim(run_jacobian).check()
below_product = _theorems.telescoping_claim().check()
for result in (run_jacobian, network_bound, below_product):
    print(f"{result.name:<38} {result.status:<8} {result.symbolic.method}")
below_product.statement

# %%
assert run_jacobian.status == "proved"  # Theorem 4.1
assert network_bound.status == "proved"  # Theorem 4.2
assert below_product.status == "proved"  # Theorem 4.3
assert all(n.max_violation <= 0 for n in network_bound.numeric)

# %% [markdown]
# ## Bounds on random networks: every method side by side
# Four small networks (width 8, three hidden layers, two activations, Bregman and standard),
# on the global domain (Iⁿ or ℝⁿ) and on the data segment the digits are scaled into.

# %%
rows = []
for activation in ("tanh", "atan"):
    for version in ("bregman", "standard"):
        model = make_mlp(
            activation, (8, 8, 8, 8), 3, version, key=jax.random.key(1), dtype=jnp.float64
        )
        a, b = target_segment(model.pair)
        for name, domain in (("global", None), ("data", (a, b))):
            report = lipschitz.lipschitz_report(model, domain, restarts=8, steps=80)
            rows.append((activation, version, name, report))

header = ("activation", "version", "domain", "lower", "upper", "ratio")
print("{:<10} {:<9} {:<7} {:>10} {:>10} {:>8}  method".format(*header))
for activation, version, name, r in rows:
    print(
        f"{activation:<10} {version:<9} {name:<7} {r.lower:>10.4g} {r.upper:>10.4g} "
        f"{r.ratio:>8.3g}  {r.method}"
    )

# %%
for *_, r in rows:
    assert r.lower <= r.upper
    for method, value in r.uppers.items():
        assert r.lower <= value * (1 + 1e-9), (method, value, r.lower)
bregman_global = [r for a, v, d, r in rows if v == "bregman" and d == "global"]
assert all(r.uppers["dual-theta"] <= r.uppers["layer-product"] for r in bregman_global)

# %% [markdown]
# Every upper bound of every method, against the best lower bound (dashed), log scale.

# %%
fig, axes = plt.subplots(1, len(rows) // 2, figsize=(14, 3.2), sharey=False)
global_rows = [row for row in rows if row[2] == "global"]
for ax, (activation, version, _, r) in zip(axes, global_rows, strict=True):
    ax.bar(range(len(r.uppers)), list(r.uppers.values()), color="tab:blue", alpha=0.7)
    ax.axhline(r.lower, color="k", ls="--", label="lower")
    ax.set_xticks(range(len(r.uppers)), list(r.uppers), rotation=35, ha="right", fontsize=8)
    ax.set_yscale("log")
    ax.set_title(f"{version} {activation} (global)", fontsize=9)
axes[0].legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# ## The global domain: lower bounds at the edges of Iⁿ
# On Iⁿ the supremum of ‖J‖ of a Bregman network often lies at the edges, as limits u → ±∞ of
# the slope ratios σ′(u + δ)/σ′(u): the one-unit tanh layer x ↦ tanh(atanh(x) − 2x) has
# J = σ′(u − 2x)/σ′(u) − 2σ′(u − 2x) → e⁴ as x → ±1, and the certified bound R(2) + 2 = e⁴ + 2.
# Gradients vanish where inputs saturate, so after the ascent the lower bound searches the ends
# of the box greedily (in dual coordinates, ±1000 standing in for ±∞), coordinate by coordinate.

# %%
edge_layer = network_from_arrays([[[-2.0]]], [[0.0]], L.get("tanh"), "bregman")
edge = lipschitz.lipschitz_report(edge_layer, restarts=4, steps=40)
print(f"lower {edge.lower:.6g} ({edge.lower_method}), e^4 = {np.exp(4):.6g}")
print(f"upper {edge.upper:.6g} ({edge.method}), e^4 + 2 = {np.exp(4) + 2:.6g}")
deep = make_mlp("tanh", (8, 8, 8, 8), 3, "bregman", key=jax.random.key(3), dtype=jnp.float64)
deep_report = lipschitz.lipschitz_report(deep, restarts=8, steps=80)
print({name: f"{value:.4g}" for name, value in deep_report.lowers.items()})
print(f"best upper {deep_report.upper:.4g} ({deep_report.method}), ratio {deep_report.ratio:.3g}")

# %%
assert 0.99 * np.exp(4.0) <= edge.lower <= edge.upper
for method, value in deep_report.uppers.items():
    assert deep_report.lower <= value * (1 + 1e-9), (method, value, deep_report.lower)

# %% [markdown]
# ## The gain from telescoping grows with depth for atan
# R_atan(Δ) = ((Δ + √(Δ² + 4))/2)² grows polynomially, so R(Δ₁ + … + Δ_L) is far below
# ∏ R(Δ_k): the telescoping bounds stay orders of magnitude under the layer product.

# %%
rng = np.random.default_rng(0)
depths = [1, 2, 3, 4, 5, 6]
ratios = {"layer-product": [], "telescoping": [], "dual-theta": []}
for depth in depths:
    weights = [0.5 * rng.normal(size=(6, 6)) / np.sqrt(6) for _ in range(depth)]
    net = network_from_arrays(weights, None, L.get("atan"), "bregman")
    bounds = lipschitz.upper_bounds(net, lipschitz.make_box(net))
    for method in ratios:
        ratios[method].append(bounds[method].value)
plt.figure(figsize=(5, 3.2))
for method, values in ratios.items():
    plt.semilogy(depths, values, "o-", label=method)
plt.xlabel("depth")
plt.ylabel("upper bound")
plt.title("atan BregmaNet, width 6, global domain")
plt.legend()
plt.show()

# %%
assert all(t <= p for t, p in zip(ratios["telescoping"], ratios["layer-product"], strict=True))
assert ratios["layer-product"][-1] / ratios["dual-theta"][-1] > 10

# %% [markdown]
# ## The Lipschitz star (Gupta et al. 2022)
# The constant with respect to each group of inputs, the others held fixed:
# Lip_g = sup ‖J(x) P_g‖. Theorem 4.7 of `derivations/main.pdf` (proved) bounds it by the
# dual-θ bound with the columns of the first layer outside the group set to zero, which is what
# `lipschitz_star` computes (the best of the Bregman bounds, each with the first layer restricted).
# Restricting columns never raises a bound, and since ‖Jv‖ ≤ Σ_g ‖J P_g‖ ‖P_g v‖ the global
# constant is at most the Euclidean norm of the star. Here a Bregman atan network on 16 inputs
# read as a 4×4 image, grouped by rows.

# %%
model = make_mlp("atan", (16, 16, 16), 4, "bregman", key=jax.random.key(2), dtype=jnp.float64)
a, b = target_segment(model.pair)
groups = [list(range(4 * i, 4 * i + 4)) for i in range(4)]
star = lipschitz.lipschitz_star(
    model, groups, (a, b), names=["row 1", "row 2", "row 3", "row 4"], restarts=8, steps=60
)
whole = lipschitz.lipschitz_report(model, (a, b), restarts=8, steps=60)
lipschitz.plot_lipschitz_star(star)
plt.show()
print("upper", np.round(star.upper, 3), "lower", np.round(star.lower, 3), "whole", whole.upper)

# %%
assert np.all(star.lower <= star.upper)
assert np.all(star.lower <= whole.upper * (1 + 1e-9))
assert np.sqrt(np.sum(star.lower**2)) <= np.sqrt(len(groups)) * whole.upper
assert np.all(star.upper <= whole.upper)  # Theorem 4.7: the group bound is the restricted one
assert whole.lower <= np.sqrt(np.sum(star.upper**2))  # Lip ≤ the Euclidean norm of the star

# %%
print(f"notebook ran in {time.perf_counter() - start_time:.1f} s")
