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


def pin_worker_to_its_cores() -> None:
    """Under pytest-xdist, worker k of N keeps the cores k, k + N, … of those it may use, and so
    do its notebook kernels and subprocesses: XLA's thread pools then size themselves to the
    worker's share, instead of every worker spreading over all cores and slowing the others (on
    2 cores and 2 workers, one core each)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    if not worker.startswith("gw") or count < 2 or not hasattr(os, "sched_setaffinity"):
        return
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < count:
        return
    os.sched_setaffinity(0, cores[int(worker[2:]) % count :: count])


def pytest_configure(config: pytest.Config) -> None:
    pin_worker_to_its_cores()
    option = config.option
    if not (getattr(option, "nbval", False) or getattr(option, "nbval_lax", False)):
        return
    option.nbval_current_env = not option.nbval_kernel_name
    if option.nbval_sanitize_with is None:
        option.nbval_sanitize_with = str(SANITIZE)
