"""The sweep archive's own report: ``summary.md`` (what ran, status, per-point results) and fan charts
of the runs' time series per point (``plots/fan_<series>.png``). Takes tables, writes text and
figures; matplotlib is imported only when a chart is drawn."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.experiments.sweep import metrics as sm
from simulation.experiments.sweep import store as st

MAX_FAN_POINTS = 12
MAX_FANS = 4
MAX_TABLE_POINTS = 30
MAX_TABLE_METRICS = 4


# ---------------------------------------------------------------------------- fan charts
def fan_points(points: pd.DataFrame, limit: int = MAX_FAN_POINTS) -> list[int]:
    """The points drawn: all up to ``limit``, else ``limit`` spread evenly over the point numbers."""
    ids = sorted(int(p) for p in points["point"])
    if len(ids) <= limit:
        return ids
    return [ids[i] for i in sorted(set(np.linspace(0, len(ids) - 1, limit).round().astype(int)))]


def fan_series(metrics: tuple[str, ...]) -> list[tuple[str, str | None]]:
    """(column, city) of the first :data:`MAX_FANS` distinct series behind the metrics."""
    out: list[tuple[str, str | None]] = []
    for name in metrics:
        m = sm.parse_metric(name)
        if (m.column, m.city) not in out:
            out.append((m.column, m.city))
    return out[:MAX_FANS]


def fan_data(
    path: Path, runs: pd.DataFrame, shown: list[int], series: list[tuple[str, str | None]]
) -> pd.DataFrame:
    """point, replicate, year and one column per series (``column`` or ``column@city``) of the
    completed runs of the ``shown`` points."""
    cells = runs[runs["point"].isin(shown)]
    files = st.cell_files(path, cells)
    frames = []
    columns = sorted({c for c, _ in series})
    for (p, r), f in sorted(files.items()):
        if not f.is_file():
            continue
        df = pd.read_parquet(f, columns=[st.FIRST_RAW, "year", "city", *columns])
        row: dict[str, Any] = {}
        for col, city in series:
            sel = (
                df[(df[st.FIRST_RAW] == "cities") & (df["city"] == city)]
                if city
                else df[df[st.FIRST_RAW] == "model"]
            )
            row[f"{col}@{city}" if city else col] = sel.set_index("year")[col].astype(float)
        out = pd.DataFrame(row).rename_axis("year").reset_index()
        out.insert(0, "replicate", r)
        out.insert(0, "point", p)
        frames.append(out)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _label(points: pd.DataFrame, point: int, paths: list[str]) -> str:
    row = points.loc[points["point"] == point].iloc[0]
    parts = []
    for p in paths:
        v = row[p]
        parts.append(
            f"{p.rsplit('.', 1)[-1]}={v:.3g}" if isinstance(v, float) else f"{p.rsplit('.', 1)[-1]}={v}"
        )
    return f"point {point}: " + ", ".join(parts)


def plot_fans(
    data: pd.DataFrame, points: pd.DataFrame, paths: list[str], percentiles: tuple[float, ...], folder: Path
) -> list[Path]:
    """One chart per series: for each shown point the median over its replicates (line) and the band
    between the lowest and highest of ``percentiles`` (shaded), year by year."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from simulation.experiments.headline import RAW_UNITS

    lo, hi = min(percentiles), max(percentiles)
    out = []
    series = [c for c in data.columns if c not in ("point", "replicate", "year")]
    colours = plt.get_cmap("tab10").colors
    for col in series:
        fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
        for k, (point, grp) in enumerate(data.groupby("point", sort=True)):
            wide = grp.pivot_table(
                index="year", columns="replicate", values=col, aggfunc="first"
            ).sort_index()
            years, y = wide.index.to_numpy(), wide.to_numpy(float)
            colour = colours[k % len(colours)]
            style = "-" if k < len(colours) else "--"
            label = _label(points, int(point), paths)
            ax.plot(years, np.nanmedian(y, axis=1), color=colour, ls=style, lw=1.5, label=label)
            if y.shape[1] > 1:
                ax.fill_between(years, np.nanpercentile(y, lo, axis=1), np.nanpercentile(y, hi, axis=1),
                                color=colour, alpha=0.18, lw=0)  # fmt: skip
        ax.set_title(f"{col}: median over replicates, band p{lo:g}-p{hi:g}", fontsize=10)
        ax.set_xlabel("year")
        ax.set_ylabel(RAW_UNITS.get(col.split("@")[0], col.split("@")[0]))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize=7, ncols=2 if data["point"].nunique() > 6 else 1, frameon=False)
        target = folder / f"fan_{col}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(target, dpi=100, metadata={"Software": None})
        plt.close(fig)
        out.append(target)
    return out


