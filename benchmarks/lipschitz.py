"""Lipschitz bounds: tightness on trained digits MLPs, eclipse-nn side by side, and scale.

    python benchmarks/lipschitz.py [--quick] [--cache DIR [--only PART... [--shard K/N]]]

With ``--cache`` each part (and each model of the tightness table) is stored as it finishes and
reused by later runs: parts can run in separate processes (``--only``, ``--shard``) and a last
run without ``--only`` writes the report from them.

Writes benchmarks/results/lipschitz.json and benchmarks/results/lipschitz.md. Timings are wall
clock on the machine that runs it (shared with other jobs while this was written: see "load").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("JAX_PLATFORMS", "cpu")
# one BLAS thread: on a shared 2-core machine multithreaded OpenBLAS is several times slower
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import jax

jax.config.update("jax_enable_x64", True)

import equinox as eqx  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from tqdm.auto import tqdm  # noqa: E402

from bregmalib.data import load_digits, target_segment  # noqa: E402
from bregmalib.lipschitz import lipschitz_report, make_box, upper_bounds  # noqa: E402
from bregmalib.lipschitz._lower import ascend_jacobian  # noqa: E402
from bregmalib.lipschitz._upper import _eclipse_fast_value, blas_threads  # noqa: E402
from bregmalib.nn import as_network, make_mlp, network_from_arrays  # noqa: E402
from bregmalib.train import TrainConfig, train  # noqa: E402

RESULTS = Path(__file__).parent / "results"


#: activation parameters of the benchmark (softplus at β = 1, the usual softplus; the
#: catalogue default β = 1000 is a smoothed ReLU whose slope ratio e^{1000Δ} overflows)
PARAMS: dict[str, dict[str, float]] = {"softplus": {"beta": 1.0}}


def benchmark_pair(activation: str) -> Any:
    """The catalogue pair of ``activation`` with the benchmark's parameters (`PARAMS`)."""
    import bregmalib.legendre as legendre

    return legendre.get(activation, **PARAMS.get(activation, {}))


def _init_gain(model: Any, version: str) -> Any:
    """Standard and Euclidean hidden weights scaled by √3/L_σ (LeCun's variance 1/(n·σ′(0)²)
    for U(±1/√n) draws): with the default U(±1/√n) a deep sigmoid network starts with
    vanishing signals and trains to 0.29 accuracy."""
    if version == "bregman":
        return model
    gain = np.sqrt(3.0) / float(model.hidden[0].pair.lipschitz)
    weights = lambda m: [d.weight for d in m.hidden]  # noqa: E731
    return eqx.tree_at(weights, model, [gain * w for w in weights(model)])


def train_digits(
    activation: str, version: str, depth: int, width: int, epochs: int, seed: int = 0
) -> tuple[Any, float]:
    """A digits MLP 64-width×depth-10 trained with Adam (learning rate 2e-3, validation-loss
    selection); the model and its test accuracy. benchmarks/local.py trains the same way."""
    pair = benchmark_pair(activation)
    data = load_digits(pair, dtype=jnp.float64)
    widths = (64, *([width] * depth))
    model = make_mlp(pair, widths, 10, version, key=jax.random.key(seed), dtype=jnp.float64)
    config = TrainConfig(epochs=epochs, patience=epochs, seed=seed, learning_rate=2e-3)
    result = train(_init_gain(model, version), data, config, progress=False)
    return result.model, result.test_accuracy


def _eclipse_peer(net: Any) -> float:
    """eclipse-nn 0.1.7's ECLipsE-Fast on the same weights, exported to PyTorch."""
    import torch
    from eclipse_nn import ECLipsE_Fast

    torch.set_num_threads(1)
    weights = [
        torch.tensor(np.asarray(w), dtype=torch.float64) for w in (*net.weights, net.head_weight)
    ]
    lip = float(net.pair.lipschitz)
    return float(ECLipsE_Fast(weights, [0.0] * net.depth, [lip] * net.depth))


