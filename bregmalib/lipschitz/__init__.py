"""Lipschitz bounds of Bregman and standard networks: certified upper, optimised lower bounds.

Upper bounds (`upper_bounds`): products of norms, Combettes–Pesquet θ, ECLipsE-Fast, slope-vertex
enumeration, and for BregmaNets the composed slope-ratio bound and the telescoping bounds in
dual coordinates. Lower bounds (`lower_bounds`): multi-start ascent of ‖J(x)‖ and of difference
quotients. `lipschitz_report` runs both on a model and returns the ratio. Theorems, stated and
checked by the engine `bregmalib.symbolic`: the layer Jacobian and single-layer bound
(`jacobian_claim`, `layer_bound_claim`) and the network results (`telescoping_claim`,
`network_bound_claim`, `theta_nonnegative_claim`).
"""

from bregmalib.lipschitz._domain import (
    Box,
    LayerIntervals,
    make_box,
    natural_box,
    propagate_intervals,
    slope_range,
)
from bregmalib.lipschitz._layer import (
    LayerBound,
    LayerLower,
    layer_jacobian,
    layer_jacobian_dual,
    layer_lipschitz_bound,
    layer_lipschitz_lower,
    layer_output,
)
from bregmalib.lipschitz._layer_theorems import jacobian_claim, layer_bound_claim
from bregmalib.lipschitz._lower import (
    LowerBound,
    ascend_jacobian,
    ascend_pairs,
    best_lower,
    edge_points,
    jacobian_norm,
    jacobian_norms,
    lower_bounds,
    shard_restarts,
    starting_points,
)
from bregmalib.lipschitz._network import (
    Network,
    as_network,
    jacobian,
    jacobian_vector_product,
    network_from_arrays,
    network_output,
    vector_jacobian_product,
)
from bregmalib.lipschitz._report import (
    LipschitzReport,
    LipschitzStar,
    UnsoundBoundError,
    check_sound,
    input_groups,
    lipschitz_report,
    lipschitz_star,
    plot_lipschitz_star,
)
from bregmalib.lipschitz._theorems import (
    network_bound_claim,
    telescoping_claim,
    theta_nonnegative_claim,
)
from bregmalib.lipschitz._upper import (
    Bound,
    Factor,
    best_bound,
    cumulative_shifts,
    dual_theta,
    eclipse_fast,
    layer_product,
    norm_product,
    telescoping,
    theta,
    theta_bound,
    upper_bounds,
    vertex_bound,
)

__all__ = [
    "Bound",
    "Box",
    "Factor",
    "LayerBound",
    "LayerIntervals",
    "LayerLower",
    "LipschitzReport",
    "LipschitzStar",
    "LowerBound",
    "Network",
    "UnsoundBoundError",
    "as_network",
    "ascend_jacobian",
    "ascend_pairs",
    "best_bound",
    "best_lower",
    "check_sound",
    "cumulative_shifts",
    "dual_theta",
    "eclipse_fast",
    "edge_points",
    "input_groups",
    "jacobian",
    "jacobian_claim",
    "jacobian_norm",
    "jacobian_norms",
    "jacobian_vector_product",
    "layer_bound_claim",
    "layer_jacobian",
    "layer_jacobian_dual",
    "layer_lipschitz_bound",
    "layer_lipschitz_lower",
    "layer_output",
    "layer_product",
    "lipschitz_report",
    "lipschitz_star",
    "lower_bounds",
    "make_box",
    "natural_box",
    "network_bound_claim",
    "network_from_arrays",
    "network_output",
    "norm_product",
    "plot_lipschitz_star",
    "propagate_intervals",
    "shard_restarts",
    "slope_range",
    "starting_points",
    "telescoping",
    "telescoping_claim",
    "theta",
    "theta_bound",
    "theta_nonnegative_claim",
    "upper_bounds",
    "vector_jacobian_product",
    "vertex_bound",
]
