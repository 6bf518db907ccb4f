"""The dashboard without a browser: labels and lever catalogue, the paired results (a planted
effect, common random numbers, agreement with ``run.py compare``), the session (URL round trip,
validation in the page's language, horizon cap, archives under results/ only), the HTML panels
and figures, the offline asset set-up and the command-line glue. The page in Chromium: tests/e2e/."""

from __future__ import annotations

import argparse
import math
import pickle
import re
import socket
import string
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulation.config import load_config
from simulation.dashboard import DASHBOARD_HELP, _check_port, add_dashboard_arguments, assets, results
from simulation.dashboard.figures import desirability, effect_chart_svg, map_svg, pm_colour
from simulation.dashboard.i18n import LANGS, S, city_name, field_label, tr
from simulation.dashboard.levers import INDICATORS, KNOBS, LISTS, meaning
from simulation.dashboard.results import PairedResult, SideRun, baseline_of, pair, run_paired, run_side
from simulation.dashboard.state import LEVERS, PRESETS, PREVIEW_SEEDS, Session, archive_names, bounds
from simulation.dashboard.views import city_rows, city_table_html, headline_html, mechanisms_html
from simulation.model import MiddleYangtzeModel
from simulation.params import ConfigError
from simulation.region import load_region

SMALL = {"scale.talent_agents": 2000, "scale.firm_agents": 300, "run.end_year": 2023}
TINY = ["scale.talent_agents=2000", "scale.firm_agents=300", "run.end_year=2023"]


def small_session(lang: str = "en") -> Session:
    return Session(lang, overrides=SMALL)


@pytest.fixture(scope="module")
def cities() -> pd.DataFrame:
    return load_region("middle_yangtze").cities


# ---------------------------------------------------------------------------- labels and catalogue
def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_label_has_both_languages_with_the_same_fields():
    for key, (zh, en) in S.items():
        assert zh and en, key
        assert _fields(zh) == _fields(en), key
        assert re.search(r"[\u4e00-\u9fff]", zh) or zh in ("GDP", "PM2.5"), f"{key}: no Chinese in {zh!r}"
    assert tr("en", "bounds", field="x", lo=0, hi=1) == "“x” must be between 0 and 1"


def test_all_eleven_levers_have_names_hints_and_policy_text():
    assert len(LEVERS) == 11 and {"sponge_city", "eco_fund", "hukou_reform", "riverside_ban",
                                   "innovation_alliance"} <= set(LEVERS)  # fmt: skip
    for lever in LEVERS:
        for prefix in ("lever", "hint", "policy", "quote", "model", "preset"):
            assert f"{prefix}_{lever}" in S, (prefix, lever)
        assert "“" in tr("zh", f"quote_{lever}")  # a quotation of the seed essay
        for key, _kind in LISTS.get(lever, []):
            assert field_label("zh", lever, key) and field_label("en", lever, key)
        for name in INDICATORS[lever]:
            assert f"i_{name}" in S, name


def test_quotes_are_the_seed_essays_own_words():
    essay = Path("/work/shared/seed/000_fd11c03eb0c3404f.txt")
    if not essay.is_file():
        pytest.skip("seed essay not on this machine")
    text = re.sub(r"[\s,，]", "", essay.read_text(encoding="utf-8"))
    for lever in LEVERS:
        quote = tr("zh", f"quote_{lever}")
        for part in re.findall(r"“([^”]+)”", quote):
            for piece in re.split(r"[…]+|‘|’", part):
                piece = re.sub(r"[\s,，]", "", piece).rstrip("。")
                assert len(piece) < 8 or piece in text, (lever, piece)


def test_every_knob_covers_its_band_inside_the_configs_bounds():
    cfg = load_config(Path("configs/scenarios/green_development.toml"))
    for lever, knobs in KNOBS.items():
        for k in knobs:
            assert k.lo <= k.plausible[0] <= k.plausible[1] <= k.hi, (lever, k.key)
            for lang in LANGS:
                assert tr(lang, k.key if f"{lever}.{k.key}" not in S else f"{lever}.{k.key}")
                assert "{" not in meaning(k, k.plausible[1], lang)
            if k.apply == "field":
                lo, hi = bounds((lever, k.key))
                assert (lo is None or lo <= k.lo) and (hi is None or k.hi <= hi), (lever, k.key)
                shipped = getattr(getattr(cfg, lever), k.key)
                assert k.lo <= shipped <= k.hi, (lever, k.key, shipped)


