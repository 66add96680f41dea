"""``python -m bregmalib.book``: execute every ``notebooks/NN_*.py`` (jupytext → nbconvert) and
render each to HTML, figures embedded and LaTeX typeset by MathJax 3, under ``book/`` with an
``index.html`` that links them in reading order (and the derivations PDF when it was built).

The book is self-contained and reads offline: MathJax 3 (npm package ``mathjax``, installed by
``npm ci`` into ``node_modules/``) is copied into ``book/mathjax/``, and the HTML template loads
no script or style sheet from outside the book (nbconvert's require.js, MathJax 2 and mermaid
links are removed). The notebooks execute in their own folder, as under ``pytest --nbval``; a
failing notebook is still rendered up to the failing cell, marked as failed in the index, and
makes the command exit with status 1. ``--no-run`` renders the committed executed notebooks
``notebooks/NN_*.ipynb`` instead, and the index says that nothing was executed in that build.
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
from jinja2 import DictLoader
from nbconvert import HTMLExporter
from nbconvert.preprocessors import CellExecutionError, ExecutePreprocessor
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
#: a notebook of the reading path: two digits, an underscore, a name
NOTEBOOK_PATTERN = re.compile(r"^\d\d_[A-Za-z0-9_]+\.py$")
DERIVATIONS_PDF = ROOT / "derivations" / "main.pdf"
#: MathJax 3 as npm installs it (``npm ci`` with the committed package-lock.json)
MATHJAX_SOURCE = ROOT / "node_modules" / "mathjax" / "es5"
#: the MathJax component the pages load: TeX input with every extension built in, SVG output
#: (no web fonts to fetch)
MATHJAX_ENTRY = "tex-svg-full.js"
#: nbconvert's JupyterLab template without its remote scripts, with the local MathJax 3
PAGE_TEMPLATE = r"""{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_js_mathjax -%}
<script>
window.MathJax = {
  tex: {
    inlineMath: [["$", "$"], ["\\(", "\\)"]],
    displayMath: [["$$", "$$"], ["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
    tags: "ams"
  },
  svg: {fontCache: "global"}
};
</script>
<script id="MathJax-script" defer src="mathjax/""" + MATHJAX_ENTRY + r""""></script>
{%- endblock html_head_js_mathjax -%}
"""


@dataclass(frozen=True)
class Chapter:
    """One rendered notebook: where it came from, its title, its page and how its run went."""

    source: Path
    title: str
    page: str
    seconds: float | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def executed(self) -> bool:
        """Whether this build executed the notebook (``seconds`` is then its run time)."""
        return self.seconds is not None


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
    """HTML of an (executed) notebook: figures embedded, mathematics typeset by the book's
    MathJax 3 (``mathjax/`` beside the page), nothing loaded from outside the book."""
    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({"book.html.j2": PAGE_TEMPLATE})],
        template_file="book.html.j2",
    )
    body, _ = exporter.from_notebook_node(notebook)
    return body


def install_mathjax(out: Path) -> None:
    """Copy MathJax 3 from ``node_modules/`` into ``out/mathjax/``."""
    if not (MATHJAX_SOURCE / MATHJAX_ENTRY).is_file():
        raise FileNotFoundError(
            f"MathJax 3 is not installed ({MATHJAX_SOURCE / MATHJAX_ENTRY} is missing): "
            "run `npm ci` in the repository root"
        )
    shutil.copytree(MATHJAX_SOURCE, out / "mathjax", dirs_exist_ok=True)


def stored_notebook(source: Path) -> nbformat.NotebookNode:
    """The committed executed notebook ``NN_name.ipynb`` paired with ``source``."""
    stored = source.with_suffix(".ipynb")
    if not stored.is_file():
        raise FileNotFoundError(f"{stored} is missing: run `make notebooks-execute`")
    return nbformat.read(stored, as_version=nbformat.NO_CONVERT)


