"""Riverside chemical ban and old-industrial-base relocation (岸线1公里化工园区, 老工业基地搬迁).

Stands for: the campaign to close or move the chemical plants on the Yangtze's banks (沿江化工企业
关改搬转) and the Yangtze River Protection Law (长江保护法, in force 1 March 2021, art. 26: no new or
expanded chemical parks or chemical projects within 1 km of the main stem and its tributaries).
Hubei's work programme (June 2018) listed 478 firms in 15 prefectures and required the ones within
1 km of the Yangtze, Han and Qingjiang to close, move into compliant chemical parks or be upgraded by
31 December 2020; by 2021 all 118 within 1 km had done so, with 600m yuan from the provincial budget
and 195.9m from central special funds (2018-2020). Hunan's list (2020) had 110 chemical producers
within 1 km of the Yangtze, Dongting Lake and the four rivers: 30 to close, 38 to move by 2025, 42
retained. And the relocation of old industrial bases (城区老工业区搬迁改造): Zhuzhou's Qingshuitang
(261 smelting and chemical firms closed by 2018) and Wuhan's Qingshan steel and petrochemical base,
which the seed essay names ("消除岸线1公里重化工园区", "老工业区搬迁改造与创新发展").

In the model, from ``start_year``:
- The riverside cities are those on the named ``rivers`` (rows of the region's rivers.csv) plus
  ``cities``. In the start year each of their heavy firms is on the list with probability
  ``riverside_share * leave_share`` (a keyed draw on the firm's uid): the chemical plants within
  1 km that must close or move (the rest of the 1 km plants are retained under stricter rules or
  upgraded in place, which the model does not represent). Each ``old_bases`` entry lists a
  ``share`` of one city-sector's firms the same way. Each listed firm gets a year to leave, spread
  evenly from the start year to ``deadline`` (old bases: ``by_year``), again by a keyed draw.
- In its year (before production) a listed firm still at its site picks a park: the model's own
  relocation logit (``simulation.core.firms``: log margin, distance and moving costs, subsidies;
  no city whose land is full) over the ``parks`` (in its own province if ``same_province``; its own
  city only for the 1 km ban and only if the city is itself a park, since a park >1 km from the
  river in the same prefecture is below the model's resolution; never its own city for an old base).
  Moving costs ``relocation_cost_share`` of its capital (its capacity share of its city-sector's
  stock); the province pays ``subsidy_per_firm`` of that per firm (``central_share`` of it from
  the centre), the firm the rest. It moves if ``payback_years`` of what it would earn in the park
  cover its own part: its profit there (margin times its capacity less its fixed cost at the park's
  wage) plus the return net of depreciation (``capital.depreciation``) on the capital it takes along
  at the park's gross return. Otherwise, or if no park is open to it, it closes (its capital share
  is scrapped as at any exit, ``capital.scrap_share``).
- A mover takes its capital along (``Capital.move``) less its own part of the moving cost; the
  subsidy rebuilds the rest. A closure removes the firm and scraps its capital share.
- With ``entry_ban``, new heavy firms (entrants, coastal arrivals, movers) value a riverside city
  less by ln(1 - riverside_share): the 1 km band is closed to new chemical projects. An old base's
  city-sector is likewise ln(1 - share) less attractive (its sites are converted).
Emergent: where the firms go, how many close, output and emissions in the riverside cities and the
parks, river quality downstream, the fiscal cost by year.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field, ValidationInfo, field_validator

from simulation.core.budget import CENTRAL, PROVINCE
from simulation.core.firms import gumbel_pick
from simulation.params import SECTORS, ConfigError, P, Section
from simulation.policies import Lever
from simulation.policies.base import LeverSection, check_cities

if TYPE_CHECKING:
    from simulation.core.state import ModelState

HEAVY = SECTORS.index("heavy")
PURPOSE = "riverside_ban_relocation"


class OldBase(Section):
    """One old industrial base: a share of a city-sector's firms that must leave the city by a year."""

    city: str = Field(description="City id of the base, e.g. 'wuhan' (Qingshan)")
    sector: Literal["heavy", "manufacturing", "hightech", "services"] = Field(
        "heavy", description="Sector whose firms are listed"
    )
    share: float = Field(
        gt=0, le=1, description="Share of the city-sector's firms at the start listed to leave"
    )
    by_year: int = Field(ge=1990, le=2200, description="Year by which every listed firm has left")