def test_plain_meanings():
    ta = {k.key: k for k in KNOBS["talent_alliance"]}
    assert meaning(ta["border_cost_cut"], 0.5, "zh") == "跨省迁移成本降低 50%"
    assert "28%" in meaning(ta["retention_bonus"], 0.5, "en", wage_weight=2.0)  # exp(0.25) - 1


# ---------------------------------------------------------------------------- results: planted effects
YEARS = np.arange(2019, 2024)


def fake_side(seed: int, gdp: np.ndarray, pm: np.ndarray) -> SideRun:
    n = len(YEARS)
    model = {"gdp": gdp, "air_quality": pm, "lever_net_city": np.zeros(n), "fiscal_cost": np.zeros(n)}
    city = {c: np.stack([gdp / 2, gdp / 2], axis=1) for c in results.CITY_COLUMNS}
    edges = pd.DataFrame({"a": [], "b": [], "mode": [], "line": [], "time_min": [], "highlight": []})
    return SideRun(seed, YEARS.copy(), model, ("a", "b"), city, edges, 0.0)


def planted(effect_gdp: float, effect_pm: float, n: int = 8, noise: float = 1.0) -> PairedResult:
    rng = np.random.default_rng(0)
    base, scen = [], []
    for s in range(n):
        g = 1000 + 50 * np.arange(len(YEARS)) + rng.normal(0, 20, len(YEARS))
        p = 40 - np.arange(len(YEARS)) + rng.normal(0, 1, len(YEARS))
        on = np.arange(len(YEARS)) > 0  # the base year is calibrated: no effect
        base.append(fake_side(s, g, p))
        scen.append(fake_side(s, g + on * (effect_gdp + rng.normal(0, noise, len(YEARS))),
                              p + on * (effect_pm + rng.normal(0, noise / 10, len(YEARS)))))  # fmt: skip
    return pair(load_config(None), list(range(n)), 1.0, base, scen)


def test_a_planted_effect_is_found_with_its_t_interval():
    res = planted(10.0, -0.5)
    b, s = res.paths("gdp")
    d = s[:, -1] - b[:, -1]
    e = res.summary("gdp")
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))
    assert e.diff == pytest.approx(d.mean()) and e.lo == pytest.approx(d.mean() - half)
    assert e.lo < 10.0 < e.hi and e.significant  # the planted +10 inside the interval
    pm = res.summary("air_quality", "mean")
    assert pm.hi < 0 and pm.significant and pm.lo < -0.5 < pm.hi
    assert res.summary("gdp", "cum").diff == pytest.approx(d.mean() * 0 + (s[:, 1:] - b[:, 1:]).sum(1).mean())
    first = res.yearly("gdp")[0]
    assert first.diff == 0 and not first.significant  # the base year: identical sides
    assert all(res.city_effects("gdp")["significant"])


def test_no_planted_effect_is_not_significant():
    res = planted(0.0, 0.0, noise=5.0)
    e = res.summary("gdp")
    assert e.lo < 0 < e.hi and not e.significant


def test_pair_refuses_unpaired_runs():
    a, b = fake_side(1, np.ones(5), np.ones(5)), fake_side(2, np.ones(5), np.ones(5))
    with pytest.raises(ValueError, match="not paired"):
        pair(load_config(None), [1], 1.0, [a], [b])


def test_a_result_pickles():
    res = planted(1.0, 1.0, n=3)
    back = pickle.loads(pickle.dumps(res))
    assert back.summary("gdp") == res.summary("gdp") and back.columns == res.columns


# ---------------------------------------------------------------------------- results: the real model
@pytest.fixture(scope="module")
def trading() -> PairedResult:
    cfg = load_config(Path("configs/scenarios/emission_trading.toml"), TINY)
    return run_paired(cfg, [11, 12, 13])


def test_common_random_numbers_give_no_effect_without_a_lever():
    res = run_paired(load_config(None, TINY), [5, 6])
    b, s = res.paths("gdp")
    assert np.array_equal(b, s)
    e = res.summary("gdp")
    assert e.diff == e.lo == e.hi == 0 and not e.significant


