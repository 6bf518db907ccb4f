"""The dashboard without a browser: labels, the per-session state, export, replay, figures, the
offline asset set-up and the command-line glue. The page in a real Chromium: tests/e2e/."""

from __future__ import annotations

import argparse
import re
import socket
import string
import time
from pathlib import Path

import pandas as pd
import pytest

from simulation.config import LEVER_SECTIONS, load_config
from simulation.dashboard import DASHBOARD_HELP, _check_port, add_dashboard_arguments, assets
from simulation.dashboard.figures import chart_svg, map_svg, pm_colour
from simulation.dashboard.i18n import LANGS, S, city_name, tr
from simulation.dashboard.state import PRESETS, Session, archive_names, baseline_of
from simulation.params import ConfigError
from simulation.region import load_region
from simulation.runner import run_config

SMALL = {"scale.talent_agents": 3000, "scale.firm_agents": 400, "run.end_year": 2024}


def small_session(lang: str = "en") -> Session:
    s = Session(lang, overrides=SMALL)
    assert s.config is not None and s.config.scale.talent_agents == 3000
    return s


@pytest.fixture(scope="module")
def cities() -> pd.DataFrame:
    return load_region("middle_yangtze").cities


# ---------------------------------------------------------------------------- labels
def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_label_has_both_languages_with_the_same_fields():
    for key, (zh, en) in S.items():
        assert zh and en, key
        assert _fields(zh) == _fields(en), key
        assert re.search(r"[\u4e00-\u9fff]", zh) or zh in ("GDP", "PM2.5"), f"{key}: no Chinese in {zh!r}"
    assert tr("zh", "run") != tr("en", "run")
    assert tr("en", "bounds", field="x", lo=0, hi=1) == "“x” must be between 0 and 1"


def test_city_names_come_from_the_data(cities):
    assert len(cities) == 31
    for cid in cities.index:
        assert city_name(cities, cid, "zh") == cities.at[cid, "name_zh"]
        assert city_name(cities, cid, "en") == cities.at[cid, "name_en"]
    assert city_name(cities, "nowhere", "zh") == "nowhere"


# ---------------------------------------------------------------------------- session state
def test_session_starts_at_the_baseline_and_pairs_it():
    s = small_session()
    assert s.config is not None and not s.dirty
    assert not any(getattr(s.config, k).enabled for k in LEVER_SECTIONS)
    assert s.scen is not s.base and s.scen.year == s.base.year == 2019
    assert s.step() and s.step()
    snap = s.snapshot()
    assert snap.year == 2021 and snap.years == [2019, 2020, 2021]
    for scen, base in snap.series.values():  # no lever: the two sides are the same run
        assert scen == base


@pytest.mark.parametrize(
    ("changes", "expect"),
    [
        ({("industry_transfer", "subsidy"): -1.0}, "between 0 and 10"),
        ({("talent_alliance", "border_cost_cut"): 1.5}, "between 0 and 1"),
        ({("run", "end_year"): 2019}, "between 2020 and"),
        ({("talent_alliance", "enabled"): True, ("talent_alliance", "start_year"): 2040}, "2020 and 2024"),
        ({("industry_transfer", "receiving_zones"): ["atlantis"]}, None),
        ({("industry_transfer", "subsidy_sectors"): ["shipbuilding"]}, "unknown sector"),
        ({("run", "seed"): -1}, "must be between 0 and"),
    ],
)
def test_bad_values_are_refused_with_a_message(changes, expect):
    s = small_session()
    before = s.draft
    if expect is None:  # a city that is not in the region: refused when the model is built
        assert s.edit(changes)
        assert not s.reset()
        assert s.message is not None and "atlantis" in s.message[1]
        return
    assert not s.edit(changes, "the field")
    assert s.draft == before
    assert s.message is not None and s.message[0] == "error"
    assert s.message[1].startswith("Refused:") and expect in s.message[1]


def test_refusal_message_in_chinese():
    s = small_session("zh")
    assert not s.edit({("industry_transfer", "subsidy"): 11.0}, tr("zh", "subsidy"))
    assert s.message[1].startswith("已拒绝：") and "0 至 10" in s.message[1]


def test_switching_a_lever_on_takes_its_shipped_settings():
    s = small_session()
    assert s.switch_lever("talent_alliance", True)
    shipped = load_config(Path("configs/scenarios/talent_alliance.toml")).talent_alliance
    assert s.draft["talent_alliance"] == shipped.model_dump(mode="json")
    assert s.dirty
    assert s.switch_lever("talent_alliance", False)
    assert s.draft["talent_alliance"]["enabled"] is False
    assert s.switch_lever("talent_alliance", True)  # keeps the trainee's settings, not reloaded
    assert s.draft["talent_alliance"]["border_cost_cut"] == 0.5


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_loads_and_builds(name):
    s = small_session()
    assert s.load_preset(name), s.message
    assert s.reset(), s.message
    assert [k for k in LEVER_SECTIONS if getattr(s.config, k).enabled] == (
        [] if name == "baseline" else list(LEVER_SECTIONS) if name == "green_development" else [name]
    )
    assert s.config.run.end_year == 2024  # the horizon and scale stay the trainee's


