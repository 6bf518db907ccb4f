"""The general population: a city-level stock with natural increase and slow migration.

Students are part of it (the census counts them where they study); graduation moves them into
talent, and retirement moves talent back (``simulation.core.talent``). Natural increase is the only
source of new persons besides migration with the rest of China, so the cluster's population obeys
    P(t) = P(t-1) + natural increase + migration in - migration out
every year (``tests/test_model.py`` checks it in every step). Within the cluster the general population
moves by a logit over cities (wages, rents, pollution, travel time and provincial borders), with
amenities inverted so that the base year has no net moves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.core.firmtable import softmax

if TYPE_CHECKING:
    from simulation.core.state import ModelState


class Population:
    def __init__(self, model: ModelState) -> None:
        self.cfg = model.config.population

    def probs(self, m: ModelState) -> np.ndarray:
        pc = self.cfg
        v = (
            m.city.amen_pop
            + pc.wage_weight * np.log(m.city.wage_general)
            - pc.housing_weight * np.log(m.city.rent)
            - pc.pollution_weight * np.log(m.city.pm25)
            - m.config.environment.water_amenity * m.env.water_amenity()
        )
        hours = m.transport.times / 60.0
        cost = (
            pc.move_cost
            + pc.time_elasticity * np.log(np.maximum(hours, 1e-3))
            + pc.border_cost * (m.cross_prov * m.mods["border_factor"])[m.prov][:, m.prov]
        )
        np.fill_diagonal(cost, 0.0)
        return softmax(v[None, :] - cost, axis=1)

    def calibrate(self, m: ModelState) -> None:
        """Amenities at which nobody's expected move changes a city's general population."""
        m.city.amen_pop = np.zeros(m.n)
        g = m.city.general
        for _ in range(500):
            step = np.log(g / (g @ self.probs(m)))
            m.city.amen_pop += step
            if np.max(np.abs(step)) < 1e-10:
                break

    def step(self, m: ModelState) -> None:
        pc = self.cfg
        natural = m.city.general * pc.natural_growth
        m.count("natural_increase", float(natural.sum()))
        g = m.city.general + natural
        movers = g * pc.review_rate
        flow = movers[:, None] * self.probs(m)
        m.city.general = g - movers + flow.sum(axis=0)
        off = flow.copy()
        np.fill_diagonal(off, 0.0)
        o, d = np.nonzero(off > 0)
        names = np.asarray(m.city_ids, object)
        m.log_flows("population", (names[o], names[d], off[o, d]))
        m.count("population_migration", float(off.sum()))