def write_fans(path: Path, sweep: Any, runs: pd.DataFrame) -> tuple[list[str], str]:
    """Draw the fan charts of the archive at ``path`` into ``plots/``; their relative paths and a
    line saying which points they show."""
    shown = fan_points(sweep.points)
    data = fan_data(path, runs, shown, fan_series(sweep.metrics))
    if data.empty:
        return [], ""
    files = plot_fans(data, sweep.points, sweep.paths, sweep.percentiles, Path(path) / st.PLOTS)
    note = f"{len(shown)} of {len(sweep.points)} points" if len(shown) < len(sweep.points) else "every point"
    return [f.relative_to(path).as_posix() for f in files], note


# ---------------------------------------------------------------------------- summary.md
def _fmt(x: float) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4g}"


def point_table(
    stats: pd.DataFrame, metric: str, paths: list[str], percentiles: tuple[float, ...]
) -> list[str]:
    """Markdown rows of one metric's per-point statistics (at most :data:`MAX_TABLE_POINTS`)."""
    rows = stats[stats["metric"] == metric].head(MAX_TABLE_POINTS)
    qcols = [sm.percentile_column(q) for q in percentiles]
    head = ["point", *[f"`{p}`" for p in paths], "n", "mean", "sd", "95% CI", *qcols]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows.to_dict("records"):
        vals = [str(r["point"]), *[_fmt(r[p]) if isinstance(r[p], float) else str(r[p]) for p in paths]]
        vals += [
            str(r["n"]),
            _fmt(r["mean"]),
            _fmt(r["sd"]),
            f"{_fmt(r['ci95_low'])} to {_fmt(r['ci95_high'])}",
        ]
        vals += [_fmt(r[c]) for c in qcols]
        lines.append("| " + " | ".join(vals) + " |")
    more = (stats["metric"] == metric).sum() - len(rows)
    return lines + (["", f"... and {more} more points (`{st.POINTS}`)"] if more > 0 else [])


def summary_markdown(
    sweep: Any, path: Path, index: pd.DataFrame, manifest: dict[str, Any],
    stats: pd.DataFrame | None = None, fans: tuple[list[str], str] = ([], ""),
) -> str:  # fmt: skip
    """What ran, the counts, the failures, the per-point results and fan charts, how to go on."""
    counts = index["status"].value_counts().to_dict()
    lines = [
        f"# Sweep {sweep.name}",
        "",
        *([sweep.description, ""] if sweep.description else []),
        "## What ran",
        "",
        f"- sweep file: `{sweep.file}` (copy: `{st.SWEEP_TOML}`); base config: "
        f"`{sweep.base_file or '<defaults>'}` with [set] {sweep.sets or '{}'} (resolved: `{st.BASE_TOML}`)",
        f"- design: **{sweep.design}**"
        + (f", {sweep.samples} samples" if sweep.samples else "")
        + (", second order" if sweep.design == "sobol" and sweep.second_order else "")
        + (f", {sweep.levels} levels" if sweep.design == "morris" else "")
        + f"; {len(sweep.points)} points x {sweep.replicates} replicates = {len(sweep.runs)} runs "
        f"({len(sweep.tasks)} distinct); root seed {sweep.seed}"
        + (" (common random numbers across points)" if sweep.crn else ""),
        *([f"- lever-off baselines for the delta metrics: {len(sweep.baselines)} distinct runs"]
          if sweep.baselines else []),
        f"- horizon {sweep.base_config.run.start_year}-{sweep.base_config.run.end_year}, "
        f"{sweep.base_config.scale.talent_agents:,} talent and {sweep.base_config.scale.firm_agents:,} "
        "firm agents at the base",
        "",
        "| parameter | swept over |",
        "|---|---|",
        *[f"| `{p.path}` | {p.describe()} |" for p in sweep.parameters],
        "",
        "## Status",
        "",
        f"- {counts.get('ok', 0)} ok, {counts.get('failed', 0)} failed, {counts.get('pending', 0)} pending "
        f"(status: **{manifest.get('status')}**)",
    ]  # fmt: skip
    for s in manifest.get("sessions", []):
        lines.append(
            f"- session {s.get('started')}: {s.get('executor')} x {s.get('workers')}, ran {s.get('ran')} "
            f"({s.get('failed')} failed), skipped {s.get('skipped')}, copied {s.get('copied', 0)}, "
            f"{s.get('wall_time_s')} s"
        )
    for e in manifest.get("extensions", []):
        lines.append(f"- extended {e.get('at')}: {e.get('runs_before')} -> {e.get('runs_after')} runs")
    lines += _failed(index)
    lines += _results(sweep, stats, fans)
    lines += _files(sweep, path)
    return "\n".join(lines)


