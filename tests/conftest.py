"""Tests run in float64 (float32 is exercised with explicit dtypes), and property-based tests
draw the same examples on every run (derandomised), so that CI is reproducible. XLA compiles with
``bregmalib._xla_flags.CHECK_FLAGS``, set by the repository's conftest.py for the whole
pytest process, its notebook kernels and command-line subprocesses."""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax
from hypothesis import settings

jax.config.update("jax_enable_x64", True)

settings.register_profile("reproducible", derandomize=True, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "reproducible"))
