"""The optimisation spec (``configs/optimise/*.toml``): levers, objectives, uncertainties, budget.

::

    [optimise]
    name = "transfer_vs_air"           # default: the file name
    description = "..."
    base = "configs/baseline.toml"     # base config (default: the built-in defaults)
    seed = 2035                        # root seed (default: run.seed of the base)
    algorithm = "nsga2"                # the only one so far (pymoo's NSGA-II)
    population = 16                    # candidates per generation
    generations = 8                    # generations, the first one included
    replicates = 1                     # seeds per candidate and scenario (common to all candidates)

    [set]                              # fixed overrides of the base, by dotted path
    "industry_transfer.enabled" = true

    [levers]                           # the decision variables, as a sweep's parameters
    "industry_transfer.subsidy" = { low = 0.0, high = 2.0 }
    "hukou_reform.enabled" = [false, true]

    [objectives]                       # metric = "max" | "min", or a table
    gdp_final = "max"
    air_quality_mean = { sense = "min", statistic = "p90" }   # statistic: robust runs only
    fiscal_cost_cum = "min"

    [uncertainties]                    # optional: robust optimisation over these
    "talent.border_cost" = { low = 0.5, high = 1.5 }

    [robust]
    scenarios = 8                      # Latin hypercube sample of the uncertainties, drawn once
    statistic = "mean"                 # over the scenarios: mean | median | min | max | pNN

:func:`load_spec` checks all of it before any run, with the sweep file's rules for paths and
ranges (:mod:`simulation.experiments.sweep.design`), and raises
:class:`~simulation.params.ConfigError` naming the file, the field and what is allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulation.config import Config, apply_overrides, flatten, load_config, read_toml, validate
from simulation.experiments import outcomes
from simulation.experiments.sweep import design
from simulation.experiments.sweep.design import SweepParam
from simulation.experiments.sweep.spec import resolve_base
from simulation.limits import MAX_REPLICATES, MAX_RUNS
from simulation.params import ConfigError

SECTIONS = ("optimise", "set", "levers", "objectives", "uncertainties", "robust")
KEYS = ("name", "description", "base", "seed", "algorithm", "population", "generations", "replicates")
ROBUST_KEYS = ("scenarios", "statistic")
OBJECTIVE_KEYS = ("sense", "statistic")
SENSES = ("max", "min")
ALGORITHMS = ("nsga2",)
STATISTICS = "mean | median | min | max | pNN (a percentile, e.g. p90)"
MAX_POPULATION, MAX_GENERATIONS, MAX_SCENARIOS = 1000, 1000, 10_000
DEFAULT_SCENARIOS = 8


@dataclass(frozen=True)
class Objective:
    """One objective: a metric, maximised or minimised, summarised over the scenarios with
    ``statistic`` (robust runs; the replicates of a scenario are averaged first)."""

    metric: str
    sense: str
    statistic: str = "mean"

    def spec(self) -> dict[str, str]:
        return {"metric": self.metric, "sense": self.sense, "statistic": self.statistic}


@dataclass
class Spec:
    """A loaded, checked optimisation spec (see the module docstring for the fields)."""

    file: Path
    text: str
    name: str
    description: str
    seed: int
    algorithm: str
    population: int
    generations: int
    replicates: int
    base_file: Path | None
    sets: dict[str, Any]
    levers: tuple[SweepParam, ...]
    objectives: tuple[Objective, ...]
    uncertainties: tuple[SweepParam, ...]
    scenarios: int
    base_config: Config

    @property
    def robust(self) -> bool:
        return bool(self.uncertainties)

    @property
    def runs_per_candidate(self) -> int:
        return max(self.scenarios, 1) * self.replicates

    @property
    def budget(self) -> int:
        """Model runs at most (fewer when candidates repeat)."""
        return self.population * self.generations * self.runs_per_candidate

    @property
    def metrics(self) -> list[str]:
        return [o.metric for o in self.objectives]

    def info(self) -> dict[str, Any]:
        """The spec as plain data (manifest)."""
        return {
            "name": self.name, "description": self.description, "algorithm": self.algorithm,
            "population": self.population, "generations": self.generations, "replicates": self.replicates,
            "levers": [p.spec() for p in self.levers], "objectives": [o.spec() for o in self.objectives],
            "uncertainties": [p.spec() for p in self.uncertainties], "scenarios": self.scenarios,
            "budget_runs": self.budget, "spec_file": str(self.file),
            "base_source": str(self.base_file) if self.base_file else None, "sets": self.sets,
            "seed_rule": "run (scenario s, replicate r): SeedSequence(seed, spawn_key=(s, r)), the same "
            "for every candidate (common random numbers)",
        }  # fmt: skip

    def plan(self) -> str:
        robust = f" x {self.scenarios} scenarios" if self.robust else ""
        return (
            f"optimise {self.name} ({self.algorithm}: {self.population} candidates x {self.generations} "
            f"generations{robust} x {self.replicates} replicate(s) = at most {self.budget:,} runs, "
            f"{len(self.levers)} levers, {len(self.objectives)} objectives, root seed {self.seed})"
        )


_err = design.field_error


def _relabel(err: ConfigError, file: Path, section: str) -> ConfigError:
    """A sweep helper's error in this file's words: ``parameters.`` -> ``<section>.``."""
    fld = re.sub(r"^parameters\b", section, err.field).replace("sweep.base", "optimise.base")
    return _err(file, fld, err.message)


def _int(file: Path, fld: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _err(file, fld, f"{value!r} (allowed: an integer {low} to {high:,})")
    return value


def _statistic(file: Path, fld: str, value: Any) -> str:
    if isinstance(value, str) and (
        value in ("mean", "median", "min", "max") or re.fullmatch(r"p\d{1,2}", value)
    ):
        return value
    raise _err(file, fld, f"{value!r} (allowed: {STATISTICS})")


def _params(file: Path, data: dict, section: str, base: dict[str, Any], taken: set[str]) -> list[SweepParam]:
    """The levers or uncertainties: sweep parameters without ``num``, checked on the base."""
    if section not in data:
        return []
    leaves = flatten(base)
    out: list[SweepParam] = []
    try:
        specs = design.param_specs(file, data[section])
    except ConfigError as err:
        raise _relabel(err, file, section) from None
    for path, spec in specs:
        fld = f"{section}.{path}"
        if "num" in spec:
            raise _err(file, f"{fld}.num", "not used here (allowed: low, high, log, integer, or values)")
        if path == "run.seed":
            raise _err(
                file, fld, "seeds come from optimise.seed and the replicates (allowed: any other path)"
            )
        if path in taken:
            raise _err(file, fld, "already fixed in [set], a lever or an uncertainty (allowed: one of them)")
        taken.add(path)
        try:
            p = design.parse_param(file, path, spec, design.check_path(file, path, leaves), "random")
            design.check_endpoints(file, p, base)
        except ConfigError as err:
            raise _relabel(err, file, section) from None
        out.append(p)
    return out


def _objectives(file: Path, raw: Any, robust: bool, default_stat: str) -> list[Objective]:
    if not isinstance(raw, dict) or not raw:
        raise _err(
            file,
            "objectives",
            'missing (allowed: a table such as gdp_final = "max", air_quality_mean = "min")',
        )
    out = []
    for metric, value in raw.items():
        fld = f"objectives.{metric}"
        outcomes.check_syntax(str(file), fld, metric)
        spec = {"sense": value} if isinstance(value, str) else value
        if not isinstance(spec, dict):
            raise _err(file, fld, f'{value!r} (allowed: "max", "min" or {{ sense = ..., statistic = ... }})')
        for k in spec:
            if k not in OBJECTIVE_KEYS:
                raise _err(file, f"{fld}.{k}", f"unknown key (allowed: {', '.join(OBJECTIVE_KEYS)})")
        if spec.get("sense") not in SENSES:
            raise _err(file, f"{fld}.sense" if isinstance(value, dict) else fld,
                       f"{spec.get('sense')!r} (allowed: {', '.join(SENSES)})")  # fmt: skip
        if "statistic" in spec and not robust:
            raise _err(file, f"{fld}.statistic", "only with [uncertainties] (robust optimisation)")
        stat = _statistic(file, f"{fld}.statistic", spec.get("statistic", default_stat))
        out.append(Objective(metric, spec["sense"], stat))
    return out


def probe_config(base: dict[str, Any], params: list[SweepParam], file: Path) -> Config:
    """The base with every lever and uncertainty at its last value or high end: a probe run of it
    writes the columns of every lever that can be on."""
    values = {p.path: (p.values[-1] if p.values is not None else (round(p.high) if p.integer else p.high))
              for p in params}  # fmt: skip
    return validate(apply_overrides(base, values), str(file))


def load_spec(path: str | Path, base_override: Path | None = None) -> Spec:
    """Read and check an optimisation spec. ``base_override``: use this config file as the base
    instead of the spec's ``base`` (``verify`` passes the archive's resolved ``base.toml``).

    Raises:
        ConfigError: one line 'FILE: FIELD: message (allowed: ...)'.
    """
    file = Path(path)
    data = read_toml(file)
    text = file.read_text(encoding="utf-8")
    opt = design.head_table(file, data, SECTIONS, "optimise", KEYS)
    name, description = opt.get("name", file.stem), opt.get("description", "")
    if not isinstance(name, str) or not name.strip() or not isinstance(description, str):
        raise _err(file, "optimise.name", f"{name!r} (allowed: non-empty text)")
    algorithm = opt.get("algorithm", "nsga2")
    if algorithm not in ALGORITHMS:
        raise _err(file, "optimise.algorithm", f"{algorithm!r} (allowed: {', '.join(ALGORITHMS)})")
    population = _int(file, "optimise.population", opt.get("population", 16), 4, MAX_POPULATION)
    generations = _int(file, "optimise.generations", opt.get("generations", 8), 1, MAX_GENERATIONS)
    replicates = _int(file, "optimise.replicates", opt.get("replicates", 1), 1, MAX_REPLICATES)

    if base_override is not None:
        base_file: Path | None = Path(base_override)
    else:
        try:
            base_file = resolve_base(file, opt["base"]) if "base" in opt else None
        except ConfigError as err:
            raise _relabel(err, file, "levers") from None
    base_raw = read_toml(base_file) if base_file is not None else {}
    load_config(base_file)  # the base on its own: errors name the base file
    sets_raw = data.get("set", {})
    if not isinstance(sets_raw, dict):
        raise _err(file, "set", "must be a table [set] of dotted paths")
    sets = flatten(sets_raw)
    try:
        base_cfg = validate(apply_overrides(base_raw, sets), str(file))
    except ConfigError as err:
        raise _err(file, f"set.{err.field}", err.message) from None
    seed = opt.get("seed", base_cfg.run.seed)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise _err(file, "optimise.seed", f"{seed!r} (allowed: an integer 0 to 2^63 - 1)")
    base = base_cfg.model_dump(mode="json")
    base["run"]["seed"] = seed
    base_cfg = validate(base, str(file))

    taken = set(sets)
    levers = _params(file, data, "levers", base, taken)
    if not levers:
        raise _err(
            file,
            "levers",
            'missing (allowed: e.g. "talent_alliance.border_cost_cut" = { low = 0, high = 1 })',
        )
    uncertainties = _params(file, data, "uncertainties", base, taken)
    robust_raw = data.get("robust", {})
    if not isinstance(robust_raw, dict):
        raise _err(file, "robust", "must be a table [robust]")
    if robust_raw and not uncertainties:
        raise _err(file, "robust", "without [uncertainties] (allowed: give the uncertain parameters)")
    for key in robust_raw:
        if key not in ROBUST_KEYS:
            raise _err(file, f"robust.{key}", f"unknown key (allowed: {', '.join(ROBUST_KEYS)})")
    scenarios = 0
    if uncertainties:
        scenarios = _int(
            file, "robust.scenarios", robust_raw.get("scenarios", DEFAULT_SCENARIOS), 2, MAX_SCENARIOS
        )
    default_stat = _statistic(file, "robust.statistic", robust_raw.get("statistic", "mean"))
    objectives = _objectives(file, data.get("objectives"), bool(uncertainties), default_stat)
    spec = Spec(
        file=file, text=text, name=name.strip(), description=description, seed=seed, algorithm=algorithm,
        population=population, generations=generations, replicates=replicates, base_file=base_file,
        sets=sets, levers=tuple(levers), objectives=tuple(objectives), uncertainties=tuple(uncertainties),
        scenarios=scenarios, base_config=base_cfg,
    )  # fmt: skip
    if spec.budget > MAX_RUNS:
        raise _err(file, "optimise.population",
                   f"{spec.budget:,} runs at most (allowed: population x generations x scenarios x "
                   f"replicates <= {MAX_RUNS:,})")  # fmt: skip
    _check_references(spec, base, file)
    return spec


def _check_references(spec: Spec, base: dict[str, Any], file: Path) -> None:
    """The region and the levers' cities, and every objective's column (a probe run)."""
    from simulation.limits import check_region_and_levers

    check_region_and_levers(spec.base_config, str(file), None, {})
    probe = probe_config(base, [*spec.levers, *spec.uncertainties], file)
    for o in spec.objectives:
        outcomes.check_names(str(file), f"objectives.{o.metric}", [o.metric], probe)
