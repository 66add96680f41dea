"""``bregmalib lipschitz model.pt``: PyTorch files on the command line (bregmanet state_dicts,
pickled Sequential models) and their refusals in one line with exit status 2."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
bregmanet = pytest.importorskip("bregmanet")

from bregmalib import cli  # noqa: E402

FAST = ["--image-shape", "3,4,4", "--points", "2", "--quiet"]


@pytest.fixture(autouse=True)
def _numpy_inf_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(np, "Inf", np.inf, raising=False)


@pytest.fixture(scope="module")
def state_dict(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("torch") / "bresnet20.pt"
    torch.save(bregmanet.bresnet20(activation="sigmoid").state_dict(), path)
    return path


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = cli.main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def test_state_dict_with_arch_gives_sound_json(
    state_dict: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["lipschitz", str(state_dict), "--arch", "bresnet20", "--activation", "sigmoid"]
    status, out, _ = _run([*argv, "--json", *FAST], capsys)
    assert status == 0
    report = json.loads(out)
    assert report["kind"] == "bresnet20" and report["input_shape"] == [3, 4, 4]
    assert report["upper"] >= report["lower"] > 0
    assert any("as trained" in note for note in report["notes"])
    status, out, _ = _run([*argv, "--json", "--skip", "legendre", *FAST], capsys)
    assert status == 0
    assert any("max output difference" in note for note in json.loads(out)["notes"])


def test_pickled_sequential(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 3, padding=1),
        torch.nn.Tanh(),
        torch.nn.Flatten(),
        torch.nn.Linear(32, 3),
    )
    path = tmp_path / "sequential.pt"
    torch.save(module, path)
    status, out, _ = _run(["lipschitz", str(path), "--image-shape", "1,4,4", "--quiet"], capsys)
    assert status == 0
    assert "sequential" in out and "upper" in out


def test_bregmanet_mlp_state_dict_and_pickle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--arch mlp reads the widths from the state_dict; the default conversion keeps the
    package's g (the report says so), --skip legendre says how far σ⁻¹ moves the outputs."""
    torch.manual_seed(0)
    module = bregmanet.MLP("sigmoid", input_dim=5, hidden_dim=[6, 6], output_dim=2)
    weights, pickled = tmp_path / "mlp.pt", tmp_path / "mlp_module.pt"
    torch.save(module.state_dict(), weights)
    torch.save(module, pickled)
    argv = ["lipschitz", str(weights), "--arch", "mlp", "--activation", "sigmoid", "--box=0,1"]
    status, out, _ = _run([*argv, "--json", "--points", "2", "--quiet"], capsys)
    assert status == 0
    report = json.loads(out)
    assert report["kind"] == "bregmanet MLP" and report["input_shape"] == [5]
    assert report["upper"] >= report["lower"] > 0
    assert any("as trained" in note for note in report["notes"])
    fast = ["--restarts", "1", "--steps", "5", "--quiet"]
    status, out, _ = _run(["lipschitz", str(pickled), "--skip", "legendre", *fast], capsys)
    assert status == 0 and "max output difference" in out
    wrong = ["lipschitz", str(weights), "--arch", "mlp", "--activation", "sigmoid"]
    assert "do not fit mlp" in _refusal([*wrong, "--mlp-version", "standard"], capsys)


def _refusal(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    status, _, err = _run(argv, capsys)
    assert status == 2
    assert len(err.strip().splitlines()) == 1
    return err


def test_refusals_are_one_line(
    state_dict: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "notes.pt"
    text.write_text("not a model\n")
    assert "not a PyTorch model" in _refusal(["lipschitz", str(text)], capsys)
    linear = tmp_path / "linear.pt"
    torch.save(torch.nn.Linear(2, 2), linear)
    assert "holds a Linear" in _refusal(["lipschitz", str(linear)], capsys)
    unknown = ["lipschitz", str(state_dict), "--arch", "bresnet7", "--activation", "sigmoid"]
    assert "unknown architecture" in _refusal(unknown, capsys)
    mismatched = ["lipschitz", str(state_dict), "--arch", "bresnet32", "--activation", "sigmoid"]
    assert "do not fit bresnet32" in _refusal(mismatched, capsys)
    assert "--arch and --activation" in _refusal(["lipschitz", str(state_dict)], capsys)


def test_torch_missing_is_one_line(
    state_dict: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    assert "needs torch" in _refusal(["lipschitz", str(state_dict)], capsys)
