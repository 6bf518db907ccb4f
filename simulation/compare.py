"""Paired what-if comparisons: a scenario against its baseline (design §4, "A what-if is always a
paired comparison").

Each replicate ``r`` draws one seed from the root seed alone
(``np.random.SeedSequence(root_seed).spawn(replicates)[r]``) and runs BASE and SCENARIO with that same
seed (common random numbers), so the per-replicate difference scenario - base isolates the policy
from the model's randomness. Over the replicates we report the mean difference with a 95% t interval,
absolute and in percent of the base, for cluster headline metrics (``effects``), for every city
(``city_effects``) and year by year (``yearly_effects``).

Aggregates: "final" is the last simulated year; "cum" (a sum), "mean" and "total" run over the
simulated years ``start_year + 1 .. end_year`` (the base year is calibrated, identical on both sides).

An effect is *distinguishable* (from zero) when the 95% interval of the absolute difference excludes
zero and so does the interval of the percent difference (where the base is non-zero): both
statements in the summary then agree.

Command line: :func:`add_compare_arguments` (or :func:`add_compare_command` for a subparsers
object) and :func:`cmd_compare` are what the CLI registers; nothing else here touches argparse.
Plots are imported only by the archive writer.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import multiprocessing
import platform
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
from simulation.config import Config, apply_overrides, flatten, load_config, to_toml, validate
from simulation.estimators import t_summary as _t_interval
from simulation.model import MiddleYangtzeModel
from simulation.params import ConfigError
from simulation.region import Region
from simulation.workers import main_script_hidden

CONFIDENCE = 0.95
SIDES = ("base", "scenario")
PAIR_FIELDS = ("run.start_year", "run.end_year", "run.region")
RESULTS_DIR = Path(__file__).resolve().parents[1] / "results"


@dataclass(frozen=True)
class Metric:
    """A cluster headline metric: ``agg`` of column ``column`` of the model table.

    ``agg``: "final" (last year), "cum" (sum over the simulated years, for flows like GDP or
    emissions), "mean" (average over the simulated years, for levels like PM2.5) or "total"
    (sum of a yearly count, e.g. migrants). The tables keep the column's own unit
    (:data:`RAW_UNITS`); ``scale`` converts it into ``unit`` for the sentences of the summary.
    """

    column: str
    agg: str
    what: str
    unit: str
    scale: float
    decimals: int

    @property
    def name(self) -> str:
        return f"{self.column}_{self.agg}"

    def label(self, first: int, last: int) -> str:
        span = f"{first}–{last}"
        return {
            "final": f"{self.what} in {last}",
            "cum": f"{self.what}, cumulative {span}",
            "mean": f"{self.what}, mean {span}",
            "total": f"{self.what}, total {span}",
        }[self.agg]


def _m(column: str, aggs: Iterable[str], what: str, unit: str, scale: float, dec: int) -> list[Metric]:
    return [Metric(column, a, what, unit, scale, dec) for a in aggs]


# cluster headline metrics, in the order of the tables, the plot and the summary
METRICS: list[Metric] = [
    *_m("gdp", ("final", "cum"), "GDP", "trillion yuan", 1e-4, 3),
    *_m("gdp_per_capita", ("final",), "GDP per capita", "thousand yuan", 1e-3, 2),
    *_m("population", ("final",), "Population", "million", 1e-6, 3),
    *_m("talent", ("final", "mean"), "Talent", "million persons", 1e-6, 4),
    *_m("gep", ("final",), "Gross ecosystem product (GEP)", "100m yuan", 1.0, 1),
    *_m("green_index", ("final",), "Green-development index (population-weighted)", "index", 1.0, 3),
    *_m("emissions_air", ("final", "cum"), "Air pollutant emissions (SO2 + NOx + PM)", "kt", 1e-3, 2),
    *_m("emissions_water", ("final", "cum"), "Water pollutant emissions (COD + NH3-N)", "kt", 1e-3, 2),
    *_m("emissions_so2", ("final",), "SO2 emissions", "kt", 1e-3, 2),
    *_m("emissions_nox", ("final",), "NOx emissions", "kt", 1e-3, 2),
    *_m("emissions_co2", ("final",), "CO2 emissions", "Mt", 1e-6, 2),
    *_m("emissions_cod", ("final",), "COD emissions", "kt", 1e-3, 2),
    *_m("abatement_cost", ("cum",), "Abatement spending", "100m yuan", 1.0, 2),
    *_m("public_balance", ("cum",), "Public budget balance (cities + provinces)", "100m yuan", 1.0, 2),
    *_m("air_quality", ("final", "mean"), "PM2.5 (population-weighted)", "µg/m³", 1.0, 3),
    *_m("water_quality", ("final", "mean"), "Water index (population-weighted)", "index", 1.0, 4),
    *_m("inequality_cv", ("final", "mean"), "Inequality of GDP per capita (CV)", "CV", 1.0, 4),
    *_m("cross_province_migration", ("total",), "Cross-province talent migration", "thousand", 1e-3, 2),
    *_m("commuters", ("final",), "Intercity commuters", "thousand", 1e-3, 2),
]
METRIC_BY_NAME = {m.name: m for m in METRICS}

# units of the model and cities tables' columns: the unit of every value in the parquet tables
RAW_UNITS: dict[str, str] = {
    "gdp": "100m yuan",
    "gdp_per_capita": "yuan",
    "population": "persons",
    "talent": "persons",
    "emissions_air": "t (SO2 + NOx + primary PM)",
    "emissions_water": "t (COD + NH3-N)",
    "gep": "100m yuan (current prices)",
    "green_index": "index (80 = base-year median city)",
    **{f"emissions_{p}": "t" for p in ("so2", "nox", "pm", "co2", "cod", "nh3n")},
    "abatement_cost": "100m yuan",
    "public_balance": "100m yuan",
    "air_quality": "µg/m³ PM2.5",
    "water_quality": "index (1 = base-year median city)",
    "inequality_cv": "coefficient of variation",
    "cross_province_migration": "persons",
    "commuters": "persons",
}
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


def _check_counts(replicates: int, workers: int) -> None:
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


def headline_values(model_df: pd.DataFrame, start_year: int) -> dict[str, float]:
    """The value of each headline metric (:data:`METRICS`) in one run's model table."""
    df = model_df.sort_values("year", kind="stable")
    final = df.iloc[-1]
    horizon = df[df["year"] > start_year]
    if horizon.empty:
        horizon = df
    out: dict[str, float] = {}
    for m in METRICS:
        if m.column not in df.columns:
            continue
        col = horizon[m.column].to_numpy(dtype=float)
        out[m.name] = {
            "final": float(final[m.column]),
            "cum": float(col.sum()),
            "mean": float(col.mean()),
            "total": float(col.sum()),
        }[m.agg]
    return out


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
    _check_counts(int(replicates), int(workers))
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


