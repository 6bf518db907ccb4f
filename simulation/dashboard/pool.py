"""Simulations for the page run in a pool of worker processes, cached and fairly queued.

The page calls its simulations through ``simulation.dashboard.results.RUNNER(cfg, seeds, scale)``.
:func:`install` replaces that name with a :class:`PooledRunner` of the same signature which

* looks the job up in a content-addressed :class:`~simulation.dashboard.runcache.ResultCache`
  (memory, and an SQLite file under ``results/.cache`` unless told otherwise): identical scenarios
  from any session are computed once;
* otherwise queues it on a :class:`Scheduler`: worker processes (spawned, kept warm: the model's
  modules are imported and the region is read once per worker), never the web server's event loop
  nor its threads; identical jobs in flight are merged; previews (``scale < 1``) go before full
  results; sessions take turns (round robin over sessions, one whole request at a time), so a
  class of 40 pressing Run together cannot starve anyone; optionally a session's newer preview
  withdraws its older one still waiting (:class:`Superseded`); the queue is bounded (:class:`Busy`);
* tells listeners (the classroom) about every result, with the session that asked.

If the results module also has ``run_side(cfg, seed, scale)`` (one model run) and
``pair(cfg, seeds, scale, base_runs, scenario_runs, wall_s)`` (the paired result from the runs), as
``simulation.dashboard.results`` has, the runner queues one job per run instead: the baseline run
of each seed is then computed once for all sessions and scenarios that share it, and a single
request uses every worker.

A call waits in the thread that made it (the page's task thread), so the event loop never waits.

The session is the Solara session of the calling thread (threads started from a page inherit its
kernel context), or the one set with :func:`session_scope` (benchmarks, tests).
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import multiprocessing
import os
import pickle
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from simulation.config import Config

from .runcache import CACHE_DIR, DiskStore, ResultCache, code_version, job_key

PREVIEW, FULL = 0, 1  # lanes, served in this order
MAX_QUEUE = 2000  # jobs waiting in all (a class of 40 x 2 requests x 16 runs fits)
MAX_PER_SESSION = 64  # jobs one session may have waiting
WARM_MODULES = ("simulation.model", "simulation.dashboard.results")
_session: contextvars.ContextVar[str | None] = contextvars.ContextVar("dashboard_session", default=None)


class Busy(RuntimeError):
    """The queue is full; the message says how many runs wait."""


class Superseded(CancelledError):
    """The job was withdrawn because the same session asked for a newer preview."""


# ---------------------------------------------------------------------------- sessions
@contextlib.contextmanager
def session_scope(session: str) -> Iterator[None]:
    """Run the block's simulations as ``session`` (benchmarks, tests, teacher views)."""
    token = _session.set(session)
    try:
        yield
    finally:
        _session.reset(token)


def current_session() -> str:
    """The session asking: the :func:`session_scope`, else Solara's session of this thread."""
    explicit = _session.get()
    if explicit is not None:
        return explicit
    import sys

    kc = sys.modules.get("solara.server.kernel_context")  # never import Solara from here
    if kc is not None and kc.has_current_context():
        return str(kc.get_current_context().session_id)
    return "anonymous"


# ---------------------------------------------------------------------------- in the worker
def warm_worker(parent: int, modules: Sequence[str], region: str | None) -> None:
    """Worker initializer: exit with the server, import the model, read the region once."""
    import importlib

    from simulation.experiments.sweep.exec import _exit_with_parent

    _exit_with_parent(parent)
    for name in modules:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    if region is not None:  # read it now (``results.run_side`` takes it from this process's cache)
        from simulation.workers import shared_region

        with contextlib.suppress(ValueError):
            shared_region(region)


def call_job(fn: Callable[..., Any], args: tuple) -> tuple[str, Any]:
    """Run ``fn(*args)`` in a worker: ("ok", pickled result) or ("input", (type, file, field,
    message)) for bad input (ConfigError / RegionError do not unpickle as themselves)."""
    try:
        return "ok", pickle.dumps(fn(*args), protocol=pickle.HIGHEST_PROTOCOL)
    except ValueError as err:
        if all(hasattr(err, a) for a in ("file", "field", "message")):
            return "input", (type(err), err.file, err.field, err.message)  # type: ignore[attr-defined]
        raise


# ---------------------------------------------------------------------------- the scheduler
@dataclass(eq=False)
class _Job:
    key: str
    fn: Callable[..., Any]
    args: tuple
    lane: int
    request: int
    future: Future = field(default_factory=Future)
    waiters: set[str] = field(default_factory=set)
    started: float | None = None


