"""Robustness of standard, Euclidean and Bregman MLPs on digits, and what Lipschitz bounds predict.

    python benchmarks/robustness.py [--quick]

For sigmoid, tanh and atan, MLPs 64-32-32-10 of the three versions (equal width and depth) are
trained in float64 with Adam (`bregmalib.train`) until their clean test accuracy is matched to a
common target (the model, evaluated every few steps, whose accuracy is closest to the target).
Each is attacked with PGD (ℓ∞, ℓ₂; one FGSM start and random restarts) and Gaussian noise,
certified with the ℓ₂ radius margin / (√2·L) (global and local bounds of `bregmalib.lipschitz`),
and its global and local upper and lower Lipschitz bounds are recorded. Spearman's ρ between each
Lipschitz figure and the empirical robustness across models comes with a bootstrap 95 % interval.

ε, σ and radii are fractions of the raw pixel range [0, 16], i.e. multiplied by the length of
the data segment inside the activation's interval (0.9 for sigmoid, 1.8 for tanh, 0.9π for atan),
and Lipschitz figures are likewise expressed per unit of that fraction (L × segment length), so
that activations are comparable. Writes benchmarks/results/robustness.{json,md,png}.
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
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402
from tqdm.auto import tqdm  # noqa: E402

from bregmalib.data import Dataset, load_digits  # noqa: E402
from bregmalib.lipschitz import (  # noqa: E402
    ball_region,
    best_lower,
    lower_bounds,
    make_box,
)
from bregmalib.lipschitz import local_lower as local_lower_bound  # noqa: E402
from bregmalib.nn import MLP, Version, as_network, make_mlp  # noqa: E402
from bregmalib.robust import (  # noqa: E402
    Certificates,
    InputDomain,
    certify,
    input_domain,
    noise_accuracy,
    pgd,
)
from bregmalib.train import TrainConfig, accuracy, train  # noqa: E402

RESULTS = Path(__file__).parent / "results"
ACTIVATIONS = ("sigmoid", "tanh", "atan")
VERSIONS: tuple[Version, ...] = ("standard", "euclidean", "bregman")
WIDTHS = (64, 32, 32)
EPSILONS = (0.05, 0.1, 0.2)
SIGMAS = (0.1, 0.2)
RADII = (0.01, 0.02, 0.05)
LOCAL_HALF_WIDTH = 0.1
TARGET = 0.92
EVAL_EVERY = 1


def train_to_target(
    activation: str, version: Version, data: Dataset, seed: int, max_epochs: int, n_test: int
) -> tuple[MLP, float, int]:
    """`bregmalib.train` with Adam (lr 1e-2, batch 64, no validation split) in float64; every
    `EVAL_EVERY` steps the clean accuracy on the evaluated test points (the first ``n_test``) is
    measured and the model closest to `TARGET` is kept; stop once one is within 0.25 point."""
    model = make_mlp(
        activation, WIDTHS, data.n_classes, version, key=jax.random.key(seed), dtype=jnp.float64
    )
    x_eval, y_eval = data.x_test[:n_test], data.y_test[:n_test]
    config = TrainConfig(
        learning_rate=1e-2,
        batch_size=64,
        epochs=max_epochs,
        patience=None,
        validation_fraction=0.0,
        seed=seed,
        eval_every=EVAL_EVERY,
    )
    result = train(
        model,
        data,
        config,
        score=lambda m: abs(accuracy(m, x_eval, y_eval) - TARGET),
        stop_at=0.0025,
        progress=False,
    )
    gap = min(h["score"] for h in result.history)
    return result.model, gap, result.best_step


def lipschitz_figures(
    model: MLP,
    x: np.ndarray,
    domain: InputDomain,
    cert: Certificates,
    n_local: int,
    key: jax.Array,
) -> dict[str, float]:
    """Global upper (from the certificate) and lower bounds on the segment; local upper
    (median over points) and local lower bounds on the ℓ₂ ball of radius r around the first
    ``n_local`` points."""
    net = as_network(model, dtype=jnp.float64)
    length = domain.upper - domain.lower
    k1, k2 = jax.random.split(key)
    glob = best_lower(
        lower_bounds(net, make_box(net, (domain.lower, domain.upper)), restarts=4, steps=40, key=k1)
    )
    half = LOCAL_HALF_WIDTH * length
    segment = (domain.lower, domain.upper)
    region = ball_region(net, x[:n_local], half, "l2", segment)
    local_lower = local_lower_bound(net, region, "l2", restarts=2, steps=30, key=k2)
    figures = {
        "global_upper": cert.global_lipschitz,
        "global_lower": glob.value,
        "local_upper_median": float(np.median(cert.local_lipschitz)),
        "local_upper_first": float(np.median(cert.local_lipschitz[:n_local])),
        "local_lower_median": float(np.median(local_lower)),
    }
    if figures["global_lower"] > figures["global_upper"] * (1 + 1e-9):
        raise RuntimeError(f"unsound global bound: {figures}")
    bad = np.asarray(local_lower) > cert.local_lipschitz[:n_local] * (1 + 1e-9)
    if bad.any():
        raise RuntimeError(f"unsound local bound at points {np.flatnonzero(bad)}")
    return {name: value * length for name, value in figures.items()} | {
        "global_method": cert.global_method
    }


def evaluate(
    model: MLP, data: Dataset, n_test: int, steps: int, restarts: int, n_local: int, seed: int
) -> dict[str, Any]:
    """Clean and attacked accuracies, certified accuracies and Lipschitz figures of one model."""
    domain = input_domain(data)
    length = domain.upper - domain.lower
    x = jnp.asarray(data.x_test[:n_test], jnp.float64)
    y = jnp.asarray(data.y_test[:n_test])
    key = jax.random.key(seed)
    out: dict[str, Any] = {"clean": accuracy(model, x, y)}
    for norm in ("linf", "l2"):
        for eps in EPSILONS:
            found = pgd(
                model,
                x,
                y,
                eps * length,
                domain,
                norm=norm,
                steps=steps,
                restarts=restarts,
                key=key,
            )
            if not bool(jnp.all(domain.contains(found.x))):
                raise RuntimeError("an attack left the input domain")
            out[f"pgd_{norm}_{eps}"] = found.accuracy
            out[f"_broken_{norm}_{eps}"] = np.asarray(found.broken)
    for sigma in SIGMAS:
        out[f"noise_{sigma}"] = noise_accuracy(
            model, x, y, sigma * length, domain, draws=8, key=key
        )
    cert = certify(
        model, np.asarray(x), np.asarray(y), domain, local_radius=LOCAL_HALF_WIDTH * length
    )
    radius = cert.radius / length
    for r in RADII:
        out[f"certified_l2_{r}"] = float(np.mean(cert.correct & (radius >= r)))
    out["certified_l2_0.05_global_only"] = float(
        np.mean(cert.correct & (cert.radius_global / length >= 0.05))
    )
    out["median_radius"] = float(np.median(radius))
    violations = 0
    for eps in EPSILONS:
        violations += int(np.sum(out.pop(f"_broken_l2_{eps}") & (radius >= eps)))
        violations += int(
            np.sum(out.pop(f"_broken_linf_{eps}") & (cert.radius_linf / length >= eps))
        )
    if violations:
        raise RuntimeError(f"{violations} certified points broken by PGD: a bug")
    out["lipschitz"] = lipschitz_figures(model, np.asarray(x), domain, cert, n_local, key)
    return out


def bootstrap_spearman(
    a: np.ndarray, b: np.ndarray, draws: int = 2000, seed: int = 0
) -> dict[str, float]:
    """Spearman's ρ(a, b) and the 2.5 % and 97.5 % percentiles of ρ over bootstrap resamples
    of the models."""
    rng = np.random.default_rng(seed)
    rho = float(spearmanr(a, b).statistic)
    samples = []
    for _ in range(draws):
        index = rng.integers(0, a.size, a.size)
        if np.unique(a[index]).size > 1 and np.unique(b[index]).size > 1:
            samples.append(spearmanr(a[index], b[index]).statistic)
    low, high = np.nanpercentile(samples, [2.5, 97.5])
    return {"rho": rho, "ci95": [float(low), float(high)], "models": int(a.size)}


def correlations(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """ρ between each Lipschitz figure and robust accuracy (PGD ℓ₂ and ℓ∞ at ε = 0.1)."""
    out = {}
    for target in ("pgd_l2_0.1", "pgd_linf_0.1", "noise_0.2"):
        robust = np.array([r[target] for r in rows])
        for figure in ("global_upper", "global_lower", "local_upper_median", "local_lower_median"):
            values = np.log(np.array([r["lipschitz"][figure] for r in rows]))
            out[f"{figure} vs {target}"] = bootstrap_spearman(values, robust)
    return out


def summarise(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Mean and standard deviation over seeds per (activation, version)."""
    table = {}
    keys = [k for k in rows[0] if k not in ("activation", "version", "seed", "lipschitz", "train")]
    for activation in ACTIVATIONS:
        for version in VERSIONS:
            group = [r for r in rows if r["activation"] == activation and r["version"] == version]
            if not group:
                continue
            entry = {
                k: [float(np.mean([g[k] for g in group])), float(np.std([g[k] for g in group]))]
                for k in keys
            }
            for name in (
                "global_upper",
                "global_lower",
                "local_upper_median",
                "local_lower_median",
            ):
                entry[f"L_{name}"] = float(
                    np.exp(np.mean([np.log(g["lipschitz"][name]) for g in group]))
                )
            table[f"{activation}/{version}"] = entry
    return table


