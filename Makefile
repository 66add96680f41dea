# Two commands do all set-up on a fresh machine:
#   make derive   re-run the derivations and export LaTeX (derivations/*.tex, main.pdf when latexmk exists)
#   make test     ruff, import-linter, mypy, unit tests, then every notebook under pytest --nbval-lax
#   make book     (optional) execute every notebook and render it to HTML under book/
# Both create .venv and install bregmalib[dev] into it when needed.
# Inside an environment you manage yourself (conda): make test PY=python SETUP= LINT_IMPORTS=lint-imports

VENV ?= .venv
PY ?= $(VENV)/bin/python
SETUP ?= $(VENV)/.installed
LINT_IMPORTS ?= $(VENV)/bin/lint-imports
JOBS ?= 2
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9]*.py))

.PHONY: derive test lint unit notebooks ipynb book clean

$(VENV)/.installed: pyproject.toml
	test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	$(VENV)/bin/python -m pip install --upgrade pip
	$(VENV)/bin/python -m pip install -e ".[dev]"
	touch $@

derive: $(SETUP)
	$(PY) -m bregmalib derive --out derivations

test: $(SETUP) lint unit notebooks

lint: $(SETUP)
	$(PY) -m ruff check bregmalib tests benchmarks notebooks
	$(LINT_IMPORTS)
	$(PY) -m mypy

unit: $(SETUP)
	$(PY) -m pytest tests -n $(JOBS) --dist loadgroup

ipynb: $(SETUP)
	$(PY) -m jupytext --to ipynb $(NOTEBOOKS)

notebooks: ipynb
	$(PY) -m pytest --nbval-lax --nbval-current-env -n $(JOBS) --dist loadfile $(NOTEBOOKS:.py=.ipynb)

book: $(SETUP)
	$(PY) -m bregmalib.book

clean:
	rm -rf notebooks/*.ipynb .pytest_cache .hypothesis book
