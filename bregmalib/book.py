"""``python -m bregmalib.book``: execute every ``notebooks/NN_*.py`` (jupytext → nbconvert) and
render each to HTML, figures embedded and LaTeX rendered by MathJax, under ``book/`` with an
``index.html`` that links them in reading order (and the derivations PDF when it was built).

A reader can then follow the whole study without running anything. The notebooks execute in
their own folder, as under ``pytest --nbval``; a failing notebook is still rendered up to the
failing cell, marked as failed in the index, and makes the command exit with status 1.
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import CellExecutionError, ExecutePreprocessor
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
#: a notebook of the reading path: two digits, an underscore, a name
NOTEBOOK_PATTERN = re.compile(r"^\d\d_[A-Za-z0-9_]+\.py$")
DERIVATIONS_PDF = ROOT / "derivations" / "main.pdf"


@dataclass(frozen=True)
class Chapter:
    """One rendered notebook: where it came from, its title, its page and how its run went."""

    source: Path
    title: str
    page: str
    seconds: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def notebook_paths(folder: Path) -> list[Path]:
    """The notebooks of the reading path in ``folder``, in reading order (by file name)."""
    if not folder.is_dir():
        raise ValueError(f"no notebook folder {folder}")
    return sorted(p for p in folder.iterdir() if NOTEBOOK_PATTERN.match(p.name))


def title_of(notebook: nbformat.NotebookNode, fallback: str) -> str:
    """The first Markdown heading of the notebook, or ``fallback``."""
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            if line.startswith("#"):
                return line.lstrip("#").strip()
    return fallback


def execute(notebook: nbformat.NotebookNode, folder: Path, timeout: int) -> str | None:
    """Run every cell in place with the current environment's kernel, in ``folder``;
    the error text when a cell fails, None otherwise."""
    runner = ExecutePreprocessor(timeout=timeout, kernel_name="python3")
    try:
        runner.preprocess(notebook, {"metadata": {"path": str(folder)}})
    except CellExecutionError as error:
        return str(error)
    return None


def render_html(notebook: nbformat.NotebookNode) -> str:
    """HTML of an (executed) notebook: figures embedded, mathematics typeset by MathJax."""
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(notebook)
    return body


def render_chapter(source: Path, out: Path, *, run: bool = True, timeout: int = 600) -> Chapter:
    """Read a jupytext notebook, execute it (unless ``run`` is False), write its HTML page."""
    notebook = jupytext.read(source)
    start = time.perf_counter()
    error = execute(notebook, source.parent, timeout) if run else None
    seconds = time.perf_counter() - start
    page = source.with_suffix(".html").name
    (out / page).write_text(render_html(notebook), encoding="utf-8")
    return Chapter(source, title_of(notebook, source.stem), page, seconds, error)


def render_index(chapters: list[Chapter], pdf: str | None = None) -> str:
    """``index.html``: the chapters in reading order with their run time and state."""
    items = []
    for chapter in chapters:
        state = "" if chapter.ok else ' <strong class="failed">failed</strong>'
        items.append(
            f'<li><a href="{html.escape(chapter.page)}">{html.escape(chapter.title)}</a>'
            f" <small>({html.escape(chapter.source.name)}, ran in {chapter.seconds:.1f} s)"
            f"</small>{state}</li>"
        )
    derivations = (
        f'<p>The derivations, as a document: <a href="{html.escape(pdf)}">{html.escape(pdf)}</a>'
        "</p>"
        if pdf
        else ""
    )
    total = sum(c.seconds for c in chapters)
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8"><title>bregmalib: the book</title>',
            "<style>body{font-family:sans-serif;max-width:48em;margin:2em auto;line-height:1.5}"
            ".failed{color:#b00}</style></head><body>",
            "<h1>bregmalib: the notebooks, executed</h1>",
            "<p>Read in this order; every page was executed by <code>python -m bregmalib.book"
            "</code>.</p>",
            "<ol>",
            *items,
            "</ol>",
            f"<p>Total run time: {total:.1f} s.</p>",
            derivations,
            "</body></html>",
            "",
        ]
    )


def build(sources: list[Path], out: Path, *, run: bool = True, timeout: int = 600) -> list[Chapter]:
    """Render every notebook of ``sources`` into ``out`` and write ``out/index.html``."""
    out.mkdir(parents=True, exist_ok=True)
    chapters = [
        render_chapter(source, out, run=run, timeout=timeout)
        for source in tqdm(sources, desc="book", unit="notebook")
    ]
    pdf = None
    if DERIVATIONS_PDF.exists():
        pdf = "derivations.pdf"
        shutil.copyfile(DERIVATIONS_PDF, out / pdf)
    (out / "index.html").write_text(render_index(chapters, pdf), encoding="utf-8")
    return chapters


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m bregmalib.book``."""
    parser = argparse.ArgumentParser(prog="python -m bregmalib.book", description=__doc__)
    parser.add_argument("--notebooks", default=str(ROOT / "notebooks"), help="notebook folder")
    parser.add_argument("--out", default=str(ROOT / "book"), help="output folder (default book/)")
    parser.add_argument("--only", default=None, help="regular expression on notebook names")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    parser.add_argument("--no-run", action="store_true", help="render without executing")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    sources = notebook_paths(Path(args.notebooks))
    if args.only is not None:
        sources = [p for p in sources if re.search(args.only, p.name)]
    if not sources:
        parser.error(f"no notebook NN_name.py matched in {args.notebooks}")
    chapters = build(sources, Path(args.out), run=not args.no_run, timeout=args.timeout)
    for chapter in chapters:
        state = "ok" if chapter.ok else "FAILED"
        print(f"{chapter.source.name:<32} {chapter.seconds:7.1f} s  {state}")
    print(f"total {sum(c.seconds for c in chapters):.1f} s; open {Path(args.out) / 'index.html'}")
    return 0 if all(c.ok for c in chapters) else 1


if __name__ == "__main__":
    sys.exit(main())
