# %% [markdown]
# # 07 · Robustness: attacks, certified radii, and what the Lipschitz bounds predict
#
# Frecon et al. (ICML 2022) report that Bregman networks predict more robustly than standard
# ones. This notebook is the reduced, CI-sized version of `benchmarks/robustness.py`: sigmoid
# MLPs of the three versions (standard σ(Wx + b), Euclidean σ(x + Wx + b), Bregman
# σ(σ⁻¹(x) + Wx + b)) trained on digits, attacked with PGD (ℓ∞ and ℓ₂, random restarts) and
# Gaussian noise, and certified with the ℓ₂ radius
#
# $$\rho(x) = \frac{f_y(x) - \max_{j\neq y} f_j(x)}{\sqrt{2}\,L},$$
#
# L an upper bound of the Lipschitz constant from `bregmalib.lipschitz`, on the whole data segment
# (global) or on the ℓ₂ ball of radius r around x (local, by bound propagation through the
# Jacobian graph, `bregmalib.lipschitz.local_lipschitz`; it then certifies radii ≤ r only). Every
# perturbed input
# is projected onto the ε-ball ∩ the data segment, which lies inside the interval of σ, so the
# Bregman network's σ⁻¹ is always defined.

# %%
import time

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

from bregmalib.data import load_digits
from bregmalib.nn import make_mlp
from bregmalib.robust import (
    certified_accuracy,
    certify,
    distance,
    input_domain,
    noise_accuracy,
    pgd,
)
from bregmalib.train import TrainConfig, accuracy, train

START = time.perf_counter()
VERSIONS = ("standard", "euclidean", "bregman")
EPSILONS = (0.05, 0.1, 0.2)
N_TEST = 150

# %% [markdown]
# ## Three models of equal width and depth
#
# One seed and a short training budget, in float64 (the certificates need it); the benchmark
# matches the clean accuracies across versions, this notebook only reports them.

# %%
data = load_digits("sigmoid")
domain = input_domain(data)
x_test = jnp.asarray(data.x_test[:N_TEST], jnp.float64)
y_test = jnp.asarray(data.y_test[:N_TEST])
models = {}
for version in VERSIONS:
    model = make_mlp("sigmoid", (64, 32, 32), 10, version, key=jax.random.key(0), dtype=jnp.float64)
    config = TrainConfig(learning_rate=1e-2, epochs=10, patience=4, seed=0)
    models[version] = train(model, data, config, progress=False).model
clean = {v: accuracy(m, x_test, y_test) for v, m in models.items()}
print("input segment", domain, "clean accuracy", clean)

# %% [markdown]
# ## Attacks (ε in the input's scale; the segment has length 0.9)

# %%
attacks = {}
for version, model in models.items():
    for norm in ("linf", "l2"):
        for eps in EPSILONS:
            attacks[version, norm, eps] = pgd(
                model, x_test, y_test, eps, domain, norm=norm, steps=20, restarts=1
            )
noise = {v: noise_accuracy(m, x_test, y_test, 0.1, domain, draws=4) for v, m in models.items()}
for version in VERSIONS:
    row = {
        f"{n} {e}": round(attacks[version, n, e].accuracy, 3)
        for n in ("linf", "l2")
        for e in EPSILONS
    }
    print(f"{version:9s}", row, "noise σ=0.1:", round(noise[version], 3))

# %%
for (version, norm, eps), result in attacks.items():
    assert bool(jnp.all(domain.contains(result.x))), (version, norm, eps)
    assert bool(jnp.all(distance(result.x, x_test, norm) <= eps * (1 + 1e-9))), (version, norm)

# %% [markdown]
# ## Certified radii: global bound on the segment, local bound on the ℓ₂ ball of radius 0.1

# %%
certificates = {v: certify(m, x_test, y_test, domain, local_radius=0.1) for v, m in models.items()}
for version, cert in certificates.items():
    print(
        f"{version:9s} global L ≤ {cert.global_lipschitz:.3g} ({cert.global_method}), "
        f"median local L ≤ {np.median(cert.local_lipschitz):.3g}, "
        f"median radius {np.median(cert.radius):.3g}, "
        f"certified acc. at 0.05: {certified_accuracy(cert, 0.05):.3f}"
    )

# %% [markdown]
# ## Check: no point certified at radius r is broken by the strongest attack found within r,
# and every adversarial example PGD finds lies farther than the certified radius

# %%
for version, model in models.items():
    cert = certificates[version]
    radii = [r for r in np.quantile(cert.radius[cert.correct], [0.5, 0.9]) if r > 0]
    for r in radii:
        found = pgd(model, x_test, y_test, float(r), domain, norm="l2", steps=20, restarts=1)
        assert not np.any(np.asarray(found.broken) & (cert.radius >= r)), (version, r)
        assert bool(jnp.all(domain.contains(found.x)))
    for eps in EPSILONS:
        broken = np.asarray(attacks[version, "l2", eps].broken)
        assert not np.any(broken & (cert.radius >= eps)), (version, eps)
        broken_inf = np.asarray(attacks[version, "linf", eps].broken)
        assert not np.any(broken_inf & (cert.radius_linf >= eps)), (version, eps)
    found = attacks[version, "l2", EPSILONS[-1]]
    broken = np.asarray(found.broken)
    assert broken.any(), version  # the check is not vacuous: PGD breaks some points
    gap = np.asarray(distance(found.x, x_test, "l2"))[broken] - cert.radius[broken]
    assert np.all(gap >= 0), version
    print(
        f"{version:9s} broken at ε = {EPSILONS[-1]}: {broken.sum()}, smallest gap between "
        f"adversarial distance and certified radius {gap.min():.3g}"
    )
print("no certified point broken")

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
for version in VERSIONS:
    for ax, norm in zip(axes[:2], ("linf", "l2"), strict=True):
        acc = [clean[version]] + [attacks[version, norm, e].accuracy for e in EPSILONS]
        ax.plot((0.0, *EPSILONS), acc, marker="o", label=version)
        ax.set(title=f"PGD ({norm})", xlabel="ε", ylabel="accuracy")
    grid = np.linspace(0, 0.2, 41)
    axes[2].plot(grid, [certified_accuracy(certificates[version], r) for r in grid], label=version)
axes[2].set(title="certified ℓ₂ accuracy", xlabel="radius r", ylabel="accuracy")
axes[0].legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# The Lipschitz bounds are global worst cases; the attacks measure the behaviour near the data.
# The benchmark (`python benchmarks/robustness.py`) repeats this over sigmoid, tanh and atan,
# three seeds, matched clean accuracies, and relates the two with a rank correlation.

# %%
print(f"notebook ran in {time.perf_counter() - START:.1f} s")
