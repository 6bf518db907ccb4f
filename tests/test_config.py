"""Configuration: validated on load, errors name the field and the allowed values."""

from __future__ import annotations

import pytest

from simulation import docs
from simulation.config import Config, ConfigError, load_config, to_toml


def test_defaults_roundtrip_through_toml(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text(to_toml(Config()), encoding="utf-8")
    assert load_config(p) == Config()


@pytest.mark.parametrize(
    ("override", "pattern"),
    [
        ("scale.nope=1", r"scale\.nope: unknown key in \[scale\]; valid keys: talent_agents, firm_agents"),
        ("nosection.x=1", r"nosection: unknown key in the top level; valid keys: run, scale"),
        ('scale.talent_agents="abc"', r"scale\.talent_agents: .*integer.*allowed: int, ge 100"),
        ("talent.review_rate=1.5", r"talent\.review_rate: .*less than or equal to 1.*allowed"),
        ("run.end_year=2010", r"run: .*end_year \(2010\) must be after start_year"),
        ("production.agglomeration.heavy=-1", r"production\.agglomeration\.heavy"),
    ],
)
def test_bad_values_name_the_field(override, pattern):
    with pytest.raises(ConfigError, match=pattern):
        load_config(None, [override])


def test_bad_toml_names_the_file(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("[run\nseed = 1", encoding="utf-8")
    with pytest.raises(ConfigError, match="bad.toml: syntax"):
        load_config(p)
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "missing.toml")


def test_set_parses_toml_values():
    cfg = load_config(None, ["scale.talent_agents=1000000", 'run.region="synthetic:10:1"'])
    assert cfg.scale.talent_agents == 1_000_000 and cfg.run.region == "synthetic:10:1"
    with pytest.raises(ConfigError, match="key=value"):
        load_config(None, ["scale.talent_agents"])


def test_generated_docs_and_baseline_are_up_to_date():
    assert docs.main(check=True) == 0, "run: uv run python -m simulation.docs"


def test_every_parameter_is_documented():
    for _name, section in docs.sections():
        for key, field in section.model_fields.items():
            extra = field.json_schema_extra or {}
            assert field.description and extra.get("unit") and extra.get("source"), key