def tightness(
    models: list[tuple[str, str, int, int]], epochs: int, restarts: int, steps: int
) -> list[dict]:
    rows = []
    for activation, version, depth, width in tqdm(models, desc="tightness"):
        model, accuracy = train_digits(activation, version, depth, width, epochs)
        net = as_network(model)
        a, b = target_segment(net.pair)
        for domain_name, domain in (("global", None), ("data box", (a, b))):
            report = lipschitz_report(net, domain, restarts=restarts, steps=steps)
            baseline = "layer-product" if version == "bregman" else "norm-product"
            row = {
                "activation": activation,
                "version": version,
                "depth": depth,
                "width": width,
                "test_accuracy": accuracy,
                "domain": domain_name,
                "upper": report.upper,
                "lower": report.lower,
                "ratio": report.ratio,
                "method": report.method,
                "baseline_ratio": report.uppers[baseline] / report.lower,
                "uppers": report.uppers,
                "upper_seconds": report.upper_seconds,
                "report_seconds": report.seconds,
            }
            if version == "standard" and domain is None:
                row["eclipse_fast"] = _eclipse_peer(net)
            rows.append(row)
    return rows


def _random_network(version: str, width: int, depth: int, dtype: Any = jnp.float64) -> Any:
    """A random tanh network width×depth (inputs of the width, 10 outputs), seed 0."""
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=(width, width)) / np.sqrt(width) for _ in range(depth)]
    biases = [0.1 * rng.normal(size=width) for _ in range(depth)]
    head = rng.normal(size=(10, width)) / np.sqrt(width)
    return network_from_arrays(
        weights, biases, benchmark_pair("tanh"), version, head_weight=head, dtype=dtype
    )


def peer_speed(widths: tuple[int, ...], depth: int, repeats: int) -> list[dict[str, Any]]:
    """Our ECLipsE-Fast bound (``upper_bounds``, interval propagation included) and eclipse-nn
    0.1.7's ECLipsE_Fast on the same random tanh networks, interleaved, medians of
    ``repeats``, one BLAS thread on both sides; ``floor``: the recursion alone
    (`_eclipse_fast_value`), the cost below which this method cannot go."""
    import torch
    from eclipse_nn import ECLipsE_Fast

    torch.set_num_threads(1)
    rows = []
    for width in widths:
        net = _random_network("standard", width, depth)
        box = make_box(net)
        lip = float(net.pair.lipschitz)
        tensors = [
            torch.tensor(np.asarray(w), dtype=torch.float64)
            for w in (*net.weights, net.head_weight)
        ]
        scaled = [lip * np.asarray(w, np.float64) for w in net.weights]
        head = np.asarray(net.head_weight, np.float64)
        ours, theirs, floor = [], [], []
        upper_bounds(net, box, methods=["eclipse-fast"])  # warm-up
        for _ in range(repeats):
            start = time.perf_counter()
            value = upper_bounds(net, box, methods=["eclipse-fast"])["eclipse-fast"].value
            ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            peer = float(ECLipsE_Fast(tensors, [0.0] * depth, [lip] * depth))
            theirs.append(time.perf_counter() - start)
            start = time.perf_counter()
            with blas_threads():
                _eclipse_fast_value(scaled, head)
            floor.append(time.perf_counter() - start)
        rows.append(
            {
                "width": width,
                "depth": depth,
                "ours": value,
                "peer": peer,
                "ours_seconds": _median(ours),
                "peer_seconds": _median(theirs),
                "floor_seconds": _median(floor),
                "speedup": _median(theirs) / _median(ours),
            }
        )
    return rows


