"""`from_sigma`: a new pair derived from a SymPy expression for σ alone (SymPy at build time).

σ′, the interval I, L_σ = sup σ′, σ⁻¹, φ and φ* come from `bregmalib.legendre._derive`; the JAX
functions are lambdified. A catalogue pair needs none of this (`bregmalib.legendre.get`).
"""

from __future__ import annotations

from collections.abc import Mapping

import jax.numpy as jnp
import numpy as np
import sympy as sp

from bregmalib.legendre import _derive
from bregmalib.legendre._catalogue import DEFINITIONS
from bregmalib.legendre._expressions import REALS, U, X
from bregmalib.legendre._pair import Constants, LegendrePair, NumericFunctions, Symbolic
from bregmalib.legendre._registry import _canonical


def _lambdify(expr: sp.Expr, var: sp.Symbol, values: Mapping[sp.Symbol, float]):
    function = sp.lambdify(var, expr.subs(values), modules="jax")
    return lambda a: jnp.asarray(function(a), dtype=jnp.asarray(a).dtype) + jnp.zeros_like(a)


def _quadrature_potentials(sigma_fn, inverse_fn, anchor: float):
    """φ(x) = ∫_{anchor}^{x} σ⁻¹ and φ*(u) = uσ(u) − φ(σ(u)) by 64-point Gauss–Legendre
    quadrature, for pairs whose potentials SymPy cannot integrate."""
    nodes, weights = np.polynomial.legendre.leggauss(64)

    def phi(x):
        x = jnp.asarray(x)
        half = 0.5 * (x - anchor)
        points = anchor + half[..., None] * (1.0 + jnp.asarray(nodes, x.dtype))
        return half * jnp.sum(jnp.asarray(weights, x.dtype) * inverse_fn(points), axis=-1)

    def phi_conj(u):
        x = sigma_fn(u)
        return u * x - phi(x)

    return phi, phi_conj


def from_sigma(
    name: str,
    sigma: sp.Expr,
    variable: sp.Symbol | None = None,
    *,
    inverse: sp.Expr | None = None,
    inverse_variable: sp.Symbol | None = None,
    parameters: Mapping[sp.Symbol, float] | None = None,
) -> LegendrePair:
    """Derive a pair from a SymPy expression for σ alone.

    σ′, the interval I = (lim_{−∞} σ, lim_{+∞} σ), L_σ = sup σ′ (critical points and limits),
    σ⁻¹ (from `solve`, or ``inverse`` when given, then checked: σ(σ⁻¹(x)) = x), φ = ∫σ⁻¹ and
    φ* = uσ − φ∘σ, and the JAX functions (lambdified). Refuses a catalogue name (a pair is
    its name and parameter values), and a σ that is not continuous,
    not increasing, or without limits at ±∞ (then not a bijection of ℝ onto an interval).
    """
    if not isinstance(sigma, sp.Expr):
        raise TypeError(f"sigma must be a SymPy expression, got {type(sigma).__name__}")
    if _canonical(name) in DEFINITIONS:
        raise ValueError(f"a catalogue pair is called {_canonical(name)!r}; choose another name")
    params = dict(parameters or {})
    free = sigma.free_symbols - set(params)
    if variable is None:
        if len(free) != 1:
            raise ValueError(f"cannot tell the variable of σ = {sigma}: pass variable=")
        (variable,) = free
    sigma = sigma.subs(variable, U)
    if sigma.free_symbols - set(params) - {U}:
        raise ValueError(f"σ = {sigma} has symbols without values: pass them in parameters=")
    domain = REALS
    _derive.check_continuous(sigma, domain)
    _derive.check_increasing(sigma, domain, params)
    interval = _derive.dual_range(sigma, domain)
    if inverse is None:
        inverse = _derive.find_inverse(sigma, interval, params)
        if inverse is None:
            raise ValueError(f"SymPy cannot invert σ = {sigma}; pass inverse= (an expression in x)")
    else:
        inverse = inverse.subs(inverse_variable, X) if inverse_variable is not None else inverse
        _derive.check_inverse(sigma, inverse, interval, params)
    derivative = sp.diff(sigma, U)
    sup = _derive.supremum(derivative, U, domain, params)
    values = {s: sp.nsimplify(v) for s, v in params.items()}
    sigma_fn = _lambdify(sigma, U, values)
    inverse_fn = _lambdify(inverse, X, values)
    phi, phi_conj = _derive.potentials(sigma, inverse, interval, params)
    if phi is None:
        anchor = float(sigma.subs(values).subs(U, 0))
        phi_fn, phi_conj_fn = _quadrature_potentials(sigma_fn, inverse_fn, anchor)
        phi = sp.Integral(inverse, (X, anchor, X))
        phi_conj = U * sigma - phi.subs(X, sigma)
    else:
        phi_fn, phi_conj_fn = _lambdify(phi, X, values), _lambdify(phi_conj, U, values)
    log_derivative = sp.expand_log(sp.log(derivative), force=True)
    numeric = NumericFunctions(
        sigma=sigma_fn,
        inverse=inverse_fn,
        derivative=_lambdify(derivative, U, values),
        log_derivative=_lambdify(log_derivative, U, values),
        phi=phi_fn,
        phi_conj=phi_conj_fn,
    )
    symbolic = Symbolic(
        sigma=sigma,
        inverse=inverse,
        phi=phi,
        phi_conj=phi_conj,
        interval=interval,
        lipschitz=sup.value,
        lipschitz_at=sup.at,
        symbols=tuple(params),
        dual_domain=domain,
    )
    return LegendrePair(
        name=_canonical(name),
        values=tuple((s.name, float(v)) for s, v in params.items()),
        constants=_constants(symbolic, values),
        numeric=numeric,
        symbolic_source=lambda: symbolic,
        note="user pair derived from σ",
    )


def _constants(symbolic: Symbolic, values: Mapping[sp.Symbol, sp.Expr]) -> Constants:
    """The numbers of a derived pair: its symbolic constants at the parameter values."""
    return Constants(*(float(sp.sympify(e).subs(values)) for e in symbolic.numbers()))
