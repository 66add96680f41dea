"""bregmalib.lipschitz: the report on models, sharding of the restarts, the command line."""

import json
import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import bregmalib.legendre as L
from bregmalib.lipschitz import lipschitz_report, make_box
from bregmalib.lipschitz._lower import ascend_jacobian
from bregmalib.nn import make_mlp, network_from_arrays


def test_restarts_are_sharded_over_four_host_devices() -> None:
    script = textwrap.dedent(
        """
        import jax, numpy as np
        jax.config.update("jax_enable_x64", True)
        import bregmalib.legendre as L
        from bregmalib.lipschitz import make_box
        from bregmalib.lipschitz._lower import ascend_jacobian, shard_restarts
        from bregmalib.nn import network_from_arrays
        assert jax.device_count() == 4
        placed = shard_restarts(np.zeros((8, 3)))
        assert len(placed.sharding.device_set) == 4
        rng = np.random.default_rng(0)
        net = network_from_arrays([rng.normal(size=(3, 3))], None, L.get("tanh"), "bregman")
        found = ascend_jacobian(net, make_box(net), restarts=8, steps=20)
        print(repr(found.value))
        """
    )
    env = dict(
        os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4", JAX_PLATFORMS="cpu"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    sharded = float(out.stdout.strip().splitlines()[-1])
    rng = np.random.default_rng(0)
    net = network_from_arrays([rng.normal(size=(3, 3))], None, L.get("tanh"), "bregman")
    single = ascend_jacobian(net, make_box(net), restarts=8, steps=20).value
    assert sharded == pytest.approx(single, rel=1e-6)


@pytest.mark.parametrize("version", ["bregman", "standard", "euclidean"])
def test_report_on_a_model_is_sound_and_complete(version: str) -> None:
    model = make_mlp("atan", (4, 5, 5), 3, version, key=jax.random.key(1), dtype=jnp.float64)
    report = lipschitz_report(model, restarts=8, steps=60)
    assert report.lower <= report.upper and report.ratio >= 1.0
    assert report.upper == min(report.uppers.values())
    assert report.method in report.uppers and report.assumptions
    assert json.loads(json.dumps(report.to_dict()))["version"] == version


def test_cli_reports_json_for_a_saved_model(tmp_path, capsys) -> None:
    from bregmalib import cli
    from bregmalib.cli._lipschitz import main
    from bregmalib.train import save

    model = make_mlp("atan", (4, 5, 5), 3, "bregman", key=jax.random.key(0), dtype=jnp.float64)
    path = save(tmp_path / "model.eqx", model, {})
    assert main([str(path), "--json", "--restarts", "8", "--steps", "60", "--box=-1,0.5"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["lower"] <= report["upper"] and report["activation"] == "atan"
    assert report["domain"] == "[-1, 0.5]^4"
    assert cli.main(["lipschitz", str(path), "--box", "0.1"]) == 2
    assert "--box" in capsys.readouterr().err
