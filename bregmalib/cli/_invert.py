"""``bregmalib invert model.eqx [--json]``: invertibility certificates of every square hidden
layer of a saved model (conditions (a) contraction, (b) monotone, (c) vertex / P-matrix)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bregmalib.cli._args import Parser, at_least
from bregmalib.cli._model import load_mlp
from bregmalib.cli._progress import Phases
from bregmalib.invert import EXACT_VERTEX_MAX_N, certify_invertibility
from bregmalib.invert._certificates import CONDITIONS
from bregmalib.nn import MLP


def _parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="bregmalib invert",
        description="Invertibility certificates of the square Bregman layers of a saved MLP.",
    )
    parser.add_argument("model", help="checkpoint written by bregmalib train")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--exact-max-n",
        type=at_least(0),
        default=EXACT_VERTEX_MAX_N,
        help="widest layer for the exact vertex test (2^n vertices); wider layers get the "
        "sufficient P-matrix tests",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _certify(model: MLP, max_exact_n: int, bar: Phases) -> list[dict[str, Any]]:
    """`certify_invertibility` of ``model``, one condition per phase of ``bar``, merged."""
    report: list[dict[str, Any]] = []
    for condition in CONDITIONS:
        with bar.phase(f"{condition} certificates"):
            part = certify_invertibility(model, conditions=(condition,), max_exact_n=max_exact_n)
        if not report:
            report = part
            continue
        for entry, more in zip(report, part, strict=True):
            if "certificates" in entry:
                entry["certificates"].update(more["certificates"])
    return report


def _as_json(report: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for entry in report:
        row = {k: v for k, v in entry.items() if k != "certificates"}
        if "certificates" in entry:
            row["certificates"] = {k: c.as_dict() for k, c in entry["certificates"].items()}
            row["invertible"] = any(c.holds for c in entry["certificates"].values())
        out.append(row)
    return out


def _print_table(path: str, model: MLP, report: list[dict[str, Any]]) -> None:
    print(f"model  {path}  ({model.version}, {model.pair.name})")
    for entry in report:
        shape = "×".join(str(s) for s in entry["shape"])
        if "skipped" in entry:
            print(f"layer {entry['layer']} ({shape}): skipped: {entry['skipped']}")
            continue
        print(f"layer {entry['layer']} ({shape}):")
        for letter, (name, cert) in zip("abc", entry["certificates"].items(), strict=True):
            print(
                f"  ({letter}) {name:<12} {cert.verdict:<15} margin {cert.margin:+.4g}  "
                f"[{cert.condition}: {cert.margin_meaning}]"
            )
    assumptions = next(
        (e["certificates"]["vertex"].assumptions for e in report if "certificates" in e), ()
    )
    for line in assumptions:
        print(f"  assumes: {line}")


def main(argv: list[str]) -> int:
    """Certify every hidden layer of a saved model; print a table (or JSON); 0 on success
    (bad input raises, and the dispatcher `bregmalib.cli.main` prints it in one line)."""
    args = _parser().parse_args(argv)
    with Phases("invert", 1 + len(CONDITIONS), quiet=args.quiet) as bar:
        with bar.phase("load model"):
            model, _ = load_mlp(args.model, "invert")
        report = _certify(model, args.exact_max_n, bar)
    if args.json:
        print(json.dumps({"model": args.model, "layers": _as_json(report)}, indent=2))
    else:
        _print_table(args.model, model, report)
    return 0
