"""The whole comparison archive: the configs, tables and manifest
(:mod:`simulation.experiments.compare_archive`), the words (:mod:`simulation.report.compare`) and
the figures (:mod:`simulation.report.compare_plots`), written in one atomic step."""

from __future__ import annotations

from pathlib import Path

from simulation.experiments import compare_archive as store
from simulation.experiments.compare import CompareResult
from simulation.report.compare import summary_markdown
from simulation.report.compare_plots import draw


def write_compare_archive(
    result: CompareResult,
    out: Path | None,
    base_path: str | Path | None,
    scen_path: str | Path | None,
    *,
    results_dir: Path = Path("results"),
    command: list[str] | None = None,
) -> Path:
    """Write the comparison archive atomically (hidden sibling folder, renamed at the end) and
    return its path.

    Args:
        result: a finished comparison.
        out: the archive folder if new or empty, else a folder to hold a new archive; None = a new
            folder under ``results_dir`` named ``<UTC time>-compare-<scenario stem>-n<replicates>``.
        base_path, scen_path: the config files (for names, the summary and the manifest).
        command: the command line recorded in the manifest (default ``sys.argv``).

    Raises:
        ArchiveError (a ValueError): ``out`` exists and is not an empty folder.
    """
    final = store.archive_path(out, results_dir, scen_path, result.replicates)
    summary = summary_markdown(result, final.name, base_path, scen_path)
    return store.write(
        result, final, base_path, scen_path, summary=summary, figures=lambda tmp: draw(result, tmp),
        command=command,
    )  # fmt: skip
