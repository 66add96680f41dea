"""Command-line entry point: ``bregmalib <command> [options]``.

The command-line face of the library: each command is a module of this package exposing
``main(argv) -> int``, imported only when its command runs (``bregmalib --help`` stays fast).
"""

from __future__ import annotations

import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "derive": ("bregmalib.cli._derive", "re-run the derivations and export LaTeX"),
    "train": ("bregmalib.cli._train", "train a model and save a checkpoint"),
    "lipschitz": ("bregmalib.cli._lipschitz", "Lipschitz report of a saved model (upper, lower)"),
    "invert": ("bregmalib.cli._invert", "invertibility certificates of a saved model's layers"),
}


def _usage() -> str:
    lines = ["usage: bregmalib <command> [options]", "", "commands:"]
    lines += [f"  {name:<12}{help_}" for name, (_, help_) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Dispatch ``argv[0]`` to its command's ``main``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help"}:
        print(_usage())
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"bregmalib: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    return int(module.main(rest) or 0)
