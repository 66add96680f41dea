"""Result providers of the derivation engine and its parallel map over the catalogue.

`pair_results_of`: for one catalogue pair (parameters symbolic, numeric checks at the defaults)
L_σ, the strong-convexity modulus of φ and R_σ. `map_pairs` runs a per-pair provider over the
whole catalogue in worker processes. `engine_results`: the engine's own guard, sympy issue
30386: SymPy's ``minimum`` of cos(x)cos(4x) is wrong, and the engine refutes it instead of
accepting it.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
from collections.abc import Callable

import jax.numpy as jnp
import sympy as sp
from jax import Array
from tqdm import tqdm

from bregmalib import legendre
from bregmalib.symbolic._numeric import NumericCheck
from bregmalib.symbolic._pairs import pair_results
from bregmalib.symbolic._result import (
    Claim,
    Hypothesis,
    Result,
    Step,
    SymbolicOutcome,
    inconclusive,
    proved,
)
from bregmalib.symbolic._slope import slope_ratio_result

#: worker processes for `map_pairs` (environment variable BREGMALIB_DERIVE_JOBS)
JOBS_VARIABLE = "BREGMALIB_DERIVE_JOBS"


def pair_results_of(name: str) -> list[Result]:
    """The results about the catalogue pair ``name`` itself (L_σ, strong convexity, R_σ)."""
    pair = legendre.get(name)
    return [*pair_results(pair), slope_ratio_result(pair)]


def _worker_init() -> None:
    import jax

    jax.config.update("jax_enable_x64", True)


def map_pairs(provider: Callable[[str], list[Result]]) -> list[Result]:
    """``provider(name)`` for every catalogue pair, concatenated in catalogue order, computed in
    ``$BREGMALIB_DERIVE_JOBS`` worker processes (default: min(2, cpu count)); ``provider`` must
    be a module-level function (the workers are spawned and import it by name)."""
    names = legendre.names()
    jobs = int(os.environ.get(JOBS_VARIABLE, min(2, os.cpu_count() or 1)))
    progress = tqdm(total=len(names), desc="derive pairs", unit="pair")
    if jobs <= 1:
        out = []
        for name in names:
            out.append(provider(name))
            progress.update()
    else:
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(jobs, context, _worker_init) as pool:
            futures = [pool.submit(provider, name) for name in names]
            for _ in concurrent.futures.as_completed(futures):
                progress.update()
            out = [f.result() for f in futures]
    progress.close()
    return [r for group in out for r in group]


_X = sp.Symbol("x", real=True)
_F = sp.cos(_X) * sp.cos(4 * _X)


def _f(z: Array) -> Array:
    return jnp.cos(z[0]) * jnp.cos(4 * z[0])


def _below(value: float):
    def violation(z: Array) -> Array:
        return value - _f(z)

    return violation


def _sympy_claim() -> Claim:
    claimed = sp.minimum(_F, _X, sp.S.Reals)
    value = float(sp.N(claimed))

    def symbolic() -> SymbolicOutcome:
        return inconclusive("sympy.minimum", "SymPy's minimum/maximum alone never count as a proof")

    return Claim(
        name="engine/sympy_minimum_cos_cos4",
        title="engine guard: SymPy's minimum of cos(x)cos(4x) (sympy issue 30386)",
        statement=sp.Eq(sp.Symbol(r"\min_{x}\cos x\cos 4x"), sp.Float(value, 6)),
        hypotheses=(Hypothesis("the value returned by sympy.minimum(cos(x)cos(4x), x, Reals)"),),
        steps=(Step(sp.Eq(sp.Symbol("m"), sp.Float(value, 6)), "SymPy's minimum (not a proof)"),),
        symbolic=symbolic,
        numeric=NumericCheck(
            _below(value),
            ("x",),
            (0.0,),
            (float(2 * sp.pi),),
            tolerance=1e-9,
            description="m − cos x cos 4x ≤ 0 on one period",
        ),
        notes=("Kept as a guard: the engine must refute this claim (x = π gives −1).",),
    )


def _true_claim() -> Claim:
    def symbolic() -> SymbolicOutcome:
        method = "witness x = π and the factors' bounds |cos| ≤ 1"
        factors_bounded = isinstance(_F, sp.Mul) and all(isinstance(a, sp.cos) for a in _F.args)
        if factors_bounded and sp.simplify(_F.subs(_X, sp.pi)) == -1:
            return proved(method, "cos(pi) cos(4 pi) = -1 and each factor lies in [-1, 1]")
        return inconclusive(method)

    return Claim(
        name="engine/cos_cos4_minimum",
        title="engine guard: the true minimum of cos(x)cos(4x)",
        statement=sp.Eq(sp.Symbol(r"\min_{x}\cos x\cos 4x"), -1),
        hypotheses=(Hypothesis("x real; the function has period 2π"),),
        steps=(
            Step(sp.Ge(_F, -1), "a product of two numbers in [−1, 1] is at least −1"),
            Step(sp.Eq(sp.Symbol(r"\cos\pi\cos 4\pi"), -1), "attained at x = π"),
        ),
        symbolic=symbolic,
        numeric=(
            NumericCheck(
                _below(-1.0),
                ("x",),
                (0.0,),
                (float(2 * sp.pi),),
                tolerance=1e-12,
                description="−1 − cos x cos 4x ≤ 0 on one period",
            ),
            NumericCheck(
                _below(-1.0),
                ("x",),
                (3.0,),
                (3.3,),
                tolerance=1e-9,
                kind="attained",
                description="−1 is reached near x = π",
            ),
        ),
    )


def engine_results() -> list[Result]:
    """The sympy-30386 guard: SymPy's wrong minimum refuted, the true one established."""
    return [_sympy_claim().check(), _true_claim().check()]
