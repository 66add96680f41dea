"""bregmalib.interop: converting official ``bregmanet.MLP`` models (PyTorch) to ours: by default
(``skip="model"``) a `ConvNet` computing what the package computes, with ``skip="legendre"`` our
`MLP` with the true σ⁻¹.

bregmanet 1.0.0 still writes ``np.Inf`` (removed in NumPy 2) for asinh, softplus, relu and every
non-Bregman version; the fixture below restores that alias so those models can be built at all.
"""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

torch = pytest.importorskip("torch")
bregmanet = pytest.importorskip("bregmanet")

from bregmalib.data import target_segment  # noqa: E402
from bregmalib.interop import (  # noqa: E402
    WRONG_OFFICIAL_INVERSE,
    agreement,
    from_bregmanet,
    official_pair,
    output_difference,
)
from bregmalib.lipschitz import (  # noqa: E402
    ball_region,
    lipschitz_report,
    local_lipschitz,
    local_lower,
)
from bregmalib.nn import MLP, ConvNet, ResidualBlock  # noqa: E402

#: official names whose inverse is correct (softplus: up to its series below βx < e⁻⁵)
CORRECT = ["tanh", "scaled_tanh", "atan", "isru", "asinh", "sin", "softplus", "softplus10"]
#: every activation and version bregmanet's MLP offers (its "relu" is a true ReLU, which has no
#: Legendre pair, outside the Bregman version)
OFFERED = [
    (name, version)
    for name in ["sigmoid", "relu", *CORRECT]
    for version in ("bregman", "standard", "euclidean")
    if name != "relu" or version == "bregman"
]


@pytest.fixture(autouse=True)
def _numpy_inf_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(np, "Inf", np.inf, raising=False)


def _official(name: str, version: str, hidden: list[int], seed: int = 0):
    """An official MLP whose hidden units stay away from saturation (and, for sin, inside the
    window (−π/2, π/2) where our restricted sin is the official sin): weights halved (sin:
    divided by 10); softplus biases shifted up so that no unit nears 0."""
    torch.manual_seed(seed)
    module = bregmanet.MLP(name, version=version, input_dim=6, hidden_dim=hidden, output_dim=3)
    with torch.no_grad():
        for linear in module.lin:
            linear.weight.mul_(0.1 if name == "sin" else 0.5)
            if name == "sin":
                linear.bias.mul_(0.1)
            if "softplus" in name:
                linear.bias.abs_().add_(0.3)
    return module


def _inputs(name: str, n: int = 32) -> np.ndarray:
    a, b = target_segment(official_pair(name), 0.25 if name == "sin" else 0.05)
    return np.random.default_rng(1).uniform(a, b, (n, 6)).astype(np.float32)


