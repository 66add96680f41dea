"""bregmalib.train: the optax loop, early stopping, seeds, checkpoints and the CLI."""

import json
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp

import bregmalib.legendre as L
from bregmalib import cli
from bregmalib.cli._train import main
from bregmalib.data import load_digits, load_two_spirals
from bregmalib.nn import make_mlp, make_resnet
from bregmalib.train import TrainConfig, accuracy, load, read_header, save, train

QUICK = TrainConfig(learning_rate=1e-2, batch_size=32, epochs=6, patience=50)


def _hit_rate(model, x, y) -> float:
    """The fraction of examples whose largest logit is the label, counted in NumPy."""
    logits = np.asarray(jax.vmap(model)(jnp.asarray(x)))
    return float(np.count_nonzero(logits.argmax(axis=1) == np.asarray(y)) / len(logits))


def _leaves(model):
    return jax.tree_util.tree_leaves(eqx.filter(model, eqx.is_array))


@pytest.fixture(scope="module")
def spirals():
    return load_two_spirals("tanh", n_per_class=64, seed=0)


def test_training_lowers_the_loss_and_keeps_mixing_on_the_simplex(spirals) -> None:
    model = make_mlp("tanh", (2, 16, 16), 2, "bregman", key=jax.random.PRNGKey(0))
    result = train(model, spirals, QUICK, progress=False)
    losses = [h["train_loss"] for h in result.history]
    assert losses[-1] < losses[0]
    assert not np.allclose(model.hidden[0].mix_logits, result.model.hidden[0].mix_logits)
    assert result.best_epoch == 1 + int(np.argmin([h["val_loss"] for h in result.history]))
    assert result.test_accuracy == _hit_rate(result.model, spirals.x_test, spirals.y_test)


def test_early_stopping_and_best_epoch(spirals) -> None:
    model = make_mlp("tanh", (2, 8, 8), 2, "standard", key=jax.random.PRNGKey(1))
    config = TrainConfig(learning_rate=0.5, batch_size=32, epochs=40, patience=2)
    result = train(model, spirals, config, progress=False)
    assert result.stopped_early and len(result.history) == result.best_epoch + 2
    assert result.train_accuracy == _hit_rate(result.model, spirals.x_train, spirals.y_train)


def test_accuracy_counts_hits_beyond_one_evaluation_chunk() -> None:
    """600 examples span three padded chunks of 256: the padding must not be counted."""
    data = load_digits("atan")
    model = make_mlp("atan", (64, 8), 10, "bregman", key=jax.random.PRNGKey(5))
    x, y = np.asarray(data.x_train[:600]), np.asarray(data.y_train[:600])
    assert accuracy(model, x, y) == _hit_rate(model, x, y)


def test_score_selects_the_model_and_stop_at_ends_training(spirals) -> None:
    """Evaluated every 2 steps without a validation split, on |accuracy − target|: training
    stops at the first score ≤ stop_at, and the returned model is the best-scoring one."""
    x, y = spirals.x_test, spirals.y_test
    target, tolerance = 0.62, 0.01

    def gap(m) -> float:
        return abs(_hit_rate(m, x, y) - target)

    config = TrainConfig(
        learning_rate=1e-2,
        batch_size=16,
        epochs=30,
        patience=None,
        validation_fraction=0.0,
        eval_every=2,
    )
    model = make_mlp("tanh", (2, 16, 16), 2, "bregman", key=jax.random.PRNGKey(6))
    result = train(model, spirals, config, score=gap, stop_at=tolerance, progress=False)
    scores = [h["score"] for h in result.history]
    assert result.stopped_early and scores[-1] <= tolerance < min(scores[:-1])
    assert [h["step"] for h in result.history] == [2 * k for k in range(1, len(scores) + 1)]
    assert "val_loss" not in result.history[0]
    assert gap(result.model) == scores[-1]
    assert result.best_step == result.history[-1]["step"]
    with pytest.raises(ValueError, match="pass a score"):
        train(model, spirals, config, progress=False)


def test_same_seed_same_model_other_seed_other_model(spirals) -> None:
    model = make_mlp("atan", (2, 8, 8), 2, "euclidean", key=jax.random.PRNGKey(2))
    runs = [
        train(model, spirals, TrainConfig(epochs=2, seed=s, batch_size=32), progress=False).model
        for s in (0, 0, 1)
    ]
    for a, b in zip(_leaves(runs[0]), _leaves(runs[1]), strict=True):
        np.testing.assert_array_equal(a, b)
    assert any(
        not np.array_equal(a, b) for a, b in zip(_leaves(runs[0]), _leaves(runs[2]), strict=True)
    )


