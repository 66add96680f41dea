"""bregmalib.interop: bregmanet residual networks and torch.nn.Sequential models converted to a
`ConvNet` agree with PyTorch in float64 (tiny images keep every depth fast)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
bregmanet = pytest.importorskip("bregmanet")

from bregmalib.interop import (  # noqa: E402
    BRESNETS,
    LARGE_BRESNETS,
    agreement,
    from_bresnet,
    from_sequential,
    output_difference,
    torch_outputs,
)
from bregmalib.nn import Activation, MaxPool, ResidualBlock  # noqa: E402

IMAGE = (3, 4, 4)


@pytest.fixture(autouse=True)
def _numpy_inf_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(np, "Inf", np.inf, raising=False)


def _randomise_batch_norms(module, seed: int = 0) -> None:
    """Running statistics and affine parameters away from (0, 1, 1, 0), so folding matters."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for norm in module.modules():
            if isinstance(norm, torch.nn.BatchNorm2d):
                size = norm.num_features
                norm.running_mean.copy_(0.2 * torch.rand(size, generator=generator) - 0.1)
                norm.running_var.copy_(0.5 + torch.rand(size, generator=generator))
                norm.weight.copy_(0.5 + 0.5 * torch.rand(size, generator=generator))
                norm.bias.copy_(0.2 * torch.rand(size, generator=generator) - 0.1)


def _bresnet(arch: str, activation: str, seed: int = 0):
    """For sin, convolutions divided by 10: our sin is the restriction to (−π/2, π/2), which
    is the package's sin only where pre-activations stay in that window."""
    torch.manual_seed(seed)
    module = getattr(bregmanet, arch)(activation=activation)
    _randomise_batch_norms(module, seed)
    if activation == "sin":
        with torch.no_grad():
            for conv in module.modules():
                if isinstance(conv, torch.nn.Conv2d):
                    conv.weight.mul_(0.1)
    return module.eval()


def _images(n: int = 2, shape=IMAGE) -> np.ndarray:
    return np.random.default_rng(1).uniform(-1, 1, (n, *shape))


@pytest.mark.parametrize("arch", sorted(BRESNETS, key=BRESNETS.get)[:-1])
def test_every_depth_agrees_with_torch(arch: str) -> None:
    module = _bresnet(arch, "atan")
    net = from_bresnet(module, "atan", image_shape=IMAGE)
    blocks = [s for s in net.stages if isinstance(s, ResidualBlock)]
    assert len(blocks) == 3 * BRESNETS[arch]
    assert agreement(module, net, _images()) < 1e-5


def test_bresnet1202_has_its_600_blocks() -> None:
    net = from_bresnet(bregmanet.bresnet1202(activation="tanh"), "tanh", image_shape=IMAGE)
    assert sum(isinstance(s, ResidualBlock) for s in net.stages) == 600


@pytest.mark.parametrize(
    "activation",
    ["sigmoid", "relu", "tanh", "scaled_tanh", "atan", "isru", "asinh", "sin", "softplus10"],
)
def test_every_activation_agrees_with_torch(activation: str) -> None:
    """Outputs (not constant: their spread is checked) agree to 1e-5."""
    module = _bresnet("bresnet20", activation)
    x = _images(3)
    net = from_bresnet(module, activation, image_shape=IMAGE)
    assert agreement(module, net, x) < 1e-5
    outputs = np.asarray([net(xi) for xi in x])
    assert np.ptp(outputs) > 1e-3


@pytest.mark.parametrize(
    ("activation", "wrong"),
    [("sigmoid", True), ("relu", True), ("softplus10", True), ("atan", False)],
)
def test_legendre_skip_differs_only_where_the_package_inverse_is_wrong(
    activation: str, wrong: bool
) -> None:
    module = _bresnet("bresnet20", activation)
    model = from_bresnet(module, activation, image_shape=IMAGE)
    legendre = from_bresnet(module, activation, image_shape=IMAGE, skip="legendre")
    difference = output_difference(model, legendre, _images())
    assert (difference > 1e-5) if wrong else (difference < 1e-9)
    assert (agreement(module, legendre, _images()) > 1e-5) == wrong


