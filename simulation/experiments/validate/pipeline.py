"""The validation run: the baseline over several seeds, each what-if over paired replicates, the
backtest, and every fact judged (:func:`run_validation` -> :class:`ValidationResult`)."""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from simulation import pm25_sources
from simulation.archive.paths import display
from simulation.config import Config, load_config
from simulation.experiments.backtest import Backtest, backtest
from simulation.experiments.compare import compare, replicate_seeds
from simulation.experiments.validate.baseline import (
    BaselineRun,
    agglomeration_rows,
    base_fit_table,
    convergence_rows,
    gravity_rows,
    intensity_rows,
    run_baseline,
)
from simulation.experiments.validate.verdicts import judge_facts, pooled_summaries
from simulation.experiments.validate.whatifs import (
    ScenarioFindings,
    analyse_alliance,
    analyse_circle,
    analyse_integration,
    analyse_transfer,
)
from simulation.model import resolve_region
from simulation.panel import PANEL, load_panel
from simulation.params import ConfigError

ROOT = Path(__file__).resolve().parents[3]
BASELINE = ROOT / "configs" / "baseline.toml"
SCENARIO_DIR = ROOT / "configs" / "scenarios"
DEFAULT_SEEDS = 5
# 8 paired replicates: with 4 the 95% t quantile is 3.18 (3 df) and the city-circle effects, a fraction
# of a percent, stay inside the replicate noise; 8 gives 2.36 and a sqrt(2) smaller standard error,
# at about two minutes for the whole report on two cores
DEFAULT_REPLICATES = 8
# the what-ifs the report needs, by role: (scenario file, extra settings on top of the --set ones).
# "integration" is labour-market integration proper: the talent alliance's border and hukou cost
# cuts without its graduate-retention bonus and talent-pool productivity spillover, which would
# raise output by construction; the shipped scenario ("alliance") is reported beside it.
SCENARIOS: dict[str, tuple[str, tuple[str, ...]]] = {
    "circle": ("city_circle.toml", ()),
    "transfer": ("industry_transfer.toml", ()),
    "integration": (
        "talent_alliance.toml",
        ("talent_alliance.retention_bonus=0", "talent_alliance.pool_spillover=0"),
    ),
    "alliance": ("talent_alliance.toml", ()),
}
ANALYSERS = {
    "circle": analyse_circle,
    "transfer": analyse_transfer,
    "integration": analyse_integration,
    "alliance": analyse_alliance,
}


@dataclass
class ValidationResult:
    """Everything the report shows.

    Attributes:
        facts: one row per stylized fact (:data:`FACTS`) with the literature range, the estimate,
            its interval and the verdict.
        estimates: every per-seed / per-replicate estimate (estimate_key, seed or replicate,
            estimate, se).
        base_fit: per seed and city, observed and model base-year values.
        gravity: all gravity variants per seed.
        scenario_cities: per-city effects of the what-ifs (mean difference and 95% t interval).
        summaries: pooled values of the supplementary estimates (key -> (estimate, low, high)).
    """

    base_config: Config
    scenario_configs: dict[str, Config]
    scenario_sources: dict[str, str]
    root_seed: int
    seeds: list[int]
    replicate_seeds: list[int]
    facts: pd.DataFrame
    estimates: pd.DataFrame
    base_fit: pd.DataFrame
    gravity: pd.DataFrame
    scenario_cities: pd.DataFrame
    summaries: dict[str, tuple[float, float, float]]
    extra: dict[str, Any]
    wall_time_s: float
    first_run: BaselineRun | None = None
    backtest: pd.DataFrame = field(default_factory=pd.DataFrame)  # simulation.experiments.backtest
    backtest_summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    backtest_cluster: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def replicates(self) -> int:
        return len(self.replicate_seeds)


def load_scenarios(sets: list[str]) -> tuple[dict[str, Config], dict[str, str]]:
    """The what-if configs by role (:data:`SCENARIOS`: shipped scenario files with the same --set
    overrides as the baseline, plus the role's own settings) and a label of each."""
    cfgs, sources = {}, {}
    for role, (name, extra) in SCENARIOS.items():
        path = SCENARIO_DIR / name
        cfgs[role] = load_config(path, [*sets, *extra])
        sources[role] = display(path) + (f" with {', '.join(extra)}" if extra else "")
    return cfgs, sources


