"""run.py calibrate (issue 12, item 3): the estimator, the screening rule, targets, the archive.

The estimator and the screening rule are tested on cheap synthetic moment functions with planted
parameters; one tiny calibration (small scale, 3 candidates, 2 seeds, budget 3) writes an archive
that ``verify`` accepts; bad counts are refused before any work. The first-year kink of the
no-shock baseline is checked on the model itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.calibrate import screening as scr
from simulation.calibrate import smm
from simulation.calibrate.targets import FALLBACK, Targets, read_fallback
from simulation.cli import main
from simulation.config import load_config
from simulation.model import MiddleYangtzeModel

SMALL = ["--set", "scale.talent_agents=1000", "--set", "scale.firm_agents=150"]
FEW = ["--parameters", "production.tfp_growth,shocks.hubei.size,talent.move_cost"]


# ---------------------------------------------------------------------------- the estimator
def _synthetic(u_true: np.ndarray):
    """A smooth non-linear moment function of 3 parameters with 5 moments and its target."""
    A = np.array([[2.0, 0.3, 0.0], [0.1, 1.5, 0.2], [0.0, 0.4, 1.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.5]])

    def moments(u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, float)
        return A @ u + 0.3 * np.array([u[0] ** 2, np.sin(u[1]), u[2] ** 3, u[0] * u[1], 0.0])

    return moments, moments(u_true), A


def test_the_estimator_recovers_planted_parameters_from_a_rough_first_jacobian():
    u_true = np.array([0.62, 0.25, 0.8])
    moments, target, A = _synthetic(u_true)
    calls = []

    def counted(u):
        calls.append(u)
        return moments(u)

    j0 = 0.6 * A + 0.1  # a poor first Jacobian, as mean elementary effects may be
    res = smm.fit(counted, target, np.ones(5), np.full(3, 0.5), j0, budget=40)
    assert np.allclose(res.u, u_true, atol=1e-4)
    assert res.cost < 1e-8 < res.start_cost
    assert len(calls) == res.evaluations <= 40


def test_the_fit_never_exceeds_its_budget_and_returns_the_best_point_seen():
    u_true = np.array([0.9, 0.1, 0.4])
    moments, target, A = _synthetic(u_true)
    calls = []

    def counted(u):
        calls.append(np.array(u))
        return moments(u)

    res = smm.fit(counted, target, np.ones(5), np.full(3, 0.5), A, budget=3)
    assert len(calls) == 3 and res.status == "budget spent"
    costs = [float(np.sum((moments(u) - target) ** 2)) for u in calls]
    assert res.cost == pytest.approx(min(costs))


def test_the_estimator_recovers_planted_parameters_with_common_random_numbers():
    """A noisy simulator: each seed adds its own fixed (common) disturbance; the estimate lies
    within three of its asymptotic standard errors of the planted value."""
    u_true = np.array([0.4, 0.7, 0.3])
    f, exact, A = _synthetic(u_true)
    rng = np.random.default_rng(5)
    seed_noise = rng.normal(0, 0.02, size=(8, 5, 3))  # per seed: a parameter-dependent disturbance

    def per_seed(u):
        return np.array([f(u) + e @ np.asarray(u) for e in seed_noise])

    tau = np.full(5, 0.01)
    target = exact + rng.normal(0, 0.01, 5)  # data measured with error tau
    sd0 = per_seed(np.full(3, 0.5)).std(axis=0, ddof=1)
    w = smm.weights(tau, sd0, 8, np.ones(5, bool))
    res = smm.fit(lambda u: per_seed(u).mean(axis=0), target, w, np.full(3, 0.5), A, budget=40)
    G, m_hat = smm.forward_jacobian(lambda us: np.array([per_seed(u).mean(axis=0) for u in us]), res.u)
    omega = tau**2 + per_seed(res.u).std(axis=0, ddof=1) ** 2 / 8
    inf = smm.inference(G, w, omega, m_hat - target, np.ones(3))
    assert np.all(np.abs(res.u - u_true) < 3 * inf.se + 1e-3)
    assert np.all(inf.se > 0) and inf.dof == 2


def test_inference_matches_the_linear_formula():
    G = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    w = np.array([4.0, 1.0, 2.0])
    inf = smm.inference(G, w, 1.0 / w, np.array([0.1, -0.2, 0.0]), np.ones(2))
    cov = np.linalg.inv(G.T @ np.diag(w) @ G)  # efficient weighting: V = (G'WG)^-1
    assert np.allclose(inf.cov, cov)
    assert np.allclose(inf.sensitivity, -cov @ G.T @ np.diag(w))
    assert inf.j_stat == pytest.approx(4 * 0.01 + 0.04) and inf.dof == 1


def test_the_screening_rule_drops_the_uninfluential_and_the_unidentifiable():
    mu = np.array([[1.0, 0.0, 2.0, 0.01], [0.0, 1.0, 0.0, 0.0], [0.5, 0.0, 1.0, 0.0]])  # p2 = 2 x p0
    s = scr.Screening(mu, np.abs(mu), np.zeros_like(mu), np.zeros_like(mu))
    kept, why = scr.select(s, np.full(3, 0.1), np.ones(3, bool))
    assert kept == [2, 1]  # p2 the most influential; p0 is then a copy of it; p3 moves nothing
    assert "not identifiable" in why[0] and "not influential" in why[3]


# ---------------------------------------------------------------------------- targets
def test_the_panel_wins_over_the_fallback_and_a_missing_target_stays_missing():
    fb = read_fallback(FALLBACK)
    panel = pd.DataFrame([{"scope": "hubei", "year": 2020, "series": "gdp_real_growth", "value": -4.9,
                           "unit": "pct", "source": "https://example.org/a", "kind": "official",
                           "revision": "first", "note": ""}])  # fmt: skip
    t = Targets(panel, fb, "test")
    assert t.get("hubei", 2020, "gdp_real_growth").origin == "panel"
    assert t.get("hubei", 2020, "gdp_real_growth").value == -4.9
    assert t.get("hunan", 2021, "gdp_real_growth").origin == "targets.csv"
    assert t.get("hunan", 2018, "gdp_real_growth") is None


# ---------------------------------------------------------------------------- the model
def test_no_first_year_kink_in_a_no_shock_run():
    """Year-1 growth is within 0.5 points of year 2 (mean of 3 seeds): 2019's investment is in
    place for 2020 and the base-year firms are survivors, so year 1 has neither a missing year of
    capital deepening nor a one-off wave of exits. The rest of China grows at its trend (its observed
    2.3% of 2020 and 8.1% of 2021 are the epidemic, not a kink of the model)."""
    sets = ["run.end_year=2021", "shocks.enabled=false", "production.outside_follows_china=false"]
    cfg = load_config(None, sets)
    growth = []
    for seed in (1, 2, 3):
        g = MiddleYangtzeModel(cfg, rng=seed).run().tables()["model"]["gdp"].pct_change().to_numpy()
        growth.append(g[1:] * 100)
    g1, g2 = np.mean(growth, axis=0)
    assert abs(g1 - g2) < 0.5, (g1, g2)


def test_base_year_firms_cover_their_fixed_costs():
    m = MiddleYangtzeModel(load_config(None, ["run.end_year=2020"]), rng=3)
    f, live = m.firms, m.firms.living()
    margin = m.firm_stage.margins(m)[f.city[live], f.sector[live]]
    profit = margin * np.exp(f.logq[live]) - f.fixed_cost[live] * m.city.wage_general[f.city[live]] / 1e8
    assert (profit >= -1e-12 * np.abs(margin)).all()


# ---------------------------------------------------------------------------- the command
def test_a_tiny_calibration_writes_an_archive_that_verify_accepts(tmp_path, capsys):
    out = tmp_path / "cal"
    argv = ["calibrate", "--budget", "3", "--seeds", "2", "--trajectories", "1", *FEW, *SMALL,
            "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert text.strip().splitlines()[-1].startswith("archive: ")
    moments = pd.read_parquet(out / "moments.parquet")
    need = {"moment", "target", "source", "model", "model_se", "weight", "in_sample_window",
            "hit_by_construction", "note"}  # fmt: skip
    assert need <= set(moments.columns)
    assert moments["hit_by_construction"].any() and moments["fitted"].any()
    assert (moments.loc[moments["hit_by_construction"], "weight"] == 0).all()
    assert moments.loc[moments["moment"] == "base_year_gdp", "model"].iloc[0] < 1e-6
    params = pd.read_parquet(out / "parameters.parquet")
    assert {"parameter", "start", "estimate", "se", "status", "main_moment"} <= set(params.columns)
    assert len(params) == 3 and (params["status"] == "fitted").any()
    assert (out / "calibrated.toml").is_file() and (out / "jacobian.parquet").is_file()
    assert main(["verify", str(out)]) == 0
    assert "verified:" in capsys.readouterr().out


@pytest.mark.parametrize("bad", [["--budget", "0"], ["--budget", "-3"], ["--budget", "x"],
                                 ["--budget", "10001"], ["--seeds", "1"], ["--trajectories", "0"],
                                 ["--parameters", "talent.nope"], ["--workers", "0"]])  # fmt: skip
def test_bad_counts_are_refused_before_any_work(tmp_path, capsys, bad):
    out = tmp_path / "never"
    assert main(["calibrate", *bad, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: command line: ") and bad[0] in err[0]
    assert not out.exists() and list(tmp_path.iterdir()) == []