def profile(width: int, depth: int) -> list[tuple[str, float]]:
    """Where our ECLipsE-Fast bound spends its time: the functions with the largest own time,
    as fractions of the call (cProfile, after a warm-up)."""
    import cProfile
    import pstats

    net = _random_network("standard", width, depth)
    box = make_box(net)
    upper_bounds(net, box, methods=["eclipse-fast"])
    profiler = cProfile.Profile()
    profiler.enable()
    upper_bounds(net, box, methods=["eclipse-fast"])
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in stats.values())
    own = sorted(((entry[2], f"{key[2]} ({Path(key[0]).name})") for key, entry in stats.items()))
    return [(name, seconds / total) for seconds, name in own[::-1][:6]]


COLD_START = """
import time
start, cpu = time.perf_counter(), time.process_time()
import jax
jax.config.update("jax_enable_x64", True)
from jax._src import monitoring
compiles = []
monitoring.register_event_duration_secs_listener(
    lambda event, seconds, **_: compiles.append(seconds)
    if event == "/jax/core/compile/backend_compile_duration" else None
)
import numpy as np
import bregmalib.legendre as legendre
from bregmalib.lipschitz import lower_bounds, make_box, upper_bounds
from bregmalib.nn import network_from_arrays
imported = time.perf_counter() - start
rng = np.random.default_rng(0)
weights = [rng.normal(size=(64, 64)) / 8 for _ in range(4)]
net = network_from_arrays(weights, None, legendre.get("tanh"), "bregman",
                          head_weight=rng.normal(size=(10, 64)) / 8)
box = make_box(net, (-0.9, 0.9))
times = {"import": imported, "import CPU": time.process_time() - cpu}
for run in ("first", "warm"):
    start, cpu = time.perf_counter(), time.process_time()
    upper_bounds(net, box)
    times[run + " upper"] = time.perf_counter() - start
    times[run + " upper CPU"] = time.process_time() - cpu
    count = len(compiles)
    start, cpu = time.perf_counter(), time.process_time()
    lower_bounds(net, box, restarts=16, steps=150)
    times[run + " lower"] = time.perf_counter() - start
    times[run + " lower CPU"] = time.process_time() - cpu
    times[run + " lower compilations"] = len(compiles) - count
    times[run + " lower compile seconds"] = sum(compiles[count:])
print(repr(times))
"""


def cold_start() -> dict[str, float]:
    """A Bregman tanh 4×64 network in a fresh process: the import, the first and a warm upper
    and lower bound (wall and CPU seconds), and the XLA compilations of the lower bound."""
    import ast
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", COLD_START], capture_output=True, text=True, check=True
    )
    return ast.literal_eval(out.stdout.strip().splitlines()[-1])


def scale(width: int, depth: int, restarts: int, steps: int) -> dict[str, Any]:
    out: dict[str, Any] = {"width": width, "depth": depth}
    for version in ("standard", "bregman"):
        net = _random_network(version, width, depth)
        box = make_box(net)
        methods = ["norm-product", "eclipse-fast"] if version == "standard" else ["telescoping"]
        upper_bounds(net, box, methods=methods)  # warm-up (compilation, caches)
        for name, bound in upper_bounds(net, box, methods=methods).items():
            out[f"{version}_{name}"] = bound.value
            out[f"{version}_{name}_seconds"] = bound.seconds
    net32 = _random_network("standard", width, depth, dtype=jnp.float32)
    box = make_box(net32)
    ascend_jacobian(net32, box, restarts=restarts, steps=steps)  # compilation
    found = ascend_jacobian(net32, box, restarts=restarts, steps=steps, key=jax.random.key(5))
    out.update(lower=found.value, lower_seconds=found.seconds, restarts=restarts, steps=steps)
    return out


def _median(values: list[float]) -> float:
    return float(np.median(values)) if values else float("nan")


def _summary(rows: list[dict]) -> list[str]:
    lines = [
        "| version | domain | median ratio | worst ratio (model) | median product ratio |",
        "|---|---|---|---|---|",
    ]
    for version in ("standard", "euclidean", "bregman"):
        for domain in ("global", "data box"):
            sel = [r for r in rows if r["version"] == version and r["domain"] == domain]
            if not sel:
                continue
            worst = max(sel, key=lambda r: r["ratio"])
            lines.append(
                f"| {version} | {domain} | {_median([r['ratio'] for r in sel]):.3g} | "
                f"{worst['ratio']:.3g} ({worst['activation']} {worst['depth']}×"
                f"{worst['width']}) | {_median([r['baseline_ratio'] for r in sel]):.3g} |"
            )
    return lines


