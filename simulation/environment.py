"""Air and water pollution: emissions to concentrations, with spillovers and river routing.

Air: a city's PM2.5 is a background part plus a part proportional to its exposure to emissions,
its own emission density plus distance-decayed densities of the others. The background share and
each city's proportionality factor are set so that year 0 reproduces the city's observed PM2.5.

Water: each city adds its own COD load (industry plus untreated sewage) to what flows in from
upstream cities (rivers.csv), which decays by a share on each reach. The concentration index is
the load over the catchment area drained, relative to the base-year median city (1.0).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from simulation.model import MiddleYangtzeModel


class Environment:
    def __init__(self, model: MiddleYangtzeModel, cities: pd.DataFrame) -> None:
        ec = model.config.environment
        self.pm25_obs = cities.pm25_2019.to_numpy(float)
        self.background = ec.pm25_background_share * self.pm25_obs
        spill = ec.air_spillover_weight * np.exp(-model.km / ec.air_spillover_km)
        np.fill_diagonal(spill, 0.0)
        self.spill = spill + np.eye(model.n)
        rate = cities.sewage_treatment_rate.to_numpy(float) / 100.0
        self.treatment = np.where(np.isfinite(rate), rate, ec.sewage_treatment_default)
        self.cod_kg = ec.domestic_cod_kg
        self.decay = ec.water_decay
        idx = model.city_index
        g = nx.DiGraph()
        g.add_nodes_from(range(model.n))
        g.add_edges_from(
            (idx[u], idx[d])
            for u, d in zip(model.region.rivers.upstream, model.region.rivers.downstream, strict=True)
        )
        self.order = list(nx.topological_sort(g))
        self.upstream = [sorted(g.predecessors(c)) for c in range(model.n)]
        self.downstream = [sorted(g.successors(c)) for c in range(model.n)]
        self.edges = [(u, d) for u in range(model.n) for d in self.downstream[u]]
        catch = model.area.copy()
        for c in self.order:
            for u in self.upstream[c]:
                catch[c] += catch[u]
        self.catchment = catch
        self.kappa: np.ndarray | None = None
        self.conc_ref: float | None = None
        self.pm25_0: np.ndarray | None = None

    def domestic_cod(self, model: MiddleYangtzeModel) -> np.ndarray:
        """Untreated domestic COD by city, tonnes per year."""
        return model.city.population * self.cod_kg / 1000.0 * (1 - self.treatment)

    def exposure(self, model: MiddleYangtzeModel) -> np.ndarray:
        density = model.city.emissions_air / model.area
        return self.spill @ density

    def route(self, own: np.ndarray) -> np.ndarray:
        """Load leaving each city: its own plus the decayed loads arriving from upstream."""
        load = own.astype(float).copy()
        for c in self.order:
            for u in self.upstream[c]:
                load[c] += (1 - self.decay) * load[u]
        return load

    def update(self, model: MiddleYangtzeModel) -> None:
        x = self.exposure(model)
        if self.kappa is None:
            self.kappa = (self.pm25_obs - self.background) / np.maximum(x, 1e-12)
        model.city.pm25 = self.background + self.kappa * x
        if self.pm25_0 is None:
            self.pm25_0 = model.city.pm25.copy()
        self.load = self.route(model.city.emissions_water)
        conc = self.load / self.catchment
        if self.conc_ref is None:
            self.conc_ref = float(np.median(conc))
        self.conc = conc
        model.city.water_index = conc / self.conc_ref
