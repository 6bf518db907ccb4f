"""Paired what-if comparisons: a scenario against its baseline (design §4, "A what-if is always a
paired comparison").

Each replicate ``r`` draws one seed from the root seed alone
(``np.random.SeedSequence(root_seed).spawn(replicates)[r]``) and runs BASE and SCENARIO with that same
seed (common random numbers), so the per-replicate difference scenario - base isolates the policy
from the model's randomness. Over the replicates we report the mean difference with a 95% t interval,
absolute and in percent of the base, for cluster headline metrics (``effects``, see
:mod:`simulation.experiments.headline`), for every city (``city_effects``) and year by year
(``yearly_effects``).

An effect is *distinguishable* (from zero) when the 95% interval of the absolute difference excludes
zero and so does the interval of the percent difference (where the base is non-zero): both
statements in the summary then agree.

This module computes; :mod:`simulation.experiments.compare_archive` stores and verifies,
:mod:`simulation.report.compare` and :mod:`simulation.report.compare_plots` put it in words and
figures, :mod:`simulation.compare_cli` is the command line.
"""

from __future__ import annotations

import math
import multiprocessing
import sys
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from simulation import decompose
from simulation.config import Config, apply_overrides, flatten, validate
from simulation.experiments.headline import METRICS, RAW_UNITS, headline_values
from simulation.experiments.validate.estimators import t_summary as _t_interval
from simulation.model import MiddleYangtzeModel
from simulation.params import ConfigError
from simulation.region import Region
from simulation.workers import main_script_hidden

CONFIDENCE = 0.95
SIDES = ("base", "scenario")
PAIR_FIELDS = ("run.start_year", "run.end_year", "run.region")

# per-city metrics, all at the final year: column -> what
CITY_METRICS: dict[str, str] = {
    "gdp": "GDP",
    "population": "Population",
    "talent": "Talent",
    "air_quality": "PM2.5",
    "water_quality": "Water index",
    "emissions_air": "Air emissions",
    "emissions_water": "Water emissions",
}
WORSE_WHEN_HIGHER = frozenset({"air_quality", "water_quality", "emissions_air", "emissions_water"})
# model-table columns whose yearly paths are compared (``yearly_effects`` and the time-series plot)
YEARLY_COLUMNS = ("gdp", "emissions_air", "emissions_water", "talent", "air_quality", "water_quality",
                  "gep", "green_index")  # fmt: skip


def check_counts(replicates: int, workers: int) -> None:
    if replicates < 2:
        raise ConfigError("command line", "--replicates", f"{replicates} (allowed: integer >= 2)")
    if workers < 1:
        raise ConfigError("command line", "--workers", f"{workers} (allowed: integer >= 1)")


# ---------------------------------------------------------------------------- result
@dataclass
class CompareResult:
    """Everything a paired comparison produced.

    Attributes:
        base_config, scenario_config: the resolved configs, with ``run.seed`` set to the root seed
            (so ``compare`` on the two stored files reproduces the comparison).
        root_seed: the seed all replicate seeds derive from.
        seeds: the seed of each replicate (shared by base and scenario).
        paired: one row per (replicate, metric): replicate, seed, metric, base, scenario, diff,
            diff_pct (cluster headline metrics, see :data:`METRICS`).
        effects: one row per headline metric: mean_base, mean_scenario, mean_diff, ci_low,
            ci_high, mean_diff_pct, ci_pct_low, ci_pct_high, distinguishable (+ label, unit, n,
            sd_diff).
        city_effects: one row per (city, metric) at the final year, same statistics.
        yearly_effects: one row per (year, metric) for :data:`YEARLY_COLUMNS`, same statistics.
        runs_model, runs_cities: the model and cities tables of every run, with columns side
            ("base" | "scenario"), replicate, seed in front.
        region: the region both sides ran on.
        edges_base, edges_scenario: transport links open at the end of each side's first run.
        config_diff: (dotted key, base value, scenario value) for every setting that differs
            (``run.seed`` excluded).
        wall_time_s: seconds spent running the models and computing the statistics.
        workers: processes used (results do not depend on it).
    """

    base_config: Config
    scenario_config: Config
    root_seed: int
    seeds: list[int]
    paired: pd.DataFrame
    effects: pd.DataFrame
    city_effects: pd.DataFrame
    yearly_effects: pd.DataFrame
    runs_model: pd.DataFrame
    runs_cities: pd.DataFrame
    region: Region
    edges_base: pd.DataFrame
    edges_scenario: pd.DataFrame
    config_diff: list[tuple[str, Any, Any]] = field(default_factory=list)
    decomposition: pd.DataFrame | None = None  # talent alliance parts (simulation.decompose)
    wall_time_s: float = 0.0
    workers: int = 1

    @property
    def replicates(self) -> int:
        return len(self.seeds)

    @property
    def first_year(self) -> int:
        """First simulated year (the year after the calibrated base year)."""
        return self.base_config.run.start_year + 1

    @property
    def last_year(self) -> int:
        return int(self.runs_model["year"].max())