def test_widening_block_pads_both_sides_with_sigma_zero() -> None:
    """bregmanet pads C/4 channels before and after with σ(0), whose g is 0 for tanh."""
    net = from_bresnet(_bresnet("bresnet20", "tanh"), "tanh", image_shape=IMAGE)
    widening = [s for s in net.stages if isinstance(s, ResidualBlock)][3]
    assert (widening.shortcut.before, widening.shortcut.after) == (8, 8)
    assert widening.shortcut.stride == 2 and widening.shortcut.fill == 0.0


def test_imagenet_bresnet18_agrees_with_torch() -> None:
    """bresnet18: 7 × 7 stride-2 stem with the model's σ, 3 × 3 stride-2 max pooling, blocks
    that bregmanet builds with softplus (β = 1000) whatever the model's activation."""
    torch.manual_seed(0)
    module = bregmanet.bresnet18(activation="sigmoid", num_classes=10).eval()
    _randomise_batch_norms(module)
    net = from_bresnet(module, "sigmoid", image_shape=(3, 8, 8))
    assert isinstance(net.stages[2], MaxPool) and net.stages[2].out_shape == (64, 2, 2)
    blocks = [s for s in net.stages if isinstance(s, ResidualBlock)]
    assert len(blocks) == sum(LARGE_BRESNETS["bresnet18"])
    assert isinstance(net.stages[1], Activation) and net.stages[1].pair.name == "sigmoid"
    assert {b.pair.name for b in blocks} == {"softplus"}
    assert agreement(module, net, _images(2, (3, 8, 8))) < 1e-12


def test_bresnet34_has_its_16_blocks() -> None:
    module = bregmanet.bresnet34(activation="atan", num_classes=10)
    net = from_bresnet(module, "atan", image_shape=(3, 8, 8))
    assert sum(isinstance(s, ResidualBlock) for s in net.stages) == 16


def test_networks_the_package_cannot_run_are_refused() -> None:
    """bregman_bis: shape mismatch in the package's own forward pass; Bottleneck networks: g
    of an unclamped 1×1 convolution, NaN in the package."""
    bis = bregmanet.bresnet20(version="bregman_bis", activation="atan")
    with pytest.raises(RuntimeError, match="size of tensor"):
        torch_outputs(bis, _images(1, (3, 8, 8)))
    with pytest.raises(ValueError, match="bregman_bis networks fail in the package"):
        from_bresnet(bis, "atan", image_shape=(3, 8, 8))
    bottleneck = bregmanet.bresnet50(activation="softplus", num_classes=10)
    assert np.isnan(torch_outputs(bottleneck, _images(1, (3, 32, 32)))).any()
    with pytest.raises(ValueError, match="computes NaN there"):
        from_bresnet(bottleneck, "softplus")


def _sequential() -> torch.nn.Sequential:
    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Conv2d(2, 4, 3, stride=2, padding=1),
        torch.nn.BatchNorm2d(4),
        torch.nn.Tanh(),
        torch.nn.Conv2d(4, 4, 3, padding=1, padding_mode="circular", bias=False),
        torch.nn.Tanh(),
        torch.nn.AvgPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(16, 5),
        torch.nn.Tanh(),
        torch.nn.Linear(5, 3),
    )
    _randomise_batch_norms(module)
    return module.eval()


def test_sequential_agrees_with_torch() -> None:
    module = _sequential()
    net = from_sequential(module, (2, 8, 8))
    assert net.out_shape == (3,)
    assert len(net.stages) == 9  # the batch norm is folded into the first convolution
    assert agreement(module, net, _images(4, (2, 8, 8))) < 1e-5


def test_conversion_errors() -> None:
    with pytest.raises(TypeError, match="BregmanResNet"):
        from_bresnet(torch.nn.Linear(2, 2), "tanh")
    with pytest.raises(ValueError, match="ReLU"):
        from_sequential(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU()), (2,))
    with pytest.raises(ValueError, match="takes"):
        from_sequential(torch.nn.Sequential(torch.nn.Linear(3, 2)), (2,))
    with pytest.raises(ValueError, match="groups=1"):
        from_sequential(torch.nn.Sequential(torch.nn.Conv2d(2, 2, 3, groups=2)), (2, 4, 4))
    with pytest.raises(ValueError, match="unknown skip"):
        from_bresnet(bregmanet.bresnet20(activation="tanh"), "tanh", skip="true")
