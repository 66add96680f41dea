"""`bregmalib invert model.eqx [--json]` and the nn adapters of bregmalib.invert."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bregmalib import cli
from bregmalib import invert as inv
from bregmalib.cli._invert import main
from bregmalib.nn import make_mlp
from bregmalib.train import save


@pytest.fixture(scope="module")
def model():
    return make_mlp("tanh", (3, 5, 5), 2, "bregman", key=jax.random.key(0), dtype=jnp.float64)


def test_cli_reports_every_layer(model, tmp_path, capsys) -> None:
    path = tmp_path / "model.eqx"
    save(path, model, {"note": "test"})
    assert main([str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    layers = report["layers"]
    assert [entry["layer"] for entry in layers] == [0, 1]
    assert "skipped" in layers[0]
    certs = layers[1]["certificates"]
    weight = np.asarray(model.hidden[1].weight)
    expected = 1.0 - np.linalg.norm(weight, 2)
    assert certs["contraction"]["margin"] == pytest.approx(expected, rel=1e-9)
    assert set(certs) == {"contraction", "monotone", "vertex"}
    assert main([str(path)]) == 0
    assert "(c) vertex" in capsys.readouterr().out


def test_cli_bad_file(tmp_path, capsys) -> None:
    assert cli.main(["invert", str(tmp_path / "missing.eqx")]) == 2
    assert (
        capsys.readouterr().err
        == f"bregmalib invert: error: no checkpoint at {tmp_path}/missing.eqx\n"
    )


def test_mlp_features_inverse(model) -> None:
    square = make_mlp("atan", (4, 4, 4), 2, "bregman", key=jax.random.key(1), dtype=jnp.float64)
    x = jnp.array([0.3, -0.2, 0.5, 0.1])
    result = inv.invert(square, square.features(x))
    assert bool(result.converged)
    assert float(jnp.max(jnp.abs(result.primal - x))) <= 1e-9
    with pytest.raises(ValueError, match="square"):
        inv.invert(model, jnp.zeros(5))
    standard = make_mlp("tanh", (4, 4), 2, "standard", key=jax.random.key(2))
    with pytest.raises(ValueError, match="Bregman"):
        inv.certify_invertibility(standard.hidden[0])
