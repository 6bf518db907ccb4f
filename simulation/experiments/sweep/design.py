"""Sweep parameters and designs: what a ``[parameters]`` entry may say, the points of each design,
and the seed of every run (design brief §6).

A parameter (:class:`SweepParam`) is named by its dotted path into the config and swept over
``values`` or a range (``low``, ``high``; ``num`` points for a grid; ``log``). Designs
(:data:`DESIGNS`): ``grid`` (the product of the axes), ``random``, ``lhs`` (a Latin hypercube,
discrepancy-optimised up to :data:`LHS_OPTIMISE_MAX` points), ``sobol`` (Saltelli's scheme, SALib)
and ``morris`` (SALib). Every sampled design carries a dummy column (:data:`DUMMY`) that no config
reads: the noise floor of the sensitivity analysis.

Seeds: run (point p, replicate r) uses ``SeedSequence(root_seed, spawn_key=(p, r))`` (with
``crn = true``: ``spawn_key=(0, r)``, common random numbers across points); never the order in
which runs are scheduled (:func:`run_seed`).

The field checks raise :class:`~simulation.params.ConfigError` naming the file and the field; the
optimisation spec (:mod:`simulation.experiments.optimise_spec`) reads its levers with them too.
"""

from __future__ import annotations

import difflib
import itertools
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.config import apply_overrides, validate
from simulation.limits import MAX_RUNS
from simulation.params import ConfigError

DESIGNS = ("grid", "random", "lhs", "sobol", "morris")
SAMPLED = ("random", "lhs", "sobol", "morris")
DUMMY = "(dummy)"  # the noise-floor parameter of every sampled design: a unit-cube column, no config path
LHS_OPTIMISE_MAX = 2_000  # LHS samples up to which the design is discrepancy-optimised (random-cd)
SPEC_KEYS = ("values", "low", "high", "num", "log", "integer")


# ---------------------------------------------------------------------------- a parameter
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


def run_seed(root_seed: int, point: int, replicate: int, crn: bool = False) -> int:
    """The seed of run (point, replicate): a function of the root seed, the point index and the
    replicate only (with ``crn``, of the root seed and the replicate)."""
    key = (0 if crn else int(point), int(replicate))
    return int(np.random.SeedSequence(int(root_seed), spawn_key=key).generate_state(1)[0])


# ---------------------------------------------------------------------------- field checks
def field_error(file: Path | str, fld: str, message: str) -> ConfigError:
    return ConfigError(str(file), fld, message)


def head_table(file: Path, data: dict[str, Any], sections: tuple[str, ...], table: str,
               keys: tuple[str, ...]) -> dict[str, Any]:  # fmt: skip
    """Check a spec file's sections and the keys of its head table ``[table]``; return that table.
    ConfigError naming the file, the field and the allowed names otherwise."""
    for key in data:
        if key not in sections:
            raise field_error(file, key, f"unknown section (allowed: {', '.join(sections)})")
    head = data.get(table, {})
    if not isinstance(head, dict):
        raise field_error(file, table, f"must be a table [{table}]")
    for key in head:
        if key not in keys:
            raise field_error(file, f"{table}.{key}", f"unknown key (allowed: {', '.join(keys)})")
    return head


def is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def int_field(file: Path, fld: str, value: Any, low: int, what: str = "integer") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise field_error(file, fld, f"{value!r} (allowed: {what} >= {low})")
    return value


