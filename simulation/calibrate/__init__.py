"""Estimation of the judgement parameters on 2019-2021 (``run.py calibrate``; issue 12, item 3).

The pipeline, one module a stage:

- :mod:`~simulation.calibrate.targets` — observed targets: the region's panel, ``targets.csv`` for
  what it lacks, every value with its source;
- :mod:`~simulation.calibrate.moments` — the moments of the fit window and their targets;
- :mod:`~simulation.calibrate.parameters` — the candidate parameters and how a value is set;
- :mod:`~simulation.calibrate.evaluate` — runs in worker processes, remembered;
- :mod:`~simulation.calibrate.screening` — Morris screening (SALib) and the rule that keeps some;
- :mod:`~simulation.calibrate.smm` — the estimator: weighting, budgeted least squares, inference;
- :mod:`~simulation.calibrate.pipeline` — the stages in order -> ``CalibrationResult``;
- :mod:`~simulation.calibrate.report`, :mod:`~simulation.calibrate.store`,
  :mod:`~simulation.calibrate.command` — tables, the archive (and ``verify``), the command line.

docs/calibration.md says what is fitted to what and with which result.
"""

DEFAULT_BUDGET = 32
DEFAULT_SEEDS = 4
DEFAULT_TRAJECTORIES = 4
