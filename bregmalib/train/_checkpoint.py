"""Checkpoints: one JSON header line followed by Equinox's serialisation of the leaves.

The header records the architecture (activation, its parameters, widths, version, classes,
dtype), so `load` rebuilds the model skeleton itself before reading the parameters into it.
Every way a file can fail to be a checkpoint (missing, a directory, not a checkpoint, a header
with a missing or mistyped field, leaves that are truncated or do not match the header, bytes
after them, NaN or infinite weights) raises a one-line ValueError or OSError naming the file;
`save` refuses NaN or infinite weights too.
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
from bregmalib.nn._layer import check_finite

FORMAT = "bregmalib-checkpoint"
FORMAT_VERSION = 1
#: the fields of a header's "model" entry and their JSON types, by architecture
SPEC_FIELDS: dict[str, dict[str, type]] = {
    architecture: {
        "architecture": str,
        shape: list,
        "activation": str,
        "params": dict,
        "version": str,
        "classes": int,
        "dtype": str,
    }
    for architecture, shape in (("mlp", "widths"), ("resnet", "channels"))
}


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


def check_spec(spec: object) -> dict[str, Any]:
    """``spec`` if it has every field of `SPEC_FIELDS` for its architecture with its JSON type
    and a float dtype, else ValueError (which field, what was found)."""
    if not isinstance(spec, dict):
        raise ValueError(f"its header has no model description (found {spec!r})")
    architecture = spec.get("architecture")
    if architecture not in SPEC_FIELDS:
        raise ValueError(f"unknown architecture {architecture!r} in the checkpoint header")
    for name, kind in SPEC_FIELDS[architecture].items():
        if name not in spec:
            raise ValueError(f"the checkpoint header lacks the field {name!r}")
        if not isinstance(spec[name], kind) or isinstance(spec[name], bool):
            raise ValueError(
                f"the checkpoint header's {name!r} should be a {kind.__name__}, got {spec[name]!r}"
            )
    if spec["dtype"] not in ("float32", "float64"):
        raise ValueError(f"the checkpoint header's dtype {spec['dtype']!r} is not float32/64")
    return spec


def skeleton(spec: object) -> MLP | ResNet:
    """A model of the architecture in ``spec`` (parameters to be overwritten); ValueError if
    ``spec`` is not a model description (see `check_spec`)."""
    spec = check_spec(spec)
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
    return make_resnet(
        spec["activation"], spec["channels"], spec["classes"], spec["version"], **args
    )


def check_finite_weights(model: MLP | ResNet, what: str) -> None:
    """ValueError naming the first parameter of ``model`` with NaN or infinite entries
    (`bregmalib.nn` refuses them at construction; deserialised leaves bypass it)."""
    leaves = jax.tree_util.tree_leaves_with_path(eqx.filter(model, eqx.is_inexact_array))
    for key, leaf in leaves:
        check_finite(leaf, f"{what}: parameter {jax.tree_util.keystr(key).lstrip('.')}")


def save(path: str | Path, model: MLP | ResNet, meta: dict[str, Any] | None = None) -> Path:
    """Write ``model`` and the JSON-able dict ``meta`` to ``path``; returns the path.
    Refuses (ValueError) a model with NaN or infinite weights, before writing anything."""
    check_finite_weights(model, f"cannot save {path}")
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
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory, not a checkpoint")
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


def _leaf_error(error: BaseException) -> str:
    """Equinox's deserialisation error as ``parameter <name>: <first cause>``."""
    leaf = getattr(error, "path", None)
    cause = error
    while cause.__cause__ is not None:
        cause = cause.__cause__
    if leaf is None:
        return str(error)
    return f"parameter {jax.tree_util.keystr(leaf).lstrip('.')}: {cause or type(cause).__name__}"


def load(path: str | Path) -> tuple[MLP | ResNet, dict[str, Any]]:
    """Read a checkpoint written by `save`: ``(model, meta)``; ValueError (naming ``path``)
    for a header that describes no model, leaves that do not match it, trailing bytes or
    NaN or infinite weights."""
    header = read_header(path)
    try:
        like = skeleton(header.get("model"))
    except (ValueError, TypeError) as err:
        raise ValueError(f"{path}: {err}") from None
    if not isinstance(header.get("meta"), dict):
        raise ValueError(f"{path}: the checkpoint header lacks the object 'meta'")
    with Path(path).open("rb") as f:
        f.readline()
        try:
            model = eqx.tree_deserialise_leaves(f, like)
        except RuntimeError as err:  # Equinox: a leaf missing, truncated or of another shape
            raise ValueError(
                f"{path}: the stored parameters do not match the {header['model']['architecture']}"
                f" in its header (a truncated or corrupted file, or an edited header): "
                f"{_leaf_error(err)}"
            ) from None
        extra = len(f.read())
    if extra:
        raise ValueError(f"{path}: {extra} unexpected bytes after the parameters")
    check_finite_weights(model, str(path))
    return model, header["meta"]