def bool_field(file: Path, fld: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise field_error(file, fld, f"{value!r} (allowed: true or false)")
    return value


def param_specs(file: Path, raw: Any) -> list[tuple[str, dict[str, Any]]]:
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
                raise field_error(
                    file, f"parameters.{path}", "empty table (allowed: values = [...] or low/high)"
                )
            for k, sub in v.items():
                leaf(f"{path}.{k}", sub)
        else:
            raise field_error(
                file,
                f"parameters.{path}",
                f"{v!r} is a single value, not a sweep (allowed: "
                "values = [...] or low = .., high = ..; fixed values go in [set])",
            )

    if isinstance(raw, list):
        for i, item in enumerate(raw):
            if not isinstance(item, dict) or not isinstance(item.get("path"), str):
                raise field_error(file, f"parameters[{i}].path", "missing (allowed: a dotted config path)")
            spec = {k: v for k, v in item.items() if k != "path"}
            out.append((item["path"], spec))
    elif isinstance(raw, dict):
        for k, v in raw.items():
            leaf(k, v)
    else:
        raise field_error(file, "parameters", "missing (allowed: a table of dotted config paths)")
    if not out:
        raise field_error(
            file,
            "parameters",
            'no parameters (allowed: at least one, e.g. "talent.border_cost" = { low = 0.5, high = 1.5 })',
        )
    return out


def check_path(file: Path, path: str, leaves: dict[str, Any]) -> Any:
    """The base value at ``path``; ConfigError naming ``parameters.<path>`` if it is not a value."""
    fld = f"parameters.{path}"
    if path in leaves:
        value = leaves[path]
        if isinstance(value, list):
            raise field_error(
                file,
                fld,
                "is a list, not a single value (allowed: a dotted path to a number, true/false or text)",
            )
        return value
    if any(k.startswith(path + ".") for k in leaves):
        raise field_error(file, fld, "is a section, not a value (allowed: a dotted path to one value)")
    close = difflib.get_close_matches(path, list(leaves), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else ""
    message = (
        f"unknown parameter path{hint} (allowed: a dotted path into the config, e.g. talent.border_cost; "
        "see docs/parameters.md)"
    )
    raise field_error(file, fld, message)


def parse_param(file: Path, path: str, spec: dict[str, Any], base_value: Any, design: str) -> SweepParam:
    fld = f"parameters.{path}"
    unknown = [k for k in spec if k not in SPEC_KEYS]
    if unknown:
        raise field_error(file, f"{fld}.{unknown[0]}", f"unknown key (allowed: {', '.join(SPEC_KEYS)})")
    is_int = isinstance(base_value, int) and not isinstance(base_value, bool)
    integer = bool_field(file, f"{fld}.integer", spec.get("integer", is_int))
    log = bool_field(file, f"{fld}.log", spec.get("log", False))
    if "values" in spec:
        if any(k in spec for k in ("low", "high", "num", "log")):
            raise field_error(file, fld, "give values or a range (low, high), not both")
        values = spec["values"]
        if not isinstance(values, list) or not values:
            raise field_error(
                file, f"{fld}.values", f"{values!r}: empty (allowed: a non-empty list of values)"
            )
        kinds = {"number" if is_number(v) else type(v).__name__ for v in values}
        if len(kinds) > 1 or kinds & {"dict", "list"}:
            raise field_error(
                file,
                f"{fld}.values",
                f"{values!r} (allowed: values of one kind: numbers, true/false or text)",
            )
        return SweepParam(path, values=tuple(values), integer=integer and kinds == {"number"})
    for key in ("low", "high"):
        if key not in spec:
            raise field_error(file, f"{fld}.{key}", "missing (allowed: give values = [...], or low and high)")
        if not is_number(spec[key]) or not np.isfinite(spec[key]):
            raise field_error(file, f"{fld}.{key}", f"{spec[key]!r} (allowed: a finite number)")
    low, high = float(spec["low"]), float(spec["high"])
    if low > high:
        raise field_error(file, f"{fld}.low", f"lower > upper: {low:g} > high {high:g} (allowed: low < high)")
    if low == high:
        raise field_error(
            file,
            f"{fld}.high",
            f"empty range: low = high = {low:g} (allowed: low < high; a fixed value goes in [set])",
        )
    if log and low <= 0:
        raise field_error(file, f"{fld}.low", f"{low:g} with log = true (allowed: low > 0)")
    num = spec.get("num")
    if design == "grid":
        if num is None:
            raise field_error(
                file,
                f"{fld}.num",
                "missing: a grid over a range needs the number of points "
                "(allowed: integer >= 2, or give values = [...])",
            )
        num = int_field(file, f"{fld}.num", num, 2)
        if num > MAX_RUNS:  # before any array is built
            raise field_error(
                file,
                f"{fld}.num",
                f"{num:,} points (allowed: integer 2 to {MAX_RUNS:,}; runs per design <= {MAX_RUNS:,})",
            )
    elif num is not None:
        raise field_error(
            file, f"{fld}.num", f"not used by a {design} design (allowed: only with design = 'grid')"
        )
    return SweepParam(path, low=low, high=high, num=num, log=log, integer=integer)


def check_endpoints(file: Path, p: SweepParam, base: dict[str, Any]) -> None:
    """Validate each listed value / both ends of the range on the base config, naming the field."""
    cases = [("values", v) for v in p.values] if p.values is not None else [("low", p.low), ("high", p.high)]
    for key, value in cases:
        if p.integer and is_number(value):
            value = int(np.rint(value))
        try:
            validate(apply_overrides(base, {p.path: value}), str(file))
        except ConfigError as err:
            raise field_error(file, f"parameters.{p.path}.{key}", f"{value!r}: {err.message}") from None


# ---------------------------------------------------------------------------- designs
def unit_sample(
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
            raise field_error(
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


def design_points(
    file: Path, design: str, params: list[SweepParam], samples: int | None, replicates: int,
    root_seed: int, second_order: bool, levels: int,
) -> pd.DataFrame:  # fmt: skip
    """The points of the design as parameter values, with their unit-cube coordinates
    (``u:<path>``, and the dummy's) for sampled designs; ConfigError when the design has more than
    :data:`~simulation.limits.MAX_RUNS` runs (checked by arithmetic before any array is built)."""
    n_runs = design_size(design, params, samples, second_order) * replicates  # arithmetic, no arrays
    if n_runs > MAX_RUNS:
        fld = "parameters" if design == "grid" else "sweep.samples"
        raise field_error(
            file,
            fld,
            f"the {design} design has {n_runs:,} runs (allowed: at most {MAX_RUNS:,} runs per design)",
        )
    if design == "grid":
        grids = [p.grid() for p in params]
        n_points = int(np.prod([len(g) for g in grids], dtype=float))
        if n_points * replicates > MAX_RUNS:
            raise field_error(
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
        unit = unit_sample(file, design, params, samples, root_seed, second_order, levels)
        if len(unit) * replicates > MAX_RUNS:
            raise field_error(
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
    return points


def py_value(value: Any) -> Any:
    """A numpy scalar as the Python value (for overrides and TOML)."""
    return value.item() if isinstance(value, np.generic) else value
