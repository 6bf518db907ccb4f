"""Running the runs of a sweep: the task a worker runs, and three executors (design brief §7).

A :class:`Task` is self-contained text: the run's resolved config as TOML and its seed. A worker
(:func:`run_task`) validates the config, runs the model and returns an :class:`Outcome` holding the
run's table as deterministic Parquet bytes, or, when the run raised, the error and its traceback.
Workers never write files: the process that runs the sweep writes every run file atomically, so a
killed worker or a killed sweep cannot leave half a run behind, and a Dask cluster need not share a
file system with it.

Executors (:func:`execute`) call ``on_outcome`` in the calling thread as runs finish, in whatever
order they finish; nothing about a run depends on that order or on which worker ran it.

- ``serial``: one run after another in this process.
- ``process`` (default): a ``concurrent.futures.ProcessPoolExecutor`` with spawned workers. At most
  ``workers + 1`` runs are submitted at a time. A worker that dies (killed, out of memory) breaks the
  pool: the pool is replaced and the runs it held are submitted again; a run in flight during
  :data:`MAX_ATTEMPTS` breakdowns is recorded as failed, so no run can hang or crash the sweep.
- ``dask``: Dask distributed, on a ``LocalCluster`` started here (``processes=True``, one thread
  per worker, no dashboard, loopback only) or on a running cluster at ``scheduler``. Every run is
  submitted under a unique key (``pure=False`` semantics), so replicates with equal inputs are
  never merged; Dask reschedules the runs of a lost worker and reports ``KilledWorker`` after its
  own retry limit, which records the run as failed.
"""

from __future__ import annotations

import functools
import hashlib
import multiprocessing
import os
import time
import tomllib
import traceback
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.workers import main_script_hidden

EXECUTORS = ("process", "dask", "serial")
MAX_ATTEMPTS = 3
SOURCE_DIRS = ("simulation", "agents")
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Task:
    """One run: its content-addressed id, resolved config (TOML text, ``run.seed`` = seed) and seed."""

    run_id: str
    config_toml: str
    seed: int


@dataclass(frozen=True)
class Outcome:
    """What one run produced.

    Attributes:
        run_id: the task's id.
        ok: the run finished.
        data: the run's table as Parquet bytes (:func:`run_bytes`) when ok.
        error: one line ``ExceptionType: message`` when the run failed.
        traceback: the full traceback when the run failed.
        code_sha256: :func:`source_sha256` of the worker that ran it (None when no worker answered).
        wall_time_s: seconds the worker spent on it.
    """

    run_id: str
    ok: bool
    data: bytes | None = None
    error: str | None = None
    traceback: str | None = None
    code_sha256: str | None = None
    wall_time_s: float = 0.0


def failed(task: Task, error: str, tb: str | None = None) -> Outcome:
    """An outcome recording ``task`` as failed without a worker's answer (e.g. the worker died)."""
    return Outcome(task.run_id, False, error=error, traceback=tb or error + "\n")


@functools.cache
def source_sha256() -> str:
    """sha256 over the model's source and data files (``simulation/``, ``agents/``): two processes
    with equal hashes run the same code on the same built-in data."""
    h = hashlib.sha256()
    for top in SOURCE_DIRS:
        base = ROOT / top
        for p in sorted(base.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".png"):
                h.update(p.relative_to(ROOT).as_posix().encode() + b"\0")
                h.update(p.read_bytes() + b"\0")
    return h.hexdigest()


# ---------------------------------------------------------------------------- the run
def run_frame(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One run's tables as one tidy frame: the model table (rows with ``table == "model"``, ``city``
    empty) on top of the cities table (``table == "cities"``), columns the union of both."""
    model = tables["model"].copy()
    cities = tables["cities"].copy()
    model.insert(0, "table", "model")
    model.insert(2, "city", None)
    cities.insert(0, "table", "cities")
    front = ["table", "year", "city"]
    rest = [c for c in [*model.columns, *cities.columns] if c not in front]
    cols = front + list(dict.fromkeys(rest))
    frame = pd.concat([model, cities], ignore_index=True)
    frame["city"] = frame["city"].astype("string")
    frame["table"] = frame["table"].astype("string")
    return frame[cols]


def run_bytes(tables: dict[str, pd.DataFrame]) -> bytes:
    """The run file's bytes: :func:`run_frame` as deterministic Parquet."""
    from simulation.archive import parquet_bytes

    return parquet_bytes(run_frame(tables))


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text}"[:1000] if text else type(err).__name__


