"""The dashboard's worker pool and result cache (simulation.dashboard.pool, .runcache).

Most tests run fake runners (module-level functions here, so spawned workers can import them) that
append one line per call to a file: a call that the cache answers leaves no line. One test runs
the real ``results.run_paired`` at a tiny scale through the pool and compares it bit for bit with
a direct call.
"""

from __future__ import annotations

import os
import threading
import time
import types
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import pytest

from simulation.config import LEVER_SECTIONS, Config, load_config, validate
from simulation.dashboard import pool
from simulation.dashboard.runcache import DiskStore, ResultCache, job_key
from simulation.params import ConfigError

ROOT = Path(__file__).resolve().parents[1]
CALLS = "POOL_TEST_CALLS"
SLEEP = "POOL_TEST_SLEEP"
VERSION = "test-version"


# ---------------------------------------------------------------------------- fakes (run in workers)
def _log(tag: str) -> None:
    with open(os.environ[CALLS], "a") as f:
        f.write(tag + "\n")
    time.sleep(float(os.environ.get(SLEEP, "0")))


def _levers_on(cfg: Config) -> str:
    return "+".join(k for k in LEVER_SECTIONS if getattr(cfg, k).enabled) or "none"


def fake_paired(cfg: Config, seeds, scale: float = 1.0) -> dict:
    _log(f"paired {_levers_on(cfg)} {list(seeds)} {scale}")
    return {
        "levers": _levers_on(cfg),
        "seeds": tuple(seeds),
        "scale": scale,
        "table": np.arange(4.0) * sum(seeds),
    }


def fake_side(cfg: Config, seed: int, scale: float = 1.0) -> dict:
    _log(f"side {_levers_on(cfg)} {seed} {scale}")
    return {
        "levers": _levers_on(cfg),
        "seed": seed,
        "value": float(seed) * (2 if _levers_on(cfg) != "none" else 1),
    }


def fake_pair(cfg, seeds, scale, base, scen, wall_s=0.0) -> dict:
    return {"seeds": tuple(seeds), "diff": [s["value"] - b["value"] for b, s in zip(base, scen, strict=True)]}


def fake_bad(cfg: Config, seeds, scale: float = 1.0) -> dict:
    raise ConfigError("<page>", "run.end_year", "2200 (allowed: 2020 to 2060)")


def fake_baseline_of(cfg: Config) -> Config:
    raw = cfg.model_dump(mode="json")
    raw.update({k: Config().model_dump(mode="json")[k] for k in LEVER_SECTIONS})
    return validate(raw, "<baseline>")


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def calls_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("pool") / "calls.txt"
    path.write_text("")
    with pytest.MonkeyPatch.context() as mp:  # set before any worker starts: workers inherit it
        mp.setenv(CALLS, str(path))
        mp.setenv(SLEEP, "0")
        yield path


@pytest.fixture(scope="module")
def scheduler(calls_file):
    s = pool.Scheduler(2, None, warm_modules=(), region=None)
    s.start()
    yield s
    s.shutdown()


def calls(path: Path) -> list[str]:
    return [x for x in path.read_text().splitlines() if x]


def make(scheduler, fn=fake_paired, split=False, disk: DiskStore | None = None) -> pool.PooledRunner:
    cache = ResultCache(disk=disk)
    scheduler.on_result = cache.put_bytes
    kw = {"run_side": fake_side, "pair": fake_pair, "baseline_of": fake_baseline_of} if split else {}
    return pool.PooledRunner(fn, scheduler, cache, version=VERSION, **kw)


def scenario(name: str, sets: list[str] | None = None) -> Config:
    return load_config(ROOT / "configs" / "scenarios" / f"{name}.toml", sets)


BASE = load_config(ROOT / "configs" / "baseline.toml")