def run_validation(
    base_cfg: Config,
    scenario_cfgs: dict[str, Config],
    seeds: int = DEFAULT_SEEDS,
    replicates: int = DEFAULT_REPLICATES,
    root_seed: int | None = None,
    *,
    scenario_sources: dict[str, str] | None = None,
    progress: bool = False,
    workers: int = 1,
) -> ValidationResult:
    """Run the baseline over ``seeds`` seeds and each what-if over ``replicates`` paired replicates,
    estimate every stylized fact and compare it with the literature.

    Args:
        base_cfg: the baseline config (validated).
        scenario_cfgs: the what-ifs by role: "circle", "transfer", "integration", "alliance" (see
            :data:`SCENARIOS` and :func:`load_scenarios`).
        seeds: baseline seeds (>= 2), ``SeedSequence(root_seed).spawn(seeds)``.
        replicates: paired replicates per what-if (>= 2); replicate seeds derive from the root seed
            as in ``compare``.
        root_seed: default ``base_cfg.run.seed``.
        progress: progress bars on stderr.
        workers: processes for the what-if runs (results do not depend on it).

    Raises:
        ConfigError: fewer than 2 seeds or replicates, or configs that cannot be paired.
    """
    if seeds < 2:
        raise ConfigError("command line", "--seeds", f"{seeds} (allowed: integer >= 2)")
    if replicates < 2:
        raise ConfigError("command line", "--replicates", f"{replicates} (allowed: integer >= 2)")
    missing = [r for r in SCENARIOS if r not in scenario_cfgs]
    if missing:
        raise ConfigError(
            "<scenarios>", ",".join(missing), f"missing what-if configs (need {', '.join(SCENARIOS)})"
        )
    start = time.perf_counter()
    root = base_cfg.run.seed if root_seed is None else int(root_seed)
    seed_list = replicate_seeds(root, seeds)
    base = _run_baselines(base_cfg, seed_list, progress)
    findings, rep_seeds, extra = _run_whatifs(base_cfg, scenario_cfgs, replicates, root, progress, workers)
    extra["pm25"] = pm25_sources.decompose(base_cfg, root)
    extra["pm25_observed"] = observed_pm25(extra.get("region"))
    estimates = _estimates_table(base.est_rows, findings, rep_seeds, base.gravity)
    bt = _backtest(base_cfg, base.city_tables)
    summaries = pooled_summaries(estimates)
    facts = judge_facts(base.base_fit, base.gravity, estimates, findings, len(seed_list), replicates)
    scenario_cities = pd.concat([f.cities for f in findings.values()], ignore_index=True)
    return ValidationResult(
        base_config=base_cfg,
        scenario_configs=scenario_cfgs,
        scenario_sources=scenario_sources or {r: SCENARIOS[r][0] for r in SCENARIOS},
        root_seed=root,
        seeds=seed_list,
        replicate_seeds=rep_seeds,
        facts=facts,
        estimates=estimates,
        base_fit=base.base_fit,
        gravity=base.gravity,
        scenario_cities=scenario_cities,
        summaries=summaries,
        extra=extra,
        wall_time_s=time.perf_counter() - start,
        first_run=base.runs[0],
        backtest=bt.rows,
        backtest_summary=bt.summary,
        backtest_cluster=bt.cluster,
    )


@dataclass
class _Baselines:
    """What the baseline seeds give: the runs (only the first keeps its tables, for the plots), the
    per-seed estimate rows, base-year fits, gravity variants and every seed's city table."""

    runs: list[BaselineRun]
    est_rows: list[dict[str, Any]]
    base_fit: pd.DataFrame
    gravity: pd.DataFrame
    city_tables: list[pd.DataFrame]


def _run_baselines(base_cfg: Config, seed_list: list[int], progress: bool) -> _Baselines:
    region_cities = None
    runs: list[BaselineRun] = []
    est_rows: list[dict[str, Any]] = []
    grav_rows: list[dict[str, Any]] = []
    fits: list[pd.DataFrame] = []
    city_tables: list[pd.DataFrame] = []
    for seed in tqdm(seed_list, desc="baseline seeds", unit="run", file=sys.stderr, disable=not progress):
        run = run_baseline(base_cfg, seed)
        if region_cities is None:
            region_cities = resolve_region(base_cfg.run.region).cities
        runs.append(run)
        city_tables.append(run.tables["cities"])
        fits.append(base_fit_table(run, region_cities))
        grav_rows += gravity_rows(run)
        est_rows += agglomeration_rows(run) + intensity_rows(run) + convergence_rows(run)
        # keep only the first run's tables (for the plots); the others are summarised
        if len(runs) > 1:
            run.tables = {}
    base_fit = pd.concat(fits, ignore_index=True)
    return _Baselines(runs, est_rows, base_fit, pd.DataFrame(grav_rows), city_tables)


