"""MNIST-style IDX files (gzipped or not) and CIFAR-10 python batches, written by the tests in
the files' own formats, read back by bregmalib.data and trained on from the command line."""

from __future__ import annotations

import gzip
import json
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

from bregmalib import cli
from bregmalib.data import (
    load_dataset,
    load_images,
    read_cifar10,
    read_idx,
    target_segment,
)
from bregmalib.legendre import get


def _idx_bytes(array: np.ndarray) -> bytes:
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim)
    return header + struct.pack(f">{array.ndim}I", *array.shape) + array.astype(np.uint8).tobytes()


def _write_idx_set(directory: Path, n_train: int, n_test: int, gz: bool, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)),
        "train-labels-idx1-ubyte": np.arange(n_train) % 10,
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28)),
        "t10k-labels-idx1-ubyte": np.arange(n_test) % 10,
    }
    directory.mkdir(parents=True, exist_ok=True)
    for stem, array in arrays.items():
        data = _idx_bytes(array)
        if gz:
            (directory / f"{stem}.gz").write_bytes(gzip.compress(data))
        else:
            (directory / stem).write_bytes(data)
    return arrays


def _write_cifar(directory: Path, per_batch: int) -> np.ndarray:
    rng = np.random.default_rng(1)
    folder = directory / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    first = None
    for name in [*(f"data_batch_{k}" for k in range(1, 6)), "test_batch"]:
        data = rng.integers(0, 256, (per_batch, 3072)).astype(np.uint8)
        first = data if first is None else first
        batch = {b"data": data, b"labels": list(rng.integers(0, 10, per_batch))}
        (folder / name).write_bytes(pickle.dumps(batch))
    return first


@pytest.mark.parametrize("gz", [False, True])
def test_idx_round_trip_and_mnist_dataset(tmp_path: Path, gz: bool) -> None:
    arrays = _write_idx_set(tmp_path, 12, 5, gz)
    suffix = ".gz" if gz else ""
    images = read_idx(tmp_path / f"train-images-idx3-ubyte{suffix}")
    np.testing.assert_array_equal(images, arrays["train-images-idx3-ubyte"])
    data = load_images("mnist", tmp_path, "sigmoid")
    assert data.x_train.shape == (12, 784) and data.x_test.shape == (5, 784)
    lo, hi = target_segment(get("sigmoid"))
    raw = arrays["train-images-idx3-ubyte"].reshape(12, -1)
    expected = lo + (hi - lo) * raw / 255.0
    np.testing.assert_allclose(np.asarray(data.x_train), expected, rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(data.y_test), np.arange(5) % 10)
    assert load_dataset("fashion-mnist", "atan", data_dir=str(tmp_path), limit=3).x_train.shape == (
        3,
        784,
    )


def test_cifar10_batches(tmp_path: Path) -> None:
    first = _write_cifar(tmp_path, 4)
    arrays = read_cifar10(tmp_path)
    assert arrays["train_images"].shape == (20, 3072) and arrays["test_images"].shape == (4, 3072)
    np.testing.assert_array_equal(arrays["train_images"][:4], first)
    data = load_dataset("cifar10", "tanh", data_dir=str(tmp_path))
    assert data.n_features == 3072 and float(data.x_train.max()) < 1.0


def test_malformed_files_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "train-images-idx3-ubyte"
    bad.write_bytes(b"\x00\x00\x0d\x01\x00\x00\x00\x02ab")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(bad)
    bad.write_bytes(_idx_bytes(np.zeros((2, 3)))[:-1])
    with pytest.raises(ValueError, match="header says"):
        read_idx(bad)
    with pytest.raises(FileNotFoundError):
        load_images("mnist", tmp_path / "nowhere", "tanh")
    with pytest.raises(ValueError, match="data_dir"):
        load_dataset("mnist", "tanh")
    with pytest.raises(ValueError, match="limit"):
        load_dataset("digits", "tanh", limit=3)
    (tmp_path / "data_batch_1").write_bytes(pickle.dumps([1, 2]))
    with pytest.raises(ValueError, match="not a CIFAR-10"):
        read_cifar10(tmp_path)


def test_cli_trains_on_mnist_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_idx_set(tmp_path / "mnist", 40, 20, gz=True)
    out = tmp_path / "model.eqx"
    argv = ["train", "--dataset", "mnist", "--data-dir", str(tmp_path / "mnist"), "--widths", "8"]
    status = cli.main([*argv, "--epochs", "1", "--batch-size", "8", "--out", str(out), "--quiet"])
    assert status == 0
    summary = json.loads(out.with_suffix(".json").read_text())
    assert summary["dataset"] == "mnist"
    missing = ["train", "--dataset", "mnist", "--out", str(out), "--quiet"]
    assert cli.main(missing) == 2
    assert "data_dir" in capsys.readouterr().err
