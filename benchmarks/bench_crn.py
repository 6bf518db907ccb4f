"""Benchmark: paired per-city GDP noise of a what-if under common random numbers (CRN).

    uv run python benchmarks/bench_crn.py               # 8 replicates of baseline vs city_circle
    uv run python benchmarks/bench_crn.py --quick       # 4 replicates
    uv run python benchmarks/bench_crn.py --replicates 16 --workers 2
    uv run python benchmarks/bench_crn.py --scenario configs/scenarios/talent_alliance.toml --seed 7

Replicate r draws its seed exactly as ``run.py compare`` does (``replicate_seeds(root, R)[r]``,
i.e. ``SeedSequence(root).spawn(R)[r]``; the root seed is ``--seed`` or, as in ``run.py compare``,
the base config's ``run.seed``, 42) and runs ``configs/baseline.toml`` and the scenario with that
seed at the default scale, as ``compare`` runs each side (``MiddleYangtzeModel(cfg, rng=seed).run()``
and its ``tables()``). For city c and replicate r the paired difference in the final year is
``d[c, r] = 100 * (gdp_scenario / gdp_base - 1)`` (cities table, column ``gdp``). A city's noise is
the sample sd (ddof=1) of d[c, .] over the replicates: the part of a paired comparison that CRN
does not cancel. Reported: its median over cities, its maximum (and the city), the mean over cities
of |mean effect| (for scale), and the same statistics for the cluster total GDP (model table,
column ``gdp``). It only measures; it never fails on the numbers.

Runs are deterministic per (config, seed), so the numbers do not depend on ``--workers``.
The last line is machine-readable:
``crn_noise_median_pct=<x> crn_noise_max_pct=<x> crn_noise_max_city=<city id> replicates=<R>``
(the city id is the ``city`` column of cities.parquet, e.g. ``xianning``; the table shows the name).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The only imports of the model package (update these when simulation/ moves to simulation/core/):
from simulation.config import load_config  # noqa: E402  read + validate a TOML config
from simulation.experiments.compare import replicate_seeds  # noqa: E402  seeds of run.py compare's replicates
from simulation.model import MiddleYangtzeModel  # noqa: E402  one run: Model(cfg, rng=seed).run().tables()

BASELINE = ROOT / "configs" / "baseline.toml"
SCENARIO = ROOT / "configs" / "scenarios" / "city_circle.toml"
SIDES = ("base", "scenario")
TOP = 5  # noisiest cities shown in the table


def run_one(task: tuple[str, int, int, object]) -> dict:
    """One side of one replicate, as ``compare`` runs it; top-level so a process pool can pickle it."""
    side, rep, seed, cfg = task
    model = MiddleYangtzeModel(cfg, rng=seed).run()
    tables = model.tables()
    cities, mtab = tables["cities"], tables["model"]
    last = int(mtab["year"].max())
    final = cities[cities["year"] == last].set_index("city")["gdp"].astype(float)
    names = model.region.cities["name_en"] if "name_en" in model.region.cities else pd.Series(dtype=object)
    return {
        "side": side,
        "replicate": rep,
        "seed": seed,
        "year": last,
        "city_gdp": final,
        "total_gdp": float(mtab.loc[mtab["year"] == last, "gdp"].iloc[0]),
        "names": {str(c): str(names.get(c, c)) for c in final.index},
    }


def run_all(tasks: list, workers: int) -> list[dict]:
    """Every task's result, in task order whatever the worker count."""
    if workers <= 1 or len(tasks) <= 1:
        out = []
        for i, task in enumerate(tasks, 1):
            out.append(run_one(task))
            print(f"  run {i}/{len(tasks)} ({task[0]}, replicate {task[1]})", file=sys.stderr, flush=True)
        return out
    ctx = multiprocessing.get_context("spawn")  # like compare: no inherited state
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=ctx) as pool:
        return list(pool.map(run_one, tasks))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="4 replicates (unless --replicates is given)")
    ap.add_argument("--replicates", type=int, default=None, metavar="N", help="paired replicates (default 8)")
    ap.add_argument("--scenario", type=Path, default=SCENARIO, metavar="PATH",
                    help="scenario config (default configs/scenarios/city_circle.toml)")  # fmt: skip
    ap.add_argument("--seed", type=int, default=None, metavar="N",
                    help="root seed (default: base config's run.seed, 42, as run.py compare)")  # fmt: skip
    ap.add_argument("--workers", type=int, default=1, metavar="N", help="processes (default 1)")
    args = ap.parse_args(argv)
    reps = args.replicates if args.replicates is not None else (4 if args.quick else 8)
    if reps < 2:
        ap.error(f"--replicates must be >= 2 for a sample sd, got {reps}")
    if args.workers < 1:
        ap.error(f"--workers must be >= 1, got {args.workers}")

    base_cfg = load_config(BASELINE)
    scen_cfg = load_config(args.scenario)
    root = base_cfg.run.seed if args.seed is None else int(args.seed)
    seeds = replicate_seeds(root, reps)
    cfgs = {"base": base_cfg, "scenario": scen_cfg}
    tasks = [(side, r, seed, cfgs[side]) for r, seed in enumerate(seeds) for side in SIDES]
    scen_name = args.scenario.resolve()
    scen_name = scen_name.relative_to(ROOT) if scen_name.is_relative_to(ROOT) else scen_name
    print(
        f"CRN paired noise: {scen_name} vs configs/baseline.toml; {reps} replicates, root seed {root}, "
        f"{base_cfg.scale.talent_agents:,} talent / {base_cfg.scale.firm_agents:,} firm agents, "
        f"{args.workers} worker(s)"
    )
    print(f"replicate seeds: {', '.join(str(s) for s in seeds)}", flush=True)

    t0 = time.perf_counter()
    runs = run_all(tasks, args.workers)
    wall = time.perf_counter() - t0

    by = {(r["side"], r["replicate"]): r for r in runs}
    year = by["base", 0]["year"]
    names = by["base", 0]["names"]
    cities = list(by["base", 0]["city_gdp"].index)
    base = np.array([by["base", r]["city_gdp"].reindex(cities).to_numpy() for r in range(reps)]).T
    scen = np.array([by["scenario", r]["city_gdp"].reindex(cities).to_numpy() for r in range(reps)]).T
    d = 100.0 * (scen / base - 1.0)  # [city, replicate]
    noise = d.std(axis=1, ddof=1)
    effect = d.mean(axis=1)
    tb = np.array([by["base", r]["total_gdp"] for r in range(reps)])
    ts = np.array([by["scenario", r]["total_gdp"] for r in range(reps)])
    dt = 100.0 * (ts / tb - 1.0)
    t_noise, t_effect = float(dt.std(ddof=1)), float(dt.mean())

    per_city = pd.DataFrame(
        {"city": cities, "name": [names.get(c, c) for c in cities], "effect": effect, "noise": noise}
    )
    per_city["se"] = per_city["noise"] / np.sqrt(reps)
    per_city["ratio"] = per_city["effect"].abs() / per_city["noise"]
    order = per_city.sort_values(["noise", "city"], ascending=[False, True], kind="stable")
    imax = int(np.argmax(noise))
    med_noise = float(np.median(noise))
    mean_abs_effect = float(np.mean(np.abs(effect)))

    print(f"\nGDP in {year}, d = 100*(scenario/base - 1) per replicate; % points over {reps} replicates")
    head = f"{'':<24}{'mean d':>9}{'sd d':>9}{'se':>9}{'|mean|/sd':>11}"
    print(head)
    print("-" * len(head))
    shown = [(row["name"], row) for _, row in order.head(TOP).iterrows()]
    shown.append(("... quietest: " + order.iloc[-1]["name"], order.iloc[-1]))
    for label, row in shown:
        print(f"{label:<24}{row['effect']:>+9.3f}{row['noise']:>9.3f}{row['se']:>9.3f}{row['ratio']:>11.2f}")
    print("-" * len(head))
    print(f"{'median over cities':<24}{float(np.median(effect)):>+9.3f}{med_noise:>9.3f}"
          f"{med_noise / np.sqrt(reps):>9.3f}")  # fmt: skip
    print(f"{'mean |effect| (cities)':<24}{mean_abs_effect:>9.3f}")
    print(f"{'cluster total GDP':<24}{t_effect:>+9.3f}{t_noise:>9.3f}{t_noise / np.sqrt(reps):>9.3f}"
          f"{abs(t_effect) / t_noise if t_noise > 0 else float('inf'):>11.2f}")  # fmt: skip
    print(f"cluster d per replicate: {', '.join(f'{x:+.3f}' for x in dt)}")
    print(
        f"noisiest city: {names.get(cities[imax], cities[imax])} ({cities[imax]}) sd {noise[imax]:.3f}; "
        f"cities with sd > |mean effect|: {int((noise > np.abs(effect)).sum())} of {len(cities)}"
    )
    print(
        f"wall time {wall:.0f} s for {len(tasks)} runs ({args.workers} worker(s)); {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f} at the end"
    )
    print(
        f"crn_noise_median_pct={med_noise:.3f} crn_noise_max_pct={noise[imax]:.3f} "
        f"crn_noise_max_city={cities[imax]} replicates={reps}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