def test_a_lever_makes_the_scenario_differ_and_step_rebuilds_after_a_change():
    s = small_session()
    s.load_preset("green_development")
    assert s.dirty
    assert s.step()  # rebuilt with the new settings, then one year
    assert s.step_rebuilt and not s.dirty and s.scen.year == 2020
    s.run_to_end()
    snap = s.snapshot()
    assert snap.done and snap.year == 2024
    scen, base = snap.series["gdp"]
    assert scen[0] == base[0] and scen[-1] != base[-1]
    rows = s.city_rows(snap)
    assert len(rows) == 31 and rows == sorted(rows, key=lambda r: -r["d_gdp"])
    assert not s.step()  # at the end


def test_baseline_of_turns_every_lever_off_and_keeps_the_rest():
    cfg = load_config(Path("configs/scenarios/green_development.toml"), ["run.seed=7", "run.end_year=2030"])
    base = baseline_of(cfg)
    assert not any(getattr(base, k).enabled for k in LEVER_SECTIONS)
    assert (base.run, base.scale, base.talent) == (cfg.run, cfg.scale, cfg.talent)


def test_exported_toml_runs_to_the_same_numbers(tmp_path):
    s = small_session()
    s.switch_lever("city_circle", True)
    s.edit({("run", "seed"): 11})
    s.run_to_end()
    path = tmp_path / s.export_name()
    path.write_text(s.export_toml(), encoding="utf-8")
    assert path.name == "midyangtze-city_circle-seed11.toml"
    cfg = load_config(path)
    assert cfg == s.config
    tables = run_config(cfg).tables
    mine = s.scen.tables()
    for name in ("model", "cities", "flows"):
        pd.testing.assert_frame_equal(tables[name], mine[name], check_exact=True)


def test_open_an_archive_replays_it_year_by_year(tmp_path):
    from simulation.archive import write_archive

    cfg = load_config(
        Path("configs/scenarios/talent_alliance.toml"),
        ["scale.talent_agents=3000", "scale.firm_agents=400", "run.end_year=2023", "run.seed=5"],
    )
    path = write_archive(run_config(cfg), tmp_path / "arch", config_source="test", results_dir=tmp_path)
    assert archive_names(tmp_path) == ["arch"]
    s = small_session()
    assert s.open_archive(path), s.message
    assert s.replay is not None and s.config == cfg
    s.run_to_end()
    assert s.replay.mismatch is None
    assert s.replay.checked == [2019, 2020, 2021, 2022, 2023]
    s.edit({("run", "seed"): 6})  # other settings: no longer the archive
    s.reset()
    assert s.replay is None


def test_open_a_folder_that_is_not_an_archive(tmp_path):
    s = small_session()
    draft = s.draft
    assert not s.open_archive(tmp_path)
    assert s.message[0] == "error" and "manifest.json" in s.message[1]
    assert s.draft == draft


def test_sessions_share_nothing():
    a, b = small_session(), small_session()
    a.switch_lever("talent_alliance", True)
    a.step()
    assert b.draft["talent_alliance"]["enabled"] is False and b.scen.year == 2019
    assert a.scen is not b.scen and a.draft is not b.draft


def test_corridors_of_the_circle_lever_are_highlighted():
    s = small_session()
    s.switch_lever("city_circle", True)
    s.edit({("run", "end_year"): 2026})
    s.run_to_end()
    e = s.snapshot().edges
    hi = e["scenario"][e["scenario"]["highlight"]]
    pairs = {frozenset((a, b)) for a, b in zip(hi["a"], hi["b"], strict=True)}
    assert frozenset(("wuhan", "nanchang")) in pairs  # the new HSR link (2025)
    assert frozenset(("wuhan", "xiaogan")) in pairs  # a sped-up intercity link
    assert not e["baseline"]["highlight"].any()


# ---------------------------------------------------------------------------- figures
def test_map_svg_draws_every_city_with_values_on_hover(cities):
    s = small_session("zh")
    s.step()
    snap = s.snapshot()
    text = {k: tr("zh", k) for k in S}
    svg = map_svg(
        cities, snap.cities, snap.edges["scenario"], lambda c: city_name(cities, c, "zh"), text, 3e4
    )
    assert svg.count("<circle cx=") >= 31 and svg.count('class="city-label"') == 31
    for cid in cities.index:
        assert cities.at[cid, "name_zh"] in svg
    assert "<title>" in svg and tr("zh", "gdp_100m") in svg
    assert svg.count("<line") >= len(snap.edges["scenario"])


