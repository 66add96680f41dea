"""The `LegendrePair` type: one activation, symbolic and numeric from one definition.

An activation σ: D → I is smooth, increasing and bijective onto an open interval I, and
σ⁻¹ = ∇φ for a Legendre function φ on I, so that σ = ∇φ* (Frecon et al., "Bregman Neural
Networks", ICML 2022, §3). Symbols: ``u`` is the dual (pre-activation) variable in D, ``x`` the
primal variable in I.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.typing import ArrayLike

if TYPE_CHECKING:
    import sympy as sp

JaxFunction = Callable[[Array], Array]


class DomainError(ValueError):
    """Raised by the checked paths when a value lies outside a pair's interval."""


@dataclasses.dataclass(frozen=True)
class NumericFunctions:
    """JAX implementations of one pair at fixed parameter values.

    Each callable is elementwise and keeps its input's floating dtype.
    """

    sigma: JaxFunction
    inverse: JaxFunction
    derivative: JaxFunction
    log_derivative: JaxFunction
    phi: JaxFunction
    phi_conj: JaxFunction


@dataclasses.dataclass(frozen=True)
class Constants:
    """The numbers of a pair at its parameter values: the interval I = (lower, upper), L_σ =
    sup σ′ and where σ′ attains it (``±inf`` when only approached), the dual domain D."""

    lower: float
    upper: float
    lipschitz: float
    lipschitz_point: float
    dual_lower: float
    dual_upper: float


@dataclasses.dataclass(frozen=True)
class Symbolic:
    """SymPy expressions of a pair, its parameters as symbols: σ and φ* in ``U``, σ⁻¹ and φ in
    ``X``, the interval I, L_σ = sup σ′ and where it is attained, the dual domain D."""

    sigma: sp.Expr
    inverse: sp.Expr
    phi: sp.Expr
    phi_conj: sp.Expr
    interval: sp.Interval
    lipschitz: sp.Expr
    lipschitz_at: sp.Expr
    symbols: tuple[sp.Symbol, ...]
    dual_domain: sp.Interval

    def numbers(self) -> tuple[sp.Expr, ...]:
        """The expressions of the `Constants`, in their order."""
        interval, domain = self.interval, self.dual_domain
        ends = (domain.inf, domain.sup)
        return (interval.inf, interval.sup, self.lipschitz, self.lipschitz_at, *ends)


