"""Building blocks of the configuration: documented parameters and strict sections.

Kept apart from ``simulation.config`` so that policy lever modules can define their own sections
without importing the whole configuration.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SECTORS: tuple[str, ...] = ("heavy", "manufacturing", "hightech", "services")


class ConfigError(ValueError):
    """A configuration value is missing, unknown, of the wrong type or out of range.

    ``str(err)`` is one line naming the file, the field (dotted path) and what is allowed.
    """

    def __init__(self, file: str, field: str, message: str) -> None:
        self.file, self.field, self.message = file, field, message
        super().__init__(f"{file}: {field}: {message}")


def P(default: Any, desc: str, unit: str, source: str, **kw: Any) -> Any:
    """A documented parameter: default, meaning, unit and source, plus pydantic constraints."""
    return Field(default, description=desc, json_schema_extra={"unit": unit, "source": source}, **kw)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class PerSector(Section):
    """One value per sector: heavy industry, manufacturing, high-tech, services."""

    heavy: float = Field(ge=0, le=1000)
    manufacturing: float = Field(ge=0, le=1000)
    hightech: float = Field(ge=0, le=1000)
    services: float = Field(ge=0, le=1000)

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.heavy, self.manufacturing, self.hightech, self.services)


class WideSector(PerSector):
    """One value per sector, for quantities larger than a share (intensities, costs)."""

    heavy: float = Field(ge=0, le=1e7)
    manufacturing: float = Field(ge=0, le=1e7)
    hightech: float = Field(ge=0, le=1e7)
    services: float = Field(ge=0, le=1e7)


POLLUTANTS = ("so2", "nox", "pm", "co2", "cod", "nh3n")


class PerPollutant(Section):
    """One value per pollutant: SO2, NOx, primary PM, CO2 (air); COD, ammonia nitrogen (water)."""

    so2: float = Field(ge=0, le=1e7)
    nox: float = Field(ge=0, le=1e7)
    pm: float = Field(ge=0, le=1e7)
    co2: float = Field(ge=0, le=1e7)
    cod: float = Field(ge=0, le=1e7)
    nh3n: float = Field(ge=0, le=1e7)

    def as_tuple(self) -> tuple[float, ...]:
        return tuple(getattr(self, p) for p in POLLUTANTS)


TABLES = (PerSector, PerPollutant)


def pollutants(values: dict[str, float], desc: str, unit: str, source: str) -> Any:
    return Field(PerPollutant(**values), description=desc, json_schema_extra={"unit": unit, "source": source})


def wide_sectors(h: float, m: float, t: float, s: float, desc: str, unit: str, source: str) -> Any:
    default = WideSector(heavy=h, manufacturing=m, hightech=t, services=s)
    return Field(default, description=desc, json_schema_extra={"unit": unit, "source": source})


def sectors(h: float, m: float, t: float, s: float, desc: str, unit: str, source: str) -> Any:
    default = PerSector(heavy=h, manufacturing=m, hightech=t, services=s)
    return Field(default, description=desc, json_schema_extra={"unit": unit, "source": source})


ECHO_CHARS = 80  # longest echo of a bad value in an error line


def short(value: Any, limit: int = ECHO_CHARS) -> str:
    """``repr(value)``, cut to ``limit`` characters with the full length noted."""
    text = repr(value)
    if len(text) <= limit:
        return text
    n = len(value) if isinstance(value, str | bytes | list | dict | tuple) else len(text)
    return f"{text[: limit - 1]}… ({n:,} characters)" if isinstance(value, str) else f"{text[:limit]}…"
