"""Argument parsing shared by the commands: a parser whose errors are exceptions (the dispatcher
prints them as one line), and the argument types that refuse negative or zero counts."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import NoReturn

#: argparse's refusal of ``--widths -5,3`` (it takes -5,3 for an option), and our hint
MISSING_VALUE = re.compile(r"argument (--[\w-]+)(?:/\S+)?: expected one argument$")
NEGATIVE_VALUE_HINT = "; a value that starts with '-' is written {option}=VALUE"


class UsageError(ValueError):
    """A command line argparse refuses (unknown option, missing or malformed value)."""


class Parser(argparse.ArgumentParser):
    """`argparse.ArgumentParser` raising `UsageError` instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        """Raise the refusal as one line (the hint for negative values where it applies)."""
        missing = MISSING_VALUE.search(message)
        if missing:
            message += NEGATIVE_VALUE_HINT.format(option=missing.group(1))
        raise UsageError(f"{message} (see {self.prog} --help)")


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def at_least(minimum: int) -> Callable[[str], int]:
    """An argument type: an integer ≥ ``minimum``."""

    def parse(text: str) -> int:
        value = _int(text)
        if value < minimum:
            kind = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
            raise argparse.ArgumentTypeError(f"expected {kind}, got {value}")
        return value

    return parse


def widths(text: str) -> list[int]:
    """An argument type: comma-separated positive integers such as ``64,64,64``."""
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers such as 64,64,64, got {text!r}"
        ) from None
    bad = [v for v in values if v < 1]
    if bad:
        raise argparse.ArgumentTypeError(f"every width must be positive, got {bad[0]} in {text!r}")
    return values


def shape(text: str) -> tuple[int, ...]:
    """An argument type: an input shape such as ``3,32,32`` (positive integers)."""
    return tuple(widths(text.replace("x", ",")))
