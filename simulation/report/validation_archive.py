"""Write the validation archive: the tables and configs (:mod:`simulation.experiments.validate.store`),
the figures (:mod:`simulation.report.validation_plots`, :mod:`simulation.report.backtest`) and the
markdown (:mod:`simulation.report.validation`) in one atomic folder with its manifest."""

from __future__ import annotations

from pathlib import Path

from simulation import archive as arc
from simulation.experiments.validate import store
from simulation.experiments.validate.pipeline import ValidationResult
from simulation.report import backtest as backtest_report
from simulation.report import validation_plots as vp
from simulation.report.validation import PLOTS, report_markdown, summary_markdown


def write_validation_archive(
    result: ValidationResult,
    out: Path | None,
    *,
    results_dir: Path = store.RESULTS_DIR,
    command: list[str] | None = None,
) -> Path:
    """Write the validation archive atomically and return its path (``out``, or a new stamped
    folder under ``results_dir``; :func:`simulation.experiments.validate.store.default_validation_path`).

    Raises:
        ArchiveError: ``out`` exists and is not a folder.
    """
    final = arc.resolve_out(
        out, results_dir, lambda folder: store.default_validation_path(folder, len(result.seeds))
    )
    with arc.staging(final) as tmp:
        base_toml = store.write_tables(result, tmp)
        vp.plot_all(result, tmp, PLOTS)
        backtest_report.plot(result.backtest, tmp / backtest_report.PLOT)
        (tmp / "report.md").write_text(report_markdown(result, final.name), encoding="utf-8")
        (tmp / "summary.md").write_text(summary_markdown(result, final.name), encoding="utf-8")
        store.write_manifest(result, tmp, base_toml, command)
    return final
