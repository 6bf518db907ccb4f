"""The dashboard in a real headless Chromium (Debian's, driven by Playwright): offline load, honest
results (desirability colours, bands, greyed noise), the scenario in the URL across a reload, the
ⓘ text in both languages, no clipping at 1366x768 and 390x844 (drawer closable, tips on touch),
CSV and TOML exports that reproduce the page, validation in the page's language, the preset box,
the horizon cap, archives from results/ only, separate sessions. Screenshots: tests/e2e/screenshots/.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pandas as pd
import pytest

from simulation.config import load_config
from simulation.dashboard.i18n import tr
from simulation.dashboard.results import run_paired
from simulation.experiments.compare import replicate_seeds
from simulation.region import load_region

CHROMIUM = os.environ.get("MIDYANGTZE_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parent / "screenshots"
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).is_file(), reason=f"{CHROMIUM} is missing (install it: bash .ci/install-browser)"
)
CITIES = load_region("middle_yangtze").cities
RESULTS = SHOTS / "timings.json"
TRANSFER = "lang=zh&seed=42&end=2035&n=8&on=industry_transfer"


def _record(name: str, value) -> None:
    data = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.is_file() else {}
    data[name] = value
    RESULTS.write_text(json.dumps(data, indent=2), encoding="utf-8")


def _kind(page, metric: str, agg: str = "final") -> str:
    return page.get_attribute(f".my-card[data-metric={metric}] .my-eff[data-agg={agg}]", "data-kind")


def _lever_switch(page, lever: str):
    return page.locator(f".my-lever[data-lever={lever}] input[role=switch]")


def _clipped(page, width: int) -> list[str]:
    """Elements reaching past the viewport's right edge, other than inside a horizontal scroller."""
    return page.evaluate(
        """w => [...document.querySelectorAll('body *')].filter(e => {
            const r = e.getBoundingClientRect();
            return r.width > 0 && r.right > w + 1 && !e.closest('.my-scroll');
        }).slice(0, 6).map(e => e.tagName + '.' + String(e.className).slice(0, 40) + ' ' + Math.round(
            e.getBoundingClientRect().right))""",
        width,
    )


def test_page_loads_offline_with_all_31_cities(new_page, screenshot, server):
    t0 = time.perf_counter()
    page = new_page(height=2400)
    _record("page_load_to_full_result_baseline_s", round(time.perf_counter() - t0, 2))
    names = page.eval_on_selector_all("svg.my-map text.city-label", "els => els.map(e => e.textContent)")
    assert sorted(names) == sorted(CITIES["name_zh"])
    assert page.locator("svg.my-chart").count() == 10
    assert page.locator(".my-card[data-metric]").count() == 8  # the headline box
    hosts = {re.match(r"\w+://([^/]+)", u).group(1) for u in page.requests if u.startswith("http")}
    assert hosts == {server.split("/")[2]}, hosts  # nothing left the machine
    assert not page.errors, page.errors
    screenshot(page, "01-baseline-zh")


def test_colours_say_better_or_worse_and_noise_is_grey(new_page, screenshot):
    page = new_page(TRANSFER, height=2600)
    assert _kind(page, "gdp") == "good"  # GDP up: green
    assert _kind(page, "fiscal_cost") == "bad"  # the subsidy costs the budgets: red
    assert (
        page.locator(".my-card[data-metric=gdp] .my-eff[data-agg=final] .k-good").inner_text().startswith("▲")
    )
    grey = page.locator(".my-eff[data-sig='0']")
    assert grey.count() >= 1 and tr("zh", "not_sig") in grey.first.inner_text()
    assert page.locator("svg[data-metric=gdp] polygon.band").count() == 1
    assert page.locator("svg[data-metric=gdp] rect.diff[data-kind=good]").count() >= 10
    assert page.locator("svg[data-metric=fiscal_cost] rect.diff[data-kind=bad]").count() >= 10
    assert page.locator("svg.my-chart rect.diff[data-sig='0']").count() >= 1
    mech = page.locator(".my-mech[data-lever=industry_transfer]").inner_text()
    assert tr("zh", "i_spending_industry_transfer_subsidy") in mech
    screenshot(page, "02-industry-transfer-zh")


def test_the_scenario_lives_in_the_url_and_survives_a_reload(new_page, screenshot, wait_for):
    page = new_page(wait="preview")
    before = page.url
    t0 = time.perf_counter()
    _lever_switch(page, "talent_alliance").click()
    page.wait_for_function("location.search.includes('on=talent_alliance')")
    assert page.url != before
    knob = page.locator(".my-knob[data-knob='talent_alliance.border_cost_cut'] [role=slider]")
    knob.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("location.search.includes('talent_alliance.border_cost_cut=0.55')")
    wait_for(page, "preview")
    _record("switch_to_preview_s_e2e_scale", round(time.perf_counter() - t0, 2))
    wait_for(page, "full")
    _record("switch_to_full_s_e2e_scale", round(time.perf_counter() - t0, 2))
    url = page.url
    page.reload()
    page.wait_for_selector(".my-status")
    assert page.url == url
    assert _lever_switch(page, "talent_alliance").get_attribute("aria-checked") == "true"
    val = page.locator(".my-knob[data-knob='talent_alliance.border_cost_cut'] .val").inner_text()
    assert val == "0.55"
    shared = new_page(url.split("?", 1)[1], wait="preview")  # the link in another browser
    assert _lever_switch(shared, "talent_alliance").get_attribute("aria-checked") == "true"
    screenshot(page, "03-url-restored")


