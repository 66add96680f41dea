"""Convert a ``bregmanet.MLP`` (the official PyTorch package, PyPI ``bregmanet`` 1.0.0) into a
`bregmalib.nn.MLP`.

What the official forward pass computes, and how it is mapped (read from bregmanet 1.0.0):

- ``version="bregman"``: x⁺ = σ(offset(clamp(Vx, lo + 1e-5, hi − 1e-5)) + Wx + b), where
  ``offset`` is meant to be σ⁻¹ and V = ``projection_simplex(R)`` of its reparametrisation
  weight R, recomputed (and written back) at every forward pass. Mapped to our Bregman MLP with
  the *correct* σ⁻¹. Two official inverses are wrong: sigmoid uses log(x/(1+x)) instead of the
  logit log(x/(1−x)), and ``"relu"`` (the bent identity σ(u) = (u + √(u²+1))/2) uses x + 1/x
  instead of x − 1/(4x); for these two the converted model differs from the official one (it is
  the network the official weights were meant to define).
- ``version="standard"``: σ(Wx + b) → our standard MLP.
- ``version="euclidean"``: the official forward pass ignores its offset and computes σ(Wx + b)
  too, so it is mapped to our *standard* MLP (which reproduces it).

The official "projection" sorts ascending, which amounts to V = ReLU(R − (R𝟙 − 1)/n): its rows
lie on the simplex only when nothing is clipped. Our V = softmax(logits) has rows on the simplex,
so a layer with V ≠ I converts exactly only when the official V is row-stochastic; otherwise
``strict=True`` raises and ``strict=False`` renormalises the rows (with a warning). The official
clamp to 1e-5 inside I changes nothing unless a hidden unit is saturated within 1e-5 of an end.
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
from bregmalib.legendre import LegendrePair
from bregmalib.nn import MLP, Dense, Version
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
#: official names whose σ⁻¹ is wrong in bregmanet 1.0.0 (so outputs differ after conversion)
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


def _mixing_logits(reparam: Any, strict: bool, layer: int, dtype: Any) -> jnp.ndarray:
    from bregmanet.utils.weight import projection_simplex

    v = _as_numpy(projection_simplex(reparam.weight.detach()))
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


def from_bregmanet(
    module: Any, *, activation: str | None = None, strict: bool = True, dtype: Any = jnp.float32
) -> MLP:
    """Our `MLP` computing what a ``bregmanet.MLP`` computes (see the module docstring).

    ``activation``: the official name the module was built with (checked against its σ), or
    None to identify σ by evaluating it. ``dtype``: float32 or float64 (needs x64).
    """
    try:
        from bregmanet import MLP as OfficialMLP
    except ImportError as err:
        raise ImportError("from_bregmanet needs torch and bregmanet (the 'peers' extra)") from err
    if not isinstance(module, OfficialMLP):
        raise TypeError(f"expected a bregmanet.MLP, got {type(module).__name__}")
    dtype = check_dtype(dtype)
    if dtype == jnp.float64 and not jax.config.read("jax_enable_x64"):
        raise ValueError('dtype=float64 needs jax.config.update("jax_enable_x64", True)')
    pair = identify_activation(module)
    if activation is not None and official_pair(activation) != pair:
        raise ValueError(f"the module's activation is {pair!r}, not {activation!r}")
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