def test_emission_trading_cuts_so2_at_no_fiscal_cost(trading):
    so2 = trading.summary("emissions_so2")
    assert so2.significant and so2.hi < 0 and so2.pct_hi < 0
    assert trading.summary("fiscal_cost", "cum").diff == 0  # grandfathered permits: no public money
    assert trading.paths("permit_price")[1][:, -1].min() > 0
    assert trading.paths("permit_price")[0].max() == 0  # no market in the baseline


def test_the_scenario_side_is_the_plain_model_run(trading):
    cfg = load_config(Path("configs/scenarios/emission_trading.toml"), TINY)
    table = MiddleYangtzeModel(cfg, rng=12).run().tables()["model"]
    _b, s = trading.paths("gdp")
    assert np.array_equal(s[1], table["gdp"].to_numpy(float))


def test_the_page_agrees_with_run_py_compare():
    from simulation.experiments.compare import compare, replicate_seeds

    scen = load_config(Path("configs/scenarios/talent_alliance.toml"), TINY)
    base = baseline_of(scen)
    seeds = replicate_seeds(3, 2)
    mine = run_paired(scen, seeds).summary("gdp")
    theirs = compare(base, scen, 2, 3).effects.set_index("metric").loc["gdp_final"]
    assert mine.diff == pytest.approx(theirs["mean_diff"], rel=1e-12)
    assert mine.lo == pytest.approx(theirs["ci_low"], rel=1e-12)
    assert mine.pct == pytest.approx(theirs["mean_diff_pct"], rel=1e-12)


def test_baseline_of_turns_all_eleven_levers_off():
    cfg = load_config(Path("configs/scenarios/green_development.toml"), ["run.seed=7", "run.end_year=2030"])
    assert all(getattr(cfg, k).enabled for k in LEVERS)
    base = baseline_of(cfg)
    assert not any(getattr(base, k).enabled for k in LEVERS)
    assert (base.run, base.scale, base.talent) == (cfg.run, cfg.scale, cfg.talent)


def test_scaled_runs_and_side_runs():
    cfg = load_config(None, TINY)
    assert results.scaled(cfg, 0.1).scale.talent_agents == 200
    assert results.scaled(cfg, 0.01).scale.firm_agents == 50  # the config's minimum
    with pytest.raises(ValueError, match="scale"):
        results.scaled(cfg, 1.5)
    side = run_side(cfg, 4, 0.5)
    assert side.years.tolist() == [2019, 2020, 2021, 2022, 2023]
    assert side.cities["gdp"].shape == (5, 31) and "fiscal_cost" in side.model


# ---------------------------------------------------------------------------- session
def test_the_query_round_trips_every_control():
    s = small_session()
    s.switch_lever("city_circle", True)
    s.edit({("city_circle", "commute_discount"): 0.5})
    s.switch_lever("eco_fund", True)
    s.edit({("eco_fund", "green_contributions"): {"hubei": 20.0, "hunan": 20.0, "jiangxi": 20.0}})
    s.set_seed("77")
    s.set_n_seeds(4)
    q = s.query()
    assert "on=city_circle%2Ceco_fund" in q and "city_circle.commute_discount=0.5" in q and "seed=77" in q
    t = small_session()
    assert t.apply_query(q) == []
    assert t.draft == s.draft and t.n_seeds == 4 and t.query() == q


def test_bad_query_items_are_skipped_with_a_message_in_the_page_language():
    s = small_session("zh")
    problems = s.apply_query(
        "lang=zh&seed=-1&n=99&on=atlantis,talent_alliance&talent_alliance.border_cost_cut=3&x.y=1"
    )
    assert len(problems) == 5 and all(p.startswith("链接中的") for p in problems)
    assert s.draft["talent_alliance"]["enabled"] and s.draft["talent_alliance"]["border_cost_cut"] == 0.5
    assert s.n_seeds == 8 and s.draft["run"]["seed"] == 42


