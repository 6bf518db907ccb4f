"""Benchmark: a class pressing Run together, through the dashboard's pooled, cached runner.

    PYTHONPATH=. uv run python benchmarks/bench_class.py                   # 6 and 40 trainees, three mixes
    PYTHONPATH=. uv run python benchmarks/bench_class.py --trainees 6 --mix distinct --seeds 8
    PYTHONPATH=. uv run python benchmarks/bench_class.py --quick           # 2 seeds, small model: smoke
    PYTHONPATH=. uv run python benchmarks/bench_class.py --in-process      # also the old page: no pool

Each simulated trainee is a thread with its own session (``pool.session_scope``). All start at one
barrier and do what the page does after a click (``state.Session.compute``): a preview
(``--preview-seeds`` seeds at ``--preview-scale`` of the agents), then the full result
(``--seeds`` seeds at full scale), both through ``PooledRunner`` over
``simulation.dashboard.results`` (one job per model run; the baseline run of a seed is shared).
The seeds are the page's: ``replicate_seeds(run.seed, n)``. Scenario mixes:

* ``distinct``: every trainee a different scenario (lever i mod 11, its start year 2021 + i // 11);
* ``presets``: trainee i loads shipped scenario i mod 8 (what a class told "try one lever" does);
* ``identical``: everyone the same scenario (emission trading).

Every setting starts with an empty cache (memory only) and the same warm workers; one paired run
alone is timed first as the unit of the machine at that moment (it is shared). Reported per
setting: the wait from the click to the preview and to the full result (median, max), the wall
time until the last trainee has it, model runs computed, and the cache hit rate (share of model
runs asked for that were answered by the cache or by a run already in flight). ``--in-process``
also runs the same trainees with ``results.run_paired`` called directly in their threads, as the
page did before the pool (one process, every run under one interpreter lock). It only measures.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def scenarios(mix: str, n: int, overrides: list[str]):
    from simulation.config import load_config
    from simulation.dashboard import results

    base = ROOT / "configs" / "baseline.toml"
    scen = ROOT / "configs" / "scenarios"
    levers = results.lever_sections()
    presets = sorted(p.stem for p in scen.glob("*.toml"))[:8]
    out = []
    for i in range(n):
        if mix == "identical":
            out.append(load_config(scen / "emission_trading.toml", overrides))
        elif mix == "presets":
            out.append(load_config(scen / f"{presets[i % len(presets)]}.toml", overrides))
        else:
            lever = levers[i % len(levers)]
            file = scen / f"{lever}.toml"
            out.append(
                load_config(
                    file if file.is_file() else base,
                    [*overrides, f"{lever}.enabled=true", f"{lever}.start_year={2021 + i // len(levers)}"],
                )
            )
    return out


def press_run(run, cfgs, seeds, preview_seeds: int, preview_scale: float, sessions: bool):
    """Every trainee clicks at once; returns [(preview wait, full wait)] and the wall time."""
    from simulation.dashboard import pool

    barrier = threading.Barrier(len(cfgs) + 1)
    waits: list[tuple[float, float] | None] = [None] * len(cfgs)

    def trainee(i: int) -> None:
        barrier.wait()
        t0 = time.perf_counter()
        ctx = pool.session_scope(f"trainee-{i}") if sessions else _nothing()
        with ctx:
            if preview_seeds:
                run(cfgs[i], seeds[:preview_seeds], preview_scale)
            t1 = time.perf_counter()
            run(cfgs[i], seeds, 1.0)
        waits[i] = (t1 - t0, time.perf_counter() - t0)

    threads = [threading.Thread(target=trainee, args=(i,)) for i in range(len(cfgs))]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    return [w for w in waits if w is not None], time.perf_counter() - start


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def fresh_runner(scheduler):
    from simulation.dashboard import pool, results
    from simulation.dashboard.runcache import ResultCache

    cache = ResultCache()
    scheduler.on_result = cache.put_bytes
    scheduler.computed = 0
    return pool.PooledRunner(
        results.run_paired,
        scheduler,
        cache,
        run_side=results.run_side,
        pair=results.pair,
        baseline_of=results.baseline_of,
    )


def line(label: str, waits, wall: float, extra: str = "") -> str:
    prev = [w[0] for w in waits]
    full = [w[1] for w in waits]
    return (
        f"{label:<34} preview median {statistics.median(prev):6.1f} s max {max(prev):6.1f} s | "
        f"full median {statistics.median(full):6.1f} s max {max(full):6.1f} s | all done {wall:6.1f} s{extra}"
    )


def main(argv: list[str] | None = None) -> int:
    from simulation.dashboard.state import PREVIEW_SEEDS

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trainees", type=int, nargs="+", default=[6, 40])
    p.add_argument(
        "--mix",
        nargs="+",
        default=["identical", "presets", "distinct"],
        choices=["identical", "presets", "distinct"],
    )
    p.add_argument("--seeds", type=int, default=8, help="seeds of the full result (page default 8)")
    p.add_argument(
        "--preview-seeds",
        type=int,
        default=PREVIEW_SEEDS,
        help=f"preview seeds (page: {PREVIEW_SEEDS}; 0: none)",
    )
    p.add_argument("--preview-scale", type=float, default=0.1, help="agent share of the preview (page: 0.1)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--set", action="append", default=[], help="config override for every scenario")
    p.add_argument("--quick", action="store_true", help="2 seeds, 5,000 agents, 2019-2025")
    p.add_argument("--in-process", action="store_true", help="also the old way: run_paired in each thread")
    a = p.parse_args(argv)
    overrides = list(a.set)
    if a.quick:
        a.seeds, a.preview_seeds = 2, 1
        overrides += ["scale.talent_agents=5000", "scale.firm_agents=500", "run.end_year=2025"]
    from simulation.dashboard import pool, results
    from simulation.experiments.compare import replicate_seeds

    probe = scenarios("identical", 1, overrides)[0]
    seeds = replicate_seeds(probe.run.seed, a.seeds)
    print(
        f"# {platform.platform()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; "
        f"{a.workers} workers; "
        f"{probe.scale.talent_agents} talent agents, {probe.run.start_year}-{probe.run.end_year}; "
        f"preview {a.preview_seeds} seeds x {a.preview_scale}, full {a.seeds} seeds",
        flush=True,
    )
    scheduler = pool.Scheduler(a.workers, None)
    t0 = time.perf_counter()
    scheduler.start()
    run = fresh_runner(scheduler)
    run(probe, seeds[:1], a.preview_scale)  # wait for the workers to be up (not timed below)
    print(f"# workers up and warm in {time.perf_counter() - t0:.1f} s", flush=True)
    t0 = time.perf_counter()
    run(probe, seeds[:1], 1.0)  # one seed: its baseline and scenario side by side on two workers
    print(
        "# one full-scale paired run alone (1 seed, both sides in parallel): "
        f"{time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    summary = []
    for n in a.trainees:
        for mix in a.mix:
            cfgs = scenarios(mix, n, overrides)
            run = fresh_runner(scheduler)
            waits, wall = press_run(run, cfgs, seeds, a.preview_seeds, a.preview_scale, True)
            asked = n * (2 * a.seeds + 2 * a.preview_seeds if a.preview_seeds else 2 * a.seeds)
            hit = 1 - scheduler.computed / asked
            extra = f" | {scheduler.computed} runs computed of {asked} asked: hit rate {hit:.0%}"
            summary.append(line(f"{n} trainees, {mix}", waits, wall, extra))
            print(summary[-1], flush=True)
    scheduler.shutdown()
    if a.in_process:
        for n in a.trainees:
            cfgs = scenarios("distinct", n, overrides)
            waits, wall = press_run(results.run_paired, cfgs, seeds, a.preview_seeds, a.preview_scale, False)
            summary.append(line(f"{n} trainees, distinct, in-process", waits, wall))
            print(summary[-1], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