@pytest.mark.parametrize(("name", "dtype"), [("atan", jnp.float32), ("softplus", jnp.float64)])
def test_checkpoint_round_trip(tmp_path: Path, name: str, dtype) -> None:
    pair = L.get(name, beta=10) if name == "softplus" else L.get(name)
    model = make_mlp(pair, (3, 5, 4), 2, "bregman", key=jax.random.PRNGKey(3), dtype=dtype)
    path = save(tmp_path / "m.eqx", model, {"note": "hello", "accuracy": 0.5})
    loaded, meta = load(path)
    assert meta == {"note": "hello", "accuracy": 0.5}
    assert loaded.pair == pair and loaded.widths == (3, 5, 4) and loaded.dtype == dtype
    for a, b in zip(_leaves(loaded), _leaves(model), strict=True):
        assert a.dtype == dtype
        np.testing.assert_array_equal(a, b)
    header = read_header(path)
    assert header["model"]["params"] == pair.parameter_values
    assert header["model"]["version"] == "bregman" and header["model"]["dtype"] == loaded.dtype


def test_resnet_checkpoint_round_trip(tmp_path: Path) -> None:
    model = make_resnet("atan", (2, 4), 10, "bregman", key=jax.random.PRNGKey(4))
    loaded, _ = load(save(tmp_path / "r.eqx", model))
    assert loaded.channels == (2, 4) and loaded.pair == model.pair
    for a, b in zip(_leaves(loaded), _leaves(model), strict=True):
        np.testing.assert_array_equal(a, b)


def test_checkpoint_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.eqx")
    junk = tmp_path / "junk.eqx"
    junk.write_bytes(b"\x00\x01 not a checkpoint")
    with pytest.raises(ValueError, match="not a bregmalib checkpoint"):
        load(junk)
    small = make_mlp("tanh", (3, 4), 2, "standard", key=jax.random.PRNGKey(0))
    big = make_mlp("tanh", (3, 6), 2, "standard", key=jax.random.PRNGKey(0))
    save(tmp_path / "small.eqx", small)
    save(tmp_path / "big.eqx", big)
    header = (tmp_path / "small.eqx").read_bytes().split(b"\n", 1)[0]
    leaves = (tmp_path / "big.eqx").read_bytes().split(b"\n", 1)[1]
    (tmp_path / "mixed.eqx").write_bytes(header + b"\n" + leaves)
    with pytest.raises(ValueError, match="do not match"):
        load(tmp_path / "mixed.eqx")
    with pytest.raises(TypeError, match="JSON"):
        save(tmp_path / "meta.eqx", small, {"array": np.zeros(2)})
    user = L.from_sigma("half_atan", sp.atan(2 * L.U) / 2)
    with pytest.raises(ValueError, match="not a registered pair"):
        save(tmp_path / "user.eqx", make_mlp(user, (2, 2), 2, "bregman", key=jax.random.PRNGKey(0)))


def test_training_rejects_mismatched_data(spirals) -> None:
    model = make_mlp("tanh", (3, 4), 2, "bregman", key=jax.random.PRNGKey(0))
    with pytest.raises(ValueError, match="features"):
        train(model, spirals, QUICK, progress=False)
    model = make_mlp("tanh", (2, 4), 2, "bregman", key=jax.random.PRNGKey(0))
    with pytest.raises(ValueError, match="batch_size"):
        train(model, spirals, TrainConfig(batch_size=10_000), progress=False)
    with pytest.raises(ValueError, match="learning_rate"):
        TrainConfig(learning_rate=-1.0)
    with pytest.raises(ValueError, match="patience"):
        TrainConfig(patience=0)


def test_cli_trains_saves_and_summarises(tmp_path: Path, capsys) -> None:
    out = tmp_path / "model.eqx"
    status = main(
        [
            "--dataset",
            "digits",
            "--activation",
            "atan",
            "--version",
            "bregman",
            "--widths",
            "16,16",
            "--epochs",
            "3",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert status == 0
    assert "test accuracy" in capsys.readouterr().out
    summary = json.loads(out.with_suffix(".json").read_text())
    assert summary["widths"] == [64, 16, 16] and len(summary["history"]) == 3
    model, meta = load(out)
    data = load_digits("atan")
    assert accuracy(model, data.x_test, data.y_test) == pytest.approx(summary["test_accuracy"])
    assert meta["input_box"] == summary["input_box"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--activation", "relu"], "unknown"),
        (["--widths", "64,x"], "comma-separated"),
        (["--version", "resnet"], "invalid choice"),
        (["--architecture", "resnet", "--dataset", "spirals"], "8×8"),
        (["--out", "summary.json"], "json"),
    ],
)
def test_cli_bad_arguments(tmp_path: Path, capsys, args: list[str], message: str) -> None:
    base = ["--epochs", "1", "--quiet"]
    if "--out" not in args:
        base += ["--out", str(tmp_path / "m.eqx")]
    assert cli.main(["train", *base, *args]) == 2
    assert message in capsys.readouterr().err
