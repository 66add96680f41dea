"""What the test session's processes share (the repository's conftest.py): one persistent
compilation cache (a program compiled here is loaded, not compiled, by a subprocess, and the
cache's own warnings never reach a child's stderr), and the Python bytecode they write."""

import os
import subprocess
import sys
import textwrap
import time
import warnings

import jax
import jax.numpy as jnp

#: compiles x ↦ sin(x)·c for the c given on the command line, in float64 as the tests, and
#: prints whether that program was loaded from the persistent cache (1) or compiled (0)
CHILD = textwrap.dedent(
    """
    import sys
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    x = jnp.ones(3).block_until_ready()
    hits = []
    jax.monitoring.register_event_listener(
        lambda event, **_: hits.append(event) if event.endswith("/cache_hits") else None
    )
    scale = float(sys.argv[1])
    jax.jit(lambda x: jnp.sin(x) * scale)(x).block_until_ready()
    print(len(hits))
    """
)


def test_the_session_caches_every_program_in_one_folder() -> None:
    folder = os.environ["JAX_COMPILATION_CACHE_DIR"]
    assert os.path.isdir(folder)
    assert jax.config.jax_compilation_cache_dir == folder


def test_a_subprocess_loads_the_program_this_process_compiled() -> None:
    """Constants no other run uses (from the clock) make the programs new to the cache: the child
    compiles one this process has not compiled, and loads one it has, small as it is."""
    base = 1.0 + (time.time_ns() % 10**9) / 10**9

    def child_hits(scale: float) -> int:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, repr(scale)], capture_output=True, text=True, check=True
        )
        return int(done.stdout.split()[-1])

    jax.jit(lambda x: jnp.sin(x) * base)(jnp.ones(3)).block_until_ready()
    assert child_hits(base + 0.5) == 0
    assert child_hits(base) == 1


def test_the_cache_warnings_are_silent_in_a_test_and_in_a_child_and_others_are_not() -> None:
    def stderr_of(message: str) -> str:
        code = f"import warnings; warnings.warn({message!r})"
        return subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stderr

    for verb in ("reading", "writing"):
        message = f"Error {verb} persistent compilation cache entry for 'f': E"
        with warnings.catch_warnings(record=True) as caught:
            warnings.warn(message, stacklevel=1)
        assert caught == []
        assert stderr_of(message) == ""
    assert "another warning" in stderr_of("another warning")


def test_children_write_the_bytecode_they_compile() -> None:
    assert "PYTHONDONTWRITEBYTECODE" not in os.environ
    assert not sys.dont_write_bytecode
    code = "import sys; print(sys.dont_write_bytecode)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
