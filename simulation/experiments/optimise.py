"""Multi-objective search over levers: NSGA-II (pymoo) on the model, optionally robust (issue 14).

The search works in the unit cube of the levers: pymoo proposes points, each lever maps its
coordinate onto its range or its listed values
(:meth:`simulation.experiments.sweep.design.SweepParam.from_unit`), and every candidate is run for
each scenario and replicate:

- **seeds**: run (scenario s, replicate r) has seed ``SeedSequence(seed, spawn_key=(s, r))`` for every
  candidate (common random numbers: two candidates differ by their levers, not by their luck);
- **scenarios** (robust optimisation, EMA style): a Latin hypercube sample of the uncertainties
  (scipy, discrepancy-optimised), drawn once from the root seed; every candidate meets the same
  scenarios, and each objective is a statistic of the metric over them (mean, median, min, max or
  a percentile), the replicates of a scenario averaged first;
- **failures**: a candidate whose run fails (or whose config is invalid) is infeasible (pymoo's
  constraint ``G > 0``): it never enters the front.

The Pareto front is the non-dominated set of every distinct feasible candidate evaluated (not only
the last population). NSGA-II draws from its own ``numpy`` Generator seeded from the root seed, runs
are looked up by run id (a repeated candidate is not run again) and results are collected by run id
whatever order the executor returns them in, so the same spec and seed give the same front bit for
bit on any executor.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simulation.archive.manifest import run_id
from simulation.config import apply_overrides, to_toml, validate
from simulation.experiments import outcomes
from simulation.experiments.optimise_spec import Objective, Spec
from simulation.experiments.sweep.design import SweepParam, run_seed
from simulation.experiments.sweep.exec import Outcome, Task, execute
from simulation.params import ConfigError

SCENARIO_KEY, SEARCH_KEY = 0x5CE7, 0x0B7

# evaluate(generation, first candidate index, lever values per candidate) ->
#   (metric values [candidates, scenarios, replicates, metrics] with NaN for failed runs, run rows)
Evaluate = Callable[[int, int, list[dict[str, Any]]], tuple[np.ndarray, list[dict[str, Any]]]]


@dataclass
class Result:
    """An optimisation: the tables of its archive."""

    candidates: pd.DataFrame
    front: pd.DataFrame
    evaluations: pd.DataFrame
    generations: pd.DataFrame
    scenarios: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def _py(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def lever_values(levers: tuple[SweepParam, ...], unit: np.ndarray) -> list[dict[str, Any]]:
    """Each row of unit coordinates as {lever path: value}."""
    cols = [p.from_unit(unit[:, j]) for j, p in enumerate(levers)]
    return [{p.path: _py(cols[j][i]) for j, p in enumerate(levers)} for i in range(len(unit))]


def scenario_table(spec: Spec) -> pd.DataFrame:
    """The scenarios of a robust spec: scenario, each uncertainty's value and ``u:<path>``; one
    empty scenario (no uncertainty) otherwise."""
    if not spec.robust:
        return pd.DataFrame({"scenario": np.zeros(1, dtype=np.int64)})
    from scipy.stats import qmc

    rng = np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=(SCENARIO_KEY,)))
    d = len(spec.uncertainties)
    unit = qmc.LatinHypercube(d=d, rng=rng, optimization="random-cd" if d > 1 else None).random(
        spec.scenarios
    )
    table = pd.DataFrame({"scenario": np.arange(spec.scenarios, dtype=np.int64)})
    for j, p in enumerate(spec.uncertainties):
        table[p.path] = pd.Series(p.from_unit(unit[:, j]))
    for j, p in enumerate(spec.uncertainties):
        table[f"u:{p.path}"] = unit[:, j]
    return table


def statistic(values: np.ndarray, name: str) -> float:
    """``name`` (mean | median | min | max | pNN) of ``values``; NaN if any value is NaN."""
    if values.size == 0 or not np.isfinite(values).all():
        return float("nan")
    if name.startswith("p"):
        return float(np.percentile(values, float(name[1:])))
    return float({"mean": np.mean, "median": np.median, "min": np.min, "max": np.max}[name](values))


def aggregate(metrics: np.ndarray, objectives: tuple[Objective, ...]) -> np.ndarray:
    """Objective values [candidates, objectives] from run metrics [candidates, scenarios,
    replicates, objectives]: replicates averaged, then each objective's statistic over scenarios."""
    per_scenario = metrics.mean(axis=2)
    out = np.full((metrics.shape[0], len(objectives)), np.nan)
    for c in range(metrics.shape[0]):
        for k, o in enumerate(objectives):
            out[c, k] = statistic(per_scenario[c, :, k], o.statistic)
    return out


