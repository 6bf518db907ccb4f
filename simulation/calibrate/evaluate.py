"""Model evaluations for the calibration: run configs for seeds, in worker processes, remembered.

A task is (config, seed); its result is a :class:`~simulation.calibrate.moments.RunSummary`, a few
small arrays, so only configs and summaries cross between processes. Results come back in task
order whatever the number of workers, and each run depends only on its config and seed, so a
calibration gives the same bits on 1 or N workers. The :class:`Evaluator` remembers every run it made
(keyed by the config's canonical JSON and the seed): the no-shock runs do not depend on the shock
parameters, and a point the optimiser visits twice is not run twice.
"""

from __future__ import annotations

import json
import multiprocessing
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

import numpy as np
from tqdm import tqdm

from simulation.calibrate.moments import RunSummary
from simulation.config import Config
from simulation.workers import main_script_hidden


def summarise(model: Any) -> RunSummary:
    """The arrays the moments read, from a finished model's tables."""
    tables = model.tables()
    m, c = tables["model"].sort_values("year"), tables["cities"]
    years = tuple(int(y) for y in m["year"])
    ids = tuple(model.city_ids)

    def wide(col: str) -> np.ndarray:
        return c.pivot(index="year", columns="city", values=col).loc[list(years), list(ids)].to_numpy(float)

    return RunSummary(
        years=years, city_ids=ids, provinces=tuple(model.provinces_of),
        gdp=wide("gdp"), population=wide("population"), pm25=wide("air_quality"),
        talent=m["talent"].to_numpy(float), general=(m["population"] - m["talent"]).to_numpy(float),
        talent_migration=m["talent_migration"].to_numpy(float),
        population_migration=m["population_migration"].to_numpy(float),
    )  # fmt: skip


def run_task(task: tuple[str, int]) -> RunSummary | tuple[str, str, str, str]:
    """Run one (config JSON, seed); top level so that a process pool can pickle it. Bad input comes
    back as (class name, file, field, message): those errors do not pickle as themselves."""
    from simulation.config import validate
    from simulation.model import MiddleYangtzeModel

    text, seed = task
    try:
        cfg = validate(json.loads(text), "<calibrate>")
        return summarise(MiddleYangtzeModel(cfg, rng=seed).run())
    except ValueError as err:
        if all(hasattr(err, a) for a in ("file", "field", "message")):
            return (type(err).__name__, err.file, err.field, err.message)  # type: ignore[attr-defined]
        raise


def _raise(err: tuple[str, str, str, str]) -> None:
    from simulation.params import ConfigError
    from simulation.region import RegionError

    cls = RegionError if err[0] == "RegionError" else ConfigError
    raise cls(err[1], err[2], err[3])


def config_key(cfg: Config) -> str:
    return json.dumps(cfg.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


class Evaluator:
    """Runs (config, seed) tasks on ``workers`` processes (1: in this process), remembering results.

    Use as a context manager so that the pool is shut down; ``runs`` counts the runs made.
    """

    def __init__(self, workers: int = 1) -> None:
        self.workers = int(workers)
        self.cache: dict[tuple[str, int], RunSummary] = {}
        self.runs = 0
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")  # no inherited state, same on every platform
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx)
        return self._pool

    def run(self, tasks: list[tuple[Config, int]], bar: tqdm | None = None) -> list[RunSummary]:
        """Summaries of ``tasks`` in task order; runs only those not seen before."""
        keys = [(config_key(cfg), int(seed)) for cfg, seed in tasks]
        todo = list(dict.fromkeys(k for k in keys if k not in self.cache))
        if bar is not None:
            bar.update(len(keys) - len(todo))  # remembered runs count as done
        results: list[Any]
        if self.workers <= 1 or len(todo) <= 1:
            results = []
            for k in todo:
                results.append(run_task(k))
                if bar is not None:
                    bar.update(1)
        else:
            pool = self._ensure_pool()
            with main_script_hidden():  # the workers start during the first submits
                futures = [pool.submit(run_task, k) for k in todo]
            results = []
            try:
                for fut in futures:
                    results.append(fut.result())
                    if bar is not None:
                        bar.update(1)
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise
        for k, r in zip(todo, results, strict=True):
            if isinstance(r, tuple):
                _raise(r)
            self.cache[k] = r
        self.runs += len(todo)
        return [self.cache[k] for k in keys]


@contextmanager
def stage_bar(desc: str, total: int, progress: bool) -> Iterator[tqdm]:
    """A tqdm bar on stderr for one stage (counted in runs), shown only when ``progress``."""
    with tqdm(total=total, desc=desc, unit="run", file=sys.stderr, disable=not progress) as bar:
        yield bar
