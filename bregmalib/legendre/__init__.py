"""Legendre activation pairs: σ = ∇φ*, σ⁻¹ = ∇φ, symbolic (SymPy) and numeric (JAX) from one
definition (Frecon, Gasso, Pontil, Salzo, "Bregman Neural Networks", ICML 2022).

Importing this package, building a catalogue pair and computing with it need no SymPy: the
symbolic views (``pair.sigma_expr``, ``U``, ``X``, ``from_sigma``) import it at first use.

>>> from bregmalib import legendre
>>> legendre.names()[:3]
['sigmoid', 'tanh', 'scaled_tanh']
>>> pair = legendre.get("softplus", beta=10)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from bregmalib.legendre._catalogue import DEFINITIONS, PairDefinition
from bregmalib.legendre._pair import (
    Constants,
    DomainError,
    LegendrePair,
    NumericFunctions,
    Symbolic,
    default_margin,
)
from bregmalib.legendre._registry import get, names, register, unregister

if TYPE_CHECKING:
    from bregmalib.legendre._expressions import U, X
    from bregmalib.legendre._user import from_sigma

#: names served at first use by the modules that need SymPy
_SYMBOLIC = {"U": "_expressions", "X": "_expressions", "from_sigma": "_user"}


def __getattr__(name: str) -> Any:
    if name in _SYMBOLIC:
        return getattr(importlib.import_module(f"{__name__}.{_SYMBOLIC[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFINITIONS",
    "Constants",
    "DomainError",
    "LegendrePair",
    "NumericFunctions",
    "PairDefinition",
    "Symbolic",
    "U",
    "X",
    "default_margin",
    "from_sigma",
    "get",
    "names",
    "register",
    "unregister",
]
