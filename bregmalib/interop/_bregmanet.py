"""Convert a ``bregmanet.MLP`` (the official PyTorch package, PyPI ``bregmanet`` 1.0.0) into a
bregmalib network.

What the official forward pass computes, and how it is mapped (read from bregmanet 1.0.0):

- ``version="bregman"``: x⁺ = σ(g(clamp(Vx, lo + 10⁻⁵, hi − 10⁻⁵)) + Wx + b), where g, the
  package's "offset", is σ⁻¹ except for sigmoid (log(x/(1+x)) instead of the logit), ``"relu"``
  (the bent identity σ(u) = (u + √(u²+1))/2, with x + 1/x instead of x − 1/(4x)) and softplus
  (a series below βx = e⁻⁵, where g jumps); see `bregmalib.interop._skip`, shared with the
  residual networks. V = ``projection_simplex(R)`` of its reparametrisation weight R, recomputed
  (and written back) at every forward pass.
- ``version="standard"``: σ(Wx + b).
- ``version="euclidean"``: the official forward pass ignores its offset and computes σ(Wx + b)
  too, so it is converted as a standard network (which reproduces it).

``skip="model"`` (the default) gives the `ConvNet` of `ResidualBlock`s x⁺ = σ(g(clamp Vx) + Wx
+ b) with the package's g and clamp and V as the package has it, then the linear head: the
network the user trained, so that every bound is a bound on it. ``skip="legendre"`` gives our
`MLP` with the true σ⁻¹ (the network the paper defines; trainable, and every bound of
`bregmalib.lipschitz` for networks applies); for sigmoid and the bent identity its outputs
differ from the package's (`output_difference` says by how much), for the other pairs only
where a hidden unit is within 10⁻⁵ of an end of I (the clamp).

The official "projection" sorts ascending, which amounts to V = ReLU(R − (R𝟙 − 1)/n): its rows
lie on the simplex only when nothing is clipped. Our MLP's V = softmax(logits) has rows on the
simplex, so with ``skip="legendre"`` a layer with V ≠ I converts exactly only when the official
V is row-stochastic; otherwise ``strict=True`` raises and ``strict=False`` renormalises the rows
(with a warning). ``skip="model"`` keeps the official V whatever its rows.
"""

from __future__ import annotations

import math
import re
import warnings
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import bregmalib.legendre as L
from bregmalib.interop._skip import PACKAGE_MARGIN, SKIPS, skip_map
from bregmalib.legendre import LegendrePair
from bregmalib.nn import (
    MLP,
    Activation,
    Affine,
    ConvNet,
    Dense,
    Matrix,
    ResidualBlock,
    Shortcut,
    Stage,
    Version,
)
from bregmalib.nn._validate import check_dtype

#: official activation names whose σ is one of our pairs (``"relu"`` is the bent identity in
#: the Bregman version, and a true ReLU otherwise)
OFFICIAL_NAMES: dict[str, str] = {
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "scaled_tanh": "scaled_tanh",
    "atan": "atan",
    "isru": "isru",
    "asinh": "asinh",
    "sin": "sin",
    "relu": "bent_identity",
}
#: official names whose σ⁻¹ is wrong in bregmanet 1.0.0 (so the outputs of a conversion with
#: ``skip="legendre"`` differ)
WRONG_OFFICIAL_INVERSE: frozenset[str] = frozenset({"sigmoid", "relu"})

_PROBE = np.linspace(-1.5, 1.5, 61)  # inside the window (−π/2, π/2) of the restricted sin


def official_pair(name: str) -> LegendrePair:
    """Our pair for an official activation name (``"softplus<β>"`` → softplus with that β)."""
    name = name.lower()
    if "softplus" in name:
        found = re.findall(r"\d+\.?\d*", name)
        return L.get("softplus", beta=float(found[0]) if found else 1000.0)
    if name not in OFFICIAL_NAMES:
        raise ValueError(
            f"unknown official activation {name!r}; expected one of "
            f"{[*OFFICIAL_NAMES, 'softplus', 'softplus<beta>']}"
        )
    return L.get(OFFICIAL_NAMES[name])


def _as_numpy(t: Any) -> np.ndarray:
    return t.detach().cpu().double().numpy()


def _probe_sigma(module: Any) -> np.ndarray:
    import torch

    with torch.no_grad():
        return _as_numpy(module.activation(torch.tensor(_PROBE, dtype=torch.float64)))