@pytest.mark.parametrize(
    ("changes", "expect"),
    [
        ({("industry_transfer", "subsidy"): -1.0}, "between 0 and 10"),
        ({("talent_alliance", "border_cost_cut"): 1.5}, "between 0 and 1"),
        ({("run", "end_year"): 2019}, "between 2020 and 2035"),
        ({("talent_alliance", "enabled"): True, ("talent_alliance", "start_year"): 2040}, "2020 and 2023"),
        ({("industry_transfer", "subsidy_sectors"): ["shipbuilding"]}, "unknown sector"),
    ],
)
def test_bad_values_are_refused_with_a_message(changes, expect):
    s = small_session()
    before = s.draft
    assert not s.edit(changes, "the field")
    assert s.draft == before and s.message[0] == "error"
    assert s.message[1].startswith("Refused:") and expect in s.message[1]


def test_seed_messages_are_readable_in_chinese():
    s = small_session("zh")
    for bad in ("abc", "-1", "1.5", "99999999999999999999"):
        assert not s.set_seed(bad)
        assert s.message[1] == "已拒绝：“随机种子”须为 0 至 9,223,372,036,854,775,807 之间的整数"
    assert s.set_seed(" 1,234 ") and s.draft["run"]["seed"] == 1234
    assert not s.set_n_seeds("x") and "须为整数" in s.message[1]


def test_the_end_year_is_capped_at_the_horizon_unless_advanced():
    s = Session("en")
    assert not s.set_end_year(2040) and "2020 and 2035" in s.message[1]
    s.set_advanced(True)
    assert s.set_end_year(2040) and s.draft["run"]["end_year"] == 2040 and "adv=1" in s.query()
    s.switch_lever("talent_alliance", True)
    s.edit({("talent_alliance", "start_year"): 2038})
    s.set_advanced(False)
    assert s.draft["run"]["end_year"] == 2035 and s.draft["talent_alliance"]["start_year"] == 2035


def test_switching_a_lever_on_takes_its_shipped_settings():
    s = small_session()
    assert s.switch_lever("hukou_reform", True)
    shipped = load_config(Path("configs/scenarios/hukou_reform.toml")).hukou_reform
    assert s.draft["hukou_reform"] == shipped.model_dump(mode="json")
    assert s.switch_lever("hukou_reform", False) and not s.draft["hukou_reform"]["enabled"]


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_loads_and_keeps_its_name(name):
    s = small_session()
    assert s.load_preset(name), s.message
    assert s.preset == name
    on = s.enabled()
    assert on == ([] if name == "baseline" else list(LEVERS) if name == "green_development" else [name])
    assert s.config().run.end_year == 2023  # the horizon and scale stay the trainee's


def test_archives_only_from_the_results_folder(tmp_path, monkeypatch):
    from simulation.archive.run import write_archive
    from simulation.dashboard import state
    from simulation.runner import run_config

    s = small_session("zh")
    draft = s.draft
    for name in ("/etc", "../etc", "..", "/work", "x/../../etc"):
        assert not s.open_archive(name)
        assert s.message[1] == tr("zh", "archive_not_listed") and s.draft == draft
    cfg = load_config(Path("configs/scenarios/talent_alliance.toml"), [*TINY, "run.seed=5"])
    write_archive(run_config(cfg), tmp_path / "arch", config_source="test", results_dir=tmp_path)
    (tmp_path / "not-an-archive").mkdir()
    monkeypatch.setattr(state, "RESULTS_DIR", tmp_path)
    assert archive_names(tmp_path) == ["arch"]
    assert s.open_archive("arch"), s.message
    assert s.config() == cfg and "arch" in s.message[1]


def test_compute_runs_a_preview_then_the_full_result_and_drops_stale_ones():
    s = small_session()
    calls = []

    def runner(cfg, seeds, scale):
        calls.append((len(seeds), scale))
        if len(calls) == 1:
            s.switch_lever("talent_alliance", True)  # the trainee changes something meanwhile
        return planted(1.0, 1.0, n=len(seeds))

    assert not s.compute(runner=runner)
    k = PREVIEW_SEEDS
    assert calls == [(k, 1.0)] and s.result is None  # 2000 agents: the preview runs at full scale
    assert s.compute(runner=runner)
    assert calls[1:] == [(k, 1.0), (8, 1.0)] and s.full is not None and s.full.n == 8


