# %% [markdown]
# # 05 · Invertibility of Bregman layers
#
# A square Bregman layer $T(x) = \sigma(\sigma^{-1}(x) + Wx + b)$ is, in dual coordinates
# $u = \sigma^{-1}(x)$, the residual map $F(u) = u + W\sigma(u) + b$ with Jacobian
# $I + W\,\mathrm{diag}\,\sigma'(u)$, $\sigma' \in (0, L_\sigma]$. Three sufficient conditions for
# $T$ to be a diffeomorphism of $I^n$, in increasing generality:
#
# * **(a) contraction** $L_\sigma\|W\|_2 < 1$ (i-ResNet);
# * **(b) monotone** $\lambda_{\min}((W + W^\top)/2) > -1/L_\sigma$;
# * **(c) vertex** $\det(I + WD) > 0$ for every $D \in \{0, L_\sigma\}^n$, i.e.
#   $I + L_\sigma W$ is a P-matrix.
#
# What the derivations found (see `bregmalib derive`, results `invertibility/*`):
#
# 1. (c) suffices for bounded σ, by **Gale–Nikaidô** (a P-matrix Jacobian everywhere gives
#    injectivity, no boundedness needed) plus **Hadamard** (a proper local
#    diffeomorphism is global). Boundedness is only used for properness, which also holds for the
#    unbounded pairs softplus and bent identity ($\sigma(u) - \max(u,0)$ bounded, an LCP argument)
#    and asinh ($\sigma(u) = o(|u|)$).
# 2. (b) needs properness too: strong monotonicity of $\sigma^{-1} + W$ alone does not give
#    surjectivity on a bounded $I$ (think $G(x) = x$ on $(0,1)$); it holds because
#    $\sigma^{-1} \to \pm\infty$ at the ends of $I$.
# 3. (c) is sharp: a *negative* vertex determinant forces $\det J$ to change sign, so the layer is
#    not injective.
# 4. **False claim:** with σ = sin on all of ℝ (the official package), even (a) does not make the
#    layer injective (counterexample below).

# %%
import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

from bregmalib import invert as inv
from bregmalib import legendre
from bregmalib.invert import _theorems
from bregmalib.nn import Layer
from bregmalib.nn import functional as F

tanh = legendre.get("tanh")


def bregman_layer(w, b=None) -> Layer:
    """The square tanh Bregman layer (W, b, V = I)."""
    w = jnp.asarray(w)
    return Layer(w, jnp.zeros(w.shape[0]) if b is None else jnp.asarray(b), None, tanh, "bregman")

# %% [markdown]
# ## Certificates on the 2×2 examples
# $W_1 = [[0, 3], [0, 0]]$ satisfies (c) but not (b); $W_2 = 5I$ satisfies (b) but not (a);
# $W_3 = [[0, 2], [2, 0]]$ has $\det(I + W_3) = -3$: not invertible.

# %%
examples = {
    "W1": np.array([[0.0, 3.0], [0.0, 0.0]]),
    "W2": 5.0 * np.eye(2),
    "W3": np.array([[0.0, 2.0], [2.0, 0.0]]),
}
layers = {label: bregman_layer(w) for label, w in examples.items()}
certs = {label: inv.certify_invertibility(layer) for label, layer in layers.items()}
for label, by_condition in certs.items():
    print(label, {k: (c.verdict, round(c.margin, 3)) for k, c in by_condition.items()})
assert certs["W1"]["vertex"].holds and not certs["W1"]["monotone"].holds
assert certs["W2"]["monotone"].holds and not certs["W2"]["contraction"].holds
assert certs["W3"]["vertex"].verdict == "not_invertible"

# %% [markdown]
# ## The theorems, checked twice (symbolic route and numeric search)

# %%
claims = {c.name: c for c in _theorems.claims()}
checked = [
    claims[name].check()
    for name in (
        "invertibility/strict_examples",
        "invertibility/layer_diffeomorphism",
        "sin/official_usage_not_injective",
        "tanh/vertex_condition_necessary",
    )
]
for result in checked:
    print(f"{result.name:40s} {result.status:10s} {result.symbolic.detail[:90]}")
# Theorems 8.3 and 8.4 (the layer is a diffeomorphism of Iⁿ onto Iⁿ under (a), (b) or (c)),
# refuted claims 8.12 and 8.10 of derivations/main.pdf
assert [r.status for r in checked] == ["proved", "proved", "refuted", "refuted"]

# %% [markdown]
# ## Counterexamples
# Left: σ = sin on ℝ, $w = 1/2$ ($L_\sigma|w| < 1$): $T(x) = \sin(\arcsin x + x/2)$ folds back near
# $x = 1$. Right: for $W_3$ the dual map sends $(0, 0)$ and $(a, -2\tanh a)$, with
# $a = 2\tanh(2\tanh a)$, to the same point.

# %%
xs = np.linspace(-0.999, 0.999, 800)
t_sin = np.sin(np.arcsin(xs) + 0.5 * xs)
a = 1.0
for _ in range(200):
    a = 2.0 * np.tanh(2.0 * np.tanh(a))
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
axes[0].plot(xs, t_sin)
axes[0].axhline(1.0, color="k", lw=0.5)
axes[0].set(xlabel="x", ylabel="T(x)", title="sin on ℝ, w = 1/2: not monotone")
grid = np.linspace(-3, 3, 61)
uu = np.stack(np.meshgrid(grid, grid), -1).reshape(-1, 2)
image = jax.vmap(lambda u: F.dual_forward(layers["W3"], u))(uu)
axes[1].scatter(image[:, 0], image[:, 1], s=1, c=uu[:, 0], cmap="coolwarm")
axes[1].plot([0], [0], "k*", ms=12, label="F(0, 0) = F(a, −2 tanh a)")
axes[1].set(title="F for W3: the image folds over itself", xlabel="F₁", ylabel="F₂")
axes[1].legend()
plt.show()
other = jnp.array([a, -2.0 * np.tanh(a)])
assert float(jnp.max(jnp.abs(F.dual_forward(layers["W3"], other)))) < 1e-12
assert t_sin[-1] < t_sin.max() - 0.1

