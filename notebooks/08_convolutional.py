# %% [markdown]
# # 08 · Convolutional BregmaNets: bregmanet models, operator norms, bounds
#
# Frecon et al. (ICML 2022, §5) train residual convolutional BregmaNets with the official
# PyTorch package `bregmanet`. Its block is
#
# $$x^+ = \sigma\big(g(\mathrm{clamp}(Sx)) + \mathrm{BN}_2 C_2\, \sigma(\mathrm{BN}_1 C_1 x)\big),$$
#
# S the identity or a stride-2 subsampling padded with σ(0), g the package's "offset" (σ⁻¹ except
# for sigmoid, the bent identity and softplus). This notebook converts such a network
# (`bregmalib.interop.from_bresnet`, batch norms folded in eval mode), checks it against torch,
# bounds its Lipschitz constant with certified operator norms of the convolutions
# (`bregmalib.lipschitz.convnet_bounds`), looks at the invertibility of its blocks, and then
# trains a small convolutional BregmaNet on the 8×8 digits and compares its bounds with an MLP's.
# No weights are downloaded: the bregmanet network has its random initialisation (with batch
# norm statistics drawn at random so that folding matters).

# %%
import time

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp
import numpy as np
import torch

np.Inf = np.inf  # bregmanet 1.0.0 builds some activations with NumPy 1's np.Inf
import bregmanet

from bregmalib.data import load_digits
from bregmalib.interop import agreement, from_bresnet, output_difference
from bregmalib.lipschitz import (
    ball_region,
    convnet_bounds,
    lipschitz_report,
    local_lower,
    region_lipschitz,
    residual_contraction,
)
from bregmalib.nn import ResidualBlock, make_mlp, make_resnet
from bregmalib.train import TrainConfig, accuracy, train

START = time.perf_counter()
IMAGE = (3, 8, 8)  # bregmanet's networks take any resolution; 8 × 8 keeps this notebook short


