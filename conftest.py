"""Repository-wide pytest set-up: ``pytest --nbval`` in the repository root compares the stored
outputs of the committed notebooks ``notebooks/NN_*.ipynb`` strictly, runs them with the current
environment's kernel (``--nbval-current-env``) and masks their volatile outputs (run times) with
``notebooks/nbval_sanitize.cfg``, without the user typing either option."""

from pathlib import Path

import pytest

SANITIZE = Path(__file__).parent / "notebooks" / "nbval_sanitize.cfg"


def pytest_configure(config: pytest.Config) -> None:
    option = config.option
    if not (getattr(option, "nbval", False) or getattr(option, "nbval_lax", False)):
        return
    option.nbval_current_env = not option.nbval_kernel_name
    if option.nbval_sanitize_with is None:
        option.nbval_sanitize_with = str(SANITIZE)
