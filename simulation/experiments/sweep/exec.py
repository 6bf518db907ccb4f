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
  per worker, no dashboard, no statistical profiler, loopback only) or on a running cluster at
  ``scheduler``. Runs go out in small batches (one task holds about :data:`TASK_TARGET_S` seconds
  of runs, measured on the first ones) under unique keys (``pure=False`` semantics), so replicates
  with equal inputs are never merged; two tasks per worker thread are in flight, so a worker always
  has its next batch. Dask reschedules the tasks of a lost worker and reports ``KilledWorker``
  after its own retry limit, which records their runs as failed. Before any run on a running
  cluster, :func:`check_cluster` asks every worker for its code identity.

Every worker process keeps what the runs share and none changes — the region tables
(``workers.shared_region``) and the year-0 trade inversion (``core.memo``) — keyed by what they are
built from, so only the first run of a worker pays for them; results are bit-identical either way.
"""

from __future__ import annotations

import contextlib
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
from typing import Any

import pandas as pd

from simulation.workers import (
    code_identity,
    identity_text,
    large_arrays_from_heap,
    main_script_hidden,
    shared_region,
    source_sha256,
    worker_report,
)

__all__ = ["EXECUTORS", "Outcome", "Task", "check_cluster", "code_identity", "execute", "run_task",
           "run_tasks", "source_sha256"]  # fmt: skip

EXECUTORS = ("process", "dask", "serial")
MAX_ATTEMPTS = 3
TASK_TARGET_S = 1.0  # Dask: seconds of runs one task should hold (fewer round trips, same results)
MAX_BATCH = 16
WORKER_WAIT_S = 10.0  # pre-flight: how long a running scheduler may take to show its first worker
FORKSERVER_PRELOAD = ("numpy", "pandas", "pyarrow", __name__, "simulation.config",
                      "simulation.model", "simulation.runner", "simulation.archive")  # fmt: skip
RUN_MODULES = ("simulation.config", "simulation.model", __name__)  # what a worker imports to run a task
DASK_CONFIG = {
    # the statistical profiler samples the running task's stack every 10 ms from another thread,
    # which competes with the run for the GIL; a sweep never reads the profiles
    "distributed.worker.profile.enabled": False,
    # not set for the workers: it makes glibc mmap every large array afresh (runs ~50% slower; see
    # workers.large_arrays_from_heap, which repairs it in workers of a cluster started elsewhere)
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    # each wake-up of a worker's event loop takes the GIL from the run: fewer health checks and
    # monitor samples (defaults 20 ms, 500 ms, 100 ms); runs of a second or more need no finer ones
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "500ms",
}


@dataclass(frozen=True)
class Task:
    """One run: its content-addressed id, resolved config (TOML text, ``run.seed`` = seed) and seed;
    ``flows``: also return the run's flows table (sweeps with ``flows = true``)."""

    run_id: str
    config_toml: str
    seed: int
    flows: bool = False


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
        flows: the flows table as Parquet bytes when the task asked for it.
    """

    run_id: str
    ok: bool
    data: bytes | None = None
    error: str | None = None
    traceback: str | None = None
    code_sha256: str | None = None
    wall_time_s: float = 0.0
    flows: bytes | None = None


def failed(task: Task, error: str, tb: str | None = None) -> Outcome:
    """An outcome recording ``task`` as failed without a worker's answer (e.g. the worker died)."""
    return Outcome(task.run_id, False, error=error, traceback=tb or error + "\n")


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
    from simulation.archive.files import parquet_bytes

    return parquet_bytes(run_frame(tables))


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text}"[:1000] if text else type(err).__name__


def run_task(task: Task) -> Outcome:
    """Run one task (top level, so that process pools and Dask can ship it). Never raises for a
    failing run: the error and traceback come back in the outcome.

    The region comes from this process's :func:`~simulation.workers.shared_region` (a private copy),
    the run holds the garbage collector's thresholds high as ``run.py run`` does
    (``runner.gc_tuned``), and a Dask worker's allocator is repaired
    (:func:`~simulation.workers.large_arrays_from_heap`); none of it changes a result.
    """
    start = time.perf_counter()
    large_arrays_from_heap()
    try:
        from simulation.config import validate
        from simulation.model import MiddleYangtzeModel
        from simulation.runner import gc_tuned, settle_built

        cfg = validate(tomllib.loads(task.config_toml), f"run {task.run_id}")
        with gc_tuned():
            model = MiddleYangtzeModel(cfg, rng=task.seed, region=shared_region(cfg.run.region))
            settle_built()
            tables = model.run().tables()
            data = run_bytes(tables)
            flows = _flows_bytes(tables) if task.flows else None
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
        task.run_id, True, data=data, code_sha256=source_sha256(), wall_time_s=time.perf_counter() - start,
        flows=flows,
    )  # fmt: skip


