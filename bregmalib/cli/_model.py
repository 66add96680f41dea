"""Loading a saved model for the commands that analyse one (``lipschitz``, ``invert``)."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Any

import jax

from bregmalib.nn import MLP, ConvNet, ResNet
from bregmalib.train import load


def load_model(path: str) -> tuple[MLP | ResNet, dict[str, Any]]:
    """The model and metadata of the checkpoint at ``path`` (written by `bregmalib.train.save`),
    with float64 enabled first: the bounds and certificates are computed in double precision."""
    jax.config.update("jax_enable_x64", True)
    return load(path)


def load_mlp(path: str, command: str) -> tuple[MLP, dict[str, Any]]:
    """`load_model`, refusing a model that is not an MLP (the analyses read dense layers)."""
    model, meta = load_model(path)
    if not isinstance(model, MLP):
        raise ValueError(
            f"bregmalib {command} analyses MLPs; {path} holds a {type(model).__name__}, "
            "whose convolutional layers it does not bound or certify"
        )
    return model, meta


#: file suffixes read with torch.load
TORCH_SUFFIXES = (".pt", ".pth")


@dataclasses.dataclass(frozen=True)
class TorchModel:
    """A PyTorch model converted for analysis: a `ConvNet` (bregmanet residual network or
    Sequential) or an `MLP` (bregmanet MLP), what it was, and notes for the report."""

    model: ConvNet | MLP
    kind: str
    activation: str
    notes: tuple[str, ...]


def is_torch_file(path: str, arch: str | None) -> bool:
    """True when ``path`` is to be read with torch: a .pt/.pth suffix or an --arch given."""
    return arch is not None or Path(path).suffix in TORCH_SUFFIXES


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ValueError(
            "reading a PyTorch file needs torch and bregmanet (pip install 'bregmalib[peers]')"
        ) from None
    return torch


def _read(path: str) -> Any:
    """torch.load of ``path``: tensors only first (a state_dict), else the pickled module
    (which runs code from the file: load only files you trust)."""
    torch = _torch()
    if not Path(path).is_file():
        raise FileNotFoundError(2, "No such file or directory", path)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception:
        pass
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as err:
        raise ValueError(
            f"{path} is not a PyTorch model or state_dict ({type(err).__name__})"
        ) from None


def _bregmanet() -> Any:
    import bregmanet
    import numpy as np

    if not hasattr(np, "Inf"):  # bregmanet 1.0.0 builds some activations with NumPy 1's np.Inf
        np.Inf = np.inf  # type: ignore[attr-defined]
    return bregmanet


def _mlp_of(state: dict[str, Any], activation: str, version: str) -> Any:
    """The bregmanet MLP whose layers have the shapes of the state_dict's (lin.k, output)."""
    norm = "lin.0.weight_v" in state
    key = "weight_v" if norm else "weight"
    shapes: list[tuple[int, ...]] = []
    while f"lin.{len(shapes)}.{key}" in state:
        shapes.append(tuple(state[f"lin.{len(shapes)}.{key}"].shape))
    if not shapes or "output.weight" not in state:
        raise ValueError("the state_dict has no lin.0 and output layers of a bregmanet MLP")
    return _bregmanet().MLP(
        activation,
        version=version,
        input_dim=shapes[0][1],
        hidden_dim=[shape[0] for shape in shapes],
        output_dim=state["output.weight"].shape[0],
        weight_norm=norm,
    )


def _build(
    arch: str | None, activation: str | None, state: dict[str, Any], path: str, version: str
) -> Any:
    """The bregmanet network ``arch`` (a residual network, or ``"mlp"`` of ``version`` with the
    widths of the state_dict) with the weights of ``state`` (a state_dict)."""
    from bregmalib.interop import BRESNETS, LARGE_BRESNETS

    if arch is None or activation is None:
        raise ValueError(f"{path} holds a state_dict: name its --arch and --activation")
    if arch == "mlp":
        module = _mlp_of(state, activation, version)
    elif arch in BRESNETS:
        module = getattr(_bregmanet(), arch)(activation=activation)
    elif arch in LARGE_BRESNETS:
        classes = state["fc.weight"].shape[0] if "fc.weight" in state else 1000
        module = getattr(_bregmanet(), arch)(activation=activation, num_classes=classes)
    else:
        known = ["mlp", *BRESNETS, *LARGE_BRESNETS]
        raise ValueError(f"unknown architecture {arch!r}; expected one of {known}")
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as err:
        first = str(err).split("\n")[1].strip() if "\n" in str(err) else str(err)
        raise ValueError(f"the weights in {path} do not fit {arch}: {first}") from None
    return module