def markdown(table: dict[str, Any], corr: dict[str, Any], meta: dict[str, Any]) -> str:
    cols = [
        "clean",
        "pgd_linf_0.05",
        "pgd_linf_0.1",
        "pgd_l2_0.1",
        "pgd_l2_0.2",
        "noise_0.2",
        "certified_l2_0.02",
        "certified_l2_0.05",
    ]
    lines = [
        "| model | " + " | ".join(cols) + " | L glob up | L glob low | L loc up | L loc low |",
        "|---" * (len(cols) + 5) + "|",
    ]
    for name, entry in table.items():
        cells = [f"{entry[c][0]:.3f}±{entry[c][1]:.3f}" for c in cols]
        lips = [
            f"{entry['L_' + n]:.3g}"
            for n in ("global_upper", "global_lower", "local_upper_median", "local_lower_median")
        ]
        lines.append(f"| {name} | " + " | ".join(cells + lips) + " |")
    lines += [
        "",
        "| Spearman ρ (log L vs robust accuracy) | ρ | 95 % bootstrap CI |",
        "|---|---|---|",
    ]
    for name, c in corr.items():
        lines.append(f"| {name} | {c['rho']:.2f} | [{c['ci95'][0]:.2f}, {c['ci95'][1]:.2f}] |")
    return "\n".join(
        [
            f"# Robustness benchmark ({meta['mode']})",
            "",
            meta["protocol"],
            "",
            *lines,
            "",
            "## What the data show",
            "",
            meta["findings"],
            "",
        ]
    )


