"""Backtest: the baseline's 2019-2023 against the observed panel (the region's panel.csv).

The fit window is 2019-2021 (what ``run.py calibrate`` may use); 2022-2023 is out of sample: nothing
in the model was set to match it. Every comparison row says which window it is in.

What is compared, and how the model's number is made comparable (a model table is one seed's
``cities`` table; several seeds give the model's mean and spread):

* ``gdp_real_growth`` (%, y/y): the model's GDP at base-year prices, summed over the cluster's cities
  of the scope. For a province that is the cluster's part of it (Hubei 13 of 17 prefectures,
  Hunan 8 of 14, Jiangxi 10 of 11 by id count), against the whole province's published rate.
* ``gdp_share`` (% of the covered cities' GDP): nominal GDP levels cannot be compared with a model
  at base-year prices without a deflator by city, so each year's observed city GDP is divided by the
  sum over the cities observed that year, and the model's by the same cities' sum.
* ``population`` (10k residents, year end) and ``pm25`` (µg/m³): levels. A province's PM2.5 is
  the mean of its monitored cities (all of them, not only the cluster's); the model's is the
  unweighted mean over the province's cluster cities.
* ``secondary_share`` (% of GDP).
* cluster ``population_growth`` (% y/y): the year-end resident population growth of every province
  and city observed in two consecutive years, against the model's cluster growth (not 2019 -> 2020:
  the 2020 figures were re-based on the 7th census, e.g. Changsha's +19.9%).

The cluster rows: real growth (the provinces' published rates weighted by the cluster's 2019 GDP in
each province, against the model's cluster growth) and the PM2.5 change since 2019 (the mean of the
scopes observed in both years, against the model's change for the same cities, population-weighted
over the cities the scopes cover). Their observed range is the span of the scopes' own values: a
cluster figure that falls outside what every one of its provinces (or observed cities) did is a
miss.

Observed values are chosen per (scope, year, series) by kind (official, then compilation, then
estimate; ``memory`` rows are not used) and vintage (first-published, then revised, then unknown:
the model is judged against what was known at the time, and 2022-2023 figures have no revision yet).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

FIT_LAST, OUT_FIRST, OUT_LAST = 2021, 2022, 2023
CENSUS_BREAK = 2020  # year-end 2020 figures were re-based on the 7th census: 2019 -> 2020 is not growth
PROVINCES = ("hubei", "hunan", "jiangxi")
KIND_ORDER = {"official": 0, "compilation": 1, "estimate": 2}
VINTAGE_ORDER = {"first": 0, "revised": 1, "unknown": 2}
SERIES = ("gdp_real_growth", "gdp_share", "population", "pm25", "secondary_share")


@dataclass
class Backtest:
    """Rows (one per series, scope and year) and per-series summaries."""

    rows: pd.DataFrame
    summary: pd.DataFrame
    cluster: pd.DataFrame


def window(year: int) -> str:
    return "out-of-sample" if year >= OUT_FIRST else "fit window"


def observed(panel: pd.DataFrame) -> pd.DataFrame:
    """One observed value per (scope, year, series): the best kind, then the first-published vintage."""
    p = panel[panel["kind"].isin(KIND_ORDER)].copy()
    p["_k"] = p["kind"].map(KIND_ORDER)
    p["_v"] = p["revision"].map(VINTAGE_ORDER).fillna(3)
    p = p.sort_values(["scope", "year", "series", "_k", "_v"])
    return p.drop_duplicates(["scope", "year", "series"]).drop(columns=["_k", "_v"])


def _model_city(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Per seed, city and year: the model quantities in the panel's units."""
    out = []
    for s, t in enumerate(tables):
        d = t[["city", "year", "gdp", "population", "air_quality", "secondary_share"]].copy()
        d["seed"] = s
        out.append(d)
    return pd.concat(out, ignore_index=True)


def _rows_for(obs: pd.DataFrame, model: pd.DataFrame, prov_of: pd.Series) -> list[dict]:
    rows: list[dict] = []
    by = model.set_index(["seed", "city", "year"]).sort_index()
    seeds = sorted(model["seed"].unique())
    years = set(model["year"].unique())
    for r in obs.itertuples(index=False):
        vals = _model_value(r, by, seeds, years, prov_of, obs)
        if vals is None:
            continue
        rows.append(_row(r, vals))
    return rows


