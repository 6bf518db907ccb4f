"""Benchmark of sweep executors: throughput of default-scale runs with 1 and 2 process-pool workers
(the scaling ratio) and the overhead of Dask (LocalCluster, 2 worker processes) against the pool.

    uv run python benchmarks/bench_sweep.py                   # 200 default-scale runs per executor
    uv run python benchmarks/bench_sweep.py --runs 60 --repeat 3
    uv run python benchmarks/bench_sweep.py --runs 20 --plan process:2,dask:2   # a quick look

The sweep is a grid over ``talent.border_cost`` (runs/2 points x 2 replicates) on
``configs/baseline.toml`` (50k talent agents, 5k firm agents, 2019-2035). Every executor runs the
same sweep into a fresh archive (reuse of other archives' runs off); wall time covers everything a
user waits for (starting workers, running, writing run files, building the run table). With
``--repeat N`` the plan is run N times in turn (p1 p2 d2 p1 p2 d2 ...), so that a change in the
machine's load falls on every executor alike, and medians are reported with the load average
(1 min) before each measurement. Every run file and the run table must be identical across
executors and repetitions (checked). The last line is machine-readable (medians):
``runs=<n> repeat=<r> runs_per_s_1w=<x> runs_per_s_2w=<x> scaling_2w=<x> process_2w_s=<x>
dask_2w_s=<x> dask_overhead_pct=<x> load_min=<x> load_max=<x>``.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SWEEP = """
[sweep]
name = "bench"
design = "grid"
replicates = 2
seed = 1
base = "{base}"

[parameters]
"talent.border_cost" = {{ low = 0.5, high = 1.5, num = {points} }}
"""
DEFAULT_PLAN = "process:1,process:2,dask:2"


def measure(sweep, out: Path, executor: str, workers: int) -> float:
    from simulation.experiments.sweep.run import run_sweep

    kw = {"reuse": False} if "reuse" in inspect.signature(run_sweep).parameters else {}
    t0 = time.perf_counter()
    report = run_sweep(sweep, out, executor=executor, workers=workers, progress=sys.stderr.isatty(), **kw)
    wall = time.perf_counter() - t0
    if not (report.complete and report.ran == len(sweep.tasks)):
        raise SystemExit(f"{executor} x{workers}: the sweep did not run every run: {report}")
    return wall


def digests(path: Path) -> dict[str, str]:
    """sha256 of every Parquet file of an archive (run files, run table, design), by relative path."""
    return {
        p.relative_to(path).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*.parquet"))
    }


def parse_plan(text: str) -> list[tuple[str, int]]:
    plan = []
    for item in text.split(","):
        executor, _, workers = item.strip().partition(":")
        if executor not in ("process", "dask", "serial") or not workers.isdigit() or int(workers) < 1:
            raise SystemExit(f"--plan: {item!r} (allowed: EXECUTOR:WORKERS, EXECUTOR process|dask|serial)")
        plan.append((executor, int(workers)))
    return plan


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=200, help="runs per executor (even; default 200)")
    p.add_argument("--repeat", type=int, default=1, help="repetitions of the whole plan (default 1)")
    p.add_argument("--plan", default=DEFAULT_PLAN, help=f"executors to time (default {DEFAULT_PLAN})")
    p.add_argument("--serial", action="store_true", help="also time the serial executor (in-process)")
    args = p.parse_args()
    plan = parse_plan(args.plan) + ([("serial", 1)] if args.serial else [])
    points = max(1, args.runs // 2)

    from simulation.experiments.sweep.spec import load_sweep

    times: dict[tuple[str, int], list[float]] = {k: [] for k in plan}
    loads: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        tmpd = Path(tmp)
        f = tmpd / "bench.toml"
        f.write_text(SWEEP.format(base=(ROOT / "configs" / "baseline.toml").as_posix(), points=points))
        sweep = load_sweep(f)
        n = len(sweep.tasks)
        ref: dict[str, str] | None = None
        for rep in range(args.repeat):
            for executor, workers in plan:
                out = tmpd / f"{executor}-{workers}-{rep}"
                loads.append(os.getloadavg()[0])
                wall = measure(sweep, out, executor, workers)
                times[(executor, workers)].append(wall)
                got = digests(out)
                ref = ref or got
                if got != ref:
                    bad = sorted(k for k in set(got) | set(ref) if got.get(k) != ref.get(k))
                    raise SystemExit(f"{executor} x{workers}: files differ from the first archive: {bad[:5]}")
                print(f"[{rep + 1}/{args.repeat}] {executor:8s} x{workers}: {n} runs in {wall:7.1f} s "
                      f"= {n / wall:.3f} runs/s (load before {loads[-1]:.2f})", flush=True)  # fmt: skip
        n_files = len(ref or {})
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"machine: {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"load average (1 min) before a measurement {min(loads):.2f}-{max(loads):.2f}, "
          f"{os.getloadavg()[0]:.2f} at the end")  # fmt: skip
    print(f"run files and tables identical across executors and repetitions: yes ({n_files} files)")
    for key, v in times.items():
        every = ", ".join(f"{x:.1f}" for x in v)
        print(f"median {key[0]:8s} x{key[1]}: {med[key]:7.1f} s = {n / med[key]:.3f} runs/s  (all: {every})")
    fields = [f"runs={n}", f"repeat={args.repeat}"]
    t1, t2, td = med.get(("process", 1)), med.get(("process", 2)), med.get(("dask", 2))
    if t1:
        fields.append(f"runs_per_s_1w={n / t1:.3f}")
    if t2:
        fields += [f"runs_per_s_2w={n / t2:.3f}", f"process_2w_s={t2:.1f}"]
    if t1 and t2:
        fields.append(f"scaling_2w={t1 / t2:.2f}")
    if td:
        fields.append(f"dask_2w_s={td:.1f}")
    if td and t2:
        fields.append(f"dask_overhead_pct={100 * (td - t2) / t2:.1f}")
    fields += [f"load_min={min(loads):.2f}", f"load_max={max(loads):.2f}"]
    print(" ".join(fields))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
