"""The calibration, start to end: targets, start point, Morris screening, SMM fit, inference.

:func:`run_calibration` takes a validated config (the start point: every candidate parameter at its
value there) and returns a :class:`CalibrationResult` of tables and the calibrated config; it knows
nothing of files (``simulation.calibrate.store`` writes the archive). What is counted:

- the **budget** N is the number of candidate points the SMM fit may evaluate; each evaluation runs
  the model at R seeds (``seeds``), twice per seed: 2019-2021 with the shocks, and 2019-2020 without
  them (the trend moments), the no-shock run remembered across points that differ only in shocks;
- the start point (R seeds, for the weighting matrix), the screening (trajectories x (K + 1) points
  at one seed) and the Jacobian at the estimate (k points at R seeds) come on top of the budget;
  the archive's manifest counts the runs of every stage.

Every seed derives from the root seed (``SeedSequence``), the same R seeds at every point.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from simulation.calibrate import DEFAULT_BUDGET, DEFAULT_SEEDS, DEFAULT_TRAJECTORIES, smm
from simulation.calibrate import screening as scr
from simulation.calibrate.evaluate import Evaluator, stage_bar
from simulation.calibrate.moments import WINDOW, Moment, RunSummary, build_moments
from simulation.calibrate.parameters import CANDIDATES, Candidate, apply, for_window, start_values
from simulation.calibrate.report import jacobian_table, moments_table, parameters_table
from simulation.calibrate.result import CalibrationResult
from simulation.config import Config, apply_overrides, validate
from simulation.params import ConfigError


def derived_seeds(root: int, n: int) -> list[int]:
    """n seeds of the fit and the screening's design seed, functions of the root seed only."""
    children = np.random.SeedSequence([int(root), 12]).spawn(n + 1)
    vals = [int(c.generate_state(1)[0]) for c in children]
    return vals[:n] + [vals[n] & 0x7FFFFFFF]


def chosen_candidates(names: str | None) -> tuple[Candidate, ...]:
    """The candidates named in ``--parameters`` (in the order of CANDIDATES), all when None.

    Raises:
        ConfigError: a name that is no candidate, or an empty list.
    """
    if names is None:
        return CANDIDATES
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    known = {c.name for c in CANDIDATES}
    bad = [n for n in wanted if n not in known]
    if bad or not wanted:
        raise ConfigError(
            "command line", "--parameters",
            f"{', '.join(bad) or 'empty'} (allowed: a comma-separated list of {', '.join(sorted(known))})",
        )  # fmt: skip
    return tuple(c for c in CANDIDATES if c.name in wanted)


class PointRunner:
    """Moments of candidate points: theta -> configs -> runs (shocked and no-shock) -> statistics."""

    def __init__(self, cfg: Config, candidates: tuple[Candidate, ...], moments: list[Moment],
                 evaluator: Evaluator) -> None:  # fmt: skip
        self.cfg, self.cands, self.moments, self.ev = cfg, candidates, moments, evaluator
        self.lower = np.array([c.lower for c in candidates])
        self.upper = np.array([c.upper for c in candidates])
        self.log: list[dict[str, Any]] = []

    def theta(self, u: np.ndarray) -> np.ndarray:
        return self.lower + np.asarray(u, float) * (self.upper - self.lower)

    def configs(self, theta: np.ndarray) -> tuple[Config, Config]:
        shocked = for_window(apply(self.cfg, self.cands, theta), WINDOW[1])
        data = shocked.model_dump(mode="json")
        # the no-epidemic 2020: no shocks in the cluster, and the rest of China at its trend growth
        # instead of its observed epidemic year
        sets = {"shocks.enabled": False, "shocks.events": [], "run.end_year": 2020,
                "production.outside_follows_china": False}  # fmt: skip
        quiet = apply_overrides(data, sets)
        return shocked, validate(quiet, "<calibrate>")

    def run(self, thetas: np.ndarray, seeds: list[int], stage: str, bar=None) -> np.ndarray:
        """Per-seed moments, (points, seeds, moments); every point logged under ``stage``."""
        tasks = []
        for th in thetas:
            shocked, quiet = self.configs(th)
            tasks += [(shocked, s) for s in seeds] + [(quiet, s) for s in seeds]
        sums = self.ev.run(tasks, bar)
        out = np.zeros((len(thetas), len(seeds), len(self.moments)))
        r = len(seeds)
        for p in range(len(thetas)):
            block = sums[2 * r * p : 2 * r * (p + 1)]
            for s in range(r):
                out[p, s] = [self._stat(mom, block[s], block[r + s]) for mom in self.moments]
        for th, vals in zip(thetas, out, strict=True):
            self.log.append({"stage": stage, "seeds": r, "theta": th, "moments": vals.mean(axis=0)})
        return out

    @staticmethod
    def _stat(mom: Moment, shocked: RunSummary, quiet: RunSummary) -> float:
        try:
            return float(mom.statistic(shocked if mom.run == "shocked" else quiet))
        except (ValueError, ZeroDivisionError, IndexError):
            return float("nan")