def test_the_info_text_of_a_lever_in_both_languages(new_page, screenshot):
    page = new_page(wait=None)
    page.click(".my-lever[data-lever=sponge_city] .my-info-btn")
    info = page.locator(".my-lever[data-lever=sponge_city] .my-info")
    assert "38.5平方公里海绵示范区" in info.inner_text() and "国办发〔2015〕75号" in info.inner_text()
    page.click(".my-lang button:has-text('English')")
    page.wait_for_function("location.search.includes('lang=en')")
    page.wait_for_function(
        "document.querySelector('.my-lever[data-lever=sponge_city] .my-info').innerText.includes('38.5 km')"
    )
    text = page.locator(".my-lever[data-lever=sponge_city] .my-info").inner_text()
    assert "The real policy" in text and not re.search(
        r"[\u4e00-\u9fff]{4,}", text.replace("国办发〔2015〕75号", "")
    )
    screenshot(page, "04-info-en")


@pytest.mark.parametrize(("width", "height", "name"), [(1366, 768, "desktop"), (390, 844, "phone")])
def test_no_clipping(new_page, screenshot, width, height, name):
    mobile = {"has_touch": True, "is_mobile": True} if width < 500 else {}
    page = new_page(TRANSFER, width=width, height=height, **mobile)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert _clipped(page, width) == []
    _record(f"scroll_width_{width}", page.evaluate("document.documentElement.scrollWidth"))
    screenshot(page, f"05-{name}-zh")


def test_phone_drawer_opens_and_closes_and_a_tap_shows_the_numbers(new_page, screenshot):
    page = new_page(TRANSFER, width=390, height=844, has_touch=True, is_mobile=True)

    def drawer_right() -> float:
        return page.evaluate("document.querySelector('.my-drawer').getBoundingClientRect().right")

    assert drawer_right() <= 0  # closed on a phone
    page.tap(".my-menu")
    page.wait_for_function("document.querySelector('.my-drawer').getBoundingClientRect().left >= 0")
    assert 0 < drawer_right() <= 390 and page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "06-phone-drawer")
    page.tap(".my-close")
    page.wait_for_function("document.querySelector('.my-drawer').getBoundingClientRect().right <= 0")
    host = page.locator("svg[data-metric=gdp] .tip-host[data-year='2030']")
    host.scroll_into_view_if_needed()
    assert not host.locator(".tip").is_visible()
    host.tap()
    assert host.locator(".tip").is_visible() and "2030" in host.locator(".tip").text_content()
    screenshot(page, "06-phone-tip")


def test_csv_and_toml_exports_reproduce_the_page(new_page, tmp_path):
    page = new_page(TRANSFER)
    with page.expect_download() as info:
        page.click(".my-export-csv")
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    df = pd.read_csv(path)
    assert {"metric", "year", "base", "scen", "diff", "lo", "hi", "pct", "significant", "seeds"} <= set(
        df.columns
    )
    gdp = df[df["metric"] == "gdp"]
    assert len(gdp) == 17 and set(gdp["seeds"]) == {8}
    assert "spending_industry_transfer_subsidy" in set(df["metric"])
    with page.expect_download() as info:
        page.click(".my-export")
    toml = tmp_path / info.value.suggested_filename
    info.value.save_as(toml)
    cfg = load_config(toml)
    assert cfg.industry_transfer.enabled and cfg.run.seed == 42
    e = run_paired(cfg, replicate_seeds(42, 8)).summary("gdp")
    assert float(gdp.iloc[-1]["diff"]) == pytest.approx(e.diff, rel=1e-9)
    shown = page.locator(".my-card[data-metric=gdp] .my-eff[data-agg=final] .chg").inner_text()
    assert f"{e.diff:+,.0f}" in shown.replace("▲ ", "")


def test_validation_messages_are_in_the_page_language(new_page, screenshot):
    page = new_page(wait=None)
    seed = page.locator(".my-seed input")
    for bad in ("abc", "99999999999999999999"):
        seed.fill(bad)
        seed.press("Enter")
        page.wait_for_selector(".my-message")
        msg = page.inner_text(".my-message")
        assert msg.startswith("已拒绝") and "9,223,372,036,854,775,807" in msg, msg
        assert "e+18" not in msg and "Value must" not in page.inner_text("body")
    assert "seed=42" in page.url or "seed" not in page.url
    screenshot(page, "07-refused-zh")


def test_the_preset_box_keeps_its_value_and_the_horizon_is_capped(new_page):
    page = new_page(wait=None)
    page.click(".my-preset")
    page.click(f".v-menu__content .v-list-item:has-text('{tr('zh', 'preset_emission_trading')}')")
    page.wait_for_function("location.search.includes('on=emission_trading')")
    assert tr("zh", "preset_emission_trading") in page.inner_text(".my-preset")
    end = page.locator(".my-end")
    assert end.get_attribute("aria-valuemax") in ("2035", None) or "2035" in end.inner_html()
    assert page.locator(".my-drawer input[type=checkbox]").count() >= 1
    assert page.locator("input[aria-label*='path'], input[placeholder*='path']").count() == 0
    labels = page.inner_text(".my-drawer")
    assert "或输入存档文件夹路径" not in labels  # no free archive path box


def test_two_browser_contexts_do_not_share_state(new_page):
    a = new_page(wait=None)
    b = new_page(wait=None)
    _lever_switch(a, "hukou_reform").click()
    a.wait_for_function("location.search.includes('on=hukou_reform')")
    b.reload()
    b.wait_for_selector(".my-status")
    assert _lever_switch(b, "hukou_reform").get_attribute("aria-checked") == "false"
    assert "on=" not in b.url
