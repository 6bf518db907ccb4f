"""Sensitivity analysis of a sweep archive (``run.py analyze``), one module per step:

- :mod:`.noise` — seed noise: common-random-number seed blocks removed from the runs, the
  variance split into seed, point and point x seed (or within-point) shares, and whether more
  replicates would help;
- :mod:`.estimators` — the indices with 95% intervals: Sobol and Morris (SALib), Borgonovo's delta
  and a binned first-order S1 with a bootstrap over points, grid main-effect shares with a bootstrap
  over replicates;
- :mod:`.regression` — least squares with interactions (and squares): coefficients, each term's
  share of the variance (an ANOVA on the point means) with bootstrap intervals, response surfaces;
- :mod:`.verdict` — convergence warnings and the headline: a "most influential" parameter only when
  its interval lies above every other parameter's and the dummy's, else "not resolved";
- :mod:`.design` — what the design holds: duplicate points, the largest pairwise correlation;
- :mod:`.report` — the analysis in words (``summary.md``);
- :mod:`.result` — the :class:`~.result.Analysis` that the steps fill.

:mod:`.analyze` reads a sweep archive and calls these; :mod:`.output` writes the analysis folder
(its figures: :mod:`simulation.report.sensitivity_plots`).

The command line (``run.py analyze``) is in :mod:`simulation.experiments.sweep.cli`.
"""