class RiversideBanSection(LeverSection):
    """Riverside chemical ban and old-industrial-base relocation: listed firms move to parks or close."""

    rivers: list[str] = P(
        ["Yangtze"], "Rivers whose cities are riverside (names in the region's rivers.csv)", "-",
        "Yangtze Protection Law 2021: main stem and tributaries; Hubei added the Han and Qingjiang",
    )  # fmt: skip
    cities: list[str] = P([], "Further riverside cities, by id", "city ids", "scenario choice")
    riverside_share: float = P(
        0.03,
        "Share of a riverside city's heavy firms that are chemical plants within 1 km of the river",
        "share",
        "data ratio, range 0.02-0.06: Hubei 118 plants within 1 km / ~5,100 heavy above-scale firms = 0.023; "
        "Hunan 110 / ~3,900 = 0.028; Yichang 36 (2016) / ~650 = 0.055 (heavy firms: the region's "
        "above-scale counts times the heavy share of industrial value added, both estimates)",
        ge=0,
        le=1,
    )
    leave_share: float = P(
        0.6,
        "Share of the 1 km plants that must close or move (the rest are retained or upgraded in place)",
        "share",
        "data, range 0.45-0.65: Hunan 2020 list 68/110 close or move; Jingzhou 49/76 and Hubei's "
        "2018 batch 45/101 closed, moved or converted (converted counted as leaving heavy industry)",
        ge=0,
        le=1,
    )
    deadline: int = P(
        2025, "Year by which every listed riverside firm has left", "year",
        "Hunan: relocations by end 2025; Hubei: 1 km band by end 2020, 1-15 km band by end 2025",
        ge=1990, le=2200,
    )  # fmt: skip
    parks: list[str] = P(
        [], "Cities holding compliant chemical parks that receive movers (none: every listed firm closes)",
        "city ids", "Hubei's confirmed parks (2021), Hunan's Yueyang petrochemical park (2015), "
        "Jiangxi's first park list (2021)",
    )  # fmt: skip
    same_province: bool = P(
        True, "Movers choose only parks in their own province", "-",
        "the campaigns, park certification and subsidies are provincial",
    )  # fmt: skip
    relocation_cost_share: float = P(
        0.3,
        "Cost of moving, as a share of the firm's capital (dismantling, new plant, lost production)",
        "share",
        "judgement, range 0.15-0.6 (no source found for chemical plant relocations)",
        ge=0,
        le=1,
    )
    subsidy_per_firm: float = P(
        0.05,
        "Relocation subsidy per moving firm, at most its moving cost",
        "100m yuan per firm",
        "judgement in a data range 0.018-0.12: Hubei's 795.9m yuan (2018-2020) over its 436 completed "
        "firms, or over the ~15% of them that moved (7/101 in 2018, 23/76 in Jingzhou)",
        ge=0,
        le=10,
    )
    central_share: float = P(
        0.25,
        "Share of the subsidy paid by the central government (the rest by the province)",
        "share",
        "Hubei 2018-2020: 195.9m central of 795.9m yuan = 0.246",
        ge=0,
        le=1,
    )
    payback_years: float = P(
        5.0,
        "Years of expected earnings in the park (profit + net return on capital) that must cover the "
        "firm's own part of the moving cost",
        "years",
        "judgement, range 3-10 (payback periods of industrial investment)",
        gt=0,
        le=50,
    )
    entry_ban: bool = P(
        True, "No new heavy projects on the closed sites (entrants and movers value them less)", "-",
        "Yangtze Protection Law art. 26: no new or expanded chemical projects within 1 km",
    )  # fmt: skip
    old_bases: list[OldBase] = P(
        [], "Old industrial bases to relocate (tables with city, sector, share, by_year)", "-",
        "scenario choice (Qingshan, Qingshuitang)",
    )  # fmt: skip

    @field_validator("deadline")
    @classmethod
    def _deadline_after_start(cls, v: int, info: ValidationInfo) -> int:
        start = info.data.get("start_year")
        if start is not None and v < start:
            raise ValueError(f"{v} is before start_year {start} (allowed: {start} or later)")
        return v

    @field_validator("old_bases")
    @classmethod
    def _bases_after_start(cls, v: list[OldBase], info: ValidationInfo) -> list[OldBase]:
        start = info.data.get("start_year")
        for b in v:
            if start is not None and b.by_year < start:
                raise ValueError(f"by_year {b.by_year} of {b.city!r} is before start_year {start}")
        return v

    def references(self, name: str) -> list[tuple[str, str, list[str]]]:
        return [
            (f"{name}.cities", "city", list(self.cities)),
            (f"{name}.parks", "city", list(self.parks)),
            *((f"{name}.old_bases[{k}].city", "city", [b.city]) for k, b in enumerate(self.old_bases)),
            # the default names the real cluster's main stem: check the rivers only when switched on
            *([(f"{name}.rivers", "river", list(self.rivers))] if self.enabled else []),
        ]