# %% [markdown]
# ## Inversion beyond contraction: damped Newton vs fixed point
# A 64-d monotone layer with $\|W\|_2 = 10$ (contraction fails by a factor 10): fixed-point
# iteration diverges, damped Newton converges from random starts.

# %%
rng = np.random.default_rng(0)
n = 64
w = inv.monotone_weight_with_norm(rng.normal(size=(n, n)) / 8, rng.normal(size=(n, n)) / 8, tanh,
                                  10.0)
b, u_true = rng.normal(size=n), 3.0 * rng.normal(size=n)
layer = bregman_layer(w, b)
v = F.dual_forward(layer, u_true)
print({k: round(c.margin, 3) for k, c in inv.certify_invertibility(layer).items()})
curves = {}
for method in ("newton", "fixed_point"):
    curves[method] = [
        float(inv.solve_dual(layer, v, method=method, max_iter=k, throw=False).residual)
        for k in range(1, 16)
    ]
starts = 10.0 * rng.normal(size=(100, n))
newton = jax.vmap(lambda s: inv.solve_dual(layer, v, u0=s, throw=False))(starts)
print("Newton from 100 starts: max iterations", int(newton.iterations.max()),
      "max residual", float(newton.residual.max()))
plt.semilogy(range(1, 16), curves["newton"], "o-", label="damped Newton")
plt.semilogy(range(1, 16), curves["fixed_point"], "s:", label="fixed point")
plt.axhline(1e-10, color="k", lw=0.5)
plt.xlabel("iterations")
plt.ylabel("‖F(u) − v‖∞")
plt.legend()
plt.title("64-d monotone layer, ‖W‖₂ = 10")
plt.show()
assert bool(newton.converged.all()) and int(newton.iterations.max()) <= 15
assert float(newton.residual.max()) <= 1e-10

# %% [markdown]
# ## Round trips and log-determinants (float64)

# %%
# the primal path needs unsaturated outputs (tanh(z) rounds to ±1 for |z| > 19 in float64), so
# the primal round trip uses a 16-d monotone layer with ‖W‖₂ = 3; the dual one the layer above.
dual_back = inv.solve_dual(layer, v)
print("dual round trip ‖F⁻¹(F(u)) − u‖∞ =", float(jnp.max(jnp.abs(dual_back.dual - u_true))))
assert float(jnp.max(jnp.abs(dual_back.dual - u_true))) <= 1e-9
w16 = inv.monotone_weight_with_norm(rng.normal(size=(16, 16)) / 4, rng.normal(size=(16, 16)) / 4,
                                    tanh, 3.0)
layer16 = bregman_layer(w16, 0.1 * b[:16])
x = rng.uniform(-0.9, 0.9, size=16)
y = F.forward(layer16, x)
back = inv.invert(layer16, y)
round_trip = float(jnp.max(jnp.abs(back.primal - x)))
print("primal round trip ‖T⁻¹(T(x)) − x‖∞ =", round_trip, "; max |y| =", float(jnp.abs(y).max()))
assert round_trip <= 1e-9

x2 = jnp.array([0.3, -0.7])
y2 = F.forward(layers["W1"], x2)
assert float(jnp.max(jnp.abs(inv.invert(layers["W1"], y2).primal - x2))) <= 1e-9

small, xs8 = bregman_layer(w16[:8, :8], b[:8]), x[:8]
formula = inv.log_abs_det(small, xs8)
jacobian = jax.jacfwd(lambda z: F.forward(small, z))(xs8)
autodiff = jnp.linalg.slogdet(jacobian)[1]
print("log|det J|: formula", float(formula), "autodiff", float(autodiff))
assert abs(float(formula) - float(autodiff)) <= 1e-9

# %% [markdown]
# ## Power-series log-det: bias against the number of terms
# For a contractive layer, $\log\det(I + A) = \sum_k (-1)^{k+1}\mathrm{tr}(A^k)/k$; the truncated
# series is biased, and the bias is within the bound $n q^{K+1}/((K+1)(1-q))$, $q = \|A\|_2$.

# %%
contractive = bregman_layer(inv.contractive_weight(rng.normal(size=(n, n)), tanh, coefficient=0.9))
uc = rng.normal(size=n)
exact = float(F.dual_log_abs_det(contractive, uc))
terms = [1, 2, 4, 8, 16, 32]
estimates = [inv.series_log_det(contractive, uc, jax.random.key(k), n_terms=k, n_probes=64)
             for k in terms]
errors = [abs(float(e.estimate) - exact) for e in estimates]
bounds = [float(e.truncation_bound) + 3 * float(e.standard_error) for e in estimates]
plt.semilogy(terms, errors, "o-", label="|estimate − exact|")
plt.semilogy(terms, bounds, "--", label="truncation bound + 3 s.e.")
plt.xlabel("terms K")
plt.legend()
plt.show()
assert all(e <= bd for e, bd in zip(errors, bounds, strict=True))
