"""Image data sets read from files the user already has: MNIST and Fashion-MNIST (IDX files,
gzipped or not) and CIFAR-10 (the python pickle batches). Nothing is ever downloaded.

IDX (LeCun et al., the MNIST distribution format): two zero bytes, a type code (0x08 unsigned
byte), the number of dimensions d, then d big-endian uint32 sizes and the data in row-major
order. CIFAR-10 (Krizhevsky 2009): ``data_batch_1`` … ``data_batch_5`` and ``test_batch``, each
a pickled dict with ``b"data"`` (N × 3072 uint8, channel-major 3 × 32 × 32) and ``b"labels"``.
Pixels (0 to 255) are mapped affinely into the activation's interval as for digits.
"""

from __future__ import annotations

import gzip
import pickle
from pathlib import Path
from typing import Any

import jax.numpy as jnp
import numpy as np

from bregmalib.data._datasets import Dataset
from bregmalib.data._scale import DEFAULT_MARGIN, fit_scaler
from bregmalib.legendre import LegendrePair, get

#: the file stems of the IDX data sets, in the names their distributions use
IDX_FILES: dict[str, str] = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
CIFAR_TRAIN = tuple(f"data_batch_{k}" for k in range(1, 6))
CIFAR_TEST = "test_batch"
#: image shape (channels, height, width) of each data set
IMAGE_SHAPES: dict[str, tuple[int, int, int]] = {
    "mnist": (1, 28, 28),
    "fashion-mnist": (1, 28, 28),
    "cifar10": (3, 32, 32),
}
_IDX_UNSIGNED_BYTE = 0x08


def read_idx(path: str | Path) -> np.ndarray:
    """The uint8 array of an IDX file (``.gz`` read through gzip); ValueError if malformed."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        raw = handle.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != _IDX_UNSIGNED_BYTE:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes")
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int(s) for s in np.frombuffer(raw[4:header], ">u4"))
    if len(raw) != header + int(np.prod(shape)):
        raise ValueError(f"{path}: header says {shape}, data has {len(raw) - header} bytes")
    return np.frombuffer(raw[header:], np.uint8).reshape(shape)


def _idx_file(directory: Path, stem: str) -> Path:
    for name in (stem, f"{stem}.gz"):
        if (directory / name).is_file():
            return directory / name
    raise FileNotFoundError(2, f"no {stem} or {stem}.gz in {directory}", str(directory))


def read_idx_set(directory: str | Path) -> dict[str, np.ndarray]:
    """The four arrays of an MNIST-style directory (`IDX_FILES`, gzipped or not)."""
    directory = Path(directory)
    return {key: read_idx(_idx_file(directory, stem)) for key, stem in IDX_FILES.items()}


def _cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    if not path.is_file():
        raise FileNotFoundError(2, f"no CIFAR-10 batch {path.name}", str(path))
    with path.open("rb") as handle:
        batch = pickle.load(handle, encoding="bytes")
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise ValueError(f"{path} is not a CIFAR-10 python batch (no data and labels)")
    data = np.asarray(batch[b"data"], np.uint8)
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise ValueError(f"{path}: data must be N × 3072, got {data.shape}")
    return data, np.asarray(batch[b"labels"], np.int64)


def read_cifar10(directory: str | Path) -> dict[str, np.ndarray]:
    """Train and test arrays of CIFAR-10's python batches in ``directory`` (or in its
    ``cifar-10-batches-py`` folder); the batches are pickles, so read only files you trust."""
    directory = Path(directory)
    if (directory / "cifar-10-batches-py").is_dir():
        directory = directory / "cifar-10-batches-py"
    train = [_cifar_batch(directory / name) for name in CIFAR_TRAIN]
    test_images, test_labels = _cifar_batch(directory / CIFAR_TEST)
    return {
        "train_images": np.concatenate([b[0] for b in train]),
        "train_labels": np.concatenate([b[1] for b in train]),
        "test_images": test_images,
        "test_labels": test_labels,
    }


def load_images(
    name: str,
    directory: str | Path,
    activation: str | LegendrePair,
    *,
    margin: float = DEFAULT_MARGIN,
    limit: int | None = None,
    dtype: Any = jnp.float32,
) -> Dataset:
    """MNIST, Fashion-MNIST or CIFAR-10 from ``directory`` as a `Dataset` with the files' own
    train/test split, images flattened (C·H·W features), pixels mapped into the activation's
    interval; ``limit`` keeps the first examples of each split."""
    if name not in IMAGE_SHAPES:
        raise ValueError(f"unknown image data set {name!r}; expected one of {list(IMAGE_SHAPES)}")
    pair = activation if isinstance(activation, LegendrePair) else get(activation)
    arrays = read_cifar10(directory) if name == "cifar10" else read_idx_set(directory)
    size = int(np.prod(IMAGE_SHAPES[name]))
    x_train = arrays["train_images"].reshape(-1, size)[:limit].astype(float)
    x_test = arrays["test_images"].reshape(-1, size)[:limit].astype(float)
    y_train = arrays["train_labels"][:limit].astype(int)
    y_test = arrays["test_labels"][:limit].astype(int)
    if len(x_train) != len(y_train) or len(x_test) != len(y_test):
        raise ValueError(f"{directory}: the numbers of images and labels differ")
    scaler = fit_scaler(x_train, pair, margin, source_range=(0.0, 255.0))
    return Dataset(
        name=name,
        x_train=jnp.asarray(scaler(x_train), dtype),
        y_train=jnp.asarray(y_train, jnp.int32),
        x_test=jnp.asarray(scaler(x_test), dtype),
        y_test=jnp.asarray(y_test, jnp.int32),
        n_classes=int(max(y_train.max(), y_test.max())) + 1,
        scaler=scaler,
        margin=margin,
    )
