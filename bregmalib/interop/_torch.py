"""Convert PyTorch models into a `bregmalib.nn.ConvNet`: the residual networks of the official
package (``bregmanet.bresnet20``, …, ``bresnet1202``, Bregman version) and ``torch.nn.Sequential``
models of Linear, Conv2d, BatchNorm2d, Flatten, AvgPool2d and Sigmoid/Tanh/Softplus.

What a bregmanet ``BregmanBasicBlock`` computes (read from bregmanet 1.0.0, shortcut option E):
x⁺ = σ(g(clamp(Sx, lo + 2·10⁻⁵, hi − 2·10⁻⁵)) + BN₂C₂σ(BN₁C₁x)), where S subsamples by 2 and
pads C/4 channels on each side with σ(0) when the block widens, and g is the package's "offset".
Batch norm in eval mode is y = γ(x − μ)/√(v + ε) + β, folded into the convolution before it.
The package's g is σ⁻¹ except for ``sigmoid`` (g(s) = log(s/(1 + s))), ``relu`` (the bent
identity, g(s) = s + 1/s) and softplus (a series log(βs)/β + s below βs = e⁻⁵, where g jumps,
so that the model has no finite Lipschitz constant). ``skip="model"`` keeps g as the package
has it, so that every bound is a bound on the trained model; ``skip="legendre"`` uses σ⁻¹ (the
network the paper defines), whose outputs differ for those activations (`output_difference`
measures by how much).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.typing import ArrayLike

from bregmalib._certified import round_up
from bregmalib.interop._bregmanet import official_pair
from bregmalib.legendre import LegendrePair
from bregmalib.nn import (
    Activation,
    Affine,
    AvgPool,
    Conv2d,
    ConvNet,
    Flatten,
    Matrix,
    Padding,
    ResidualBlock,
    Shortcut,
    SkipMap,
)

#: the residual networks of bregmanet 1.0.0 for 32 × 32 images and their blocks per stage
BRESNETS: dict[str, int] = {
    "bresnet20": 3,
    "bresnet32": 5,
    "bresnet44": 7,
    "bresnet56": 9,
    "bresnet110": 18,
    "bresnet1202": 200,
}
#: bregmanet's margin: its interval is shrunk by it, then the block clamps by it again
PACKAGE_MARGIN = 1e-5
SKIPS = ("model", "legendre")


def _need_torch() -> Any:
    try:
        import torch
    except ImportError as err:
        raise ImportError(
            "converting PyTorch models needs torch (pip install 'bregmalib[peers]')"
        ) from err
    return torch


def _numpy(tensor: Any) -> np.ndarray:
    return tensor.detach().cpu().double().numpy()


def _sigmoid_offset(s: Array) -> Array:
    return jnp.log(s / (1.0 + s))


def _bent_offset(s: Array) -> Array:
    return s + 1.0 / s


def _softplus_offset(beta: float) -> Callable[[Array], Array]:
    """bregmanet's softplus g: log(βs)/β + s where βs < e⁻⁵, else log(1 − e^{−βs})/β + s (the
    two branches differ by about e⁻⁵/(2β) where they meet, so g jumps there)."""

    def offset(s: Array) -> Array:
        series = jnp.log(beta * s) / beta + s
        exact = jnp.log(-jnp.expm1(-beta * s)) / beta + s
        return jnp.where(s * beta < math.exp(-5.0), series, exact)

    return offset


def _package_inverse(
    name: str, pair: LegendrePair, lo: float
) -> tuple[str, Callable[[Array], Array], float] | None:
    """The package's g where it is not σ⁻¹ (None where it is), and sup |g′| on [lo, hi]:
    sigmoid g′(s) = 1/(s(1 + s)), largest at lo; bent identity g′(s) = 1 − 1/s², of modulus
    at most max(1, 1/lo² − 1); softplus: +inf, g is discontinuous."""
    if name == "sigmoid":
        return "log(s/(1+s))", _sigmoid_offset, 1.0 / (lo * (1.0 + lo))
    if name == "relu":
        return "s+1/s", _bent_offset, max(1.0, 1.0 / lo**2 - 1.0)
    if "softplus" in name:
        beta = pair.parameter_values["beta"]
        return "bregmanet softplus offset (discontinuous)", _softplus_offset(beta), math.inf
    return None


def skip_map(name: str, pair: LegendrePair, skip: str) -> SkipMap:
    """The Bregman skip of a bregmanet block built with activation ``name``: the package's
    clamp to [lo + 2·10⁻⁵, hi − 2·10⁻⁵], and its g (``skip="model"``) or σ⁻¹ (``"legendre"``)."""
    if skip not in SKIPS:
        raise ValueError(f"unknown skip {skip!r}; expected one of {list(SKIPS)}")
    lo = pair.lower + 2 * PACKAGE_MARGIN
    hi = pair.upper - 2 * PACKAGE_MARGIN
    wrong = _package_inverse(name.lower(), pair, lo)
    if skip == "model" and wrong is not None:
        label, function, slope = wrong
        return SkipMap(function, lo, hi, label, float(round_up(slope, 4)))
    return SkipMap(None, lo, hi)


def fold_batch_norm(
    kernel: np.ndarray, bias: np.ndarray, norm: Any
) -> tuple[np.ndarray, np.ndarray]:
    """(γ/s)·K and β + γ(b − μ)/s with s = √(v + ε): a convolution followed by batch norm in
    eval mode, as one convolution."""
    if norm is None or not hasattr(norm, "running_mean"):
        return kernel, bias
    if norm.running_mean is None:
        raise ValueError("batch norm without running statistics cannot be folded")
    scale = np.sqrt(_numpy(norm.running_var) + norm.eps)
    gamma = _numpy(norm.weight) if norm.weight is not None else np.ones_like(scale)
    beta = _numpy(norm.bias) if norm.bias is not None else np.zeros_like(scale)
    factor = gamma / scale
    return kernel * factor[:, None, None, None], beta + factor * (bias - _numpy(norm.running_mean))


def _conv_affine(conv: Any, norm: Any, in_shape: tuple[int, ...], dtype: Any) -> Affine:
    """The affine map of a torch Conv2d (followed by ``norm``, folded)."""
    _check_conv(conv)
    kernel = _numpy(conv.weight)
    bias = _numpy(conv.bias) if conv.bias is not None else np.zeros(kernel.shape[0])
    kernel, bias = fold_batch_norm(kernel, bias, norm)
    mode: Padding = "circular" if conv.padding_mode == "circular" else "zeros"
    operator = Conv2d(jnp.asarray(kernel, dtype), in_shape, conv.stride[0], conv.padding[0], mode)
    return Affine(operator, jnp.asarray(bias, dtype))


def _check_conv(conv: Any) -> None:
    padding = conv.padding
    if (
        isinstance(padding, str)
        or conv.stride[0] != conv.stride[1]
        or padding[0] != padding[1]
        or conv.groups != 1
        or tuple(conv.dilation) != (1, 1)
        or conv.padding_mode not in ("zeros", "circular")
    ):
        raise ValueError(
            "only Conv2d with equal strides and paddings (an integer), groups=1, no dilation and "
            f"zeros or circular padding converts; got {conv}"
        )


def _block(
    block: Any, name: str, pair: LegendrePair, skip: str, in_shape: tuple[int, ...], dtype: Any
) -> ResidualBlock:
    torch = _need_torch()
    first = _conv_affine(block.conv1, block.bn1, in_shape, dtype)
    second = _conv_affine(block.conv2, block.bn2, first.out_shape, dtype)
    stride = block.conv1.stride[0]
    widen = first.out_shape[0] - in_shape[0]
    if isinstance(block.shortcut, torch.nn.Sequential) and len(block.shortcut) == 0:
        shortcut = Shortcut(in_shape)
    else:
        with torch.no_grad():
            fill = float(block.activation(torch.zeros(1)))
        shortcut = Shortcut(in_shape, stride, widen // 2, widen - widen // 2, fill)
    return ResidualBlock((first, second), shortcut, pair, "bregman", skip_map(name, pair, skip))


def from_bresnet(
    module: Any,
    activation: str,
    *,
    image_shape: tuple[int, ...] = (3, 32, 32),
    skip: str = "model",
    dtype: Any = jnp.float64,
) -> ConvNet:
    """The `ConvNet` computing what a bregmanet ``BregmanResNet`` (Bregman version, blocks with
    shortcut option E) computes in eval mode on images of ``image_shape``, its batch norms
    folded; ``activation`` is the name it was built with (see the module docstring for
    ``skip``)."""
    _need_torch()
    from bregmanet.resnet_small import BregmanBasicBlock, BregmanResNet

    if not isinstance(module, BregmanResNet):
        raise TypeError(f"expected a bregmanet BregmanResNet, got {type(module).__name__}")
    pair = official_pair(activation)
    stem = _conv_affine(module.conv1, module.bn1, tuple(image_shape), dtype)
    stages: list[Any] = [stem, Activation(pair, stem.out_shape)]
    shape = stem.out_shape
    for block in (*module.layer1, *module.layer2, *module.layer3):
        if not isinstance(block, BregmanBasicBlock):
            raise ValueError(
                f"only BregmanBasicBlock converts, not {type(block).__name__} (the standard "
                "version's ReLU has no Legendre pair; bregman_bis blocks are not supported)"
            )
        stages.append(_block(block, activation, pair, skip, shape, dtype))
        shape = stages[-1].out_shape
    pool = AvgPool(shape[1], shape)
    stages += [pool, Flatten(pool.out_shape), _linear(module.linear, dtype)]
    return ConvNet(tuple(stages))


def _linear(linear: Any, dtype: Any) -> Affine:
    weight = _numpy(linear.weight)
    bias = _numpy(linear.bias) if linear.bias is not None else np.zeros(weight.shape[0])
    return Affine(Matrix(jnp.asarray(weight, dtype)), jnp.asarray(bias, dtype))


def _activation_pair(layer: Any) -> LegendrePair | None:
    torch = _need_torch()
    if isinstance(layer, torch.nn.Sigmoid):
        return official_pair("sigmoid")
    if isinstance(layer, torch.nn.Tanh):
        return official_pair("tanh")
    if isinstance(layer, torch.nn.Softplus):
        return official_pair(f"softplus{float(layer.beta)}")
    return None


def from_sequential(
    module: Any, input_shape: tuple[int, ...], *, dtype: Any = jnp.float64
) -> ConvNet:
    """The `ConvNet` of a ``torch.nn.Sequential`` of Linear, Conv2d (BatchNorm2d after it is
    folded), Flatten, AvgPool2d (kernel = stride, no padding) and one kind of activation
    among Sigmoid, Tanh and Softplus, on inputs of ``input_shape`` (eval mode)."""
    torch = _need_torch()
    if not isinstance(module, torch.nn.Sequential):
        raise TypeError(f"expected a torch.nn.Sequential, got {type(module).__name__}")
    layers = list(module)
    stages: list[Any] = []
    shape = tuple(input_shape)
    k = 0
    while k < len(layers):
        layer = layers[k]
        following = layers[k + 1] if k + 1 < len(layers) else None
        if isinstance(layer, torch.nn.Conv2d):
            norm = following if isinstance(following, torch.nn.BatchNorm2d) else None
            stage: Any = _conv_affine(layer, norm, shape, dtype)
            k += norm is not None
        elif isinstance(layer, torch.nn.Linear):
            stage = _linear(layer, dtype)
        elif isinstance(layer, torch.nn.Flatten):
            stage = Flatten(shape)
        elif isinstance(layer, torch.nn.AvgPool2d):
            stage = _avg_pool(layer, shape)
        elif (pair := _activation_pair(layer)) is not None:
            stage = Activation(pair, shape)
        else:
            raise ValueError(f"layer {k} ({type(layer).__name__}) does not convert")
        if stage.in_shape != shape:
            raise ValueError(f"layer {k} ({layer}) takes {stage.in_shape}, gets {shape}")
        stages.append(stage)
        shape = stage.out_shape
        k += 1
    pairs = {s.pair for s in stages if isinstance(s, Activation)}
    if len(pairs) > 1:
        raise ValueError(f"one activation per network, got {sorted(p.name for p in pairs)}")
    return ConvNet(tuple(stages))


def _avg_pool(layer: Any, shape: tuple[int, ...]) -> AvgPool:
    size = layer.kernel_size if isinstance(layer.kernel_size, int) else layer.kernel_size[0]
    stride = layer.stride if isinstance(layer.stride, int) else layer.stride[0]
    padding = layer.padding if isinstance(layer.padding, int) else layer.padding[0]
    if stride != size or padding or len(shape) != 3 or shape[1] % size or shape[2] % size:
        raise ValueError(
            f"only AvgPool2d with kernel = stride dividing the image and no padding converts, "
            f"got {layer} on {shape}"
        )
    return AvgPool(size, shape)


def torch_outputs(module: Any, inputs: np.ndarray) -> np.ndarray:
    """The module's outputs on float64 ``inputs`` (a batch), in eval mode without gradients."""
    torch = _need_torch()
    module = copy.deepcopy(module).double().eval()
    with torch.no_grad():
        return _numpy(module(torch.from_numpy(np.asarray(inputs, np.float64))))


def output_difference(net: ConvNet, other: ConvNet, inputs: ArrayLike) -> float:
    """max |f(x) − f′(x)| over a batch of inputs (e.g. ``skip="model"`` against
    ``"legendre"``)."""
    x = jnp.asarray(inputs, jnp.float64)
    return float(jnp.max(jnp.abs(jax.vmap(net)(x) - jax.vmap(other)(x))))


def agreement(module: Any, net: ConvNet, inputs: np.ndarray) -> float:
    """max |f_torch(x) − f(x)| over a batch of inputs, both in float64."""
    ours = np.asarray(jax.vmap(net)(jnp.asarray(inputs, jnp.float64)))
    return float(np.max(np.abs(torch_outputs(module, inputs) - ours)))
