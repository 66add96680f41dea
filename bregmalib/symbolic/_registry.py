"""The providers of `bregmalib derive`: ``"module:function"`` strings, each function taking no
argument and returning ``list[Result]``. Results are exported in this order."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from bregmalib.symbolic._result import Result

PROVIDERS: tuple[str, ...] = (
    "bregmalib.symbolic._providers:catalogue_results",
    "bregmalib.symbolic._providers:engine_results",
    "bregmalib.lipschitz._theorems:results",
    "bregmalib.invert._theorems:results",
)


def load(spec: str) -> Callable[[], list[Result]]:
    """The provider function named by ``"module:function"``."""
    module, _, function = spec.partition(":")
    if not module or not function:
        raise ValueError(f"a provider is 'module:function', got {spec!r}")
    return getattr(importlib.import_module(module), function)


def collect(providers: tuple[str, ...] = PROVIDERS) -> list[Result]:
    """Run every provider; check that each returns Results with unique names."""
    results: list[Result] = []
    for spec in providers:
        produced = load(spec)()
        if not all(isinstance(r, Result) for r in produced):
            raise TypeError(f"provider {spec} must return list[Result]")
        results.extend(produced)
    names = [r.name for r in results]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"duplicate result names: {duplicates}")
    return results
