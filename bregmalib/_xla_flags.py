"""XLA flags for runs of many small checks (``bregmalib derive``, the test suite and the notebooks
it checks): many small jitted programs, each compiled once and run a few times.

``python -m bregmalib._xla_flags`` prints the flags in the form ``XLA_FLAGS`` takes."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

#: optimisation level 0 and the classic (non-MLIR) fusion emitters of XLA's CPU backend: measured
#: on a layer's lower-bound search, the ascent compiles in 0.64 s instead of 9.0 s and the corner
#: search in 2.4 s instead of 20 s; compiled programs run 2-3× slower, with no fast-math.
#: Single-threaded Eigen: parallel pytest workers do not oversubscribe the cores; it is also the
#: workaround reported for an XLA CPU deadlock we met with jaxlib 0.10.2 (a result that never
#: becomes ready, every thread idle), not yet shown here to prevent it.
#: One LLVM module per program, not split into parts compiled in parallel: for the checks' small
#: programs the work per part (splitting, target set-up, the math-intrinsic passes, in a profile
#: of `lower_bounds`) cost more than their code. Measured back to back: the whole test suite (2
#: workers, one core each) in 584 s instead of 643 s, 1113 s of CPU instead of 1228 s;
#: `lower_bounds` on 18 small networks on one core in 36-40 s instead of 46-48 s. Results differ
#: in the last bits only (4.6e-14 at most over those 84 lower bounds)
CHECK_FLAGS = (
    "--xla_backend_optimization_level=0",
    "--xla_cpu_use_fusion_emitters=false",
    "--xla_cpu_multi_thread_eigen=false",
    "--xla_cpu_parallel_codegen_split_count=1",
)


#: the LLVM optimisation level of programs that run far longer than they compile, where
#: ``XLA_FLAGS`` asks for level 0 (`long_run_options`)
LONG_RUN_LEVEL = 1


def long_run_options() -> dict[str, int] | None:
    """Compiler options (``jax.jit(..., compiler_options=...)``) for a program that runs far
    longer than it compiles, such as power iteration on a convolutional network: LLVM level
    `LONG_RUN_LEVEL` where ``XLA_FLAGS`` asks for level 0 (`CHECK_FLAGS`), else None (the flags as
    set). Measured on `convnet_local_lower`, bresnet20 on 3 × 8 × 8 images: 89 s of CPU at
    level 0, 23.5 s at level 1, the same bounds to six digits."""
    if "--xla_backend_optimization_level=0" in os.environ.get("XLA_FLAGS", "").split():
        return {"xla_backend_optimization_level": LONG_RUN_LEVEL}
    return None


def with_check_flags(flags: str | None) -> str:
    """``flags`` (an ``XLA_FLAGS`` value, or None) with each of `CHECK_FLAGS` it does not
    set already appended."""
    present = flags or ""
    missing = [f for f in CHECK_FLAGS if f.split("=")[0] not in present]
    return " ".join([present, *missing]).strip()


@contextlib.contextmanager
def use_check_flags() -> Iterator[None]:
    """Within the block, ``XLA_FLAGS`` includes `CHECK_FLAGS`; XLA's backend reads them
    once, when JAX starts it, so start it inside. Results can differ from the defaults' in the
    last bits."""
    flags = os.environ.get("XLA_FLAGS")
    os.environ["XLA_FLAGS"] = with_check_flags(flags)
    try:
        yield
    finally:
        if flags is None:
            os.environ.pop("XLA_FLAGS", None)
        else:
            os.environ["XLA_FLAGS"] = flags


if __name__ == "__main__":
    print(with_check_flags(os.environ.get("XLA_FLAGS")))
