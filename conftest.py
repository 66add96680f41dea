"""Repository-wide pytest set-up: ``pytest --nbval`` in the repository root compares the stored
outputs of the committed notebooks ``notebooks/NN_*.ipynb`` strictly, runs them with the current
environment's kernel (``--nbval-current-env``) and masks their volatile outputs (run times) with
``notebooks/nbval_sanitize.cfg``, without the user typing either option.

The suite is dominated by compiling many small jitted programs, so this process, the notebook
kernels and the command-line subprocesses it starts compile with
``bregmalib._xla_flags.CHECK_FLAGS`` (set before JAX starts its backend);
``make notebooks-execute`` stores the notebooks' outputs under the same flags, so round-off-size
figures compare as they were made. They also share one persistent compilation cache, so a
program compiled in one of them is loaded, not compiled again, in the others, and they write the
Python bytecode they compile, so a module's source is compiled once, not in every process."""

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from bregmalib._xla_flags import with_check_flags

SANITIZE = Path(__file__).parent / "notebooks" / "nbval_sanitize.cfg"

os.environ["XLA_FLAGS"] = with_check_flags(os.environ.get("XLA_FLAGS"))

#: JAX's warnings when a cache entry cannot be read (another process is still writing it) or
#: written (disk full): either way the program is compiled instead, and nothing else changes
CACHE_WARNINGS = (
    "Error reading persistent compilation cache entry",
    "Error writing persistent compilation cache entry",
)


def share_compilations_across_processes() -> None:
    """Unless ``JAX_COMPILATION_CACHE_DIR`` names a folder already (the user's, or the one of the
    pytest process that started this one), point JAX's persistent compilation cache at a new
    temporary folder, removed when this process ends; unless the user says otherwise, cache every
    program, however small or fast to compile. The pytest-xdist workers, notebook kernels and
    command-line subprocesses inherit it, and the same programs (eager operations, lower-bound
    searches of the same shapes) recur across them: measured on the whole suite on 2 workers,
    1408 s of CPU instead of 1689 s, 736 s of wall time instead of 889 s. A cached program is the
    executable XLA compiled, so results are unchanged. The cache's warnings (`CACHE_WARNINGS`)
    are silenced in the children through ``PYTHONWARNINGS`` (a notebook's strict comparison or a
    command's one-line error would see them on stderr) and in the tests by `pytest_configure`."""
    if not os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        folder = tempfile.mkdtemp(prefix="bregmalib-jax-cache-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        os.environ["JAX_COMPILATION_CACHE_DIR"] = folder
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "-1")
    present = os.environ.get("PYTHONWARNINGS", "")
    filters = [f"ignore:{message}" for message in CACHE_WARNINGS if message not in present]
    os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [present, *filters]))


share_compilations_across_processes()


def write_bytecode_once() -> None:
    """Let this process and those it starts write the bytecode of the modules they import,
    whatever ``PYTHONDONTWRITEBYTECODE`` says. With it set (as on the machines this project is
    tested on) and a new environment (``pip install --no-compile``), every process compiled the
    source of jax, SymPy and torch again: importing those and matplotlib took 20 s instead of 8 s,
    in each of the 2 workers, 9 notebook kernels and every command-line subprocess."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sys.dont_write_bytecode = False


write_bytecode_once()


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
    for message in CACHE_WARNINGS:
        config.addinivalue_line("filterwarnings", f"ignore:{message}:UserWarning")
    option = config.option
    if not (getattr(option, "nbval", False) or getattr(option, "nbval_lax", False)):
        return
    option.nbval_current_env = not option.nbval_kernel_name
    if option.nbval_sanitize_with is None:
        option.nbval_sanitize_with = str(SANITIZE)