def test_chart_svg_reports_the_difference():
    text = {k: tr("en", k) for k in S}
    svg = chart_svg(
        "gdp", "GDP", "trillion yuan", [2019, 2020, 2021], [1.0, 1.1, 1.3], [1.0, 1.1, 1.2], 2019, 2035, text
    )
    m = re.search(r'data-max-diff-pct="([^"]+)"', svg)
    assert m and float(m.group(1)) == pytest.approx(100 * (1.3 / 1.2 - 1), rel=1e-5)
    assert 'data-points="3"' in svg and "Scenario" in svg and "Baseline" in svg
    flat = chart_svg("gdp", "GDP", "u", [2019], [2.0], [2.0], 2019, 2035, text)
    assert 'data-max-diff-pct="0"' in flat


def test_pm_colour_scale():
    assert pm_colour(0) == pm_colour(15) == "#1a9850"
    assert pm_colour(200) == "#d73027"
    assert re.fullmatch(r"#[0-9a-f]{6}", pm_colour(40.0))


# ---------------------------------------------------------------------------- offline assets, CLI
def test_required_packages_come_from_solaras_template():
    pkgs = dict(assets.required_packages())
    assert "@widgetti/solara-vuetify-app" in pkgs and "requirejs" in pkgs and "font-awesome" in pkgs
    assert "@widgetti/solara-vuetify3-app" not in pkgs  # ipyvue < 2: the Vue 2 app only
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in pkgs.values())


def test_cache_dir_lies_outside_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("SOLARA_ASSETS_PROXY_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert assets.default_cache_dir() == tmp_path / "midyangtze" / "solara-cdn"
    monkeypatch.setenv("SOLARA_ASSETS_PROXY_CACHE_DIR", str(tmp_path / "x"))
    assert assets.default_cache_dir() == tmp_path / "x"
    assert not assets.is_filled(tmp_path / "empty")


def test_a_cache_miss_never_reaches_a_cdn():
    import solara.server.cdn_helper as cdn_helper
    import solara.settings

    saved, saved_cdn = cdn_helper.fetch_from_cdn, solara.settings.assets.cdn
    try:
        assets.forbid_cdn()
        t = time.perf_counter()
        with pytest.raises(FileNotFoundError):
            cdn_helper.get_data(Path("/nonexistent-cache"), "left-pad@1.3.0/index.js")
        assert time.perf_counter() - t < 1.0  # no retries against a network
    finally:
        cdn_helper.fetch_from_cdn, solara.settings.assets.cdn = saved, saved_cdn


def test_environment_turns_telemetry_off_and_the_proxy_on(monkeypatch, tmp_path):
    for k in ("SOLARA_ASSETS_PROXY", "SOLARA_ASSETS_CDN", "SOLARA_TELEMETRY_MIXPANEL_ENABLE"):
        monkeypatch.delenv(k, raising=False)
    import os

    assets.configure_environment(tmp_path)
    assert os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert os.environ["SOLARA_ASSETS_PROXY"] == "True"
    assert os.environ["SOLARA_ASSETS_PROXY_CACHE_DIR"] == str(tmp_path)
    assert os.environ["SOLARA_ASSETS_CDN"].startswith("http://127.0.0.1:")


def test_dashboard_arguments():
    p = argparse.ArgumentParser()
    add_dashboard_arguments(p)
    args = p.parse_args([])
    assert (args.host, args.port) == ("127.0.0.1", 8765)
    assert p.parse_args(["--host", "0.0.0.0", "--port", "9000"]).port == 9000
    assert "Solara" in DASHBOARD_HELP


def test_a_port_in_use_is_refused_in_one_line():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(ConfigError, match=r"--port: \d+ is in use"):
            _check_port("127.0.0.1", port)
    with pytest.raises(ConfigError, match="--port"):
        _check_port("127.0.0.1", 70000)


# ---------------------------------------------------------------------------- the page, rendered in-process
def test_page_renders_and_steps_in_process():
    import ipyvuetify as v
    import solara
    from solara.components.applayout import AppLayout

    from simulation.dashboard import app

    @solara.component
    def Wrapped():
        with AppLayout():
            app.Page()

    _box, rc = solara.render(Wrapped(), handle_error=False)

    def html() -> list:
        return rc.find(solara.widgets.HTML).widgets

    assert any("2019 年" in (w.unsafe_innerHTML or "") for w in html())
    rc.find(v.Switch, label=tr("zh", "lever_talent_alliance")).widget.v_model = True
    labels = [w.label for w in rc.find(v.TextField).widgets]
    assert any(lab.startswith(tr("zh", "border_cost_cut")) for lab in labels)
    assert any(tr("zh", "pending", start=2019) in str(w.children) for w in rc.find(v.Alert).widgets)
    rc.find(v.Btn, children=[tr("zh", "step")]).widget.click()
    years = [(w.attributes or {}).get("data-year") for w in html()]
    assert "2020" in years
    assert len(LANGS) == 2
