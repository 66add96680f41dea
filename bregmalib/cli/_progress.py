"""A progress bar on stderr over the phases of a command, for the commands that run long
(``lipschitz``, ``invert``). stdout stays clean for ``--json``; the bar is drawn only when
stderr is a terminal and erased when the command ends."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from types import TracebackType

from tqdm import tqdm

#: seconds between redraws of the elapsed time while one phase runs
REFRESH_SECONDS = 1.0


class Phases:
    """``with Phases("lipschitz", 2) as bar: with bar.phase("load model"): ...``: one step of
    the bar per phase, its name shown, its elapsed time redrawn while it runs."""

    def __init__(self, command: str, total: int, *, quiet: bool = False) -> None:
        self._bar = tqdm(
            total=total,
            desc=command,
            unit="phase",
            leave=False,
            disable=True if quiet else None,
            bar_format="{desc}: {n_fmt}/{total_fmt} |{bar}| {elapsed}{postfix}",
        )

    def __enter__(self) -> Phases:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._bar.close()

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Show ``name`` and redraw the bar until the block ends, then advance it by one."""
        self._bar.set_postfix_str(name)
        done = threading.Event()
        ticker = threading.Thread(target=self._tick, args=(done,), daemon=True)
        if not self._bar.disable:
            ticker.start()
        try:
            yield
        finally:
            done.set()
            if ticker.is_alive():
                ticker.join()
        self._bar.update(1)

    def _tick(self, done: threading.Event) -> None:
        while not done.wait(REFRESH_SECONDS):
            self._bar.refresh()
