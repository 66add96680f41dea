"""Convert PyTorch models into a `bregmalib.nn.ConvNet`: the residual networks of the official
package (``bregmanet.bresnet20``, …, ``bresnet1202`` and ``bresnet18``, ``bresnet34``, Bregman
version) and ``torch.nn.Sequential`` models of Linear, Conv2d, BatchNorm2d, Flatten, AvgPool2d
and Sigmoid/Tanh/Softplus.

What a bregmanet ``BregmanBasicBlock`` computes (read from bregmanet 1.0.0, shortcut option E):
x⁺ = σ(g(clamp(Sx, lo + 2·10⁻⁵, hi − 2·10⁻⁵)) + BN₂C₂σ(BN₁C₁x)), where S subsamples by 2 and
pads C/4 channels on each side with σ(0) when the block widens, and g is the package's "offset".
Batch norm in eval mode is y = γ(x − μ)/√(v + ε) + β, folded into the convolution before it.
The package's g (`bregmalib.interop._skip`) is σ⁻¹ except for sigmoid, the bent identity and
softplus (where g jumps, so that the model has no finite Lipschitz constant). ``skip="model"``
keeps g as the package has it, so that every bound is a bound on the trained model;
``skip="legendre"`` uses σ⁻¹ (the network the paper defines), whose outputs differ for those
activations (`output_difference` measures by how much).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.typing import ArrayLike

from bregmalib.interop._bregmanet import official_pair
from bregmalib.interop._skip import skip_map
from bregmalib.legendre import LegendrePair
from bregmalib.nn import (
    Activation,
    Affine,
    AvgPool,
    Conv2d,
    ConvNet,
    Flatten,
    Matrix,
    MaxPool,
    Padding,
    ResidualBlock,
    Shortcut,
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
#: its ImageNet residual networks that convert (basic blocks) and their blocks per stage
LARGE_BRESNETS: dict[str, tuple[int, ...]] = {"bresnet18": (2, 2, 2, 2), "bresnet34": (3, 4, 6, 3)}


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


def _small_stages(
    module: Any, activation: str, skip: str, image_shape: tuple[int, ...], dtype: Any
) -> list[Any]:
    """The stages of a CIFAR BregmanResNet (bresnet20 … 1202): stem, σ, three stages of blocks
    with the model's activation, global average pooling, flattening, the linear head."""
    from bregmanet.resnet_small import BisBregmanBasicBlock, BregmanBasicBlock

    pair = official_pair(activation)
    stem = _conv_affine(module.conv1, module.bn1, image_shape, dtype)
    stages: list[Any] = [stem, Activation(pair, stem.out_shape)]
    for block in (*module.layer1, *module.layer2, *module.layer3):
        if isinstance(block, BisBregmanBasicBlock):
            raise ValueError(
                "bregmanet's bregman_bis networks fail in the package itself (the second "
                "shortcut of a widening block subsamples an already subsampled map: shape "
                "mismatch), so there is no trained model to convert"
            )
        if not isinstance(block, BregmanBasicBlock):
            raise ValueError(f"only BregmanBasicBlock converts, not {type(block).__name__}")
        stages.append(_block(block, activation, pair, skip, stages[-1].out_shape, dtype))
    stages.append(_global_pool(stages[-1].out_shape))
    return [*stages, Flatten(stages[-1].out_shape), _linear(module.linear, dtype)]


def _large_stages(
    module: Any, activation: str, skip: str, image_shape: tuple[int, ...], dtype: Any
) -> list[Any]:
    """The stages of an ImageNet BregmanResNet (bresnet18, 34): 7 × 7 stride-2 stem, σ, 3 × 3
    stride-2 max pooling, four stages of blocks (bregmanet 1.0.0 builds them with softplus,
    β = 1000, whatever the model's activation), global average pooling, the linear head."""
    from bregmanet.resnet_large import BregmanBasicBlock

    pair = official_pair(activation)
    stem = _conv_affine(module.conv1, module.bn1, image_shape, dtype)
    pool = MaxPool(3, 2, 1, stem.out_shape)
    stages: list[Any] = [stem, Activation(pair, stem.out_shape), pool]
    blocks = (*module.layer1, *module.layer2, *module.layer3, *module.layer4)
    for block in blocks:
        if not isinstance(block, BregmanBasicBlock):
            raise ValueError(
                f"bregmanet's {type(block).__name__} networks (bresnet50, 101, 152, bresnext, "
                "wide_bresnet) apply g, softplus's offset, to the unclamped output of a 1×1 "
                "convolution and batch norm, outside g's domain (0, ∞): the package computes "
                "NaN there, so they do not convert"
            )
        name = "softplus"
        block_pair = official_pair(name)
        stages.append(_block(block, name, block_pair, skip, stages[-1].out_shape, dtype))
    stages.append(_global_pool(stages[-1].out_shape))
    return [*stages, Flatten(stages[-1].out_shape), _linear(module.fc, dtype)]


def _global_pool(shape: tuple[int, ...]) -> AvgPool:
    if shape[1] != shape[2]:
        raise ValueError(f"global average pooling converts on square maps only, got {shape}")
    return AvgPool(shape[1], shape)


def from_bresnet(
    module: Any,
    activation: str,
    *,
    image_shape: tuple[int, ...] = (3, 32, 32),
    skip: str = "model",
    dtype: Any = jnp.float64,
) -> ConvNet:
    """The `ConvNet` computing what a bregmanet ``BregmanResNet`` (Bregman version, blocks with
    shortcut option E: ``bresnet20`` … ``bresnet1202`` and ``bresnet18``, ``bresnet34``)
    computes in eval mode on images of ``image_shape``, its batch norms folded; ``activation``
    is the name it was built with (see the module docstring for ``skip``). The package's other
    networks raise: its standard versions cannot be built, its ``bregman_bis`` networks and its
    Bottleneck networks fail or give NaN in the package itself."""
    _need_torch()
    from bregmanet import resnet_large, resnet_small

    shape = tuple(image_shape)
    if isinstance(module, resnet_small.BregmanResNet):
        return ConvNet(tuple(_small_stages(module, activation, skip, shape, dtype)))
    if isinstance(module, resnet_large.BregmanResNet):
        return ConvNet(tuple(_large_stages(module, activation, skip, shape, dtype)))
    raise TypeError(f"expected a bregmanet BregmanResNet, got {type(module).__name__}")


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


def output_difference(
    net: Callable[[Array], Array], other: Callable[[Array], Array], inputs: ArrayLike
) -> float:
    """max |f(x) − f′(x)| over a batch of inputs, for two networks of one input (a `ConvNet`,
    an `MLP`), e.g. ``skip="model"`` against ``"legendre"``."""
    x = jnp.asarray(inputs, jnp.float64)
    return float(jnp.max(jnp.abs(jax.vmap(net)(x) - jax.vmap(other)(x))))


def agreement(module: Any, net: Callable[[Array], Array], inputs: np.ndarray) -> float:
    """max |f_torch(x) − f(x)| over a batch of inputs, both in float64 (``net`` a `ConvNet` or
    an `MLP` of float64 arrays)."""
    ours = np.asarray(jax.vmap(net)(jnp.asarray(inputs, jnp.float64)))
    return float(np.max(np.abs(torch_outputs(module, inputs) - ours)))
