"""Saved scenarios per browser, overlays on the curves and the exports (CSV, PNG, one-page summary),
without a browser. The same in real Chromium: tests/e2e/test_scenarios_e2e.py."""

from __future__ import annotations

import io
import sqlite3
import time
from html import escape

import numpy as np
import pandas as pd
import pytest

from simulation.config import load_config
from simulation.dashboard import exports, results, scenarios
from simulation.dashboard.figures import SCEN_COLOUR, effect_chart_svg
from simulation.dashboard.i18n import tr
from simulation.dashboard.results import PairedResult, SideRun, pair
from simulation.dashboard.scenarios import MAX_OVERLAYS, Overlay, ScenarioError, Store
from simulation.dashboard.state import Session

SMALL = {"scale.talent_agents": 2000, "scale.firm_agents": 300, "run.end_year": 2023}
YEARS = np.arange(2019, 2024)
A, B = scenarios.owner_key("cookie-of-browser-a"), scenarios.owner_key("cookie-of-browser-b")


def fake_side(seed: int, gdp: np.ndarray, pm: np.ndarray) -> SideRun:
    n = len(YEARS)
    model = {"gdp": gdp, "air_quality": pm, "lever_net_city": np.zeros(n), "fiscal_cost": np.zeros(n)}
    city = {c: np.stack([gdp / 2, gdp / 2], axis=1) for c in results.CITY_COLUMNS}
    edges = pd.DataFrame({"a": [], "b": [], "mode": [], "line": [], "time_min": [], "highlight": []})
    return SideRun(seed, YEARS.copy(), model, ("a", "b"), city, edges, 0.0)


def planted(effect_gdp: float, n: int = 4, levers: tuple[str, ...] = (), seed: int = 0) -> PairedResult:
    """Paired runs whose scenario adds ``effect_gdp`` (plus noise) to GDP after the base year."""
    rng = np.random.default_rng(seed)
    base, scen = [], []
    on = np.arange(len(YEARS)) > 0
    for s in range(n):
        g = 1000 + 50 * np.arange(len(YEARS)) + rng.normal(0, 20, len(YEARS))
        p = 40 - np.arange(len(YEARS)) + rng.normal(0, 1, len(YEARS))
        base.append(fake_side(s, g, p))
        scen.append(fake_side(s, g + on * (effect_gdp + rng.normal(0, 1.0, len(YEARS))), p))
    cfg = load_config(None, [f"{k}.enabled=true" for k in levers])
    return pair(cfg, list(range(n)), 1.0, base, scen)


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "saved.sqlite")


# ---------------------------------------------------------------------------- the store
def test_save_list_load_rename_delete(store):
    assert store.list(A) == []
    assert store.save(A, "  transfer   first ", "lang=zh&seed=42&on=industry_transfer") == (
        "transfer first",
        False,
    )
    store.save(A, "alliance", "lang=en&seed=7&on=talent_alliance")
    assert [s.name for s in store.list(A)] == ["transfer first", "alliance"]
    assert store.get(A, "transfer first").query == "seed=42&on=industry_transfer"  # no language kept
    assert store.save(A, "alliance", "seed=8") == ("alliance", True)  # the same name replaces
    assert store.get(A, "alliance").query == "seed=8" and len(store.list(A)) == 2
    assert store.rename(A, "alliance", "人才联盟 0.55") == "人才联盟 0.55"
    assert store.get(A, "alliance") is None and store.get(A, "人才联盟 0.55").query == "seed=8"
    assert store.delete(A, "transfer first") and not store.delete(A, "transfer first")
    assert [s.name for s in store.list(A)] == ["人才联盟 0.55"]


def test_browsers_never_see_each_others_scenarios(store):
    store.save(A, "mine", "seed=1")
    assert store.list(B) == [] and store.get(B, "mine") is None
    assert not store.delete(B, "mine") and store.get(A, "mine") is not None
    with pytest.raises(ScenarioError):
        store.rename(B, "mine", "stolen")
    store.save(B, "mine", "seed=2")  # the same name in another browser is another scenario
    assert store.get(A, "mine").query == "seed=1" and store.get(B, "mine").query == "seed=2"


