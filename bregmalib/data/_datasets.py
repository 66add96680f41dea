"""Labelled datasets, scaled into an activation's interval: digits and two spirals, and by name
the image files of `bregmalib.data._images`.

Everything is offline (scikit-learn ships the 8×8 digits) and seeded.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax.numpy as jnp
import numpy as np
from jax import Array
from sklearn.datasets import load_digits as _sklearn_digits
from sklearn.model_selection import train_test_split

from bregmalib.data._scale import DEFAULT_MARGIN, IntervalScaler, fit_scaler
from bregmalib.legendre import LegendrePair, get

#: the data sets `load_dataset` reads by name; the last three from files (``data_dir``)
DATASETS: tuple[str, ...] = ("digits", "spirals", "mnist", "fashion-mnist", "cifar10")


@dataclasses.dataclass(frozen=True)
class Dataset:
    """A train/test split of features already scaled into the activation's interval."""

    name: str
    x_train: Array
    y_train: Array
    x_test: Array
    y_test: Array
    n_classes: int
    scaler: IntervalScaler
    margin: float

    @property
    def n_features(self) -> int:
        """Number of input features."""
        return int(self.x_train.shape[1])


def _pair(activation: str | LegendrePair) -> LegendrePair:
    return activation if isinstance(activation, LegendrePair) else get(activation)


def _split(
    name: str,
    raw: np.ndarray,
    labels: np.ndarray,
    scaler: IntervalScaler,
    margin: float,
    test_fraction: float,
    seed: int,
    dtype: Any,
) -> Dataset:
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction}")
    x_tr, x_te, y_tr, y_te = train_test_split(
        scaler(raw), labels, test_size=test_fraction, random_state=seed, stratify=labels
    )
    return Dataset(
        name=name,
        x_train=jnp.asarray(x_tr, dtype),
        y_train=jnp.asarray(y_tr, jnp.int32),
        x_test=jnp.asarray(x_te, dtype),
        y_test=jnp.asarray(y_te, jnp.int32),
        n_classes=int(labels.max()) + 1,
        scaler=scaler,
        margin=margin,
    )


def load_digits(
    activation: str | LegendrePair,
    *,
    margin: float = DEFAULT_MARGIN,
    test_fraction: float = 0.25,
    seed: int = 0,
    dtype: Any = jnp.float32,
) -> Dataset:
    """scikit-learn's 1797 8×8 digits (64 features, 10 classes), stratified split.

    Pixels (0 to 16) are mapped affinely onto ``target_segment(pair, margin)``: for a bounded
    interval I = (lo, hi) onto [lo + m(hi − lo), hi − m(hi − lo)], m = ``margin`` (default 5 %).
    """
    pair = _pair(activation)
    bunch = _sklearn_digits()
    raw, labels = bunch.data.astype(float), bunch.target.astype(int)
    scaler = fit_scaler(raw, pair, margin, source_range=(0.0, 16.0))
    return _split("digits", raw, labels, scaler, margin, test_fraction, seed, dtype)


def two_spirals_raw(
    n_per_class: int, *, turns: float = 1.5, noise: float = 0.05, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved Archimedean spirals in the plane, unscaled.

    Class 0: r(cos θ, sin θ) with θ = 2π·turns·√t, r = θ/(2π·turns), t ~ U(0, 1); class 1 is
    its point reflection −(cos θ, sin θ)r; Gaussian noise of standard deviation ``noise``.
    """
    if n_per_class < 1:
        raise ValueError(f"n_per_class must be a positive integer, got {n_per_class}")
    rng = np.random.default_rng(seed)
    theta = 2.0 * np.pi * turns * np.sqrt(rng.uniform(size=n_per_class))
    radius = theta / (2.0 * np.pi * turns)
    arm = np.stack([radius * np.cos(theta), radius * np.sin(theta)], axis=1)
    points = np.concatenate([arm, -arm]) + noise * rng.normal(size=(2 * n_per_class, 2))
    labels = np.repeat(np.arange(2), n_per_class)
    return points, labels


def load_two_spirals(
    activation: str | LegendrePair,
    *,
    n_per_class: int = 500,
    turns: float = 1.5,
    noise: float = 0.05,
    margin: float = DEFAULT_MARGIN,
    test_fraction: float = 0.25,
    seed: int = 0,
    dtype: Any = jnp.float32,
) -> Dataset:
    """`two_spirals_raw` scaled (one common range for both axes, so shapes are kept) onto
    ``target_segment(pair, margin)``, stratified split."""
    pair = _pair(activation)
    raw, labels = two_spirals_raw(n_per_class, turns=turns, noise=noise, seed=seed)
    scaler = fit_scaler(raw, pair, margin, source_range=(raw.min(), raw.max()))
    return _split("spirals", raw, labels, scaler, margin, test_fraction, seed, dtype)


def load_dataset(
    name: str, activation: str | LegendrePair, *, data_dir: str | None = None, **options: Any
) -> Dataset:
    """`load_digits` or `load_two_spirals` by name (``DATASETS``), or MNIST, Fashion-MNIST and
    CIFAR-10 from the files in ``data_dir`` (`bregmalib.data.load_images`, which keeps the
    files' own split: ``seed`` and ``test_fraction`` do not apply to them)."""
    from bregmalib.data._images import IMAGE_SHAPES, load_images

    if name in IMAGE_SHAPES:
        if data_dir is None:
            raise ValueError(f"{name} is read from files: name their directory (data_dir)")
        options.pop("seed", None)
        options.pop("test_fraction", None)
        return load_images(name, data_dir, activation, **options)
    loaders = {"digits": load_digits, "spirals": load_two_spirals}
    if name not in loaders:
        raise ValueError(f"unknown dataset {name!r}; expected one of {list(DATASETS)}")
    if "limit" in options:
        raise ValueError(f"a limit applies to the file data sets, not to {name}")
    return loaders[name](activation, **options)