def findings(table: dict[str, Any], clean_spread: list[float]) -> str:
    """Plain statements computed from the table (no hand-written numbers): a difference counts
    only when it exceeds both 1 point and the sum of the two seed standard deviations."""
    low, high = clean_spread
    out = [
        f"- Clean accuracies of all models lie in [{low:.3f}, {high:.3f}] (spread "
        f"{100 * (high - low):.1f} points) on the evaluated test points."
    ]
    tally = {"more": 0, "less": 0, "indistinguishable": 0}
    for activation in ACTIVATIONS:
        names = {v: f"{activation}/{v}" for v in VERSIONS if f"{activation}/{v}" in table}
        if len(names) < 3:
            continue
        for metric in ("pgd_linf_0.1", "pgd_l2_0.2", "noise_0.2", "certified_l2_0.02"):
            (b, sb), (s, ss) = table[names["bregman"]][metric], table[names["standard"]][metric]
            e = table[names["euclidean"]][metric][0]
            values = {"bregman": b, "standard": s, "euclidean": e}
            threshold = max(0.01, sb + ss)
            verdict = (
                "more"
                if b > s + threshold
                else ("less" if b < s - threshold else "indistinguishable")
            )
            tally[verdict] += 1
            out.append(
                f"- {activation}, {metric}: Bregman {b:.3f}±{sb:.3f} vs standard {s:.3f}±{ss:.3f} "
                f"(Euclidean {e:.3f}) → Bregman {verdict}"
                f"{'' if verdict == 'indistinguishable' else ' robust'}; "
                f"best: {max(values, key=values.get)}."
            )
    out.append(f"- Bregman vs standard over these settings: {tally}.")
    return "\n".join(out)