# ---------------------------------------------------------------------------- words
def _num(x: float, decimals: int) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{x:+,.{decimals}f}"


def _pct_decimals(pct: float) -> int:
    """Decimals that show the mean % difference with two significant digits (1 to 3)."""
    top = 0.0 if pct is None or math.isnan(pct) else abs(pct)
    return 1 if top >= 1 or top == 0 else 2 if top >= 0.1 else 3


def _verb(label: str) -> str:
    """'are' for plural subjects ('Air emissions in 2035 are ...'), else 'is'."""
    subject = label.split(",")[0].split(" in ")[0]
    return "are" if subject.endswith(("emissions", "commuters")) else "is"


def effect_sentence(label: str, row: pd.Series | dict, unit: str, scale: float, decimals: int) -> str:
    """One effect in words, e.g. 'GDP in 2035 is 1.8% higher (95% CI +1.2% to +2.4%; +0.21
    trillion yuan, 95% CI +0.14 to +0.28), distinguishable from zero.'"""
    r = dict(row)
    pct, plo, phi = r["mean_diff_pct"], r["ci_pct_low"], r["ci_pct_high"]
    d, lo, hi = r["mean_diff"] * scale, r["ci_low"] * scale, r["ci_high"] * scale
    verdict = "distinguishable from zero" if r["distinguishable"] else "not distinguishable from zero"
    absolute = f"{_num(d, decimals)} {unit}, 95% CI {_num(lo, decimals)} to {_num(hi, decimals)}"
    verb = _verb(label)
    if pct is None or math.isnan(pct):  # base is zero: only the absolute difference is defined
        direction = "higher" if d > 0 else "lower" if d < 0 else "unchanged"
        absolute = f"{_num(d, decimals)} {unit} (95% CI {_num(lo, decimals)} to {_num(hi, decimals)})"
        return f"{label} {verb} {direction} by {absolute}, {verdict}."
    pd_ = _pct_decimals(pct)
    if pct == 0 and d == 0:
        head = f"{verb} unchanged"
    else:
        head = f"{verb} {abs(pct):.{pd_}f}% {'higher' if pct > 0 else 'lower'}"
    ci = f"95% CI {_num(plo, pd_)}% to {_num(phi, pd_)}%"
    return f"{label} {head} ({ci}; {absolute}), {verdict}."


