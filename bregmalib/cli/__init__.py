"""Command-line entry point: ``bregmalib <command> [options]``.

The command-line face of the library: each command is a module of this package exposing
``main(argv) -> int``, imported only when its command runs (``bregmalib --help`` stays fast).
Bad input (a malformed option, a file that is not a checkpoint, a value outside the
activation's interval) is refused here, in one place, as one line on stderr and exit status 2;
any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "derive": ("bregmalib.cli._derive", "re-run the derivations and export LaTeX"),
    "train": ("bregmalib.cli._train", "train a model and save a checkpoint"),
    "lipschitz": ("bregmalib.cli._lipschitz", "Lipschitz report of a saved model (upper, lower)"),
    "invert": ("bregmalib.cli._invert", "invertibility certificates of a saved model's layers"),
}
#: the exit status of a command refused for bad input
BAD_INPUT = 2


def _usage() -> str:
    lines = ["usage: bregmalib [--version] <command> [options]", "", "commands:"]
    lines += [f"  {name:<12}{help_}" for name, (_, help_) in COMMANDS.items()]
    lines += ["", "bregmalib <command> --help describes a command's options."]
    return "\n".join(lines)


def input_errors() -> tuple[type[Exception], ...]:
    """The exceptions that mean bad input: the library's refusals (ValueError, among them
    `bregmalib.legendre.DomainError` and the parsers' `UsageError`), unreadable files (OSError)
    and Equinox's runtime checks under ``jit`` (an input outside the activation's interval).
    Called only once an exception is raised, when the command has imported Equinox already."""
    import equinox

    return (ValueError, OSError, equinox.EquinoxRuntimeError)


def one_line(error: BaseException) -> str:
    """The message of ``error`` on one line: an OSError as ``file: reason``; of an Equinox
    runtime error only its message, without the stack and the advice about ``jit`` around it."""
    text = str(error)
    if isinstance(error, OSError) and error.strerror:
        text = f"{error.filename}: {error.strerror}" if error.filename else error.strerror
    marker = "EquinoxRuntimeError: "
    if isinstance(error, RuntimeError) and marker in text:
        text = text.split(marker, 1)[1].split("\n")[0]
    return " ".join(text.split()) or type(error).__name__


def main(argv: list[str] | None = None) -> int:
    """Dispatch ``argv[0]`` to its command's ``main``; 2 with one line on stderr for bad input."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help"}:
        print(_usage())
        return 0
    if argv[0] == "--version":
        print(f"bregmalib {importlib.metadata.version('bregmalib')}")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        known = ", ".join(COMMANDS)
        print(f"bregmalib: unknown command {name!r} (commands: {known})", file=sys.stderr)
        return BAD_INPUT
    module = importlib.import_module(COMMANDS[name][0])
    try:
        return int(module.main(rest) or 0)
    except SystemExit as done:  # --help of a command
        return done.code if isinstance(done.code, int) else 0
    except input_errors() as error:
        print(f"bregmalib {name}: error: {one_line(error)}", file=sys.stderr)
        return BAD_INPUT
