"""Sweep files: reading and checking one, and the runs it asks for (design brief §6, §7).

A sweep file (``configs/sweeps/*.toml``, documented in ``docs/sweeps.md``) names parameters by their
dotted path into the config, each with ``values`` or a range, a design (``grid``, ``random``,
``lhs``, ``sobol``, ``morris``; both in :mod:`simulation.experiments.sweep.design`), replicates per
point, a root seed, an optional ``base`` config and fixed ``[set]`` overrides. :func:`load_sweep`
checks all of it up front, validating every point's config, and raises
:class:`~simulation.params.ConfigError` naming the sweep file and the field.

The result, a :class:`Sweep`, holds every point and every run: its seed
(:func:`~simulation.experiments.sweep.design.run_seed`), its resolved config and its id
``sha256(resolved config TOML + seed)[:16]`` (:func:`simulation.archive.manifest.run_id`), so that the same
run has the same id in every sweep; with a ``delta:`` metric also each run's lever-off baseline
(:func:`baseline_tasks`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation import archive as arc
from simulation.config import Config, apply_overrides, flatten, load_config, read_toml, to_toml, validate
from simulation.experiments.sweep import metrics as sm
from simulation.experiments.sweep.design import (
    DESIGNS,
    DUMMY,
    LHS_OPTIMISE_MAX,
    SAMPLED,
    SweepParam,
    bool_field,
    check_endpoints,
    check_path,
    design_points,
    field_error,
    head_table,
    int_field,
    param_specs,
    parse_param,
    py_value,
    run_seed,
)
from simulation.experiments.sweep.exec import Task
from simulation.limits import MAX_RUNS, check_region_and_levers, source_of
from simulation.params import ConfigError

ROOT = Path(__file__).resolve().parents[3]

SECTIONS = ("sweep", "set", "parameters")
SWEEP_KEYS = (
    "name",
    "description",
    "design",
    "samples",
    "replicates",
    "seed",
    "base",
    "second_order",
    "levels",
    "metrics",
    "crn",
    "percentiles",
    "flows",
)


@dataclass
class Sweep:
    """A loaded, checked sweep: its settings, every point and every run.

    Attributes:
        file: the sweep file.
        text: its text (copied into the archive).
        name, description: from ``[sweep]`` (name defaults to the file stem).
        design: grid | random | lhs | sobol | morris.
        samples: random/lhs points; Sobol base samples N (points N(D+3), or N(2D+4) with
            second_order: D parameters + the dummy); Morris trajectories (points N(D+2)); None
            for a grid.
        replicates: runs per point.
        seed: the root seed.
        crn: common random numbers: all points share the seeds of replicate r.
        second_order: Sobol second-order indices (more points).
        levels: Morris grid levels.
        metrics: the summary metrics of ``runs.parquet`` (``<model column>_<agg>``).
        base_file: the base config file (None: the defaults).
        sets: fixed overrides (dotted path -> value) applied to the base.
        parameters: the swept parameters, in order.
        base_config: base file + sets, validated, ``run.seed`` = root seed.
        points: one row per point: point, each parameter's value, ``u:<path>`` (sampled designs).
        runs: one row per run: point, replicate, seed, run_id, each parameter's value.
        tasks: the distinct runs by id (a run id repeats only if two points and seeds coincide).
    """

    file: Path
    text: str
    name: str
    description: str
    design: str
    samples: int | None
    replicates: int
    seed: int
    crn: bool
    second_order: bool
    levels: int
    metrics: tuple[str, ...]
    base_file: Path | None
    sets: dict[str, Any]
    parameters: tuple[SweepParam, ...]
    base_config: Config
    points: pd.DataFrame = field(repr=False)
    runs: pd.DataFrame = field(repr=False)
    tasks: dict[str, Task] = field(repr=False)
    percentiles: tuple[float, ...] = sm.DEFAULT_PERCENTILES
    flows: bool = False
    baselines: dict[str, Task] = field(default_factory=dict, repr=False)

    @property
    def paths(self) -> list[str]:
        return [p.path for p in self.parameters]

    @property
    def sweep_hash(self) -> str:
        """sha256 of what decides the archive's content: every run (point, replicate, run id), the
        parameter paths, the metrics, the lever-off baselines and whether flows are kept. Equal
        hashes = the same sweep (resumable)."""
        body: dict[str, Any] = {
            "parameters": self.paths,
            "metrics": list(self.metrics),
            "runs": self.runs[["point", "replicate", "run_id"]].to_numpy().tolist(),
        }
        if self.baselines:
            body["baselines"] = sorted(self.baselines)
        if self.flows:
            body["flows"] = True
        return hashlib.sha256(json.dumps(body, separators=(",", ":")).encode()).hexdigest()

    def design_info(self) -> dict[str, Any]:
        """The design as plain data (manifest)."""
        return {
            "kind": self.design,
            "samples": self.samples,
            "replicates": self.replicates,
            "second_order": self.second_order if self.design == "sobol" else None,
            "levels": self.levels if self.design == "morris" else None,
            "crn": self.crn,
            "points": len(self.points),
            "runs": len(self.runs),
            "distinct_runs": len(self.tasks),
            "parameters": [p.spec() for p in self.parameters],
            "metrics": list(self.metrics),
            "percentiles": list(self.percentiles),
            "flows": self.flows,
            "baselines": len(self.baselines),
            "seed_rule": "SeedSequence(root_seed, spawn_key=(point, replicate)).generate_state(1)[0]"
            + (" with point = 0 (crn)" if self.crn else ""),
            **({"dummy": DUMMY} if self.design in SAMPLED else {}),
            **(
                {"lhs_optimization": "random-cd" if (self.samples or 0) <= LHS_OPTIMISE_MAX else None}
                if self.design == "lhs"
                else {}
            ),
        }

    def plan(self) -> str:
        """One line: design, points, replicates, runs."""
        extra = f", {self.samples} samples" if self.samples else ""
        return (
            f"sweep {self.name} ({self.design}{extra}: {len(self.points)} points x {self.replicates} "
            f"replicates = {len(self.runs)} runs, root seed {self.seed})"
        )


def resolve_base(file: Path, value: Any) -> Path:
    if not isinstance(value, str) or not value:
        raise field_error(
            file, "sweep.base", f"{value!r} (allowed: a config file path, e.g. configs/baseline.toml)"
        )
    p = Path(value)
    for cand in [p] if p.is_absolute() else [file.parent / p, ROOT / p, Path.cwd() / p]:
        if cand.is_file():
            return cand
    raise field_error(
        file, "sweep.base", f"no such config file {value!r} (looked beside the sweep file and in {ROOT})"
    )


def _short_values(values: dict[str, Any]) -> str:
    from simulation.params import short

    return "{" + ", ".join(f"{k!r}: {short(v, 60)}" for k, v in values.items()) + "}"


def _cli_sets(items: list[str] | None) -> dict[str, Any]:
    """``--set key=value`` options as dotted path -> value (TOML values, as ``run --set``)."""
    return flatten(apply_overrides({}, list(items or []), "--set")) if items else {}


def load_sweep(path: str | Path, sets: list[str] | None = None) -> Sweep:
    """Read and check a sweep file, build its design and resolve the config of every run.

    Args:
        path: the sweep file.
        sets: ``--set key=value`` overrides of the base config, applied over the file's ``[set]``
            (same syntax and checks as ``run --set``).

    Raises:
        ConfigError: one line 'FILE: FIELD: message (allowed: ...)' for anything wrong: unknown
            section or key, unknown parameter path, empty or inverted range, a value out of the
            config's bounds, a sample count SALib rejects, a point whose config is invalid.
    """
    file = Path(path)
    data = read_toml(file)
    text = file.read_text(encoding="utf-8")
    sw = head_table(file, data, SECTIONS, "sweep", SWEEP_KEYS)
    design = sw.get("design", "grid")
    if design not in DESIGNS:
        raise field_error(file, "sweep.design", f"{design!r} (allowed: {', '.join(DESIGNS)})")
    replicates = int_field(file, "sweep.replicates", sw.get("replicates", 1), 1)
    if replicates > MAX_RUNS:  # before the parameters are read
        raise field_error(file, "sweep.replicates", f"{replicates:,} (allowed: integer 1 to {MAX_RUNS:,})")
    samples: int | None = None
    if design in SAMPLED:
        if "samples" not in sw:
            raise field_error(
                file,
                "sweep.samples",
                f"missing: a {design} design needs a sample count (allowed: "
                "integer >= 2" + (", a power of 2 for sobol" if design == "sobol" else "") + ")",
            )
        samples = int_field(file, "sweep.samples", sw["samples"], 2)
        if samples > MAX_RUNS:
            raise field_error(
                file,
                "sweep.samples",
                f"{samples:,} (allowed: integer 2 to {MAX_RUNS:,}; runs per design <= {MAX_RUNS:,})",
            )
    elif "samples" in sw:
        raise field_error(
            file,
            "sweep.samples",
            "not used by a grid (allowed: only with design = random, lhs, sobol or morris)",
        )
    second_order = bool_field(file, "sweep.second_order", sw.get("second_order", False))
    levels = int_field(file, "sweep.levels", sw.get("levels", 4), 2)
    crn = bool_field(file, "sweep.crn", sw.get("crn", False))
    name = sw.get("name", file.stem)
    description = sw.get("description", "")
    if not isinstance(name, str) or not name.strip() or not isinstance(description, str):
        raise field_error(file, "sweep.name", f"{name!r} (allowed: non-empty text)")
    metrics = sw.get("metrics", list(sm.default_metrics()))
    if not isinstance(metrics, list) or not metrics or not all(isinstance(m, str) for m in metrics):
        raise field_error(
            file, "sweep.metrics", f"{metrics!r} (allowed: a non-empty list of names like gdp_final)"
        )
    for m in metrics:
        try:
            sm.parse_metric(m)
        except ValueError as err:
            raise field_error(file, "sweep.metrics", str(err)) from None
    percentiles = sm.check_percentiles(str(file), sw.get("percentiles", list(sm.DEFAULT_PERCENTILES)))
    keep_flows = bool_field(file, "sweep.flows", sw.get("flows", False))

    base_file = resolve_base(file, sw["base"]) if "base" in sw else None
    base_raw = read_toml(base_file) if base_file is not None else {}
    load_config(base_file)  # the base on its own: errors name the base file
    sets_raw = data.get("set", {})
    if not isinstance(sets_raw, dict):
        raise field_error(file, "set", "must be a table [set] of dotted paths")
    cli = _cli_sets(sets)
    sets = {**flatten(sets_raw), **cli}
    try:
        base_cfg = validate(apply_overrides(base_raw, sets), str(file))
    except ConfigError as err:
        if source_of(err.field, str(file), cli) == "--set":
            raise ConfigError(f"{file} (with --set)", err.field, err.message) from None
        raise field_error(file, f"set.{err.field}", err.message) from None
    root_seed = int_field(file, "sweep.seed", sw.get("seed", base_cfg.run.seed), 0)
    base = base_cfg.model_dump(mode="json")
    base["run"]["seed"] = root_seed
    base_cfg = validate(base, str(file))
    leaves = flatten(base)

    params: list[SweepParam] = []
    for path, spec in param_specs(file, data.get("parameters")):
        if path in cli:
            raise ConfigError("--set", path, "also swept in [parameters] (allowed: one or the other)")
        if path in sets:
            raise field_error(file, f"parameters.{path}", "also fixed in [set] (allowed: one or the other)")
        if path in ("run.seed",):
            raise field_error(
                file,
                f"parameters.{path}",
                "seeds come from sweep.seed and the replicates (allowed: any other parameter)",
            )
        if path in [p.path for p in params]:
            raise field_error(file, f"parameters.{path}", "given twice")
        base_value = check_path(file, path, leaves)
        p = parse_param(file, path, spec, base_value, design)
        if design in SAMPLED and p.values is not None and not p.values:
            raise field_error(file, f"parameters.{path}.values", "empty")
        check_endpoints(file, p, base)
        params.append(p)

    points = design_points(file, design, params, samples, replicates, root_seed, second_order, levels)
    paths = [p.path for p in params]
    runs, tasks, levers_on = _resolve_runs(
        file, base, points, paths, replicates, root_seed, crn, sets, cli, base_file, flows=keep_flows
    )
    sm.check_metrics(metrics, base_cfg, str(file), years=_years(base_cfg, points), levers_on=levers_on)
    sweep = Sweep(
        file=file,
        text=text,
        name=name.strip(),
        description=description,
        design=design,
        samples=samples,
        replicates=replicates,
        seed=root_seed,
        crn=crn,
        second_order=second_order,
        levels=levels,
        metrics=tuple(metrics),
        base_file=base_file,
        sets=sets,
        parameters=tuple(params),
        base_config=base_cfg,
        points=points,
        runs=runs,
        tasks=tasks,
        percentiles=percentiles,
        flows=keep_flows,
    )
    return _with_baselines(sweep)


def _years(cfg: Config, points: pd.DataFrame) -> tuple[int, int]:
    """The years every point simulates (``run.start_year`` / ``run.end_year`` may be swept)."""
    first = max([cfg.run.start_year, *points.get("run.start_year", pd.Series(dtype=int)).tolist()])
    last = min([cfg.run.end_year, *points.get("run.end_year", pd.Series(dtype=int)).tolist()])
    return int(first), int(last)


def _resolve_runs(
    file: Path, base: dict[str, Any], points: pd.DataFrame, paths: list[str], replicates: int,
    root_seed: int, crn: bool, sets: dict[str, Any], cli: dict[str, Any], base_file: Path | None,
    flows: bool = False,
) -> tuple[pd.DataFrame, dict[str, Task], bool]:  # fmt: skip
    """Every run of the design: its seed, resolved config and id (the rows, the distinct tasks, and
    whether any point has a lever on); each point's config and region checked, errors naming the
    swept parameter, the [set] entry, the --set option or the base file."""
    run_rows: list[dict[str, Any]] = []
    tasks: dict[str, Task] = {}
    regions: dict[str, Any] = {}  # region spec -> Region, each loaded once
    levers_on = False
    for i, row in enumerate(points[paths].itertuples(index=False, name=None)):
        values = {k: py_value(v) for k, v in zip(paths, row, strict=True)}
        try:
            cfg = validate(apply_overrides(base, values), str(file))
        except ConfigError as err:
            fld = f"parameters.{err.field}" if err.field in paths else err.field
            if fld == "(top level)":
                fld = "parameters"
            message = err.message.split("; got {")[0]  # not the whole config again
            raise field_error(file, fld, f"{message} (at point {i}: {_short_values(values)})") from None
        try:  # the region and the levers' cities, before any archive exists
            check_region_and_levers(cfg, str(file), None, regions)
        except ConfigError as err:
            at = f"{err.message} (at point {i}: {_short_values(values)})"
            swept = [p for p in paths if err.field == p or err.field.startswith((p + ".", p + "["))]
            if swept:
                raise field_error(file, f"parameters.{swept[0]}", at) from None
            if source_of(err.field, str(file), cli) == "--set":
                raise ConfigError(f"{file} (with --set)", err.field, at) from None
            if any(err.field == k or err.field.startswith((k + ".", k + "[")) for k in sets):
                raise field_error(file, f"set.{err.field}", at) from None
            raise field_error(base_file or file, err.field, at) from None
        point_data = cfg.model_dump(mode="json")
        levers_on = levers_on or sm.any_lever_on(point_data)
        for r in range(replicates):
            seed = run_seed(root_seed, i, r, crn)
            point_data["run"]["seed"] = seed
            toml = to_toml(validate(point_data, str(file)))
            rid = arc.run_id(toml, seed)
            tasks.setdefault(rid, Task(rid, toml, seed, flows=flows))
            run_rows.append({"point": i, "replicate": r, "seed": seed, "run_id": rid})
    runs = pd.DataFrame(run_rows).astype({"point": "int64", "replicate": "int64", "seed": "int64"})
    runs = runs.merge(points[["point", *paths]], on="point", how="left", sort=False)
    return runs, tasks, levers_on


def _with_baselines(sweep: Sweep) -> Sweep:
    """``sweep`` with the lever-off baseline of every run (``runs.baseline_id``, ``baselines``)
    when a metric is a ``delta:``; unchanged otherwise."""
    if not any(m.startswith(sm.DELTA) for m in sweep.metrics):
        return sweep
    base = sweep.base_config.model_dump(mode="json")
    ids, baselines = baseline_tasks(sweep.runs, sweep.paths, base, str(sweep.file))
    runs = sweep.runs.copy()
    runs["baseline_id"] = ids
    return dataclasses.replace(sweep, runs=runs, baselines=baselines)


def with_points(sweep: Sweep, points: pd.DataFrame) -> Sweep:
    """``sweep`` with another point set (renumbered 0..n-1 in the given order): seeds, run ids and
    baselines follow the new numbers (used when an archive is extended)."""
    points = points.reset_index(drop=True).copy()
    points["point"] = np.arange(len(points), dtype=np.int64)
    base = sweep.base_config.model_dump(mode="json")
    runs, tasks, _ = _resolve_runs(
        sweep.file, base, points, sweep.paths, sweep.replicates, sweep.seed, sweep.crn, sweep.sets, {},
        sweep.base_file, flows=sweep.flows,
    )  # fmt: skip
    return _with_baselines(dataclasses.replace(sweep, points=points, runs=runs, tasks=tasks, baselines={}))


def baseline_tasks(
    runs: pd.DataFrame, paths: list[str], base: dict[str, Any], file: str
) -> tuple[list[str], dict[str, Task]]:
    """The lever-off baseline of every run (row of ``runs``): its id per row, and the distinct tasks."""
    ids: list[str] = []
    tasks: dict[str, Task] = {}
    off_by_point: dict[int, dict[str, Any]] = {}
    for row in runs[["point", "seed", *paths]].itertuples(index=False, name=None):
        point, seed = int(row[0]), int(row[1])
        if point not in off_by_point:
            values = {k: py_value(v) for k, v in zip(paths, row[2:], strict=True)}
            data = validate(apply_overrides(base, values), file).model_dump(mode="json")
            off_by_point[point] = sm.lever_off(data)
        data = {**off_by_point[point], "run": {**off_by_point[point]["run"], "seed": seed}}
        toml = to_toml(validate(data, file))
        rid = arc.run_id(toml, seed)
        tasks.setdefault(rid, Task(rid, toml, seed))
        ids.append(rid)
    return ids, tasks