def test_a_server_restart_keeps_them_and_the_cookie_is_not_stored(tmp_path):
    path = tmp_path / "saved.sqlite"
    Store(path).save(A, "kept", "seed=3&on=red_lines")
    again = Store(path)  # a new server process opens the same file
    assert [(s.name, s.query) for s in again.list(A)] == [("kept", "seed=3&on=red_lines")]
    owners = {r[0] for r in sqlite3.connect(path).execute("SELECT owner FROM saved")}
    assert owners == {A} and len(A) == 64 and "cookie-of-browser-a" not in A


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("", "saved_name_empty"),
        ("   ", "saved_name_empty"),
        ("x" * 41, "saved_name_bad"),
        ("tab\there", None),
        ("bell\x07", "saved_name_bad"),
    ],  # fmt: skip
)
def test_names_are_checked(store, name, key):
    if key is None:  # white space inside a name is one space
        assert store.save(A, name, "seed=1")[0] == "tab here"
        return
    with pytest.raises(ScenarioError) as err:
        store.save(A, name, "seed=1")
    assert err.value.key == key and store.list(A) == []
    assert err.value.text("zh") == tr("zh", key, **err.value.fields)


def test_renaming_onto_a_taken_name_and_too_many_are_refused(tmp_path):
    store = Store(tmp_path / "s.sqlite", max_saved=3)
    for i in range(3):
        store.save(A, f"s{i}", f"seed={i}")
    with pytest.raises(ScenarioError) as err:
        store.save(A, "s3", "seed=3")
    assert err.value.key == "saved_full" and "3" in err.value.text("en")
    store.save(A, "s0", "seed=9")  # replacing one is still allowed
    with pytest.raises(ScenarioError) as err:
        store.rename(A, "s1", "s2")
    assert err.value.key == "saved_taken"
    assert store.get(A, "s1").query == "seed=1" and store.get(A, "s2").query == "seed=2"
    store.save(B, "s9", "seed=9")  # another browser has its own allowance


def test_the_state_folder_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(scenarios.STATE_ENV, str(tmp_path / "state"))
    s = scenarios.default_store()
    assert s.path == tmp_path / "state" / scenarios.DB_NAME and s.path.is_file()


# ---------------------------------------------------------------------------- overlays
def _saved(name: str, query: str = "seed=42") -> scenarios.Saved:
    return scenarios.Saved(name, query, 0.0, 0.0)


def test_at_most_four_scenarios_on_the_curves():
    ov: list[Overlay] = []
    for i in range(MAX_OVERLAYS):
        assert scenarios.add_overlay(ov, _saved(f"s{i}"), "en") is None
    assert scenarios.add_overlay(ov, _saved("s0"), "en") is None and len(ov) == 3  # already on
    assert len({o.colour for o in ov} | {SCEN_COLOUR}) == 4  # each its own colour
    msg = scenarios.add_overlay(ov, _saved("fifth"), "zh")
    assert msg == tr("zh", "overlay_max", n=4, k=3) and "4" in msg and len(ov) == 3
    assert "At most 4 scenarios" in scenarios.add_overlay(ov, _saved("fifth"), "en")
    freed = ov[1].colour
    scenarios.remove_overlay(ov, "s1")
    assert scenarios.add_overlay(ov, _saved("later"), "en") is None and ov[-1].colour == freed
    scenarios.rename_overlay(ov, "later", "renamed")
    assert [o.name for o in ov] == ["s0", "s2", "renamed"]


def test_overlays_are_computed_from_their_saved_settings_through_the_runner():
    s = Session("en", overrides=SMALL)
    asked = []

    def runner(cfg, seeds, scale):
        asked.append((cfg.talent_alliance.enabled, cfg.run.seed, len(seeds), scale, cfg.scale.talent_agents))
        return planted(3.0, n=len(seeds))

    ov = [Overlay("ta", "seed=5&n=3&on=talent_alliance", "#ef6c00"), Overlay("bad", "n=3&end=abc", "#6a1b9a")]
    updates = []
    scenarios.compute_overlays(s, ov, on_update=lambda: updates.append(1), runner=runner)
    assert asked[0] == (True, 5, 3, 1.0, 2000)  # its own settings, the page's scale, the full result
    assert ov[0].result is not None and ov[0].error is None
    assert ov[1].result is not None and "end" in ov[1].error  # the bad item is said, the rest runs
    assert len(updates) == 2
    scenarios.compute_overlays(s, ov, runner=runner)
    assert len(asked) == 2  # nothing computed twice
    assert not s.draft["talent_alliance"]["enabled"]  # the page's own scenario is untouched


