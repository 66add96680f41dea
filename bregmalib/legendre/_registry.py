"""Names, lookup and user-defined pairs.

`get(name, **params)` builds a catalogue pair; `from_sigma(name, sigma)` derives a new pair from a
SymPy expression for σ alone; `register` makes a pair available to `get` (and so to the models).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

import jax.numpy as jnp
import sympy as sp

from bregmalib.legendre import _derive
from bregmalib.legendre._catalogue import ALIASES, DEFINITIONS, PairDefinition
from bregmalib.legendre._pair import LegendrePair, NumericFunctions, U, X

_USER_PAIRS: dict[str, Callable[..., LegendrePair]] = {}


def names() -> list[str]:
    """The names `get` accepts: the catalogue's, then registered user pairs."""
    return [*DEFINITIONS, *(n for n in _USER_PAIRS if n not in DEFINITIONS)]


def _canonical(name: str) -> str:
    if not isinstance(name, str):
        raise TypeError(f"an activation name must be a string, got {type(name).__name__}")
    key = name.strip().lower().replace("-", "_")
    return ALIASES.get(key, key)


def get(name: str | LegendrePair, **params: float) -> LegendrePair:
    """The pair called ``name`` with parameters ``params`` (for example
    ``get("softplus", beta=10)``); a `LegendrePair` is returned unchanged."""
    if isinstance(name, LegendrePair):
        if params:
            raise ValueError("parameters cannot be given with a LegendrePair instance")
        return name
    key = _canonical(name)
    if key in _USER_PAIRS:
        return _USER_PAIRS[key](**params)
    if key not in DEFINITIONS:
        raise ValueError(f"unknown activation {name!r}; known: {', '.join(names())}")
    definition = DEFINITIONS[key]
    known = {s.name for s, _ in definition.defaults}
    unknown = set(params) - known
    if unknown:
        accepted = ", ".join(sorted(known)) or "none"
        raise ValueError(f"{key} has no parameter {sorted(unknown)}; accepted: {accepted}")
    values = tuple((s, float(params.get(s.name, default))) for s, default in definition.defaults)
    for symbol, value in values:
        if not value > 0:
            raise ValueError(f"{key}: parameter {symbol.name} must be positive, got {value}")
    return _build(key, values)


@functools.cache
def _symbolic_constants(key: str) -> tuple[sp.Interval, _derive.Supremum]:
    definition = DEFINITIONS[key]
    defaults = dict(definition.defaults)
    interval = _derive.dual_range(definition.sigma, definition.dual_domain)
    derivative = sp.diff(definition.sigma, U)
    sup = _derive.supremum(derivative, U, definition.dual_domain, defaults)
    return interval, sup


@functools.cache
def _build(key: str, values: tuple[tuple[sp.Symbol, float], ...]) -> LegendrePair:
    definition: PairDefinition = DEFINITIONS[key]
    interval, sup = _symbolic_constants(key)
    return LegendrePair(
        name=key,
        sigma_expr=definition.sigma,
        inverse_expr=definition.inverse,
        phi_expr=definition.phi,
        phi_conj_expr=definition.phi_conj,
        interval=interval,
        lipschitz_expr=sup.value,
        lipschitz_at=sup.at,
        parameters=values,
        numeric=definition.numeric(*(v for _, v in values)),
        dual_domain=definition.dual_domain,
        legendre=definition.legendre,
        note=definition.note,
    )


def register(pair: LegendrePair, *, overwrite: bool = False) -> LegendrePair:
    """Make ``pair`` available to `get` under ``pair.name``."""
    key = _canonical(pair.name)
    if key in DEFINITIONS or (key in _USER_PAIRS and not overwrite):
        raise ValueError(f"a pair called {key!r} already exists; choose another name")

    def fixed(**params: float) -> LegendrePair:
        if params:
            raise ValueError(f"the registered pair {key!r} takes no parameters")
        return pair

    _USER_PAIRS[key] = fixed
    return pair


def unregister(name: str) -> None:
    """Remove the user pair called ``name`` (catalogue pairs cannot be removed)."""
    key = _canonical(name)
    if key not in _USER_PAIRS:
        raise ValueError(f"no registered user pair called {key!r}")
    del _USER_PAIRS[key]


def _lambdify(expr: sp.Expr, var: sp.Symbol, values: Mapping[sp.Symbol, float]):
    function = sp.lambdify(var, expr.subs(values), modules="jax")
    return lambda a: jnp.asarray(function(a), dtype=jnp.asarray(a).dtype) + jnp.zeros_like(a)


def _quadrature_potentials(sigma_fn, inverse_fn, anchor: float):
    """φ(x) = ∫_{anchor}^{x} σ⁻¹ and φ*(u) = uσ(u) − φ(σ(u)) by 64-point Gauss–Legendre
    quadrature, for pairs whose potentials SymPy cannot integrate."""
    import numpy as np

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
    φ* = uσ − φ∘σ, and the JAX functions (lambdified). Refuses a σ that is not continuous,
    not increasing, or without limits at ±∞ (then not a bijection of ℝ onto an interval).
    """
    if not isinstance(sigma, sp.Expr):
        raise TypeError(f"sigma must be a SymPy expression, got {type(sigma).__name__}")
    params = dict(parameters or {})
    free = sigma.free_symbols - set(params)
    if variable is None:
        if len(free) != 1:
            raise ValueError(f"cannot tell the variable of σ = {sigma}: pass variable=")
        (variable,) = free
    sigma = sigma.subs(variable, U)
    if sigma.free_symbols - set(params) - {U}:
        raise ValueError(f"σ = {sigma} has symbols without values: pass them in parameters=")
    domain = _derive.REALS
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
    return LegendrePair(
        name=_canonical(name),
        sigma_expr=sigma,
        inverse_expr=inverse,
        phi_expr=phi,
        phi_conj_expr=phi_conj,
        interval=interval,
        lipschitz_expr=sup.value,
        lipschitz_at=sup.at,
        parameters=tuple((s, float(v)) for s, v in params.items()),
        numeric=numeric,
        note="user pair derived from σ",
    )