def _flows_bytes(tables: dict[str, pd.DataFrame]) -> bytes:
    from simulation.archive.files import parquet_bytes

    return parquet_bytes(tables["flows"])


def run_tasks(tasks: list[Task]) -> list[Outcome]:
    """Run a batch of tasks one after another in this worker (one Dask task, one round trip)."""
    return [run_task(t) for t in tasks]


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

    start = os.getppid()  # the sweep process (spawn) or the forkserver, which ends with it

    def alive() -> bool:
        if os.getppid() != start:
            return False
        if not os.path.isdir("/proc/self"):  # no /proc (macOS): the pid exists
            try:
                os.kill(parent, 0)
            except OSError:
                return False
            return True
        try:  # a killed sweep stays a zombie until whoever started it reaps it: that is dead too
            with open(f"/proc/{parent}/stat", encoding="ascii") as f:
                return f.read().rpartition(")")[2].split()[0] not in ("Z", "X")
        except OSError:
            return False

    def watch() -> None:
        while alive():
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _fill(
    pool: ProcessPoolExecutor, queue: deque[Task], inflight: dict[Future[Outcome], Task], window: int
) -> None:
    """Submit queued tasks until ``window`` are in flight. Raises BrokenProcessPool when a worker
    died since the last wait (the pool then refuses submits); the task stays queued."""
    while queue and len(inflight) < window:
        task = queue[0]
        with main_script_hidden():  # workers start during submits
            inflight[pool.submit(run_task, task)] = task
        queue.popleft()


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


def pool_context() -> multiprocessing.context.BaseContext:
    """How the pool starts its workers. Where the platform has it, ``forkserver`` with the model
    preloaded (as for Dask's workers, :func:`_warm_start`): one clean, single-threaded server
    process imports pandas, Mesa and the model once, and each worker is forked from it ready to
    run, where a spawned worker spends ~2.5 s importing them before its first run. The server lives
    as long as this process, so later pools (a restart after a worker died, the next sweep of a
    session) start at once. Nothing is inherited from this process but what the server imported;
    elsewhere, spawn. Results do not depend on it."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(list(FORKSERVER_PRELOAD))
    return ctx


def _process(tasks: list[Task], workers: int, on_outcome: OnOutcome, on_note: OnNote) -> None:
    with worker_threads(workers):  # workers start on demand during the whole session
        _process_pool(tasks, workers, on_outcome, on_note)


def _process_pool(tasks: list[Task], workers: int, on_outcome: OnOutcome, on_note: OnNote) -> None:
    ctx = pool_context()
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
                    try:
                        _fill(pool, queue, inflight, window)
                    except BrokenProcessPool:  # a worker died after the wait returned
                        broken = True
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


def _connect(scheduler: str) -> Any:
    """A Dask client of the running scheduler at ``scheduler``; ConfigError when it cannot connect."""
    from distributed import Client

    from simulation.params import ConfigError

    try:
        return Client(scheduler, timeout="20s")
    except (OSError, TimeoutError, ValueError) as err:
        raise ConfigError(
            "command line",
            "--scheduler",
            f"cannot reach a Dask scheduler at {scheduler!r}: {_one_line(err)} "
            "(allowed: the address of a running scheduler, e.g. tcp://10.0.0.5:8786)",
        ) from None


def _warm_start(workers: int) -> contextlib.AbstractContextManager[None]:
    """How a LocalCluster starts its worker processes. Where the platform has it, Dask's
    ``forkserver`` method with the model preloaded: one server process imports distributed, numpy,
    pandas and the model once (with BLAS threads capped as for the pool: numpy reads the cap when
    it loads) and forks each worker from there, ready to run, instead of every worker importing
    everything after a spawn. Elsewhere, Dask's default (spawn)."""
    import dask

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return dask.config.set(DASK_CONFIG)

    @contextmanager
    def started() -> Iterator[None]:
        from distributed.utils import get_mp_context

        with (
            worker_threads(workers),
            dask.config.set({**DASK_CONFIG, "distributed.worker.multiprocessing-method": "forkserver"}),
        ):
            get_mp_context().set_forkserver_preload(["distributed", *FORKSERVER_PRELOAD])
            yield

    return started()


