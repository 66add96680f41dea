"""Bregman neural networks and their baselines as single-example Equinox modules.

Frecon, Gasso, Pontil, Salzo, "Bregman Neural Networks", ICML 2022: a Bregman layer is
x⁺ = σ(σ⁻¹(Vx) + Wx + b), i.e. u⁺ = u + Wσ(u) + b in dual coordinates u = σ⁻¹(x) when V = I.
"""

from bregmalib.nn._dense import INITS, Dense, make_dense
from bregmalib.nn._mlp import MLP, make_mlp
from bregmalib.nn._resnet import ResBlock, ResNet, make_resnet
from bregmalib.nn._validate import VERSIONS, Version

__all__ = [
    "INITS",
    "MLP",
    "VERSIONS",
    "Dense",
    "ResBlock",
    "ResNet",
    "Version",
    "make_dense",
    "make_mlp",
    "make_resnet",
]
