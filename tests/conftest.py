"""Shared fixtures: small, fast model runs on the real and a synthetic region."""

from __future__ import annotations

import pytest

from simulation.config import load_config
from simulation.model import MiddleYangtzeModel

SMALL = ["scale.talent_agents=3000", "scale.firm_agents=400"]


def small_model(seed: int = 1, years: int = 4, region: str | None = None, extra: list[str] | None = None):
    sets = [*SMALL, f"run.end_year={2019 + years}", *(extra or [])]
    if region:
        sets.append(f'run.region="{region}"')
    return MiddleYangtzeModel(load_config(None, sets), rng=seed)


@pytest.fixture(scope="session")
def real_run():
    return small_model(seed=3, years=6).run()