@dataclasses.dataclass(frozen=True, eq=False)
class LegendrePair:
    """A Legendre activation pair (σ, σ⁻¹ = ∇φ) at fixed parameter values.

    ``values`` are the parameters by name, ``constants`` the numbers the bounds use and
    ``numeric`` the JAX functions: none of them needs SymPy. The symbolic views (``sigma_expr``,
    ``interval``, ``lipschitz_expr``, …; expressions in ``U`` (dual) and ``X`` (primal), the
    parameters as symbols, see ``parameters``) are built by ``symbolic_source`` at first use.
    ``dual_domain`` is ℝ for every Legendre pair; a *restricted* pair (``legendre=False``,
    sin) is a bijection only on a bounded ``dual_domain``, see its ``note``.
    """

    name: str
    values: tuple[tuple[str, float], ...]
    constants: Constants
    numeric: NumericFunctions
    symbolic_source: Callable[[], Symbolic] = dataclasses.field(repr=False)
    legendre: bool = True
    note: str = ""

    # Identity: a pair is its name and its parameter values.
    def _key(self) -> tuple[Any, ...]:
        return (self.name, self.values)

    def __hash__(self) -> int:
        return hash(self._key())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LegendrePair) and self._key() == other._key()

    def __repr__(self) -> str:
        params = ", ".join(f"{name}={v:g}" for name, v in self.values)
        return f"LegendrePair({self.name!r}{', ' if params else ''}{params})"

    # ----- symbolic views (SymPy, imported at first use) ------------------------------------
    @functools.cached_property
    def symbolic(self) -> Symbolic:
        """The SymPy expressions of this pair (`Symbolic`)."""
        return self.symbolic_source()

    @property
    def sigma_expr(self) -> sp.Expr:
        """σ(u), symbolic."""
        return self.symbolic.sigma

    @property
    def inverse_expr(self) -> sp.Expr:
        """σ⁻¹(x) = ∇φ(x), symbolic."""
        return self.symbolic.inverse

    @property
    def phi_expr(self) -> sp.Expr:
        """φ(x), symbolic."""
        return self.symbolic.phi

    @property
    def phi_conj_expr(self) -> sp.Expr:
        """φ*(u), symbolic."""
        return self.symbolic.phi_conj

    @property
    def interval(self) -> sp.Interval:
        """The interval I = σ(D), symbolic."""
        return self.symbolic.interval

    @property
    def lipschitz_expr(self) -> sp.Expr:
        """L_σ = sup σ′, symbolic."""
        return self.symbolic.lipschitz

    @property
    def lipschitz_at(self) -> sp.Expr:
        """Where σ′ attains L_σ, symbolic (``±oo`` when only approached)."""
        return self.symbolic.lipschitz_at

    @property
    def dual_domain(self) -> sp.Interval:
        """The dual domain D, symbolic."""
        return self.symbolic.dual_domain

    @property
    def parameters(self) -> tuple[tuple[sp.Symbol, float], ...]:
        """(symbol, value) of each parameter."""
        return tuple(zip(self.symbolic.symbols, (v for _, v in self.values), strict=True))

    @functools.cached_property
    def parameter_values(self) -> Mapping[str, float]:
        """Parameter values by name, for example ``{"beta": 1000.0}``."""
        return dict(self.values)

    def substitute(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` with this pair's parameter symbols replaced by their (rational) values."""
        import sympy as sp

        return expr.subs({s: sp.nsimplify(v) for s, v in self.parameters})

    @functools.cached_property
    def derivative_expr(self) -> sp.Expr:
        """σ′(u), symbolic."""
        import sympy as sp

        from bregmalib.legendre._expressions import U

        return sp.diff(self.sigma_expr, U)

    # ----- numbers --------------------------------------------------------------------------
    @property
    def lower(self) -> float:
        """Left end of the interval I (``-inf`` when unbounded)."""
        return self.constants.lower

    @property
    def upper(self) -> float:
        """Right end of the interval I (``inf`` when unbounded)."""
        return self.constants.upper

    @functools.cached_property
    def bounded(self) -> bool:
        """True when σ is bounded (both ends of I finite)."""
        return bool(np.isfinite(self.lower) and np.isfinite(self.upper))

    @property
    def lipschitz(self) -> float:
        """L_σ = sup σ′ at this pair's parameter values."""
        return self.constants.lipschitz

    @property
    def lipschitz_point(self) -> float:
        """Where σ′ attains L_σ (``±inf`` when it is only approached)."""
        return self.constants.lipschitz_point

    @property
    def dual_lower(self) -> float:
        """Left end of the dual domain D (``-inf`` except for restricted pairs)."""
        return self.constants.dual_lower

    @property
    def dual_upper(self) -> float:
        """Right end of the dual domain D (``inf`` except for restricted pairs)."""
        return self.constants.dual_upper

    # ----- numeric functions ----------------------------------------------------------------
    def sigma(self, u: ArrayLike) -> Array:
        """σ(u) = ∇φ*(u)."""
        return self.numeric.sigma(_as_float(u))

    def derivative(self, u: ArrayLike) -> Array:
        """σ′(u)."""
        return self.numeric.derivative(_as_float(u))

    def log_derivative(self, u: ArrayLike) -> Array:
        """log σ′(u), computed without forming σ′ (no underflow for large |u|)."""
        return self.numeric.log_derivative(_as_float(u))

    def max_inverse_slope(self, dual_ends: ArrayLike) -> Array:
        """max (σ⁻¹)′ = 1/σ′ over the outputs between σ(min ``dual_ends``) and σ(max
        ``dual_ends``): the value at an end, as σ′ is unimodal; from log σ′ (no overflow)."""
        return jnp.exp(-jnp.min(self.log_derivative(dual_ends)))

    def inverse(self, x: ArrayLike) -> Array:
        """σ⁻¹(x) = ∇φ(x), the fast path: NaN outside the closed interval, ±inf at its ends."""
        x = _as_float(x)
        inside = (x >= self.lower) & (x <= self.upper)
        return jnp.where(inside, self.numeric.inverse(x), jnp.nan)

    def inverse_checked(self, x: ArrayLike) -> Array:
        """σ⁻¹(x), raising `DomainError` (eagerly) or an Equinox runtime error (under `jit`)
        when some x lies outside the open interval I."""
        x = _as_float(x)
        outside = ~self.contains(x)
        message = (
            f"{self.name}: inverse evaluated outside its interval "
            f"({self.lower:g}, {self.upper:g}); use inverse_clamped to clamp into it"
        )
        if not isinstance(x, jnp.ndarray) or not _is_tracer(x):
            bad = np.asarray(outside)
            if bad.any():
                examples = np.asarray(x)[bad].ravel()[:5]
                raise DomainError(f"{message}; offending values: {examples.tolist()}")
            return self.numeric.inverse(x)
        return self.numeric.inverse(eqx.error_if(x, outside, message))

    def clamp(self, x: ArrayLike, margin: float | None = None) -> Array:
        """Clamp x into [lower + m, upper − m], where m = ``margin`` or, by default,
        ``default_margin(dtype)`` scaled by max(1, |end|) (4 smallest normals at an end 0, where
        floats are dense: σ⁻¹ is finite there and values between are kept)."""
        x = _as_float(x)
        lo, hi = self.lower, self.upper
        if margin is None:
            lo_m, hi_m = lo + _end_margin(lo, x.dtype), hi - _end_margin(hi, x.dtype)
        else:
            lo_m, hi_m = lo + margin, hi - margin
        lo_m = lo_m if np.isfinite(lo) else -jnp.inf
        hi_m = hi_m if np.isfinite(hi) else jnp.inf
        return jnp.clip(x, lo_m, hi_m)

    def inverse_clamped(self, x: ArrayLike, margin: float | None = None) -> Array:
        """σ⁻¹(clamp(x)): finite for every finite x; see `clamp` for the margin."""
        return self.numeric.inverse(self.clamp(x, margin))

    def contains(self, x: ArrayLike) -> Array:
        """Elementwise test x ∈ I (the open interval)."""
        x = _as_float(x)
        return (x > self.lower) & (x < self.upper)

    def phi(self, x: ArrayLike) -> Array:
        """The Legendre potential φ(x) on I, with ∇φ = σ⁻¹."""
        return self.numeric.phi(_as_float(x))

    def phi_conj(self, u: ArrayLike) -> Array:
        """The convex conjugate φ*(u), with ∇φ* = σ."""
        return self.numeric.phi_conj(_as_float(u))


def default_margin(dtype: Any) -> float:
    """Default clamping margin: 4 machine epsilons of ``dtype`` (relative to max(1, |end|))."""
    return 4.0 * float(jnp.finfo(dtype).eps)


def _end_margin(end: float, dtype: Any) -> float:
    if end == 0.0:
        return 4.0 * float(jnp.finfo(dtype).tiny)
    return default_margin(dtype) * max(1.0, abs(end))


def _as_float(a: ArrayLike) -> Array:
    arr = jnp.asarray(a)
    if not jnp.issubdtype(arr.dtype, jnp.floating):
        arr = arr.astype(jnp.result_type(float))
    return arr


def _is_tracer(a: Any) -> bool:
    from jax.core import Tracer

    return isinstance(a, Tracer)