def _name_of(module: Any, activation: str | None) -> str:
    from bregmalib.interop import identify_activation

    if activation is not None:
        return activation
    pair = identify_activation(module)
    return "relu" if pair.name == "bent_identity" else pair.name


def _skip_note(name: str, skip: str, net: Any, as_trained: ConvNet, inputs: Any) -> str:
    """What the report says of a bregmanet skip g that is not σ⁻¹ (``inputs``: where the
    difference of a conversion with σ⁻¹ is measured, as words and a batch)."""
    from bregmalib.interop import output_difference

    note = f"bregmanet's skip g for {name} is not the inverse of sigma; "
    if skip == "model":
        return note + "the bounds are of the model as trained (its g and clamp)"
    words, batch = inputs
    difference = output_difference(net, as_trained, batch)
    return note + (
        "converted with the true inverse: max output difference to the model as trained "
        f"{difference:.3g} on {words}"
    )


def _images(shape: tuple[int, ...]) -> tuple[str, Any]:
    batch = jax.random.uniform(jax.random.key(0), (8, *shape), minval=-1.0, maxval=1.0)
    return "8 random images in [-1, 1]", batch


def _mlp_inputs(pair: Any, size: int) -> tuple[str, Any]:
    from bregmalib.data import target_segment

    lo, hi = target_segment(pair, 0.05)
    batch = jax.random.uniform(jax.random.key(0), (8, size), minval=lo, maxval=hi)
    return f"8 random inputs in [{lo:.3g}, {hi:.3g}]", batch


def _mlp_model(module: Any, activation: str | None, skip: str) -> TorchModel:
    """A bregmanet MLP converted with ``skip``, and the note on its g."""
    from bregmalib.interop import from_bregmanet, identify_activation, package_skip_differs

    pair = identify_activation(module)
    name = _name_of(module, activation)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        net = from_bregmanet(
            module, activation=activation, skip=skip, strict=False, dtype=jax.numpy.float64
        )
    notes: tuple[str, ...] = tuple(str(w.message) for w in caught)
    if module.version == "bregman" and package_skip_differs(name):
        trained = from_bregmanet(module, dtype=jax.numpy.float64)
        assert isinstance(trained, ConvNet)
        inputs = _mlp_inputs(pair, trained.in_shape[0])
        notes += (_skip_note(name, skip, net, trained, inputs),)
    return TorchModel(net, "bregmanet MLP", name, notes)


def load_torch(
    path: str,
    *,
    arch: str | None = None,
    activation: str | None = None,
    image_shape: tuple[int, ...] = (3, 32, 32),
    skip: str = "model",
    version: str = "bregman",
) -> TorchModel:
    """The model in a PyTorch file (a saved module or a bregmanet state_dict), converted:
    bregmanet residual networks and torch.nn.Sequential to a `ConvNet` on ``image_shape``
    inputs, bregmanet MLPs to a `ConvNet` (``skip="model"``) or an `MLP` (``"legendre"``), in
    float64; ``version`` is that of an MLP state_dict (``arch="mlp"``)."""
    jax.config.update("jax_enable_x64", True)
    torch = _torch()
    from bregmanet import MLP as OfficialMLP
    from bregmanet import resnet_large, resnet_small

    from bregmalib.interop import from_bresnet, from_sequential, package_skip_differs

    loaded = _read(path)
    if isinstance(loaded, dict):
        loaded = _build(arch, activation, loaded, path, version)
    if isinstance(loaded, resnet_small.BregmanResNet | resnet_large.BregmanResNet):
        name = _name_of(loaded, activation)
        net = from_bresnet(loaded, name, image_shape=image_shape, skip=skip)
        notes: tuple[str, ...] = ()
        if package_skip_differs(name):
            trained = from_bresnet(loaded, name, image_shape=image_shape)
            notes = (_skip_note(name, skip, net, trained, _images(net.in_shape)),)
        return TorchModel(net, arch or "bresnet", name, notes)
    if isinstance(loaded, OfficialMLP):
        return _mlp_model(loaded, activation, skip)
    if isinstance(loaded, torch.nn.Sequential):
        net = from_sequential(loaded, image_shape)
        return TorchModel(net, "sequential", "", ())
    raise ValueError(
        f"{path} holds a {type(loaded).__name__}, not a bregmanet network, a torch.nn.Sequential "
        "or a state_dict"
    )
