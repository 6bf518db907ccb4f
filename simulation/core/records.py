"""Records: the yearly rows of the model and city tables, and the flows, kept as arrays until asked.

Counts are in persons or firms (never agents); values in 100m yuan (亿元) unless the column says
yuan. Welfare is real income per resident: resident income (value added less talent pay earned
elsewhere plus pay brought home) over the consumer price index (goods from the trade system, and
housing at the land rent), in base-year yuan; the equivalent variation per person is its change
since the base year.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np
import pandas as pd

from simulation.core.environment import COD, NH3N
from simulation.params import POLLUTANTS

if TYPE_CHECKING:
    from simulation.core.state import ModelState

HEAVY, SERVICES = 0, 3
MODEL_COUNTS = (
    "talent_entries", "talent_exits", "talent_retirements", "talent_to_coast", "talent_migration",
    "cross_province_migration", "population_migration", "graduates", "natural_increase",
    "migration_in", "migration_out", "firm_births", "firm_exits", "firm_entries", "firm_coastals",
    "relocations", "coastal_arrivals",
)  # fmt: skip


TALENT_REPORTERS = ("home", "work", "hukou_city", "skill", "age")
FIRM_REPORTERS = (
    "city", "sector", "productivity", "output", "employment", "emissions_air", "abatement", "age",
)  # fmt: skip


def missing_value(column: str) -> float:
    """A model-table value for a year in which ``column`` was not recorded: 0 for a spending purpose
    nobody spent on, otherwise NaN (a lever's column before the lever existed)."""
    return 0.0 if column.startswith("spending_") else float("nan")


def pair_counts(origin, dest, o_names, d_names, scale: float):
    """Agents per (origin, destination) pair times ``scale``: (origin names, destination names, counts)."""
    k = len(d_names)
    c = np.bincount(np.asarray(origin, np.int64) * k + np.asarray(dest, np.int64), minlength=len(o_names) * k)
    nz = np.flatnonzero(c)
    return np.asarray(o_names, object)[nz // k], np.asarray(d_names, object)[nz % k], c[nz] * float(scale)


class Recorder:
    def __init__(self) -> None:
        self.rows_cities: list[dict[str, np.ndarray]] = []
        self.rows_model: list[dict[str, float]] = []
        self.flows_log: list[tuple] = []  # (year, kind, origins, destinations, counts)

    def log_flows(self, year: int, kind: str, counts) -> None:
        """Flows of one kind this year as (origins, destinations, counts) arrays (kept as arrays until
        ``tables()``: a small DataFrame per kind and year costs more than the decisions at scale)."""
        origin, destination, count = counts
        if len(count):
            self.flows_log.append((year, kind, origin, destination, np.asarray(count, float)))

    def record(self, m: ModelState) -> None:
        t, n, tpa = m.talent, m.n, m.talent_per_agent
        live = t.living()
        h, w = t.home[live], t.work[live]
        resident = np.bincount(h, minlength=n) * tpa
        m.city.talent = resident
        m.city.population = m.city.general + resident
        away = h != w
        out_c = np.bincount(h[away], minlength=n) * tpa
        in_c = np.bincount(w[away], minlength=n) * tpa
        if m.year > m.config.run.start_year and away.any():
            self.log_flows(m.year, "commute", pair_counts(h[away], w[away], m.city_ids, m.city_ids, tpa))
        res = m.year_result
        rows = self._city_row(m, resident, out_c, in_c)
        for p in m.policies:
            rows.update(p.city_columns(m))
        self.rows_cities.append(rows)
        self.rows_model.append(self._model_row(m, rows, res, len(live)))

    def _city_row(self, m, resident, out_c, in_c) -> dict[str, np.ndarray]:
        n = m.n
        fcounts = m.firms.counts(n, 4) * m.firms_per_agent
        pop = m.city.population
        real_pc = m.city.income / m.city.price_index / pop
        zeros = np.zeros(n)
        return {
            "year": np.full(n, m.year),
            "city": np.array(m.city_ids),
            "gdp": m.city.gdp.copy(),
            "population": pop.copy(),
            "talent": resident,
            "firms": fcounts.sum(axis=1),
            "emissions_air": m.city.emissions_air.copy(),
            "emissions_water": m.city.emissions_water.copy(),
            **{f"emissions_{p}": m.env.emissions[i].copy() for i, p in enumerate(POLLUTANTS)},
            "abatement_cost": m.env.abatement_cost.copy(),
            "permit_payments": m.env.permit_payments.copy(),
            **m.green.city_columns(m),
            "budget_revenue": m.fiscal["city_revenue"].copy(),
            "budget_services": m.fiscal["city_services"].copy(),
            "budget_lever_net": m.fiscal["city_lever_net"].copy(),
            "budget_balance": m.fiscal["city_balance"].copy(),
            "fiscal_levy": m.budgets.levy.copy(),
            "pm25_extra_cut": m.env.pm25_cut.copy(),
            "cod_mg_l": m.env.conc[COD].copy(),
            "nh3n_mg_l": m.env.conc[NH3N].copy(),
            "air_quality": m.city.pm25.copy(),
            "water_quality": m.city.water_index.copy(),
            "gdp_per_capita": m.city.gdp * 1e8 / pop,
            "secondary_share": np.divide(m.output[:, :SERVICES].sum(axis=1), m.city.gdp, out=zeros.copy(),
                                         where=m.city.gdp > 0),
            "heavy_output": m.output[:, HEAVY].copy(),
            "heavy_firms": fcounts[:, HEAVY],
            "wage_talent": m.city.wage_talent.copy(),
            "wage_general": m.city.wage_general.copy(),
            "market_access": m.city.market_access.copy(),
            "income_per_capita": m.city.income / pop,
            "price_index": m.city.price_index.copy(),
            "real_income_per_capita": real_pc,
            "equivalent_variation": real_pc - m.income_pc0,
            "capital": m.capital.stock.sum(axis=1),
            "investment": m.capital.investment.sum(axis=1),
            "capital_from_coast": m.capital.external.copy(),
            "firm_entries": m.year_city_counts.get("firm_entries", zeros).copy(),
            "firm_exits": m.year_city_counts.get("firm_exits", zeros).copy(),
            "rent_index": m.land.rent.copy(),
            "land_used_km2": m.land.used.copy(),
            "land_capacity_km2": (m.land.capacity * m.mods["land_cap_factor"]),
            "commuters_out": out_c,
            "commuters_in": in_c,
            "net_commuters": in_c - out_c,
            "talent_agents": np.bincount(m.talent.home[m.talent.living()], minlength=n),
            "labour_share": np.divide(
                (m.year_result.wage_talent * m.city.talent_work + m.year_result.wage_general
                 * m.config.production.employment_rate * m.city.general) / 1e8,
                m.city.gdp, out=zeros.copy(), where=m.city.gdp > 0),
        }  # fmt: skip

    def _model_row(self, m, rows, res, n_talent_agents: int) -> dict[str, float]:
        pop = m.city.population
        wpop = pop / pop.sum()
        gdp_pc = rows["gdp_per_capita"]
        mean = float(wpop @ gdp_pc)
        gdp = float(m.city.gdp.sum())
        real = float((rows["real_income_per_capita"] * pop).sum())
        row = {
            "year": m.year,
            "gdp": gdp,
            "population": float(pop.sum()),
            "talent": float(rows["talent"].sum()),
            "firms": float(rows["firms"].sum()),
            "emissions_air": float(m.city.emissions_air.sum()),
            "emissions_water": float(m.city.emissions_water.sum()),
            **{f"emissions_{p}": float(m.env.emissions[i].sum()) for i, p in enumerate(POLLUTANTS)},
            "abatement_cost": float(m.env.abatement_cost.sum()),
            "abatement_cost_share": float(m.env.abatement_cost.sum() / gdp),
            "permit_payments": float(m.env.permit_payments.sum()),
            "gep": float(rows["gep"].sum()),
            "green_index": float(wpop @ rows["green_index"]),
            "public_revenue": float(m.fiscal["city_revenue"].sum() + m.fiscal["province_revenue"].sum()),
            "central_transfers": float(m.fiscal["province_transfers_in"].sum()),
            "public_balance": float(m.fiscal["city_balance"].sum() + m.fiscal["province_balance"].sum()),
            "lever_net_city": float(m.fiscal["city_lever_net"].sum()),
            "plan_sewage_works": float(sum(v.sum() for v in m.budgets.works.values())),
            "lever_net_province": float(m.budgets.net["province"].sum()),
            "lever_net_central": float(m.fiscal["central_lever_net"].sum()),
            "budget_transfers_sum": m.budgets.transfers_sum,
            **{f"spending_{k}": v for k, v in sorted(m.budgets.lever_spending().items())},
            "air_quality": float(wpop @ m.city.pm25),
            "water_quality": float(wpop @ m.city.water_index),
            "gdp_per_capita": gdp * 1e8 / float(pop.sum()),
            "inequality_cv": float(np.sqrt(wpop @ (gdp_pc - mean) ** 2) / mean),
            "commuters": float(rows["commuters_out"].sum()),
            "real_income": real / 1e8,
            "real_income_per_capita": real / float(pop.sum()),
            "equivalent_variation_per_capita": float((rows["equivalent_variation"] * pop).sum() / pop.sum()),
            "capital": float(rows["capital"].sum()),
            "investment": float(rows["investment"].sum()),
            "labour_share": float((rows["labour_share"] * m.city.gdp).sum() / gdp),
            "capital_share": float(
                (m.production.shares.bk[None, :] * res.value_added).sum() * m.production.shares.eta / gdp
            ),
            "land_share": float(res.land_payments.sum() / gdp),
            "profit_share": float(res.profits.sum() / gdp),
            "talent_agents": n_talent_agents,
            "firm_agents": int(len(m.firms.living())),
        }
        for key in MODEL_COUNTS:
            row[key] = float(m.year_counts.get(key, 0.0))
        for p in m.policies:
            row.update(p.model_columns(m))
        return row

    def tables(self) -> dict[str, pd.DataFrame]:
        model = pd.DataFrame(self.rows_model)
        spend = [c for c in model.columns if c.startswith("spending_")]
        model[spend] = model[spend].fillna(missing_value("spending_"))  # a purpose nobody spent on
        cities = _stack(self.rows_cities)
        log = self.flows_log
        sizes = [len(e[4]) for e in log]
        flows = pd.DataFrame(
            {
                "year": np.repeat(np.array([e[0] for e in log], np.int64), sizes),
                "kind": np.repeat(np.array([e[1] for e in log], object), sizes),
                "origin": np.concatenate([e[2] for e in log]) if log else np.array([], object),
                "destination": np.concatenate([e[3] for e in log]) if log else np.array([], object),
                "count": np.concatenate([e[4] for e in log]) if log else np.array([], float),
            }
        )
        flows = flows.astype({"year": "int64", "count": "float64"})
        flows = flows.sort_values(["year", "kind", "origin", "destination"], kind="stable")
        return {"model": model, "cities": cities, "flows": flows.reset_index(drop=True)}


def _stack(rows: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    """The city rows of every year as one table: one concatenation per column when every year has
    the same columns (one frame, not one per year), else pandas' concat, which fills a column a
    year lacks."""
    keys = list(rows[0]) if rows else []
    if not rows or any(list(r) != keys for r in rows):
        return pd.concat([pd.DataFrame(r) for r in rows], ignore_index=True)
    return pd.DataFrame({k: np.concatenate([r[k] for r in rows]) for k in keys})


def _column(name: str):
    return lambda m: m.recorder.rows_model[-1].get(name, missing_value(name))


class ModelCollector(mesa.DataCollector):
    """Mesa's DataCollector over every column of the model table (the recorder's latest row), so
    that ``get_model_vars_dataframe()`` equals ``tables()["model"]``; a column that first appears in
    a later year (a spending purpose, a lever's output) joins then, its earlier years filled as
    ``tables()`` fills them.

    Args:
        m: the model, after its first ``record``.
        agent_types: agent class -> attribute names to record for every agent of that class each
            year (Mesa agent-type reporters, read with ``get_agenttype_vars_dataframe(cls)``); the
            model passes talent and firm agents here when ``run.agent_reporters`` is on.
    """

    def __init__(self, m: ModelState, agent_types: dict[type, tuple[str, ...]] | None = None) -> None:
        reporters = {t: {k: k for k in names} for t, names in (agent_types or {}).items()}
        super().__init__(
            model_reporters={c: _column(c) for c in m.recorder.rows_model[-1]},
            agenttype_reporters=reporters or None,
        )

    def collect(self, model: ModelState) -> None:
        for name in model.recorder.rows_model[-1]:
            if name not in self.model_reporters:
                earlier = len(next(iter(self.model_vars.values()), []))
                self.model_reporters[name] = _column(name)
                self.model_vars[name] = [missing_value(name)] * earlier
        super().collect(model)
