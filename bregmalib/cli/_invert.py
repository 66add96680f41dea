"""``bregmalib invert model.eqx [--json]``: invertibility certificates of every square hidden
layer of a saved model (conditions (a) contraction, (b) monotone, (c) vertex / P-matrix)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bregmalib.cli._model import load_mlp
from bregmalib.invert import EXACT_VERTEX_MAX_N, certify_invertibility


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bregmalib invert",
        description="Invertibility certificates of the square Bregman layers of a saved MLP.",
    )
    parser.add_argument("model", help="checkpoint written by bregmalib.train.save")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--exact-max-n",
        type=int,
        default=EXACT_VERTEX_MAX_N,
        help=f"largest width for the exact vertex test (default {EXACT_VERTEX_MAX_N}); "
        "wider layers get the sufficient P-matrix tests",
    )
    return parser


def _as_json(report: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for entry in report:
        row = {k: v for k, v in entry.items() if k != "certificates"}
        if "certificates" in entry:
            row["certificates"] = {k: c.as_dict() for k, c in entry["certificates"].items()}
            row["invertible"] = any(c.holds for c in entry["certificates"].values())
        out.append(row)
    return out


def _print_table(path: str, meta: dict[str, Any], report: list[dict[str, Any]]) -> None:
    print(f"model  {path}  ({meta.get('version', '?')}, {meta.get('activation', '?')})")
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
    """Certify every hidden layer of a saved model; print a table (or JSON); 0 on success,
    2 on a bad model file or a model without square Bregman layers to certify."""
    args = _parser().parse_args(argv)
    try:
        model, meta = load_mlp(args.model, "invert")
        report = certify_invertibility(model, max_exact_n=args.exact_max_n)
    except (OSError, ValueError, TypeError) as error:
        print(f"bregmalib invert: {error}", file=sys.stderr)
        return 2
    meta = {
        **meta,
        "version": getattr(model, "version", "?"),
        "activation": getattr(getattr(model, "pair", None), "name", "?"),
    }
    if args.json:
        print(json.dumps({"model": args.model, "layers": _as_json(report)}, indent=2))
    else:
        _print_table(args.model, meta, report)
    return 0
