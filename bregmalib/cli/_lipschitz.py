"""``bregmalib lipschitz model.eqx [--json] [--box lo,hi]``: Lipschitz report of a saved model;
``bregmalib lipschitz model.pt [--arch bresnet20 --activation sigmoid]``: of a PyTorch model
(a bregmanet network, a torch.nn.Sequential, or a bregmanet state_dict, ``--arch mlp`` for an
MLP's)."""

from __future__ import annotations

import argparse
import json

import jax

from bregmalib.cli._args import Parser, at_least, shape
from bregmalib.cli._model import is_torch_file, load_model, load_torch
from bregmalib.cli._progress import Phases
from bregmalib.interop import SKIPS
from bregmalib.lipschitz import LipschitzReport, convnet_bounds, lipschitz_report
from bregmalib.nn import ConvNet, ResNet


def _parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="bregmalib lipschitz",
        description="Upper and lower bounds on the l2 Lipschitz constant of a saved model.",
    )
    parser.add_argument("model", help="checkpoint of bregmalib train, or a PyTorch file")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--box",
        default=None,
        help="input box lo,hi, the same for every input (--box=-1,1 when lo < 0); "
        "default: the natural domain",
    )
    parser.add_argument("--restarts", type=at_least(1), default=16, help="ascent restarts")
    parser.add_argument("--steps", type=at_least(1), default=200, help="ascent steps")
    parser.add_argument("--seed", type=at_least(0), default=0, help="seed of the ascent")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    torch = parser.add_argument_group("PyTorch files (.pt, .pth)")
    torch.add_argument(
        "--arch", metavar="NAME", help="bregmanet network of a state_dict: mlp, bresnet20, ..."
    )
    torch.add_argument(
        "--mlp-version",
        choices=("bregman", "standard", "euclidean"),
        default="bregman",
        metavar="V",
        help="MLP state_dict's version: bregman, standard, euclidean",
    )
    torch.add_argument("--activation", metavar="NAME", help="its activation (default: found)")
    torch.add_argument(
        "--image-shape", type=shape, default=(3, 32, 32), metavar="C,H,W", help="input shape"
    )
    torch.add_argument(
        "--skip",
        choices=SKIPS,
        default="model",
        metavar="G",
        help="model (g as trained) or legendre",
    )
    torch.add_argument(
        "--points", type=at_least(1), default=8, metavar="N", help="points of the lower bound"
    )
    return parser


def _parse_box(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        lo, hi = (float(p) for p in text.split(","))
    except ValueError:
        raise ValueError(f"--box must be two numbers lo,hi, got {text!r}") from None
    return lo, hi


def _print_report(path: str, report: LipschitzReport) -> None:
    print(f"model       {path} ({report.version}, {report.activation})")
    print(f"domain      {report.domain}")
    print(f"upper       {report.upper:.6g}  ({report.method})")
    print(f"lower       {report.lower:.6g}  ({report.lower_method})")
    print(f"ratio       {report.ratio:.4g}")
    print(f"seconds     {report.seconds:.2f}")
    for name, value in report.uppers.items():
        print(f"  upper {name:<14}{value:.6g}")
    for line in report.assumptions:
        print(f"  assumes: {line}")


def _convnet_report(
    args: argparse.Namespace, net: ConvNet, kind: str, activation: str, notes: tuple[str, ...]
) -> dict[str, object]:
    """`convnet_bounds` of a convolutional network, as a JSON-ready dict."""
    box = _parse_box(args.box) or (-1.0, 1.0)
    bounds = convnet_bounds(net, box, points=args.points, key=jax.random.key(args.seed))
    return {
        "model": args.model,
        "kind": kind,
        "activation": activation,
        "skip": args.skip,
        "input_shape": list(net.in_shape),
        "box": list(box),
        **bounds.to_dict(),
        "notes": list(notes),
    }


def _print_convnet(report: dict[str, object]) -> None:
    print(f"model       {report['model']} ({report['kind']}, {report['activation']})")
    print(f"domain      {report['input_shape']} inputs in {report['box']}")
    print(f"upper       {report['upper']:.6g}  ({report['upper_seconds']:.2f} s)")
    print(f"lower       {report['lower']:.6g}  ({report['lower_seconds']:.2f} s)")
    print(f"ratio       {report['ratio']:.4g}")
    if report["reason"]:
        print(f"  unbounded: {report['reason']}")
    for line in [*report["notes"], *report["assumptions"]]:  # type: ignore[misc]
        print(f"  note: {line}")


def _torch_main(args: argparse.Namespace) -> int:
    with Phases("lipschitz", 2, quiet=args.quiet) as bar:
        with bar.phase("load and convert PyTorch model"):
            loaded = load_torch(
                args.model,
                arch=args.arch,
                activation=args.activation,
                image_shape=args.image_shape,
                skip=args.skip,
                version=args.mlp_version,
            )
        if not isinstance(loaded.model, ConvNet):
            with bar.phase("upper and lower bounds"):
                mlp_report = lipschitz_report(
                    loaded.model,
                    _parse_box(args.box),
                    restarts=args.restarts,
                    steps=args.steps,
                    key=jax.random.key(args.seed),
                )
            report = {
                "model": args.model,
                "kind": loaded.kind,
                **mlp_report.to_dict(),
                "notes": list(loaded.notes),
            }
        else:
            with bar.phase("upper and lower bounds"):
                report = _convnet_report(
                    args, loaded.model, loaded.kind, loaded.activation, loaded.notes
                )
    if args.json:
        print(json.dumps(report, indent=2))
    elif isinstance(loaded.model, ConvNet):
        _print_convnet(report)
    else:
        _print_report(args.model, mlp_report)
        for line in loaded.notes:
            print(f"  note: {line}")
    return 0


def _saved_model_main(args: argparse.Namespace) -> int:
    """A checkpoint of bregmalib train: `lipschitz_report` of an MLP, `convnet_bounds` of the
    `ConvNet` of a ResNet."""
    with Phases("lipschitz", 2, quiet=args.quiet) as bar:
        with bar.phase("load model"):
            model, _ = load_model(args.model)
        with bar.phase("upper and lower bounds"):
            if isinstance(model, ResNet):
                conv = _convnet_report(args, model.convnet(), "resnet", model.pair.name, ())
            else:
                report = lipschitz_report(
                    model,
                    _parse_box(args.box),
                    restarts=args.restarts,
                    steps=args.steps,
                    key=jax.random.key(args.seed),
                )
    if isinstance(model, ResNet) and args.json:
        print(json.dumps(conv, indent=2))
    elif isinstance(model, ResNet):
        _print_convnet(conv)
    elif args.json:
        print(json.dumps({"model": args.model, **report.to_dict()}, indent=2))
    else:
        _print_report(args.model, report)
    return 0


def main(argv: list[str]) -> int:
    """Bounds of a saved model: `lipschitz_report` of an MLP, `convnet_bounds` of a residual or
    PyTorch convolutional network; print them (or JSON); exit status 0 on success (bad input
    raises, and the dispatcher `bregmalib.cli.main` prints it in one line)."""
    args = _parser().parse_args(argv)
    if is_torch_file(args.model, args.arch):
        return _torch_main(args)
    return _saved_model_main(args)
