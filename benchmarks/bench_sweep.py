"""Benchmark of sweep executors: throughput of default-scale runs with 1 and 2 process-pool workers
(the scaling ratio) and the overhead of Dask (LocalCluster, 2 worker processes) against the pool.

    uv run python benchmarks/bench_sweep.py              # 200 default-scale runs per executor
    uv run python benchmarks/bench_sweep.py --runs 20    # a quick look

The sweep is a grid over ``talent.border_cost`` (runs/2 points x 2 replicates) on
``configs/baseline.toml`` (50k talent agents, 5k firm agents, 2019-2035). Every executor runs the
same sweep into a fresh archive; wall time covers everything a user waits for (starting workers,
running, writing run files, building runs.parquet). The run tables of all executors must be
identical (checked). The last line is machine-readable:
``runs=<n> runs_per_s_1w=<x> runs_per_s_2w=<x> scaling_2w=<x> process_2w_s=<x> dask_2w_s=<x>
dask_overhead_pct=<x>``.
"""

from __future__ import annotations

import argparse
import os
import platform
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


def measure(sweep, out: Path, executor: str, workers: int) -> float:
    from simulation.sweep import run_sweep

    t0 = time.perf_counter()
    report = run_sweep(sweep, out, executor=executor, workers=workers, progress=sys.stderr.isatty())
    wall = time.perf_counter() - t0
    assert report.complete and report.ran == len(sweep.tasks), report
    return wall


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=200, help="runs per executor (even; default 200)")
    p.add_argument("--serial", action="store_true", help="also time the serial executor (in-process)")
    args = p.parse_args()
    points = max(1, args.runs // 2)

    from simulation.sweep import load_sweep

    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        tmpd = Path(tmp)
        f = tmpd / "bench.toml"
        f.write_text(SWEEP.format(base=(ROOT / "configs" / "baseline.toml").as_posix(), points=points))
        sweep = load_sweep(f)
        n = len(sweep.tasks)
        plan = [("process", 1), ("process", 2), ("dask", 2)] + ([("serial", 1)] if args.serial else [])
        times: dict[tuple[str, int], float] = {}
        for executor, workers in plan:
            out = tmpd / f"{executor}-{workers}"
            times[(executor, workers)] = measure(sweep, out, executor, workers)
            print(f"{executor:8s} x{workers}: {n} runs in {times[(executor, workers)]:7.1f} s "
                  f"= {n / times[(executor, workers)]:.3f} runs/s", flush=True)  # fmt: skip
        ref = (tmpd / "process-1" / "runs.parquet").read_bytes()
        for executor, workers in plan:
            assert (tmpd / f"{executor}-{workers}" / "runs.parquet").read_bytes() == ref, (executor, workers)
    t1, t2, td = times[("process", 1)], times[("process", 2)], times[("dask", 2)]
    print(f"machine: {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f} at the end")  # fmt: skip
    print("run tables identical across executors: yes")
    print(
        f"runs={n} runs_per_s_1w={n / t1:.3f} runs_per_s_2w={n / t2:.3f} scaling_2w={t1 / t2:.2f} "
        f"process_2w_s={t2:.1f} dask_2w_s={td:.1f} dask_overhead_pct={100 * (td - t2) / t2:.1f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
