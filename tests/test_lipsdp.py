"""LipSDP-Neuron (bregmalib.lipschitz._lipsdp) on tiny networks: between the exact value of the
slope relaxation (vertex enumeration, itself above every lower bound) and the product of
norms; a clear error without cvxpy; Bregman networks refused."""

import builtins

import numpy as np
import pytest
from _networks import random_network

from bregmalib.lipschitz._domain import make_box
from bregmalib.lipschitz._lipsdp import lipsdp
from bregmalib.lipschitz._upper import upper_bounds

pytest.importorskip("cvxpy")

#: the SDP is solved to about 1e-8; the comparison with vertex allows that much
SOLVER_TOLERANCE = 1e-6


@pytest.mark.parametrize(
    ("activation", "version", "widths", "seed"),
    [
        ("tanh", "standard", (2, 4, 1), 0),
        ("sigmoid", "standard", (3, 3, 3, 2), 1),
        ("atan", "euclidean", (2, 2, 2), 2),
        ("softplus", "euclidean", (3, 4, 2), 3),
    ],
)
def test_lipsdp_lies_between_vertex_enumeration_and_the_norm_product(
    activation, version, widths, seed
) -> None:
    net = random_network(activation, version, widths, seed=seed, scale=1.5)
    bounds = upper_bounds(net, make_box(net))
    sdp = lipsdp(net)
    assert sdp.reason == "" and np.isfinite(sdp.value)
    assert sdp.value >= bounds["vertex"].value * (1 - SOLVER_TOLERANCE)
    assert sdp.value <= bounds["norm-product"].value
    assert sdp.value < 0.99 * bounds["norm-product"].value or widths[1] == 1


def test_lipsdp_is_exact_on_a_single_linear_like_neuron() -> None:
    """f(x) = h·tanh(w·x): Lip = |h w| L_σ, which LipSDP attains (one neuron, no relaxation)."""
    net = random_network("tanh", "standard", (1, 1), seed=0, head=1)
    w, h = float(net.weights[0][0, 0]), float(net.head_weight[0, 0])
    assert lipsdp(net).value == pytest.approx(abs(w * h), rel=1e-5)


def test_lipsdp_refuses_a_bregman_network() -> None:
    net = random_network("tanh", "bregman", (2, 2))
    with pytest.raises(ValueError, match="standard and Euclidean"):
        lipsdp(net)


def test_lipsdp_without_cvxpy_names_the_extra(monkeypatch) -> None:
    real_import = builtins.__import__

    def no_cvxpy(name, *args, **kwargs):
        if name == "cvxpy" or name.startswith("cvxpy."):
            raise ImportError("No module named 'cvxpy'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_cvxpy)
    net = random_network("tanh", "standard", (2, 2))
    with pytest.raises(ImportError, match=r"bregmalib\[lipsdp\]"):
        lipsdp(net)