def plot(rows: list[dict[str, Any]], table: dict[str, Any], path: Path) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    width = 0.25
    for k, version in enumerate(VERSIONS):
        names = [f"{a}/{version}" for a in ACTIVATIONS if f"{a}/{version}" in table]
        xs = np.arange(len(names)) + k * width
        for ax, metric in zip(axes[:2], ("pgd_linf_0.1", "pgd_l2_0.2"), strict=True):
            ax.bar(
                xs,
                [table[n][metric][0] for n in names],
                width,
                yerr=[table[n][metric][1] for n in names],
                label=version,
            )
            ax.set_xticks(np.arange(len(names)) + width, [n.split("/")[0] for n in names])
            ax.set(title=f"accuracy under PGD {metric[4:]}", ylabel="accuracy")
        group = [r for r in rows if r["version"] == version]
        axes[2].scatter(
            [r["lipschitz"]["local_upper_median"] for r in group],
            [r["pgd_l2_0.1"] for r in group],
            label=version,
        )
    axes[2].set(
        xscale="log",
        xlabel="median local upper bound of L (pixel-fraction scale)",
        ylabel="accuracy under PGD ℓ₂ ε=0.1",
        title="Lipschitz vs robustness",
    )
    axes[0].legend()
    axes[2].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 seed, 100 test points")
    args = parser.parse_args(argv)
    seeds = (0,) if args.quick else (0, 1, 2)
    n_test, steps, restarts, n_local = (100, 10, 1, 3) if args.quick else (450, 20, 2, 8)
    max_epochs = 15 if args.quick else 30
    start = time.perf_counter()
    rows = []
    runs = [(a, v, s) for a in ACTIVATIONS for v in VERSIONS for s in seeds]
    for activation, version, seed in tqdm(runs, desc="models"):
        data = load_digits(activation, seed=0)
        t0 = time.perf_counter()
        model, gap, step = train_to_target(activation, version, data, seed, max_epochs, n_test)
        train_s = time.perf_counter() - t0
        row = {"activation": activation, "version": version, "seed": seed}
        row |= evaluate(model, data, n_test, steps, restarts, n_local, seed)
        row["train"] = {"steps": step, "gap_to_target": gap, "seconds": train_s}
        rows.append(row)
    table = summarise(rows)
    corr = correlations(rows)
    clean = [r["clean"] for r in rows]
    meta = {
        "mode": "quick" if args.quick else "full",
        "protocol": (
            f"MLPs {WIDTHS}→10 in float64, Adam lr 1e-2 batch 64; clean accuracy matched by "
            f"keeping the model (evaluated every {EVAL_EVERY} steps) whose accuracy on the "
            f"evaluated test points is closest to {TARGET}; attacks on the first {n_test} test "
            f"points; PGD {steps} steps, "
            f"1 FGSM start + {restarts} random restarts; ε, σ, radii as fractions of the pixel "
            f"range; local ℓ₂ balls of radius {LOCAL_HALF_WIDTH}; seeds {list(seeds)}. "
            "Timings under load on a shared 2-core CPU."
        ),
        "seconds": time.perf_counter() - start,
        "load_average": os.getloadavg(),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, shared with other jobs",
        "clean_spread_attack_subset": [float(min(clean)), float(max(clean))],
    }
    meta["findings"] = findings(table, meta["clean_spread_attack_subset"])
    RESULTS.mkdir(exist_ok=True)
    payload = {"meta": meta, "table": table, "spearman": corr, "runs": rows}
    (RESULTS / "robustness.json").write_text(json.dumps(payload, indent=1, default=float))
    (RESULTS / "robustness.md").write_text(markdown(table, corr, meta))
    plot(rows, table, RESULTS / "robustness.png")
    print(markdown(table, corr, meta))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
