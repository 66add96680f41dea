"""The linear head H·features(x) + c of the trainable classifiers (`MLP`, `ResNet`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from jax import Array

from bregmalib.nn._init import uniform


class Classifier:
    """A feature map followed by a linear head: logits H·features(x) + c for one example x
    (a mixin for Equinox modules with the fields ``head_weight`` and ``head_bias``)."""

    if TYPE_CHECKING:
        head_weight: Array
        head_bias: Array

        def features(self, x: Array) -> Array:
            """The input of the head for one example x."""

    @property
    def n_classes(self) -> int:
        """Number of outputs of the linear head."""
        return int(self.head_weight.shape[0])

    @property
    def dtype(self) -> Any:
        """Floating dtype of the parameters."""
        return self.head_weight.dtype

    def __call__(self, x: Array) -> Array:
        """Logits H·features(x) + c for one example x."""
        return self.head_weight @ self.features(x) + self.head_bias


def make_head(
    rng: np.random.Generator, n_classes: int, width: int, dtype: Any
) -> tuple[Array, Array]:
    """H (n_classes × width) and c with entries ~ U(−1/√width, 1/√width)."""
    if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 1:
        raise ValueError(f"n_classes must be a positive integer, got {n_classes!r}")
    limit = 1.0 / np.sqrt(width)
    return uniform(rng, (n_classes, width), limit, dtype), uniform(rng, (n_classes,), limit, dtype)