# ---------------------------------------------------------------------------- seeds and checks
def replicate_seeds(root_seed: int, replicates: int) -> list[int]:
    """Seeds of replicates 0..replicates-1, a function of the root seed only (and prefix-stable:
    replicate r gets the same seed whatever the number of replicates)."""
    if int(root_seed) < 0:
        raise ConfigError("command line", "--seed", f"{root_seed} (allowed: integer >= 0)")
    children = np.random.SeedSequence(int(root_seed)).spawn(int(replicates))
    return [int(s.generate_state(1)[0]) for s in children]


def _get(cfg: Config, dotted: str) -> Any:
    node: Any = cfg
    for part in dotted.split("."):
        node = getattr(node, part)
    return node


def _same_region(a: str, b: str) -> bool:
    if a == b:
        return True
    pa, pb = Path(a), Path(b)
    return pa.is_dir() and pb.is_dir() and pa.resolve() == pb.resolve()


def check_pairable(base_cfg: Config, scen_cfg: Config, scenario_file: str = "<scenario>") -> None:
    """Raise ConfigError (a ValueError) naming the field if the two configs cannot be paired:
    they must share the horizon (run.start_year, run.end_year) and the region (run.region)."""
    for dotted in PAIR_FIELDS:
        a, b = _get(base_cfg, dotted), _get(scen_cfg, dotted)
        same = _same_region(str(a), str(b)) if dotted == "run.region" else a == b
        if not same:
            raise ConfigError(
                scenario_file, dotted,
                f"{b!r} differs from the base config's {a!r}; a paired comparison needs the same "
                f"{'region' if dotted == 'run.region' else 'horizon'} on both sides",
            )  # fmt: skip


def config_diff(base_cfg: Config, scen_cfg: Config) -> list[tuple[str, Any, Any]]:
    """Settings that differ between the two configs (dotted key, base, scenario), run.seed excluded."""
    a = flatten(base_cfg.model_dump(mode="json"))
    b = flatten(scen_cfg.model_dump(mode="json"))
    keys = sorted(set(a) | set(b))
    return [(k, a.get(k), b.get(k)) for k in keys if k != "run.seed" and a.get(k) != b.get(k)]


def _with_seed(cfg: Config, seed: int) -> Config:
    if cfg.run.seed == seed:
        return cfg
    return validate(apply_overrides(cfg.model_dump(mode="json"), {"run.seed": int(seed)}), "--seed")


# ---------------------------------------------------------------------------- running
def _run_one(task: tuple[str, int, int, Config, bool]) -> dict[str, Any]:
    """Run one side of one replicate (top-level, so a process pool can pickle it)."""
    side, rep, seed, cfg, keep_geo = task
    try:
        model = MiddleYangtzeModel(cfg, rng=seed).run()
    except ValueError as err:
        # ConfigError / RegionError take (file, field, message) and do not survive pickling back
        # from a worker process as themselves: send the parts and raise them again in the parent
        if all(hasattr(err, a) for a in ("file", "field", "message")):
            return {"error": (type(err), err.file, err.field, err.message)}  # type: ignore[attr-defined]
        raise
    tables = model.tables()
    out: dict[str, Any] = {"side": side, "replicate": rep, "seed": seed,
                           "model": tables["model"], "cities": tables["cities"]}  # fmt: skip
    if keep_geo:
        out["region"] = model.region
        out["edges"] = model.transport.mode_edges()
    return out


def _run_all(tasks: list[tuple[str, int, int, Config, bool]], workers: int, progress: bool) -> list[dict]:
    """Run every task; the result list is in task order whatever the worker count."""
    results: list[dict[str, Any] | None] = [None] * len(tasks)
    with tqdm(total=len(tasks), desc="comparing", unit="run", file=sys.stderr, disable=not progress) as bar:
        if workers <= 1 or len(tasks) <= 1:
            for i, task in enumerate(tasks):
                results[i] = _run_one(task)
                bar.update(1)
        else:
            ctx = multiprocessing.get_context("spawn")  # no inherited state, same on every platform
            with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=ctx) as pool:
                try:
                    with main_script_hidden():  # every worker process starts during these submits
                        futures = {pool.submit(_run_one, task): i for i, task in enumerate(tasks)}
                    for fut in as_completed(futures):
                        results[futures[fut]] = fut.result()
                        bar.update(1)
                except BaseException:  # a failed run or Ctrl-C: do not start the queued runs
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise
    for r in results:
        if r is not None and "error" in r:
            cls, file, field_, message = r["error"]
            raise cls(file, field_, message)
    return [r for r in results if r is not None]


