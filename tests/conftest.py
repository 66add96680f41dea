"""Tests run in float64 (float32 is exercised with explicit dtypes), and property-based tests
draw the same examples on every run (derandomised), so that CI is reproducible. The suite is
dominated by compiling many small jitted functions, so XLA compiles them at backend optimisation
level 0, as ``bregmalib derive`` does (faster compilation; results can differ in the last bits).
The flag is set only while this process starts XLA's backend: notebook kernels and command-line
subprocesses started by the tests keep the environment's flags, so the stored notebook outputs,
which print round-off-size figures, compare as they were made."""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax
from hypothesis import settings

from bregmalib.cli._derive import use_fast_compilation

with use_fast_compilation():
    jax.devices()  # starts XLA's backend, which reads XLA_FLAGS once
jax.config.update("jax_enable_x64", True)

settings.register_profile("reproducible", derandomize=True, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "reproducible"))
