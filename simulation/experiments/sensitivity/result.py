"""The result of a sensitivity analysis (:func:`simulation.experiments.sensitivity.analyze.analyze`),
as the report and the writer of the analysis folder take it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from simulation.experiments.sensitivity import regression, verdict


@dataclass
class Analysis:
    """Result of :func:`~simulation.experiments.sensitivity.analyze.analyze`.

    Attributes:
        method: sobol | morris | delta | grid.
        params: the swept parameters, in the sweep's order; dummy: the dummy's name (None when
            the design has none); variables: params and the dummy, as the indices list them.
        metrics: the metrics analysed.
        indices: one row per (metric, variable): the method's indices, their interval
            half-widths (``*_conf``), ``dummy`` (bool) and ``rank`` (1 = largest key index).
        metric_stats: one row per metric: mean, sd, the seed-noise split, advice, R^2, headline.
        second_order: Sobol S2 per (metric, pair), when sampled; else None.
        regression: one row per (metric, term) of the least-squares fit; fits: the fits.
        verdicts, warnings: per metric, the headline and the convergence warnings.
        point_means: one row per point: parameters and each metric's mean over ok replicates.
        runs: the ok runs; crn: they share seeds across points; design_lines: repeats, correlation.
        surfaces: the parameter pairs to draw response surfaces for.
    """

    method: str
    params: list[str]
    metrics: list[str]
    indices: pd.DataFrame
    metric_stats: pd.DataFrame
    second_order: pd.DataFrame | None
    point_means: pd.DataFrame
    runs: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)
    dummy: str | None = None
    variables: list[str] = field(default_factory=list)
    regression: pd.DataFrame = field(default_factory=pd.DataFrame)
    fits: dict[str, regression.Fit] = field(default_factory=dict)
    regression_notes: dict[str, str] = field(default_factory=dict)
    verdicts: dict[str, verdict.Verdict] = field(default_factory=dict)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    crn: bool = False
    design_lines: list[str] = field(default_factory=list)
    surfaces: list[tuple[str, str]] = field(default_factory=list)
