"""The README's examples run as written: every ```python block of README.md, in order, in one
namespace, in a temporary working directory (so ``model.eqx`` lands there), with x64 as the
conftest sets it. One case per block; a case first runs the blocks before it that have not run
yet, so the cases may come in any order (pytest-randomly, pytest-xdist) and each block runs once
per process; ``--dist loadfile`` (the Makefile) keeps them on one worker, so the README runs
once. The working directory and the pair catalogue are restored after every block."""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path
from typing import Any

import jax.numpy as jnp
import pytest

from bregmalib import legendre

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS: list[str] = re.findall(r"^```python\n(.*?)^```", README.read_text(), re.S | re.M)
#: the optional peer packages (extra ``peers``) a block may import; without them it is skipped
PEERS = ("bregmanet", "torch")


def missing_peer(block: str) -> str | None:
    """The first optional peer package that ``block`` imports and that is not installed."""
    imported = (name for name in PEERS if re.search(rf"^\s*(import|from) {name}\b", block, re.M))
    return next((name for name in imported if importlib.util.find_spec(name) is None), None)


class Readme:
    """The README's blocks executed once each, in order, in one namespace, in ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.namespace: dict[str, Any] = {"__name__": "readme"}
        self.done = 0
        self.error: BaseException | None = None

    def run_through(self, index: int) -> None:
        """Execute blocks ``done``..``index``; after a failure, every later request fails."""
        while self.done <= index:
            if self.error is not None:
                raise RuntimeError(f"an earlier README block failed: {self.error!r}")
            block = BLOCKS[self.done]
            if missing_peer(block) is None:
                try:
                    self.execute(block, f"README.md python block {self.done + 1}")
                except BaseException as error:
                    self.error = error
                    raise
            self.done += 1

    def execute(self, block: str, name: str) -> None:
        """Run ``block`` in ``directory``; pairs it registers are unregistered afterwards, so the
        other tests see the shipped catalogue."""
        shipped = set(legendre.names())
        home = Path.cwd()
        os.chdir(self.directory)
        try:
            exec(compile(block, name, "exec"), self.namespace)
        finally:
            os.chdir(home)
            for pair in set(legendre.names()) - shipped:
                legendre.unregister(pair)


@pytest.fixture(scope="session")
def readme(tmp_path_factory: pytest.TempPathFactory) -> Readme:
    """One run of the README per test process, in a fresh directory."""
    return Readme(tmp_path_factory.mktemp("readme"))


def test_readme_has_python_blocks() -> None:
    """The extraction finds the examples (a changed fence would otherwise test nothing)."""
    assert len(BLOCKS) >= 8
    assert all(block.strip() for block in BLOCKS)


@pytest.mark.parametrize("index", range(len(BLOCKS)), ids=lambda i: f"block{i + 1}")
def test_readme_block_runs(readme: Readme, index: int) -> None:
    """Block ``index`` runs after the blocks before it, without an undefined name or error."""
    peer = missing_peer(BLOCKS[index])
    if peer is not None:
        pytest.skip(f"{peer} is not installed (extra 'peers')")
    readme.run_through(index)


def test_readme_results(readme: Readme) -> None:
    """What the examples claim: the checkpoint is written where the reader runs them, and the
    network inversion of the last block gives back its input x."""
    readme.run_through(len(BLOCKS) - 1)
    ns = readme.namespace
    assert (readme.directory / "model.eqx").is_file()
    recovered = ns["invert"].invert(ns["model"], ns["y"]).primal
    assert jnp.allclose(recovered, ns["x"], atol=1e-8)