def _failed(index: pd.DataFrame) -> list[str]:
    failed = index[index["status"] == "failed"].drop_duplicates("run_id")
    if not len(failed):
        return []
    lines = ["", "## Failed runs", "",
             "Tracebacks in `failed/<run_id>.txt`; running the same sweep command again retries them.",
             ""]  # fmt: skip
    for _, r in failed.head(20).iterrows():
        lines.append(f"- `{r['run_id']}` (point {r['point']}, replicate {r['replicate']}): {r['error']}")
    if len(failed) > 20:
        lines.append(f"- ... and {len(failed) - 20} more")
    return lines


def _results(sweep: Any, stats: pd.DataFrame | None, fans: tuple[list[str], str]) -> list[str]:
    lines: list[str] = []
    if stats is not None and len(stats):
        lines += ["", "## Per-point results", "",
                  f"Over each point's completed replicates: mean, sd, the 95% interval of the mean (t) and "
                  f"percentiles (all metrics: `{st.POINTS}`).", ""]  # fmt: skip
        for metric in list(sweep.metrics)[:MAX_TABLE_METRICS]:
            lines += [f"**{metric}**", "", *point_table(stats, metric, sweep.paths, sweep.percentiles), ""]
    files, note = fans
    if files:
        lines += ["## Time series", "", f"Fan charts ({note}):", ""]
        lines += [f"![{Path(f).stem}]({f})" for f in files]
    return lines


def _files(sweep: Any, path: Path) -> list[str]:
    return [
        "",
        "## Files",
        "",
        f"`{st.INDEX}`: one row per run (point, replicate, seed, run_id, status, error, parameters, metrics "
        f"{', '.join(sweep.metrics[:4])}, ...). `runs/point=P/replicate=R/{st.PART}`: each run's rows with "
        "run_id, point, replicate, seed and the parameters (`talent.border_cost` as `talent__border_cost`) "
        "in front, then the model table (`\"table\" = 'model'`) and the cities table (`'cities'`). "
        f"`{st.DESIGN}`: the design, with unit-cube coordinates `u:<path>` for sampled designs.",
        "",
        "Per-point means in one DuckDB statement:",
        "",
        "```sql",
        "SELECT point, avg(gdp) AS gdp",
        f"FROM read_parquet('{path}/runs/**/*.parquet', hive_partitioning=true)",
        "WHERE \"table\" = 'model' AND year = "
        f"{sweep.base_config.run.end_year} GROUP BY point ORDER BY point",
        "```",
        "",
        f"Analyse: `uv run run.py analyze {path}`; check: `uv run run.py verify {path} --sample 5`; grow: "
        f"`uv run run.py sweep SPEC --extend {path}`.",
        "",
    ]
