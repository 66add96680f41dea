"""Inversion benchmark for square Bregman layers (issue 6).

1. Monotone regime: 64-d layers with monotone W of spectral norm up to 10 (contraction fails):
   damped Newton from 100 random starts per layer (target: residual ≤ 1e-10 in ≤ 15 iterations),
   fixed-point iteration from the default start beside it.
2. Contraction regime, L_σ‖W‖₂ = 0.9: evaluations of F to reach 1e-10, Newton vs fixed point.
3. Log-determinant: the Hutchinson power series against the exact slogdet (bias by truncation).
4. Generality of the certificates: fraction of random W certified by (a), (b), (c), and the time
   of the exact vertex test against n.

Writes benchmarks/results/inversion.json and inversion_*.png. Timings are taken on a shared,
loaded 2-core machine. Run: python benchmarks/inversion.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from tqdm.auto import tqdm  # noqa: E402

from bregmalib import invert as inv  # noqa: E402
from bregmalib import legendre  # noqa: E402
from bregmalib.nn import Layer  # noqa: E402
from bregmalib.nn import functional as F  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
WIDTH = 64
TOL = 1e-10
#: float64 rounding of the exact slogdet and of the summed series (|bias| is not measurable below)
ROUNDING_FLOOR = 1e-12


def bregman_layer(weight, bias, pair: legendre.LegendrePair) -> Layer:
    """The square Bregman layer (W, b, V = I) in float64."""
    weight = jnp.asarray(weight, jnp.float64)
    b = jnp.zeros(weight.shape[0]) if bias is None else jnp.asarray(bias, jnp.float64)
    return Layer(weight, b, None, pair, "bregman")


def margins(layer: Layer, *conditions: str) -> dict:
    """The margins of the named certificates of a layer."""
    certs = inv.certify_invertibility(layer, conditions=conditions)
    return {name: cert.margin for name, cert in certs.items()}


def monotone_regime(pairs: list[str], norms: list[float], layers: int, starts: int) -> dict:
    rng = np.random.default_rng(0)
    rows = []
    for name in tqdm(pairs, desc="monotone regime"):
        pair = legendre.get(name)
        for norm in norms:
            if norm < 1.0 / pair.lipschitz - 0.1:
                continue
            for seed in range(layers):
                a = rng.normal(size=(WIDTH, WIDTH)) / np.sqrt(WIDTH)
                b = rng.normal(size=(WIDTH, WIDTH)) / np.sqrt(WIDTH)
                w = inv.monotone_weight_with_norm(a, b, pair, norm)
                bias, u_true = rng.normal(size=WIDTH), 3.0 * rng.normal(size=WIDTH)
                layer = bregman_layer(w, bias, pair)
                v = F.dual_forward(layer, u_true)
                u0 = 10.0 * rng.normal(size=(starts, WIDTH))
                solve = jax.jit(jax.vmap(lambda s, layer=layer, v=v: inv.solve_dual(
                    layer, v, u0=s, tol=TOL, max_iter=100, throw=False)))
                newton = solve(u0)
                fixed = inv.solve_dual(layer, v, method="fixed_point", tol=TOL, max_iter=1000,
                                       throw=False)
                margin = margins(layer, "contraction", "monotone")
                rows.append({
                    "activation": name,
                    "norm": norm,
                    "seed": seed,
                    "contraction_margin": margin["contraction"],
                    "monotone_margin": margin["monotone"],
                    "newton_max_iterations": int(newton.iterations.max()),
                    "newton_median_iterations": float(np.median(newton.iterations)),
                    "newton_max_residual": float(newton.residual.max()),
                    "newton_all_converged": bool(newton.converged.all()),
                    "newton_max_error": float(jnp.max(jnp.abs(newton.dual - u_true))),
                    "fixed_point_converged": bool(fixed.converged),
                    "fixed_point_residual_after_1000": float(fixed.residual),
                })
    worst = max(r["newton_max_iterations"] for r in rows)
    return {
        "width": WIDTH,
        "starts_per_layer": starts,
        "start_distribution": "u0 ~ N(0, 10² I) (dual coordinates); target from u* ~ N(0, 3² I)",
        "rows": rows,
        "worst_newton_iterations": worst,
        "all_converged": all(r["newton_all_converged"] for r in rows),
        "max_residual": max(r["newton_max_residual"] for r in rows),
        "target_met": worst <= 15 and all(r["newton_all_converged"] for r in rows),
        "fixed_point_converged_fraction": float(
            np.mean([r["fixed_point_converged"] for r in rows])
        ),
    }


def residual_curve(layer: Layer, v, method: str, max_iter: int) -> list[tuple[int, float]]:
    """(evaluations, residual) after each iteration, by re-running with a growing cap."""
    curve = []
    for cap in range(1, max_iter + 1):
        r = inv.solve_dual(layer, v, method=method, tol=TOL, max_iter=cap, throw=False)
        curve.append((int(r.evaluations), float(r.residual)))
        if bool(r.converged):
            break
    return curve


def contraction_regime(pairs: list[str], layers: int, starts: int) -> dict:
    rng = np.random.default_rng(1)
    rows, curves = [], {}
    for name in tqdm(pairs, desc="contraction regime"):
        pair = legendre.get(name)
        for seed in range(layers):
            w = inv.contractive_weight(rng.normal(size=(WIDTH, WIDTH)), pair, coefficient=0.9)
            bias, u_true = rng.normal(size=WIDTH), 3.0 * rng.normal(size=WIDTH)
            layer = bregman_layer(w, bias, pair)
            v = F.dual_forward(layer, u_true)
            u0 = 3.0 * rng.normal(size=(starts, WIDTH))
            row = {"activation": name, "seed": seed,
                   "lipschitz_times_norm": 1.0 - margins(layer, "contraction")["contraction"]}
            for method in ("newton", "fixed_point"):
                solve = jax.jit(jax.vmap(lambda s, m=method, layer=layer, v=v:
                                         inv.solve_dual(layer, v, u0=s, method=m, tol=TOL,
                                                        max_iter=2000, throw=False)))
                result = jax.block_until_ready(solve(u0))
                start = time.perf_counter()
                jax.block_until_ready(solve(u0))
                row[method] = {
                    "median_evaluations": float(np.median(result.evaluations)),
                    "max_evaluations": int(result.evaluations.max()),
                    "median_iterations": float(np.median(result.iterations)),
                    "all_converged": bool(result.converged.all()),
                    "seconds_per_solve": (time.perf_counter() - start) / starts,
                }
            rows.append(row)
            if seed == 0:
                curves[name] = {m: residual_curve(layer, v, m, 400)
                                for m in ("newton", "fixed_point")}
    return {"width": WIDTH, "starts_per_layer": starts, "rows": rows, "curves": curves}


def series_bias(coefficients: list[float], terms: list[int], probes: int) -> dict:
    rng = np.random.default_rng(2)
    pair = legendre.get("tanh")
    rows = []
    for c in coefficients:
        w = inv.contractive_weight(rng.normal(size=(WIDTH, WIDTH)), pair, coefficient=c)
        u = rng.normal(size=WIDTH)
        layer = bregman_layer(w, None, pair)
        exact = float(F.dual_log_abs_det(layer, u))
        a = np.asarray(w) * np.asarray(pair.derivative(u))[None, :]
        power, truncated = np.eye(WIDTH), 0.0
        exact_series = {}
        for k in range(1, max(terms) + 1):
            power = power @ a
            truncated += (-1) ** (k + 1) * np.trace(power) / k
            exact_series[k] = truncated
        for k in terms:
            est = inv.series_log_det(layer, u, jax.random.key(k), n_terms=k, n_probes=probes)
            rows.append({
                "coefficient": c, "n_terms": k, "exact": exact,
                "bias": exact_series[k] - exact,
                "truncation_bound": float(est.truncation_bound),
                "estimate": float(est.estimate),
                "standard_error": float(est.standard_error),
                "error": float(est.estimate) - exact,
            })
    return {"width": WIDTH, "probes": probes, "rows": rows,
            "rounding_floor": ROUNDING_FLOOR,
            "bias_within_bound": all(abs(r["bias"]) <= r["truncation_bound"] + ROUNDING_FLOOR
                                     for r in rows)}


def certificate_generality(n: int, scales: list[float], samples: int) -> dict:
    rng = np.random.default_rng(3)
    pair = legendre.get("tanh")
    rows = []
    for s in tqdm(scales, desc="certificate generality"):
        counts = {"contraction": 0, "monotone": 0, "vertex": 0, "not_invertible": 0}
        for _ in range(samples):
            layer = bregman_layer(s * rng.normal(size=(n, n)) / np.sqrt(n), None, pair)
            certs = inv.certify_invertibility(layer)
            for key in ("contraction", "monotone", "vertex"):
                counts[key] += certs[key].holds
            counts["not_invertible"] += certs["vertex"].verdict == "not_invertible"
        rows.append({"scale": s, **{k: v / samples for k, v in counts.items()}})
    timing = []
    for size in (4, 8, 12, 14, 16):
        w = inv.monotone_weight_with_norm(rng.normal(size=(size, size)),
                                          rng.normal(size=(size, size)), pair, 3.0)
        layer = bregman_layer(w, None, pair)
        start = time.perf_counter()
        inv.certify_invertibility(layer, conditions=("vertex",))
        timing.append({"n": size, "seconds": time.perf_counter() - start})
    return {"n": n, "samples": samples, "rows": rows, "exact_vertex_timing": timing}


def figures(report: dict) -> None:
    mono = report["monotone_regime"]["rows"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    for name in sorted({r["activation"] for r in mono}):
        pts = [(r["norm"], r["newton_max_iterations"]) for r in mono if r["activation"] == name]
        axes[0].plot(*zip(*pts, strict=True), "o", label=name, alpha=0.7)
    axes[0].axhline(15, color="k", ls="--", lw=1, label="target 15")
    axes[0].set(xlabel="‖W‖₂ (monotone W, 64-d)", ylabel="max Newton iterations (100 starts)",
                title="Damped Newton beyond contraction")
    axes[0].legend(fontsize=7)
    for name, curve in report["contraction_regime"]["curves"].items():
        for method, style in (("newton", "-"), ("fixed_point", ":")):
            ev, res = zip(*curve[method], strict=True)
            axes[1].semilogy(ev, res, style, label=f"{name} {method}")
    axes[1].axhline(TOL, color="k", lw=1)
    axes[1].set(xlabel="evaluations of F", ylabel="‖F(u) − v‖_∞",
                title="Contraction regime, L_σ‖W‖₂ = 0.9")
    axes[1].legend(fontsize=7)
    series = report["series_log_det"]["rows"]
    for c in sorted({r["coefficient"] for r in series}):
        pts = [(r["n_terms"], abs(r["bias"]), r["truncation_bound"]) for r in series
               if r["coefficient"] == c]
        k, bias, bound = zip(*pts, strict=True)
        line, = axes[2].semilogy(k, bias, "o-", label=f"|bias|, L‖W‖ = {c}")
        axes[2].semilogy(k, bound, "--", color=line.get_color(), lw=1)
    axes[2].set(xlabel="series terms K", ylabel="|truncated series − log det|",
                title="Power-series log-det bias (dashed: bound)")
    axes[2].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(RESULTS / "inversion_solvers.png", dpi=120)
    gen = report["certificate_generality"]["rows"]
    fig, ax = plt.subplots(figsize=(6, 4))
    for key in ("contraction", "monotone", "vertex", "not_invertible"):
        ax.plot([r["scale"] for r in gen], [r[key] for r in gen], "o-", label=key)
    ax.set(xlabel="scale s of W ~ N(0, s²/n)", ylabel="fraction certified",
           title=f"Certificates on random {report['certificate_generality']['n']}×"
                 f"{report['certificate_generality']['n']} W (tanh)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(RESULTS / "inversion_certificates.png", dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (fewer layers)")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    quick = args.quick
    pairs = ["tanh", "atan"] if quick else [
        "sigmoid", "tanh", "scaled_tanh", "atan", "isru", "asinh", "softplus", "bent_identity"
    ]
    start = time.perf_counter()
    report = {
        "machine": f"{platform.processor() or platform.machine()}, shared 2-core CPU under load "
                   "from other jobs: timings are indicative only",
        "quick": quick,
        "monotone_regime": monotone_regime(pairs, [2.0, 5.0, 10.0], 1 if quick else 3, 100),
        "contraction_regime": contraction_regime(pairs[:2] if quick else pairs[:4],
                                                 1 if quick else 3, 100),
        "series_log_det": series_bias([0.3, 0.6, 0.9], [1, 2, 4, 8, 16, 32], 64),
        "certificate_generality": certificate_generality(
            8, [0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0], 50 if quick else 300
        ),
    }
    report["seconds"] = time.perf_counter() - start
    (RESULTS / "inversion.json").write_text(json.dumps(report, indent=2))
    figures(report)
    mono = report["monotone_regime"]
    print(f"monotone regime: worst Newton iterations {mono['worst_newton_iterations']}, "
          f"max residual {mono['max_residual']:.2e}, target met: {mono['target_met']}, "
          f"fixed point converged in {mono['fixed_point_converged_fraction']:.0%} of layers")
    for row in report["contraction_regime"]["rows"]:
        print(f"contraction {row['activation']} seed {row['seed']}: evaluations (median) "
              f"Newton {row['newton']['median_evaluations']:.0f} vs fixed point "
              f"{row['fixed_point']['median_evaluations']:.0f}")
    print(f"done in {report['seconds']:.0f} s; results in {RESULTS}")


if __name__ == "__main__":
    main()
