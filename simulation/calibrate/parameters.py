"""The candidate parameters of the calibration: the judgement parameters and how a value is set.

A :class:`Candidate` is one number the calibration may move, with the range the screening samples
and the fit searches. Most are one config value (``talent.move_cost``). Two kinds are built:

- ``production.tfp_growth`` is a common *scale* of the four sector growth rates (1 = as in the
  start config), so the ratios between sectors stay the judgement they are and the level is fitted;
- ``shocks.<province>.size`` / ``.persistence`` are the 2020 productivity shock of a province
  (``simulation.core.shocks``): the event of 2020, that scope and every sector, added when the start
  config has none (size 0, no effect).

Every candidate's source in docs/parameters.md says "judgement", "assumption" or "calibrated to"
(set by hand to one moment); the ranges are the parameters' plausible ranges, narrower than the
config's allowed ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from simulation.config import Config, apply_overrides, validate

SHOCK_YEAR = 2020
PROVINCES = ("hubei", "hunan", "jiangxi")


@dataclass(frozen=True)
class Candidate:
    """A parameter the calibration may move: name, range, unit and why it is a candidate."""

    name: str
    lower: float
    upper: float
    unit: str
    why: str

    @property
    def kind(self) -> str:
        if self.name == "production.tfp_growth":
            return "scale"
        if self.name.startswith("shocks."):
            return "shock"
        return "value"


def _shock_candidates() -> list[Candidate]:
    out = []
    for p in PROVINCES:
        low = -0.25 if p == "hubei" else -0.15
        out.append(Candidate(f"shocks.{p}.size", low, 0.05, "-", "2020 shock: solved or absent"))
    for p in PROVINCES:
        out.append(Candidate(f"shocks.{p}.persistence", 0.0, 1.0, "-", "2020 shock: set to 0"))
    return out


CANDIDATES: tuple[Candidate, ...] = (
    Candidate("production.tfp_growth", 0.0, 5.0, "x start", "judgement, to be fitted"),
    Candidate("production.outside_growth", 0.0, 0.10, "1/yr", "judgement: China's growth path"),
    *_shock_candidates(),
    Candidate("talent.move_cost", 0.5, 6.0, "utils", "set by hand to 1-3% moving a year"),
    Candidate("talent.review_rate", 0.05, 0.25, "1/yr", "assumption"),
    Candidate("talent.wage_weight", 1.0, 4.0, "utils", "assumption"),
    Candidate("population.move_cost", 1.0, 6.0, "utils", "set by hand to ~1% moving a year"),
    Candidate("population.review_rate", 0.01, 0.05, "1/yr", "census migration rates (no figure)"),
    Candidate("firms.entry_elasticity", 0.5, 6.0, "-", "judgement"),
    Candidate("firms.death_rate", 0.005, 0.04, "1/yr", "judgement"),
    Candidate("firms.fixed_cost_sigma", 0.2, 1.0, "-", "judgement"),
    Candidate("capital.return_elasticity", 0.5, 6.0, "-", "judgement"),
    Candidate("land.supply_elasticity", 0.3, 3.0, "-", "judgement within 0.5-5.6"),
    Candidate("environment.tech_progress", 0.0, 0.05, "1/yr", "judgement"),
    Candidate("environment.regulation_pace", 0.5, 4.0, "-", "the plans as written: an assumption"),
)


def _get(data: dict[str, Any], dotted: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        node = node[part]
    return node


def _event_index(events: list[dict[str, Any]], province: str) -> int | None:
    for i, e in enumerate(events):
        if e["year"] == SHOCK_YEAR and e["scope"] == province and e.get("sector", "all") == "all":
            return i
    return None


def start_values(cfg: Config, candidates: tuple[Candidate, ...] = CANDIDATES) -> np.ndarray:
    """Each candidate's value in ``cfg`` (a scale is 1), clipped into its range."""
    data = cfg.model_dump(mode="json")
    events = data["shocks"]["events"] if data["shocks"]["enabled"] else []
    out = []
    for c in candidates:
        if c.kind == "scale":
            v = 1.0
        elif c.kind == "shock":
            _, prov, field = c.name.split(".")
            i = _event_index(events, prov)
            v = 0.0 if i is None else float(events[i][field])
        else:
            v = float(_get(data, c.name))
        out.append(min(max(v, c.lower), c.upper))
    return np.array(out)


def apply(
    cfg: Config, candidates: tuple[Candidate, ...], theta: np.ndarray, source: str = "calibrate"
) -> Config:
    """``cfg`` with every candidate set to ``theta`` (a scale multiplies the start config's rates);
    the shocks are switched on. Raises ConfigError for a value the config refuses."""
    data = cfg.model_dump(mode="json")
    sets: dict[str, Any] = {"shocks.enabled": True}
    events = [dict(e) for e in data["shocks"]["events"]] if data["shocks"]["enabled"] else []
    for c, v in zip(candidates, theta, strict=True):
        if c.kind == "scale":
            base = _get(data, c.name)
            sets[c.name] = {k: float(x) * float(v) for k, x in base.items()}
        elif c.kind == "shock":
            _, prov, field = c.name.split(".")
            i = _event_index(events, prov)
            if i is None:
                events.append({"year": SHOCK_YEAR, "scope": prov, "sector": "all", "size": 0.0,
                               "persistence": 0.0, "source": source})  # fmt: skip
                i = len(events) - 1
            events[i][field] = float(v)
            events[i]["source"] = source
        else:
            sets[c.name] = float(v)
    sets["shocks.events"] = events
    return validate(apply_overrides(data, sets), "<calibrate>")


def for_window(cfg: Config, end_year: int) -> Config:
    """The same config run to ``end_year`` only."""
    return validate(apply_overrides(cfg.model_dump(mode="json"), {"run.end_year": end_year}), "<calibrate>")
