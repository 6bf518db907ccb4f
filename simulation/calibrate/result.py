"""What a calibration produced (:class:`CalibrationResult`): the pipeline fills it in, the report
puts it in words and the store writes and verifies it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from simulation.calibrate.parameters import Candidate
from simulation.config import Config


@dataclass
class CalibrationResult:
    start_config: Config
    calibrated_config: Config
    root_seed: int
    seeds: list[int]
    budget: int
    trajectories: int
    tables: dict[str, pd.DataFrame]
    candidates: tuple[Candidate, ...]
    fit_status: str
    counts: dict[str, int]
    stats: dict[str, Any]
    panel_status: str
    wall_time_s: float