def run_task(task: Task) -> Outcome:
    """Run one task (top level, so that process pools and Dask can ship it). Never raises for a
    failing run: the error and traceback come back in the outcome."""
    start = time.perf_counter()
    try:
        from simulation.config import validate
        from simulation.model import MiddleYangtzeModel

        cfg = validate(tomllib.loads(task.config_toml), f"run {task.run_id}")
        model = MiddleYangtzeModel(cfg, rng=task.seed).run()
        data = run_bytes(model.tables())
    except Exception as err:  # noqa: BLE001 - a failing run is data, not a crash of the sweep
        return Outcome(
            task.run_id,
            False,
            error=_one_line(err),
            traceback=traceback.format_exc(),
            code_sha256=source_sha256(),
            wall_time_s=time.perf_counter() - start,
        )
    return Outcome(
        task.run_id, True, data=data, code_sha256=source_sha256(), wall_time_s=time.perf_counter() - start
    )


# ---------------------------------------------------------------------------- executors
OnOutcome = Callable[[Outcome], None]
OnNote = Callable[[str], None]


def _serial(tasks: list[Task], on_outcome: OnOutcome) -> None:
    for task in tasks:
        on_outcome(run_task(task))


def _exit_with_parent(parent: int) -> None:
    """Worker initializer: end this worker when the sweep process that started it is gone (e.g.
    SIGKILLed), instead of waiting forever for work that cannot come."""
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _fill(
    pool: ProcessPoolExecutor, queue: deque[Task], inflight: dict[Future[Outcome], Task], window: int
) -> None:
    """Submit queued tasks until ``window`` are in flight."""
    while queue and len(inflight) < window:
        task = queue.popleft()
        with main_script_hidden():  # workers start during submits
            inflight[pool.submit(run_task, task)] = task


THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