def markdown(
    rows: list[dict],
    peers: list[dict],
    profiles: dict[str, list[tuple[str, float]]],
    cold: dict[str, float],
    scaled: dict[str, Any],
) -> str:
    lines = [
        "| activation | version | depth×width | acc. | domain | lower | best upper (method) | "
        "ratio | product ratio | eclipse-nn Fast |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        peer = f"{r['eclipse_fast']:.4g}" if "eclipse_fast" in r else ""
        lines.append(
            f"| {r['activation']} | {r['version']} | {r['depth']}×{r['width']} | "
            f"{r['test_accuracy']:.3f} | {r['domain']} | {r['lower']:.4g} | "
            f"{r['upper']:.4g} ({r['method']}) | {r['ratio']:.3g} | {r['baseline_ratio']:.3g} | "
            f"{peer} |"
        )
    lines += ["", *_summary(rows), ""]
    lines += [
        "ECLipsE-Fast side by side (random tanh networks, interleaved, medians, one BLAS thread):",
        "",
        "| width×depth | ours | eclipse-nn 0.1.7 | our time | their time | speed-up | "
        "recursion alone (floor) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in peers:
        lines.append(
            f"| {r['width']}×{r['depth']} | {r['ours']:.10g} | {r['peer']:.10g} | "
            f"{r['ours_seconds'] * 1e3:.1f} ms | {r['peer_seconds'] * 1e3:.1f} ms | "
            f"{r['speedup']:.2f}× | {r['floor_seconds'] * 1e3:.1f} ms |"
        )
    for name, shares in profiles.items():
        lines += [
            "",
            f"Profile of our ECLipsE-Fast at {name} (own time): "
            + ", ".join(f"{function} {share:.0%}" for function, share in shares),
        ]
    if cold:
        lines += [
            "",
            "Fresh process, Bregman tanh 4×64 on a box (seconds): "
            + ", ".join(f"{k} {v:.3g}" for k, v in cold.items()),
        ]
    if scaled:
        lines += [
            "",
            f"Scale ({scaled['width']}×{scaled['depth']}, tanh): "
            + ", ".join(f"{k} {v:.3g}" for k, v in scaled.items() if k.endswith("seconds")),
        ]
    return "\n".join(lines)


def _cached(
    cache: Path | None, name: str, compute: Callable[[], Any], stored_only: bool = False
) -> dict[str, Any] | None:
    """``{"value": compute(), "wall_seconds", "cpu_seconds"}``, kept as cache/name.json and read
    from there when present (so that a run resumes, and parts run in separate processes);
    ``stored_only``: None instead of computing."""
    path = None if cache is None else cache / f"{name}.json"
    if path is not None and path.exists():
        return json.loads(path.read_text())
    if stored_only:
        return None
    wall, cpu = time.perf_counter(), time.process_time()
    value = compute()
    entry = {
        "value": value,
        "wall_seconds": time.perf_counter() - wall,
        "cpu_seconds": time.process_time() - cpu,
        "load": os.getloadavg(),
    }
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(entry, default=float))
    return entry


SECTIONS = ("cold", "peers", "profiles", "tightness", "scale")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="four small models, short ascent")
    parser.add_argument("--cache", type=Path, help="keep each part's result in this folder")
    parser.add_argument(
        "--only", nargs="+", choices=SECTIONS, help="compute these parts into --cache, no report"
    )
    parser.add_argument("--shard", default="0/1", help="K/N: the K-th of N slices of the models")
    parser.add_argument("--reverse", action="store_true", help="the models in reverse order")
    parser.add_argument("--peer-widths", type=int, nargs="+", help="widths of the peer timing")
    parser.add_argument("--repeats", type=int, help="interleaved repeats of the peer timing")
    parser.add_argument(
        "--stored-only", action="store_true", help="report the models --cache holds, no others"
    )
    args = parser.parse_args()
    activations = ("sigmoid", "tanh", "atan", "softplus")
    versions = ("bregman", "standard", "euclidean")
    if args.quick:
        models = [(a, v, 2, 64) for a in ("sigmoid", "tanh") for v in ("bregman", "standard")]
        epochs, restarts, steps = 5, 8, 60
        peer_args, scale_args = ((64, 256), 6, 3), (256, 6, 16, 20)
    else:
        sizes = ((2, 64), (4, 64), (6, 128))
        models = [(a, v, d, w) for a in activations for v in versions for d, w in sizes]
        epochs, restarts, steps = 30, 16, 150
        peer_args, scale_args = ((64, 256, 1024), 20, 5), (1024, 20, 64, 30)
    peer_args = (
        tuple(args.peer_widths or peer_args[0]),
        peer_args[1],
        args.repeats or peer_args[2],
    )
    if args.only and args.cache is None:
        parser.error("--only needs --cache")
    sections = args.only or SECTIONS
    shard, shards = (int(k) for k in args.shard.split("/"))
    widths, depth = peer_args[0][::2], peer_args[1]
    compute: dict[str, Callable[[], Any]] = {
        "cold": cold_start,
        "peers": lambda: peer_speed(*peer_args),
        "profiles": lambda: {f"{w}×{depth}": profile(w, depth) for w in widths},
        "scale": lambda: scale(*scale_args),
    }
    stored_only = args.stored_only and not args.only
    parts = {
        name: _cached(args.cache, name, f, stored_only)
        for name, f in compute.items()
        if name in sections
    }
    missing = [name for name, part in parts.items() if part is None]
    parts = {name: part for name, part in parts.items() if part is not None}
    model_parts = []
    if "tightness" in sections:
        chosen = models[shard::shards] if args.only else models
        for spec in chosen[::-1] if args.reverse else chosen:
            name = "tightness-{}-{}-{}x{}".format(*spec)
            run = lambda s=spec: tightness([s], epochs, restarts, steps)  # noqa: E731
            part = _cached(args.cache, name, run, stored_only)
            if part is None:
                missing.append(name)
            else:
                model_parts.append(part)
    if args.only:
        return
    rows = [row for part in model_parts for row in part["value"]]
    seconds = {
        "wall": sum(p["wall_seconds"] for p in [*parts.values(), *model_parts]),
        "cpu": sum(p["cpu_seconds"] for p in [*parts.values(), *model_parts]),
    }
    meta = {
        "quick": args.quick,
        "seconds": seconds,
        "part_seconds": {k: [p["wall_seconds"], p["cpu_seconds"]] for k, p in parts.items()},
        "load_during_parts": [p["load"] for p in [*parts.values(), *model_parts]],
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "note": "timings taken on a shared 2-core machine under load from other jobs; "
        "BLAS (OpenBLAS, torch) limited to one thread on both sides",
        "training": {"epochs": epochs, "dataset": "digits", "learning_rate": 2e-3},
        "ascent": {"restarts": restarts, "steps": steps},
        "peer_timing": {"widths": peer_args[0], "depth": peer_args[1], "repeats": peer_args[2]},
        "not_measured": missing,
    }
    values = {k: p["value"] for k, p in parts.items()}
    name = "lipschitz_quick" if args.quick else "lipschitz"
    payload = {"meta": meta, "tightness": rows, **values}
    payload["cold_start"] = payload.pop("cold")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2, default=float))
    table = markdown(
        rows,
        values.get("peers", []),
        values.get("profiles", {}),
        values.get("cold", {}),
        values.get("scale", {}),
    )
    if missing:
        table += "\n\nNot measured in this run: " + ", ".join(missing) + "\n"
    (RESULTS / f"{name}.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