def _run_whatifs(
    base_cfg: Config,
    scenario_cfgs: dict[str, Config],
    replicates: int,
    root: int,
    progress: bool,
    workers: int,
) -> tuple[dict[str, ScenarioFindings], list[int], dict[str, Any]]:
    """Each what-if against the baseline (paired replicates): its findings by role, the replicate
    seeds, and the extras the report draws (the region and the circle network's edges)."""
    findings: dict[str, ScenarioFindings] = {}
    rep_seeds: list[int] = []
    extra: dict[str, Any] = {}
    for role, analyse in ANALYSERS.items():
        res = compare(base_cfg, scenario_cfgs[role], replicates, root, progress=progress, workers=workers)
        rep_seeds = res.seeds
        findings[role] = analyse(res, scenario_cfgs[role])
        extra[role] = findings[role].extra
        if role == "circle":
            extra["region"] = res.region
            extra["edges_scenario"] = res.edges_scenario
            extra["edges_base"] = res.edges_base
    return findings, rep_seeds, extra


def _estimates_table(
    est_rows: list[dict[str, Any]],
    findings: dict[str, ScenarioFindings],
    rep_seeds: list[int],
    gravity_df: pd.DataFrame,
) -> pd.DataFrame:
    """Every estimate in one table: the baseline seeds' rows, the what-ifs' per-replicate values and
    each gravity variant's elasticity and border coefficient."""
    est_rows = list(est_rows)
    for f in findings.values():
        for key, vals in f.per_replicate.items():
            if key.endswith("_se"):
                continue
            ses = f.per_replicate.get(f"{key}_se", [math.nan] * len(vals))
            for r, (v, s) in enumerate(zip(vals, ses, strict=True)):
                est_rows.append(
                    {
                        "estimate_key": key,
                        "seed": rep_seeds[r] if r < len(rep_seeds) else r,
                        "replicate": r,
                        "estimate": v,
                        "se": s,
                        "n": math.nan,
                    }
                )
    for _, g in gravity_df.iterrows():
        key = f"gravity_{g['kind']}_{g['distance']}_{g['method']}"
        est_rows.append(
            {
                "estimate_key": key,
                "seed": g["seed"],
                "estimate": g["elasticity"],
                "se": g["elasticity_se"],
                "n": g["n"],
            }
        )
        est_rows.append(
            {
                "estimate_key": f"border_{g['kind']}_{g['distance']}_{g['method']}",
                "seed": g["seed"],
                "estimate": g["border"],
                "se": g["border_se"],
                "n": g["n"],
            }
        )
    estimates = pd.DataFrame(est_rows)
    if "replicate" not in estimates:
        estimates["replicate"] = np.nan
    return estimates[["estimate_key", "seed", "replicate", "estimate", "se", "n"]]


def panel_path(cfg: Config) -> Path | None:
    """The region's observed panel (panel.csv), or None when the region has none."""
    folder = resolve_region(cfg.run.region).source_dir
    path = None if folder is None else Path(folder) / PANEL
    return path if path is not None and path.is_file() else None


def _backtest(cfg: Config, city_tables: list[pd.DataFrame]) -> Backtest:
    """The baseline seeds against the region's observed panel (empty when it has none)."""
    region = resolve_region(cfg.run.region)
    path = panel_path(cfg)
    if path is None:
        return Backtest(pd.DataFrame(), pd.DataFrame(), pd.DataFrame())
    return backtest(city_tables, load_panel(path.parent), region.cities.province)


def observed_pm25(region) -> str:
    """Observed PM2.5 changes from 2019 (pm25_observed.csv) where a later year is in the data."""
    df = getattr(region, "extra", {}).get("pm25_observed.csv") if region is not None else None
    if df is None:
        return "no observed series in the region"
    parts = []
    for place, g in df.dropna(subset=["pm25"]).groupby("city", sort=False):
        g = g.set_index("year").pm25
        later = [y for y in g.index if 2019 < y <= 2023]
        if 2019 in g.index and later:
            y = max(later)
            parts.append(f"{place} {g[2019]:g} -> {g[y]:g} ({y}, {100 * (g[y] / g[2019] - 1):+.0f}%)")
    return "; ".join(parts) + " (pm25_observed.csv; provenance there)"
