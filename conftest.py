"""Repository-wide pytest set-up: ``pytest --nbval`` in the repository root compares the stored
outputs of the committed notebooks ``notebooks/NN_*.ipynb`` strictly, runs them with the current
environment's kernel (``--nbval-current-env``) and masks their volatile outputs (run times) with
``notebooks/nbval_sanitize.cfg``, without the user typing either option.

The suite is dominated by compiling many small jitted programs, so this process, the notebook
kernels and the command-line subprocesses it starts compile with
``bregmalib._xla_flags.CHECK_FLAGS`` (set before JAX starts its backend);
``make notebooks-execute`` stores the notebooks' outputs under the same flags, so round-off-size
figures compare as they were made."""

import os
from pathlib import Path

import pytest

from bregmalib._xla_flags import with_check_flags

SANITIZE = Path(__file__).parent / "notebooks" / "nbval_sanitize.cfg"

os.environ["XLA_FLAGS"] = with_check_flags(os.environ.get("XLA_FLAGS"))


def pytest_configure(config: pytest.Config) -> None:
    option = config.option
    if not (getattr(option, "nbval", False) or getattr(option, "nbval_lax", False)):
        return
    option.nbval_current_env = not option.nbval_kernel_name
    if option.nbval_sanitize_with is None:
        option.nbval_sanitize_with = str(SANITIZE)
