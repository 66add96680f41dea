"""Local Lipschitz bounds (`bregmalib.lipschitz.local_lipschitz`) against projected-ascent lower
bounds, and against ECLipsE-Gen-Local (eclipse-nn 0.1.7) on standard networks.

    python benchmarks/local.py [--quick]

Digits MLPs 64-w-…-w-10 of every version (Bregman for sigmoid, tanh, atan and softplus; standard
and Euclidean for sigmoid and tanh), depth 2 and 4, are trained in float64 as
benchmarks/lipschitz.py trains them (`train_digits`, softplus at β = 1); random
Bregman networks of the same shapes are added. Around ``--inputs`` test inputs the ℓ₂ bound is
taken on ℓ₂ balls of radius 0.1 and 0.3 and on boxes of half-width 0.05, each ∩ the data
segment, and divided by the lower bound of `local_lower` on the same region (median, worst).
The peer ECLipsE-Gen-Local (algorithm Fast, ℓ₂ ball, no data segment) runs on the standard
networks beside our bound on the same unclipped ball; the timing row is 100 digits inputs on a
depth-4 width-128 network, warm. Writes benchmarks/results/local.{json,md}.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from lipschitz import benchmark_pair, train_digits  # noqa: E402

from bregmalib.data import load_digits  # noqa: E402
from bregmalib.lipschitz import (  # noqa: E402
    ball_region,
    box_region,
    local_lipschitz,
    local_lower,
    region_lipschitz,
)
from bregmalib.nn import Network, as_network, make_mlp  # noqa: E402

RESULTS = Path(__file__).parent / "results"
BREGMAN = ("sigmoid", "tanh", "atan", "softplus")
PEERS = ("sigmoid", "tanh")


def _trained(activation: str, version: str, depth: int, width: int, epochs: int) -> Any:
    model, accuracy = train_digits(activation, version, depth, width, epochs)
    data = load_digits(benchmark_pair(activation), dtype=jnp.float64)
    return as_network(model, dtype=jnp.float64), accuracy, data


def _random(activation: str, depth: int, width: int) -> Network:
    widths = (64, *([width] * depth))
    model = make_mlp(benchmark_pair(activation), widths, 10, "bregman", key=jax.random.key(1))
    return as_network(model, dtype=jnp.float64)


def _ratios(net: Network, x: np.ndarray, segment: tuple[float, float]) -> dict[str, Any]:
    lo, hi = segment
    regions = {
        "l2 0.1": ball_region(net, x, 0.1, "l2", segment),
        "l2 0.3": ball_region(net, x, 0.3, "l2", segment),
        "box 0.05": box_region(net, np.maximum(x - 0.05, lo), np.minimum(x + 0.05, hi)),
    }
    out = {}
    for name, region in regions.items():
        region_lipschitz(net, region)
        upper = region_lipschitz(net, region)
        lower = local_lower(net, region, "l2")
        ratio = upper.upper / lower
        if np.any(ratio < 1):
            raise AssertionError(f"{name}: an upper bound is below its lower bound")
        out[name] = {
            "median": float(np.median(ratio)),
            "worst": float(np.max(ratio)),
            "seconds": upper.seconds,
        }
    return out


def _eclipse(net: Network, x: np.ndarray, radius: float) -> tuple[np.ndarray, float]:
    from eclipse_nn.local_lipschitz import get_lip_estimates

    weights = [np.asarray(w) for w in net.weights] + [np.asarray(net.head_weight)]
    biases = [np.asarray(b) for b in net.biases] + [np.asarray(net.head_bias)]
    values, start = [], time.perf_counter()
    for row in x:
        with contextlib.redirect_stdout(io.StringIO()):
            value, _, _ = get_lip_estimates(
                weights, row, radius, actv=net.pair.name, biases=biases, algo="Fast"
            )
        values.append(float(value))
    return np.array(values), time.perf_counter() - start


def _peer(net: Network, x: np.ndarray, radius: float) -> dict[str, float]:
    local_lipschitz(net, x, radius)
    ours = local_lipschitz(net, x, radius)
    theirs, seconds = _eclipse(net, x, radius)
    return {
        "ours_median": float(np.median(ours.upper)),
        "eclipse_median": float(np.median(theirs)),
        "ours_over_eclipse_worst": float(np.max(ours.upper / theirs)),
        "ours_seconds": ours.seconds,
        "eclipse_seconds": seconds,
    }


def _timing(inputs: np.ndarray) -> dict[str, float]:
    net = _random("sigmoid", 4, 128)
    start = time.perf_counter()
    local_lipschitz(net, inputs, 0.1)
    cold = time.perf_counter() - start
    cpu = time.process_time()
    warm = min(local_lipschitz(net, inputs, 0.1).seconds for _ in range(3))
    warm_cpu = (time.process_time() - cpu) / 3
    return {
        "inputs": len(inputs),
        "cold_seconds": cold,
        "warm_seconds": warm,
        "warm_cpu_seconds": warm_cpu,
        "load": os.getloadavg()[0],
    }


def run(quick: bool, inputs: int, peer_inputs: int) -> dict[str, Any]:
    depths, epochs = ((2,), 5) if quick else ((2, 4), 30)
    rows = []
    for activation in BREGMAN:
        for depth in depths:
            net, accuracy, data = _trained(activation, "bregman", depth, 64, epochs)
            segment = (float(data.scaler.target_low), float(data.scaler.target_high))
            x = np.asarray(data.x_test[:inputs])
            rows.append(
                {"network": f"trained bregman {activation} {depth}x64", "accuracy": accuracy}
                | _ratios(net, x, segment)
            )
            if not quick:
                rows.append(
                    {"network": f"random bregman {activation} {depth}x64", "accuracy": None}
                    | _ratios(_random(activation, depth, 64), x, segment)
                )
    peers = []
    for activation in PEERS:
        for version in ("standard", "euclidean"):
            net, accuracy, data = _trained(activation, version, depths[-1], 64, epochs)
            segment = (float(data.scaler.target_low), float(data.scaler.target_high))
            x = np.asarray(data.x_test[:inputs])
            name = f"trained {version} {activation} {depths[-1]}x64"
            rows.append({"network": name, "accuracy": accuracy} | _ratios(net, x, segment))
            if version == "standard":
                for radius in (0.1, 0.3):
                    peer = _peer(net, x[:peer_inputs], radius)
                    peers.append({"network": name, "radius": radius, "inputs": peer_inputs} | peer)
    sigmoid_digits = load_digits("sigmoid", dtype=jnp.float64)
    timing = _timing(np.asarray(sigmoid_digits.x_test[:100]))
    return {"rows": rows, "peers": peers, "timing": timing, "machine": platform.platform()}


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Local Lipschitz bounds: upper / lower on ℓ₂ balls and boxes around digits inputs",
        "",
        "Generated by `python benchmarks/local.py`. Upper: `local_lipschitz` (ℓ₂); lower:",
        "`local_lower` (projected ascent) on the same region ∩ the data segment.",
        "",
        "| network | test acc. | ℓ₂ ε=0.1 median / worst | ℓ₂ ε=0.3 median / worst |"
        " box 0.05 median / worst |",
        "|---|---|---|---|---|",
    ]
    for row in result["rows"]:
        acc = "" if row["accuracy"] is None else f"{row['accuracy']:.3f}"
        cells = [f"{row[k]['median']:.2f} / {row[k]['worst']:.2f}" for k in RATIO_KEYS]
        lines.append(f"| {row['network']} | {acc} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Peer: ECLipsE-Gen-Local (eclipse-nn 0.1.7, Fast) on the same ℓ₂ balls "
        f"(the first {result['peers'][0]['inputs'] if result['peers'] else 0} inputs)",
        "",
        "| network | ε | ours (median) | ECLipsE (median) | worst ours/ECLipsE |"
        " ours s | ECLipsE s |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in result["peers"]:
        lines.append(
            f"| {p['network']} | {p['radius']} | {p['ours_median']:.3g} | "
            f"{p['eclipse_median']:.3g} | {p['ours_over_eclipse_worst']:.3f} | "
            f"{p['ours_seconds']:.3f} | {p['eclipse_seconds']:.3f} |"
        )
    t = result["timing"]
    lines += [
        "",
        f"Timing: {t['inputs']} digits inputs, random sigmoid Bregman 4×128, ℓ₂ ball 0.1: "
        f"{t['warm_seconds']:.2f} s warm ({t['warm_cpu_seconds']:.2f} s CPU, load "
        f"{t['load']:.1f} on {os.cpu_count()} cores), {t['cold_seconds']:.1f} s cold (with "
        "compilation).",
        "",
        f"Machine: {result['machine']}.",
    ]
    return "\n".join(lines) + "\n"


RATIO_KEYS = ("l2 0.1", "l2 0.3", "box 0.05")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="depth 2 only, 5 epochs, no random networks"
    )
    parser.add_argument("--inputs", type=int, default=100, help="test inputs per network")
    parser.add_argument(
        "--peer-inputs", type=int, default=100, help="of those, inputs given to ECLipsE-Gen-Local"
    )
    args = parser.parse_args()
    result = run(args.quick, args.inputs, args.peer_inputs)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "local.json").write_text(json.dumps(result, indent=2))
    (RESULTS / "local.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
