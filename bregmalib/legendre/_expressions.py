"""The symbolic half of the catalogue: SymPy expressions of σ, σ⁻¹ = ∇φ, φ and φ* per pair.

Imported only when a symbolic view of a pair is asked for (`LegendrePair.symbolic`,
`bregmalib derive`, the tests), never to compute a bound: the numeric half (stable JAX code and
the numeric constants) is `bregmalib.legendre._catalogue` and `_constant_table`.
Pairs: Frecon, Gasso, Pontil, Salzo, "Bregman Neural Networks", ICML 2022, Table 1.
"""

from __future__ import annotations

import dataclasses

import sympy as sp

REALS = sp.Interval(-sp.oo, sp.oo)
U = sp.Symbol("u", real=True)
X = sp.Symbol("x", real=True)
BETA = sp.Symbol("beta", positive=True)
SCALE = sp.Symbol("a", positive=True)
RATE = sp.Symbol("b", positive=True)


@dataclasses.dataclass(frozen=True)
class Expressions:
    """σ (in ``U``), σ⁻¹ and φ (in ``X``), φ* (in ``U``) of one pair, its parameter symbols (in
    the order of the catalogue's defaults) and its dual domain D."""

    name: str
    sigma: sp.Expr
    inverse: sp.Expr
    phi: sp.Expr
    phi_conj: sp.Expr
    symbols: tuple[sp.Symbol, ...]
    dual_domain: sp.Interval = REALS


def _log_entropy(x: sp.Expr) -> sp.Expr:
    return (1 + x) * sp.log(1 + x) + (1 - x) * sp.log(1 - x)


EXPRESSIONS: dict[str, Expressions] = {
    d.name: d
    for d in (
        Expressions(
            "sigmoid",
            sigma=1 / (1 + sp.exp(-U)),
            inverse=sp.log(X / (1 - X)),
            phi=X * sp.log(X) + (1 - X) * sp.log(1 - X),
            phi_conj=sp.log(1 + sp.exp(U)),
            symbols=(),
        ),
        Expressions(
            "tanh",
            sigma=sp.tanh(U),
            inverse=sp.atanh(X),
            phi=_log_entropy(X) / 2,
            phi_conj=sp.log(sp.cosh(U)),
            symbols=(),
        ),
        Expressions(
            "scaled_tanh",
            sigma=SCALE * sp.tanh(RATE * U),
            inverse=sp.atanh(X / SCALE) / RATE,
            phi=SCALE / (2 * RATE) * _log_entropy(X / SCALE),
            phi_conj=SCALE / RATE * sp.log(sp.cosh(RATE * U)),
            symbols=(SCALE, RATE),
        ),
        Expressions(
            "atan",
            sigma=sp.atan(U),
            inverse=sp.tan(X),
            phi=-sp.log(sp.cos(X)),
            phi_conj=U * sp.atan(U) - sp.log(1 + U**2) / 2,
            symbols=(),
        ),
        Expressions(
            "isru",
            sigma=U / sp.sqrt(1 + U**2),
            inverse=X / sp.sqrt(1 - X**2),
            phi=-sp.sqrt(1 - X**2),
            phi_conj=sp.sqrt(1 + U**2),
            symbols=(),
        ),
        Expressions(
            "asinh",
            sigma=sp.asinh(U),
            inverse=sp.sinh(X),
            phi=sp.cosh(X),
            phi_conj=U * sp.asinh(U) - sp.sqrt(1 + U**2),
            symbols=(),
        ),
        Expressions(
            "sin",
            sigma=sp.sin(U),
            inverse=sp.asin(X),
            phi=X * sp.asin(X) + sp.sqrt(1 - X**2),
            phi_conj=-sp.cos(U),
            symbols=(),
            dual_domain=sp.Interval.open(-sp.pi / 2, sp.pi / 2),
        ),
        Expressions(
            "softplus",
            sigma=sp.log(1 + sp.exp(BETA * U)) / BETA,
            inverse=sp.log(sp.exp(BETA * X) - 1) / BETA,
            phi=X**2 / 2 + (sp.polylog(2, sp.exp(-BETA * X)) - sp.pi**2 / 6) / BETA**2,
            phi_conj=-sp.polylog(2, -sp.exp(BETA * U)) / BETA**2,
            symbols=(BETA,),
        ),
        Expressions(
            "bent_identity",
            sigma=(U + sp.sqrt(U**2 + 1)) / 2,
            inverse=X - 1 / (4 * X),
            phi=X**2 / 2 - sp.log(X) / 4 - sp.Rational(1, 8) - sp.log(2) / 4,
            phi_conj=U**2 / 4 + (U * sp.sqrt(U**2 + 1) + sp.asinh(U)) / 4,
            symbols=(),
        ),
    )
}
