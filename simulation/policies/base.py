"""The common part of every lever's config section: on/off and a start year."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator

from simulation.params import SECTORS, ConfigError, P, Section

if TYPE_CHECKING:
    from simulation.core.state import ModelState


def _known_sectors(v: list[str]) -> list[str]:
    bad = [s for s in v if s not in SECTORS]
    if bad:
        raise ValueError(f"unknown sector {bad[0]!r} (allowed: {', '.join(SECTORS)})")
    return v


SectorList = Annotated[list[str], AfterValidator(_known_sectors)]  # sector names, checked


class LeverSection(Section):
    enabled: bool = P(False, "Switch the lever on", "-", "off in the baseline (design brief §4)")
    start_year: int = P(2021, "First year the lever acts", "year", "scenario choice", ge=1990, le=2200)

    def references(self, name: str) -> list[tuple[str, str, list[str]]]:
        """(field, "city" or "province", names) for every region id the section names, so that they
        are checked against the region before any work (``simulation.limits``)."""
        return []


def check_cities(model: ModelState, field: str, cities: list[str]) -> list[int]:
    """Indices of the named cities, or a ConfigError naming the field and the valid ids."""
    bad = [c for c in cities if c not in model.city_index]
    if bad:
        raise ConfigError(
            "<config>", field, f"unknown city {bad[0]!r} (allowed: {', '.join(model.city_ids)})"
        )
    return [model.city_index[c] for c in cities]


def check_provinces(model: ModelState, field: str, provinces: list[str]) -> list[int]:
    bad = [p for p in provinces if p not in model.provinces]
    if bad:
        raise ConfigError(
            "<config>", field, f"unknown province {bad[0]!r} (allowed: {', '.join(model.provinces)})"
        )
    return [model.provinces.index(p) for p in provinces]
