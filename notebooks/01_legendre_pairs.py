# %% [markdown]
# # 01 · Legendre activation pairs
#
# A Bregman layer $x^+ = \sigma(\sigma^{-1}(Vx) + Wx + b)$ needs an activation $\sigma$ that is
# smooth, increasing and bijective onto an open interval $I$, with $\sigma^{-1} = \nabla\phi$ for a
# Legendre function $\phi$ on $I$ and $\sigma = \nabla\phi^*$ (Frecon, Gasso, Pontil, Salzo,
# *Bregman Neural Networks*, ICML 2022). This notebook shows the catalogue of `bregmalib.legendre`:
# every pair is defined once, symbolically, and its JAX functions are checked against the SymPy
# expressions.

# %%
import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import sympy as sp
from IPython.display import Math, display

import bregmalib.legendre as L

jax.config.update("jax_enable_x64", True)
print(L.names())

# %% [markdown]
# ## The catalogue
# $u$ is the dual (pre-activation) variable, $x \in I$ the primal one. $L_\sigma = \sup\sigma'$ is
# derived from $\sigma$ by the critical points of $\sigma'$ and its limits, and the point where it
# is attained ($\infty$ when only approached).

# %%
rows = []
for name in L.names():
    pair = L.get(name)
    rows.append(
        rf"\text{{{name.replace('_', ' ')}}} & {sp.latex(pair.sigma_expr)} & "
        rf"{sp.latex(pair.inverse_expr)} & {sp.latex(pair.interval)} & "
        rf"{sp.latex(pair.lipschitz_expr)} & {sp.latex(pair.lipschitz_at)}"
    )
table = (
    r"\begin{array}{llllll} \text{pair} & \sigma(u) & \sigma^{-1}(x) & I & L_\sigma & "
    r"\text{at} \\ \hline " + r" \\ ".join(rows) + r"\end{array}"
)
display(Math(table))

# %%
rows = [
    rf"\text{{{n.replace('_', ' ')}}} & {sp.latex(L.get(n).phi_expr)} & "
    rf"{sp.latex(L.get(n).phi_conj_expr)}"
    for n in L.names()
]
display(
    Math(
        r"\begin{array}{lll} \text{pair} & \phi(x) & \phi^*(u) \\ \hline "
        + r" \\ ".join(rows)
        + r"\end{array}"
    )
)

# %% [markdown]
# ## sin is a restricted pair
# sin is a bijection of $(-\pi/2, \pi/2)$ onto $(-1, 1)$ only, and $\phi(x) = x\arcsin x +
# \sqrt{1-x^2}$ has the bounded gradient $\arcsin$ at $\pm 1$: $\phi$ is not of Legendre type. The
# official package uses sin on all of $\mathbb{R}$, where it is not monotone. The catalogue keeps
# sin flagged (`legendre=False`) and computes $\sigma = \nabla\phi^* = \sin\circ\mathrm{clip}$:
# constant $\pm1$ outside $[-\pi/2, \pi/2]$, where $\sigma' = 0$ and $\sigma^{-1}\circ\sigma$
# returns $\pm\pi/2$.

# %%
sin = L.get("sin")
print(sin.note)
u = jnp.array([-3.0, -1.0, 0.5, 2.0])
print("sigma:", sin.sigma(u), " inverse(sigma(u)):", sin.inverse(sin.sigma(u)))
assert not sin.legendre
assert jnp.all(sin.derivative(jnp.array([-2.0, 2.0])) == 0)

# %% [markdown]
# ## Figures: every σ and every φ

# %%
fig, (ax_sigma, ax_phi) = plt.subplots(1, 2, figsize=(12, 4.5))
u = jnp.linspace(-4, 4, 801)
for name in L.names():
    pair = L.get(name, beta=4.0) if name == "softplus" else L.get(name)
    label = f"{name} (β=4)" if name == "softplus" else name
    ax_sigma.plot(u, pair.sigma(u), label=label)
    lo, hi = max(pair.lower, -3.0), min(pair.upper, 3.0)
    x = jnp.linspace(lo, hi, 803)[1:-1]
    ax_phi.plot(x, pair.phi(x) - pair.phi(pair.sigma(0.0)), label=label)