def identify_activation(module: Any) -> LegendrePair:
    """The pair whose σ the official module uses, found by evaluating it on a grid."""
    values = _probe_sigma(module)
    candidates = [
        L.get(n)
        for n in ("sigmoid", "tanh", "scaled_tanh", "atan", "isru", "asinh", "sin", "bent_identity")
    ]
    at_zero = float(values[len(_PROBE) // 2])
    if at_zero > 0 and np.all(values >= 0) and np.all(np.diff(values) >= 0):
        candidates.append(L.get("softplus", beta=float(f"{math.log(2.0) / at_zero:.10g}")))
    for pair in candidates:
        if np.allclose(np.asarray(pair.sigma(jnp.asarray(_PROBE))), values, rtol=1e-6, atol=1e-7):
            return pair
    raise ValueError(
        "the official module's activation is none of the Legendre pairs (an official 'relu' "
        "outside the Bregman version is a true ReLU, which has no inverse)"
    )


def _linear_weight(linear: Any) -> Any:
    """W of a torch Linear, recomputed from g and v if it uses (legacy) weight normalisation."""
    import torch

    if hasattr(linear, "weight_g") and hasattr(linear, "weight_v"):
        return torch._weight_norm(linear.weight_v, linear.weight_g, 0)
    return linear.weight


def _official_mixing(reparam: Any) -> np.ndarray:
    """V = bregmanet's projection_simplex of the reparametrisation weight, as its forward
    pass computes it."""
    from bregmanet.utils.weight import projection_simplex

    return _as_numpy(projection_simplex(reparam.weight.detach().double()))


def _mixing_logits(reparam: Any, strict: bool, layer: int, dtype: Any) -> jnp.ndarray:
    v = _official_mixing(reparam)
    sums = v.sum(axis=1)
    if not np.allclose(sums, 1.0, atol=1e-6):
        message = (
            f"hidden layer {layer}: the official V (bregmanet's projection_simplex, which is "
            f"not the Euclidean projection) has row sums in [{sums.min():.4g}, {sums.max():.4g}],"
            " not 1, so it is not row-stochastic"
        )
        if strict:
            raise ValueError(message + "; pass strict=False to renormalise its rows")
        warnings.warn(message + "; rows renormalised, outputs will differ", stacklevel=3)
        v = v / sums[:, None]
    tiny = np.finfo(np.dtype(dtype)).tiny
    return jnp.asarray(np.log(np.maximum(v, tiny)), dtype)


def _official_name(module: Any, pair: LegendrePair, activation: str | None) -> str:
    """The official activation name (``"relu"`` for the bent identity), checked against σ."""
    if activation is not None and official_pair(activation) != pair:
        raise ValueError(f"the module's activation is {pair!r}, not {activation!r}")
    if activation is not None:
        return activation.lower()
    return "relu" if pair.name == "bent_identity" else pair.name


def _as_trained(module: Any, pair: LegendrePair, name: str, dtype: Any) -> ConvNet:
    """The `ConvNet` of what the official module computes (module docstring)."""
    skip = skip_map(name, pair, "model", margin=PACKAGE_MARGIN)
    stages: list[Stage] = []
    for linear, reparam in zip(module.lin, module.reparametrization, strict=True):
        weight = jnp.asarray(_as_numpy(_linear_weight(linear)), dtype)
        affine = Affine(Matrix(weight), jnp.asarray(_as_numpy(linear.bias), dtype))
        if module.version != "bregman":
            stages += [affine, Activation(pair, affine.out_shape)]
            continue
        shortcut: Shortcut | Matrix = Shortcut(affine.in_shape)
        if weight.shape[0] != weight.shape[1]:
            shortcut = Matrix(jnp.asarray(_official_mixing(reparam), dtype))
        stages.append(ResidualBlock((affine,), shortcut, pair, "bregman", skip))
    head = jnp.asarray(_as_numpy(_linear_weight(module.output)), dtype)
    stages.append(Affine(Matrix(head), jnp.asarray(_as_numpy(module.output.bias), dtype)))
    return ConvNet(tuple(stages))


def _legendre_mlp(module: Any, pair: LegendrePair, strict: bool, dtype: Any) -> MLP:
    """Our `MLP` with the module's weights and the true σ⁻¹ (module docstring)."""
    version: Version = "bregman" if module.version == "bregman" else "standard"
    hidden = []
    for k, (linear, reparam) in enumerate(zip(module.lin, module.reparametrization, strict=True)):
        weight = jnp.asarray(_as_numpy(_linear_weight(linear)), dtype)
        bias = jnp.asarray(_as_numpy(linear.bias), dtype)
        logits = None
        if version == "bregman" and weight.shape[0] != weight.shape[1]:
            logits = _mixing_logits(reparam, strict, k, dtype)
        hidden.append(Dense(weight, bias, logits, pair, version))
    head_weight = jnp.asarray(_as_numpy(_linear_weight(module.output)), dtype)
    head_bias = jnp.asarray(_as_numpy(module.output.bias), dtype)
    return MLP(tuple(hidden), head_weight, head_bias, pair, version)


def from_bregmanet(
    module: Any,
    *,
    activation: str | None = None,
    skip: str = "model",
    strict: bool = True,
    dtype: Any = jnp.float32,
) -> ConvNet | MLP:
    """The network of a ``bregmanet.MLP`` (see the module docstring): with ``skip="model"`` a
    `ConvNet` computing what the module computes (the package's g and clamp), with
    ``skip="legendre"`` our `MLP` with the true σ⁻¹.

    ``activation``: the official name the module was built with (checked against its σ), or
    None to identify σ by evaluating it. ``dtype``: float32 or float64 (needs x64).
    """
    try:
        from bregmanet import MLP as OfficialMLP
    except ImportError as err:
        raise ImportError("from_bregmanet needs torch and bregmanet (the 'peers' extra)") from err
    if not isinstance(module, OfficialMLP):
        raise TypeError(f"expected a bregmanet.MLP, got {type(module).__name__}")
    if skip not in SKIPS:
        raise ValueError(f"unknown skip {skip!r}; expected one of {list(SKIPS)}")
    dtype = check_dtype(dtype)
    if dtype == jnp.float64 and not jax.config.read("jax_enable_x64"):
        raise ValueError('dtype=float64 needs jax.config.update("jax_enable_x64", True)')
    pair = identify_activation(module)
    name = _official_name(module, pair, activation)
    if skip == "model":
        return _as_trained(module, pair, name, dtype)
    return _legendre_mlp(module, pair, strict, dtype)
