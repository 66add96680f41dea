# Two commands do all set-up on a fresh machine:
#   make derive   re-run the derivations and export LaTeX (derivations/*.tex, main.pdf when latexmk exists)
#   make test     ruff, import-linter and mypy beside one pytest session: the unit tests and
#                 every committed executed notebook under strict --nbval (stored outputs compared)
#   make unit / make notebooks   either half alone
#   make notebooks-execute   regenerate notebooks/NN_*.ipynb from notebooks/NN_*.py (then commit)
#   make book     (optional) execute every notebook and render it to HTML under book/
# npm installs MathJax 3 for the book (and its tests) into node_modules/.
# Both create .venv and install bregmalib[dev] into it when needed.
# Inside an environment you manage yourself (conda): make test PY=python SETUP= LINT_IMPORTS=lint-imports

VENV ?= .venv
PY ?= $(VENV)/bin/python
SETUP ?= $(VENV)/.installed
LINT_IMPORTS ?= $(VENV)/bin/lint-imports
JOBS ?= 2
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9]*.py))
IPYNB := $(NOTEBOOKS:.py=.ipynb)
# MathJax 3 for the offline book, from npm (package.json, package-lock.json)
MATHJAX := node_modules/mathjax/es5/tex-svg-full.js

.PHONY: derive test lint check unit notebooks notebooks-execute book clean

# --no-compile: a module's bytecode is written when it is first imported, so only what is used
# gets compiled (the test session writes it even under PYTHONDONTWRITEBYTECODE: conftest.py)
$(VENV)/.installed: pyproject.toml
	test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	$(VENV)/bin/python -m pip install --upgrade pip
	$(VENV)/bin/python -m pip install --no-compile -e ".[dev]"
	touch $@

derive: $(SETUP)
	$(PY) -m bregmalib derive --out derivations

# lint (about 45 s of mypy on a clean clone) runs beside the pytest session, not before it
test: $(SETUP) $(MATHJAX)
	$(MAKE) --no-print-directory -j 2 lint check

lint: $(SETUP)
	$(PY) -m ruff check bregmalib tests benchmarks notebooks
	$(LINT_IMPORTS)
	$(PY) -m mypy

# The unit tests and the notebooks in one session on $(JOBS) workers, one file at a time per worker
# (a notebook's cells run in order in one kernel; the README's blocks run once, on one worker).
# (pytest-xdist's loadgroup cannot be used: with pytest 9 it does not group, its renamed node ids
# being ignored.)
check: $(SETUP) $(MATHJAX)
	$(PY) -m pytest --nbval -n $(JOBS) --dist loadfile --durations=15 $(IPYNB) tests

unit: $(SETUP) $(MATHJAX)
	$(PY) -m pytest tests -n $(JOBS) --dist loadfile --durations=15

# Regenerate the committed, executed notebooks/NN_*.ipynb from their jupytext sources
# notebooks/NN_*.py: convert (outputs dropped), then execute each in place in notebooks/,
# $(JOBS) at a time, with the XLA flags pytest uses (conftest.py). Run it after editing any
# notebooks/NN_*.py and commit the .ipynb files.
notebooks-execute: $(SETUP)
	$(PY) -m jupytext --to ipynb $(NOTEBOOKS)
	printf '%s\n' $(IPYNB) | XLA_FLAGS="$$($(PY) -m bregmalib._xla_flags)" xargs -P $(JOBS) -I{} $(PY) -m nbconvert --to notebook --execute \
	  --inplace --ExecutePreprocessor.timeout=1800 --ExecutePreprocessor.record_timing=False {}

# Strict comparison of every stored output (volatile ones sanitised by notebooks/nbval_sanitize.cfg,
# current environment's kernel: both set by conftest.py).
notebooks: $(SETUP)
	$(PY) -m pytest --nbval -n $(JOBS) --dist loadfile $(IPYNB)

$(MATHJAX): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

book: $(SETUP) $(MATHJAX)
	$(PY) -m bregmalib.book

clean:
	rm -rf .pytest_cache .hypothesis book
