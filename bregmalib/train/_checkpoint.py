"""Checkpoints: one JSON header line followed by Equinox's serialisation of the leaves.

The header records the architecture (activation, its parameters, widths, version, classes,
dtype), so `load` rebuilds the model skeleton itself before reading the parameters into it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp

import bregmalib.legendre as L
from bregmalib.nn import MLP, ResNet, make_mlp, make_resnet

FORMAT = "bregmalib-checkpoint"
FORMAT_VERSION = 1


def model_spec(model: MLP | ResNet) -> dict[str, Any]:
    """The JSON-able description of ``model`` from which `load` rebuilds its skeleton."""
    pair = model.pair
    if pair.name not in L.names() or L.get(pair.name, **pair.parameter_values) != pair:
        raise ValueError(
            f"activation {pair!r} is not a registered pair; register it with "
            "bregmalib.legendre.register before saving so that load can rebuild it"
        )
    common = {
        "activation": pair.name,
        "params": dict(pair.parameter_values),
        "version": model.version,
        "classes": model.n_classes,
        "dtype": jnp.dtype(model.dtype).name,
    }
    if isinstance(model, MLP):
        return {"architecture": "mlp", "widths": list(model.widths), **common}
    if isinstance(model, ResNet):
        return {"architecture": "resnet", "channels": list(model.channels), **common}
    raise TypeError(f"can only save an MLP or a ResNet, got {type(model).__name__}")


def skeleton(spec: dict[str, Any]) -> MLP | ResNet:
    """A model of the architecture in ``spec`` (parameters to be overwritten)."""
    dtype = jnp.dtype(spec["dtype"])
    if dtype == jnp.float64 and not jax.config.read("jax_enable_x64"):
        raise ValueError(
            "this checkpoint holds a float64 model: call "
            'jax.config.update("jax_enable_x64", True) before loading it'
        )
    args = dict(key=jax.random.PRNGKey(0), dtype=dtype, **spec["params"])
    if spec["architecture"] == "mlp":
        return make_mlp(
            spec["activation"], spec["widths"], spec["classes"], spec["version"], **args
        )
    if spec["architecture"] == "resnet":
        return make_resnet(
            spec["activation"], spec["channels"], spec["classes"], spec["version"], **args
        )
    raise ValueError(f"unknown architecture {spec['architecture']!r} in the checkpoint header")


def save(path: str | Path, model: MLP | ResNet, meta: dict[str, Any] | None = None) -> Path:
    """Write ``model`` and the JSON-able dict ``meta`` to ``path``; returns the path."""
    meta = {} if meta is None else dict(meta)
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model": model_spec(model),
        "meta": meta,
    }
    try:
        line = json.dumps(header)
    except TypeError as err:
        raise TypeError(f"meta must be JSON-serialisable: {err}") from None
    path = Path(path)
    with path.open("wb") as f:
        f.write(line.encode() + b"\n")
        eqx.tree_serialise_leaves(f, model)
    return path


def read_header(path: str | Path) -> dict[str, Any]:
    """The JSON header of a checkpoint (``{"format", "format_version", "model", "meta"}``)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    with path.open("rb") as f:
        first = f.readline()
    try:
        header = json.loads(first)
    except (json.JSONDecodeError, UnicodeDecodeError):
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError(f"{path} is not a bregmalib checkpoint (written by bregmalib.train.save)")
    if header.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{path} has checkpoint format version {header.get('format_version')}; "
            f"this bregmalib reads version {FORMAT_VERSION}"
        )
    return header


def load(path: str | Path) -> tuple[MLP | ResNet, dict[str, Any]]:
    """Read a checkpoint written by `save`: ``(model, meta)``."""
    header = read_header(path)
    like = skeleton(header["model"])
    with Path(path).open("rb") as f:
        f.readline()
        try:
            model = eqx.tree_deserialise_leaves(f, like)
        except Exception as err:
            raise ValueError(
                f"{path}: the stored parameters do not match the architecture in its header "
                f"({header['model']}): {err}"
            ) from None
    return model, header["meta"]
