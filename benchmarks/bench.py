"""Benchmark: build time, time per step, throughput and peak memory, against the per-agent reference.

    uv run python benchmarks/bench.py            # real + synthetic region at 10k, 100k and 1M agents
    uv run python benchmarks/bench.py --quick    # stops at 100k (under a minute)
    uv run python benchmarks/bench.py --profile 1000000   # cProfile of one step at 1M
    uv run python benchmarks/bench.py --phases 1000000    # time per step of each phase at 1M

Every measurement runs in a fresh subprocess so that its peak resident memory (``getrusage`` in the
child) belongs to that size alone. Firm agents are talent agents / 20. The array model and the
per-agent reference (``benchmarks/reference.py``) run with the same config, seed and size; their
ratio compares the mean time of the same first steps (the reference runs fewer steps, see the
table), each the best of two runs in its process, since other load on the machine only ever slows
a run down; the table's other columns describe the first run. ``baseline_s`` is the simulation
part (steps only, build excluded) of the default baseline (``configs/baseline.toml``: 50k talent
agents, 5k firm agents, 16 years), best of three runs in one process.

The last line is machine-readable:
``speedup_100k=<x> steps_per_s_1m=<x> peak_gb_1m=<x> baseline_s=<x>`` (``--quick`` leaves out the
1M fields). ``speedup_100k`` is on the real region; ``steps_per_s_1m`` is model steps (years) per
second at 1M talent agents; GB are 10**9 bytes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BASELINE = ROOT / "configs" / "baseline.toml"
REGIONS = {"real": None, "synthetic": "synthetic:31:1"}
SEED = 42


# ---------------------------------------------------------------------- child: one measurement
def _peak_bytes() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


from simulation.runner import GC_THRESHOLD  # noqa: E402


def child(spec: dict) -> dict:
    """Build one model and step it; runs in its own process."""
    import gc

    import numpy as np

    from simulation.config import load_config
    from simulation.model import MiddleYangtzeModel

    cls = MiddleYangtzeModel
    if spec.get("reference"):
        from benchmarks.reference import ReferenceModel

        cls = ReferenceModel
    cfg = load_config(BASELINE)
    import_peak = _peak_bytes()
    kwargs = {}
    if spec.get("talent"):
        n = int(spec["talent"])
        kwargs = {"talent_agents": n, "firm_agents": max(n // 20, 1)}
    if spec.get("region"):
        kwargs["region"] = spec["region"]
    steps = int(spec["steps"])
    runs = []
    for _ in range(int(spec.get("repeat", 1))):
        t0 = time.perf_counter()
        model = cls(cfg, rng=SEED, end_year=cfg.run.start_year + steps, **kwargs)
        build = time.perf_counter() - t0
        gc.freeze()  # as simulation.runner.settle_built does after every build
        times, agents = [], []
        for _ in range(steps):
            agents.append(int(model.talent.alive.sum()))
            t = time.perf_counter()
            model.step()
            times.append(time.perf_counter() - t)
        runs.append({"build_s": build, "step_times": times, "agents": agents})
        firms = int(model.firms.alive.sum())
        del model
        gc.unfreeze()
    return {
        **runs[0],
        "runs": runs,
        "repeats": [sum(r["step_times"]) for r in runs],
        "firms": firms,
        "peak_bytes": _peak_bytes(),
        "import_peak_bytes": import_peak,
        "numpy": np.__version__,
    }


def measure(spec: dict) -> dict:
    """Run ``child(spec)`` in a fresh interpreter and return its result."""
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if out.returncode != 0:
        raise SystemExit(f"benchmark child {spec} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def profile(n: int, top: int = 25) -> None:
    """Where the time of one step goes: cProfile of the second step with n talent agents."""
    import cProfile
    import pstats

    from simulation.config import load_config
    from simulation.model import MiddleYangtzeModel

    cfg = load_config(BASELINE)
    t0 = time.perf_counter()
    model = MiddleYangtzeModel(cfg, rng=SEED, talent_agents=n, firm_agents=max(n // 20, 1))
    print(f"build {time.perf_counter() - t0:.2f} s")
    model.step()
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    model.step()
    prof.disable()
    print(f"second step {time.perf_counter() - t0:.3f} s under cProfile")
    import io
    import sysconfig

    import mesa

    prefixes = [
        str(Path(mesa.__file__).parents[1]) + "/",  # site-packages
        sysconfig.get_paths()["stdlib"] + "/",
        str(ROOT) + "/",
    ]
    for key in ("tottime", "cumulative"):
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats(key).print_stats(top)
        text = buf.getvalue()
        for prefix in prefixes:
            text = text.replace(prefix, "")
        print(text)


PHASES = (  # (module, class, method): the stages of simulation.core and the model's bookkeeping
    ("simulation.core.firms", "FirmStage", "step"),
    ("simulation.core.firms", "FirmStage", "_exit"),
    ("simulation.core.firms", "FirmStage", "_enter"),
    ("simulation.core.firms", "FirmStage", "_coastal"),
    ("simulation.core.firms", "FirmStage", "_relocate"),
    ("simulation.model", "MiddleYangtzeModel", "add_firms"),
    ("simulation.model", "MiddleYangtzeModel", "remove_firms"),
    ("simulation.core.talent", "TalentStage", "step"),
    ("simulation.core.talent", "TalentStage", "class_probs"),
    ("simulation.core.talent", "TalentStage", "_graduates"),
    ("simulation.core.talent", "TalentStage", "_entrants"),
    ("simulation.core.talent", "TalentStage", "_new_agents"),
    ("simulation.model", "MiddleYangtzeModel", "remove_talent"),
    ("simulation.core.population", "Population", "step"),
    ("simulation.model", "MiddleYangtzeModel", "_produce"),
    ("simulation.core.production", "Production", "solve"),
    ("simulation.core.capital", "Capital", "invest"),
    ("simulation.core.land", "Land", "supply"),
    ("simulation.core.land", "Land", "clear"),
    ("simulation.model", "MiddleYangtzeModel", "_emit"),
    ("simulation.core.environment", "Environment", "emit"),
    ("simulation.core.records", "Recorder", "record"),
    ("simulation.core.records", "Recorder", "log_flows"),
)


def phases(n: int, steps: int = 6) -> None:
    """Wall time per step of the model's phases (nested: a phase includes the ones it calls)."""
    import functools
    import gc
    import importlib

    from simulation.config import load_config
    from simulation.model import MiddleYangtzeModel

    spent: dict[str, float] = {}

    def timed(name, fn):
        @functools.wraps(fn)
        def wrapper(*a, **k):
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                spent[name] += time.perf_counter() - t

        return wrapper

    for mod, owner, method in PHASES:
        cls = getattr(importlib.import_module(mod), owner)
        setattr(cls, method, timed(f"{owner}.{method}", getattr(cls, method)))
    spent.update(dict.fromkeys((f"{o}.{m}" for _, o, m in PHASES), 0.0))
    gc.set_threshold(*GC_THRESHOLD)  # as a run does (simulation.runner)
    model = MiddleYangtzeModel(load_config(BASELINE), rng=SEED, talent_agents=n, firm_agents=max(n // 20, 1))
    gc.freeze()
    gc_time = [0.0, 0.0]

    def on_gc(phase, info):
        if phase == "start":
            gc_time[1] = time.perf_counter()
        else:
            gc_time[0] += time.perf_counter() - gc_time[1]

    spent.update(dict.fromkeys(spent, 0.0))
    gc.callbacks.append(on_gc)
    t = time.perf_counter()
    for _ in range(steps):
        model.step()
    total = time.perf_counter() - t
    gc.callbacks.remove(on_gc)
    print(f"{fmt_n(n)} talent agents, mean over {steps} steps: {1000 * total / steps:.0f} ms per step")
    for name, v in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<34}{1000 * v / steps:8.1f} ms")
    print(f"  {'(cyclic GC, anywhere)':<34}{1000 * gc_time[0] / steps:8.1f} ms")


# ---------------------------------------------------------------------- parent: the table
def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if "MemTotal" in line
        )
        ram = f"{mem / 1024**2:.1f} GiB RAM"
    except (OSError, StopIteration):
        ram = "RAM unknown"
    import mesa
    import numpy as np

    return (
        f"{os.cpu_count()} CPUs ({cpu}), {ram}; Python {platform.python_version()}, numpy {np.__version__},"
        f" mesa {mesa.__version__}; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '-')}"
    )


