"""Writing a sensitivity analysis: the ``analysis/`` folder of a sweep archive (tables, plots,
``summary.md``, ``manifest.json``), built in a hidden sibling folder and renamed into place whole
(:func:`simulation.archive.atomic.staging`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from simulation.archive.atomic import staging
from simulation.archive.files import parquet_bytes, sha256_file
from simulation.archive.manifest import file_hashes, now, write_manifest
from simulation.archive.provenance import code_version
from simulation.archive.schema import SCHEMA_VERSION
from simulation.experiments.sensitivity.report import label, summary_markdown
from simulation.experiments.sensitivity.verdict import KEY
from simulation.experiments.sweep.store import ANALYSIS, INDEX

if TYPE_CHECKING:
    from simulation.experiments.sensitivity.result import Analysis


def _plots(a: Analysis, tmp: Path) -> dict[str, list[str]]:
    from simulation.report import sensitivity_plots as sp

    made: dict[str, list[str]] = {}
    key = KEY[a.method]
    if not a.indices.empty and len(a.indices["metric"].unique()) > 1:
        made["overview"] = [f"plots/overview_{key}.png"]
        sp.plot_overview(
            a.indices, key, f"{key} by parameter and metric ({a.method})", tmp / made["overview"][0]
        )
    grid2 = a.manifest["design"]["kind"] == "grid" and len(a.params) == 2
    for x in a.metrics:
        rels = []
        sel = a.indices[a.indices["metric"] == x].sort_values("rank") if not a.indices.empty else None
        if sel is not None and len(sel):
            rels.append(f"plots/sensitivity_{x}.png")
            sp.plot_bars(sel, a.method, x, label(x), tmp / rels[-1], dummy=a.dummy)
        if grid2:
            rels.append(f"plots/grid_{x}.png")
            sp.plot_grid(a.point_means, a.params[0], a.params[1], x, label(x), tmp / rels[-1])
        rels.append(f"plots/outcome_{x}.png")
        sp.plot_outcome(a.runs, a.params, x, label(x), tmp / rels[-1])
        made[x] = rels
    specs = {p["path"]: p for p in a.manifest["design"]["parameters"]}
    for p1, p2 in a.surfaces:
        for x, fit in a.fits.items():
            i, j = a.variables.index(p1), a.variables.index(p2)
            rel = f"plots/surface_{x}_{i + 1}_{j + 1}.png"
            sp.plot_surface(fit, a.point_means, (p1, specs[p1]), (p2, specs[p2]), x, label(x), tmp / rel)
            made.setdefault("surfaces", []).append(rel)
    return made


def write_analysis(
    a: Analysis, path: Path, out: Path | None = None, plots: bool = True, command: list[str] | None = None
) -> Path:
    """Write the analysis folder (default ``<archive>/analysis``), replacing an earlier one whole:
    it is built in a hidden sibling folder and renamed into place."""
    path = Path(path)
    final = Path(out) if out is not None else path / ANALYSIS
    with staging(final, replace=out is None) as tmp:  # also removes the folders of killed analyses
        files = {"indices": a.indices, "metrics": a.metric_stats, "point_means": a.point_means,
                 "regression": a.regression}  # fmt: skip
        if a.second_order is not None:
            files["second_order"] = a.second_order
        for name, df in files.items():
            (tmp / f"{name}.parquet").write_bytes(parquet_bytes(df.reset_index(drop=True)))
        made = _plots(a, tmp) if plots else {}
        (tmp / "summary.md").write_text(summary_markdown(a, path, made), encoding="utf-8")
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "kind": "sweep-analysis",
            "created": now(),
            "command": list(sys.argv if command is None else command),
            "sweep": str(path),
            "sweep_hash": a.manifest.get("sweep_hash"),
            "runs_sha256": sha256_file(path / INDEX),
            "method": a.method,
            "metrics": a.metrics,
            "dummy": a.dummy,
            "seed": a.manifest.get("seed"),
            "code": code_version(),
            "files": file_hashes(tmp),
        }
        write_manifest(tmp, manifest)
    return final