def _both(module, model, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with torch.no_grad():
        theirs = module(torch.from_numpy(x)).numpy()
    return theirs, np.asarray(jax.vmap(model)(jnp.asarray(x)))


@pytest.mark.parametrize("name", CORRECT)
@pytest.mark.parametrize("version", ["bregman", "standard", "euclidean"])
def test_outputs_agree_where_the_official_inverse_is_correct(name: str, version: str) -> None:
    module = _official(name, version, [6, 6, 6])
    model = from_bregmanet(module, activation=name, skip="legendre")
    assert isinstance(model, MLP)
    assert model.version == ("bregman" if version == "bregman" else "standard")
    theirs, ours = _both(module, model, _inputs(name))
    np.testing.assert_allclose(ours, theirs, atol=1e-5, rtol=1e-5)


def test_row_stochastic_mixing_converts_exactly() -> None:
    module = _official("atan", "bregman", [8, 8, 4])
    rng = np.random.default_rng(2)
    with torch.no_grad():
        for reparam in module.reparametrization:
            if isinstance(reparam, torch.nn.Linear):
                rows = rng.dirichlet(np.ones(reparam.in_features), reparam.out_features)
                reparam.weight.copy_(torch.from_numpy(rows))
    model = from_bregmanet(module, skip="legendre")
    assert isinstance(model, MLP)
    assert model.hidden[0].mix_logits is not None and model.hidden[1].mix_logits is None
    theirs, ours = _both(module, model, _inputs("atan"))
    np.testing.assert_allclose(ours, theirs, atol=1e-5, rtol=1e-5)


def _official_rule(model, x: jnp.ndarray, inverse) -> jnp.ndarray:
    """x⁺ = σ(inverse(clamp(x)) + Wx + b) layer by layer with ``model``'s weights (V = I)."""
    pair = model.pair
    for layer in model.hidden:
        inside = jnp.clip(x, pair.lower + 1e-5, pair.upper - 1e-5)
        x = pair.sigma(inverse(inside) + layer.weight @ x + layer.bias)
    return model.head_weight @ x + model.head_bias


@pytest.mark.parametrize(
    ("name", "official_inverse"),
    [("sigmoid", lambda x: jnp.log(x / (1 + x))), ("relu", lambda x: x + 1 / x)],
)
def test_wrong_official_inverses_are_the_only_difference(name: str, official_inverse) -> None:
    """sigmoid: log(x/(1+x)) instead of the logit; relu (bent identity): x + 1/x instead of
    x − 1/(4x). The converted model uses the correct inverse, so it differs; re-running its
    weights with the official inverse reproduces the official outputs."""
    assert name in WRONG_OFFICIAL_INVERSE
    module = _official(name, "bregman", [6, 6, 6])
    model = from_bregmanet(module, activation=name, skip="legendre")
    assert isinstance(model, MLP)
    x = _inputs(name)
    theirs, ours = _both(module, model, x)
    assert np.abs(theirs - ours).max() > 1e-2
    replayed = jax.vmap(lambda z: _official_rule(model, z, official_inverse))(jnp.asarray(x))
    np.testing.assert_allclose(replayed, theirs, atol=1e-5, rtol=1e-5)
    correct = jax.vmap(lambda z: _official_rule(model, z, model.pair.inverse))(jnp.asarray(x))
    np.testing.assert_allclose(correct, ours, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", ["sigmoid", "relu"])
def test_zero_official_layer_is_not_the_identity(name: str) -> None:
    """With W = 0, b = 0 a Bregman layer must be the identity; the official one is not."""
    module = bregmanet.MLP(
        name, version="bregman", input_dim=4, hidden_dim=[4], output_dim=2, init="deterministic"
    )
    model = from_bregmanet(module, skip="legendre")
    assert isinstance(model, MLP)
    x = _inputs(name)[:, :4]
    official_hidden = module.activation(module.offset(torch.from_numpy(x)))
    assert np.abs(official_hidden.numpy() - x).max() > 1e-2
    np.testing.assert_allclose(jax.vmap(model.features)(jnp.asarray(x)), x, rtol=1e-6)


def test_conversion_errors() -> None:
    module = bregmanet.MLP("tanh", version="bregman", input_dim=6, hidden_dim=[8, 4], output_dim=3)
    with pytest.raises(ValueError, match="row sums"):
        from_bregmanet(module, skip="legendre")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = from_bregmanet(module, skip="legendre", strict=False)
    assert isinstance(model, MLP)
    assert any("renormalised" in str(w.message) for w in caught)
    from bregmanet.utils.weight import projection_simplex

    official = projection_simplex(module.reparametrization[0].weight.detach()).double().numpy()
    expected = official / official.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.hidden[0].mixing(), expected, atol=1e-6)
    with pytest.raises(ValueError, match="not 'atan'"):
        from_bregmanet(module, activation="atan", strict=False)
    with pytest.raises(ValueError, match="unknown skip"):
        from_bregmanet(module, skip="logit")
    relu = bregmanet.MLP("relu", version="standard", input_dim=6, hidden_dim=[6], output_dim=3)
    with pytest.raises(ValueError, match="true ReLU"):
        from_bregmanet(relu)
    with pytest.raises(TypeError, match=r"bregmanet\.MLP"):
        from_bregmanet(torch.nn.Linear(3, 3))
    with pytest.raises(ValueError, match="unknown official activation"):
        official_pair("gelu")
    assert official_pair("softplus10").parameter_values == {"beta": 10.0}


def _offered(name: str, version: str):
    """An official MLP at its random initialisation (sin: weights divided by 10, where our
    restricted sin is the package's), widths 6 → 8 → 8 → 4 so that two layers have a V."""
    torch.manual_seed(3)
    module = bregmanet.MLP(name, version=version, input_dim=6, hidden_dim=[8, 8, 4], output_dim=3)
    if name == "sin":
        with torch.no_grad():
            for linear in module.lin:
                linear.weight.mul_(0.1)
                linear.bias.mul_(0.1)
    return module


@pytest.mark.parametrize(("name", "version"), OFFERED)
def test_default_conversion_computes_what_the_package_computes(name: str, version: str) -> None:
    """skip="model": the package's g, clamp and V (not row-stochastic here), to float64
    round-off on inputs that reach the clamp (beyond both ends of I where it is bounded)."""
    jax.config.update("jax_enable_x64", True)
    module = _offered(name, version)
    net = from_bregmanet(module, dtype=jnp.float64)
    assert isinstance(net, ConvNet)
    blocks = [s for s in net.stages if isinstance(s, ResidualBlock)]
    assert len(blocks) == (3 if version == "bregman" else 0)
    pair = official_pair(name)
    lo, hi = target_segment(pair, 0.05)
    if name != "sin":
        lo, hi = lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo)
    x = np.random.default_rng(1).uniform(lo, hi, (64, 6))
    assert agreement(module, net, x) < 1e-12


