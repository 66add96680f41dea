"""Flow comparison (issue 6): the invertible Bregman flow against an i-ResNet flow of the same
size (parameter count), trained by maximum likelihood with the same budget (steps, batch,
learning rate) on the 2-D densities of bregmalib.data.

Reports test log-likelihood, round-trip inversion error, inversion iterations and time; writes
benchmarks/results/flows.json and flows_densities.png. Timings are taken on a shared, loaded
2-core CPU. Run: python benchmarks/flows.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from bregmalib import flows  # noqa: E402
from bregmalib.data import DENSITIES, sample_density  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
BOUNDS = (-4.0, 4.0, -4.0, 4.0)


def run(steps: int, blocks: int, hidden: int, seed: int = 0) -> dict:
    n_layers = flows.bregman_layers_matching(blocks, hidden)
    rows, grids = [], {}
    for density in DENSITIES:
        train = sample_density(density, 20_000, seed=seed)
        test = sample_density(density, 5_000, seed=seed + 1)
        models = {
            "bregman": flows.make_bregman_flow(n_layers, key=jax.random.key(seed), data=train),
            "i_resnet": flows.make_residual_flow(blocks, hidden, key=jax.random.key(seed),
                                                 data=train),
        }
        for name, model in models.items():
            fit = flows.fit_flow(model, train, steps=steps, batch_size=256, learning_rate=1e-2,
                                 seed=seed)
            row = {
                "density": density,
                "flow": name,
                "parameters": flows.parameter_count(model),
                "depth": n_layers if name == "bregman" else blocks,
                "train_seconds": fit.seconds,
                "final_train_nll": fit.losses[-1],
                **flows.evaluate_flow(fit.flow, test),
            }
            rows.append(row)
            grids[(density, name)] = flows.density_grid(fit.flow, BOUNDS, resolution=120)
            print(f"{density:16s} {name:9s} test log-lik {row['test_log_likelihood']:+.4f}  "
                  f"inversion error {row['inversion_error']:.1e}  train {fit.seconds:.0f} s")
    figure(grids)
    return {"steps": steps, "batch_size": 256, "learning_rate": 1e-2,
            "i_resnet": {"blocks": blocks, "hidden": hidden, "coefficient": 0.9},
            "bregman": {"layers": n_layers, "activation": "tanh", "margin": 0.1}, "rows": rows}


def figure(grids: dict) -> None:
    fig, axes = plt.subplots(len(DENSITIES), 3, figsize=(9, 3 * len(DENSITIES)))
    for i, density in enumerate(DENSITIES):
        sample = sample_density(density, 4000, seed=7)
        axes[i, 0].hist2d(sample[:, 0], sample[:, 1], bins=100,
                          range=[BOUNDS[:2], BOUNDS[2:]], cmap="viridis")
        axes[i, 0].set_title(f"{density}: data")
        for j, name in enumerate(("bregman", "i_resnet"), start=1):
            xs, ys, p = grids[(density, name)]
            axes[i, j].pcolormesh(xs, ys, p, cmap="viridis", shading="auto")
            axes[i, j].set_title(f"{name} flow")
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_aspect("equal")
    fig.tight_layout()
    fig.savefig(RESULTS / "flows_densities.png", dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (200 steps)")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    report = run(steps=200 if args.quick else 2000, blocks=4, hidden=32)
    report["quick"] = args.quick
    report["machine"] = "shared 2-core CPU under load from other jobs: timings are indicative"
    report["seconds"] = time.perf_counter() - start
    (RESULTS / "flows.json").write_text(json.dumps(report, indent=2))
    print(f"done in {report['seconds']:.0f} s; results in {RESULTS}")


if __name__ == "__main__":
    main()
