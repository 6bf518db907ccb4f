"""Bad-input cases for tests/test_adversarial.py, part 1: the framework (``Case``, ``CASES``, the
builders) and the config-file, lever/env/budget and ``--set`` tables. Each ``case`` registers in
``CASES``; the test module adds the other tables and runs every case."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SMALL = ["--set", "scale.talent_agents=1500", "--set", "scale.firm_agents=200", "--years", "2"]
CMP_SMALL = SMALL[:4] + ["--set", "run.end_year=2021"]  # compare has no --years
SMALL_SET = '[set]\n"scale.talent_agents" = 1500\n"scale.firm_agents" = 200\n"run.end_year" = 2021\n'
OK_PARAMS = '[parameters]\n"talent.border_cost" = {values = [1.0, 2.0]}\n'
HEAD = '[run]\nseed = 42\nregion = "middle_yangtze"\n'


# ---------------------------------------------------------------------------- the cases
@dataclass(frozen=True)
class Case:
    category: str
    build: Callable[..., tuple[list[str], list[str]]]  # (dir, monkeypatch, archives) -> argv, needles
    code: int = 2


CASES: dict[str, Case] = {}


def case(name: str, category: str, code: int = 2):
    def deco(fn):
        assert name not in CASES, name
        CASES[name] = Case(category, fn, code)
        return fn

    return deco


def simple(name: str, category: str, argv_of, needles: list[str], code: int = 2) -> None:
    """A case whose argv is built from the temporary folder alone."""
    case(name, category, code)(lambda d, mp, ax: (argv_of(d), needles))


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def run_config(body: str, needles: list[str], name: str = "c.toml", head: str = HEAD):
    """argv builder: ``run FILE --out OUT`` for a config file holding ``head + body``."""

    def build(d: Path) -> list[str]:
        return ["run", str(write(d, name, head + body)), "--out", "OUT"]

    return build, [name, *needles]


# --- config files ------------------------------------------------------------------------------
CONFIG = "config files"
CONFIG_CASES: dict[str, tuple[str, list[str]]] = {
    "not TOML": ("[run\nseed = 1\n", ["syntax", "not valid TOML"]),
    "TOML syntax: missing value": ("[scale]\ntalent_agents =\n", ["syntax"]),
    "TOML: duplicate key": ("[scale]\ntalent_agents = 2000\ntalent_agents = 3000\n", ["syntax"]),
    "TOML: duplicate section": ("[scale]\n[scale]\n", ["syntax"]),
    "unknown section": ("[nosuch]\nx = 1\n", ["nosuch", "unknown key"]),
    "unknown key in run": ("[run]\nfoo = 1\n", ["run.foo", "valid keys"]),
    "unknown top-level key": ("foo = 1\n", ["foo", "unknown key"]),
    "unicode unknown key": ("[scale]\n'人才' = 5\n", ["scale.人才", "unknown key"]),
    "section given a value": ("scale = 5\n", ["scale"]),
    "array of tables for a section": ("[[transport]]\nintra_city_min = 20\n", ["transport"]),
    "text for an integer": ('[scale]\ntalent_agents = "many"\n', ["scale.talent_agents"]),
    "fraction for an integer": ("[scale]\ntalent_agents = 1500.5\n", ["scale.talent_agents"]),
    "boolean for an integer": ("[scale]\ntalent_agents = true\n", ["scale.talent_agents"]),
    "list for a number": ("[transport]\nintra_city_min = [1, 2]\n", ["transport.intra_city_min"]),
    "table for a number": ("[transport]\nintra_city_min = {a = 1}\n", ["transport.intra_city_min"]),
    "date for a number": ("[transport]\nintra_city_min = 2020-01-01\n", ["transport.intra_city_min"]),
    "agents below range": ("[scale]\ntalent_agents = 10\n", ["scale.talent_agents", "allowed"]),
    "agents above range": ("[scale]\ntalent_agents = 1000000000\n", ["scale.talent_agents", "allowed"]),
    "integer past 64 bits": ("[scale]\ntalent_agents = 99999999999999999999999\n", ["scale.talent_agents"]),
    "seed past 64 bits": ("[run]\nseed = 99999999999999999999999\n", ["run.seed"]),
    "negative seed": ("[run]\nseed = -1\n", ["run.seed"]),
    "huge float (1e400 = inf)": ("[transport]\nma_decay_min = 1e400\n", ["transport.ma_decay_min"]),
    "nan": ("[transport]\nintra_city_min = nan\n", ["transport.intra_city_min"]),
    "inf": ("[transport]\ncommute_fixed_cost = inf\n", ["transport.commute_fixed_cost"]),
    "-inf": ("[transport]\ncommute_cost_per_hour = -inf\n", ["transport.commute_cost_per_hour"]),
    "nan in a per-sector table": (
        "[production.agglomeration]\nheavy = nan\n",
        ["production.agglomeration.heavy"],
    ),
    "unknown sector": ("[production.agglomeration]\nmining = 0.1\n", ["production.agglomeration.mining"]),
    "per-sector below range": (
        "[production.agglomeration]\nheavy = -1\n",
        ["production.agglomeration.heavy"],
    ),
    "per-sector a scalar": ("[production]\nagglomeration = 0.05\n", ["production.agglomeration"]),
    "end before start": ("[run]\nstart_year = 2019\nend_year = 2019\n", ["run", "end_year"]),
    "start year out of range": ("[run]\nstart_year = 1800\n", ["run.start_year"]),
    "end year out of range": ("[run]\nend_year = 3000\n", ["run.end_year"]),
    "region not text": ("[run]\nregion = 5\n", ["run.region"]),
    "region unicode name": ('[run]\nregion = "长江中游"\n', ["run.region", "no such region"]),
    "region NUL byte": ('[run]\nregion = "a\\u0000b"\n', ["run.region"]),
    "region empty": ('[run]\nregion = ""\n', ["run.region"]),
    "shares leave no room for capital": (
        "[production]\nlabour_share = 0.8\nland_share = 0.15\n",
        ["production.labour_share", "capital"],
    ),
}
for _name, (_body, _needles) in CONFIG_CASES.items():
    _argv, _ndl = run_config(_body, _needles, head="" if "[run]" in _body else HEAD)
    simple(f"config: {_name}", CONFIG, _argv, _ndl)

simple(
    "config: missing file",
    CONFIG,
    lambda d: ["run", str(d / "nope.toml"), "--out", "OUT"],
    ["nope.toml", "no such config file"],
)
simple("config: a directory", CONFIG, lambda d: ["run", str(d), "--out", "OUT"], ["file", "no such config"])
simple(
    "config: not UTF-8",
    CONFIG,
    lambda d: ["run", str(write(d, "b.toml", b"\xff\xfe[run]\n")), "--out", "OUT"],
    ["b.toml", "syntax"],
)
simple(
    "config: NUL bytes",
    CONFIG,
    lambda d: ["run", str(write(d, "z.toml", b"[run]\x00\n")), "--out", "OUT"],
    ["z.toml", "syntax"],
)


# --- levers, environment and budget ---------------------------------------------------------
LEVERS = "lever and env/budget sections"
ON = "enabled = true\nstart_year = 2021\n"
LEVER_CASES: dict[str, tuple[str, list[str]]] = {
    "industry_transfer: unknown key": ("[industry_transfer]\nbogus = 1\n", ["industry_transfer.bogus"]),
    "industry_transfer: zones not a list": (
        '[industry_transfer]\nreceiving_zones = "jingzhou"\n',
        ["industry_transfer.receiving_zones"],
    ),
    "industry_transfer: start outside the horizon": (
        "[industry_transfer]\nenabled = true\nstart_year = 2100\n",
        ["industry_transfer.start_year"],
    ),
    "talent_alliance: enabled = 5": ("[talent_alliance]\nenabled = 5\n", ["talent_alliance.enabled"]),
    "talent_alliance: unknown province": (
        f'[talent_alliance]\n{ON}provinces = ["atlantis"]\n',
        ["talent_alliance.provinces", "atlantis"],
    ),
    "city_circle: corridor unknown city": (
        f'[city_circle]\n{ON}corridors = [{{a = "wuhan", b = "gotham", time_min = 30.0, km = 10.0}}]\n',
        ["city_circle.corridors[0]", "gotham"],
    ),
    "city_circle: corridor negative km": (
        f'[city_circle]\n{ON}corridors = [{{a = "wuhan", b = "ezhou", time_min = 30.0, km = -10.0}}]\n',
        ["city_circle.corridors", "km"],
    ),
    "city_circle: corridor unknown field": (
        f'[city_circle]\n{ON}corridors = [{{a = "wuhan", b = "ezhou", time_min = 30.0, km = 1.0, x = 1}}]\n',
        ["city_circle.corridors", "x"],
    ),
    "eco_compensation: amount negative": (
        '[eco_compensation]\nagreements = [{name = "x", upstream = ["wuhan"], downstream = ["ezhou"], '
        "amount = -1.0, standard = 1.0}]\n",
        ["eco_compensation.agreements", "amount"],
    ),
    "eco_compensation: unknown city": (
        '[eco_compensation]\nagreements = [{name = "x", upstream = ["narnia"], downstream = ["ezhou"], '
        "amount = 1.0, standard = 1.0}]\n",
        ["eco_compensation.agreements[0].upstream", "narnia"],
    ),
    "emission_trading: unknown key": ("[emission_trading]\nbogus = true\n", ["emission_trading.bogus"]),
    "red_lines: share above 1": (
        "[red_lines]\nprotected_share = { wuhan = 1.5 }\n",
        ["red_lines.protected_share"],
    ),
    "sponge_city: unknown city": (
        f'[sponge_city]\n{ON}cities = ["atlantis"]\n',
        ["sponge_city.cities", "atlantis"],
    ),
    "sponge_city: cities a word other than all": ('[sponge_city]\ncities = "some"\n', ["sponge_city.cities"]),
    "sponge_city: target above 1": (
        "[sponge_city]\ncollection_target = 1.5\n",
        ["sponge_city.collection_target"],
    ),
    "sponge_city: grant to an unknown city": (
        f"[sponge_city]\n{ON}[sponge_city.central_grant]\natlantis = 5.0\n",
        ["sponge_city.central_grant"],
    ),
    "sponge_city: start outside the horizon": (
        "[sponge_city]\nenabled = true\nstart_year = 2150\n",
        ["sponge_city", "start_year"],
    ),
    "eco_fund: unknown sector": (
        '[eco_fund]\ngreen_sectors = ["mining"]\n',
        ["eco_fund.green_sectors", "mining"],
    ),
    "eco_fund: unknown province": (
        f"[eco_fund]\n{ON}[eco_fund.eco_contributions]\natlantis = 2.0\n",
        ["eco_fund.eco_contributions"],
    ),
    "eco_fund: revenue share above range": (
        "[eco_fund]\neco_revenue_share = 0.5\n",
        ["eco_fund.eco_revenue_share"],
    ),
    "eco_fund: unknown eco city": (f'[eco_fund]\n{ON}eco_cities = ["gotham"]\n', ["eco_fund.eco_cities"]),
    "hukou_reform: unknown province": (
        f'[hukou_reform]\n{ON}provinces = ["atlantis"]\n',
        ["hukou_reform.provinces", "atlantis"],
    ),
    "hukou_reform: unknown city": (f'[hukou_reform]\n{ON}cities = ["gotham"]\n', ["hukou_reform.cities"]),
    "hukou_reform: negative rate": (
        "[hukou_reform]\nconversion_rate = -0.1\n",
        ["hukou_reform.conversion_rate"],
    ),
    "hukou_reform: zero persons per unit": (
        "[hukou_reform]\npersons_per_unit = 0\n",
        ["hukou_reform.persons_per_unit"],
    ),
    "riverside_ban: unknown river": (
        f'[riverside_ban]\n{ON}rivers = ["Amazon"]\n',
        ["riverside_ban.rivers", "Amazon"],
    ),
    "riverside_ban: old base unknown sector": (
        f"[riverside_ban]\n{ON}"
        'old_bases = [{city = "wuhan", sector = "mining", share = 0.5, by_year = 2030}]\n',
        ["riverside_ban.old_bases", "sector"],
    ),
    "riverside_ban: old base unknown city": (
        f'[riverside_ban]\n{ON}old_bases = [{{city = "gotham", share = 0.5, by_year = 2030}}]\n',
        ["riverside_ban.old_bases[0].city", "gotham"],
    ),
    "riverside_ban: deadline before start": (
        "[riverside_ban]\n" + ON + "deadline = 2020\n",
        ["riverside_ban.deadline"],
    ),
    "innovation_alliance: member twice": (
        '[innovation_alliance]\nmembers = ["wuhan", "wuhan"]\n',
        ["innovation_alliance.members", "twice"],
    ),
    "innovation_alliance: intensity above 0.2": (
        "[innovation_alliance]\nbase_intensity = { wuhan = 0.5 }\n",
        ["innovation_alliance.base_intensity"],
    ),
    "environment: unknown key": ("[environment]\nbogus = 1\n", ["environment.bogus"]),
    "environment: negative pollutant intensity": (
        "[environment.industry_intensity]\nso2 = -1\n",
        ["environment.industry_intensity.so2"],
    ),
    "environment: nan": ("[environment]\nriver_speed = nan\n", ["environment.river_speed"]),
    "budget: unknown key": ("[budget]\nbogus = 1\n", ["budget.bogus"]),
    "shocks: unknown place": (
        '[[shocks.events]]\nyear = 2020\nscope = "gotham"\nsize = -0.1\n',
        ["shocks.events[0].scope", "gotham"],
    ),
    "shocks: size below -0.9": (
        '[[shocks.events]]\nyear = 2020\nscope = "hubei"\nsize = -2\n',
        ["shocks.events", "size"],
    ),
    "shocks: unknown sector": (
        '[[shocks.events]]\nyear = 2020\nscope = "hubei"\nsector = "mining"\nsize = -0.1\n',
        ["shocks.events", "sector"],
    ),
    "budget: share above 1": ("[budget]\nrevenue_share = 2.0\n", ["budget.revenue_share"]),
}
for _name, (_body, _needles) in LEVER_CASES.items():
    _argv, _ndl = run_config(_body, _needles)
    simple(f"lever: {_name}", LEVERS, _argv, _ndl)


# --- --set ---------------------------------------------------------------------------------------
SET = "--set"


def set_case(name: str, value: str, needles: list[str]) -> None:
    simple(
        f"--set: {name}",
        SET,
        lambda d: ["run", str(write(d, "c.toml", HEAD)), "--set", value, "--out", "OUT"],
        ["--set", *needles],
    )


set_case("empty key", "=5", ["empty part"])
set_case("empty dotted part", "scale..talent_agents=5", ["scale..talent_agents", "empty part"])
set_case("trailing dot", "scale.=5", ["empty part"])
set_case("path through a value", "run.seed.x=1", ["run.seed.x", "is a value"])
set_case("section replaced by a value", "scale=5", ["scale"])
set_case("unclosed list", "scale.talent_agents=[1, 2", ["scale.talent_agents"])
set_case("list for a number", "scale.talent_agents=[1, 2]", ["scale.talent_agents"])
set_case("unclosed inline table", 'city_circle.corridors=[{a="wuhan"', ["city_circle.corridors"])
set_case("corridor missing fields", 'city_circle.corridors=[{a="wuhan"}]', ["city_circle.corridors"])
set_case("very long value", "run.region=" + "x" * 1_000_000, ["run.region", "1,000,000 characters"])
set_case("very long key", "a" * 100_000 + "=1", ["unknown key"])
set_case("unicode key", "scale.人才=5", ["scale.人才", "unknown key"])
set_case("nan", "transport.intra_city_min=nan", ["transport.intra_city_min"])
set_case("inf", "transport.ma_decay_min=inf", ["transport.ma_decay_min"])
set_case("hex out of range", "scale.talent_agents=0x10", ["scale.talent_agents"])
set_case("key with a space", "scale.talent agents=5", ["unknown key"])
