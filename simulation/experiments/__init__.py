"""Experiments on top of the model. Among them, exploratory modelling (issue 14):

- :mod:`~simulation.experiments.discover` — scenario discovery: which parameter ranges of a sweep
  lead to a condition on the outcomes (``run.py discover SWEEP_ARCHIVE --where "pm25_final > 35"``):
  PRIM boxes with their coverage/density trade-off (the EMA workbench's ``analysis.prim``) and a
  CART tree (scikit-learn).
- :mod:`~simulation.experiments.optimise` — multi-objective search over lever settings
  (``run.py optimise SPEC.toml``): a Pareto front of growth, pollution and fiscal cost found with
  NSGA-II (pymoo), optionally robust over a sample of uncertain parameters (EMA style: each
  candidate is judged over the same scenarios).

Both write archives through :mod:`simulation.archive` (atomic folder, manifest with digest) that
``run.py verify`` re-runs bit for bit. ``docs/sweeps.md`` documents the commands and why these
libraries were chosen.
"""
