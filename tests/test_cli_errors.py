"""Bad input to every command ends in one line on stderr and exit status 2, never a traceback;
NaN and infinite weights are refused when a checkpoint is saved and when it is loaded."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import pytest

from bregmalib import cli
from bregmalib.nn import MLP, make_mlp
from bregmalib.train import load, save


def _edited(good: bytes, **changes: object) -> bytes:
    """``good`` with its header's model entry changed (a value of None deletes the field)."""
    head, _, body = good.partition(b"\n")
    header = json.loads(head)
    for name, value in changes.items():
        if value is None:
            del header["model"][name]
        else:
            header["model"][name] = value
    return json.dumps(header).encode() + b"\n" + body


def _with_weight(model: MLP, value: float) -> MLP:
    """``model`` with one entry of its second hidden weight set to ``value`` (bypassing the
    checks that `make_mlp` runs at construction)."""
    weight = model.hidden[1].weight
    return eqx.tree_at(lambda m: m.hidden[1].weight, model, weight.at[0, 0].set(value))


@pytest.fixture(scope="module")
def model() -> MLP:
    return make_mlp("tanh", (3, 4, 4), 2, "bregman", key=jax.random.key(0), dtype=jnp.float64)


@pytest.fixture(scope="module")
def files(model: MLP, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A good checkpoint and one broken file of each kind, by name."""
    root = tmp_path_factory.mktemp("checkpoints")
    good = save(root / "good.eqx", model).read_bytes()
    head, _, body = good.partition(b"\n")
    contents = {
        "text": b"not a checkpoint\n",
        "empty": b"",
        "truncated": good[: len(head) + 1 + len(body) // 2],
        "header-only": head + b"\n",
        "trailing": good + b"junk",
        "no-dtype": _edited(good, dtype=None),
        "no-widths": _edited(good, widths=None),
        "widths-text": _edited(good, widths="4,4"),
        "bad-dtype": _edited(good, dtype="int8"),
        "bad-activation": _edited(good, activation="relu"),
        "bad-version": _edited(good, version="residual"),
        "mismatch": _edited(good, widths=[3, 5, 4]),
        "more-classes": _edited(good, classes=3),
        "format-99": good.replace(b'"format_version": 1', b'"format_version": 99', 1),
    }
    paths = {"good": root / "good.eqx", "missing": root / "missing.eqx", "folder": root}
    for name, data in contents.items():
        paths[name] = root / f"{name}.eqx"
        paths[name].write_bytes(data)
    for name, value in (("nan", jnp.nan), ("inf", jnp.inf)):
        paths[name] = root / f"{name}.eqx"
        with paths[name].open("wb") as f:
            f.write(head + b"\n")
            eqx.tree_serialise_leaves(f, _with_weight(model, value))
    return paths


#: (id, argv with {file} placeholders for the fixture's paths, a word of the expected message)
CASES: list[tuple[str, list[str], str]] = [
    ("restarts-negative", ["lipschitz", "{good}", "--restarts", "-1"], "positive integer"),
    ("restarts-zero", ["lipschitz", "{good}", "--restarts", "0"], "--restarts"),
    ("steps-zero", ["lipschitz", "{good}", "--steps", "0"], "--steps"),
    ("seed-negative", ["lipschitz", "{good}", "--seed", "-3"], "--seed"),
    ("restarts-text", ["lipschitz", "{good}", "--restarts", "many"], "integer"),
    ("box-outside", ["lipschitz", "{good}", "--box=-2,2"], "natural input domain"),
    ("box-reversed", ["lipschitz", "{good}", "--box=0.5,-0.5"], "lower <= upper"),
    ("box-three", ["lipschitz", "{good}", "--box", "0,1,2"], "two numbers"),
    ("box-negative-spaced", ["lipschitz", "{good}", "--box", "-1,1"], "--box=VALUE"),
    ("no-model", ["lipschitz"], "required"),
    ("unknown-option", ["lipschitz", "{good}", "--fast"], "unrecognized"),
    ("missing", ["lipschitz", "{missing}"], "no checkpoint"),
    ("folder", ["invert", "{folder}"], "directory"),
    ("text", ["lipschitz", "{text}"], "not a bregmalib checkpoint"),
    ("empty", ["invert", "{empty}"], "not a bregmalib checkpoint"),
    ("truncated", ["lipschitz", "{truncated}"], "truncated"),
    ("header-only", ["invert", "{header-only}"], "truncated"),
    ("trailing", ["invert", "{trailing}"], "unexpected bytes"),
    ("no-dtype", ["lipschitz", "{no-dtype}"], "'dtype'"),
    ("no-widths", ["invert", "{no-widths}"], "'widths'"),
    ("widths-text", ["lipschitz", "{widths-text}"], "should be a list"),
    ("bad-dtype", ["invert", "{bad-dtype}"], "int8"),
    ("bad-activation", ["lipschitz", "{bad-activation}"], "unknown activation"),
    ("bad-version", ["invert", "{bad-version}"], "unknown version"),
    ("mismatch", ["invert", "{mismatch}"], "do not match"),
    ("more-classes", ["lipschitz", "{more-classes}"], "changed shape"),
    ("format-99", ["lipschitz", "{format-99}"], "format version 99"),
    ("nan", ["lipschitz", "{nan}"], "nan.eqx: parameter hidden[1].weight has 1 NaN"),
    ("inf", ["invert", "{inf}"], "inf.eqx: parameter hidden[1].weight has 1 NaN or infinite"),
    ("exact-max-n-negative", ["invert", "{good}", "--exact-max-n", "-1"], "--exact-max-n"),
    ("widths-negative", ["train", "--widths=-5,3", "--out", "{out}"], "must be positive, got -5"),
    ("widths-spaced", ["train", "--widths", "-5,3", "--out", "{out}"], "--widths=VALUE"),
    ("widths-zero", ["train", "--widths", "0,3", "--out", "{out}"], "got 0"),
    ("epochs-zero", ["train", "--epochs", "0", "--out", "{out}"], "--epochs"),
    ("batch-size-negative", ["train", "--batch-size", "-8", "--out", "{out}"], "--batch-size"),
    ("patience-zero", ["train", "--patience", "0", "--out", "{out}"], "--patience"),
    ("activation", ["train", "--activation", "relu", "--out", "{out}"], "unknown activation"),
    ("dataset", ["train", "--dataset", "imagenet", "--out", "{out}"], "invalid choice"),
    ("version", ["train", "--version", "residual", "--out", "{out}"], "invalid choice"),
    ("param", ["train", "--dataset", "spirals", "--param", "gamma=2", "--out", "{out}"], "gamma"),
    ("learning-rate", ["train", "--dataset", "spirals", "--lr", "-1", "--out", "{out}"], "learn"),
    ("out-json", ["train", "--out", "model.json"], ".json"),
    ("jobs-zero", ["derive", "--jobs", "0"], "--jobs"),
    ("unknown-command", ["lipschitzz", "{good}"], "unknown command"),
]


def _argv(argv: list[str], paths: dict[str, Path], out: Path) -> list[str]:
    return [arg.format(out=out, **paths) for arg in argv]


def test_the_table_has_at_least_twenty_rows() -> None:
    assert len(CASES) >= 20
    assert len({name for name, _, _ in CASES}) == len(CASES)


@pytest.mark.parametrize(("argv", "word"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_status_2(
    argv: list[str],
    word: str,
    files: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = cli.main(_argv(argv, files, tmp_path / "model.eqx"))
    out, err = capsys.readouterr()
    assert status == 2, err
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert word in err, err
    assert out == ""
    assert not (tmp_path / "model.eqx").exists()


def test_the_terminal_sees_no_traceback(files: dict[str, Path]) -> None:
    """The one case run as a user runs it: a separate interpreter, stderr as a pipe."""
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    command = [sys.executable, "-m", "bregmalib", "lipschitz", str(files["good"])]
    done = subprocess.run(
        [*command, "--restarts", "-1"], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "bregmalib lipschitz: error: argument --restarts: expected a positive integer, got -1 "
        "(see bregmalib lipschitz --help)"
    ]


@pytest.mark.parametrize("error", [RuntimeError("a bug"), KeyError("a bug"), ZeroDivisionError()])
def test_a_bug_keeps_its_traceback(error: Exception, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only bad input is turned into one line: anything else propagates."""
    module = importlib.import_module("bregmalib.cli._invert")

    def broken(argv: list[str]) -> int:
        raise error

    monkeypatch.setattr(module, "main", broken)
    with pytest.raises(type(error)):
        cli.main(["invert", "model.eqx"])


@pytest.mark.parametrize("value", [jnp.nan, jnp.inf, -jnp.inf])
def test_save_refuses_non_finite_weights(model: MLP, value: float, tmp_path: Path) -> None:
    path = tmp_path / "bad.eqx"
    with pytest.raises(
        ValueError,
        match=r"cannot save .*bad\.eqx: parameter hidden\[1\]\.weight "
        r"has 1 NaN or infinite",
    ):
        save(path, _with_weight(model, value))
    assert not path.exists()


@pytest.mark.parametrize("name", ["nan", "inf"])
def test_load_refuses_non_finite_weights(files: dict[str, Path], name: str) -> None:
    with pytest.raises(ValueError, match=rf"{name}\.eqx: parameter hidden\[1\]\.weight has 1 NaN"):
        load(files[name])


def test_load_reads_back_what_save_wrote(model: MLP, files: dict[str, Path]) -> None:
    loaded, meta = load(files["good"])
    assert meta == {}
    assert jnp.array_equal(loaded.hidden[1].weight, model.hidden[1].weight)


#: commands whose help is read by hand: (argv, the most lines it may take)
HELPS: list[tuple[list[str], int]] = [
    (["derive", "--help"], 12),
    (["lipschitz", "--help"], 30),
    (["invert", "--help"], 16),
]


@pytest.mark.parametrize(("argv", "lines"), HELPS, ids=[h[0][0] for h in HELPS])
def test_help_is_short(argv: list[str], lines: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"usage: bregmalib {argv[0]}")
    assert len(text.splitlines()) <= lines, text
    assert "chapter" not in text
