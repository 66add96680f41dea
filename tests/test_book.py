"""The reader's path: the book renderer (reading order, titles, executed figures and MathJax in
the HTML, the index) and the layout of the derivations document (chapters, cross-references)."""

import re
from pathlib import Path
from types import SimpleNamespace

import jupytext
import pytest

from bregmalib import book
from bregmalib.cli import _derive as derive
from bregmalib.symbolic import _export as cli
from bregmalib.symbolic._latex import text

TINY = """# %% [markdown]
# # 99 · A tiny chapter
# The identity $e^{i\\pi} + 1 = 0$ must reach MathJax.

# %%
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

plt.plot([0, 1], [1, 0])
plt.show()
print("answer", 6 * 7)
"""

BROKEN = """# %% [markdown]
# # 98 · A broken chapter

# %%
raise RuntimeError("this cell fails on purpose")
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_notebook_paths_keep_reading_order_and_skip_others(tmp_path):
    for name in ("10_b.py", "02_a.py", "helper.py", "03_c.ipynb", "1_short.py"):
        _write(tmp_path, name, "")
    assert [p.name for p in book.notebook_paths(tmp_path)] == ["02_a.py", "10_b.py"]
    with pytest.raises(ValueError, match="no notebook folder"):
        book.notebook_paths(tmp_path / "missing")


def test_index_links_chapters_in_order_and_escapes(tmp_path):
    chapters = [
        book.Chapter(tmp_path / "01_a.py", "First <one>", "01_a.html", 1.25),
        book.Chapter(tmp_path / "02_b.py", "Second", "02_b.html", 2.0, error="boom"),
    ]
    index = book.render_index(chapters, pdf="derivations.pdf")
    assert index.index('href="01_a.html"') < index.index('href="02_b.html"')
    assert "First &lt;one&gt;" in index and "First <one>" not in index
    assert index.count("failed</strong>") == 1
    assert "Total run time: 3.2 s" in index and "every page was executed" in index
    assert "ran in 1.2 s" in index and "not executed" not in index
    assert 'href="derivations.pdf"' in index
    assert "derivations.pdf" not in book.render_index(chapters[:1])


def test_index_of_a_build_without_execution_says_so(tmp_path):
    chapters = [book.Chapter(tmp_path / "01_a.ipynb", "First", "01_a.html", None)]
    index = book.render_index(chapters)
    assert "not executed</strong> in this build" in index
    assert "ran in" not in index and "run time" not in index and "every page" not in index


#: a script, style sheet, frame or module import fetched from outside the book
EXTERNAL = re.compile(
    r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//"
    r"|\bimport\b[^;\n]*\bfrom\s*[\"'](?:https?:)?//|\bimport\(\s*[\"'](?:https?:)?//",
    flags=re.I,
)


def test_external_pattern_catches_remote_scripts():
    assert EXTERNAL.search('<script src="https://cdn.example/x.js"></script>')
    assert EXTERNAL.search("<link rel=stylesheet href='//cdn.example/x.css'>")
    assert EXTERNAL.search('import mermaid from "https://cdn.example/m.mjs";')
    assert EXTERNAL.search('await import("https://cdn.example/m.mjs")')
    assert not EXTERNAL.search('import numpy\n<a href="https://arxiv.org/abs/1">a</a>')
    assert not EXTERNAL.search('<script defer src="mathjax/tex-svg-full.js"></script>')
    assert not EXTERNAL.search('<a href="https://arxiv.org/abs/1">a paper</a>')


def test_build_executes_and_renders_figures_and_mathematics(tmp_path):
    notebooks, out = tmp_path / "notebooks", tmp_path / "book"
    notebooks.mkdir()
    _write(notebooks, "99_tiny.py", TINY)
    _write(notebooks, "98_broken.py", BROKEN)
    chapters = book.build(book.notebook_paths(notebooks), out, timeout=120)
    assert [c.page for c in chapters] == ["98_broken.html", "99_tiny.html"]
    broken, tiny = chapters
    assert not broken.ok and "on purpose" in broken.error
    assert tiny.ok and tiny.title == "99 · A tiny chapter"
    page = (out / "99_tiny.html").read_text(encoding="utf-8")
    assert "data:image/png;base64" in page
    assert "answer 42" in page
    assert "e^{i\\pi} + 1 = 0" in page
    assert f'src="mathjax/{book.MATHJAX_ENTRY}"' in page
    assert (out / "mathjax" / book.MATHJAX_ENTRY).is_file()
    for name in ("98_broken.html", "99_tiny.html", "index.html"):
        html = (out / name).read_text(encoding="utf-8")
        assert not EXTERNAL.search(html), name
        assert "cdnjs" not in html and "require.js" not in html and "MathJax.Hub" not in html
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="99_tiny.html"' in index and "99 · A tiny chapter" in index


def test_main_reports_failure_and_rejects_empty_selection(tmp_path, capsys):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    _write(notebooks, "98_broken.py", BROKEN)
    argv = ["--notebooks", str(notebooks), "--out", str(tmp_path / "book")]
    with pytest.raises(FileNotFoundError, match="make notebooks-execute"):
        book.main([*argv, "--no-run"])
    jupytext.write(jupytext.read(notebooks / "98_broken.py"), notebooks / "98_broken.ipynb")
    assert book.main([*argv, "--no-run"]) == 0
    assert "98_broken.ipynb" in capsys.readouterr().out
    index = (tmp_path / "book" / "index.html").read_text(encoding="utf-8")
    assert "not executed" in index and "ran in" not in index
    with pytest.raises(SystemExit):
        book.main([*argv, "--only", "nothing-matches"])


# The derivations document is the other half of the reader's path: its chapters and layout.


def _result(name: str, activation: str | None = None, status: str = "proved"):
    return SimpleNamespace(name=name, activation=activation, status=status)


def test_chapter_is_fixed_by_the_group_then_by_the_name():
    by_name = {
        "network/telescoping": cli.NETWORK_BOUNDS,
        "standard/theta_nonnegative": cli.NETWORK_BOUNDS,
        "atan/network_telescoping_bound": cli.NETWORK_BOUNDS,
        "invertibility/vertex_reduction": cli.INVERTIBILITY,
        "tanh/invertibility_monotone": cli.INVERTIBILITY,
        "tanh/layer_bound": cli.LAYER_BOUNDS,
        "engine/sympy_minimum": cli.ENGINE,
        "tanh/slope_ratio": cli.ACTIVATIONS,
        "global/layer_bracket": cli.GLOBAL_DOMAIN,
        "comparison/residual": cli.COMPARISON,
        "tightness/layer_and_network": cli.TIGHTNESS,
        "tightness/inverse_lipschitz": cli.TIGHTNESS,
        "tightness/group_dual_theta": cli.TIGHTNESS,
    }
    for name, chapter in by_name.items():
        assert cli.chapter_of(_result(name)) == chapter, name
    slope, layer = _result("tanh/slope_ratio"), _result("tanh/layer_bound")
    groups = (([slope], cli.INVERTIBILITY), ([layer], None))
    assert derive.chapters_of(groups) == (
        [slope, layer],
        {"tanh/slope_ratio": cli.INVERTIBILITY, "tanh/layer_bound": cli.LAYER_BOUNDS},
    )
    assert derive.chapters_of((([slope], cli.NETWORK_BOUNDS),))[1] == {
        "tanh/slope_ratio": cli.NETWORK_BOUNDS
    }
    with pytest.raises(ValueError, match="duplicate result name"):
        derive.chapters_of((([slope], None), ([slope], cli.INVERTIBILITY)))


def test_main_tex_orders_chapters_and_inputs_every_result():
    results = [
        _result("tanh/slope_ratio", "tanh"),
        _result("tanh/layer_bound", "tanh", "conjectured"),
        _result("network/telescoping"),
        _result("tanh/invertibility_monotone", "tanh", "refuted"),
    ]
    tex = cli.main_tex(results, bibliography="../references")
    heads = [tex.index(f"\\chapter{{{c}}}") for c in cli.CHAPTERS[:4]]
    assert heads == sorted(heads) and "\\appendix" not in tex
    assert tex.count("\\input{") == len(results) + 2
    for result, chapter in zip(results, cli.CHAPTERS[:4], strict=True):
        assert tex.index(f"\\chapter{{{chapter}}}") < tex.index(
            f"\\input{{{cli.label(result.name)}}}"
        )
    assert "\\bibliography{../references}" in tex and "\\ref{chap:network-bounds}" in tex
    summary = cli.summary_table(results)
    assert summary.index("tanh/slope") < summary.index("network/telescoping")
    assert "refuted" in summary and "\\ref{chap:invertibility}" in summary
    assert "\\bibliography" not in cli.main_tex(results)


def test_prose_maps_the_mathematics_the_providers_use():
    assert text("Σ_k Π‖W‖ ⋯ §2") == (
        r"$\ensuremath{\Sigma}_{k}$ \ensuremath{\Pi}\ensuremath{\|}W\ensuremath{\|} "
        r"\ensuremath{\cdots} \ensuremath{\S}2"
    )
    with pytest.raises(ValueError, match="no LaTeX mapping"):
        text("Ω")