def nondominated(f: np.ndarray) -> np.ndarray:
    """Mask of the rows of ``f`` (to be minimised) that no other row dominates."""
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    mask = np.zeros(len(f), dtype=bool)
    if len(f):
        mask[NonDominatedSorting().do(f, only_non_dominated_front=True)] = True
    return mask


# ---------------------------------------------------------------------------- the search
def search(spec: Spec, evaluate: Evaluate, progress: bool = False) -> Result:
    """Run NSGA-II for ``spec.generations`` generations of ``spec.population`` candidates, each
    evaluated with ``evaluate``; return the tables."""
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.evaluator import Evaluator
    from pymoo.core.problem import Problem
    from pymoo.operators.sampling.lhs import LHS
    from pymoo.problems.static import StaticProblem
    from tqdm import tqdm

    n_var, n_obj = len(spec.levers), len(spec.objectives)
    sign = np.array([-1.0 if o.sense == "max" else 1.0 for o in spec.objectives])
    problem = Problem(n_var=n_var, n_obj=n_obj, n_ieq_constr=1, xl=0.0, xu=1.0)
    algorithm = NSGA2(pop_size=spec.population, sampling=LHS(), eliminate_duplicates=True)
    seed = int(np.random.SeedSequence(spec.seed, spawn_key=(SEARCH_KEY,)).generate_state(1)[0])
    algorithm.setup(problem, termination=("n_gen", spec.generations), seed=seed, verbose=False)
    rows, runs, gens = [], [], []
    seen: dict[tuple, int] = {}
    bar = tqdm(total=spec.generations, desc="optimise", unit="gen", file=sys.stderr, disable=not progress)
    generation = 0
    while algorithm.has_next():
        pop = algorithm.ask()
        unit = np.clip(pop.get("X"), 0.0, 1.0)
        values = lever_values(spec.levers, unit)
        metrics, run_rows = evaluate(generation, len(rows), values)
        objective = aggregate(metrics, spec.objectives)
        ok = np.isfinite(objective).all(axis=1)
        f = np.where(ok[:, None], objective * sign, 0.0)
        g = np.where(ok, -1.0, 1.0)[:, None]
        Evaluator().eval(StaticProblem(problem, F=f, G=g), pop)
        algorithm.tell(infills=pop)
        for i, v in enumerate(values):
            key = tuple(repr(v[p.path]) for p in spec.levers)
            row = {"candidate": len(rows), "generation": generation, **v,
                   **{f"u:{p.path}": float(unit[i, j]) for j, p in enumerate(spec.levers)},
                   **{o.metric: float(objective[i, k]) for k, o in enumerate(spec.objectives)},
                   "feasible": bool(ok[i]), "duplicate_of": seen.get(key, -1)}  # fmt: skip
            seen.setdefault(key, row["candidate"])
            rows.append(row)
        runs += run_rows
        gens.append(_generation_row(generation, rows, spec, sign))
        generation += 1
        bar.update(1)
    bar.close()
    candidates = pd.DataFrame(rows)
    candidates["on_front"] = _front_mask(candidates, spec, sign)
    front = candidates[candidates["on_front"]].sort_values([spec.metrics[0], "candidate"], kind="stable")
    front = front.drop(columns=["on_front", "duplicate_of", "feasible"]).reset_index(drop=True)
    notes = []
    if not candidates["feasible"].all():
        notes.append(
            f"{int((~candidates['feasible']).sum())} candidate(s) failed and are left out of the front"
        )
    return Result(candidates, front, pd.DataFrame(runs), pd.DataFrame(gens), scenario_table(spec), notes)


def _front_mask(candidates: pd.DataFrame, spec: Spec, sign: np.ndarray) -> np.ndarray:
    usable = (candidates["feasible"] & (candidates["duplicate_of"] < 0)).to_numpy()
    f = candidates[spec.metrics].to_numpy(float) * sign
    mask = np.zeros(len(candidates), dtype=bool)
    mask[np.flatnonzero(usable)[nondominated(f[usable])]] = True
    return mask


