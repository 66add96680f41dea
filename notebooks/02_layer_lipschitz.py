# %% [markdown]
# # 02 · The slope ratio and the Lipschitz constant of one Bregman layer
#
# A Bregman layer (Frecon, Gasso, Pontil, Salzo, *Bregman Neural Networks*, ICML 2022) maps
# $x \mapsto T(x) = \sigma(\sigma^{-1}(Vx) + Wx + b)$. With $u = \sigma^{-1}(Vx)$ and
# $z = u + Wx + b$ its Jacobian is
# $$J(x) = \operatorname{diag}\Big(\frac{\sigma'(z)}{\sigma'(u)}\Big) V
#   + \operatorname{diag}(\sigma'(z))\, W .$$
# The skip branch is governed by the **slope ratio**
# $$R_\sigma(\Delta) = \sup_{u,\ |\delta| \le \Delta} \frac{\sigma'(u+\delta)}{\sigma'(u)},$$
# because $z_i - u_i = (Wx+b)_i$. This notebook derives $R_\sigma$ for sigmoid, tanh and atan
# by hand (with SymPy), compares with the derivation engine `bregmalib.symbolic`, plots
# $R_\sigma$ for every pair, and checks the single-layer bound
# $\operatorname{Lip}_B(T) \le \max_i R_\sigma(\Delta_i)\,\|V\|_2 + L_\sigma \|W\|_2$ against
# gradient-ascent lower bounds on random layers.

# %%
import time

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import sympy as sp

from bregmalib import legendre
from bregmalib.lipschitz import best_lower, layer_lipschitz_bound, lower_bounds
from bregmalib.nn import Layer
from bregmalib.symbolic import DELTA, slope_ratio

start = time.perf_counter()
u = legendre.U
d = sp.Symbol("delta", positive=True)

# %% [markdown]
# ## Sigmoid: the log-slope is bounded, the bound is reached in the tail
#
# Write $\ell = \log \sigma'$. If $|\ell'| \le K$ then, by the mean value theorem,
# $\sigma'(u+\delta)/\sigma'(u) = e^{\ell(u+\delta)-\ell(u)} \le e^{K|\delta|}$. For the sigmoid
# $\ell'(u) = -\tanh(u/2) \in (-1, 1)$, so $R_\sigma(\Delta) \le e^{\Delta}$; and as
# $u \to -\infty$ the ratio tends to $e^{\Delta}$, so the bound is the exact supremum.

# %%
sigmoid = legendre.get("sigmoid")
ell = sp.simplify(sp.diff(sp.log(sigmoid.derivative_expr), u))
ratio = sp.simplify(
    (sigmoid.derivative_expr.subs(u, u + DELTA) / sigmoid.derivative_expr).rewrite(sp.exp)
)
tail = sp.limit(ratio, u, -sp.oo)
print("l'(u) =", ell, "  limits:", sp.limit(ell, u, -sp.oo), sp.limit(ell, u, sp.oo))
print("ratio(u, Delta) =", ratio, "  -> as u -> -oo:", tail)

# %% [markdown]
# ## tanh: the same argument with $K = 2$
# $\ell'(u) = -2\tanh u \in (-2, 2)$ and the ratio tends to $e^{2\Delta}$ as $u \to -\infty$
# (SymPy needs the exponential form here: the limit of the `tanh` form is computed wrongly as 1).

# %%
tanh = legendre.get("tanh")
ell = sp.simplify(sp.diff(sp.log(tanh.derivative_expr), u))
ratio_t = sp.simplify(
    (tanh.derivative_expr.subs(u, u + DELTA) / tanh.derivative_expr).rewrite(sp.exp)
)
print("l'(u) =", ell, "  tail limit:", sp.limit(ratio_t, u, -sp.oo))
print(
    "limit of the tanh form (wrong):",
    sp.limit(tanh.derivative_expr.subs(u, u + DELTA) / tanh.derivative_expr, u, -sp.oo),
)

# %% [markdown]
# ## atan: the supremum is attained, and grows only polynomially
#
# $\sigma'(u) = 1/(1+u^2)$, so $r(u) = (1+u^2)/(1+(u+\delta)^2)$ tends to 1 in both tails and
# the bound $e^{K\Delta}$ ($K = 1$) is not tight. Critical points of $\log r$ solve
# $\ell'(u+\delta) = \ell'(u)$, i.e. $\delta\,(u^2 + \delta u - 1) = 0$: $u(u+\delta) = 1$.
# On that curve $u + \delta = 1/u$ and $r = (1+u^2)/(1+u^{-2}) = u^2$. The larger root gives
# $R(\Delta) = \big((\Delta + \sqrt{\Delta^2+4})/2\big)^2 \sim \Delta^2$.

