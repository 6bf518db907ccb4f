"""Parameter sweeps: sweep files, designs, seeds, resumable sweep archives (design brief §6, §7).

A sweep file (``configs/sweeps/*.toml``, documented in ``docs/sweeps.md``) names parameters by their
dotted path into the config, each with ``values`` or a range (``low``, ``high``; ``num`` for a grid;
``log``), a design (``grid``, ``random``, ``lhs``, ``sobol`` (Saltelli's scheme, SALib), ``morris``),
replicates per point, a root seed, an optional ``base`` config and fixed ``[set]`` overrides.
:func:`load_sweep` checks all of it up front, validating every point's config, and raises
:class:`~simulation.params.ConfigError` naming the sweep file and the field.

Seeds: run (point p, replicate r) uses ``SeedSequence(root_seed, spawn_key=(p, r))`` (with
``crn = true``: ``spawn_key=(0, r)``, common random numbers across points); never the order in
which runs are scheduled. A run's id is ``sha256(resolved config TOML + seed)[:16]``
(:func:`simulation.archive.run_id`): the same run has the same id in every sweep.

A sweep archive is a folder (see ``docs/sweeps.md``)::

    manifest.json    kind "sweep", the sweep and its design, root seed, counts, status, code and
                     environment versions, sessions (executor, workers, times), sha256 of the files
    sweep.toml       the sweep file as given
    base.toml        the resolved base config (base file + [set], run.seed = root seed)
    design.parquet   one row per run: point, replicate, seed, run_id, each parameter's value and,
                     for sampled designs, its unit-cube coordinate (u:<path>) and the
                     dummy's (u:(dummy), the noise floor of the sensitivity analysis)
    runs/point=P/replicate=R/part.parquet   one file per run (a hive-partitioned dataset): run_id,
                     point, replicate, seed, the parameters, then the model and cities tables
    baselines/, flows/  lever-off baselines of delta metrics; flows when kept
    failed/<id>.txt     the traceback of each failed run
    runs.parquet     the index: design columns + status (ok | failed | pending), error, metrics
    point_stats.parquet, plots/, summary.md   per-point statistics, fan charts, the report

The modules around this one: :mod:`sweep_metrics` (metric names, checks, values, per-point
statistics), :mod:`sweep_store` (the files), :mod:`sweep_grow` (baselines, ``--extend``, runs shared
across archives), :mod:`sweep_run` (sessions), :mod:`sweep_verify`, :mod:`sweep_report`,
:mod:`sweep_cli`; their public names are re-exported here. Each run file is written under a
temporary name and renamed, so it exists whole or not at all; running the same sweep again finds
its archive (``--out``, or the most recent unfinished archive of the same sweep under
``results/``) and runs only what is missing or failed. ``runs.parquet`` is rebuilt from the run
files at the end of every session, so it is the same bytes whatever the executor, worker count or
interruptions.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import hashlib
import itertools
import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation import archive as arc
from simulation import sweep_grow as grow
from simulation import sweep_metrics as sm
from simulation import sweep_store as st
from simulation.config import Config, apply_overrides, flatten, load_config, read_toml, to_toml, validate
from simulation.limits import (
    MAX_RUNS,
    check_memory,
    check_region_and_levers,
    check_scheduler,
    check_workers,
    source_of,
)
from simulation.params import ConfigError
from simulation.sweep_cli import (  # noqa: F401 - the sweep's command line, re-exported
    SWEEP_HELP,
    VERIFY_SAMPLE_DEFAULT,
    _display,
    _extension_preview,
    add_sweep_arguments,
    add_verify_sample_argument,
    cmd_sweep,
    cmd_verify_sweep,
)
from simulation.sweep_exec import EXECUTORS, Outcome, Task, check_cluster, execute, source_sha256  # noqa: F401
from simulation.sweep_run import (  # noqa: F401 - running and the archive, re-exported
    GROWING,
    REWRITTEN,
    SweepInterrupted,
    SweepReport,
    _check_layout,
    _now,
    _version,
    create_archive,
    default_sweep_path,
    design_bytes,
    find_unfinished,
    locate,
    locked,
    new_manifest,
    run_sweep,
    summary_markdown,
)
from simulation.sweep_verify import archive_tasks, read_sweep_manifest, verify_sweep_archive  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "results"
DESIGNS = ("grid", "random", "lhs", "sobol", "morris")
SAMPLED = ("random", "lhs", "sobol", "morris")
DUMMY = "(dummy)"  # the noise-floor parameter of every sampled design: a unit-cube column, no config path
LHS_OPTIMISE_MAX = 2_000  # LHS samples up to which the design is discrepancy-optimised (random-cd)
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
SPEC_KEYS = ("values", "low", "high", "num", "log", "integer")
AGGS = sm.AGGS
RUNS, FAILED, BASELINES, FLOWS, PLOTS = st.RUNS, st.FAILED, st.BASELINES, st.FLOWS, st.PLOTS
INDEX, DESIGN, BASE_TOML, SWEEP_TOML, SUMMARY, LOCK = (
    st.INDEX, st.DESIGN, st.BASE_TOML, st.SWEEP_TOML, st.SUMMARY, st.LOCK,
)  # fmt: skip
POINTS = st.POINTS
ANALYSIS = st.ANALYSIS
STATUSES = st.STATUSES


def default_metrics() -> tuple[str, ...]:
    """The cluster headline metrics of ``compare`` (``gdp_final``, ``emissions_air_cum``, ...)."""
    from simulation.compare import METRICS

    return tuple(m.name for m in METRICS)


# ---------------------------------------------------------------------------- the sweep file
@dataclass(frozen=True)
class SweepParam:
    """One swept parameter: ``values`` (a list), or a range ``low``..``high`` (``num`` points in a
    grid; uniform, or log-uniform with ``log``). ``integer`` rounds sampled values (set
    automatically for integer config fields)."""

    path: str
    values: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    num: int | None = None
    log: bool = False
    integer: bool = False

    def grid(self) -> list[Any]:
        """The grid values: ``values``, or ``num`` points from ``low`` to ``high``."""
        if self.values is not None:
            return list(self.values)
        assert self.low is not None and self.high is not None and self.num is not None
        x = (np.geomspace if self.log else np.linspace)(self.low, self.high, self.num)
        if self.integer:
            return list(dict.fromkeys(int(v) for v in np.rint(x)))
        return [float(v) for v in x]

    def from_unit(self, u: np.ndarray) -> list[Any]:
        """Values for unit-cube coordinates ``u`` in [0, 1]: the range mapped linearly (or in
        logs), or the k listed values as k equal bins."""
        if self.values is not None:
            k = len(self.values)
            idx = np.minimum((np.asarray(u) * k).astype(int), k - 1)
            return [self.values[i] for i in idx]
        assert self.low is not None and self.high is not None
        if self.log:
            lo, hi = np.log(self.low), np.log(self.high)
            x = np.exp(lo + np.asarray(u) * (hi - lo))
        else:
            x = self.low + np.asarray(u) * (self.high - self.low)
        x = np.clip(x, self.low, self.high)  # exp(log(low)) may round below low
        if self.integer:
            return [int(v) for v in np.rint(x)]
        return [float(v) for v in x]

    def spec(self) -> dict[str, Any]:
        """The specification as plain data (manifest, summary)."""
        out: dict[str, Any] = {"path": self.path}
        if self.values is not None:
            out["values"] = list(self.values)
        else:
            out.update(low=self.low, high=self.high)
            if self.num is not None:
                out["num"] = self.num
            if self.log:
                out["log"] = True
        if self.integer:
            out["integer"] = True
        return out

    def describe(self) -> str:
        if self.values is not None:
            return "values " + ", ".join(repr(v) for v in self.values)
        text = f"{self.low:g} to {self.high:g}" + (" (log)" if self.log else "")
        return text + (f", {self.num} points" if self.num else "") + (", integer" if self.integer else "")


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


def run_seed(root_seed: int, point: int, replicate: int, crn: bool = False) -> int:
    """The seed of run (point, replicate): a function of the root seed, the point index and the
    replicate only (with ``crn``, of the root seed and the replicate)."""
    key = (0 if crn else int(point), int(replicate))
    return int(np.random.SeedSequence(int(root_seed), spawn_key=key).generate_state(1)[0])


def _err(file: Path | str, fld: str, message: str) -> ConfigError:
    return ConfigError(str(file), fld, message)


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _int(file: Path, fld: str, value: Any, low: int, what: str = "integer") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise _err(file, fld, f"{value!r} (allowed: {what} >= {low})")
    return value


def _bool(file: Path, fld: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _err(file, fld, f"{value!r} (allowed: true or false)")
    return value


def _resolve_base(file: Path, value: Any) -> Path:
    if not isinstance(value, str) or not value:
        raise _err(file, "sweep.base", f"{value!r} (allowed: a config file path, e.g. configs/baseline.toml)")
    p = Path(value)
    for cand in [p] if p.is_absolute() else [file.parent / p, ROOT / p, Path.cwd() / p]:
        if cand.is_file():
            return cand
    raise _err(
        file, "sweep.base", f"no such config file {value!r} (looked beside the sweep file and in {ROOT})"
    )


def _param_specs(file: Path, raw: Any) -> list[tuple[str, dict[str, Any]]]:
    """(path, spec) pairs from ``[parameters]`` (a table by dotted path, or an array of tables with
    ``path``); a bare list is shorthand for ``values``."""
    out: list[tuple[str, dict[str, Any]]] = []

    def leaf(path: str, v: Any) -> None:
        if isinstance(v, list):
            out.append((path, {"values": v}))
        elif isinstance(v, dict) and any(k in SPEC_KEYS for k in v):
            out.append((path, v))
        elif isinstance(v, dict):
            if not v:
                raise _err(file, f"parameters.{path}", "empty table (allowed: values = [...] or low/high)")
            for k, sub in v.items():
                leaf(f"{path}.{k}", sub)
        else:
            raise _err(
                file,
                f"parameters.{path}",
                f"{v!r} is a single value, not a sweep (allowed: "
                "values = [...] or low = .., high = ..; fixed values go in [set])",
            )

    if isinstance(raw, list):
        for i, item in enumerate(raw):
            if not isinstance(item, dict) or not isinstance(item.get("path"), str):
                raise _err(file, f"parameters[{i}].path", "missing (allowed: a dotted config path)")
            spec = {k: v for k, v in item.items() if k != "path"}
            out.append((item["path"], spec))
    elif isinstance(raw, dict):
        for k, v in raw.items():
            leaf(k, v)
    else:
        raise _err(file, "parameters", "missing (allowed: a table of dotted config paths)")
    if not out:
        raise _err(
            file,
            "parameters",
            'no parameters (allowed: at least one, e.g. "talent.border_cost" = { low = 0.5, high = 1.5 })',
        )
    return out


def _check_path(file: Path, path: str, leaves: dict[str, Any]) -> Any:
    """The base value at ``path``; ConfigError naming ``parameters.<path>`` if it is not a value."""
    fld = f"parameters.{path}"
    if path in leaves:
        value = leaves[path]
        if isinstance(value, list):
            raise _err(
                file,
                fld,
                "is a list, not a single value (allowed: a dotted path to a number, true/false or text)",
            )
        return value
    if any(k.startswith(path + ".") for k in leaves):
        raise _err(file, fld, "is a section, not a value (allowed: a dotted path to one value)")
    close = difflib.get_close_matches(path, list(leaves), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else ""
    message = (
        f"unknown parameter path{hint} (allowed: a dotted path into the config, e.g. talent.border_cost; "
        "see docs/parameters.md)"
    )
    raise _err(file, fld, message)


def _param(file: Path, path: str, spec: dict[str, Any], base_value: Any, design: str) -> SweepParam:
    fld = f"parameters.{path}"
    unknown = [k for k in spec if k not in SPEC_KEYS]
    if unknown:
        raise _err(file, f"{fld}.{unknown[0]}", f"unknown key (allowed: {', '.join(SPEC_KEYS)})")
    is_int = isinstance(base_value, int) and not isinstance(base_value, bool)
    integer = _bool(file, f"{fld}.integer", spec.get("integer", is_int))
    log = _bool(file, f"{fld}.log", spec.get("log", False))
    if "values" in spec:
        if any(k in spec for k in ("low", "high", "num", "log")):
            raise _err(file, fld, "give values or a range (low, high), not both")
        values = spec["values"]
        if not isinstance(values, list) or not values:
            raise _err(file, f"{fld}.values", f"{values!r}: empty (allowed: a non-empty list of values)")
        kinds = {"number" if _is_number(v) else type(v).__name__ for v in values}
        if len(kinds) > 1 or kinds & {"dict", "list"}:
            raise _err(
                file,
                f"{fld}.values",
                f"{values!r} (allowed: values of one kind: numbers, true/false or text)",
            )
        return SweepParam(path, values=tuple(values), integer=integer and kinds == {"number"})
    for key in ("low", "high"):
        if key not in spec:
            raise _err(file, f"{fld}.{key}", "missing (allowed: give values = [...], or low and high)")
        if not _is_number(spec[key]) or not np.isfinite(spec[key]):
            raise _err(file, f"{fld}.{key}", f"{spec[key]!r} (allowed: a finite number)")
    low, high = float(spec["low"]), float(spec["high"])
    if low > high:
        raise _err(file, f"{fld}.low", f"lower > upper: {low:g} > high {high:g} (allowed: low < high)")
    if low == high:
        raise _err(
            file,
            f"{fld}.high",
            f"empty range: low = high = {low:g} (allowed: low < high; a fixed value goes in [set])",
        )
    if log and low <= 0:
        raise _err(file, f"{fld}.low", f"{low:g} with log = true (allowed: low > 0)")
    num = spec.get("num")
    if design == "grid":
        if num is None:
            raise _err(
                file,
                f"{fld}.num",
                "missing: a grid over a range needs the number of points "
                "(allowed: integer >= 2, or give values = [...])",
            )
        num = _int(file, f"{fld}.num", num, 2)
        if num > MAX_RUNS:  # before any array is built
            raise _err(
                file,
                f"{fld}.num",
                f"{num:,} points (allowed: integer 2 to {MAX_RUNS:,}; runs per design <= {MAX_RUNS:,})",
            )
    elif num is not None:
        raise _err(file, f"{fld}.num", f"not used by a {design} design (allowed: only with design = 'grid')")
    return SweepParam(path, low=low, high=high, num=num, log=log, integer=integer)


def _check_endpoints(file: Path, p: SweepParam, base: dict[str, Any]) -> None:
    """Validate each listed value / both ends of the range on the base config, naming the field."""
    cases = [("values", v) for v in p.values] if p.values is not None else [("low", p.low), ("high", p.high)]
    for key, value in cases:
        if p.integer and _is_number(value):
            value = int(np.rint(value))
        try:
            validate(apply_overrides(base, {p.path: value}), str(file))
        except ConfigError as err:
            raise _err(file, f"parameters.{p.path}.{key}", f"{value!r}: {err.message}") from None


def _unit_sample(
    file: Path,
    design: str,
    params: list[SweepParam],
    samples: int,
    seed: int,
    second_order: bool,
    levels: int,
) -> np.ndarray:
    """Points of a sampled design in the unit cube [0, 1]^(D+1): one column per parameter and a last
    one for the dummy (:data:`DUMMY`), which no config reads, so that its indices measure the
    estimator's noise floor. A Latin hypercube of at most :data:`LHS_OPTIMISE_MAX` points is
    optimised for centred discrepancy (scipy ``random-cd``: column swaps that keep the strata and
    decorrelate the columns)."""
    d = len(params) + 1
    names = [p.path for p in params] + [DUMMY]
    problem = {"num_vars": d, "names": names, "bounds": [[0.0, 1.0]] * d}
    if design == "random":
        return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0x5EED,))).random((samples, d))
    if design == "lhs":
        from scipy.stats import qmc

        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0x1A5,)))
        opt = "random-cd" if samples <= LHS_OPTIMISE_MAX else None
        return qmc.LatinHypercube(d=d, optimization=opt, rng=rng).random(samples)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # SALib warns where the design is unsound: reject it
        try:
            if design == "sobol":
                from SALib.sample import sobol

                return sobol.sample(problem, samples, calc_second_order=second_order, seed=seed)
            from SALib.sample import morris

            return morris.sample(problem, samples, num_levels=levels, seed=seed)
        except (ValueError, UserWarning, RuntimeWarning) as err:
            fld = "sweep.levels" if design == "morris" and "level" in str(err) else "sweep.samples"
            value = levels if fld == "sweep.levels" else samples
            allowed = (
                "a power of 2, e.g. 64 or 128"
                if design == "sobol" and fld == "sweep.samples"
                else "an even number of levels, e.g. 4"
                if fld == "sweep.levels"
                else "integer >= 2"
            )
            raise _err(
                file, fld, f"{value} rejected by SALib ({design}): {err} (allowed: {allowed})"
            ) from None


def design_size(design: str, params: list[SweepParam], samples: int | None, second_order: bool) -> int:
    """Points of a design, computed from its specification alone (no array is built): a grid the
    product of its axes (an integer range counts at most its integers), random/lhs ``samples``,
    Sobol N(D+3) or N(2D+4), Morris N(D+2) (D parameters and the dummy)."""
    if design == "grid":
        n = 1
        for p in params:
            if p.values is not None:
                k = len(p.values)
            else:
                assert p.low is not None and p.high is not None and p.num is not None
                k = min(p.num, int(p.high) - int(p.low) + 2) if p.integer else p.num
            n *= max(k, 1)
            if n > MAX_RUNS:  # enough to refuse; the exact product may be astronomically large
                return n
        return n
    d, n = len(params) + 1, int(samples or 0)  # + the dummy
    if design == "sobol":
        return n * (2 * d + 2 if second_order else d + 2)
    if design == "morris":
        return n * (d + 1)
    return n


def _short_values(values: dict[str, Any]) -> str:
    from simulation.params import short

    return "{" + ", ".join(f"{k!r}: {short(v, 60)}" for k, v in values.items()) + "}"


def _py(value: Any) -> Any:
    """A numpy scalar as the Python value (for overrides and TOML)."""
    return value.item() if isinstance(value, np.generic) else value


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
    for key in data:
        if key not in SECTIONS:
            raise _err(file, key, f"unknown section (allowed: {', '.join(SECTIONS)})")
    sw = data.get("sweep", {})
    if not isinstance(sw, dict):
        raise _err(file, "sweep", "must be a table [sweep]")
    for key in sw:
        if key not in SWEEP_KEYS:
            raise _err(file, f"sweep.{key}", f"unknown key (allowed: {', '.join(SWEEP_KEYS)})")
    design = sw.get("design", "grid")
    if design not in DESIGNS:
        raise _err(file, "sweep.design", f"{design!r} (allowed: {', '.join(DESIGNS)})")
    replicates = _int(file, "sweep.replicates", sw.get("replicates", 1), 1)
    if replicates > MAX_RUNS:  # before the parameters are read
        raise _err(file, "sweep.replicates", f"{replicates:,} (allowed: integer 1 to {MAX_RUNS:,})")
    samples: int | None = None
    if design in SAMPLED:
        if "samples" not in sw:
            raise _err(
                file,
                "sweep.samples",
                f"missing: a {design} design needs a sample count (allowed: "
                "integer >= 2" + (", a power of 2 for sobol" if design == "sobol" else "") + ")",
            )
        samples = _int(file, "sweep.samples", sw["samples"], 2)
        if samples > MAX_RUNS:
            raise _err(
                file,
                "sweep.samples",
                f"{samples:,} (allowed: integer 2 to {MAX_RUNS:,}; runs per design <= {MAX_RUNS:,})",
            )
    elif "samples" in sw:
        raise _err(
            file,
            "sweep.samples",
            "not used by a grid (allowed: only with design = random, lhs, sobol or morris)",
        )
    second_order = _bool(file, "sweep.second_order", sw.get("second_order", False))
    levels = _int(file, "sweep.levels", sw.get("levels", 4), 2)
    crn = _bool(file, "sweep.crn", sw.get("crn", False))
    name = sw.get("name", file.stem)
    description = sw.get("description", "")
    if not isinstance(name, str) or not name.strip() or not isinstance(description, str):
        raise _err(file, "sweep.name", f"{name!r} (allowed: non-empty text)")
    metrics = sw.get("metrics", list(default_metrics()))
    if not isinstance(metrics, list) or not metrics or not all(isinstance(m, str) for m in metrics):
        raise _err(file, "sweep.metrics", f"{metrics!r} (allowed: a non-empty list of names like gdp_final)")
    for m in metrics:
        try:
            sm.parse_metric(m)
        except ValueError as err:
            raise _err(file, "sweep.metrics", str(err)) from None
    percentiles = sm.check_percentiles(str(file), sw.get("percentiles", list(sm.DEFAULT_PERCENTILES)))
    keep_flows = _bool(file, "sweep.flows", sw.get("flows", False))

    base_file = _resolve_base(file, sw["base"]) if "base" in sw else None
    base_raw = read_toml(base_file) if base_file is not None else {}
    load_config(base_file)  # the base on its own: errors name the base file
    sets_raw = data.get("set", {})
    if not isinstance(sets_raw, dict):
        raise _err(file, "set", "must be a table [set] of dotted paths")
    cli = _cli_sets(sets)
    sets = {**flatten(sets_raw), **cli}
    try:
        base_cfg = validate(apply_overrides(base_raw, sets), str(file))
    except ConfigError as err:
        if source_of(err.field, str(file), cli) == "--set":
            raise ConfigError(f"{file} (with --set)", err.field, err.message) from None
        raise _err(file, f"set.{err.field}", err.message) from None
    root_seed = _int(file, "sweep.seed", sw.get("seed", base_cfg.run.seed), 0)
    base = base_cfg.model_dump(mode="json")
    base["run"]["seed"] = root_seed
    base_cfg = validate(base, str(file))
    leaves = flatten(base)

    params: list[SweepParam] = []
    for path, spec in _param_specs(file, data.get("parameters")):
        if path in cli:
            raise ConfigError("--set", path, "also swept in [parameters] (allowed: one or the other)")
        if path in sets:
            raise _err(file, f"parameters.{path}", "also fixed in [set] (allowed: one or the other)")
        if path in ("run.seed",):
            raise _err(
                file,
                f"parameters.{path}",
                "seeds come from sweep.seed and the replicates (allowed: any other parameter)",
            )
        if path in [p.path for p in params]:
            raise _err(file, f"parameters.{path}", "given twice")
        base_value = _check_path(file, path, leaves)
        p = _param(file, path, spec, base_value, design)
        if design in SAMPLED and p.values is not None and not p.values:
            raise _err(file, f"parameters.{path}.values", "empty")
        _check_endpoints(file, p, base)
        params.append(p)

    # the design: points as parameter values (and unit-cube coordinates for sampled designs)
    n_runs = design_size(design, params, samples, second_order) * replicates  # arithmetic, no arrays
    if n_runs > MAX_RUNS:
        fld = "parameters" if design == "grid" else "sweep.samples"
        raise _err(
            file,
            fld,
            f"the {design} design has {n_runs:,} runs (allowed: at most {MAX_RUNS:,} runs per design)",
        )
    if design == "grid":
        grids = [p.grid() for p in params]
        n_points = int(np.prod([len(g) for g in grids], dtype=float))
        if n_points * replicates > MAX_RUNS:
            raise _err(
                file,
                "parameters",
                f"the grid has {n_points:,} points x {replicates} replicates "
                f"(allowed: at most {MAX_RUNS:,} runs)",
            )
        rows = list(itertools.product(*grids))
        points = pd.DataFrame({"point": np.arange(len(rows), dtype=np.int64)})
        for j, p in enumerate(params):
            points[p.path] = pd.Series([r[j] for r in rows])
    else:
        assert samples is not None
        unit = _unit_sample(file, design, params, samples, root_seed, second_order, levels)
        if len(unit) * replicates > MAX_RUNS:
            raise _err(
                file,
                "sweep.samples",
                f"{samples} gives {len(unit) * replicates:,} runs (allowed: at most {MAX_RUNS:,})",
            )
        points = pd.DataFrame({"point": np.arange(len(unit), dtype=np.int64)})
        for j, p in enumerate(params):
            points[p.path] = pd.Series(p.from_unit(unit[:, j]))
        for j, p in enumerate(params):
            points[f"u:{p.path}"] = unit[:, j].astype(float)
        points[f"u:{DUMMY}"] = unit[:, -1].astype(float)  # the dummy: in the design, in no config

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
        values = {k: _py(v) for k, v in zip(paths, row, strict=True)}
        try:
            cfg = validate(apply_overrides(base, values), str(file))
        except ConfigError as err:
            fld = f"parameters.{err.field}" if err.field in paths else err.field
            if fld == "(top level)":
                fld = "parameters"
            message = err.message.split("; got {")[0]  # not the whole config again
            raise _err(file, fld, f"{message} (at point {i}: {_short_values(values)})") from None
        try:  # the region and the levers' cities, before any archive exists
            check_region_and_levers(cfg, str(file), None, regions)
        except ConfigError as err:
            at = f"{err.message} (at point {i}: {_short_values(values)})"
            swept = [p for p in paths if err.field == p or err.field.startswith((p + ".", p + "["))]
            if swept:
                raise _err(file, f"parameters.{swept[0]}", at) from None
            if source_of(err.field, str(file), cli) == "--set":
                raise ConfigError(f"{file} (with --set)", err.field, at) from None
            if any(err.field == k or err.field.startswith((k + ".", k + "[")) for k in sets):
                raise _err(file, f"set.{err.field}", at) from None
            raise _err(base_file or file, err.field, at) from None
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
    ids, baselines = grow.baseline_tasks(sweep.runs, sweep.paths, base, str(sweep.file))
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


# ---------------------------------------------------------------------------- metrics and index
def metric_values(model: pd.DataFrame, names: tuple[str, ...] | list[str]) -> dict[str, float]:
    """Summary metrics of one run's model table (cluster metrics, no ``delta:``): ``<column>_<agg>``
    or ``<column>@<year>``; "final" is the last year, "cum"/"total" a sum, "mean", "max", "min" over
    the simulated years (after the base year), as in ``compare``. A column the table lacks gives NaN."""
    specs = [sm.parse_metric(n) for n in names]
    return sm.table_values(model, None, specs)


read_run_tables = st.read_run_tables
read_index = st.read_index
_atomic_write = st.atomic_write
_write_json = st.write_json
_read_json = st.read_json
_clean_tmp = st.clean_tmp
_archive_files = st.archive_files
_error_line = st.error_line


def build_index(path: Path, runs: pd.DataFrame, metrics: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """``runs.parquet``: :func:`simulation.sweep_store.build_index` (status, error, metrics per run)."""
    return st.build_index(path, runs, metrics)


# ---------------------------------------------------------------------------- command line
def _executor(args: argparse.Namespace) -> tuple[str, int]:
    executor = args.executor or ("dask" if args.scheduler else "process")
    if args.scheduler and executor != "dask":
        raise ConfigError(
            "command line",
            "--scheduler",
            f"given with --executor {executor} (allowed: only with --executor dask)",
        )
    workers = args.workers if args.workers is not None else (os.cpu_count() or 1)
    return executor, check_workers(workers)


def preflight(sweep: Sweep, executor: str, workers: int, scheduler: str | None) -> None:
    """What the machine must offer before the archive folder is created: a reachable Dask
    scheduler (short timeout) whose every worker imports this very code (``check_cluster``), and
    memory for the runs held at once (local executors only; a running cluster's workers have their
    own)."""
    if scheduler:
        check_scheduler(scheduler)
        check_cluster(scheduler)
        return
    concurrent = 1 if executor == "serial" else max(1, min(workers, len(sweep.tasks)))
    cfg, swept = sweep.base_config, {}
    for path in ("scale.talent_agents", "scale.firm_agents"):
        if path in sweep.paths:  # the largest value of each: an upper bound
            swept[path] = int(pd.to_numeric(sweep.points[path]).max())
    if swept:
        cfg = validate(apply_overrides(cfg.model_dump(mode="json"), swept), str(sweep.file))
    fld = "parameters.scale.talent_agents" if swept else "scale.talent_agents"
    check_memory(cfg, str(sweep.file), concurrent, fld)
