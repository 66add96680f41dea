"""Bregman neural networks and their baselines: the functional layer core, networks, and
trainable single-example Equinox models.

Frecon, Gasso, Pontil, Salzo, "Bregman Neural Networks", ICML 2022: a Bregman layer is
x⁺ = σ(σ⁻¹(Vx) + Wx + b), i.e. u⁺ = u + Wσ(u) + b in dual coordinates u = σ⁻¹(x) when V = I.
`Layer` and `Network` hold parameters as arrays (what bounds and certificates read);
`bregmalib.nn.functional` evaluates them; `Dense`, `MLP` and `ResNet` are the trainable models,
and `as_network` turns any of them into a `Network`.
"""

from bregmalib.nn import functional
from bregmalib.nn._block import (
    Activation,
    ConvNet,
    ResidualBlock,
    Shortcut,
    SkipMap,
    Stage,
    branch_output,
)
from bregmalib.nn._conv import (
    Affine,
    AvgPool,
    Conv2d,
    Flatten,
    Matrix,
    MaxPool,
    Padding,
    averaging_shortcut,
    conv_layer,
    operator_matrix,
)
from bregmalib.nn._dense import INITS, Dense, make_dense
from bregmalib.nn._layer import VERSIONS, Layer, Version
from bregmalib.nn._mlp import MLP, make_mlp
from bregmalib.nn._network import Network, NetworkLike, as_network, network_from_arrays
from bregmalib.nn._resnet import ResNet, make_resnet

__all__ = [
    "INITS",
    "MLP",
    "VERSIONS",
    "Activation",
    "Affine",
    "AvgPool",
    "Conv2d",
    "ConvNet",
    "Dense",
    "Flatten",
    "Layer",
    "Matrix",
    "MaxPool",
    "Network",
    "NetworkLike",
    "Padding",
    "ResNet",
    "ResidualBlock",
    "Shortcut",
    "SkipMap",
    "Stage",
    "Version",
    "as_network",
    "averaging_shortcut",
    "branch_output",
    "conv_layer",
    "functional",
    "make_dense",
    "make_mlp",
    "make_resnet",
    "network_from_arrays",
    "operator_matrix",
]