def test_a_failed_overlay_says_so():
    s = Session("zh", overrides=SMALL)

    def broken(cfg, seeds, scale):
        raise RuntimeError("worker died")

    ov = [Overlay("x", "seed=1", "#ef6c00")]
    scenarios.compute_overlays(s, ov, runner=broken)
    assert ov[0].result is None and ov[0].error == "计算失败：RuntimeError: worker died"


def test_the_curve_draws_each_overlay_with_its_legend_row():
    res, other = planted(5.0), planted(-5.0, seed=1)
    ov = [
        Overlay("plus five", "", "#ef6c00", res),
        Overlay("minus five " + "很长的名字" * 10, "", "#6a1b9a", other),
    ]
    series = scenarios.overlay_series(ov, "gdp", 1.0, False)
    assert [x["label"] for x in series] == [o.name for o in ov]
    assert series[1]["change"][-1] == pytest.approx(other.summary("gdp").pct)
    text = {k: k for k in ("scenario", "baseline", "diff_pct", "difference", "not_sig")}
    b, s = res.paths("gdp")
    svg = effect_chart_svg("gdp", "GDP", "u", res.years, b.mean(0), s.mean(0), res.yearly("gdp"), 1, text,
                           overlays=series)  # fmt: skip
    assert 'data-overlays="2"' in svg and svg.count('class="overlay"') == 2
    assert svg.count('class="overlay-legend"') == 2 and ">plus five</text>" in svg
    assert "…</text>" in svg  # the long name is cut to the chart's width
    assert 'viewBox="0 0 340 300"' in svg  # two legend rows below the chart
    plain = effect_chart_svg("gdp", "GDP", "u", res.years, b.mean(0), s.mean(0), res.yearly("gdp"), 1, text)
    assert 'data-overlays="0"' in plain and 'class="overlay"' not in plain


# ---------------------------------------------------------------------------- exports
def _session_with_overlays() -> Session:
    s = Session("en", overrides=SMALL)
    s.switch_lever("industry_transfer", True)
    s.full = planted(2.0)
    s.overlays = [
        Overlay(
            "alliance", "on=talent_alliance", "#ef6c00", planted(4.0, levers=("talent_alliance",), seed=1)
        ),
        Overlay("waiting", "seed=9", "#6a1b9a"),  # not computed yet: not exported
        Overlay("trading", "on=emission_trading", "#00838f", planted(-1.0, n=3, seed=2)),
    ]
    return s


def test_the_csv_holds_every_shown_scenario_metric_and_year():
    s = _session_with_overlays()
    df = pd.read_csv(io.StringIO(s.export_csv()))
    assert list(df.columns[:4]) == ["scenario", "metric", "unit", "year"]
    assert {
        "base",
        "scen",
        "diff",
        "lo",
        "hi",
        "pct",
        "pct_lo",
        "pct_hi",
        "significant",
        "seeds",
        "scale",
    } <= set(df.columns)
    assert list(dict.fromkeys(df["scenario"])) == ["current", "alliance", "trading"]
    metrics = {"gdp", "air_quality", "fiscal_cost"}  # the curves' columns the planted runs have
    for name, n in (("current", 4), ("alliance", 4), ("trading", 3)):
        part = df[df["scenario"] == name]
        assert set(part["metric"]) == metrics and len(part) == len(metrics) * len(YEARS)
        assert set(part["seeds"]) == {n} and sorted(part[part["metric"] == "gdp"]["year"]) == list(YEARS)
    row = df[(df["scenario"] == "alliance") & (df["metric"] == "gdp") & (df["year"] == 2023)].iloc[0]
    e = s.overlays[0].result.summary("gdp")
    assert row["diff"] == pytest.approx(e.diff) and row["lo"] == pytest.approx(e.lo)
    assert row["pct_hi"] == pytest.approx(e.pct_hi) and row["base"] == pytest.approx(e.base)
    assert row["unit"] == "100m yuan" and set(df[df["metric"] == "air_quality"]["unit"]) == {"µg/m³ PM2.5"}
    first = df[(df["scenario"] == "current") & (df["metric"] == "gdp") & (df["year"] == 2019)].iloc[0]
    assert first["diff"] == 0 and not first["significant"]  # the base year: identical sides