def _cities_of(scope: str, prov_of: pd.Series) -> list[str]:
    return list(prov_of.index[prov_of == scope]) if scope in PROVINCES else [scope]


def _model_value(r, by, seeds, years, prov_of, obs) -> np.ndarray | None:
    """The model's value for observed row ``r`` per seed, or None when it has none."""
    if r.year not in years or r.scope == "china":
        return None
    cities = _cities_of(r.scope, prov_of)
    if not cities or any(c not in prov_of.index for c in cities):
        return None

    def total(col: str, year: int) -> np.ndarray:
        return np.array([by.loc[(s, cities, year), col].sum() for s in seeds], dtype=float)

    if r.series == "gdp_real_growth":
        if r.year - 1 not in years:
            return None
        return 100.0 * (total("gdp", r.year) / total("gdp", r.year - 1) - 1.0)
    if r.series == "population":  # a province's cluster cities are not the province: cities only
        return None if r.scope in PROVINCES else total("population", r.year) / 1e4
    if r.series == "pm25":
        return np.array([by.loc[(s, cities, r.year), "air_quality"].mean() for s in seeds])
    if r.series == "secondary_share":
        w = np.array([by.loc[(s, cities, r.year), "gdp"].to_numpy() for s in seeds])
        x = np.array([by.loc[(s, cities, r.year), "secondary_share"].to_numpy() for s in seeds])
        return 100.0 * (w * x).sum(axis=1) / w.sum(axis=1)
    return None


def _row(r, vals: np.ndarray) -> dict:
    mean = float(np.mean(vals))
    sd = float(np.std(vals, ddof=1)) if len(vals) > 1 else float("nan")
    err = mean - float(r.value)
    return {
        "series": r.series,
        "scope": r.scope,
        "level": "province" if r.scope in PROVINCES else "city",
        "year": int(r.year),
        "window": window(int(r.year)),
        "observed": float(r.value),
        "kind": r.kind,
        "revision": r.revision,
        "source": r.source,
        "model": mean,
        "model_sd": sd,
        "error": err,
        "error_pct": 100.0 * err / float(r.value) if r.value else float("nan"),
    }


