"""Lipschitz bounds: tightness on trained digits MLPs, eclipse-nn side by side, and scale.

    python benchmarks/lipschitz.py [--quick]

Writes benchmarks/results/lipschitz.json and benchmarks/results/lipschitz.md. Timings are wall
clock on the machine that runs it (shared with other jobs while this was written: see "load").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("JAX_PLATFORMS", "cpu")
# one BLAS thread: on a shared 2-core machine multithreaded OpenBLAS is several times slower
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from tqdm.auto import tqdm  # noqa: E402

from bregmalib.data import load_digits, target_segment  # noqa: E402
from bregmalib.lipschitz import lipschitz_report, make_box  # noqa: E402
from bregmalib.lipschitz._lower import ascend_jacobian  # noqa: E402
from bregmalib.lipschitz._upper import (  # noqa: E402
    _eclipse_fast_value,
    eclipse_fast,
    norm_product,
    telescoping,
)
from bregmalib.nn import as_network, make_mlp, network_from_arrays  # noqa: E402
from bregmalib.train import TrainConfig, train  # noqa: E402

RESULTS = Path(__file__).parent / "results"


def _train(
    activation: str, version: str, depth: int, width: int, epochs: int, seed: int
) -> tuple[Any, float]:
    data = load_digits(activation, dtype=jnp.float64)
    widths = (64, *([width] * depth))
    model = make_mlp(activation, widths, 10, version, key=jax.random.key(seed), dtype=jnp.float64)
    config = TrainConfig(epochs=epochs, patience=epochs, seed=seed)
    result = train(model, data, config, progress=False)
    return result.model, result.test_accuracy


def _eclipse_peer(net: Any) -> dict[str, float]:
    """eclipse-nn 0.1.7 (ECLipsE-Fast and ECLipsE) on the same weights, exported to PyTorch."""
    import torch
    from eclipse_nn import ECLipsE, ECLipsE_Fast

    torch.set_num_threads(1)  # the same single thread as our NumPy/LAPACK side

    weights = [
        torch.tensor(np.asarray(w), dtype=torch.float64) for w in (*net.weights, net.head_weight)
    ]
    lip = float(net.pair.lipschitz)
    alphas, betas = [0.0] * net.depth, [lip] * net.depth
    out: dict[str, float] = {}
    start = time.perf_counter()
    out["eclipse_fast"] = float(ECLipsE_Fast(weights, alphas, betas))
    out["eclipse_fast_seconds"] = time.perf_counter() - start
    start = time.perf_counter()
    value, code = ECLipsE(weights, alphas, betas)
    out["eclipse"] = float("nan") if value is None else float(value)  # None: SDP failed
    out["eclipse_exit_code"] = int(code)
    out["eclipse_seconds"] = time.perf_counter() - start
    return out


def _our_eclipse_seconds(net: Any, repeats: int = 5) -> float:
    lip = float(net.pair.lipschitz)
    scaled = [lip * np.asarray(w) for w in net.weights]
    head = np.asarray(net.head_weight)
    _eclipse_fast_value(scaled, head)
    start = time.perf_counter()
    for _ in range(repeats):
        _eclipse_fast_value(scaled, head)
    return (time.perf_counter() - start) / repeats


def tightness(
    models: list[tuple[str, str, int, int]], epochs: int, restarts: int, steps: int
) -> list[dict]:
    rows = []
    for activation, version, depth, width in tqdm(models, desc="tightness"):
        model, accuracy = _train(activation, version, depth, width, epochs, seed=0)
        net = as_network(model)
        a, b = target_segment(net.pair)
        for domain_name, domain in (("global", None), ("data box", (a, b))):
            report = lipschitz_report(net, domain, restarts=restarts, steps=steps)
            baseline = "norm-product" if version == "standard" else "layer-product"
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
                row.update(_eclipse_peer(net))
                row["our_eclipse_fast_seconds"] = _our_eclipse_seconds(net)
            rows.append(row)
    return rows


def scale(width: int, depth: int, restarts: int, steps: int) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=(width, width)) / np.sqrt(width) for _ in range(depth)]
    biases = [0.1 * rng.normal(size=width) for _ in range(depth)]
    head = rng.normal(size=(10, width)) / np.sqrt(width)
    out: dict[str, Any] = {"width": width, "depth": depth}
    for version in ("standard", "bregman"):
        import bregmalib.legendre as legendre

        net = network_from_arrays(weights, biases, legendre.get("tanh"), version, head_weight=head)
        box = make_box(net)
        methods = (norm_product, eclipse_fast) if version == "standard" else (telescoping,)
        for method in methods:
            method(net, box)  # warm-up (compilation, caches)
            bound = method(net, box)
            out[f"{version}_{bound.method}"] = bound.value
            out[f"{version}_{bound.method}_seconds"] = bound.seconds
    net32 = network_from_arrays(
        weights, biases, legendre.get("tanh"), "standard", head_weight=head, dtype=jnp.float32
    )
    box = make_box(net32)
    ascend_jacobian(net32, box, restarts=restarts, steps=steps)  # compilation
    found = ascend_jacobian(net32, box, restarts=restarts, steps=steps, key=jax.random.key(5))
    out.update(lower=found.value, lower_seconds=found.seconds, restarts=restarts, steps=steps)
    return out


def _median(values: list[float]) -> float:
    return float(np.median(values)) if values else float("nan")


def markdown(rows: list[dict], scaled: dict[str, Any]) -> str:
    lines = [
        "| activation | version | depth×width | acc. | domain | lower | best upper (method) | "
        "ratio | product ratio |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['activation']} | {r['version']} | {r['depth']}×{r['width']} | "
            f"{r['test_accuracy']:.3f} | {r['domain']} | {r['lower']:.4g} | "
            f"{r['upper']:.4g} ({r['method']}) | {r['ratio']:.3g} | {r['baseline_ratio']:.3g} |"
        )
    lines += [
        "",
        "| version | domain | median ratio (best) | median ratio (product of norms) |",
        "|---|---|---|---|",
    ]
    for version in ("standard", "bregman"):
        for domain in ("global", "data box"):
            sel = [r for r in rows if r["version"] == version and r["domain"] == domain]
            lines.append(
                f"| {version} | {domain} | {_median([r['ratio'] for r in sel]):.3g} | "
                f"{_median([r['baseline_ratio'] for r in sel]):.3g} |"
            )
    peers = [r for r in rows if "eclipse_fast" in r]
    if peers:
        lines += [
            "",
            "| model | ours (best) | ours ECLipsE-Fast | eclipse-nn ECLipsE-Fast "
            "| eclipse-nn ECLipsE | our / their Fast time |",
            "|---|---|---|---|---|---|",
        ]
        for r in peers:
            ours_ms = r["our_eclipse_fast_seconds"] * 1e3
            theirs_ms = r["eclipse_fast_seconds"] * 1e3
            lines.append(
                f"| {r['activation']} {r['depth']}×{r['width']} | {r['upper']:.4g} | "
                f"{r['uppers']['eclipse-fast']:.4g} | {r['eclipse_fast']:.4g} | "
                f"{r['eclipse']:.4g} | {ours_ms:.2f} ms / {theirs_ms:.2f} ms |"
            )
    lines += [
        "",
        f"Scale ({scaled['width']}×{scaled['depth']}, tanh): "
        + ", ".join(f"{k} {v:.3g}" for k, v in scaled.items() if k.endswith("seconds")),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="two small models, short ascent")
    args = parser.parse_args()
    if args.quick:
        models = [(a, v, 2, 64) for a in ("sigmoid", "atan") for v in ("bregman", "standard")]
        epochs, restarts, steps = 3, 8, 60
        scale_args = (256, 6, 16, 20)
    else:
        models = [
            (a, v, d, w)
            for a in ("sigmoid", "tanh", "atan")
            for v in ("bregman", "standard")
            for d, w in ((2, 64), (4, 64), (6, 128))
        ]
        epochs, restarts, steps = 15, 16, 150
        scale_args = (1024, 20, 64, 30)
    start = time.perf_counter()
    rows = tightness(models, epochs, restarts, steps)
    scaled = scale(*scale_args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    meta = {
        "quick": args.quick,
        "seconds": time.perf_counter() - start,
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "load": os.getloadavg(),
        "note": "timings taken on a shared 2-core machine under load from other jobs; "
        "BLAS (OpenBLAS, torch) limited to one thread on both sides",
        "training": {"epochs": epochs, "dataset": "digits"},
        "ascent": {"restarts": restarts, "steps": steps},
    }
    name = "lipschitz_quick" if args.quick else "lipschitz"
    payload = {"meta": meta, "tightness": rows, "scale": scaled}
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2, default=float))
    table = markdown(rows, scaled)
    (RESULTS / f"{name}.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