def render_chapter(source: Path, out: Path, *, run: bool = True, timeout: int = 600) -> Chapter:
    """Execute the jupytext notebook ``source`` and write its HTML page; with ``run`` False,
    render its committed executed ``.ipynb`` instead, without executing anything."""
    page = source.with_suffix(".html").name
    if not run:
        notebook = stored_notebook(source)
        (out / page).write_text(render_html(notebook), encoding="utf-8")
        return Chapter(source.with_suffix(".ipynb"), title_of(notebook, source.stem), page, None)
    notebook = jupytext.read(source)
    start = time.perf_counter()
    error = execute(notebook, source.parent, timeout)
    seconds = time.perf_counter() - start
    (out / page).write_text(render_html(notebook), encoding="utf-8")
    return Chapter(source, title_of(notebook, source.stem), page, seconds, error)


def run_note(chapter: Chapter) -> str:
    """How the chapter's outputs were obtained in this build, for the index."""
    if chapter.seconds is None:
        return "stored outputs, not executed in this build"
    return f"ran in {chapter.seconds:.1f} s"


def provenance(chapters: list[Chapter]) -> str:
    """The index's sentence on whether this build executed the pages, and its total run time."""
    executed = [c.seconds for c in chapters if c.seconds is not None]
    if not executed:
        return (
            "<p>Read in this order. The pages were <strong>not executed</strong> in this build "
            "(<code>--no-run</code>): they show the outputs stored in the committed notebooks "
            "<code>notebooks/NN_*.ipynb</code>.</p>"
        )
    every = "every page was" if len(executed) == len(chapters) else "the pages marked so were"
    return (
        f"<p>Read in this order; {every} executed by <code>python -m bregmalib.book</code> in "
        f"this build.</p><p>Total run time: {sum(executed):.1f} s.</p>"
    )


def render_index(chapters: list[Chapter], pdf: str | None = None) -> str:
    """``index.html``: the chapters in reading order with their run time (or a note that they
    were not executed) and state."""
    items = []
    for chapter in chapters:
        state = "" if chapter.ok else ' <strong class="failed">failed</strong>'
        items.append(
            f'<li><a href="{html.escape(chapter.page)}">{html.escape(chapter.title)}</a>'
            f" <small>({html.escape(chapter.source.name)}, {run_note(chapter)})"
            f"</small>{state}</li>"
        )
    derivations = (
        f'<p>The derivations, as a document: <a href="{html.escape(pdf)}">{html.escape(pdf)}</a>'
        "</p>"
        if pdf
        else ""
    )
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8"><title>bregmalib: the book</title>',
            "<style>body{font-family:sans-serif;max-width:48em;margin:2em auto;line-height:1.5}"
            ".failed{color:#b00}</style></head><body>",
            "<h1>bregmalib: the notebooks</h1>",
            provenance(chapters),
            "<ol>",
            *items,
            "</ol>",
            derivations,
            "</body></html>",
            "",
        ]
    )


def build(sources: list[Path], out: Path, *, run: bool = True, timeout: int = 600) -> list[Chapter]:
    """Render every notebook of ``sources`` into ``out`` and write ``out/index.html``."""
    out.mkdir(parents=True, exist_ok=True)
    install_mathjax(out)
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
    parser.add_argument(
        "--no-run",
        action="store_true",
        help="render the committed executed notebooks NN_*.ipynb, without executing",
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    sources = notebook_paths(Path(args.notebooks))
    if args.only is not None:
        sources = [p for p in sources if re.search(args.only, p.name)]
    if not sources:
        parser.error(f"no notebook NN_name.py matched in {args.notebooks}")
    chapters = build(sources, Path(args.out), run=not args.no_run, timeout=args.timeout)
    for chapter in chapters:
        state = "ok" if chapter.ok else "FAILED"
        print(f"{chapter.source.name:<32} {run_note(chapter)}  {state}")
    print(f"open {Path(args.out) / 'index.html'}")
    return 0 if all(c.ok for c in chapters) else 1


if __name__ == "__main__":
    sys.exit(main())