def test_exports():
    s = small_session()
    s.switch_lever("city_circle", True)
    s.full = planted(2.0, -0.1)
    cfg = load_config(None, [])
    assert s.export_name() == "midyangtze-city_circle-seed42.toml"
    assert cfg is not None and "compare" in s.export_toml()
    df = pd.read_csv(__import__("io").StringIO(s.export_csv()))
    assert {"metric", "year", "diff", "lo", "hi", "pct", "significant", "seeds"} <= set(df.columns)
    assert set(df["metric"]) == {"gdp", "air_quality", "fiscal_cost"} and len(df) == 3 * len(YEARS)


def test_exported_toml_reads_back_to_the_same_config(tmp_path):
    s = small_session()
    s.switch_lever("riverside_ban", True)
    path = tmp_path / s.export_name()
    path.write_text(s.export_toml(), encoding="utf-8")
    assert load_config(path) == s.config()


def test_sessions_share_nothing():
    a, b = small_session(), small_session()
    a.switch_lever("talent_alliance", True)
    assert not b.draft["talent_alliance"]["enabled"] and a.draft is not b.draft


# ---------------------------------------------------------------------------- panels and figures
def test_headline_colours_follow_desirability_and_grey_out_noise():
    res = planted(10.0, +0.5)  # GDP up (good), PM2.5 up (bad)
    html = headline_html(res, "en")
    gdp = re.search(r'data-metric="gdp".*?data-agg="final" data-kind="(\w+)"', html).group(1)
    pm = re.search(r'data-metric="air_quality".*?data-agg="final" data-kind="(\w+)"', html).group(1)
    assert (gdp, pm) == ("good", "bad")
    assert "▲" in html and "of baseline GDP" in html
    noisy = headline_html(planted(0.0, 0.0, noise=5.0), "zh")
    assert 'data-metric="gdp"' in noisy and "与零无法区分" in noisy and 'data-kind="grey"' in noisy
    assert desirability(-1.0, -1, True) == "good" and desirability(-1.0, 1, True) == "bad"
    assert desirability(5.0, 1, False) == "grey"


def test_a_one_seed_preview_is_grey_and_says_it_has_no_interval_yet():
    """The preview runs one seed: a planted effect, however large, has no interval, so it is grey
    and says why (not "indistinguishable from zero"); the full result of 8 seeds colours it."""
    one = planted(10.0, +0.5, n=1)
    for lang in ("zh", "en"):
        html = headline_html(one, lang)
        assert tr(lang, "no_interval") in html and tr(lang, "not_sig") not in html
        assert 'data-kind="good"' not in html and 'data-kind="grey"' in html
    full = headline_html(planted(10.0, +0.5, n=8), "en")
    assert 'data-kind="good"' in full and tr("en", "no_interval") not in full


def test_mechanisms_and_city_table(trading, cities):
    html = mechanisms_html(trading, ["emission_trading"], {"red_lines": {"protected_share": {}}}, "zh")
    assert 'data-indicator="permit_price"' in html and "许可价格" in html and "my-spark" in html
    rows = city_rows(trading, cities, "en", "d_pm25")
    assert len(rows) == 31
    table = city_table_html(rows, "en")
    assert table.count("<tr data-city=") == 31 and "Wuhan" in table


def test_effect_chart_draws_the_band_and_greys_insignificant_years():
    res = planted(10.0, 0.0, noise=3.0)
    b, s = res.paths("gdp")
    text = {k: tr("en", k) for k in ("scenario", "baseline", "diff_pct", "not_sig")}
    svg = effect_chart_svg("gdp", "GDP", "u", res.years, b.mean(0), s.mean(0), res.yearly("gdp"), 1, text)
    assert 'class="band"' in svg and svg.count('class="diff"') == len(YEARS)
    assert 'data-kind="good"' in svg and 'data-sig="0"' in svg  # the base year: no effect
    assert svg.count('class="tip-host"') == len(YEARS)