# %%
atan = legendre.get("atan")
ell = sp.simplify(sp.diff(sp.log(atan.derivative_expr), u))
equation = sp.factor(sp.numer(sp.together(ell.subs(u, u + d) - ell)))
roots = sp.solve(equation, u)
on_curve = sp.simplify(
    (atan.derivative_expr.subs(u, u + d) / atan.derivative_expr).subs(d, 1 / u - u)
)
values = [sp.simplify(on_curve.subs(u, r)) for r in roots]
print("critical equation:", equation, "= 0;  roots:", roots)
print("ratio on the critical curve:", on_curve, ";  values:", values)

# %% [markdown]
# ## The engine's results
# `slope_ratio(pair)` runs the same routes automatically (unbounded / tail / critical points /
# reciprocal square), proves what it can, and checks the result numerically (dense grid plus
# multi-start gradient ascent). The three closed forms above are recovered exactly.

# %%
claims = {
    "sigmoid": sp.exp(DELTA),
    "tanh": sp.exp(2 * DELTA),
    "atan": ((DELTA + sp.sqrt(DELTA**2 + 4)) / 2) ** 2,
}
ratios = {name: slope_ratio(legendre.get(name)) for name in legendre.names()}
for name, r in ratios.items():
    print(f"{name:14s} {'exact' if r.exact else 'bound'} {r.status:11s} R(Delta) = {r.expr}")
for step in ratios["atan"].result.steps:
    print("  ", step.relation, "--", step.justification)

# %%
# Theorems 2.3 (sigmoid), 2.6 (tanh) and 2.12 (atan) of derivations/main.pdf; sin: result 2.21
for name, claimed in claims.items():
    assert ratios[name].exact and ratios[name].status == "proved"
    assert sp.simplify(ratios[name].expr - claimed) == 0
assert ratios["sin"].status == "trivial" and ratios["sin"].expr == sp.oo  # R_σ = +∞
assert all(r.status in ("proved", "checked") for n, r in ratios.items() if n != "sin")

# %% [markdown]
# ## $R_\sigma(\Delta)$ for every pair
# Exponential for sigmoid, tanh, scaled tanh and softplus (softplus with $\beta = 1000$ leaves
# the plot at once: $e^{1000\Delta}$), polynomial for atan, ISRU, asinh and the bent identity
# (a certified upper bound), infinite for the restricted sin pair.

# %%
grid = np.linspace(0.0, 6.0, 300)
fig, ax = plt.subplots(figsize=(7, 4.5))
for name, r in ratios.items():
    values = r.numpy(grid)
    if np.all(np.isinf(values[1:])):
        continue
    ax.plot(grid, values, label=f"{name}{'' if r.exact else ' (bound)'}")
softplus_1 = slope_ratio(legendre.get("softplus", beta=1.0))
ax.plot(grid, softplus_1.numpy(grid), "--", label="softplus, beta = 1")
ax.set_yscale("log")
ax.set_ylim(1, 1e8)
ax.set_xlabel("Delta")
ax.set_ylabel("R_sigma(Delta)")
ax.set_title("slope ratio of every pair (sin: infinite)")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## The single-layer bound on random layers
# For 12 random square layers per activation (widths 4, 16 and 64, weight scales 0.1 to 3), the
# certified bound of `layer_lipschitz_bound` (Theorem 3.2 of derivations/main.pdf, with
# $\Delta_i = \sup_B |(Wx+b)_i|$ by interval arithmetic) must dominate the best lower bound of
# `lower_bounds`, which treats a layer as a depth-1 network: multi-start gradient ascent of
# $\|J\|_2$ in dual coordinates $u = \sigma^{-1}(x)$ (saturated $x$ would hide the supremum),
# from corners and edges of the box.
# Bounded pairs use the whole $I^n$; unbounded ones the box $\sigma([-3, 3])^n$.

# %%
rng = np.random.default_rng(0)
report = {}
for name in legendre.names():
    pair = legendre.get(name)
    box = None if pair.bounded else tuple(np.asarray(pair.sigma(jnp.asarray([-3.0, 3.0]))))
    uppers, lowers = [], []
    for k in range(12):
        n = (4, 16, 64)[k % 3]
        scale = (0.1, 0.5, 1.0, 3.0)[k % 4]
        weight = jnp.asarray(rng.normal(size=(n, n)) * scale / np.sqrt(n))
        layer = Layer(weight, jnp.asarray(rng.normal(size=n) * 0.3), None, pair, "bregman")
        uppers.append(layer_lipschitz_bound(layer, box).upper)
        lowers.append(best_lower(lower_bounds(layer, box, restarts=6, steps=60)).value)
    report[name] = (np.array(uppers), np.array(lowers))
    ratio = report[name][0] / report[name][1]
    print(
        f"{name:14s} bound/lower: min {ratio.min():.3g}, median {np.median(ratio):.3g}, "
        f"max {ratio.max():.3g}"
    )

# %%
for name, (uppers, lowers) in report.items():
    assert np.all(lowers > 0), name
    assert np.all(lowers <= uppers), (name, (lowers / uppers).max())
print(f"notebook ran in {time.perf_counter() - start:.1f} s (machine shared with other jobs)")