def _generation_row(generation: int, rows: list[dict], spec: Spec, sign: np.ndarray) -> dict[str, Any]:
    df = pd.DataFrame(rows)
    df["on_front"] = _front_mask(df, spec, sign)
    mine = df[df["generation"] == generation]
    best = {}
    for o in spec.objectives:
        vals = df.loc[df["feasible"], o.metric]
        best[f"best:{o.metric}"] = (
            float(vals.max() if o.sense == "max" else vals.min()) if len(vals) else np.nan
        )
    return {"generation": generation, "candidates": len(mine), "feasible": int(mine["feasible"].sum()),
            "front_size": int(df["on_front"].sum()), **best}  # fmt: skip


# ---------------------------------------------------------------------------- the model
class ModelEvaluator:
    """Evaluates candidates by running the model (``simulation.experiments.sweep.exec.execute``): every
    (candidate, scenario, replicate) is one run, addressed by its run id; a run already done in this
    optimisation is not repeated."""

    def __init__(self, spec: Spec, scenarios: pd.DataFrame, *, executor: str = "serial", workers: int = 1,
                 scheduler: str | None = None) -> None:  # fmt: skip
        self.spec, self.executor, self.workers, self.scheduler = spec, executor, workers, scheduler
        self.base = spec.base_config.model_dump(mode="json")
        paths = [p.path for p in spec.uncertainties]
        self.scenario_values = [
            {k: _py(v) for k, v in zip(paths, row, strict=True)}
            for row in scenarios[paths].itertuples(index=False, name=None)
        ]
        self.seeds = [
            [run_seed(spec.seed, s, r) for r in range(spec.replicates)] for s in range(len(scenarios))
        ]
        self.done: dict[str, dict[str, float] | str] = {}  # run id -> metrics, or the error line
        self.ran = 0

    def _task(self, values: dict[str, Any], seed: int) -> Task:
        cfg = validate(apply_overrides(self.base, {**values, "run.seed": seed}), str(self.spec.file))
        toml = to_toml(cfg)
        return Task(run_id(toml, seed), toml, seed)

    def _collect(self, o: Outcome) -> None:
        if not o.ok or o.data is None:
            self.done[o.run_id] = o.error or "failed"
            return
        frame = pd.read_parquet(io.BytesIO(o.data))
        model = frame[frame["table"] == "model"].drop(columns=["table", "city"])
        self.done[o.run_id] = outcomes.values(model, self.spec.metrics)

    def __call__(
        self, generation: int, first: int, candidates: list[dict[str, Any]]
    ) -> tuple[np.ndarray, list]:
        spec = self.spec
        shape = (len(candidates), len(self.scenario_values), spec.replicates, len(spec.objectives))
        plan, todo = [], {}
        for c, levers in enumerate(candidates):
            for s, scen in enumerate(self.scenario_values):
                for r, seed in enumerate(self.seeds[s]):
                    try:
                        task = self._task({**levers, **scen}, seed)
                    except ConfigError as err:
                        plan.append((c, s, r, seed, None, f"ConfigError: {err.field}: {err.message}"))
                        continue
                    plan.append((c, s, r, seed, task.run_id, None))
                    if task.run_id not in self.done:
                        todo.setdefault(task.run_id, task)
        tasks = list(todo.values())
        self.ran += len(tasks)
        execute(tasks, executor=self.executor, workers=self.workers, scheduler=self.scheduler,
                on_outcome=self._collect)  # fmt: skip
        values = np.full(shape, np.nan)
        rows = []
        for c, s, r, seed, rid, error in plan:
            got = self.done.get(rid, error) if rid else error
            if isinstance(got, dict):
                values[c, s, r] = [got[m] for m in spec.metrics]
            rows.append({"generation": generation, "candidate": first + c, "scenario": s, "replicate": r,
                         "seed": seed, "run_id": rid, "status": "ok" if isinstance(got, dict) else "failed",
                         "error": None if isinstance(got, dict) else str(got),
                         **{m: float(values[c, s, r, k]) for k, m in enumerate(spec.metrics)}})  # fmt: skip
        return values, rows


def optimise(spec: Spec, *, executor: str = "serial", workers: int = 1, scheduler: str | None = None,
             progress: bool = False) -> tuple[Result, int]:  # fmt: skip
    """Optimise ``spec`` on the model; returns the result and the number of model runs made."""
    evaluator = ModelEvaluator(
        spec, scenario_table(spec), executor=executor, workers=workers, scheduler=scheduler
    )
    result = search(spec, evaluator, progress=progress)
    return result, evaluator.ran