def cluster_sentences(result: CompareResult) -> list[str]:
    """Each cluster headline effect in words."""
    out = []
    for _, row in result.effects.iterrows():
        m = METRIC_BY_NAME[row["metric"]]
        out.append(effect_sentence(row["label"], row, m.unit, m.scale, m.decimals))
    return out


def _city_phrase(row: pd.Series) -> str:
    pd_ = _pct_decimals(row["mean_diff_pct"])
    return (
        f"{row['name_en']} {_num(row['mean_diff_pct'], pd_)}% "
        f"(95% CI {_num(row['ci_pct_low'], pd_)}% to {_num(row['ci_pct_high'], pd_)}%)"
    )


def city_sentences(result: CompareResult, top: int = 3) -> list[str]:
    """Per city metric: the cities with the largest distinguishable increases and decreases."""
    ce = result.city_effects
    n_cities = ce["city"].nunique()
    out = []
    for col, what in CITY_METRICS.items():
        sel = ce[ce["metric"] == f"{col}_final"]
        if sel.empty:
            continue
        dist = sel[sel["distinguishable"]]
        ups = dist[dist["mean_diff_pct"] > 0].sort_values(["mean_diff_pct", "city"], ascending=[False, True])
        downs = dist[dist["mean_diff_pct"] < 0].sort_values(["mean_diff_pct", "city"], ascending=[True, True])
        parts = [f"**{what} in {result.last_year}**: {len(dist)} of {n_cities} cities distinguishable"]
        worse_up = col in WORSE_WHEN_HIGHER
        up_word = "largest increases (worse)" if worse_up else "largest gains"
        down_word = "largest decreases (better)" if worse_up else "largest losses"
        if len(ups):
            parts.append(f"{up_word} " + ", ".join(_city_phrase(r) for _, r in ups.head(top).iterrows()))
        if len(downs):
            parts.append(f"{down_word} " + ", ".join(_city_phrase(r) for _, r in downs.head(top).iterrows()))
        out.append("; ".join(parts) + ".")
    return out


PLOTS: dict[str, str] = {
    "Effects on the cluster (% difference, 95% CI)": "plots/effects.png",
    "Base vs scenario over time": "plots/timeseries.png",
    "Change by city": "plots/map_change.png",
}


def _city_table(result: CompareResult) -> list[str]:
    ce = result.city_effects
    cols = ["gdp", "population", "talent", "air_quality", "emissions_air", "water_quality"]
    heads = [CITY_METRICS[c] for c in cols]
    lines = ["| city | " + " | ".join(heads) + " |", "|---|" + "---|" * len(cols)]
    wide = {c: ce[ce["metric"] == f"{c}_final"].set_index("city") for c in cols}
    for city in wide["gdp"].index:
        cells = []
        for c in cols:
            r = wide[c].loc[city]
            pct = r["mean_diff_pct"]
            cell = "n/a" if math.isnan(pct) else f"{pct:+.2f}%"
            cells.append(cell + (" *" if r["distinguishable"] else ""))
        lines.append(f"| {wide['gdp'].at[city, 'name_en']} | " + " | ".join(cells) + " |")
    return lines


