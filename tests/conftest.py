"""Tests run in float64 (float32 is exercised with explicit dtypes)."""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax

jax.config.update("jax_enable_x64", True)
