"""Affine scaling of raw features into an activation's interval, with a margin.

A Bregman layer evaluates σ⁻¹(x), so its inputs must lie in the open interval I of the
activation (Frecon et al., ICML 2022, §3). Features are mapped affinely from their raw range
[s_lo, s_hi] onto a closed target segment [a, b] ⊂ I that keeps a margin from the ends of I.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from bregmalib.legendre import LegendrePair

DEFAULT_MARGIN = 0.05


def target_segment(pair: LegendrePair, margin: float = DEFAULT_MARGIN) -> tuple[float, float]:
    """The segment [a, b] ⊂ I that data are scaled onto.

    Bounded I = (lo, hi): a = lo + margin·(hi − lo), b = hi − margin·(hi − lo).
    Half-line (lo, ∞): [lo + margin, lo + 1]; (−∞, hi): [hi − 1, hi − margin]; ℝ: [−1, 1].
    ``margin`` must lie in (0, 0.5) (bounded I) or (0, 1) (half-line).
    """
    lo, hi = pair.lower, pair.upper
    bounded_lo, bounded_hi = np.isfinite(lo), np.isfinite(hi)
    limit = 0.5 if (bounded_lo and bounded_hi) else 1.0
    if not 0.0 < margin < limit:
        raise ValueError(
            f"margin must lie in (0, {limit}) for the interval ({lo:g}, {hi:g}), got {margin}"
        )
    if bounded_lo and bounded_hi:
        span = hi - lo
        return lo + margin * span, hi - margin * span
    if bounded_lo:
        return lo + margin, lo + 1.0
    if bounded_hi:
        return hi - 1.0, hi - margin
    return -1.0, 1.0


@dataclasses.dataclass(frozen=True)
class IntervalScaler:
    """The affine map t ↦ a + (b − a)(t − s_lo)/(s_hi − s_lo), feature by feature."""

    source_low: np.ndarray
    source_high: np.ndarray
    target_low: float
    target_high: float

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        """Scale raw features (last axis = features) onto [a, b]."""
        frac = (np.asarray(raw, float) - self.source_low) / (self.source_high - self.source_low)
        return self.target_low + (self.target_high - self.target_low) * frac

    def inverse(self, scaled: np.ndarray) -> np.ndarray:
        """Map scaled features back to raw units."""
        frac = (np.asarray(scaled, float) - self.target_low) / (self.target_high - self.target_low)
        return self.source_low + (self.source_high - self.source_low) * frac


def fit_scaler(
    raw: np.ndarray,
    pair: LegendrePair,
    margin: float = DEFAULT_MARGIN,
    source_range: tuple[float, float] | None = None,
) -> IntervalScaler:
    """An `IntervalScaler` from the per-feature range of ``raw`` (or a fixed ``source_range``)
    onto ``target_segment(pair, margin)``; constant features map to the segment's left end."""
    raw = np.asarray(raw, float)
    if source_range is None:
        low, high = raw.min(axis=0), raw.max(axis=0)
    else:
        low = np.full(raw.shape[1:], float(source_range[0]))
        high = np.full(raw.shape[1:], float(source_range[1]))
    high = np.where(high > low, high, low + 1.0)
    a, b = target_segment(pair, margin)
    return IntervalScaler(low, high, a, b)