@contextmanager
def worker_threads(workers: int) -> Iterator[None]:
    """While worker processes start, cap their BLAS/OpenMP threads at CPUs / workers (as Dask does
    for its workers), unless the user set them: several workers each spinning a full set of BLAS
    threads oversubscribe the cores. Results do not depend on it."""
    n = str(max(1, (os.cpu_count() or 1) // max(1, workers)))
    saved = {k: os.environ.get(k) for k in THREAD_VARS}
    try:
        for k in THREAD_VARS:
            os.environ.setdefault(k, n)
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _process(tasks: list[Task], workers: int, on_outcome: OnOutcome, on_note: OnNote) -> None:
    with worker_threads(workers):  # workers start on demand during the whole session
        _process_pool(tasks, workers, on_outcome, on_note)


def _process_pool(tasks: list[Task], workers: int, on_outcome: OnOutcome, on_note: OnNote) -> None:
    ctx = multiprocessing.get_context("spawn")  # no inherited state, same on every platform
    queue: deque[Task] = deque(tasks)
    attempts: Counter[str] = Counter()
    window = workers + 1
    while queue:
        pool = ProcessPoolExecutor(
            max_workers=max(1, min(workers, len(queue))), mp_context=ctx,
            initializer=_exit_with_parent, initargs=(os.getpid(),),
        )  # fmt: skip
        inflight: dict[Future[Outcome], Task] = {}
        broken = False
        try:
            _fill(pool, queue, inflight, window)
            while inflight and not broken:
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for fut in done:
                    task = inflight.pop(fut)
                    try:
                        outcome = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        inflight[fut] = task  # handled with the others below
                        continue
                    except Exception as err:  # noqa: BLE001 - e.g. a result that cannot be unpickled
                        outcome = failed(task, _one_line(err), traceback.format_exc())
                    on_outcome(outcome)
                if not broken:
                    _fill(pool, queue, inflight, window)
            if broken:  # a worker died: every run in flight is lost with the pool; try them again
                for fut, task in inflight.items():
                    if fut.done() and not fut.cancelled() and fut.exception() is None:
                        on_outcome(fut.result())
                        continue
                    attempts[task.run_id] += 1
                    if attempts[task.run_id] >= MAX_ATTEMPTS:
                        msg = f"a worker process died {MAX_ATTEMPTS} times while this run was in flight"
                        on_outcome(failed(task, f"BrokenProcessPool: {msg}"))
                    else:
                        queue.appendleft(task)
                on_note(f"a worker process died; starting new workers ({len(queue)} runs to go)")
        finally:
            pool.shutdown(wait=broken, cancel_futures=True)


def _dask_client(workers: int, scheduler: str | None) -> tuple[Any, Any]:
    """A Dask client (and the LocalCluster it owns, or None for a running cluster)."""
    import logging

    from distributed import Client, LocalCluster

    from simulation.params import ConfigError

    if scheduler:
        try:
            return Client(scheduler, timeout="20s"), None
        except (OSError, TimeoutError, ValueError) as err:
            raise ConfigError(
                "command line",
                "--scheduler",
                f"cannot reach a Dask scheduler at {scheduler!r}: {_one_line(err)} "
                "(allowed: the address of a running scheduler, e.g. tcp://10.0.0.5:8786)",
            ) from None
    with main_script_hidden():
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
            silence_logs=logging.ERROR,
        )
        return Client(cluster), cluster


def _dask(
    tasks: list[Task], workers: int, scheduler: str | None, on_outcome: OnOutcome, on_note: OnNote
) -> None:
    from distributed import as_completed

    client, cluster = _dask_client(workers, scheduler)
    try:
        threads = sum(client.nthreads().values()) or workers
        if scheduler:
            on_note(f"Dask scheduler {scheduler}: {len(client.nthreads())} workers, {threads} threads")
        token = uuid.uuid4().hex[:8]
        queue: deque[Task] = deque(tasks)
        by_key: dict[str, Task] = {}
        window = max(2 * threads, 4)
        ac = as_completed()

        def submit() -> None:
            task = queue.popleft()
            key = f"midyangtze-run-{task.run_id}-{token}"
            by_key[key] = task
            ac.add(client.submit(run_task, task, key=key, pure=False, retries=0))

        while queue and len(by_key) < window:
            submit()
        for fut in ac:
            task = by_key.pop(fut.key)
            try:
                outcome = fut.result()
            except Exception as err:  # noqa: BLE001 - KilledWorker, lost connection, ...
                outcome = failed(task, _one_line(err), traceback.format_exc())
            fut.release()
            on_outcome(outcome)
            if queue:
                submit()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def execute(
    tasks: list[Task],
    *,
    executor: str = "process",
    workers: int = 2,
    scheduler: str | None = None,
    on_outcome: OnOutcome,
    on_note: OnNote | None = None,
) -> None:
    """Run every task with the chosen executor, calling ``on_outcome`` (in this thread) for each.

    Args:
        tasks: the runs to do.
        executor: "process" (default), "dask" or "serial".
        workers: processes (process pool, Dask LocalCluster); ignored with a ``scheduler``.
        scheduler: address of a running Dask scheduler (executor "dask" only).
        on_outcome: called once per task with its outcome.
        on_note: called with a line of news (a restarted pool, the cluster's size).
    """
    note = on_note or (lambda _line: None)
    if not tasks:
        return
    if executor == "serial":
        _serial(tasks, on_outcome)
    elif executor == "process":
        _process(tasks, workers, on_outcome, note)
    elif executor == "dask":
        _dask(tasks, workers, scheduler, on_outcome, note)
    else:
        raise ValueError(f"executor {executor!r} (allowed: {', '.join(EXECUTORS)})")
