"""Lipschitz bounds of Bregman and standard networks: certified upper, optimised lower bounds.

Upper bounds (`upper_bounds`): products of norms, Combettes–Pesquet θ, ECLipsE-Fast, slope-vertex
enumeration, and for BregmaNets the composed slope-ratio bound and the telescoping bounds in
dual coordinates; for one Bregman layer, `layer_lipschitz_bound`
(Lip_B(T) ≤ max_i R_σ(Δ_i)‖V‖₂ + L_σ‖W‖₂, Frecon et al., ICML 2022). Lower bounds
(`lower_bounds`): multi-start ascent of ‖J(x)‖ and of difference quotients. `lipschitz_report`
runs both on a model and returns the ratio; `lipschitz_star` does so per group of inputs;
`lipsdp` solves LipSDP-Neuron (Fazlyab et al., NeurIPS 2019) with the optional cvxpy;
`convnet_bounds` bounds a convolutional `ConvNet` (certified operator norms of convolutions).
Local bounds on ℓ₂/ℓ∞ balls and boxes around inputs (`local_lipschitz`, `box_lipschitz`,
`region_lipschitz`) propagate bounds through the Jacobian graph with exact centre products
(after Shi et al., NeurIPS 2022), and intervals through the stages of a `ConvNet`;
`local_lower` gives lower bounds on them;
`margin_lipschitz` bounds f_y − f_j per pair of classes and `margin_radius` certifies ℓ₂ radii;
`branch_and_bound` splits a box into leaves, an anytime certified bound beside the best lower.
Every entry point takes a `bregmalib.nn` network (`Network`, `MLP`, `Dense`, or a `Layer` as a
depth-1 network). The theorems behind the bounds live in the private modules `_theorems` and
`_layer_theorems`; `bregmalib derive` gathers them.
"""

from bregmalib.lipschitz._branch import BranchResult, branch_and_bound
from bregmalib.lipschitz._conv import (
    ConvBound,
    StageBound,
    block_upper,
    conv_norm,
    conv_norm_upper,
    convnet_bounds,
    convnet_lower,
    convnet_upper,
    operator_norm_lower,
    residual_contraction,
    stage_upper,
)
from bregmalib.lipschitz._domain import Box, make_box
from bregmalib.lipschitz._layer import LayerBound, layer_lipschitz_bound
from bregmalib.lipschitz._lipsdp import lipsdp
from bregmalib.lipschitz._local import (
    LocalBounds,
    Region,
    ball_region,
    box_lipschitz,
    box_region,
    local_lipschitz,
    region_lipschitz,
)
from bregmalib.lipschitz._local_api import local_lower
from bregmalib.lipschitz._lower import LowerBound, best_lower, lower_bounds
from bregmalib.lipschitz._margin import margin_lipschitz, margin_radius
from bregmalib.lipschitz._report import (
    LipschitzReport,
    LipschitzStar,
    UnsoundBoundError,
    lipschitz_report,
    lipschitz_star,
    plot_lipschitz_star,
)
from bregmalib.lipschitz._upper import Bound, best_bound, upper_bounds

__all__ = [
    "Bound",
    "Box",
    "BranchResult",
    "ConvBound",
    "LayerBound",
    "LipschitzReport",
    "LipschitzStar",
    "LocalBounds",
    "LowerBound",
    "Region",
    "StageBound",
    "UnsoundBoundError",
    "ball_region",
    "best_bound",
    "best_lower",
    "block_upper",
    "box_lipschitz",
    "box_region",
    "branch_and_bound",
    "conv_norm",
    "conv_norm_upper",
    "convnet_bounds",
    "convnet_lower",
    "convnet_upper",
    "layer_lipschitz_bound",
    "lipschitz_report",
    "lipschitz_star",
    "lipsdp",
    "local_lipschitz",
    "local_lower",
    "lower_bounds",
    "make_box",
    "margin_lipschitz",
    "margin_radius",
    "operator_norm_lower",
    "plot_lipschitz_star",
    "region_lipschitz",
    "residual_contraction",
    "stage_upper",
    "upper_bounds",
]