ax_sigma.set(title=r"activations $\sigma(u)$", xlabel="u")
ax_phi.set(title=r"potentials $\phi(x) - \phi(\sigma(0))$", xlabel="x", ylim=(-0.5, 4))
ax_sigma.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Checks
# For every pair, in float64: $\sigma(\sigma^{-1}(x)) = x$ near the ends of $I$ (so the
# Bregman layer with $W=0$, $b=0$, $V=I$ is the identity), $\nabla\phi = \sigma^{-1}$,
# $\nabla\phi^* = \sigma$, the Fenchel–Young equality $\phi(x) + \phi^*(u) = xu$ at
# $u = \sigma^{-1}(x)$, and $L_\sigma$ equals a dense numeric maximum of $\sigma'$.


# %%
def interior(pair, count=400):
    lo, hi = pair.lower, pair.upper
    if np.isfinite(lo) and np.isfinite(hi):
        t = np.concatenate(
            [np.geomspace(1e-6, 0.5, count // 2), 1 - np.geomspace(1e-6, 0.5, count // 2)]
        )
        return jnp.asarray(lo + (hi - lo) * t)
    if np.isfinite(lo):
        return jnp.asarray(lo + np.geomspace(1e-6, 1e3, count))
    return jnp.linspace(-20.0, 20.0, count)


for name in L.names():
    pair = L.get(name)
    x = interior(pair)
    u = pair.inverse(x)
    assert jnp.all(jnp.isfinite(u)), name
    assert jnp.max(jnp.abs(pair.sigma(u) - x) / jnp.maximum(jnp.abs(x), 1.0)) < 1e-12, name
    keep = jnp.abs(u) < 30
    grad_phi = jax.vmap(jax.grad(pair.phi))(x[keep])
    assert jnp.allclose(grad_phi, u[keep], rtol=1e-6, atol=1e-8), name
    grad_conj = jax.vmap(jax.grad(pair.phi_conj))(u[keep])
    assert jnp.allclose(grad_conj, x[keep], rtol=1e-9, atol=1e-12), name
    fenchel_young = pair.phi(x[keep]) + pair.phi_conj(u[keep]) - x[keep] * u[keep]
    assert jnp.max(jnp.abs(fenchel_young)) < 1e-8, (name, float(jnp.max(jnp.abs(fenchel_young))))
    grid = jnp.linspace(max(pair.dual_lower, -200.0), min(pair.dual_upper, 200.0), 400_001)
    dense_max = float(jnp.max(pair.derivative(grid)))
    assert dense_max <= pair.lipschitz * (1 + 1e-12) and dense_max >= 0.99 * pair.lipschitz, name
    print(f"{name:14s} L_σ = {pair.lipschitz:.6g}   dense max σ′ = {dense_max:.6g}")

# %% [markdown]
# ## A pair of your own, from σ alone
# `from_sigma` derives σ′, the interval, $L_\sigma$, σ⁻¹ (by `solve`, checked), φ and φ*, and
# refuses a σ that is not increasing or not a bijection onto an interval.

# %%
t = sp.Symbol("t", real=True)
pair = L.from_sigma("algebraic_sigmoid", (1 + t / sp.sqrt(1 + t**2)) / 2)
display(
    Math(
        rf"\sigma^{{-1}}(x) = {sp.latex(pair.inverse_expr)},\quad I = {sp.latex(pair.interval)},"
        rf"\quad L_\sigma = {sp.latex(pair.lipschitz_expr)}"
    )
)
x = jnp.linspace(0.001, 0.999, 101)
assert jnp.allclose(pair.sigma(pair.inverse(x)), x, atol=1e-12)
assert abs(pair.lipschitz - 0.5) < 1e-15

try:
    L.from_sigma("not_monotone", sp.sin(t))
except ValueError as error:
    print("refused:", error)
else:
    raise AssertionError("sin on ℝ must be refused")
