"""``bregmalib derive --out derivations``: state, derive and check every result of the library
with the engine `bregmalib.symbolic`, then export them (one ``.tex`` per result, the catalogue
table, a status summary, ``main.tex``, and ``main.pdf`` when latexmk is installed).

The results, in this order: per catalogue pair, the pair's constants (L_σ, strong convexity of
φ, R_σ; `bregmalib.symbolic`); the layer theorems, each stated once for every pair and checked
on each (Jacobian, single-layer bound; `bregmalib.lipschitz`); the engine's guards; the
network theorems of `bregmalib.lipschitz` and the dual-coordinate theorems (chapter "Network
bounds"); the global domain, from the pair results; the comparison of layer bounds; the
tightness of the layer, network, dual-θ and inverse-layer bounds (after the theorems they rest
on); the invertibility and inversion theorems of `bregmalib.invert` (chapter
"Invertibility"). The other results get their chapter from their names."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import jax

from bregmalib._xla_flags import use_check_flags
from bregmalib.cli._args import Parser, at_least
from bregmalib.invert import _inverse_theorems as inverse_theorems
from bregmalib.invert import _theorems as invert_theorems
from bregmalib.lipschitz import _theorems as network_theorems
from bregmalib.lipschitz._comparison_theorems import comparison_results
from bregmalib.lipschitz._dual_theorems import dual_results
from bregmalib.lipschitz._global_theorems import global_results
from bregmalib.lipschitz._layer_theorems import layer_results
from bregmalib.lipschitz._tightness_dual_theorems import dual_tightness_results
from bregmalib.lipschitz._tightness_theorems import global_tightness_results, tightness_results
from bregmalib.symbolic import Result
from bregmalib.symbolic._export import (
    COMPARISON,
    GLOBAL_DOMAIN,
    INVERTIBILITY,
    LAYER_BOUNDS,
    NETWORK_BOUNDS,
    TIGHTNESS,
    build_pdf,
    chapter_of,
    export,
    status_counts,
)
from bregmalib.symbolic._providers import (
    JOBS_VARIABLE,
    engine_results,
    map_pairs,
    pair_results_of,
)


def chapters_of(
    groups: Sequence[tuple[Sequence[Result], str | None]],
) -> tuple[list[Result], dict[str, str]]:
    """The results of ``groups`` (each with its chapter, or None for `chapter_of` by name) in
    order, and each one's chapter by name; names must be unique."""
    results: list[Result] = []
    chapters: dict[str, str] = {}
    for group, chapter in groups:
        for result in group:
            if result.name in chapters:
                raise ValueError(f"duplicate result name {result.name!r}")
            chapters[result.name] = chapter or chapter_of(result)
            results.append(result)
    return results, chapters


def collect() -> tuple[list[Result], dict[str, str]]:
    """Every result in export order, and each one's chapter by name."""
    pair_results = map_pairs(pair_results_of)
    layer = layer_results({r.name: r for r in pair_results})
    lemmas = {r.name: r for r in pair_results + layer}
    global_domain = global_results(lemmas)
    bracket = next(r for r in global_domain if r.name == "global/layer_bracket")
    dual, inverse = dual_results(), inverse_theorems.results()
    inverse_bound = inverse_theorems.inverse_lipschitz_bound
    bounds = {r.name: r for r in dual + inverse}
    tightness = tightness_results() + global_tightness_results(bracket)
    return chapters_of(
        (
            (pair_results, None),
            (layer, LAYER_BOUNDS),
            (engine_results(), None),
            (network_theorems.results() + dual, NETWORK_BOUNDS),
            (global_domain, GLOBAL_DOMAIN),
            (comparison_results(), COMPARISON),
            (tightness + dual_tightness_results(bounds, inverse_bound), TIGHTNESS),
            (invert_theorems.results() + inverse, INVERTIBILITY),
        )
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``bregmalib derive``."""
    parser = Parser(
        prog="bregmalib derive",
        description="Derive and check every result of the library symbolically; write one .tex "
        "per result, the catalogue table and main.tex (and main.pdf with latexmk).",
    )
    parser.add_argument("--out", default="derivations", help="output folder (default: derivations)")
    parser.add_argument("--no-pdf", action="store_true", help="do not run latexmk")
    parser.add_argument(
        "--jobs", type=at_least(1), default=None, help="worker processes (default: 2)"
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.jobs is not None:
        os.environ[JOBS_VARIABLE] = str(args.jobs)
    jax.config.update("jax_enable_x64", True)
    start = time.perf_counter()
    with use_check_flags():
        results, chapters = collect()
    written = export(results, Path(args.out), chapters)
    elapsed = time.perf_counter() - start
    print(
        f"{len(results)} results: {status_counts(results)}; "
        f"{len(written)} files changed in {args.out}/"
    )
    print(f"derivations took {elapsed:.1f} s")
    if not args.no_pdf:
        print(build_pdf(Path(args.out)))
    return 0