def test_map_svg_draws_every_city_with_a_tip(cities, trading):
    vals = pd.DataFrame({"gdp": trading.city_paths("gdp")[1][:, -1].mean(0),
                         "air_quality": trading.city_paths("air_quality")[1][:, -1].mean(0)},
                        index=pd.Index(trading.city_ids))  # fmt: skip
    text = {k: tr("zh", k) for k in S}
    svg = map_svg(cities, vals, trading.edges_scen, lambda c: city_name(cities, c, "zh"), text, 3e4,
                  tips=lambda c: [city_name(cities, c, "zh"), "x"])  # fmt: skip
    assert svg.count('class="city-label"') == 31 and svg.count('class="tip-host"') == 31
    assert all(cities.at[c, "name_zh"] in svg for c in cities.index)


def test_pm_colour_scale():
    assert pm_colour(0) == pm_colour(15) == "#1a9850"
    assert pm_colour(200) == "#d73027"


# ---------------------------------------------------------------------------- offline assets, CLI
def test_required_packages_come_from_solaras_template():
    pkgs = dict(assets.required_packages())
    assert "@widgetti/solara-vuetify-app" in pkgs and "requirejs" in pkgs and "font-awesome" in pkgs
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in pkgs.values())


def test_cache_dir_lies_outside_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("SOLARA_ASSETS_PROXY_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert assets.default_cache_dir() == tmp_path / "midyangtze" / "solara-cdn"
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
        assert time.perf_counter() - t < 1.0
    finally:
        cdn_helper.fetch_from_cdn, solara.settings.assets.cdn = saved, saved_cdn


def test_dashboard_arguments():
    p = argparse.ArgumentParser()
    add_dashboard_arguments(p)
    args = p.parse_args([])
    assert (args.host, args.port) == ("127.0.0.1", 8765)
    assert "Solara" in DASHBOARD_HELP


def test_a_port_in_use_is_refused_in_one_line():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        with pytest.raises(ConfigError, match=r"--port: \d+ is in use"):
            _check_port("127.0.0.1", s.getsockname()[1])


# ---------------------------------------------------------------------------- the page, in-process
def test_page_renders_and_a_lever_switch_edits_the_scenario(monkeypatch):
    import ipyvuetify as v
    import solara

    from simulation.dashboard import app

    monkeypatch.setenv(app.OVERRIDES_ENV, "scale.talent_agents=2000;scale.firm_agents=300;run.end_year=2023")
    monkeypatch.setattr(results, "RUNNER", lambda cfg, seeds, scale: planted(1.0, -0.1, n=len(seeds)))
    box, rc = solara.render(app.Page(), handle_error=False)
    labels = [w.label for w in rc.find(v.Switch).widgets]
    assert tr("zh", "lever_sponge_city") in labels and len(labels) == 11
    rc.find(v.Switch, label=tr("zh", "lever_talent_alliance")).widget.v_model = True
    texts = " ".join(w.unsafe_innerHTML or "" for w in rc.find(solara.widgets.HTML).widgets)
    assert tr("zh", "border_cost_cut") in texts and "跨省迁移成本降低 50%" in texts


def test_a_withdrawn_request_is_silent_and_a_failed_one_is_said():
    from concurrent.futures import CancelledError

    s = small_session("zh")

    def withdrawn(cfg, seeds, scale):
        raise CancelledError("superseded")

    assert not s.compute(runner=withdrawn) and s.message is None and s.computing is None

    def broken(cfg, seeds, scale):
        raise RuntimeError("worker died")

    assert not s.compute(runner=broken)
    assert s.message == ("error", "计算失败：RuntimeError: worker died")


def test_city_columns_by_reshape_equal_the_pivot_of_a_shuffled_table():
    """A side run reads its city columns by a reshape when the table is stacked year by year (as
    the model writes it); any other row order goes through the pivot, with the same arrays."""
    from simulation.dashboard.results import _wide, _year_by_year

    c = MiddleYangtzeModel(load_config(None, TINY), rng=3).run().tables()["cities"]
    years = np.unique(c["year"].to_numpy())
    ids = tuple(str(x) for x in c.loc[c["year"] == years[0], "city"])
    shuffled = c.sample(frac=1.0, random_state=1)
    assert _year_by_year(c, years, ids) and not _year_by_year(shuffled, years, ids)
    for col in ("gdp", "air_quality", "population"):
        a = _wide(c, col, years, ids, True)
        assert a.shape == (len(years), len(ids))
        np.testing.assert_array_equal(a, _wide(shuffled, col, years, ids, False))