def randomise_batch_norms(module: torch.nn.Module, seed: int = 0) -> None:
    """Running statistics and affine parameters of every batch norm away from (0, 1, 1, 0)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for norm in module.modules():
            if isinstance(norm, torch.nn.BatchNorm2d):
                size = norm.num_features
                norm.running_mean.copy_(0.2 * torch.rand(size, generator=generator) - 0.1)
                norm.running_var.copy_(0.5 + torch.rand(size, generator=generator))
                norm.weight.copy_(0.5 + 0.5 * torch.rand(size, generator=generator))
                norm.bias.copy_(0.2 * torch.rand(size, generator=generator) - 0.1)


# %% [markdown]
# ## A bregmanet ResNet-20, converted and checked against torch
#
# Agreement is the largest |f_torch(x) − f(x)| over random images in [−1, 1], both in float64.
# For sigmoid, `skip="model"` (the default) keeps the package's g(s) = log(s/(1 + s)), so that
# the converted network is the trained one; `skip="legendre"` uses the logit, the network the
# paper defines, and the output difference says how far apart the two are.

# %%
images = np.random.default_rng(0).uniform(-1.0, 1.0, (4, *IMAGE))
converted, errors = {}, {}
for name in ("atan", "tanh", "sigmoid"):
    torch.manual_seed(0)
    module = bregmanet.bresnet20(activation=name).eval()
    randomise_batch_norms(module)
    net = from_bresnet(module, name, image_shape=IMAGE)
    converted[name] = net
    errors[name] = agreement(module, net, images)
    print(f"{name:<8} bresnet20: max |torch − bregmalib| = {errors[name]:.2e}")
legendre = from_bresnet(module, "sigmoid", image_shape=IMAGE, skip="legendre")
gap = output_difference(converted["sigmoid"], legendre, images)
print(f"sigmoid: outputs with the logit instead of bregmanet's g differ by up to {gap:.3g}")

# %%
assert max(errors.values()) < 1e-5, errors

# %% [markdown]
# ## Lipschitz bounds of the converted network
#
# The upper bound is the product of certified stage bounds: ‖C‖₂ of every convolution (the
# maximum over DFT frequencies of ‖K̂(ω)‖₂ on the padded grid, outward-rounded), L_σ, 1/k for
# pooling, and for each block R_σ(Δ) + L_σ·Lip(branch), with Δ a bound on the branch output.
# The lower bound is power iteration on J(x) at random inputs. At random initialisation the
# product over 9 blocks is far from the measured value: the ratio is the honest price of a
# block-by-block bound (R_σ(Δ) grows exponentially with Δ for atan; for sigmoid the package's g
# has slope up to 1/(lo(1 + lo)) ≈ 5·10⁴ near the clamp, and the bound pays min(L_σ·5·10⁴, e^Δ),
# since σ′(g(s) + δ)g′(s) ≤ e^δ/(1 + s)² for that g).

# %%
resnet_bounds = {}
for name in ("atan", "sigmoid"):
    bounds = convnet_bounds(converted[name], (-1.0, 1.0), points=4, iterations=10)
    resnet_bounds[name] = bounds
    print(
        f"{name:<8} upper {bounds.upper:.3e}  lower {bounds.lower:.3e}  ratio {bounds.ratio:.2e}  "
        f"({bounds.upper_seconds:.2f} s upper, {bounds.lower_seconds:.1f} s lower)"
    )
    if bounds.reason:
        print("   ", bounds.reason)

# %%
assert all(0 < b.lower <= b.upper for b in resnet_bounds.values()), resnet_bounds

# %% [markdown]
# ## Invertibility of the blocks
#
# A Bregman block with S = I and g = σ⁻¹ is, in dual coordinates u = σ⁻¹(x), the residual step
# u ↦ u + r(σ(u)); it is invertible when Lip(r ∘ σ) < 1 (Banach's fixed point theorem). The
# bound `residual_contraction` = L_σ · L_σ‖C₂‖‖C₁‖ of the atan network's stride-1 blocks:

# %%
atan_blocks = [s for s in converted["atan"].stages if isinstance(s, ResidualBlock)]
for k, block in enumerate(atan_blocks):
    if block.stride != 1:
        print(f"block {k}: widening (stride 2), not a map of one space onto itself")
        continue
    q = residual_contraction(block)
    verdict = "invertible" if q < 1 else "not certified"
    print(f"block {k}: Lip(r ∘ σ) ≤ {q:.3g}  → {verdict}")

# %% [markdown]
# ## A small convolutional BregmaNet on the 8×8 digits, against an MLP
#
# Both are atan Bregman networks trained with the same budget; the ResNet (channels 4, 4, 8) is
# made of `ResidualBlock`s and its `convnet()` is what the convolutional bounds read. The MLP's
# bounds are the ones of notebook 04 (`lipschitz_report`). Inputs: the digits' segment.

# %%
data = load_digits("atan", dtype=jnp.float64)
config = TrainConfig(epochs=8, patience=None, batch_size=64, learning_rate=1e-2)
resnet = make_resnet("atan", (4, 4, 8), 10, "bregman", key=jax.random.key(0), dtype=jnp.float64)
resnet = train(resnet, data, config, progress=False).model
mlp = make_mlp("atan", (64, 32, 32), 10, "bregman", key=jax.random.key(0), dtype=jnp.float64)
mlp = train(mlp, data, config, progress=False).model
box = (float(data.x_train.min()), float(data.x_train.max()))
conv_bounds = convnet_bounds(resnet.convnet(), box, points=8, iterations=20)
mlp_report = lipschitz_report(mlp, box, restarts=4, steps=50)
print(
    f"conv ResNet: accuracy {accuracy(resnet, data.x_test, data.y_test):.3f}  "
    f"upper {conv_bounds.upper:.3g}  lower {conv_bounds.lower:.3g}  ratio {conv_bounds.ratio:.3g}"
)
print(
    f"MLP:         accuracy {accuracy(mlp, data.x_test, data.y_test):.3f}  "
    f"upper {mlp_report.upper:.3g}  lower {mlp_report.lower:.3g}  ratio {mlp_report.ratio:.3g}"
)

# %%
assert 0 < conv_bounds.lower <= conv_bounds.upper and 0 < mlp_report.lower <= mlp_report.upper

# %% [markdown]
# ## Local bounds on small balls
#
# On an ℓ₂ ball of radius ε around an input, interval propagation through the stages
# (`region_lipschitz`, which takes a `ConvNet`) bounds each stage on the ball only: σ′ by its
# largest value on a unit's interval, and a block's slope ratio by σ′(z)/σ′(ũ) over the
# intervals of z and ũ instead of R_σ(Δ) over every branch output. The lower bound
# (`local_lower`) is ‖J(x)‖ at the centre and at random points of the ball. Around four test
# digits for the trained conv ResNet, and around four random images for the converted atan
# bresnet20, against the global bounds above. The local bound is also capped by the global
# stage product on the ball's box, so it never exceeds it; what it cannot remove is the product
# of the convolutions' norms in the branches, which dominates the randomly initialised
# bresnet20 (its batch norms drawn at random): there the gain is small.

# %%
digits = np.asarray(data.x_test[:4]).reshape(4, *resnet.convnet().in_shape)
images_local = np.random.default_rng(1).uniform(-1.0, 1.0, (4, *IMAGE))
cases = [
    ("conv ResNet", resnet.convnet(), digits, conv_bounds.upper),
    ("bresnet20 atan", converted["atan"], images_local, resnet_bounds["atan"].upper),
]
local_results = {}
for label, conv_net, centers in [case[:3] for case in cases]:
    region = ball_region(conv_net, centers, 0.05)
    local = region_lipschitz(conv_net, region)
    start = time.perf_counter()
    local_low = local_lower(conv_net, region, restarts=4, steps=20)
    lower_seconds = time.perf_counter() - start
    local_results[label] = (local.upper, local_low)
    times = f"({local.seconds:.2f} s upper, {lower_seconds:.2f} s lower)"
    print(f"{label}, balls of radius 0.05 {times}")
    for k, (up, low) in enumerate(zip(local.upper, local_low, strict=True)):
        print(f"   ball {k}: upper {up:.3g}  lower {low:.3g}  ratio {up / low:.3g}")
for label, _, _, global_upper in cases:
    largest = local_results[label][0].max()
    print(f"{label}: global upper {global_upper:.3g}, largest local upper {largest:.3g}")

# %%
for label, (upper, lower) in local_results.items():
    assert np.all(0 < lower) and np.all(lower <= upper), label
assert np.all(local_results["conv ResNet"][0] < conv_bounds.upper)

# %%
print(f"notebook ran in {time.perf_counter() - START:.1f} s")