def _check(budget: int, seeds: int, trajectories: int) -> None:
    if budget < 1:
        raise ConfigError("command line", "--budget", f"{budget} (allowed: integer >= 1)")
    if seeds < 2:
        raise ConfigError("command line", "--seeds", f"{seeds} (allowed: integer >= 2)")
    if trajectories < 1:
        raise ConfigError("command line", "--trajectories", f"{trajectories} (allowed: integer >= 1)")


def run_calibration(
    cfg: Config, *, budget: int = DEFAULT_BUDGET, seeds: int = DEFAULT_SEEDS,
    trajectories: int = DEFAULT_TRAJECTORIES, root_seed: int | None = None, workers: int = 1,
    progress: bool = False, candidates: tuple[Candidate, ...] = CANDIDATES,
) -> CalibrationResult:  # fmt: skip
    """Screen, fit and assess the candidate parameters at ``cfg`` (see the module docstring).

    Raises:
        ConfigError, RegionError: bad counts, a region or panel that does not load.
    """
    from simulation.calibrate.targets import Targets
    from simulation.model import resolve_region

    _check(budget, seeds, trajectories)
    start = time.perf_counter()
    root = cfg.run.seed if root_seed is None else int(root_seed)
    targets = Targets.load(cfg.run.region)
    region = resolve_region(cfg.run.region)
    moments = build_moments(targets, region.cities)
    with Evaluator(workers) as ev:
        cal = _Calibration(cfg, candidates, moments, ev, root, seeds, progress)
        cal.start_point()
        cal.screen(trajectories)
        cal.fit(budget)
        cal.assess()
    return cal.result(region, budget, trajectories, targets.panel_status, time.perf_counter() - start)