def fmt_n(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1000}k"


def best_of(result: dict, k: int) -> float:
    """Mean time of the first k steps, best of the child's repeated runs."""
    return min(sum(run["step_times"][:k]) / k for run in result["runs"])


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log y on log x."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum((a - mx) ** 2 for a in lx)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="stop at 100k talent agents (under a minute)")
    ap.add_argument(
        "--profile",
        type=int,
        metavar="N",
        help="instead: cProfile one step (the second) of the array model with N talent agents",
    )
    ap.add_argument(
        "--phases",
        type=int,
        metavar="N",
        help="instead: wall time per step of each phase of the array model with N talent agents",
    )
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        # as simulation.runner does for every run: long-lived agents, few full collections
        import gc

        gc.set_threshold(*GC_THRESHOLD)
        print(json.dumps(child(json.loads(args.child))))
        return

    if args.profile:
        profile(args.profile)
        return
    if args.phases:
        phases(args.phases)
        return
    quick = args.quick
    sizes = [10_000, 100_000] if quick else [10_000, 100_000, 1_000_000]
    steps = 4 if quick else 16
    ref_steps = {10_000: 2, 100_000: 2} if quick else {10_000: 8, 100_000: 3}
    ref_regions = ["real"] if quick else list(REGIONS)
    started = time.perf_counter()
    print(f"machine: {machine()}")
    print(
        f"array model: {steps} steps per size; per-agent reference: "
        + ", ".join(f"{s} steps at {fmt_n(n)}" for n, s in ref_steps.items())
        + (" (real region only)" if quick else "")
        + f"; seed {SEED}; firm agents = talent / 20; each row a fresh process"
    )
    head = (
        f"{'region':<10}{'talent':>7}{'firms':>7}{'build_s':>9}{'step_s':>9}{'agent-steps/s':>15}"
        f"{'peak_GB':>9}{'ref_step_s':>12}{'ref_steps':>10}{'speedup':>9}"
    )
    print(head)
    print("-" * len(head))
    results: dict[tuple[str, int], dict] = {}
    for region, spec_region in REGIONS.items():
        for n in sizes:
            with_ref = n in ref_steps and region in ref_regions
            r = measure({"talent": n, "region": spec_region, "steps": steps, "repeat": 2 if with_ref else 1})
            st = r["step_times"]
            step_s = sum(st) / len(st)
            row = {
                "build_s": r["build_s"],
                "step_s": step_s,
                "throughput": sum(r["agents"]) / sum(st),
                "peak_gb": r["peak_bytes"] / 1e9,
                "total_s": r["build_s"] + sum(st),
                "import_gb": r["import_peak_bytes"] / 1e9,
            }
            ref = ""
            if with_ref:
                k = ref_steps[n]
                rr = measure({"talent": n, "region": spec_region, "steps": k, "reference": True, "repeat": 2})
                ref_step = best_of(rr, k)
                row["ref_step_s"] = ref_step
                row["speedup"] = ref_step / best_of(r, k)
                ref = f"{ref_step:>12.3f}{k:>10d}{row['speedup']:>8.1f}x"
            results[region, n] = row
            print(
                f"{region:<10}{fmt_n(n):>7}{fmt_n(n // 20) if n >= 20_000 else n // 20:>7}"
                f"{row['build_s']:>9.2f}{row['step_s']:>9.3f}{row['throughput']:>15,.0f}"
                f"{row['peak_gb']:>9.2f}{ref}",
                flush=True,
            )
    b = measure({"steps": 16, "repeat": 3})
    baseline_s = min(b["repeats"])
    print(
        f"baseline (configs/baseline.toml: 50k talent, 5k firms, 16 years): build {b['build_s']:.2f} s,"
        f" simulation {baseline_s:.2f} s (best of {len(b['repeats'])}: "
        + ", ".join(f"{x:.2f}" for x in b["repeats"])
        + ")"
    )
    print(f"peak memory of an interpreter with the model imported: {row['import_gb']:.2f} GB (in every row)")
    for region in REGIONS:
        if not quick:
            xs = sizes
            ys = [results[region, n]["step_s"] for n in sizes]
            big = results[region, 1_000_000]
            print(
                f"{region}: cost ~ agents^{slope(xs, ys):.2f} (log-log slope of time per step, 10k-1M;"
                f" 100k-1M: {slope(xs[1:], ys[1:]):.2f}); 1M over {steps} years: {big['total_s']:.1f} s"
                f" ({big['build_s']:.1f} s build + {big['total_s'] - big['build_s']:.1f} s steps),"
                f" peak {big['peak_gb']:.2f} GB"
            )
    print(f"benchmark wall time {time.perf_counter() - started:.0f} s")
    fields = {"speedup_100k": f"{results['real', 100_000]['speedup']:.1f}"}
    if not quick:
        big = results["real", 1_000_000]
        fields["steps_per_s_1m"] = f"{1 / big['step_s']:.2f}"
        fields["peak_gb_1m"] = f"{big['peak_gb']:.2f}"
    fields["baseline_s"] = f"{baseline_s:.2f}"
    print(" ".join(f"{k}={v}" for k, v in fields.items()))


if __name__ == "__main__":
    main()
