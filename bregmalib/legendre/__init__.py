"""Legendre activation pairs: σ = ∇φ*, σ⁻¹ = ∇φ, symbolic (SymPy) and numeric (JAX) from one
definition (Frecon, Gasso, Pontil, Salzo, "Bregman Neural Networks", ICML 2022).

>>> from bregmalib import legendre
>>> legendre.names()[:3]
['sigmoid', 'tanh', 'scaled_tanh']
>>> pair = legendre.get("softplus", beta=10)
"""

from bregmalib.legendre._catalogue import DEFINITIONS, PairDefinition
from bregmalib.legendre._pair import (
    U,
    X,
    DomainError,
    LegendrePair,
    NumericFunctions,
    default_margin,
)
from bregmalib.legendre._registry import from_sigma, get, names, register

__all__ = [
    "DEFINITIONS",
    "U",
    "X",
    "DomainError",
    "LegendrePair",
    "NumericFunctions",
    "PairDefinition",
    "default_margin",
    "from_sigma",
    "get",
    "names",
    "register",
]