@pytest.mark.parametrize("name", ["sigmoid", "relu", "softplus10"])
def test_legendre_conversion_reports_its_difference(name: str) -> None:
    jax.config.update("jax_enable_x64", True)
    module = _offered(name, "bregman")
    trained = from_bregmanet(module, dtype=jnp.float64)
    with pytest.warns(UserWarning, match="renormalised"):
        true_inverse = from_bregmanet(module, skip="legendre", strict=False, dtype=jnp.float64)
    x = _inputs(name).astype(np.float64)
    gap = output_difference(true_inverse, trained, x)
    assert gap == pytest.approx(agreement(module, true_inverse, x), rel=1e-9)
    if name in WRONG_OFFICIAL_INVERSE:
        assert gap > 1e-2


def test_bounds_of_the_converted_sigmoid_model_hold_with_the_package_g() -> None:
    """lipschitz_report on the default conversion: certified upper ≥ measured lower (the
    report raises otherwise); sigmoid's g has slope 1/(lo(1 + lo)) ≈ 10⁵ near the clamp, but
    its slope ratio e^Δ keeps the bound small (three layers: 10¹⁵ without it)."""
    jax.config.update("jax_enable_x64", True)
    sigmoid = from_bregmanet(_offered("sigmoid", "bregman"), dtype=jnp.float64)
    report = lipschitz_report(sigmoid, restarts=2)
    assert report.domain == "[0, 1]^6"
    assert 0 < report.lower <= report.upper < 1e4


def test_bound_of_a_converted_softplus_model_is_infinite_and_says_why() -> None:
    """bregmanet's softplus g jumps at βs = e⁻⁵: no finite Lipschitz constant."""
    jax.config.update("jax_enable_x64", True)
    softplus = from_bregmanet(_offered("softplus10", "bregman"), dtype=jnp.float64)
    report = lipschitz_report(softplus, (0.05, 2.0), restarts=2)
    assert report.upper == np.inf and report.lower > 0
    assert any("discontinuous" in line for line in report.assumptions)
    with pytest.raises(ValueError, match="needs a domain"):
        lipschitz_report(softplus)


@pytest.mark.parametrize("name", ["sigmoid", "relu"])
def test_local_bounds_of_the_converted_model_use_the_package_g(name: str) -> None:
    """Local bounds enclose the package's g by its slope on each skip interval: sound against
    the measured Jacobian norms, and finite on small balls."""
    jax.config.update("jax_enable_x64", True)
    net = from_bregmanet(_offered(name, "bregman"), dtype=jnp.float64)
    centers = _inputs(name, 3).astype(np.float64)
    upper = local_lipschitz(net, centers, 0.01)
    lower = local_lower(net, ball_region(net, centers, 0.01), restarts=2, steps=10)
    assert np.all(np.isfinite(upper.upper)) and np.all(0 < lower)
    assert np.all(lower <= upper.upper)
