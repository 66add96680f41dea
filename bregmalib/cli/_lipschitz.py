"""``bregmalib lipschitz model.eqx [--json] [--box lo,hi]``: Lipschitz report of a saved model."""

from __future__ import annotations

import argparse
import json

import jax

from bregmalib.cli._args import Parser, at_least
from bregmalib.cli._model import load_mlp
from bregmalib.cli._progress import Phases
from bregmalib.lipschitz import LipschitzReport, lipschitz_report


def _parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="bregmalib lipschitz",
        description="Upper and lower bounds on the l2 Lipschitz constant of a saved MLP.",
    )
    parser.add_argument("model", help="checkpoint written by bregmalib train")
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


def main(argv: list[str]) -> int:
    """Run `lipschitz_report` on a saved model; print it (or JSON); exit status 0 on success
    (bad input raises, and the dispatcher `bregmalib.cli.main` prints it in one line)."""
    args = _parser().parse_args(argv)
    box = _parse_box(args.box)
    with Phases("lipschitz", 2, quiet=args.quiet) as bar:
        with bar.phase("load model"):
            model, _ = load_mlp(args.model, "lipschitz")
        with bar.phase("upper and lower bounds"):
            report = lipschitz_report(
                model, box, restarts=args.restarts, steps=args.steps, key=jax.random.key(args.seed)
            )
    if args.json:
        print(json.dumps({"model": args.model, **report.to_dict()}, indent=2))
    else:
        _print_report(args.model, report)
    return 0