class Scheduler:
    """Queues jobs per session and lane and feeds at most ``workers`` to the process pool.

    ``on_result(key, pickled)`` is called with every job's result before its waiters wake.
    """

    def __init__(
        self,
        workers: int,
        on_result: Callable[[str, bytes], None] | None = None,
        *,
        warm_modules: Sequence[str] = WARM_MODULES,
        region: str | None = "middle_yangtze",
        max_queue: int = MAX_QUEUE,
        max_per_session: int = MAX_PER_SESSION,
    ) -> None:
        self.workers, self.on_result = max(1, int(workers)), on_result
        self.max_queue, self.max_per_session = max_queue, max_per_session
        self._warm = (os.getpid(), tuple(warm_modules), region)
        self._lock = threading.Lock()
        self._jobs: dict[str, _Job] = {}  # waiting or running, by key
        self._queues: list[OrderedDict[str, deque[_Job]]] = [OrderedDict(), OrderedDict()]  # lane -> session
        self._running = 0
        self._requests = itertools.count()
        self._executor: ProcessPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self.job_seconds = 0.0  # running mean of a job's wall time (for the wait estimate)
        self.computed = 0

    # ------------------------------------------------------------------ pool
    def _pool(self) -> ProcessPoolExecutor:
        with self._pool_lock:
            return self._new_pool() if self._executor is None else self._executor

    def _new_pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            from simulation.experiments.sweep.exec import worker_threads
            from simulation.workers import main_script_hidden

            ctx = multiprocessing.get_context("spawn")  # no inherited server threads or state
            with worker_threads(self.workers), main_script_hidden():
                self._executor = ProcessPoolExecutor(
                    self.workers, mp_context=ctx, initializer=warm_worker, initargs=self._warm
                )
                for _ in range(self.workers):  # start every worker now, not at the first Run
                    self._executor.submit(int, 0)
        return self._executor

    def start(self) -> None:
        """Start the workers (otherwise they start with the first job)."""
        self._pool()

    def shutdown(self) -> None:
        with self._lock, self._pool_lock:
            ex, self._executor = self._executor, None
            waiting = [j for q in self._queues for d in q.values() for j in d]
            for q in self._queues:
                q.clear()
        for j in waiting:
            self._jobs.pop(j.key, None)
            j.future.cancel()
        if ex is not None:
            ex.shutdown(wait=True, cancel_futures=True)

    # ------------------------------------------------------------------ submitting
    def new_request(self) -> int:
        return next(self._requests)

    def submit(self, key: str, fn: Callable, args: tuple, session: str, lane: int, request: int) -> Future:
        """Queue ``fn(*args)`` under ``key`` for ``session``; the same key in flight is shared."""
        with self._lock:
            job = self._jobs.get(key)
            if job is not None:
                job.waiters.add(session)
                if job.started is None and lane < job.lane:  # a preview needs what waits as full
                    self._move(job, lane, session)
                return job.future
            waiting = sum(len(d) for q in self._queues for d in q.values())
            mine = sum(len(q.get(session, ())) for q in self._queues)
            if mine >= self.max_per_session:
                raise Busy(
                    f"this page has {mine} runs waiting (at most {self.max_per_session}); try again shortly"
                )
            if waiting >= self.max_queue:
                raise Busy(
                    f"the server has {waiting} runs waiting (at most {self.max_queue}); try again shortly"
                )
            job = _Job(key, fn, args, lane, request, waiters={session})
            self._jobs[key] = job
            self._queues[lane].setdefault(session, deque()).append(job)
            ready = self._dispatch()
        self._send(ready)
        return job.future

    def _move(self, job: _Job, lane: int, session: str) -> None:
        for s, d in self._queues[job.lane].items():
            if job in d:
                d.remove(job)
                if not d:
                    del self._queues[job.lane][s]
                break
        job.lane = lane
        self._queues[lane].setdefault(session, deque()).append(job)

    def withdraw(self, session: str, lane: int = PREVIEW) -> int:
        """Withdraw ``session``'s waiting jobs of ``lane`` that no other session waits for."""
        with self._lock:
            d = self._queues[lane].get(session)
            if not d:
                return 0
            gone = [j for j in d if j.waiters == {session}]
            keep = deque(j for j in d if j.waiters != {session})
            for j in keep:
                j.waiters.discard(session)
            if keep:
                self._queues[lane][session] = keep
            else:
                del self._queues[lane][session]
            for j in gone:
                del self._jobs[j.key]
        for j in gone:
            j.future.set_exception(Superseded("withdrawn for a newer preview"))
        return len(gone)

    # ------------------------------------------------------------------ dispatching
    def _order(self, limit: int | None = None) -> list[tuple[str, _Job]]:
        """The waiting jobs in the order they will start: lane by lane, sessions taking turns, each
        turn one whole request. Pure: the queues are not changed."""
        out: list[tuple[str, _Job]] = []
        for q in self._queues:
            turns = deque((s, deque(d)) for s, d in q.items())
            while turns and (limit is None or len(out) < limit):
                s, d = turns.popleft()
                job = d.popleft()
                out.append((s, job))
                if d and d[0].request == job.request:
                    turns.appendleft((s, d))  # finish this request first
                elif d:
                    turns.append((s, d))
        return out

    def _dispatch(self) -> list[_Job]:
        """Take jobs off the queues for free workers (called under the lock)."""
        ready = []
        for session, job in self._order(self.workers - self._running):
            q = self._queues[job.lane]
            q[session].popleft()
            if q[session]:
                if q[session][0].request != job.request:
                    q.move_to_end(session)  # the next turn is another session's
            else:
                del q[session]
            job.started = time.perf_counter()
            self._running += 1
            ready.append(job)
        return ready

    def _send(self, ready: list[_Job]) -> None:
        for job in ready:
            try:
                fut = self._pool().submit(call_job, job.fn, job.args)
            except (BrokenProcessPool, RuntimeError) as err:
                self._finish(job, error=err)
                continue
            fut.add_done_callback(lambda f, job=job: self._done(job, f))

    def _done(self, job: _Job, fut: Future) -> None:
        try:
            status, payload = fut.result()
        except BrokenProcessPool as err:  # a worker died (memory?): new workers for the next jobs
            with self._pool_lock:
                self._executor = None
            self._finish(job, error=RuntimeError(f"a worker process died during this run ({err})"))
            return
        except BaseException as err:  # noqa: BLE001 - the run raised: its waiters get the error
            self._finish(job, error=err)
            return
        if status == "input":
            cls, file, fld, message = payload
            self._finish(job, error=cls(file, fld, message))
            return
        if self.on_result is not None:
            self.on_result(job.key, payload)  # in the cache before the key leaves the job table
        self._finish(job, value=payload)  # bytes: every waiter unpickles its own copy

    def _finish(self, job: _Job, value: Any = None, error: BaseException | None = None) -> None:
        with self._lock:
            self._running -= 1
            self._jobs.pop(job.key, None)
            took = time.perf_counter() - (job.started or time.perf_counter())
            self.computed += error is None
            self.job_seconds = took if self.computed <= 1 else 0.8 * self.job_seconds + 0.2 * took
            ready = self._dispatch()
        if error is None:
            job.future.set_result(value)
        else:
            job.future.set_exception(error)
        self._send(ready)

    # ------------------------------------------------------------------ status
    def status(self, session: str) -> dict[str, Any]:
        """``ahead``: jobs that start before this session's next one (None: nothing waiting),
        ``waiting``/``running``: this session's jobs, ``eta_s``: a rough wait for its next start."""
        with self._lock:
            order = self._order()
            mine = [i for i, (s, j) in enumerate(order) if session in j.waiters]
            running = sum(1 for j in self._jobs.values() if j.started is not None and session in j.waiters)
            ahead = mine[0] if mine else None
            eta = None if ahead is None else round(ahead * self.job_seconds / self.workers, 1)
            return {
                "ahead": ahead,
                "waiting": len(mine),
                "running": running,
                "eta_s": eta,
                "queued_total": len(order),
                "workers": self.workers,
            }