def test_the_csv_without_a_result_is_empty_and_in_chinese_names_the_current_one():
    s = Session("zh", overrides=SMALL)
    assert s.export_csv() == ""
    s.full = planted(1.0)
    assert set(pd.read_csv(io.StringIO(s.export_csv()))["scenario"]) == {"当前情景"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_png_of_the_curves(lang):
    s = _session_with_overlays()
    s.lang = lang
    png = exports.curves_png(exports.entries(s), lang)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    from matplotlib.image import imread

    img = imread(io.BytesIO(png))
    assert img.shape[1] > img.shape[0] > 300  # a wide grid of panels
    assert exports.curves_png([], lang) == b""


def test_the_model_core_does_not_import_matplotlib():
    import subprocess
    import sys

    code = "import simulation.model, simulation.dashboard.exports, sys; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_one_page_summary():
    s = _session_with_overlays()
    html = exports.summary_html(s)
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert tr("en", "lever_industry_transfer") in html and escape(f"?{s.query()}") in html
    assert 'data-metric="gdp"' in html  # the headline box as the page shows it
    assert ", ".join(str(x) for x in s.full.seeds) in html
    v = exports.model_version()
    assert v["source_sha256"][:16] in html and len(v["source_sha256"]) == 64
    assert "alliance" in html and "trading" in html and "waiting" not in html  # the overlays' table
    assert "scale.talent_agents=2000" in html
    s.lang = "zh"
    assert tr("zh", "summary_title") in exports.summary_html(s)
    assert exports.summary_html(Session("en", overrides=SMALL)) == ""


# ---------------------------------------------------------------------------- the page, in-process
def test_the_panel_saves_lists_and_overlays(monkeypatch, tmp_path):
    import ipyvuetify as v
    import solara

    from simulation.dashboard import app

    monkeypatch.setenv(scenarios.STATE_ENV, str(tmp_path))
    monkeypatch.setenv(app.OVERRIDES_ENV, "scale.talent_agents=2000;scale.firm_agents=300;run.end_year=2023")
    monkeypatch.setattr(results, "RUNNER", lambda cfg, seeds, scale: planted(1.0, n=len(seeds)))
    box, rc = solara.render(app.Page(), handle_error=False)
    rc.find(v.TextField, label=tr("zh", "saved_name")).widget.v_model = "方案甲"
    rc.find(v.Btn, class_="my-save").widget.click()
    html = solara.widgets.HTML
    rc.find(html, unsafe_innerHTML=tr("zh", "saved_done", name="方案甲")).wait_for(timeout=20)
    store = scenarios.default_store()
    (owner,) = {r[0] for r in sqlite3.connect(store.path).execute("SELECT owner FROM saved")}
    assert [x.name for x in store.list(owner)] == ["方案甲"]
    rc.find(v.Checkbox, label=tr("zh", "saved_overlay")).widget.v_model = True
    rc.find(html, unsafe_innerHTML=tr("zh", "overlay_note")).wait_for(timeout=20)
    charts: list[str] = []
    for _ in range(400):  # the overlay's result comes from the task thread
        charts = [w.unsafe_innerHTML or "" for w in rc.find(html).widgets]
        charts = [c for c in charts if 'data-overlays="1"' in c]
        if charts:
            break
        time.sleep(0.05)
    assert len(charts) == 3 and all('data-name="方案甲"' in c for c in charts)  # gdp, PM2.5, fiscal cost
    rc.find(v.Checkbox, label=tr("zh", "saved_overlay")).widget.v_model = False
    rc.find(html, unsafe_innerHTML=tr("zh", "overlay_note")).wait_for(timeout=20, state="detached")
    rc.find(v.TextField, label=tr("zh", "saved_name")).widget.v_model = "<b>x</b>"
    rc.find(v.Btn, class_="my-save").widget.click()  # a typed name is shown as text, never as HTML
    rc.find(html, unsafe_innerHTML=tr("zh", "saved_done", name="&lt;b&gt;x&lt;/b&gt;")).wait_for(timeout=20)
    assert [x.name for x in store.list(owner)] == ["方案甲", "<b>x</b>"]
