"""The XLA settings of the checks: `CHECK_FLAGS` appended to ``XLA_FLAGS``, and LLVM level 1
for long-running programs only where those flags ask for level 0."""

import jax
import pytest

from bregmalib import _xla_flags
from bregmalib.nn import make_mlp, make_resnet
from bregmalib.train import _loop


def test_check_flags_are_appended_once_and_keep_the_users_flags() -> None:
    flags = _xla_flags.with_check_flags("--xla_cpu_multi_thread_eigen=true --foo=1")
    assert "--foo=1" in flags
    assert flags.count("--xla_cpu_multi_thread_eigen") == 1
    assert "--xla_backend_optimization_level=0" in flags
    assert _xla_flags.with_check_flags(flags) == flags


def test_long_running_programs_get_level_one_only_under_level_zero(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XLA_FLAGS", _xla_flags.with_check_flags(None))
    assert _xla_flags.long_run_options() == {"xla_backend_optimization_level": 1}
    monkeypatch.setenv("XLA_FLAGS", "--xla_backend_optimization_level=3")
    assert _xla_flags.long_run_options() is None
    monkeypatch.delenv("XLA_FLAGS")
    assert _xla_flags.long_run_options() is None


def test_convolutional_models_train_with_the_long_run_options(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XLA_FLAGS", _xla_flags.with_check_flags(None))
    key = jax.random.key(0)
    mlp = make_mlp("tanh", (4, 3), 2, "bregman", key=key)
    resnet = make_resnet("tanh", (2, 2, 2), 2, "bregman", key=key)
    assert _loop._compiled_steps(mlp) is _loop._dense_steps
    assert _loop._compiled_steps(resnet) is _loop._conv_steps(
        (("xla_backend_optimization_level", 1),)
    )
