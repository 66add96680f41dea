"""Invertible flows on 2-D densities: the invertible Bregman flow (monotone Bregman layers in dual
coordinates, Newton inversion) and an i-ResNet flow of the same size (spectrally normalised
residual blocks, fixed-point inversion), trained by maximum likelihood (Frecon et al., ICML 2022;
Behrmann et al., ICML 2019)."""

from bregmalib.flows._models import (
    BregmanFlow,
    FlowInversion,
    ResidualFlow,
    bregman_layers_matching,
    make_bregman_flow,
    make_residual_flow,
    parameter_count,
)
from bregmalib.flows._train import (
    FitResult,
    density_grid,
    evaluate_flow,
    fit_flow,
    mean_log_likelihood,
)

__all__ = [
    "BregmanFlow",
    "FitResult",
    "FlowInversion",
    "ResidualFlow",
    "bregman_layers_matching",
    "density_grid",
    "evaluate_flow",
    "fit_flow",
    "make_bregman_flow",
    "make_residual_flow",
    "mean_log_likelihood",
    "parameter_count",
]