# ---------------------------------------------------------------------------- the runner
Listener = Callable[[str, Config, tuple[int, ...], float, Any], None]


class PooledRunner:
    """``runner(cfg, seeds, scale=1.0)`` like ``results.run_paired``, pooled and cached."""

    def __init__(
        self,
        fn: Callable[..., Any],
        scheduler: Scheduler,
        cache: ResultCache,
        *,
        run_side: Callable[..., Any] | None = None,
        pair: Callable[..., Any] | None = None,
        baseline_of: Callable[[Config], Config] | None = None,
        version: str | None = None,
        supersede_previews: bool = False,
    ) -> None:
        """``supersede_previews``: a session's new preview withdraws its older one still waiting
        (whose caller gets :class:`Superseded`); off unless the page expects that exception."""
        self.fn, self.scheduler, self.cache = fn, scheduler, cache
        self.supersede_previews = supersede_previews
        self.run_side, self.pair = run_side, pair
        self.baseline_of = baseline_of
        self.version = version if version is not None else code_version()
        self.listeners: list[Listener] = []
        self._lock = threading.Lock()
        self.requests = self.request_hits = 0

    def _kind(self, fn: Callable) -> str:
        return f"{fn.__module__}.{fn.__qualname__}"

    def __call__(self, cfg: Config, seeds: Sequence[int], scale: float = 1.0) -> Any:
        seeds = tuple(int(s) for s in seeds)
        session = current_session()
        key = job_key(self._kind(self.fn), cfg, seeds, scale, self.version)
        hit, value = self.cache.get(key)
        with self._lock:
            self.requests += 1
            self.request_hits += hit
        if not hit:
            lane = PREVIEW if scale < 1 else FULL
            if lane == PREVIEW and self.supersede_previews:
                self.scheduler.withdraw(session, PREVIEW)
            request = self.scheduler.new_request()
            if self.run_side is not None and self.pair is not None:
                value = self._by_runs(cfg, seeds, scale, session, lane, request)
                self.cache.put(key, value)
            else:
                fut = self.scheduler.submit(key, self.fn, (cfg, seeds, scale), session, lane, request)
                value = pickle.loads(fut.result())
        for listener in self.listeners:
            listener(session, cfg, seeds, scale, value)
        return value

    def _by_runs(
        self, cfg: Config, seeds: tuple[int, ...], scale: float, session: str, lane: int, request: int
    ):
        assert self.run_side is not None and self.pair is not None
        if self.baseline_of is None:
            from .state import baseline_of as default_baseline

            self.baseline_of = default_baseline
        base_cfg = self.baseline_of(cfg)
        kind = self._kind(self.run_side)
        parts: dict[tuple[str, int], Future | bytes] = {}
        for seed in seeds:  # seed by seed: the request's first pairs start first
            for side, c in (("base", base_cfg), ("scenario", cfg)):
                key = job_key(kind, c, (seed,), scale, self.version)
                blob = self.cache.get_bytes(key)
                parts[side, seed] = (
                    blob
                    if blob is not None
                    else self.scheduler.submit(key, self.run_side, (c, seed, scale), session, lane, request)
                )

        def get(side: str, seed: int) -> Any:
            p = parts[side, seed]
            return pickle.loads(p if isinstance(p, bytes) else p.result())

        t0 = time.perf_counter()
        base = [get("base", s) for s in seeds]
        scen = [get("scenario", s) for s in seeds]
        return self.pair(cfg, seeds, scale, base, scen, time.perf_counter() - t0)

    @property
    def hit_rate(self) -> float:
        """Share of calls answered from the cache without queueing anything."""
        return self.request_hits / self.requests if self.requests else 0.0

    def status(self, session: str | None = None) -> dict[str, Any]:
        """Queue position of ``session`` (default: the calling one); see :meth:`Scheduler.status`."""
        return self.scheduler.status(session if session is not None else current_session())


def make_runner(
    results: ModuleType,
    workers: int | None = None,
    disk: bool = True,
    cache_dir: os.PathLike | str = CACHE_DIR,
    **scheduler_options: Any,
) -> PooledRunner:
    """A :class:`PooledRunner` over ``results.run_paired`` (and its per-run parts if it has them)."""
    version = code_version()
    store = DiskStore(os.path.join(cache_dir, "dashboard-runs.sqlite"), version) if disk else None
    cache = ResultCache(disk=store)
    scheduler = Scheduler(workers or os.cpu_count() or 1, cache.put_bytes, **scheduler_options)
    return PooledRunner(
        results.run_paired,
        scheduler,
        cache,
        run_side=getattr(results, "run_side", None),
        pair=getattr(results, "pair", None),
        baseline_of=getattr(results, "baseline_of", None),
        version=version,
    )


def install(results: ModuleType, **options: Any) -> PooledRunner:
    """Replace ``results.RUNNER`` with a pooled, cached runner (workers started now) and return
    it. The one line the server needs: ``pool.install(simulation.dashboard.results)``."""
    runner = make_runner(results, **options)
    runner.scheduler.start()
    results.RUNNER = runner  # type: ignore[attr-defined]
    return runner
