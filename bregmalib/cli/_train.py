"""``bregmalib train``: train an MLP or a residual net on digits or two spirals, save it, and
write a JSON summary beside the checkpoint."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

import jax

import bregmalib.legendre as L
from bregmalib.cli._args import Parser, at_least, widths
from bregmalib.data import DATASETS, DEFAULT_MARGIN, load_dataset
from bregmalib.nn import INITS, MLP, VERSIONS, ResNet, make_mlp, make_resnet
from bregmalib.train import TrainConfig, save, train


def _param(text: str) -> tuple[str, float]:
    name, _, value = text.partition("=")
    try:
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected NAME=VALUE such as beta=10, got {text!r}"
        ) from None


def parser() -> argparse.ArgumentParser:
    """The argument parser of ``bregmalib train``."""
    p = Parser(
        prog="bregmalib train",
        description="Train a BregmaNet (or a standard / Euclidean baseline), save the checkpoint "
        "and a JSON summary (same name, .json) beside it.",
    )
    p.add_argument("--dataset", choices=DATASETS, default="digits")
    p.add_argument(
        "--data-dir",
        default=None,
        help="directory of the MNIST / Fashion-MNIST IDX files or the CIFAR-10 python batches "
        "(never downloaded)",
    )
    p.add_argument(
        "--limit",
        type=at_least(1),
        default=None,
        help="use the first LIMIT training and test images of a file data set",
    )
    p.add_argument("--activation", default="atan", help=f"one of {', '.join(L.names())}")
    p.add_argument(
        "--param",
        type=_param,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="activation parameter, e.g. beta=10 for softplus (repeatable)",
    )
    p.add_argument("--version", choices=VERSIONS, default="bregman")
    p.add_argument("--architecture", choices=("mlp", "resnet"), default="mlp")
    p.add_argument(
        "--widths",
        type=widths,
        default=[64, 64, 64],
        help="hidden widths of the MLP, e.g. 64,64,64 (the input width comes from the data)",
    )
    p.add_argument(
        "--channels",
        type=widths,
        default=[8, 8, 16],
        help="channels of the residual net (digits only)",
    )
    p.add_argument("--init", choices=INITS, default="default")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    p.add_argument(
        "--margin",
        type=float,
        default=DEFAULT_MARGIN,
        help="fraction of the interval kept free at each end when scaling the data",
    )
    p.add_argument("--epochs", type=at_least(1), default=100)
    p.add_argument("--batch-size", type=at_least(1), default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--patience", type=at_least(1), default=15)
    p.add_argument("--seed", type=at_least(0), default=0)
    p.add_argument("--out", type=Path, required=True, help="checkpoint path, e.g. model.eqx")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Train as ``args`` say, write the checkpoint and the summary; return the summary."""
    if args.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    params = dict(args.param)
    pair = L.get(args.activation, **params)
    options: dict[str, Any] = {"margin": args.margin, "seed": args.seed, "dtype": args.dtype}
    if args.limit is not None:
        options["limit"] = args.limit
    data = load_dataset(args.dataset, pair, data_dir=args.data_dir, **options)
    key = jax.random.PRNGKey(args.seed)
    common = dict(key=key, init=args.init, dtype=args.dtype)
    if args.architecture == "mlp":
        widths = [data.n_features, *args.widths]
        model: MLP | ResNet = make_mlp(pair, widths, data.n_classes, args.version, **common)
    else:
        if args.dataset != "digits":
            raise ValueError("the residual net takes 8×8 images: use it with --dataset digits")
        widths = None
        model = make_resnet(pair, args.channels, data.n_classes, args.version, **common)
    config = TrainConfig(
        learning_rate=args.lr,
        batch_size=args.batch_size,
        epochs=args.epochs,
        patience=args.patience,
        seed=args.seed,
    )
    result = train(model, data, config, progress=not args.quiet)
    summary = {
        "dataset": args.dataset,
        "activation": pair.name,
        "params": dict(pair.parameter_values),
        "version": args.version,
        "architecture": args.architecture,
        "widths": widths,
        "channels": args.channels if args.architecture == "resnet" else None,
        "init": args.init,
        "dtype": args.dtype,
        "input_box": [data.scaler.target_low, data.scaler.target_high],
        "margin": args.margin,
        "config": dataclasses.asdict(config),
        "test_accuracy": result.test_accuracy,
        "train_accuracy": result.train_accuracy,
        "best_epoch": result.best_epoch,
        "epochs_run": len(result.history),
        "stopped_early": result.stopped_early,
        "seconds": result.seconds,
        "checkpoint": str(args.out),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save(args.out, result.model, summary)
    summary["history"] = result.history
    args.out.with_suffix(".json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def main(argv: list[str]) -> int:
    """Entry point of ``bregmalib train``; returns the exit status (bad input raises, and the
    dispatcher `bregmalib.cli.main` prints it in one line)."""
    args = parser().parse_args(argv)
    if args.out.suffix == ".json":
        raise ValueError("--out must not end in .json (the summary goes there)")
    summary = run(args)
    print(
        f"{summary['activation']} {summary['version']} {summary['architecture']} on "
        f"{summary['dataset']}: test accuracy {summary['test_accuracy']:.4f} "
        f"(train {summary['train_accuracy']:.4f}, best epoch {summary['best_epoch']}, "
        f"{summary['seconds']:.1f} s)\ncheckpoint: {args.out}\n"
        f"summary: {args.out.with_suffix('.json')}"
    )
    return 0
