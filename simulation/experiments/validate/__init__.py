"""The validation experiment: the model's stylized facts (DESIGN §8) against the literature.

``uv run run.py validate`` runs the baseline over several seeds and four paired what-ifs (city
circles, industry transfer, labour-market integration, the shipped talent alliance; common random
numbers, :func:`simulation.experiments.compare.compare`) and, for each stylized fact, sets the
model's estimate with its uncertainty beside the literature's value or range and says whether it
falls in range. Nothing here feeds back into the model: the parameters are whatever the config says
(docs/calibration.md says where they come from), and a fact that fails is reported as failing.

The stages, each a module, imported in this order (none imports one listed after it):

- :mod:`.facts` — the stylized facts: literature range, citation, test, explanations.
- :mod:`.estimators` — pure estimators (OLS, PPML gravity, elasticities, convergence, Rubin's rules).
- :mod:`.baseline` — one baseline run and its per-seed estimates (gravity, base-year fit, market
  access, emission intensity, convergence).
- :mod:`.whatifs` — the paired what-ifs' per-replicate effects and per-city tables.
- :mod:`.verdicts` — pooling over seeds and replicates, and each fact's verdict.
- :mod:`.pipeline` — :func:`~.pipeline.run_validation`: everything above, into a
  :class:`~.pipeline.ValidationResult` (with the backtest, :mod:`simulation.experiments.backtest`).
- :mod:`.store` — the archive's tables, configs and manifest, and ``verify``.

The report's words and figures are in :mod:`simulation.report.validation`,
:mod:`simulation.report.validation_text` and :mod:`simulation.report.validation_plots`; the archive
is written by :mod:`simulation.report.validation_archive`; the command line is in
:mod:`simulation.cli`.

Uncertainty. A regression estimated on every seed (gravity, market access, emission intensity, the
cross-city pollution slope of every replicate) is combined by Rubin's rules: the mean estimate, with
the average robust sampling variance within a run plus the variance between seeds
(:func:`.estimators.pooled_interval`). A policy effect (scenario - base, paired by seed) gets the
mean over replicates with a 95% t interval, as in ``compare``. Rank correlations are combined on
Fisher's z scale.

Verdicts. *range*: the point estimate lies in the literature range. *sign*: the 95% interval lies on
the predicted side of zero (an interval across zero is "inconclusive", which counts as not in range).
*not below*: the interval does not lie wholly below the threshold (the prediction is only that the
effect is not negative).
"""