def _dask_client(workers: int, scheduler: str | None) -> tuple[Any, Any]:
    """A Dask client (and the LocalCluster it owns, or None for a running cluster)."""
    import logging

    from distributed import Client, LocalCluster

    if scheduler:
        return _connect(scheduler), None
    with main_script_hidden(), _warm_start(workers):  # the nannies pass the config to their workers
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
            silence_logs=logging.ERROR,
        )
        return Client(cluster), cluster


def check_cluster(scheduler: str, wait_s: float = WORKER_WAIT_S) -> dict[str, dict[str, Any]]:
    """The pre-flight of a running Dask cluster: every worker must import the model and report the
    code identity of this process (``workers.code_identity``: package sources and uv.lock).

    Returns each worker's report, by address.

    Raises:
        ConfigError: (field ``--scheduler``) the scheduler cannot be reached, no worker joined it
            within ``wait_s`` seconds, or a worker cannot import the model or runs other code — one
            line naming the worker and both identities.
    """
    from simulation.params import ConfigError

    recipe = f"workers started with `uv run dask worker {scheduler}` in the project folder at this commit"
    client = _connect(scheduler)
    try:
        try:
            client.wait_for_workers(1, timeout=wait_s)
        except (TimeoutError, OSError):
            raise ConfigError(
                "command line", "--scheduler",
                f"no Dask worker joined the scheduler at {scheduler} within {wait_s:g} s (allowed: {recipe})",
            ) from None  # fmt: skip
        reports = client.run(worker_report, RUN_MODULES, on_error="return")
    finally:
        client.close()
    mine = code_identity()
    for addr in sorted(reports):
        got = reports[addr]
        if isinstance(got, BaseException) or not got.get("ok"):
            why = _one_line(got) if isinstance(got, BaseException) else got.get("error")
            raise ConfigError(
                "command line", "--scheduler",
                f"Dask worker {addr} cannot import the model ({why}); nothing was run "
                f"(allowed: {recipe}, with `uv sync --locked`)",
            )  # fmt: skip
        theirs = {k: got.get(k) for k in mine}
        if theirs != mine:
            raise ConfigError(
                "command line", "--scheduler",
                f"Dask worker {addr} runs other code ({identity_text(theirs)}) than this sweep "
                f"({identity_text(mine)}); nothing was run (allowed: {recipe} and uv.lock)",
            )  # fmt: skip
    return reports


def _batch_size(remaining: int, threads: int, mean_run_s: float | None) -> int:
    """Runs per Dask task: about TASK_TARGET_S seconds of them once a run time is known (one at
    first), and never so many that the last tasks leave workers idle."""
    if mean_run_s is None:
        return 1
    size = int(TASK_TARGET_S // max(mean_run_s, 1e-3)) or 1
    return max(1, min(size, MAX_BATCH, remaining // (2 * threads) or 1))


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
        by_key: dict[str, list[Task]] = {}
        times: list[float] = []
        ac = as_completed()

        def submit() -> None:
            mean = sum(times) / len(times) if times else None
            batch = [queue.popleft() for _ in range(min(len(queue), _batch_size(len(queue), threads, mean)))]
            key = f"midyangtze-runs-{batch[0].run_id}-{len(batch)}-{token}"
            by_key[key] = batch
            ac.add(client.submit(run_tasks, batch, key=key, pure=False, retries=0))

        while queue and len(by_key) < 2 * threads:
            submit()
        for fut in ac:
            batch = by_key.pop(fut.key)
            try:
                outcomes = fut.result()
            except Exception as err:  # noqa: BLE001 - KilledWorker, lost connection, ...
                outcomes = [failed(task, _one_line(err), traceback.format_exc()) for task in batch]
            fut.release()
            for outcome in outcomes:
                if outcome.ok:
                    times.append(outcome.wall_time_s)
                on_outcome(outcome)
            while queue and len(by_key) < 2 * threads:
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
