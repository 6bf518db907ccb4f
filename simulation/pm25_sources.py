"""Where the baseline's PM2.5 change comes from: background, regulation, technology, the economy.

Four runs with the same config and seed: the baseline; the baseline with the background held at its
trend (not following China's observed mean); without the dated regulation path; without the free
technology trend. The population-weighted PM2.5 change over the window, split as

    background  = baseline - (background not following China)
    regulation  = baseline - (no regulation path)
    technology  = baseline - (no technology trend)
    economy     = baseline change - the three above (growth, structural change, population moves,
                  and the parts' interactions): what the model's agents and prices produce

The first three are inputs (data with dates, or a parameter); only the last is emergent.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulation.config import Config, apply_overrides, validate
from simulation.model import MiddleYangtzeModel

ARMS = {
    "background": {"environment.background_follows_china": False},
    "regulation": {"environment.regulation": False},
    "technology": {"environment.tech_progress": 0.0},
}


@dataclass(frozen=True)
class Sources:
    first: int
    last: int
    level_first: float  # µg/m3, population-weighted
    level_last: float
    parts: dict[str, float]  # µg/m3 contributions to level_last - level_first

    @property
    def change_pct(self) -> float:
        return 100.0 * (self.level_last / self.level_first - 1.0)


def _path(cfg: Config, seed: int, last: int):
    raw = apply_overrides(cfg.model_dump(mode="json"), {"run.end_year": last})
    model = MiddleYangtzeModel(validate(raw, "<pm25 sources>"), rng=seed).run()
    return model.tables()["model"].set_index("year").air_quality


def decompose(cfg: Config, seed: int, first: int = 2019, last: int = 2023) -> Sources:
    last = min(last, cfg.run.end_year)
    base = _path(cfg, seed, last)
    parts = {}
    for name, sets in ARMS.items():
        raw = apply_overrides(cfg.model_dump(mode="json"), sets)
        other = _path(validate(raw, "<pm25 sources>"), seed, last)
        parts[name] = float(base[last] - other[last]) - float(base[first] - other[first])
    total = float(base[last] - base[first])
    parts["economy"] = total - sum(parts.values())
    return Sources(first, last, float(base[first]), float(base[last]), parts)


def lines(src: Sources, observed: str) -> list[str]:
    total = src.level_last - src.level_first
    out = [
        f"## PM2.5 {src.first}-{src.last}: where the change comes from",
        "",
        f"Population-weighted PM2.5 goes from {src.level_first:.1f} to {src.level_last:.1f} µg/m³ "
        f"({src.change_pct:+.1f}%). Observed: {observed}. Parts (same seed, one part switched off at a "
        "time; see `simulation/pm25_sources.py`):",
        "",
        "| part | µg/m³ | share of the change | kind |",
        "|---|---|---|---|",
    ]
    kinds = {"background": "input: China's observed mean", "regulation": "input: dated plans and standards",
             "technology": "input: a parameter", "economy": "emergent: growth, structure, moves"}  # fmt: skip
    for name, v in src.parts.items():
        share = v / total if total else float("nan")
        out.append(f"| {name} | {v:+.2f} | {share:.0%} | {kinds[name]} |")
    out.append("")
    return out