def summary_markdown(
    result: CompareResult, archive_name: str, base_path: str | Path | None, scen_path: str | Path | None
) -> str:
    """The comparison in words: what ran, each cluster effect with its uncertainty, the cities with
    the largest distinguishable changes, a per-city table and the plots."""
    b, s = result.base_config, result.scenario_config
    y0, y1, last = b.run.start_year, result.first_year, result.last_year
    seeds = ", ".join(str(x) for x in result.seeds)
    diff_lines = [f"  - `{k}`: {a!r} → {v!r}" for k, a, v in result.config_diff] or [
        "  - (none: the scenario is identical to the base)"
    ]
    lines = [
        f"# Comparison {archive_name}",
        "",
        "## What ran",
        "",
        f"- base: `{base_path}` (resolved copy: `base.toml`)",
        f"- scenario: `{scen_path}` (resolved copy: `scenario.toml`)",
        "- scenario settings that differ from the base:",
        *diff_lines,
        f"- replicates: {result.replicates}, root seed {result.root_seed}; replicate seeds "
        f"(`SeedSequence(root).spawn(n)`), each shared by base and scenario (common random numbers): {seeds}",
        f"- region: `{b.run.region}` ({len(result.region.cities)} cities); years {y0} (calibrated base "
        f"year) to {last}",
        f"- agents: {b.scale.talent_agents:,} talent, {b.scale.firm_agents:,} firms at start "
        f"(scenario: {s.scale.talent_agents:,}, {s.scale.firm_agents:,})",
        f"- wall time: {result.wall_time_s:.1f} s with {result.workers} worker(s) "
        f"(Python {platform.python_version()})",
        "",
        "## Effects on the cluster (scenario − base)",
        "",
        f"Mean paired difference over {result.replicates} replicates with a {CONFIDENCE:.0%} t interval. "
        f"Cumulative and mean values run over {y1}–{last}. PM2.5, the water index, emissions and "
        "inequality: higher is worse. 'Distinguishable' = the interval excludes zero.",
        "",
        *[f"- {t}" for t in cluster_sentences(result)],
        "",
        "## Cities",
        "",
        *[f"- {t}" for t in city_sentences(result)],
        "",
        f"Change in {last} by city (mean % difference; * = distinguishable from zero):",
        "",
        *_city_table(result),
        "",
    ]
    if result.decomposition is not None:
        lines += decompose.summary_lines(result.decomposition)
    lines += [
        "## Plots",
        "",
    ]
    for caption, rel in PLOTS.items():
        lines += [f"![{caption}]({rel})", ""]
    lines += [
        "## Files",
        "",
        "`effects.parquet` (cluster effects), `paired.parquet` (per-replicate values and differences), "
        "`city_effects.parquet` (per city, final year), `yearly_effects.parquet` (per year), "
        "`runs_model.parquet` and `runs_cities.parquet` (every run's tables, with side, replicate, "
        "seed), `base.toml` and `scenario.toml` (the resolved configs; `run.seed` = the root seed).",
        "",
        "Units: GDP in 100 million yuan (亿元) at base-year prices; population and talent in persons; "
        "emissions in tonnes a year (air: SO2 + NOx + primary PM; water: COD + NH3-N; each pollutant "
        "also on its own); PM2.5 in µg/m³; water index 1 = the base-year median city; GEP in 100m "
        "yuan at current prices; green-development index 80 = the base-year median city.",
        "",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------- archive
def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def config_toml(cfg: Config) -> str:
    """``config.to_toml``; if that fails on unset optional values (TOML has no null, e.g. a city-circle
    corridor without ``factor``), the same dump without them, which loads back to an equal Config."""
    try:
        return to_toml(cfg)
    except TypeError:
        import tomli_w

        return tomli_w.dumps(_drop_none(cfg.model_dump(mode="json")))


def default_compare_path(results_dir: Path, scenario_stem: str, replicates: int) -> Path:
    """``results_dir/<UTC yyyymmdd-HHMMSS>-compare-<scenario stem>-n<N>``, with -2, -3 ... if taken."""
    from simulation.archive import stamped_path

    return stamped_path(results_dir, f"compare-{scenario_stem}-n{replicates}")


def write_compare_archive(
    result: CompareResult,
    out: Path | None,
    base_path: str | Path | None,
    scen_path: str | Path | None,
    *,
    results_dir: Path = Path("results"),
    command: list[str] | None = None,
) -> Path:
    """Write the comparison archive atomically (hidden sibling folder, renamed at the end) and
    return its path.

    Args:
        result: a finished comparison.
        out: the archive folder if new or empty, else a folder to hold a new archive; None = a new
            folder under
            ``results_dir`` named ``<UTC time>-compare-<scenario stem>-n<replicates>``.
        base_path, scen_path: the config files (for names, the summary and the manifest).

    Raises:
        ArchiveError (a ValueError): ``out`` exists and is not an empty folder.
    """
    from simulation import archive as arc
    from simulation import compare_plots

    stem = Path(scen_path).stem if scen_path else "scenario"
    final = arc.resolve_out(
        out, results_dir, lambda folder: default_compare_path(folder, stem, result.replicates)
    )
    base_toml, scen_toml = config_toml(result.base_config), config_toml(result.scenario_config)
    with arc.staging(final) as tmp:
        (tmp / "base.toml").write_text(base_toml, encoding="utf-8")
        (tmp / "scenario.toml").write_text(scen_toml, encoding="utf-8")
        for name in COMPARE_TABLES:
            (tmp / f"{name}.parquet").write_bytes(arc.parquet_bytes(getattr(result, name)))
        if result.decomposition is not None:
            (tmp / "decomposition.parquet").write_bytes(arc.parquet_bytes(result.decomposition))
        compare_plots.plot_effects(result.effects, tmp / PLOTS[next(iter(PLOTS))])
        paths = list(PLOTS.values())
        compare_plots.plot_timeseries(result.yearly_effects, tmp / paths[1])
        compare_plots.plot_map_change(
            result.city_effects, result.region, result.edges_base, result.edges_scenario, tmp / paths[2],
            result.last_year,
        )  # fmt: skip
        (tmp / "summary.md").write_text(
            summary_markdown(result, final.name, base_path, scen_path), encoding="utf-8"
        )
        lock = arc.REPO_ROOT / "uv.lock"
        ident = arc.sha256_bytes(f"{base_toml}\n{scen_toml}\n{result.seeds}".encode())[:16]
        manifest: dict[str, Any] = {
            "schema_version": arc.SCHEMA_VERSION,
            "kind": "compare",
            "run_id": ident,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "command": list(sys.argv if command is None else command),
            "config_source": f"{base_path} vs {scen_path}",
            "base_source": None if base_path is None else str(base_path),
            "scenario_source": None if scen_path is None else str(scen_path),
            # ``config`` is the base (the horizon and region both sides share), for tools that list
            # archives by one config; ``configs`` holds both sides.
            "config": result.base_config.model_dump(mode="json"),
            "configs": {
                "base": result.base_config.model_dump(mode="json"),
                "scenario": result.scenario_config.model_dump(mode="json"),
            },
            "config_diff": [[k, a, v] for k, a, v in result.config_diff],
            "seed": result.root_seed,
            "seeds": result.seeds,
            "replicates": result.replicates,
            "workers": result.workers,
            "code": arc.code_version(),
            "lock_sha256": arc.sha256_file(lock) if lock.is_file() else None,
            "python": platform.python_version(),
            "platform": platform.platform(),
            "packages": {**arc.package_versions(), "scipy": _version("scipy")},
            "wall_time_s": round(result.wall_time_s, 3),
        }
        manifest["files"] = {
            rel: arc.sha256_file(tmp / rel)
            for rel in sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file())
            if rel != arc.MANIFEST
        }
        arc.write_manifest(tmp, manifest)
    return final