# ---------------------------------------------------------------------------- keys
def test_key_depends_on_config_seeds_scale_and_version_not_on_spelling():
    a = load_config(None, ["talent.review_rate=0.2", "run.seed=5"])
    b = load_config(None, ["run.seed=5", "talent.review_rate=0.2"])
    k = job_key("f", a, [1, 2], 1.0, "v1")
    assert k == job_key("f", b, [1, 2], 1.0, "v1")
    assert (
        len(
            {
                k,
                job_key("f", a, [1, 3], 1.0, "v1"),
                job_key("f", a, [1, 2], 0.25, "v1"),
                job_key("f", a, [1, 2], 1.0, "v2"),
                job_key("g", a, [1, 2], 1.0, "v1"),
                job_key("f", load_config(None, ["talent.review_rate=0.3", "run.seed=5"]), [1, 2], 1.0, "v1"),
            }
        )
        == 6
    )


# ---------------------------------------------------------------------------- whole paired jobs
def test_cache_hit_returns_identical_result_without_recomputation(scheduler, calls_file):
    run = make(scheduler)
    cfg = scenario("emission_trading")
    n0 = len(calls(calls_file))
    first = run(cfg, [11, 12])
    assert len(calls(calls_file)) == n0 + 1
    again = run(cfg, [11, 12])
    assert len(calls(calls_file)) == n0 + 1  # answered by the cache
    assert again["levers"] == first["levers"] == "emission_trading"
    np.testing.assert_array_equal(again["table"], first["table"])
    assert again is not first and again["table"] is not first["table"]  # each caller its own copy
    assert run.requests == 2 and run.request_hits == 1


def test_different_seeds_or_scale_miss(scheduler, calls_file):
    run = make(scheduler)
    cfg = scenario("talent_alliance")
    n0 = len(calls(calls_file))
    run(cfg, [21, 22])
    run(cfg, [21, 23])
    run(cfg, [21, 22], 0.25)
    assert calls(calls_file)[n0:] == [
        "paired talent_alliance [21, 22] 1.0",
        "paired talent_alliance [21, 23] 1.0",
        "paired talent_alliance [21, 22] 0.25",
    ]


