"""Soundness: on random small networks of every version, every upper bound is at least the
Jacobian norms sampled at random, corner and edge points (finite differences of a NumPy forward
pass written independently of the package's)."""

import itertools

import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import bregmalib.legendre as L
from bregmalib.lipschitz import make_box, network_from_arrays, upper_bounds
from bregmalib.lipschitz._domain import coordinate_box

#: Bregman bounds need the slope ratio (derived once per pair, a few seconds each)
BREGMAN_PAIRS = ("sigmoid", "tanh", "atan")
OTHER_PAIRS = ("sigmoid", "tanh", "atan", "isru", "softplus", "asinh", "sin", "scaled_tanh")


def _forward(net, t: np.ndarray) -> np.ndarray:
    """f at ascent coordinates t (rows), in NumPy with σ and σ⁻¹ from the pair: dual path
    u⁺ = u + Wσ(u) + b where V = I, written independently of the package's forward pass."""
    pair = net.pair

    def sigma(u):
        return np.asarray(pair.sigma(jnp.asarray(u)))

    u = t
    x = sigma(t) if net.dual_input else t
    for w, b, v in zip(net.weights, net.biases, net.mixings, strict=True):
        w, b = np.asarray(w), np.asarray(b)
        affine = x @ w.T + b
        if net.version == "bregman":
            base = u if v is None else np.asarray(pair.inverse(jnp.asarray(x @ np.asarray(v).T)))
            u = base + affine
        elif net.version == "euclidean":
            u = (x if v is None else x @ np.asarray(v).T) + affine
        else:
            u = affine
        x = sigma(u)
    return x @ np.asarray(net.head_weight).T


def _sampled_lower(net, box, rng, n_points: int = 48, step: float = 1e-5) -> float:
    """max ‖J(x)‖ over random points, corners and edge points of the box, J by central finite
    differences in ascent coordinates (primal J = J_t diag(1/σ′(t)) for inputs in Iⁿ)."""
    lo, hi = coordinate_box(net, box)
    far = 8.0 if net.dual_input else 4.0
    lo_c, hi_c = np.maximum(lo, -far) + step, np.minimum(hi, far) - step
    hi_c = np.maximum(hi_c, lo_c)
    inner = lo_c + (hi_c - lo_c) * rng.uniform(size=(n_points, net.input_dim))
    corners = np.where(rng.uniform(size=(n_points, net.input_dim)) < 0.5, lo_c, hi_c)
    mixed = np.where(rng.uniform(size=inner.shape) < 0.5, corners, inner)
    points = np.concatenate([inner, corners, mixed])
    n = net.input_dim
    offsets = step * np.eye(n)
    plus = _forward(net, (points[:, None, :] + offsets).reshape(-1, n))
    minus = _forward(net, (points[:, None, :] - offsets).reshape(-1, n))
    jac = ((plus - minus) / (2 * step)).reshape(len(points), n, -1).transpose(0, 2, 1)
    if net.dual_input:
        with np.errstate(divide="ignore", invalid="ignore"):
            jac = jac / np.asarray(net.pair.derivative(jnp.asarray(points)))[:, None, :]
    jac = jac[np.all(np.isfinite(jac), axis=(1, 2))]
    return float(np.max(np.linalg.svd(jac, compute_uv=False)[:, 0], initial=0.0))


@st.composite
def networks(draw, versions=("standard", "euclidean")):
    version = draw(st.sampled_from(versions))
    pairs = BREGMAN_PAIRS if version == "bregman" else OTHER_PAIRS
    activation = draw(st.sampled_from(pairs))
    depth = draw(st.integers(1, 3))
    square = version != "standard" and draw(st.booleans())
    first = draw(st.integers(2, 3))
    widths = [first] + [first if square else draw(st.integers(2, 3)) for _ in range(depth)]
    scale = draw(st.sampled_from([0.3, 1.0, 2.0]))
    seed = draw(st.integers(0, 2**31 - 1))
    local = draw(st.booleans())
    return version, activation, tuple(widths), scale, seed, local


def _build(version, activation, widths, scale, seed):
    rng = np.random.default_rng(seed)
    ws = [scale * rng.normal(size=(o, i)) / np.sqrt(i) for i, o in itertools.pairwise(widths)]
    bs = [0.5 * rng.normal(size=o) for o in widths[1:]]
    mixings = []
    for w in ws:
        if version == "standard" or w.shape[0] == w.shape[1]:
            mixings.append(None)
        else:
            v = rng.uniform(0.05, 1.0, size=w.shape)
            mixings.append(v / v.sum(axis=1, keepdims=True))
    head = rng.normal(size=(2, widths[-1]))
    pair = L.get(activation)
    return network_from_arrays(ws, bs, pair, version, mixings=mixings, head_weight=head), rng


def _box(net, rng, local: bool):
    if not local:
        return make_box(net, None)
    if net.dual_input:
        c = net.pair
        lo, hi = max(c.lower, -2.0), min(c.upper, 2.0)
        a, b = np.sort(rng.uniform(lo, hi, size=2))
        if net.pair.name == "sin":
            a, b = max(a, -0.99), min(b, 0.99)
        return make_box(net, (a, b))
    a, b = np.sort(rng.uniform(-3, 3, size=2))
    return make_box(net, (a, b + 1e-3))


def check_network(spec) -> None:
    """Every upper bound of the network ``spec`` dominates its sampled lower bound."""
    version, activation, widths, scale, seed, local = spec
    net, rng = _build(version, activation, widths, scale, seed)
    box = _box(net, rng, local)
    lower = _sampled_lower(net, box, rng)
    for name, bound in upper_bounds(net, box).items():
        # 1e-6: the truncation error of the finite differences, not a tolerance on the bound
        assert bound.value >= lower * (1 - 1e-6) - 1e-9, (name, bound.value, lower, spec)


@settings(max_examples=110, deadline=None, derandomize=True)
@given(networks())
def test_standard_and_euclidean_upper_bounds_dominate_sampled_lower_bounds(spec) -> None:
    check_network(spec)