def _share_rows(obs: pd.DataFrame, model: pd.DataFrame, prov_of: pd.Series) -> list[dict]:
    """City GDP as a share of the cities observed that year, observed vs model."""
    rows: list[dict] = []
    gdp = obs[(obs["series"] == "gdp") & obs["scope"].isin(prov_of.index)]
    for year, g in gdp.groupby("year"):
        if year not in set(model["year"]) or len(g) < 5:
            continue
        m = model[(model["year"] == year) & model["city"].isin(g["scope"])]
        piv = m.pivot(index="seed", columns="city", values="gdp")
        share_m = 100.0 * piv.div(piv.sum(axis=1), axis=0)
        share_o = 100.0 * g.set_index("scope")["value"] / g["value"].sum()
        for r in g.itertuples(index=False):
            rr = r._replace(series="gdp_share", value=float(share_o[r.scope]))
            rows.append(_row(rr, share_m[r.scope].to_numpy()))
    return rows


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Per series, level and window: n, mean error (bias), mean absolute error (in the series' unit
    and in %), and the rank correlation across scopes where one year has >= 5 of them."""
    out = []
    for (series, level, win), g in rows.groupby(["series", "level", "window"]):
        rho = []
        for _, gy in g.groupby("year"):
            if len(gy) >= 5 and gy["observed"].nunique() > 1 and gy["model"].nunique() > 1:
                rho.append(spearmanr(gy["observed"], gy["model"]).statistic)
        out.append(
            {
                "series": series,
                "level": level,
                "window": win,
                "n": len(g),
                "bias": float(g["error"].mean()),
                "mae": float(g["error"].abs().mean()),
                "mape_pct": float(g["error_pct"].abs().mean()),
                "spearman": float(np.mean(rho)) if rho else float("nan"),
            }
        )
    return pd.DataFrame(out)


def cluster_paths(obs: pd.DataFrame, model: pd.DataFrame, prov_of: pd.Series) -> pd.DataFrame:
    """Cluster real growth and PM2.5 change since 2019, observed (with the provinces' span) vs model."""
    rows = []
    first = int(model["year"].min())
    g0 = model[model["year"] == first].groupby("city")["gdp"].mean()
    weight = g0.groupby(prov_of).sum()
    growth = obs[(obs["series"] == "gdp_real_growth") & obs["scope"].isin(PROVINCES)]
    tot = model.groupby(["seed", "year"])["gdp"].sum().unstack("year")
    for year, g in growth.groupby("year"):
        if len(g) < len(PROVINCES) or year - 1 not in tot.columns or year not in tot.columns:
            continue
        v = g.set_index("scope")["value"]
        m = 100.0 * (tot[year] / tot[year - 1] - 1.0)
        rows.append(_cluster_row("gdp_real_growth", year, float((v * weight).sum() / weight.sum()),
                                 float(v.min()), float(v.max()), m.to_numpy()))  # fmt: skip
    rows += _pm25_change(obs, model, prov_of, first)
    rows += _population_growth(obs, model)
    return pd.DataFrame(rows)


def _population_growth(obs, model) -> list[dict]:
    """Resident population growth y/y: the observed rates of the provinces and cities with two
    consecutive year-end figures, against the model's cluster growth."""
    pop = obs[(obs["series"] == "population") & (obs["scope"] != "china")]
    pop = pop.pivot(index="scope", columns="year", values="value")
    tot = model.groupby(["seed", "year"])["population"].sum().unstack("year")
    rows = []
    both = [y for y in pop.columns if y - 1 in pop.columns and y != CENSUS_BREAK]
    for year in [y for y in both if y in tot.columns and y - 1 in tot.columns]:
        g = (100.0 * (pop[year] / pop[year - 1] - 1.0)).dropna()
        if g.empty:
            continue
        m = 100.0 * (tot[year] / tot[year - 1] - 1.0)
        band = (float(g.mean()), float(g.min()), float(g.max()))
        rows.append(_cluster_row("population_growth", year, *band, m.to_numpy(), ",".join(g.index)))
    return rows


def _pm25_change(obs, model, prov_of, first) -> list[dict]:
    """PM2.5 change since ``first`` over every scope (city or province) observed in both years."""
    pm = obs[obs["series"] == "pm25"].pivot(index="scope", columns="year", values="value")
    pm = pm[pm.index != "china"]
    rows = []
    if first not in pm.columns:
        return rows
    for year in [y for y in pm.columns if y > first and y in set(model["year"])]:
        both = pm[[first, year]].dropna()
        if both.empty:
            continue
        change = 100.0 * (both[year] / both[first] - 1.0)
        cities = sorted({c for s in both.index for c in _cities_of(s, prov_of)})
        m = model[model["city"].isin(cities)]
        w = m.pivot_table(index="seed", columns="year", values="population", aggfunc="sum")
        x = (m["air_quality"] * m["population"]).groupby([m["seed"], m["year"]]).sum().unstack("year") / w
        mc = 100.0 * (x[year] / x[first] - 1.0)
        obs_band = (float(change.mean()), float(change.min()), float(change.max()))
        scopes = ",".join(both.index)
        rows.append(_cluster_row("pm25_change_since_2019", year, *obs_band, mc.to_numpy(), scopes))
    return rows


def _cluster_row(series, year, obs, lo, hi, vals, scopes="hubei,hunan,jiangxi") -> dict:
    mean = float(np.mean(vals))
    return {
        "series": series,
        "year": int(year),
        "window": window(int(year)),
        "observed": obs,
        "observed_low": lo,
        "observed_high": hi,
        "scopes": scopes,
        "model": mean,
        "model_sd": float(np.std(vals, ddof=1)) if len(vals) > 1 else float("nan"),
        "error": mean - obs,
        "in_range": bool(lo <= mean <= hi),
    }


def backtest(tables: Sequence[pd.DataFrame], panel: pd.DataFrame, provinces: pd.Series) -> Backtest:
    """Compare the baseline's city tables (one per seed) with the panel.

    Args:
        tables: each seed's ``cities`` table (city, year, gdp, population, air_quality, ...).
        panel: the region's panel (``simulation.panel.load_panel``).
        provinces: the region's province by city id.
    """
    obs = observed(panel)
    model = _model_city(tables)
    rows = pd.DataFrame(_rows_for(obs, model, provinces) + _share_rows(obs, model, provinces))
    if rows.empty:
        rows = pd.DataFrame(columns=["series", "scope", "level", "year", "window", "observed", "model"])
        return Backtest(rows, pd.DataFrame(), pd.DataFrame())
    rows = rows.sort_values(["series", "level", "scope", "year"]).reset_index(drop=True)
    return Backtest(rows, summarise(rows), cluster_paths(obs, model, provinces))
