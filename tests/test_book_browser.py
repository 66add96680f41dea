"""The offline book in a real browser: pages rendered by ``python -m bregmalib.book --no-run``
from the committed notebooks are opened in headless Chromium with every host name unresolvable
(no network), and MathJax 3, shipped inside the book, must have typeset their mathematics:
rendered ``mjx-container`` elements, no MathJax error, no raw ``$…$``, ``\\(`` or ``\\[`` left in
the visible text. A screenshot of each page is saved (into ``$BREGMALIB_SCREENSHOTS`` when set).

Skipped when Chromium is absent, except under CI (``BREGMALIB_REQUIRE_BROWSER=1``), where a
missing browser fails."""

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from bregmalib import book

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PAGES = ["01_legendre_pairs", "02_layer_lipschitz"]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRED = os.environ.get("BREGMALIB_REQUIRE_BROWSER") == "1"
#: what a reader never sees as text: scripts, styles, code (MathJax leaves it alone) and the
#: typeset formulas themselves
HIDDEN = {"head", "script", "style", "noscript", "template", "pre", "code", "mjx-container"}
#: elements without an end tag
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
RAW_MATH = re.compile(r"\$[^$\s][^$]*\$|\\\(|\\\[|\$\$")
#: headless, no network (every host name fails to resolve), no background traffic, fresh profile
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--virtual-time-budget=30000",
    "--window-size=1200,1800",
]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not REQUIRED, reason="chromium is not installed"
)


class VisibleText(HTMLParser):
    """The text a reader sees, and the number of typeset formulas and MathJax errors."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden_depth = 0
        self.parts: list[str] = []
        self.formulas = 0
        self.errors = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "mjx-container":
            self.formulas += 1
        if tag == "mjx-merror" or any(name == "data-mjx-error" for name, _ in attrs):
            self.errors += 1
        if tag not in VOID and (tag in HIDDEN or self.hidden_depth):
            self.hidden_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID and self.hidden_depth:
            self.hidden_depth -= 1

    @property
    def text(self) -> str:
        """The visible text, white space collapsed."""
        return " ".join("".join(self.parts).split())

    def handle_data(self, data: str) -> None:
        if not self.hidden_depth:
            self.parts.append(data)


def chromium(page: Path, profile: Path, *action: str) -> str:
    """Run headless Chromium on a ``file://`` page with the network off; its standard output."""
    assert CHROMIUM is not None, "chromium is required (BREGMALIB_REQUIRE_BROWSER=1)"
    result = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *action, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    return result.stdout


def stored(name: str) -> nbformat.NotebookNode:
    """The committed executed notebook ``notebooks/<name>.ipynb``."""
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=nbformat.NO_CONVERT)


def title_of(name: str) -> str:
    """The notebook's title, as the book shows it."""
    return book.title_of(stored(name), name)


def typeset_formulas_in_markdown(name: str) -> int:
    """How many formulas the Markdown cells of the committed notebook hold (``$…$``, ``$$…$$``)."""
    markdown = "\n".join(c.source for c in stored(name).cells if c.cell_type == "markdown")
    return len(re.findall(r"\$\$.+?\$\$|\$[^$]+?\$", markdown, flags=re.S))


@pytest.fixture(scope="module")
def offline_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("book")
    book.build([NOTEBOOKS / f"{name}.py" for name in PAGES], out, run=False)
    return out


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("BREGMALIB_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.mark.parametrize("name", PAGES)
def test_page_mathematics_is_typeset_offline(name, offline_book, screenshots, tmp_path):
    page = offline_book / f"{name}.html"
    dom = chromium(page, tmp_path / "profile", "--dump-dom")
    seen = VisibleText()
    seen.feed(dom)
    assert title_of(name) in seen.text
    assert seen.formulas >= typeset_formulas_in_markdown(name) > 0
    assert seen.errors == 0
    raw = RAW_MATH.findall(seen.text)
    assert not raw, f"untypeset mathematics in {name}: {raw[:5]}"
    shot = screenshots / f"{name}.png"
    chromium(page, tmp_path / "profile", f"--screenshot={shot}")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000


def test_index_says_the_pages_were_not_executed(offline_book, tmp_path):
    dom = chromium(offline_book / "index.html", tmp_path / "profile", "--dump-dom")
    seen = VisibleText()
    seen.feed(dom)
    assert all(title_of(name) in seen.text for name in PAGES)
    assert "not executed in this build" in seen.text and "ran in" not in seen.text
