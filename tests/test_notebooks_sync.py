"""The committed notebooks: every jupytext source ``notebooks/NN_*.py`` has its executed twin
``NN_*.ipynb`` with the same cells (type and source), every code cell executed, under 2 MB, so
that ``pytest --nbval`` compares real outputs of the current sources (``make notebooks-execute``
regenerates them)."""

from pathlib import Path

import jupytext
import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
SOURCES = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))
MAX_BYTES = 2 * 1024 * 1024
REGENERATE = "out of date: run `make notebooks-execute` and commit the .ipynb"


def cells(notebook: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """The (type, source) of each cell, the part of a notebook its jupytext source fixes."""
    return [(cell.cell_type, cell.source) for cell in notebook.cells]


def test_every_notebook_has_a_source_and_the_reverse():
    assert SOURCES, "no notebooks/NN_*.py found"
    stored = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    assert [p.stem for p in stored] == [p.stem for p in SOURCES], REGENERATE


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_stored_notebook_matches_its_source_and_was_executed(source):
    stored = source.with_suffix(".ipynb")
    assert stored.is_file(), f"{stored.name} missing: {REGENERATE}"
    assert stored.stat().st_size < MAX_BYTES, f"{stored.name} is over 2 MB"
    notebook = nbformat.read(stored, as_version=nbformat.NO_CONVERT)
    assert cells(notebook) == cells(jupytext.read(source)), f"{stored.name} {REGENERATE}"
    counts = [c.execution_count for c in notebook.cells if c.cell_type == "code"]
    assert counts and None not in counts, f"{stored.name} has unexecuted cells: {REGENERATE}"
    assert counts == list(range(1, len(counts) + 1)), f"{stored.name} was not run top to bottom"
    errors = [
        output.get("ename")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors, f"{stored.name} stores errors {errors}"


def test_cells_detect_a_source_edit():
    source = SOURCES[0]
    notebook = jupytext.read(source)
    edited = jupytext.reads(source.read_text(encoding="utf-8") + "\n# %%\nprint(1)\n", fmt="py")
    assert cells(edited) != cells(notebook)
    notebook.cells[0].source += " "
    assert cells(notebook) != cells(jupytext.read(source))
