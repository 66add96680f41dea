"""Training benchmark for issue 4: BregmaNet MLPs against standard and Euclidean baselines.

1. Test accuracy on scikit-learn's digits for sigmoid, tanh and atan × bregman, standard and
   euclidean, 3-hidden-layer width-64 MLPs, all with the same budget (Adam 3e-3, batches of 64,
   at most 100 epochs, early stopping on a 10 % validation split with patience 15), over seeds.
   Target: every Bregman MLP ≥ 95 %.
2. Wall time to train a 3-layer width-64 MLP to convergence (early stop), JIT compilation
   included. Target: ≤ 60 s.
3. The small residual conv net (Bregman skip) on digits, for reference.

Writes benchmarks/results/training.json and training.png. Timings are taken on a shared,
loaded 2-core machine (other jobs were running). Run: python benchmarks/training.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import jax
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from tqdm.auto import tqdm

from bregmalib.data import load_digits
from bregmalib.nn import VERSIONS, make_mlp, make_resnet
from bregmalib.train import TrainConfig, train

RESULTS = Path(__file__).resolve().parent / "results"
ACTIVATIONS = ("sigmoid", "tanh", "atan")
WIDTHS = (64, 64, 64, 64)
TARGET_ACCURACY = 0.95
TARGET_SECONDS = 60.0


def accuracy_table(seeds: int, epochs: int) -> list[dict]:
    rows = []
    jobs = [(a, v, s) for a in ACTIVATIONS for v in VERSIONS for s in range(seeds)]
    for name, version, seed in tqdm(jobs, desc="digits MLPs"):
        data = load_digits(name)
        config = TrainConfig(
            learning_rate=3e-3, batch_size=64, epochs=epochs, patience=15, seed=seed
        )
        start = time.perf_counter()
        model = make_mlp(name, WIDTHS, data.n_classes, version, key=jax.random.PRNGKey(seed))
        result = train(model, data, config, progress=False)
        rows.append(
            {
                "activation": name,
                "version": version,
                "seed": seed,
                "test_accuracy": result.test_accuracy,
                "train_accuracy": result.train_accuracy,
                "best_epoch": result.best_epoch,
                "epochs_run": len(result.history),
                "stopped_early": result.stopped_early,
                "seconds_total": time.perf_counter() - start,
                "val_accuracy_curve": [h["val_accuracy"] for h in result.history],
            }
        )
    return rows


def summarise(rows: list[dict]) -> list[dict]:
    summary = []
    for name in ACTIVATIONS:
        for version in VERSIONS:
            acc = [
                r["test_accuracy"]
                for r in rows
                if r["activation"] == name and r["version"] == version
            ]
            secs = [
                r["seconds_total"]
                for r in rows
                if r["activation"] == name and r["version"] == version
            ]
            summary.append(
                {
                    "activation": name,
                    "version": version,
                    "test_accuracy_mean": float(np.mean(acc)),
                    "test_accuracy_std": float(np.std(acc)),
                    "test_accuracy_min": float(np.min(acc)),
                    "seconds_mean": float(np.mean(secs)),
                    "runs": len(acc),
                }
            )
    return summary


def resnet_run(epochs: int) -> dict:
    data = load_digits("atan")
    model = make_resnet("atan", (8, 8, 16), data.n_classes, "bregman", key=jax.random.PRNGKey(0))
    start = time.perf_counter()
    result = train(
        model, data, TrainConfig(learning_rate=3e-3, epochs=epochs, patience=10), progress=False
    )
    return {
        "activation": "atan",
        "version": "bregman",
        "channels": [8, 8, 16],
        "test_accuracy": result.test_accuracy,
        "epochs_run": len(result.history),
        "seconds_total": time.perf_counter() - start,
    }


def figure(rows: list[dict], summary: list[dict], path: Path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    offsets = {v: (i - 1) * 0.27 for i, v in enumerate(VERSIONS)}
    for version in VERSIONS:
        cells = [s for s in summary if s["version"] == version]
        axes[0].bar(
            np.arange(len(ACTIVATIONS)) + offsets[version],
            [c["test_accuracy_mean"] for c in cells],
            0.27,
            yerr=[c["test_accuracy_std"] for c in cells],
            label=version,
        )
    axes[0].axhline(TARGET_ACCURACY, color="k", ls="--", lw=1, label="target (Bregman)")
    axes[0].set(
        xticks=range(len(ACTIVATIONS)),
        xticklabels=ACTIVATIONS,
        ylim=(0.85, 1.0),
        ylabel="test accuracy",
        title="digits, 3×64 MLP, same budget",
    )
    axes[0].legend(fontsize=8, loc="lower right")
    for r in rows:
        if r["seed"] == 0:
            axes[1].plot(
                r["val_accuracy_curve"],
                lw=1,
                ls={"bregman": "-", "standard": "--", "euclidean": ":"}[r["version"]],
                label=f"{r['activation']} {r['version']}",
            )
    axes[1].set(
        xlabel="epoch",
        ylabel="validation accuracy",
        ylim=(0.8, 1.0),
        title="learning curves (seed 0)",
    )
    axes[1].legend(fontsize=6, ncol=3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 seed, 40 epochs, no conv net")
    args = parser.parse_args()
    seeds, epochs = (1, 40) if args.quick else (3, 100)
    load_start = os.getloadavg()
    start = time.perf_counter()
    rows = accuracy_table(seeds, epochs)
    summary = summarise(rows)
    timing = next(
        r
        for r in rows
        if r["activation"] == "atan" and r["version"] == "bregman" and r["seed"] == 0
    )
    results = {
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "jax": jax.__version__,
            "load_average_start": load_start,
            "load_average_end": os.getloadavg(),
            "note": "shared 2-core machine under load from other jobs; timings are upper estimates",
        },
        "quick": args.quick,
        "budget": {
            "widths": list(WIDTHS),
            "learning_rate": 3e-3,
            "batch_size": 64,
            "max_epochs": epochs,
            "patience": 15,
            "validation_fraction": 0.1,
            "seeds": seeds,
            "dtype": "float32",
        },
        "summary": summary,
        "runs": [{k: v for k, v in r.items() if k != "val_accuracy_curve"} for r in rows],
        "targets": {
            "bregman_accuracy_at_least_0.95": {
                s["activation"]: s["test_accuracy_min"] >= TARGET_ACCURACY
                for s in summary
                if s["version"] == "bregman"
            },
            "time_to_convergence_atan_bregman_3x64_seconds": timing["seconds_total"],
            "time_target_met": timing["seconds_total"] <= TARGET_SECONDS,
            "time_run_stopped_early": timing["stopped_early"],
        },
        "resnet": None if args.quick else resnet_run(epochs),
    }
    results["seconds"] = time.perf_counter() - start
    RESULTS.mkdir(exist_ok=True)
    figure(rows, summary, RESULTS / "training.png")
    (RESULTS / "training.json").write_text(json.dumps(results, indent=2) + "\n")
    for s in summary:
        print(
            f"{s['activation']:8s} {s['version']:10s} "
            f"{s['test_accuracy_mean']:.4f} ± {s['test_accuracy_std']:.4f} "
            f"(min {s['test_accuracy_min']:.4f}, {s['seconds_mean']:.1f} s)"
        )
    print(json.dumps(results["targets"], indent=1))
    if results["resnet"]:
        print("resnet:", results["resnet"])


if __name__ == "__main__":
    main()