COMPARE_TABLES = ("paired", "effects", "city_effects", "yearly_effects", "runs_model", "runs_cities")


def verify_compare_archive(path: Path, progress: bool = False, workers: int = 1) -> Any:
    """Check a comparison archive's file hashes, re-run the comparison from its ``base.toml``,
    ``scenario.toml``, root seed and replicate count, and compare every table bit for bit.

    Returns a :class:`simulation.archive.VerifyReport` (``ok`` when nothing differs).

    Raises:
        ArchiveError: not an archive, not a comparison archive, or a config file is missing.
        ConfigError, RegionError: the stored configs or their region no longer load.
    """
    from simulation import archive as arc

    path = Path(path)
    manifest, report = arc.open_for_verify(path, "compare", ["base.toml", "scenario.toml"])
    code = manifest.get("code") or {}
    now = arc.code_version()
    if code.get("git_commit") != now["git_commit"]:
        report.notes.append(f"code differs: archive {code.get('git_commit')}, now {now['git_commit']}")
    base, scen = load_config(path / "base.toml"), load_config(path / "scenario.toml")
    result = compare(base, scen, int(manifest["replicates"]), int(manifest["seed"]), progress, workers)
    report.wall_time_s = result.wall_time_s
    if list(manifest.get("seeds") or []) != result.seeds:
        report.rerun_differs.append("seeds")
    tables = {name: getattr(result, name) for name in COMPARE_TABLES}
    if result.decomposition is not None:
        tables["decomposition"] = result.decomposition
    for name, df in tables.items():
        stored = path / f"{name}.parquet"
        fresh = arc.sha256_bytes(arc.parquet_bytes(df))
        if not stored.is_file() or arc.sha256_file(stored) != fresh:
            report.rerun_differs.append(f"{name}.parquet")
    return report


