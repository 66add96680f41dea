"""Names, lookup and user-defined pairs.

`get(name, **params)` builds a catalogue pair from its numeric definition and its generated
constants (no SymPy); `register` makes a pair available to `get` (and so to the models); a new
pair derived from a SymPy expression for σ alone is `bregmalib.legendre._user.from_sigma`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from bregmalib.legendre._catalogue import ALIASES, DEFINITIONS, PairDefinition
from bregmalib.legendre._constant_table import TABLE
from bregmalib.legendre._pair import Constants, LegendrePair, Symbolic

_USER_PAIRS: dict[str, Callable[..., LegendrePair]] = {}


def names() -> list[str]:
    """The names `get` accepts: the catalogue's, then registered user pairs."""
    return [*DEFINITIONS, *(n for n in _USER_PAIRS if n not in DEFINITIONS)]


def _canonical(name: str) -> str:
    if not isinstance(name, str):
        raise TypeError(f"an activation name must be a string, got {type(name).__name__}")
    key = name.strip().lower().replace("-", "_")
    return ALIASES.get(key, key)


def get(name: str | LegendrePair, **params: float) -> LegendrePair:
    """The pair called ``name`` with parameters ``params`` (for example
    ``get("softplus", beta=10)``); a `LegendrePair` is returned unchanged."""
    if isinstance(name, LegendrePair):
        if params:
            raise ValueError("parameters cannot be given with a LegendrePair instance")
        return name
    key = _canonical(name)
    if key in _USER_PAIRS:
        return _USER_PAIRS[key](**params)
    if key not in DEFINITIONS:
        raise ValueError(f"unknown activation {name!r}; known: {', '.join(names())}")
    definition = DEFINITIONS[key]
    known = {name for name, _ in definition.defaults}
    unknown = set(params) - known
    if unknown:
        accepted = ", ".join(sorted(known)) or "none"
        raise ValueError(f"{key} has no parameter {sorted(unknown)}; accepted: {accepted}")
    values = tuple((n, float(params.get(n, default))) for n, default in definition.defaults)
    for name_, value in values:
        if not value > 0:
            raise ValueError(f"{key}: parameter {name_} must be positive, got {value}")
    return _build(key, values)


def _catalogue_symbolic(key: str) -> Symbolic:
    from bregmalib.legendre._derive import catalogue_symbolic

    return catalogue_symbolic(key)


@functools.cache
def _build(key: str, values: tuple[tuple[str, float], ...]) -> LegendrePair:
    definition: PairDefinition = DEFINITIONS[key]
    numbers = TABLE[key](*(v for _, v in values))
    return LegendrePair(
        name=key,
        values=values,
        constants=Constants(*(float(n) for n in numbers)),
        numeric=definition.numeric(*(v for _, v in values)),
        symbolic_source=functools.partial(_catalogue_symbolic, key),
        legendre=definition.legendre,
        note=definition.note,
    )


def register(pair: LegendrePair, *, overwrite: bool = False) -> LegendrePair:
    """Make ``pair`` available to `get` under ``pair.name``."""
    key = _canonical(pair.name)
    if key in DEFINITIONS or (key in _USER_PAIRS and not overwrite):
        raise ValueError(f"a pair called {key!r} already exists; choose another name")

    def fixed(**params: float) -> LegendrePair:
        if params:
            raise ValueError(f"the registered pair {key!r} takes no parameters")
        return pair

    _USER_PAIRS[key] = fixed
    return pair


def unregister(name: str) -> None:
    """Remove the user pair called ``name`` (catalogue pairs cannot be removed)."""
    key = _canonical(name)
    if key not in _USER_PAIRS:
        raise ValueError(f"no registered user pair called {key!r}")
    del _USER_PAIRS[key]
