"""Model configuration: typed, range-checked, frozen, unknown keys rejected.

Every parameter carries its meaning, unit and source in its ``Field`` metadata; ``docs/parameters.md``
is generated from these definitions (``uv run python -m simulation.docs``), so the code and the
documentation cannot drift apart.

A configuration is read from TOML (``configs/baseline.toml``), may be changed by ``--set`` overrides
given as dotted paths (``scale.talent_agents=1000000``), and is always validated as a whole.

This module assembles the sections: the model's own (``simulation.core.config``), the environment's
and the budgets' (``simulation.config_environment``), the shocks' (``simulation.core.shocks``) and
each lever's (its ``simulation.policies`` module); it validates, reads and writes TOML.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError, model_validator

from simulation.config_environment import BudgetSection, EnvironmentSection
from simulation.core.config.economy import CapitalSection, FirmSection, LandSection, ProductionSection
from simulation.core.config.overrides import apply_overrides, drop_none, flatten, overlay, parse_value
from simulation.core.config.people import PopulationSection, TalentSection
from simulation.core.config.run import RunSection, ScaleSection, TransportSection
from simulation.core.shocks import ShocksSection
from simulation.params import ConfigError, Section
from simulation.policies.city_circle import CityCircleSection
from simulation.policies.eco_compensation import EcoCompensationSection
from simulation.policies.eco_fund import EcoFundSection
from simulation.policies.emission_trading import EmissionTradingSection
from simulation.policies.hukou_reform import HukouReformSection
from simulation.policies.industry_transfer import IndustryTransferSection
from simulation.policies.innovation_alliance import InnovationAllianceSection
from simulation.policies.red_lines import RedLinesSection
from simulation.policies.riverside_ban import RiversideBanSection
from simulation.policies.sponge_city import SpongeCitySection
from simulation.policies.talent_alliance import TalentAllianceSection

__all__ = [  # the public names; the sections and override helpers live in simulation.core.config
    "LEVER_SECTIONS",
    "Config",
    "ConfigError",
    "validate",
    "read_toml",
    "load_config",
    "to_toml",
    "apply_overrides",
    "flatten",
    "parse_value",
    "RunSection",
    "ScaleSection",
    "TransportSection",
    "ProductionSection",
    "FirmSection",
    "CapitalSection",
    "LandSection",
    "TalentSection",
    "PopulationSection",
]

LEVER_SECTIONS = (
    "industry_transfer",
    "talent_alliance",
    "city_circle",
    "eco_compensation",
    "emission_trading",
    "red_lines",
    "sponge_city",
    "eco_fund",
    "hukou_reform",
    "riverside_ban",
    "innovation_alliance",
)


class Config(Section):
    """The whole resolved configuration of one run."""

    run: RunSection = RunSection()
    scale: ScaleSection = ScaleSection()
    transport: TransportSection = TransportSection()
    production: ProductionSection = ProductionSection()
    talent: TalentSection = TalentSection()
    population: PopulationSection = PopulationSection()
    firms: FirmSection = FirmSection()
    capital: CapitalSection = CapitalSection()
    land: LandSection = LandSection()
    environment: EnvironmentSection = EnvironmentSection()
    budget: BudgetSection = BudgetSection()
    shocks: ShocksSection = ShocksSection()
    industry_transfer: IndustryTransferSection = IndustryTransferSection()
    talent_alliance: TalentAllianceSection = TalentAllianceSection()
    city_circle: CityCircleSection = CityCircleSection()
    eco_compensation: EcoCompensationSection = EcoCompensationSection()
    emission_trading: EmissionTradingSection = EmissionTradingSection()
    red_lines: RedLinesSection = RedLinesSection()
    sponge_city: SpongeCitySection = SpongeCitySection()
    eco_fund: EcoFundSection = EcoFundSection()
    hukou_reform: HukouReformSection = HukouReformSection()
    riverside_ban: RiversideBanSection = RiversideBanSection()
    innovation_alliance: InnovationAllianceSection = InnovationAllianceSection()

    def __iter__(self):  # raises: see below
        """A Config is one value, not a collection of its sections. ``mesa.batch_run`` iterates each
        parameter's value to find the values to sweep (a TypeError marks a single value), so without
        this ``parameters={"config": cfg}`` would hand the model pydantic's (section, value) pairs,
        one per run. Use ``model_dump()`` for the sections."""
        raise TypeError("a Config is a single value, not iterable (use cfg.model_dump() for its sections)")

    @model_validator(mode="after")
    def _lever_years(self) -> Config:
        for name in LEVER_SECTIONS:
            sec = getattr(self, name)
            if sec.enabled and not self.run.start_year < sec.start_year <= self.run.end_year:
                raise ValueError(
                    f"{name}.start_year {sec.start_year} is outside the horizon "
                    f"(allowed: {self.run.start_year + 1} to {self.run.end_year})"
                )
        return self

    @property
    def years(self) -> int:
        return self.run.end_year - self.run.start_year


def _valid_keys(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _section_model(path: tuple[Any, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] = Config
    for part in path:
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            model = ann
        else:
            return None
    return model


def _explain(err: ValidationError, file: str) -> ConfigError:
    e = err.errors()[0]
    loc = tuple(x for x in e["loc"] if x != "__root__")
    field = ".".join(str(x) for x in loc) or "(top level)"
    if e["type"] == "extra_forbidden":
        parent = _section_model(loc[:-1])
        valid = _valid_keys(parent) if parent else []
        where = f"[{'.'.join(map(str, loc[:-1]))}]" if loc[:-1] else "the top level"
        return ConfigError(file, field, f"unknown key in {where}; valid keys: {', '.join(valid)}")
    parent = _section_model(loc[:-1])
    hint = ""
    if parent is not None and loc and str(loc[-1]) in parent.model_fields:
        f = parent.model_fields[str(loc[-1])]
        bounds = [
            f"{k} {getattr(m, k)}"
            for m in f.metadata
            for k in ("ge", "gt", "le", "lt")
            if getattr(m, k, None) is not None
        ]
        ann = getattr(f.annotation, "__name__", str(f.annotation))
        hint = f" (allowed: {ann}{', ' + ', '.join(bounds) if bounds else ''})"
    from simulation.params import short  # a 50 MB value is echoed as one short line

    got = f"; got {short(e.get('input'))}" if loc else ""  # not the whole config again
    return ConfigError(file, field, f"{e['msg']}{got}{hint}")


def validate(data: dict[str, Any], file: str = "<config>") -> Config:
    """Validate a raw dict into a Config (policies validated too) or raise ConfigError."""
    try:
        cfg = Config.model_validate(overlay(Config().model_dump(mode="json"), data))
    except ValidationError as err:
        raise _explain(err, file) from None
    return cfg


def read_toml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(str(path), "file", "no such config file")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(str(path), "syntax", f"not valid TOML: {err}") from None


def load_config(
    path: str | Path | None = None, overrides: list[str] | dict[str, Any] | None = None
) -> Config:
    """Read a TOML config (or defaults when ``path`` is None), apply overrides, validate."""
    data = read_toml(path) if path is not None else {}
    file = str(path) if path is not None else "<defaults>"
    if overrides:
        data = apply_overrides(data, overrides)
        file = f"{file} (with --set)"
    return validate(data, file)


def to_toml(cfg: Config) -> str:
    """Serialise a resolved config as TOML that ``load_config`` reads back to an equal Config."""
    import tomli_w

    # TOML has no null: unset optional values (e.g. a corridor's factor) are simply left out
    return tomli_w.dumps(drop_none(cfg.model_dump(mode="json")))