def _version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


# ---------------------------------------------------------------------------- command line
def add_compare_arguments(p: argparse.ArgumentParser) -> None:
    """Add the arguments of ``compare`` to a (sub)parser: BASE SCENARIO [--replicates N] [--seed S]
    [--set KEY=VALUE ...] [--workers N] [--out DIR]."""
    p.add_argument("base", metavar="BASE", help="base config (TOML), e.g. configs/baseline.toml")
    p.add_argument("scenario", metavar="SCENARIO", help="scenario config (TOML)")
    p.add_argument("--replicates", type=int, default=10, help="paired replicates, >= 2 (default 10)")
    p.add_argument("--seed", type=int, default=None, help="root seed (default: the base config's run.seed)")
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE",
        help="override a setting on both sides, e.g. scale.talent_agents=20000 (repeatable)",
    )  # fmt: skip
    p.add_argument("--workers", type=int, default=1, help="processes (results do not depend on it)")
    p.add_argument("--out", type=Path, default=None, help="archive folder (new or empty; default: results/)")


COMPARE_HELP = "paired what-if: SCENARIO vs BASE over replicates with common random numbers"


def add_compare_command(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``compare`` on an argparse subparsers object; the handler is ``args.func = cmd_compare``."""
    p = subparsers.add_parser(
        "compare",
        help=COMPARE_HELP,
        description=(
            "Run BASE and SCENARIO with the same seeds (common random numbers) for several replicates "
            "and report the mean difference with a 95%% confidence interval, per metric and per city. "
            "Prints 'archive: PATH' last."
        ),
    )
    add_compare_arguments(p)
    p.set_defaults(func=cmd_compare)
    return p


def cmd_compare(args: argparse.Namespace) -> int:
    """Run the comparison, write its archive, print the cluster effects and ``archive: PATH`` last.

    Raises:
        ConfigError, RegionError, ArchiveError (all ValueError): bad input (the CLI: exit code 2).
    """
    from simulation.archive import check_out

    sets = list(getattr(args, "set", None) or [])
    _check_counts(args.replicates, args.workers)
    if args.out is not None:
        check_out(Path(args.out))  # fail before hours of simulation, not after
    base_cfg = load_config(args.base, sets)
    scen_cfg = load_config(args.scenario, sets)
    check_pairable(base_cfg, scen_cfg, str(args.scenario))
    seed = base_cfg.run.seed if args.seed is None else int(args.seed)
    progress = sys.stderr.isatty()  # like the other commands: a bar only when a person watches
    result = compare(base_cfg, scen_cfg, args.replicates, seed, progress=progress, workers=args.workers)
    path = write_compare_archive(
        result, args.out, args.base, args.scenario, results_dir=RESULTS_DIR,
        command=getattr(args, "argv", None),
    )  # fmt: skip
    print(
        f"compared {args.scenario} with {args.base}: {result.replicates} replicates, root seed "
        f"{result.root_seed}, {result.wall_time_s:.1f} s"
    )
    for line in cluster_sentences(result):
        print(f"- {line}")
    print(f"archive: {_display(path)}")
    return 0


def _display(path: Path) -> str:
    """``path`` relative to the working folder when it lies inside it, else absolute."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
