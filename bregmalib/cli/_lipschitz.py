"""``bregmalib lipschitz model.eqx [--json] [--box lo,hi]``: Lipschitz report of a saved model."""

from __future__ import annotations

import argparse
import json
import sys

import jax

from bregmalib.cli._model import load_mlp
from bregmalib.lipschitz import lipschitz_report


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bregmalib lipschitz",
        description="Upper and lower bounds on the l2 Lipschitz constant of a saved MLP.",
    )
    parser.add_argument(
        "model", help="checkpoint written by bregmalib.train.save / bregmalib train"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--box",
        default=None,
        help="input box 'lo,hi' (same ends for every input; write --box=-1,1 when lo < 0); "
        "default: the natural domain",
    )
    parser.add_argument("--restarts", type=int, default=16, help="ascent restarts (default 16)")
    parser.add_argument("--steps", type=int, default=200, help="ascent steps (default 200)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the ascent")
    return parser


def _parse_box(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    parts = text.split(",")
    try:
        lo, hi = (float(p) for p in parts)
    except ValueError:
        raise ValueError(f"--box must be two numbers 'lo,hi', got {text!r}") from None
    return lo, hi


def main(argv: list[str]) -> int:
    """Run `lipschitz_report` on a saved model; print it (or JSON); exit status 0 on success."""
    args = _parser().parse_args(argv)
    try:
        box = _parse_box(args.box)
        model, _ = load_mlp(args.model, "lipschitz")
        report = lipschitz_report(
            model, box, restarts=args.restarts, steps=args.steps, key=jax.random.key(args.seed)
        )
    except (OSError, ValueError, TypeError) as error:
        print(f"bregmalib lipschitz: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"model": args.model, **report.to_dict()}, indent=2))
        return 0
    print(f"model       {args.model} ({report.version}, {report.activation})")
    print(f"domain      {report.domain}")
    print(f"upper       {report.upper:.6g}  ({report.method})")
    print(f"lower       {report.lower:.6g}  ({report.lower_method})")
    print(f"ratio       {report.ratio:.4g}")
    print(f"seconds     {report.seconds:.2f}")
    for name, value in report.uppers.items():
        print(f"  upper {name:<14}{value:.6g}")
    for line in report.assumptions:
        print(f"  assumes: {line}")
    return 0