def test_identical_requests_in_flight_are_computed_once(scheduler, calls_file, monkeypatch):
    run = make(scheduler)
    cfg = scenario("red_lines")
    n0 = len(calls(calls_file))
    out: list = []

    def trainee(i: int) -> None:
        with pool.session_scope(f"trainee-{i}"):
            out.append(run(cfg, [31, 32]))

    threads = [threading.Thread(target=trainee, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(out) == 8 and len({o["levers"] for o in out}) == 1
    assert calls(calls_file)[n0:] == ["paired red_lines [31, 32] 1.0"]


def test_bad_input_in_a_worker_comes_back_as_the_same_error(scheduler):
    run = make(scheduler, fn=fake_bad)
    with pytest.raises(ConfigError) as info:
        run(BASE, [1, 2])
    assert info.value.field == "run.end_year" and "allowed" in info.value.message


def test_disk_store_answers_a_new_server(scheduler, calls_file, tmp_path):
    cfg = scenario("eco_compensation")
    first = make(scheduler, disk=DiskStore(tmp_path / "c.sqlite", VERSION))(cfg, [41, 42])
    n = len(calls(calls_file))
    fresh = make(scheduler, disk=DiskStore(tmp_path / "c.sqlite", VERSION))  # empty memory
    again = fresh(cfg, [41, 42])
    assert len(calls(calls_file)) == n and fresh.cache.stats.hits_disk == 1
    np.testing.assert_array_equal(again["table"], first["table"])
    other = DiskStore(tmp_path / "c.sqlite", "another-code-version")  # old rows are dropped
    assert len(other) == 0


# ---------------------------------------------------------------------------- one job per run
def test_split_runs_compute_each_baseline_once_for_every_scenario(scheduler, calls_file):
    run = make(scheduler, split=True)
    n0 = len(calls(calls_file))
    a = run(scenario("emission_trading"), [51, 52])
    b = run(scenario("city_circle"), [51, 52])
    run(scenario("city_circle"), [51, 52])
    made = sorted(calls(calls_file)[n0:])
    assert made == sorted(
        [
            "side none 51 1.0",
            "side none 52 1.0",
            "side emission_trading 51 1.0",
            "side emission_trading 52 1.0",
            "side city_circle 51 1.0",
            "side city_circle 52 1.0",
        ]
    )
    assert a["diff"] == b["diff"] == [51.0, 52.0]


# ---------------------------------------------------------------------------- scheduling
class _Held(pool.Scheduler):
    """A scheduler whose jobs never reach a process: it records the order they would start."""

    def __init__(self, workers: int = 1, **kw) -> None:
        super().__init__(workers, None, warm_modules=(), region=None, **kw)
        self.started: list[str] = []

    def _send(self, ready) -> None:
        self.started.extend(j.key for j in ready)

    def finish_one(self) -> None:
        job = next(j for j in self._jobs.values() if j.started is not None)
        self._finish(job, value=b"")


def _request(s: pool.Scheduler, session: str, keys: list[str], lane: int = pool.FULL) -> list[Future]:
    r = s.new_request()
    return [s.submit(k, fake_paired, (), session, lane, r) for k in keys]


def test_sessions_take_turns_one_request_at_a_time():
    s = _Held(workers=1)
    _request(s, "A", ["a1", "a2", "a3"])  # a1 starts at once
    _request(s, "A", ["a4", "a5"])
    _request(s, "B", ["b1"])
    _request(s, "C", ["c1", "c2"])
    assert s.status("B")["ahead"] == 2  # a2, a3: A's first request is finished first
    for _ in range(7):
        s.finish_one()
    assert s.started == ["a1", "a2", "a3", "b1", "c1", "c2", "a4", "a5"]


def test_previews_start_before_full_results_and_a_newer_preview_withdraws_the_older():
    s = _Held(workers=1)
    _request(s, "A", ["full-a1", "full-a2"])
    old = _request(s, "B", ["preview-b-old"], pool.PREVIEW)
    assert s.withdraw("B") == 1
    with pytest.raises(pool.Superseded):
        old[0].result(timeout=1)
    _request(s, "B", ["preview-b"], pool.PREVIEW)
    s.finish_one()
    assert s.started == ["full-a1", "preview-b"]


def test_a_shared_job_is_not_withdrawn_while_another_session_waits():
    s = _Held(workers=1)
    _request(s, "A", ["busy"])
    _request(s, "B", ["same-preview"], pool.PREVIEW)
    shared = _request(s, "C", ["same-preview"], pool.PREVIEW)
    assert s.withdraw("B") == 0
    s.finish_one()
    s.finish_one()
    assert shared[0].result(timeout=1) == b"" and s.started == ["busy", "same-preview"]


def test_the_queue_is_bounded_with_a_clear_message():
    s = _Held(workers=1, max_per_session=3, max_queue=5)
    _request(s, "A", ["x0", "x1", "x2", "x3"])  # one runs, three wait
    with pytest.raises(pool.Busy, match="this page has 3 runs waiting"):
        _request(s, "A", ["x4"])
    _request(s, "B", ["y0", "y1"])
    with pytest.raises(pool.Busy, match="the server has 5 runs waiting"):
        _request(s, "C", ["z0"])


# ---------------------------------------------------------------------------- the real runner
def test_pooled_real_runner_equals_a_direct_run(tmp_path):
    from simulation.dashboard import results

    cfg = load_config(
        ROOT / "configs" / "scenarios" / "emission_trading.toml",
        ["scale.talent_agents=3000", "scale.firm_agents=400", "run.end_year=2022"],
    )
    fake = types.SimpleNamespace(
        **{k: getattr(results, k) for k in ("run_paired", "run_side", "pair", "baseline_of")}
    )
    runner = pool.install(fake, workers=2, cache_dir=tmp_path)  # warm workers: cached region
    try:
        assert fake.RUNNER is runner
        got = runner(cfg, [7, 8])
        want = results.run_paired(cfg, [7, 8])
        np.testing.assert_array_equal(got.base, want.base)
        np.testing.assert_array_equal(got.scen, want.scen)
        np.testing.assert_array_equal(got.scen_cities, want.scen_cities)
        assert got.columns == want.columns and got.seeds == (7, 8)
        assert runner.scheduler.computed == 4  # 2 seeds x (baseline, scenario)
    finally:
        runner.scheduler.shutdown()
