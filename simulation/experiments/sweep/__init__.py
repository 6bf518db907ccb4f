"""Parameter sweeps (design brief §6, §7; ``docs/sweeps.md``), one module per stage, each using
only those above it in this list:

- :mod:`.metrics` — metric names (``gdp_final``, ``gdp@wuhan_final``, ``delta:pm25@2030``), their
  checks, their values in a run, per-point statistics;
- :mod:`.exec` — the task a worker runs and the executors (serial, process pool, Dask);
- :mod:`.store` — the files of an archive: tidy run files, the index, small file helpers;
- :mod:`.design` — swept parameters, designs (grid, random, LHS, Sobol, Morris), run seeds;
- :mod:`.spec` — the sweep file: :func:`~.spec.load_sweep` -> :class:`~.spec.Sweep`, every run;
- :mod:`.folder` — the archive folder: manifest, where it is, creating it, its lock;
- :mod:`.grow` — ``--extend``, runs shared across archives, writing runs;
- :mod:`.run` — :func:`~.run.run_sweep`: one session from pre-flight to the closing manifest;
- :mod:`.verify` — :func:`~.verify.verify_sweep_archive`;
- :mod:`.cli` — ``sweep``, ``verify`` of a sweep archive and ``analyze``: parse, call, print.

The report of an archive (``summary.md``, fan charts) is :mod:`simulation.report.sweep`; its
sensitivity analysis :mod:`simulation.experiments.sensitivity`. A sweep archive::

    manifest.json    kind "sweep", the sweep and its design, root seed, counts, status, code and
                     environment versions, sessions (executor, workers, times), sha256 of the files
    sweep.toml       the sweep file as given
    base.toml        the resolved base config (base file + [set], run.seed = root seed)
    design.parquet   one row per run: point, replicate, seed, run_id, each parameter's value and,
                     for sampled designs, its unit-cube coordinate (u:<path>) and the dummy's
    runs/point=P/replicate=R/part.parquet   one file per run (a hive-partitioned dataset)
    baselines/, flows/  lever-off baselines of delta metrics; flows when kept
    failed/<id>.txt     the traceback of each failed run
    runs.parquet     the index: design columns + status (ok | failed | pending), error, metrics
    point_stats.parquet, plots/, summary.md   per-point statistics, fan charts, the report
"""