class _Calibration:
    """The state of one calibration as its stages fill it in."""

    def __init__(self, cfg: Config, candidates: tuple[Candidate, ...], moments: list[Moment],
                 ev: Evaluator, root: int, seeds: int, progress: bool) -> None:  # fmt: skip
        self.cfg, self.cands, self.moments, self.ev = cfg, candidates, moments, ev
        self.root, self.R, self.progress = root, seeds, progress
        *self.seeds, self.design_seed = derived_seeds(root, seeds)
        self.pr = PointRunner(cfg, candidates, moments, ev)
        self.tau = np.array([m.target_sd for m in moments])
        self.target = np.array([m.target.value if m.available else np.nan for m in moments])
        self.available = np.array([m.available for m in moments])
        self.theta0 = start_values(cfg, candidates)
        self.counts: dict[str, int] = {}
        self.kept: list[int] = []
        self.status = ""

    def _count(self, name: str) -> None:
        self.counts[name] = self.ev.runs - sum(self.counts.values())

    def full(self, u_k: np.ndarray) -> np.ndarray:
        """All candidates' values: the fitted ones at ``u_k`` (normalised), the rest at the start."""
        th = self.theta0.copy()
        lo, hi = self.pr.lower[self.kept], self.pr.upper[self.kept]
        th[self.kept] = lo + np.clip(np.asarray(u_k, float), 0.0, 1.0) * (hi - lo)
        return th

    def start_point(self) -> None:
        """The start at R seeds: the moments' seed spread sets the weighting matrix."""
        with stage_bar("start point", 2 * self.R, self.progress) as bar:
            self.m0 = self.pr.run(self.theta0[None, :], self.seeds, "start", bar)[0]
        self._count("start_runs")
        self.weight = smm.weights(self.tau, self.m0.std(axis=0, ddof=1), self.R, self.available)
        w = self.weight
        self.moment_sd = np.where(w > 0, 1.0 / np.sqrt(np.where(w > 0, w, 1.0)), np.nan)

    def screen(self, trajectories: int) -> None:
        X = scr.design(len(self.cands), trajectories, self.design_seed)
        with stage_bar("screening", 2 * len(X), self.progress) as bar:
            Y = self.pr.run(self.pr.theta(X), self.seeds[:1], "screen", bar)[:, 0, :]
        self._count("screening_runs")
        self.screening = scr.analyse(X, Y, self.design_seed)
        sd = np.nan_to_num(self.moment_sd, nan=np.inf)
        self.kept, self.why = scr.select(self.screening, sd, self.weight > 0)

    def fit(self, budget: int) -> None:
        kept = self.kept
        if not kept:
            self.u_hat, self.status = np.zeros(0), "nothing to fit: no parameter passed the screening"
            self._count("fit_runs")
            return
        with stage_bar("fitting", budget, self.progress) as bar:
            bar.unit = "eval"

            def mean_moments(u_k: np.ndarray) -> np.ndarray:
                vals = self.pr.run(self.full(u_k)[None, :], self.seeds, "fit")[0].mean(axis=0)
                bar.update(1)
                return vals

            u_start = (self.theta0 - self.pr.lower) / (self.pr.upper - self.pr.lower)
            j0 = self.screening.mu[:, kept]
            res = smm.fit(mean_moments, self.target, self.weight, u_start[kept], j0, budget)
        self.u_hat, self.status = res.u, res.status
        self._count("fit_runs")

    def assess(self) -> None:
        """The Jacobian at the estimate (k points at R seeds) and the moments there."""
        k = len(self.kept)
        self.theta_hat = self.full(self.u_hat) if k else self.theta0.copy()
        with stage_bar("jacobian", 2 * self.R * (k + 1), self.progress) as bar:

            def batch(us: np.ndarray) -> np.ndarray:
                points = np.array([self.full(u) for u in us])
                return self.pr.run(points, self.seeds, "jacobian", bar).mean(axis=1)

            G_u = smm.forward_jacobian(batch, np.clip(self.u_hat, 0, 1))[0] if k else None
            self.per_seed = self.pr.run(self.theta_hat[None, :], self.seeds, "estimate", bar)[0]
        self._count("jacobian_runs")
        m_hat, sd_hat = self.per_seed.mean(axis=0), self.per_seed.std(axis=0, ddof=1)
        ranges = (self.pr.upper - self.pr.lower)[self.kept]
        if k:
            self.G = G_u / ranges[None, :]
            omega = self.tau**2 + sd_hat**2 / self.R
            self.inf = smm.inference(self.G, self.weight, omega, m_hat - self.target, ranges)
        else:
            self.G, self.inf = np.zeros((len(self.moments), 0)), None

    def result(self, region, budget: int, trajectories: int, panel_status: str,
               wall: float) -> CalibrationResult:  # fmt: skip
        fitted = [self.cands[i] for i in self.kept]
        src = f"fitted: run.py calibrate (root seed {self.root}, budget {budget})"
        calibrated = apply(self.cfg, tuple(fitted), self.theta_hat[self.kept], src) if fitted else self.cfg
        m_hat = self.per_seed.mean(axis=0)
        tables = {
            "moments": moments_table(
                self.moments, self.m0.mean(axis=0), self.per_seed, self.weight, region, self.pr.log
            ),  # fmt: skip
            "parameters": parameters_table(
                self.cands,
                self.theta0,
                self.theta_hat,
                self.kept,
                self.inf,
                self.why,
                self.screening,
                self.moment_sd,
                self.moments,
            ),  # fmt: skip
            "screening": scr.table(
                self.screening, [c.name for c in self.cands], [m.name for m in self.moments], self.moment_sd
            ),  # fmt: skip
            "jacobian": jacobian_table(fitted, self.moments, self.G, self.inf, self.moment_sd),
            "evaluations": evaluations_table(
                self.pr.log, self.cands, self.moments, self.target, self.weight
            ),  # fmt: skip
        }
        inf = self.inf
        stats = {
            "objective_start": float(np.nansum(self.weight * (self.m0.mean(axis=0) - self.target) ** 2)),
            "objective_estimate": float(np.nansum(self.weight * (m_hat - self.target) ** 2)),
            "j_dof": None if inf is None else int(inf.dof),
            "j_p_value": None if inf is None or not np.isfinite(inf.p_value) else float(inf.p_value),
            "condition": None if inf is None else float(inf.condition),
            "fitted": [c.name for c in fitted],
            "fit_evaluations": sum(1 for e in self.pr.log if e["stage"] == "fit"),
        }
        return CalibrationResult(
            self.cfg, calibrated, self.root, self.seeds, budget, trajectories, tables, self.cands,
            self.status, self.counts, stats, panel_status, wall,
        )  # fmt: skip


def evaluations_table(
    log: list[dict[str, Any]], candidates: tuple[Candidate, ...], moments: list[Moment],
    target: np.ndarray, weight: np.ndarray,
) -> pd.DataFrame:  # fmt: skip
    """Every point evaluated, in order: stage, seeds, parameter values, objective, mean moments."""
    rows = []
    for i, e in enumerate(log):
        row: dict[str, Any] = {"evaluation": i, "stage": e["stage"], "seeds": e["seeds"]}
        row.update({c.name: float(v) for c, v in zip(candidates, e["theta"], strict=True)})
        row["objective"] = float(np.nansum(weight * (e["moments"] - target) ** 2))
        row.update({m.name: float(v) for m, v in zip(moments, e["moments"], strict=True)})
        rows.append(row)
    return pd.DataFrame(rows)
