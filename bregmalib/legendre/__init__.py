"""Legendre activation pairs: σ = ∇φ*, σ⁻¹ = ∇φ, symbolic (SymPy) and numeric (JAX) from one
definition (Frecon, Gasso, Pontil, Salzo, "Bregman Neural Networks", ICML 2022).

>>> from bregmalib import legendre
>>> legendre.names()[:3]
['sigmoid', 'tanh', 'scaled_tanh']
>>> pair = legendre.get("softplus", beta=10)
"""

from bregmalib.legendre._catalogue import DEFINITIONS, PairDefinition
from bregmalib.legendre._pair import (
    DomainError,
    LegendrePair,
    NumericFunctions,
    U,
    X,
    default_margin,
)
from bregmalib.legendre._registry import from_sigma, get, names, register, unregister

__all__ = [
    "DEFINITIONS",
    "DomainError",
    "LegendrePair",
    "NumericFunctions",
    "PairDefinition",
    "U",
    "X",
    "default_margin",
    "from_sigma",
    "get",
    "names",
    "register",
    "unregister",
]