# ---------------------------------------------------------------------------- statistics
def _excludes_zero(lo: float, hi: float) -> bool:
    return bool((lo > 0 or hi < 0) and not (math.isnan(lo) or math.isnan(hi)))


def _pct(base: np.ndarray, scen: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(base != 0, (scen - base) / np.abs(base) * 100.0, np.nan)


def _summarise(base: np.ndarray, scen: np.ndarray) -> dict[str, Any]:
    """Paired statistics of one metric over the replicates (arrays aligned by replicate)."""
    diff = scen - base
    pct = _pct(base, scen)
    mean_diff, lo, hi, sd, n = _t_interval(diff)
    mean_pct, plo, phi, _, n_pct = _t_interval(pct)
    dist = _excludes_zero(lo, hi) and (n_pct == 0 or _excludes_zero(plo, phi))
    return {
        "mean_base": float(np.mean(base)), "mean_scenario": float(np.mean(scen)),
        "mean_diff": mean_diff, "ci_low": lo, "ci_high": hi,
        "mean_diff_pct": mean_pct, "ci_pct_low": plo, "ci_pct_high": phi,
        "distinguishable": dist, "n": n, "sd_diff": sd,
    }  # fmt: skip


def _paired_table(runs: list[dict[str, Any]], start_year: int) -> pd.DataFrame:
    by = {(r["side"], r["replicate"]): r for r in runs}
    reps = sorted({r["replicate"] for r in runs})
    rows = []
    for rep in reps:
        b, s = by[("base", rep)], by[("scenario", rep)]
        vb, vs = headline_values(b["model"], start_year), headline_values(s["model"], start_year)
        for m in METRICS:
            if m.name in vb and m.name in vs:
                rows.append({"replicate": rep, "seed": b["seed"], "metric": m.name,
                             "base": vb[m.name], "scenario": vs[m.name]})  # fmt: skip
    paired = pd.DataFrame(rows, columns=["replicate", "seed", "metric", "base", "scenario"])
    paired["diff"] = paired["scenario"] - paired["base"]
    paired["diff_pct"] = _pct(paired["base"].to_numpy(float), paired["scenario"].to_numpy(float))
    return paired


def _effects_from_paired(paired: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    rows = []
    for m in METRICS:
        sel = paired[paired["metric"] == m.name].sort_values("replicate")
        if sel.empty:
            continue
        st = _summarise(sel["base"].to_numpy(float), sel["scenario"].to_numpy(float))
        unit = RAW_UNITS.get(m.column, "-") + (" (sum over years)" if m.agg in ("cum", "total") else "")
        rows.append({"metric": m.name, "label": m.label(first, last), "unit": unit, **st})
    return pd.DataFrame(rows)


def _stack(runs: list[dict[str, Any]], key: str) -> pd.DataFrame:
    frames = []
    for side in SIDES:
        for r in sorted((r for r in runs if r["side"] == side), key=lambda r: r["replicate"]):
            df = r[key].copy()
            df.insert(0, "seed", np.int64(r["seed"]))
            df.insert(0, "replicate", np.int64(r["replicate"]))
            df.insert(0, "side", side)
            frames.append(df)
    return pd.concat(frames, ignore_index=True)


def _grouped_effects(stacked: pd.DataFrame, keys: list[str], columns: Iterable[str]) -> pd.DataFrame:
    """Paired statistics of ``columns`` per group ``keys`` (e.g. city or year) over the replicates."""
    base = stacked[stacked["side"] == "base"].set_index([*keys, "replicate"]).sort_index()
    scen = stacked[stacked["side"] == "scenario"].set_index([*keys, "replicate"]).sort_index()
    scen = scen.reindex(base.index)
    rows = []
    groups = base.index.droplevel("replicate").unique()
    for col in columns:
        if col not in base.columns:
            continue
        b_all, s_all = base[col].to_numpy(float), scen[col].to_numpy(float)
        codes = base.index.droplevel("replicate")
        for g in groups:
            mask = codes == g
            key_vals = g if isinstance(g, tuple) else (g,)
            rows.append({**dict(zip(keys, key_vals, strict=True)), "metric": col,
                         **_summarise(b_all[mask], s_all[mask])})  # fmt: skip
    return pd.DataFrame(rows)


def _city_effects(runs_cities: pd.DataFrame, region: Region, last: int) -> pd.DataFrame:
    final = runs_cities[runs_cities["year"] == last]
    eff = _grouped_effects(final, ["city"], CITY_METRICS)
    eff.insert(eff.columns.get_loc("metric") + 1, "unit", [RAW_UNITS.get(c, "-") for c in eff["metric"]])
    eff["metric"] = eff["metric"] + "_final"
    names = region.cities["name_en"] if "name_en" in region.cities else pd.Series(dtype=object)
    eff.insert(1, "name_en", [str(names.get(c, c)) for c in eff["city"]])
    order = {c: i for i, c in enumerate(region.cities.index)}
    eff["_o"] = [order.get(c, len(order)) for c in eff["city"]]
    metric_order = {f"{c}_final": i for i, c in enumerate(CITY_METRICS)}
    eff["_m"] = eff["metric"].map(metric_order)
    return eff.sort_values(["_m", "_o"], kind="stable").drop(columns=["_o", "_m"]).reset_index(drop=True)


# ---------------------------------------------------------------------------- compare
def compare(
    base_cfg: Config,
    scen_cfg: Config,
    replicates: int,
    root_seed: int,
    progress: bool = False,
    workers: int = 1,
) -> CompareResult:
    """Run BASE and SCENARIO for ``replicates`` paired replicates and compute the effects.

    Args:
        base_cfg, scen_cfg: validated configs with the same horizon and region.
        replicates: number of paired replicates (>= 2, for a confidence interval).
        root_seed: replicate r uses ``SeedSequence(root_seed).spawn(replicates)[r]`` on both sides.
        progress: tqdm bar (runs) on stderr.
        workers: processes; 1 runs in this process. Results do not depend on it.

    Raises:
        ConfigError (a ValueError): the configs differ in run.start_year, run.end_year or run.region;
            replicates < 2, workers < 1 or a negative root seed.
    """
    check_counts(int(replicates), int(workers))
    check_pairable(base_cfg, scen_cfg)
    start = time.perf_counter()
    seeds = replicate_seeds(root_seed, replicates)
    base_cfg, scen_cfg = _with_seed(base_cfg, root_seed), _with_seed(scen_cfg, root_seed)
    cfgs = {"base": base_cfg, "scenario": scen_cfg}
    tasks = [(side, r, seed, cfgs[side], r == 0) for r, seed in enumerate(seeds) for side in SIDES]
    runs = _run_all(tasks, int(workers), progress)

    start_year = base_cfg.run.start_year
    runs_model = _stack(runs, "model")
    runs_cities = _stack(runs, "cities")
    last = int(runs_model["year"].max())
    paired = _paired_table(runs, start_year)
    effects = _effects_from_paired(paired, start_year + 1, last)
    first = {r["side"]: r for r in runs if r["replicate"] == 0}
    region = first["base"]["region"]
    city_effects = _city_effects(runs_cities, region, last)
    yearly = _grouped_effects(runs_model, ["year"], YEARLY_COLUMNS)
    yearly = yearly.sort_values(["metric", "year"], kind="stable").reset_index(drop=True)
    yearly.insert(2, "unit", [RAW_UNITS.get(c, "-") for c in yearly["metric"]])
    decomposition = _decompose(runs, scen_cfg, seeds, int(workers), progress, region)
    return CompareResult(
        base_config=base_cfg, scenario_config=scen_cfg, root_seed=int(root_seed), seeds=seeds,
        paired=paired, effects=effects, city_effects=city_effects, yearly_effects=yearly,
        runs_model=runs_model, runs_cities=runs_cities, region=region,
        edges_base=first["base"]["edges"], edges_scenario=first["scenario"]["edges"],
        config_diff=config_diff(base_cfg, scen_cfg), decomposition=decomposition,
        wall_time_s=time.perf_counter() - start,
        workers=int(workers),
    )  # fmt: skip


def _decompose(runs, scen_cfg: Config, seeds, workers: int, progress: bool, region) -> pd.DataFrame | None:
    """The alliance's parts, run on the same seeds (None when the scenario has no alliance)."""
    extra = decompose.arms(scen_cfg)
    if not extra:
        return None
    tasks = [(name, r, seed, cfg, False) for name, cfg in extra.items() for r, seed in enumerate(seeds)]
    done = _run_all(tasks, workers, progress)
    by = {
        name: sorted((x for x in done if x["side"] == name), key=lambda x: x["replicate"]) for name in extra
    }
    side = {k: sorted((x for x in runs if x["side"] == k), key=lambda x: x["replicate"]) for k in SIDES}
    prov = region.cities.province
    members = list(prov[prov.isin(scen_cfg.talent_alliance.provinces)].index)
    return decompose.table(side["base"], side["scenario"], by, scen_cfg, members)
