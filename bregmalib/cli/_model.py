"""Loading a saved model for the commands that analyse one (``lipschitz``, ``invert``)."""

from __future__ import annotations

import dataclasses
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


def _build(arch: str | None, activation: str | None, state: dict[str, Any], path: str) -> Any:
    """The bregmanet network ``arch`` with the weights of ``state`` (a state_dict)."""
    from bregmalib.interop import BRESNETS

    if arch is None or activation is None:
        raise ValueError(f"{path} holds a state_dict: name its --arch and --activation")
    if arch not in BRESNETS:
        raise ValueError(f"unknown architecture {arch!r}; expected one of {list(BRESNETS)}")
    import bregmanet
    import numpy as np

    if not hasattr(np, "Inf"):  # bregmanet 1.0.0 builds some activations with NumPy 1's np.Inf
        np.Inf = np.inf  # type: ignore[attr-defined]
    module = getattr(bregmanet, arch)(activation=activation)
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


def _skip_note(name: str, skip: str, net: ConvNet, as_trained: ConvNet) -> str:
    """What the report says of a bregmanet skip g that is not σ⁻¹."""
    from bregmalib.interop import output_difference

    note = f"bregmanet's skip g for {name} is not the inverse of sigma; "
    if skip == "model":
        return note + "the bounds are of the model as trained (its g)"
    images = jax.random.uniform(jax.random.key(0), (8, *net.in_shape), minval=-1.0, maxval=1.0)
    difference = output_difference(net, as_trained, images)
    return note + (
        "converted with the true inverse: max output difference to the model as trained "
        f"{difference:.3g} on 8 random images in [-1, 1]"
    )


def load_torch(
    path: str,
    *,
    arch: str | None = None,
    activation: str | None = None,
    image_shape: tuple[int, ...] = (3, 32, 32),
    skip: str = "model",
) -> TorchModel:
    """The model in a PyTorch file (a saved module or a bregmanet state_dict), converted:
    bregmanet residual networks and torch.nn.Sequential to a `ConvNet` on ``image_shape``
    inputs, bregmanet MLPs to an `MLP`, in float64."""
    jax.config.update("jax_enable_x64", True)
    torch = _torch()
    from bregmanet import MLP as OfficialMLP
    from bregmanet.resnet_small import BregmanResNet

    from bregmalib.interop import (
        from_bregmanet,
        from_bresnet,
        from_sequential,
        official_pair,
        skip_map,
    )

    loaded = _read(path)
    if isinstance(loaded, dict):
        loaded = _build(arch, activation, loaded, path)
    if isinstance(loaded, BregmanResNet):
        name = _name_of(loaded, activation)
        net = from_bresnet(loaded, name, image_shape=image_shape, skip=skip)
        notes: tuple[str, ...] = ()
        if skip_map(name, official_pair(name), "model").function is not None:
            notes = (
                _skip_note(name, skip, net, from_bresnet(loaded, name, image_shape=image_shape)),
            )
        return TorchModel(net, arch or "bresnet", name, notes)
    if isinstance(loaded, OfficialMLP):
        mlp = from_bregmanet(loaded, activation=activation, dtype=jax.numpy.float64)
        return TorchModel(mlp, "bregmanet MLP", mlp.pair.name, ())
    if isinstance(loaded, torch.nn.Sequential):
        net = from_sequential(loaded, image_shape)
        return TorchModel(net, "sequential", "", ())
    raise ValueError(
        f"{path} holds a {type(loaded).__name__}, not a bregmanet network, a torch.nn.Sequential "
        "or a state_dict"
    )