class RiversideBan(Lever):
    name = "riverside_ban"

    def __init__(self, model: ModelState, section: RiversideBanSection) -> None:
        super().__init__(model, section)
        n = model.n
        extra = check_cities(model, "riverside_ban.cities", section.cities)
        self.parks = np.array(check_cities(model, "riverside_ban.parks", section.parks), int)
        self.bases = [
            (
                check_cities(model, f"riverside_ban.old_bases[{k}].city", [b.city])[0],
                SECTORS.index(b.sector),
                b,
            )
            for k, b in enumerate(section.old_bases)
        ]
        on_river = self._river_cities(model) if section.enabled else []
        self.riverside = np.array(sorted(set(on_river) | set(extra)), int)
        # the list: uid, origin city, sector, year due, 1 km ban (True) or old base (False)
        self.uid = np.zeros(0, np.uint64)
        self.origin, self.sector, self.due = (np.zeros(0, int) for _ in range(3))
        self.ban = np.zeros(0, bool)
        self.listed = False
        self.out, self.into, self.closed = np.zeros(n), np.zeros(n), np.zeros(n)
        self.subsidy = self.capital_lost = 0.0

    def _river_cities(self, model: ModelState) -> list[int]:
        riv = model.region.rivers
        known = sorted(set(riv.river))
        bad = [r for r in self.section.rivers if r not in known]
        if bad:
            raise ConfigError(
                "<config>", "riverside_ban.rivers", f"unknown river {bad[0]!r} (allowed: {', '.join(known)})"
            )
        sel = riv[riv.river.isin(self.section.rivers)]
        return [model.city_index[c] for c in sorted(set(sel.upstream) | set(sel.downstream))]

    # ------------------------------------------------------------------ hooks
    def on_year(self, model: ModelState) -> None:
        n = model.n
        self.out, self.into, self.closed = np.zeros(n), np.zeros(n), np.zeros(n)
        self.subsidy = self.capital_lost = 0.0
        if not self.active(model):
            return
        s, sub = self.section, model.mods["firm_subsidy"]
        if s.entry_ban and len(self.riverside):
            sub[self.riverside, HEAVY] += np.log(max(1.0 - s.riverside_share, 1e-6))
        for c, k, b in self.bases:
            sub[c, k] += np.log(max(1.0 - b.share, 1e-6))

    def before_production(self, model: ModelState) -> None:
        if not self.active(model):
            return
        if not self.listed:
            self._make_list(model)
        f = model.firms
        live = f.living()
        order = np.argsort(f.uid[live])
        pos = np.searchsorted(f.uid[live][order], self.uid)
        pos = np.minimum(pos, max(len(live) - 1, 0))
        slot = live[order][pos] if len(live) else np.zeros(len(self.uid), int)
        present = (f.uid[slot] == self.uid) & f.alive[slot] & (f.city[slot] == self.origin)
        now = present & (self.due <= model.year)
        keep = present & ~now  # still at the site and not yet due; the others have gone by themselves
        if now.any():
            self._leave(model, slot[now], self.ban[now])
        else:
            self._pay(model, np.zeros(0, int), np.zeros(0))
        self.uid, self.origin, self.sector = self.uid[keep], self.origin[keep], self.sector[keep]
        self.due, self.ban = self.due[keep], self.ban[keep]

    # ------------------------------------------------------------------ the list
    def _make_list(self, m: ModelState) -> None:
        s, f, start = self.section, m.firms, self.section.start_year
        live = f.living()
        groups = [
            (
                np.isin(f.city[live], self.riverside) & (f.sector[live] == HEAVY),
                s.riverside_share * s.leave_share,
                s.deadline,
                "riverside_ban.listed",
                True,
            )
        ]
        for c, k, b in self.bases:
            sel = (f.city[live] == c) & (f.sector[live] == k)
            groups.append((sel, b.share, b.by_year, f"riverside_ban.old_base.{b.city}.{b.sector}", False))
        taken = np.zeros(len(live), bool)
        for sel, share, last, purpose, ban in groups:
            u = m.streams.uniforms(purpose, start, f.uid[live], 2)
            pick = sel & (u[:, 0] < share) & ~taken
            taken |= pick
            years = np.floor(u[pick, 1] * (last - start + 1)).astype(int)
            slots = live[pick]
            self.uid = np.r_[self.uid, f.uid[slots]]
            self.origin = np.r_[self.origin, f.city[slots].astype(int)]
            self.sector = np.r_[self.sector, f.sector[slots].astype(int)]
            self.due = np.r_[self.due, start + np.minimum(years, last - start)]
            self.ban = np.r_[self.ban, np.full(len(slots), ban)]
        self.listed = True

    # ------------------------------------------------------------------ moving or closing
    def _destinations(self, m: ModelState, slots: np.ndarray, ban: np.ndarray) -> np.ndarray:
        """Each leaving firm's chosen park by the model's relocation logit, or -1 if none is open."""
        f, fc, n = m.firms, m.config.firms, m.n
        o, k = f.city[slots].astype(int), f.sector[slots].astype(int)
        v = m.firm_stage.location_values(m)
        u = (
            fc.relocation_profit_weight * v[:, k].T
            - fc.relocation_cost_per_100km * m.km[o] / 100.0
            - fc.relocation_fixed_cost * (np.arange(n)[None, :] != o[:, None])
            + m.mods["firm_subsidy"][:, k].T
        )
        rows = np.arange(len(slots))
        # moving within its city frees as much land as it takes: full land does not bar it (as staying)
        own = np.log(np.maximum(m.firm_stage.margins(m)[o, k], 1e-300))
        u[rows, o] = fc.relocation_profit_weight * own + m.mods["firm_subsidy"][o, k]
        open_ = np.zeros((len(slots), n), bool)
        open_[:, self.parks] = True
        if self.section.same_province:
            open_ &= m.prov[None, :] == m.prov[o][:, None]
        open_[rows, o] &= ban  # an old base leaves its city; the 1 km band may move to its own city's park
        open_ &= np.isfinite(u)
        u = np.where(open_, u, -np.inf)
        draws = m.streams.uniforms("riverside_ban.destination", m.year, f.uid[slots], n)
        dest = gumbel_pick(u, rows, draws)
        return np.where(open_.any(axis=1), dest, -1)

    def _leave(self, m: ModelState, slots: np.ndarray, ban: np.ndarray) -> None:
        s, f, n, fpa = self.section, m.firms, m.n, m.firms_per_agent
        o, k = f.city[slots].astype(int), f.sector[slots].astype(int)
        dest = self._destinations(m, slots, ban)
        q = f.capacity_sums(n, 4)
        share = np.exp(f.logq[slots]) / np.maximum(q[o, k], 1e-300)
        capital = m.capital.stock[o, k] * share
        cost = s.relocation_cost_share * capital
        paid = np.minimum(s.subsidy_per_firm * fpa, cost)  # 100m yuan per agent (fpa firms)
        d = np.maximum(dest, 0)
        margin = m.firm_stage.margins(m)[d, k]
        profit = margin * np.exp(f.logq[slots]) - f.fixed_cost[slots] * m.city.wage_general[d] / 1e8
        # what the owner keeps by moving: the profit and the net return on the capital it takes along
        net_return = m.year_result.capital_return[d, k] - m.config.capital.depreciation
        gain = profit + net_return * (capital - cost + paid)
        move = (dest >= 0) & (gain > 0) & (s.payback_years * gain >= cost - paid)
        self._move(m, slots[move], o[move], d[move], k[move], share[move], cost[move] - paid[move])
        self._pay(m, o[move], paid[move])
        self._close(m, slots[~move])

    def _move(self, m, slots, o, d, k, share, lost) -> None:
        f, fpa = m.firms, m.firms_per_agent
        m.capital.move(o, d, k, share)
        stock = m.capital.stock
        np.subtract.at(stock, (d, k), lost)  # the firm's own part of the moving cost
        np.maximum(stock, 0.0, out=stock)
        f.city[slots] = d
        np.add.at(self.out, o, fpa)
        np.add.at(self.into, d, fpa)
        self.capital_lost += float(lost.sum())
        away = o != d
        m.count("relocations", int(away.sum()) * fpa)
        if away.any():
            m.log_flow_pairs("relocation", o[away], d[away], m.city_ids, m.city_ids, fpa)

    def _pay(self, m: ModelState, origin: np.ndarray, paid: np.ndarray) -> None:
        """Province of origin and centre pay the subsidies (zero is booked too, so the spending
        column is there in every active year)."""
        c = self.section.central_share
        m.budgets.spend(PROVINCE, m.prov[origin], paid * (1 - c), PURPOSE)
        m.budgets.spend(CENTRAL, np.zeros(len(paid), int), paid * c, PURPOSE)
        self.subsidy += float(paid.sum())

    def _close(self, m: ModelState, slots: np.ndarray) -> None:
        if not len(slots):
            return
        f, n = m.firms, m.n
        o, k = f.city[slots].astype(int), f.sector[slots].astype(int)
        q = f.capacity_sums(n, 4)
        m.capital.scrap(o, k, np.exp(f.logq[slots]) / np.maximum(q[o, k], 1e-300))
        m.remove_firms(slots)
        m.count("firm_exits", len(slots) * m.firms_per_agent, by_city=o)
        np.add.at(self.closed, o, m.firms_per_agent)

    # ------------------------------------------------------------------ outputs
    def city_columns(self, model: ModelState) -> dict[str, np.ndarray]:
        return {
            "riverside_relocated_out": self.out.copy(),
            "riverside_relocated_in": self.into.copy(),
            "riverside_closed": self.closed.copy(),
        }

    def model_columns(self, model: ModelState) -> dict[str, float]:
        on = self.section.enabled
        river, parks = self.riverside, self.parks
        heavy = model.output[:, HEAVY]
        return {
            "riverside_listed_firms": float(len(self.uid) * model.firms_per_agent)
            if self.active(model)
            else 0.0,
            "riverside_relocated_firms": float(self.out.sum()),
            "riverside_closed_firms": float(self.closed.sum()),
            "riverside_heavy_output": float(heavy[river].sum()) if on else 0.0,
            "park_heavy_output": float(heavy[parks].sum()) if on else 0.0,
            "riverside_water_emissions": float(model.city.emissions_water[river].sum()) if on else 0.0,
            "riverside_subsidy": self.subsidy,
            "riverside_capital_lost": self.capital_lost,
        }
